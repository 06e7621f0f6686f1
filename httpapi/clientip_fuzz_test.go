package httpapi

import (
	"net"
	"net/netip"
	"testing"
)

// FuzzClientAddr: any peer address and X-Forwarded-For lines give, without
// panicking, the peer's host when the peer is not trusted, and otherwise an
// address that parses (or the peer's host).
func FuzzClientAddr(f *testing.F) {
	f.Add("127.0.0.1:5000", "203.0.113.1", "198.51.100.7, 10.0.0.1")
	f.Add("127.0.0.1:5000", "", "")
	f.Add("10.0.0.2:1", ",,,", " , 10.0.0.3")
	f.Add("[::1]:80", "2001:db8::1", "::ffff:10.0.0.9")
	f.Add("198.51.100.1:443", "203.0.113.1", "")
	f.Add("not an address", "1.2.3.4", "5.6.7.8")
	f.Add("10.0.0.2:1", "fe80::1%eth0", "1.2.3.4:80")
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("::1/128")}
	f.Fuzz(func(t *testing.T, remote, line1, line2 string) {
		got := clientAddr(remote, []string{line1, line2}, trusted)
		host, _, err := net.SplitHostPort(remote)
		if err != nil {
			host = remote
		}
		if got == host {
			return
		}
		peer, err := netip.ParseAddr(host)
		if err != nil || !slicesContain(trusted, peer) {
			t.Fatalf("untrusted peer %q named itself %q", remote, got)
		}
		if _, err := netip.ParseAddr(got); err != nil {
			t.Fatalf("client address %q is not an address", got)
		}
	})
}

func slicesContain(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}
