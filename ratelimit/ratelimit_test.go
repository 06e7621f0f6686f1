package ratelimit

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestBurstThenRefill(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(3, time.Minute, 0, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("ip"); !ok {
			t.Fatalf("event %d refused within the burst", i+1)
		}
	}
	ok, wait := l.Allow("ip")
	if ok || wait != 20*time.Second {
		t.Fatalf("4th event: ok=%v wait=%v; want refused, 20s", ok, wait)
	}
	if ok, _ := l.Allow("other"); !ok {
		t.Fatal("keys share a bucket")
	}
	now = now.Add(20 * time.Second)
	if ok, _ := l.Allow("ip"); !ok {
		t.Fatal("no token after the refill time")
	}
	if ok, _ := l.Allow("ip"); ok {
		t.Fatal("more than one token refilled")
	}
	now = now.Add(time.Hour)
	l.Allow("fresh") // sweeps
	if len(l.buckets) != 1 {
		t.Fatalf("%d buckets kept after an idle hour, want 1", len(l.buckets))
	}
}

// TestFullTableEvictsTheFullestBucket fills a small table with a flood of
// distinct keys: it never holds more than its bound, a victim's drained
// bucket survives the flood (no bypass by flooding), and a new key still
// gets its tokens (no lockout).
func TestFullTableEvictsTheFullestBucket(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(5, time.Minute, 100, func() time.Time { return now })
	for range 5 {
		l.Allow("victim@example.com")
	}
	if ok, _ := l.Allow("victim@example.com"); ok {
		t.Fatal("6th attempt allowed")
	}
	for i := range 10_000 {
		// Long keys too: the table holds their hashes.
		l.Allow(fmt.Sprintf("flood%d@example.com%s", i, strings.Repeat("x", i%500)))
		if n := l.Len(); n > 100 {
			t.Fatalf("%d buckets after %d keys, bound 100", n, i+1)
		}
	}
	if ok, _ := l.Allow("victim@example.com"); ok {
		t.Fatal("the flood evicted the victim's drained bucket")
	}
	if ok, _ := l.Allow("honest@example.com"); !ok {
		t.Fatal("a new key is refused while the table is full")
	}
	// The victim's bucket refills as usual.
	now = now.Add(12 * time.Second)
	if ok, _ := l.Allow("victim@example.com"); !ok {
		t.Fatal("no token after the refill time")
	}
	if ok, _ := l.Allow("victim@example.com"); ok {
		t.Fatal("more than one token refilled")
	}
}

// A returned token can be taken again, and a bucket that Return refills is
// forgotten: returning never grants more than the burst.
func TestReturnGivesBackOneToken(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(2, time.Hour, 0, func() time.Time { return now })
	l.Allow("ip")
	l.Allow("ip")
	if ok, _ := l.Allow("ip"); ok {
		t.Fatal("3rd event allowed")
	}
	l.Return("ip")
	if ok, _ := l.Allow("ip"); !ok {
		t.Fatal("the returned token was not given back")
	}
	if ok, _ := l.Allow("ip"); ok {
		t.Fatal("Return gave back more than one token")
	}
	l.Return("ip")
	l.Return("ip")
	l.Return("ip") // more than was taken: the bucket is simply full
	if n := l.Len(); n != 0 {
		t.Fatalf("%d buckets after every token came back, want 0", n)
	}
	for i := range 2 {
		if ok, _ := l.Allow("ip"); !ok {
			t.Fatalf("event %d of a refilled bucket refused", i+1)
		}
	}
	if ok, _ := l.Allow("ip"); ok {
		t.Fatal("returning more than was taken raised the burst")
	}
	l.Return("never seen") // no bucket, nothing to do
	if n := l.Len(); n != 1 {
		t.Fatalf("%d buckets, want 1", n)
	}
}
