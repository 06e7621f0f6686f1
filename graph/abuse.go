package graph

import (
	"context"
	"math"
	"time"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/ratelimit"
	"agentdesk/reqctx"
	"agentdesk/team"
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
}

// DefaultRateLimits: 30 attempts per IP and 5 per email a minute.
var DefaultRateLimits = RateLimits{PerIP: 30, PerSubject: 5, Period: time.Minute}

// passwordOperation names the bucket of every operation that checks an
// account's password (login, and createWorkspace for an email that already
// has an account): one budget of guesses per email and per IP, not one per
// operation.
const passwordOperation = "password"

type abuseGuard struct {
	byIP, bySubject *ratelimit.Limiter
}

func newAbuseGuard(l RateLimits, now func() time.Time) *abuseGuard {
	return &abuseGuard{byIP: ratelimit.New(l.PerIP, l.Period, l.MaxKeys, now),
		bySubject: ratelimit.New(l.PerSubject, l.Period, l.MaxKeys, now)}
}

// buckets reports how many rate-limit buckets each limiter holds ("ip",
// "subject"): the tables MaxKeys bounds, watched on /metrics.
func (g *abuseGuard) buckets() map[string]int {
	return map[string]int{"ip": g.byIP.Len(), "subject": g.bySubject.Len()}
}

// check spends one attempt of operation for the request's IP and subject
// (an email, normalised like everywhere, or a token's hash), or answers
// RATE_LIMITED with retryAfterSeconds. A refused IP spends nothing of the
// subject's budget and creates no bucket for it, so one client cannot fill
// the subject table with attempts that were refused anyway.
func (g *abuseGuard) check(ctx context.Context, operation, subject string) error {
	ok, wait := g.byIP.Allow(operation + "|ip|" + reqctx.ClientKey(ctx))
	if ok {
		ok, wait = g.bySubject.Allow(operation + "|subject|" + subject)
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
	normal, err := team.CheckEmail(field, email)
	if err != nil {
		return err
	}
	return g.check(ctx, passwordOperation, normal)
}

func (g *abuseGuard) token(ctx context.Context, operation, token string) error {
	return g.check(ctx, operation, auth.HashToken(token))
}
