// Package reqctx carries what the HTTP layer learns about a request to the
// code that runs it: the request's id and the client's address. It is its
// own package so that graph (rate limits, error presentation) can read them
// without importing the HTTP package that sets them.
package reqctx

import (
	"context"
	"net/netip"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request's id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id of the request ctx belongs to ("" outside one).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

type clientIPKey struct{}

// WithClientIP returns ctx carrying the client's address.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP returns the client address of the request ctx belongs to.
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}

// ClientKey is the part of the client's address that one client controls,
// the key of every per-client limit: the address itself for IPv4, its /64
// for IPv6, because a single host is normally given a whole /64 and could
// otherwise take a fresh address for every attempt. A request whose address
// is unknown shares one key with every other such request rather than going
// unlimited.
func ClientKey(ctx context.Context) string {
	return keyOfIP(ClientIP(ctx))
}

func keyOfIP(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	return netip.PrefixFrom(addr.WithZone(""), 64).Masked().String()
}
