package graph

import (
	"context"
	"math"
	"time"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/ratelimit"
	"agentdesk/team"
)

// RateLimits are the limits on the public operations that guess secrets or
// create things (login, activateAccount, invitation, createWorkspace): per
// client IP, and per email (or, for the activation link, per token).
type RateLimits struct {
	PerIP, PerSubject int
	Period            time.Duration
}

// DefaultRateLimits: 30 attempts per IP and 5 per email a minute.
var DefaultRateLimits = RateLimits{PerIP: 30, PerSubject: 5, Period: time.Minute}

type abuseGuard struct {
	byIP, bySubject *ratelimit.Limiter
}

func newAbuseGuard(l RateLimits, now func() time.Time) *abuseGuard {
	return &abuseGuard{byIP: ratelimit.New(l.PerIP, l.Period, now), bySubject: ratelimit.New(l.PerSubject, l.Period, now)}
}

// check spends one attempt of operation for the request's IP and subject
// (an email, normalised like everywhere, or a token's hash), or answers
// RATE_LIMITED with retryAfterSeconds.
func (g *abuseGuard) check(ctx context.Context, operation, subject string) error {
	okIP, waitIP := g.byIP.Allow(operation + "|ip|" + ClientIP(ctx))
	okSubject, waitSubject := g.bySubject.Allow(operation + "|subject|" + subject)
	if okIP && okSubject {
		return nil
	}
	e := apperr.New(apperr.RateLimited, "Too many attempts; try again later.")
	e.RetryAfterSeconds = max(1, int(math.Ceil(max(waitIP, waitSubject).Seconds())))
	return e
}

func (g *abuseGuard) email(ctx context.Context, operation, email string) error {
	return g.check(ctx, operation, team.NormalizeEmail(email))
}

func (g *abuseGuard) token(ctx context.Context, operation, token string) error {
	return g.check(ctx, operation, auth.HashToken(token))
}
