package ratelimit

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Checker is a limiter as the request path uses it: in-process (Limiter) or
// shared by every replica (Shared). An error means the answer is unknown;
// the caller decides whether that refuses or allows.
type Checker interface {
	Check(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// Spender is a Checker that can also give back what Check took, for an
// attempt that turned out not to count (see Limiter.Return).
type Spender interface {
	Checker
	Refund(ctx context.Context, key string)
}

// Refund implements Spender.
func (l *Limiter) Refund(_ context.Context, key string) { l.Return(key) }

// Check implements Checker; the in-process limiter never fails.
func (l *Limiter) Check(_ context.Context, key string) (bool, time.Duration, error) {
	ok, wait := l.Allow(key)
	return ok, wait, nil
}

// Shared is a limiter whose buckets live in Redis, so that N replicas allow
// what one would (GCRA, the same algorithm as Limiter, run atomically in
// Redis by redis_rate). Keys are stored as prefix plus the SHA-256 of the
// key: fixed-size, and no email address or token hash sits in Redis in
// clear. Redis expires each bucket once it has refilled, so memory follows
// the keys seen within the last period.
type Shared struct {
	limiter *redis_rate.Limiter
	prefix  string
	limit   redis_rate.Limit
}

// NewShared returns a limiter of burst events per period on client, its
// keys under prefix (one prefix per limiter: "agentdesk:ip:", …).
func NewShared(client *redis.Client, prefix string, burst int, period time.Duration) *Shared {
	return &Shared{limiter: redis_rate.NewLimiter(client), prefix: prefix,
		limit: redis_rate.Limit{Rate: burst, Burst: burst, Period: period}}
}

// Check implements Checker.
func (s *Shared) Check(ctx context.Context, key string) (bool, time.Duration, error) {
	k := KeyOf(key)
	res, err := s.limiter.Allow(ctx, s.prefix+hex.EncodeToString(k[:]), s.limit)
	if err != nil {
		return false, 0, err
	}
	return res.Allowed > 0, res.RetryAfter, nil
}

// Refund implements Spender: a negative cost moves the bucket's time back
// by one interval. Best effort: if Redis does not answer, the attempt stays
// spent (the safe side). A refund that would fill the bucket past full is
// dropped by redis_rate, which costs the key at most one interval.
func (s *Shared) Refund(ctx context.Context, key string) {
	k := KeyOf(key)
	_, _ = s.limiter.AllowN(ctx, s.prefix+hex.EncodeToString(k[:]), s.limit, -1)
}

// NewRedisClient connects to REDIS_URL (redis://[:password@]host:port/db or
// rediss://…) with short timeouts: a rate-limit check that cannot reach
// Redis must fail in well under a request's time, not hang it.
func NewRedisClient(url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	opts.DialTimeout = time.Second
	opts.ReadTimeout = 500 * time.Millisecond
	opts.WriteTimeout = 500 * time.Millisecond
	opts.MaxRetries = 1
	return redis.NewClient(opts), nil
}
