package graph

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// The cache holds at most its budget in bytes, however many distinct
// entries arrive, keeps nothing over maxEntry, and evicts the least recently
// used first.
func TestByteLRUStaysWithinItsBudget(t *testing.T) {
	ctx := context.Background()
	c := newByteLRU(1000, 300, func(k, v string) int { return len(k) + len(v) })
	for i := range 500 {
		c.Add(ctx, fmt.Sprintf("k%03d", i), strings.Repeat("v", i%250))
		if c.Bytes() > 1000 {
			t.Fatalf("after %d adds the cache holds %d bytes", i+1, c.Bytes())
		}
	}
	c.Add(ctx, "big", strings.Repeat("v", 400))
	if _, ok := c.Get(ctx, "big"); ok {
		t.Fatal("an entry over maxEntry was kept")
	}
	c.Add(ctx, "hot", "1")
	c.Add(ctx, "cold", "2")
	c.Get(ctx, "hot")
	for i := range 8 { // 992 bytes: room for "hot" (4) but not also "cold" (5)
		c.Add(ctx, fmt.Sprintf("n%d", i), strings.Repeat("v", 122))
	}
	if _, ok := c.Get(ctx, "cold"); ok {
		t.Fatal("the least recently used entry survived")
	}
	if _, ok := c.Get(ctx, "hot"); !ok {
		t.Fatal("the recently read entry was evicted")
	}
	c.Add(ctx, "hot", strings.Repeat("v", 500)) // replaced by a too-large value: gone
	if _, ok := c.Get(ctx, "hot"); ok || c.Bytes() > 1000 {
		t.Fatalf("a replaced entry over maxEntry: kept %v, %d bytes", ok, c.Bytes())
	}
	sum := 0
	for el := c.order.Front(); el != nil; el = el.Next() {
		sum += el.Value.(*byteEntry[string]).size
	}
	if sum != c.Bytes() || len(c.items) != c.order.Len() {
		t.Fatalf("accounting: %d bytes counted, %d listed; %d keys, %d listed", c.Bytes(), sum, len(c.items), c.order.Len())
	}
}
