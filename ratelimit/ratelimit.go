// Package ratelimit is an in-process token-bucket limiter keyed by string
// (a client IP, an email). Each server process keeps its own buckets; see
// README.md on running several replicas.
//
// Memory is bounded whatever keys clients send: a key is kept as its SHA-256
// (32 bytes, however long the string), a bucket is forgotten the moment it
// has refilled (it then says nothing a fresh bucket would not), and the
// table holds at most MaxKeys buckets. When it is full, a new key takes the
// place of the bucket that will refill soonest, which is the one holding the
// most tokens: the key that loses its bucket gains the fewest attempts, and
// a bucket that an attacker has drained (say, the one for a victim's email)
// is the last to go. So filling the table neither locks anyone out (a new
// key always gets a bucket) nor frees the flooder's own drained buckets.
package ratelimit

import (
	"container/heap"
	"crypto/sha256"
	"sync"
	"time"
)

// DefaultMaxKeys bounds a limiter's table: about 60 bytes a bucket plus the
// map's and heap's slots, a couple of MB at most.
const DefaultMaxKeys = 10_000

// Key is what a bucket is stored under: fixed-size whatever the string.
type Key [sha256.Size]byte

// KeyOf hashes a limiter key.
func KeyOf(s string) Key { return sha256.Sum256([]byte(s)) }

// Limiter allows Burst events at once per key and refills at Burst per Period.
type Limiter struct {
	interval int64 // nanoseconds per token
	period   int64 // nanoseconds for a whole burst
	maxKeys  int
	now      func() time.Time

	mu      sync.Mutex
	buckets map[Key]*bucket
	byFull  fullHeap
}

// bucket is a token bucket in one number (the generic cell rate algorithm):
// the time at which it will be full again. Tokens left at t are
// (full - t) / interval short of the burst.
type bucket struct {
	key   Key
	full  int64 // UnixNano
	index int   // in Limiter.byFull
}

// New returns a limiter of burst events per period holding at most maxKeys
// buckets (0: DefaultMaxKeys). now may be nil (wall clock); tests pass their
// own.
func New(burst int, period time.Duration, maxKeys int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	burst = max(burst, 1)
	return &Limiter{interval: int64(period) / int64(burst), period: int64(period), maxKeys: maxKeys, now: now,
		buckets: map[Key]*bucket{}}
}

// Allow takes one token for key. When none is left it returns false and how
// long until one is.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	k := KeyOf(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now().UnixNano()
	l.forgetFull(now)
	b := l.buckets[k]
	full := now
	if b != nil {
		full = max(b.full, now)
	}
	next := full + l.interval
	if next-now > l.period {
		return false, time.Duration(next - now - l.period)
	}
	if b == nil {
		if len(l.buckets) >= l.maxKeys {
			// The heap's top refills soonest: the least restrictive bucket.
			delete(l.buckets, heap.Pop(&l.byFull).(*bucket).key)
		}
		b = &bucket{key: k, full: next}
		l.buckets[k] = b
		heap.Push(&l.byFull, b)
		return true, 0
	}
	b.full = next
	heap.Fix(&l.byFull, b.index)
	return true, 0
}

// Return gives back one token that Allow took for key, for an attempt that
// turned out not to count (sign-up counts the workspaces created, and a
// refused or failed one created none). A bucket refilled by it is forgotten
// like any full one; a key with no bucket has nothing to give back.
func (l *Limiter) Return(key string) {
	k := KeyOf(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[k]
	if b == nil {
		return
	}
	b.full -= l.interval
	if b.full <= l.now().UnixNano() {
		heap.Remove(&l.byFull, b.index)
		delete(l.buckets, k)
		return
	}
	heap.Fix(&l.byFull, b.index)
}

// Len is the number of buckets held (for metrics and tests).
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// forgetFull drops the buckets that have refilled, so memory follows the
// keys seen within the last period, not all keys ever seen.
func (l *Limiter) forgetFull(now int64) {
	for len(l.byFull) > 0 && l.byFull[0].full <= now {
		delete(l.buckets, heap.Pop(&l.byFull).(*bucket).key)
	}
}

// fullHeap orders buckets by the time they are full again, soonest first.
type fullHeap []*bucket

func (h fullHeap) Len() int           { return len(h) }
func (h fullHeap) Less(i, j int) bool { return h[i].full < h[j].full }
func (h fullHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *fullHeap) Push(x any) {
	b := x.(*bucket)
	b.index = len(*h)
	*h = append(*h, b)
}
func (h *fullHeap) Pop() any {
	old := *h
	b := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return b
}
