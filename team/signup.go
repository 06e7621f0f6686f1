package team

import (
	"time"

	"agentdesk/ratelimit"
)

// DefaultSignupPerIPHourly is SIGNUP_PER_IP_HOURLY's default.
const DefaultSignupPerIPHourly = 5

// Every workspace may send invitation emails, so each sign-up is a new
// sender: the per-workspace mail limits only hold if workspaces cannot be
// made at will. Sign-up is therefore limited per client, per hour, on top
// of the per-minute password budget it shares with login.

// signupLimiter is the per-client limiter of workspace creation, built on
// first use from Config (the Service is a plain struct literal). Like the
// other per-IP limits it lives in the process (README: several replicas).
func (s *Service) signupLimiter() *ratelimit.Limiter {
	s.signupOnce.Do(func() {
		s.signups = ratelimit.New(positiveOr(s.Config.SignupPerIPHourly, DefaultSignupPerIPHourly), time.Hour, 0,
			func() time.Time { return s.Now() })
	})
	return s.signups
}

// spendSignup takes one workspace creation from client's hourly budget, or
// answers RATE_LIMITED with retryAfterSeconds. The returned func gives the
// creation back, for a sign-up that then failed: the budget counts
// workspaces created, so a typo costs nothing. An empty client (the demo
// loader, seeding: not a network client) is not limited.
func (s *Service) spendSignup(client string) (giveBack func(), err error) {
	if client == "" {
		return func() {}, nil
	}
	l := s.signupLimiter()
	if ok, wait := l.Allow(client); !ok {
		return nil, rateLimited("Too many workspaces were created from your network in the last hour; try again later.", wait)
	}
	return func() { l.Return(client) }, nil
}
