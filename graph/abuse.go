package graph

import (
	"context"
	"math"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/ratelimit"
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

// collectors expose the limiters' table sizes on /metrics.
func (g *abuseGuard) collectors() []prometheus.Collector {
	gauge := func(limiter string, l *ratelimit.Limiter) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "agentdesk_ratelimit_keys",
			Help: "Rate-limit buckets held, by limiter.", ConstLabels: prometheus.Labels{"limiter": limiter}},
			func() float64 { return float64(l.Len()) })
	}
	return []prometheus.Collector{gauge("ip", g.byIP), gauge("subject", g.bySubject)}
}

// check spends one attempt of operation for the request's IP and subject
// (an email, normalised like everywhere, or a token's hash), or answers
// RATE_LIMITED with retryAfterSeconds. A refused IP spends nothing of the
// subject's budget and creates no bucket for it, so one client cannot fill
// the subject table with attempts that were refused anyway.
func (g *abuseGuard) check(ctx context.Context, operation, subject string) error {
	ok, wait := g.byIP.Allow(operation + "|ip|" + rateKeyOfIP(ClientIP(ctx)))
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

// rateKeyOfIP is the part of a client's address that one client controls:
// the address itself for IPv4, its /64 for IPv6, because a single host is
// normally given a whole /64 and could otherwise take a fresh address for
// every attempt.
func rateKeyOfIP(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	return netip.PrefixFrom(addr.WithZone(""), 64).Masked().String()
}

// signupClient is who signs up, for team's SIGNUP_PER_IP_HOURLY: keyed
// like the other per-IP limits. A request whose address is unknown shares
// one key with every other such request rather than going unlimited.
func signupClient(ctx context.Context) string {
	return "ip|" + rateKeyOfIP(ClientIP(ctx))
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
