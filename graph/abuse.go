package graph

import (
	"cmp"
	"context"
	"log/slog"
	"math"
	"time"

	"github.com/redis/go-redis/v9"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/ratelimit"
	"agentdesk/reqctx"
	"agentdesk/validate"
)

// RateLimits are the limits on the public operations that guess secrets or
// create things (login, activateAccount, invitation, createWorkspace): per
// client IP, and per email (or, for the activation link, per token).
type RateLimits struct {
	PerIP, PerSubject int
	Period            time.Duration
	// MaxKeys bounds each limiter's table (IPs, subjects); 0 takes
	// ratelimit.DefaultMaxKeys. See package ratelimit for what happens when
	// it is full.
	MaxKeys int
	// Redis, when set (REDIS_URL), holds the buckets for every replica, keys
	// under RedisPrefix; nil keeps them in this process.
	Redis       *redis.Client
	RedisPrefix string
}

// DefaultRedisPrefix is where the limits' buckets live in Redis.
const DefaultRedisPrefix = "agentdesk:ratelimit:"

// sharedDownRetry is the retry hint when the shared limiter cannot be asked:
// long enough not to hammer a Redis that is down, short enough for a person.
const sharedDownRetry = 10 * time.Second

// DefaultRateLimits: 30 attempts per IP and 5 per email a minute.
var DefaultRateLimits = RateLimits{PerIP: 30, PerSubject: 5, Period: time.Minute}

// passwordOperation names the bucket of every operation that checks an
// account's password (login, and createWorkspace for an email that already
// has an account): one budget of guesses per email and per IP, not one per
// operation.
const passwordOperation = "password"

type abuseGuard struct {
	byIP, bySubject ratelimit.Checker
	log             *slog.Logger
}

func newAbuseGuard(l RateLimits, now func() time.Time, log *slog.Logger) *abuseGuard {
	if log == nil {
		log = slog.Default()
	}
	if l.Redis != nil {
		prefix := cmp.Or(l.RedisPrefix, DefaultRedisPrefix)
		return &abuseGuard{byIP: ratelimit.NewShared(l.Redis, prefix+"ip:", l.PerIP, l.Period),
			bySubject: ratelimit.NewShared(l.Redis, prefix+"subject:", l.PerSubject, l.Period), log: log}
	}
	return &abuseGuard{byIP: ratelimit.New(l.PerIP, l.Period, l.MaxKeys, now),
		bySubject: ratelimit.New(l.PerSubject, l.Period, l.MaxKeys, now), log: log}
}

// buckets reports how many rate-limit buckets each in-process limiter
// holds ("ip", "subject"): the tables MaxKeys bounds, watched on /metrics.
// Limiters in Redis are not listed: Redis expires each key once its bucket
// is full.
func (g *abuseGuard) buckets() map[string]int {
	out := map[string]int{}
	for name, c := range map[string]ratelimit.Checker{"ip": g.byIP, "subject": g.bySubject} {
		if l, ok := c.(*ratelimit.Limiter); ok {
			out[name] = l.Len()
		}
	}
	return out
}

// check spends one attempt of operation for the request's IP and subject
// (an email, normalised like everywhere, or a token's hash), or answers
// RATE_LIMITED with retryAfterSeconds. A refused IP spends nothing of the
// subject's budget and creates no bucket for it, so one client cannot fill
// the subject table with attempts that were refused anyway.
//
// When the shared limiter cannot answer (Redis down) the attempt is refused:
// these operations guess passwords and tokens, and allowing them unlimited
// while Redis is away would hand an attacker exactly the window he wants.
func (g *abuseGuard) check(ctx context.Context, operation, subject string) error {
	ok, wait, err := g.byIP.Check(ctx, operation+"|ip|"+reqctx.ClientKey(ctx))
	if ok && err == nil {
		ok, wait, err = g.bySubject.Check(ctx, operation+"|subject|"+subject)
	}
	if err != nil {
		g.log.Error("rate limit unavailable; refusing the attempt", "operation", operation, "err", err)
		ok, wait = false, sharedDownRetry
	}
	if ok {
		return nil
	}
	e := apperr.New(apperr.RateLimited, "Too many attempts; try again later.")
	e.RetryAfterSeconds = max(1, int(math.Ceil(wait.Seconds())))
	return e
}

// signupClient is who signs up, for team's SIGNUP_PER_IP_HOURLY: keyed
// like the other per-IP limits.
func signupClient(ctx context.Context) string {
	return "ip|" + reqctx.ClientKey(ctx)
}

// password spends one password guess for an email (input field field). An
// email longer than any address answers BAD_USER_INPUT before any limiter
// sees it.
func (g *abuseGuard) password(ctx context.Context, field, email string) error {
	normal, err := validate.CheckEmail(field, email)
	if err != nil {
		return err
	}
	return g.check(ctx, passwordOperation, normal)
}

func (g *abuseGuard) token(ctx context.Context, operation, token string) error {
	return g.check(ctx, operation, auth.HashToken(token))
}
