package ratelimit

import (
	"testing"
	"time"
)

func TestBurstThenRefill(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(3, time.Minute, func() time.Time { return now })
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
