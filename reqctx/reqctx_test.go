package reqctx_test

import (
	"context"
	"testing"

	"agentdesk/reqctx"
)

// TestClientKeyIsTheAddressOrItsSlash64: an IPv4 client is its address
// (mapped or not), an IPv6 client its /64 (zone dropped), and what is not an
// address keys itself, so unknown clients share one key.
func TestClientKeyIsTheAddressOrItsSlash64(t *testing.T) {
	for ip, want := range map[string]string{
		"203.0.113.7":           "203.0.113.7",
		"::ffff:203.0.113.7":    "203.0.113.7",
		"2001:db8:1:2::1":       "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::99": "2001:db8:1:2::/64",
		"fe80::1%eth0":          "fe80::/64",
		"2001:db8:1:3::1":       "2001:db8:1:3::/64",
		"":                      "",
		"not-an-address":        "not-an-address",
	} {
		ctx := reqctx.WithClientIP(context.Background(), ip)
		if got := reqctx.ClientKey(ctx); got != want {
			t.Errorf("ClientKey(%q) = %q, want %q", ip, got, want)
		}
	}
	if got := reqctx.ClientKey(context.Background()); got != "" {
		t.Errorf("no client address: %q", got)
	}
	ctx := reqctx.WithRequestID(context.Background(), "abc")
	if reqctx.RequestID(ctx) != "abc" || reqctx.RequestID(context.Background()) != "" {
		t.Error("request id not carried")
	}
}
