package httpapi_test

import (
	"net/netip"
	"strings"
	"testing"
)

func mustPrefixes(t *testing.T, list string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range strings.Split(list, ",") {
		prefix, err := netip.ParsePrefix(strings.TrimSpace(p))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, prefix)
	}
	return out
}
