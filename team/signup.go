package team

import (
	"context"
	"time"

	"agentdesk/ratelimit"
)

// DefaultSignupPerIPHourly is SIGNUP_PER_IP_HOURLY's default.
const DefaultSignupPerIPHourly = 5

// Every workspace may send invitation emails, so each sign-up is a new
// sender: the per-workspace mail limits only hold if workspaces cannot be
// made at will. Sign-up is therefore limited per client, per hour, on top
// of the per-minute password budget it shares with login.

// signupLimiter is the per-client limiter of workspace creation:
// SignupLimit when set (shared by the replicas through Redis), else one in
// the process, built on first use from Config (the Service is a plain
// struct literal).
func (s *Service) signupLimiter() ratelimit.Spender {
	s.signupOnce.Do(func() {
		s.signups = s.SignupLimit
		if s.signups == nil {
			s.signups = ratelimit.New(positiveOr(s.Config.SignupPerIPHourly, DefaultSignupPerIPHourly), time.Hour, 0,
				func() time.Time { return s.Now() })
		}
	})
	return s.signups
}

// signupLimitDownRetry is the retry hint when the shared limiter cannot be
// asked: sign-up is refused then, like login (README "Running several
// replicas").
const signupLimitDownRetry = 10 * time.Second

// spendSignup takes one workspace creation from client's hourly budget, or
// answers RATE_LIMITED with retryAfterSeconds. The returned func gives the
// creation back, for a sign-up that then failed: the budget counts
// workspaces created, so a typo costs nothing. An empty client (the demo
// loader, seeding: not a network client) is not limited.
func (s *Service) spendSignup(ctx context.Context, client string) (giveBack func(), err error) {
	if client == "" {
		return func() {}, nil
	}
	l := s.signupLimiter()
	ok, wait, err := l.Check(ctx, client)
	if err != nil {
		return nil, rateLimited("Sign-up is unavailable for a moment; try again shortly.", signupLimitDownRetry)
	}
	if !ok {
		return nil, rateLimited("Too many workspaces were created from your network in the last hour; try again later.", wait)
	}
	return func() { l.Refund(context.WithoutCancel(ctx), client) }, nil
}
