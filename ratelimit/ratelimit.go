// Package ratelimit is an in-process token-bucket limiter keyed by string
// (a client IP, an email). Each server process keeps its own buckets; see
// README.md on running several replicas.
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Limiter allows Burst events at once per key and refills at Burst per Period.
type Limiter struct {
	burst  float64
	period time.Duration
	now    func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweepAt time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter of burst events per period. now may be nil (wall
// clock); tests pass their own.
func New(burst int, period time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{burst: float64(burst), period: period, now: now, buckets: map[string]*bucket{}}
}

// Allow takes one token for key. When none is left it returns false and how
// long until one is.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+l.refill(now.Sub(b.at)))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	missing := 1 - b.tokens
	return false, time.Duration(missing / l.burst * float64(l.period))
}

func (l *Limiter) refill(elapsed time.Duration) float64 {
	return l.burst * float64(elapsed) / float64(l.period)
}

// sweep forgets full buckets now and then, so memory follows the number of
// recently active keys, not of all keys ever seen.
func (l *Limiter) sweep(now time.Time) {
	if now.Before(l.sweepAt) {
		return
	}
	l.sweepAt = now.Add(l.period)
	for k, b := range l.buckets {
		if b.tokens+l.refill(now.Sub(b.at)) >= l.burst {
			delete(l.buckets, k)
		}
	}
}
