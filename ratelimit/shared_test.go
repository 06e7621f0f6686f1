package ratelimit_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"agentdesk/ratelimit"
)

// TestSharedLimiterIsOneBudget: two limiters on one Redis under one prefix
// (two replicas) share a budget; another prefix is another budget; keys are
// hashed, so the raw key is nowhere in Redis.
func TestSharedLimiterIsOneBudget(t *testing.T) {
	const addr = "127.0.0.1:6379"
	if c, err := net.DialTimeout("tcp", addr, time.Second); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis is required under CI=true: %v", err)
		}
		t.Skipf("no Redis on %s: %v", addr, err)
	} else {
		c.Close()
	}
	client, err := ratelimit.NewRedisClient("redis://" + addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	prefix := fmt.Sprintf("agentdesk-test:%s:%d:", t.Name(), time.Now().UnixNano())
	replicaA := ratelimit.NewShared(client, prefix, 3, time.Minute)
	replicaB := ratelimit.NewShared(client, prefix, 3, time.Minute)
	other := ratelimit.NewShared(client, prefix+"other:", 3, time.Minute)
	for i, l := range []*ratelimit.Shared{replicaA, replicaB, replicaA} {
		if ok, _, err := l.Check(ctx, "ana@acme.test"); !ok || err != nil {
			t.Fatalf("attempt %d: %v %v", i+1, ok, err)
		}
	}
	ok, wait, err := replicaB.Check(ctx, "ana@acme.test")
	if ok || err != nil || wait <= 0 || wait > 20*time.Second {
		t.Fatalf("fourth attempt: ok=%v wait=%s err=%v, want refused with a wait of about 20 s", ok, wait, err)
	}
	// A refund on one replica gives the attempt back on the other.
	replicaA.Refund(ctx, "ana@acme.test")
	if ok, _, err := replicaB.Check(ctx, "ana@acme.test"); !ok || err != nil {
		t.Fatalf("after a refund: %v %v", ok, err)
	}
	if ok, _, _ := replicaA.Check(ctx, "ana@acme.test"); ok {
		t.Fatal("a refund gave back more than one attempt")
	}
	if ok, _, err := other.Check(ctx, "ana@acme.test"); !ok || err != nil {
		t.Fatalf("another prefix shares the budget: %v %v", ok, err)
	}
	keys, err := client.Keys(ctx, "*"+prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("keys: %v", keys)
	}
	for _, k := range keys {
		if len(k) > 200 || strings.Contains(k, "ana@") {
			t.Fatalf("raw key stored: %q", k)
		}
	}
}
