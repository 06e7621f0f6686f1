package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"agentdesk/reqctx"
)

// withClientIP finds the client's address (see clientAddr).
func withClientIP(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted)
		next.ServeHTTP(w, r.WithContext(reqctx.WithClientIP(r.Context(), ip)))
	})
}

// clientAddr is the connection's peer, unless that peer is a trusted proxy,
// in which case it is the nearest address in X-Forwarded-For that is not a
// trusted proxy. Untrusted peers cannot choose their address by sending the
// header. Every header line counts, in order, as if joined by commas (RFC
// 9110 §5.3): a proxy that appends its own line after the client's puts the
// address it saw last, and reading only the first line would let the client
// name itself. A hop that is not an address ends the walk at the last
// trusted one.
func clientAddr(remoteAddr string, forwardedFor []string, trusted []netip.Prefix) string {
	isTrusted := func(a netip.Addr) bool {
		return slices.ContainsFunc(trusted, func(p netip.Prefix) bool { return p.Contains(a.Unmap()) })
	}
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(peer) {
		return host
	}
	ip := host
	for i := len(forwardedFor) - 1; i >= 0; i-- {
		line := forwardedFor[i]
		for line != "" {
			cut := strings.LastIndexByte(line, ',')
			hop, err := netip.ParseAddr(strings.TrimSpace(line[cut+1:]))
			if err != nil {
				return ip
			}
			ip = hop.Unmap().String()
			if !isTrusted(hop) {
				return ip
			}
			line = line[:max(cut, 0)]
		}
	}
	return ip
}

// withCORS lets the listed browser origins call the API ("*": any), and in
// development (localDev) any page served from this machine, whatever its
// port (a Vite or webpack dev server). Tokens travel in the Authorization
// header, not in cookies, so credentials are never allowed.
func withCORS(allowed []string, localDev bool, next http.Handler) http.Handler {
	anyOrigin := slices.Contains(allowed, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (anyOrigin || slices.Contains(allowed, origin) || (localDev && isLocalOrigin(origin))) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", corsAllowedHeaders)
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			// A page can quote the request id of an INTERNAL answer.
			h.Set("Access-Control-Expose-Headers", "X-Request-ID")
		}
		next.ServeHTTP(w, r)
	})
}

// corsAllowedHeaders are the request headers a page may send: ours, and
// those Apollo Client adds (its client awareness and operation name).
const corsAllowedHeaders = "Authorization, Content-Type, Accept, " +
	"apollographql-client-name, apollographql-client-version, x-apollo-operation-name, apollo-require-preflight"

// isLocalOrigin reports whether origin is http://localhost or
// http://127.0.0.1, with any port or none. It compares the whole string, so
// http://localhost.evil.test or http://localhost:1@evil.test are not.
func isLocalOrigin(origin string) bool {
	for _, host := range []string{"http://localhost", "http://127.0.0.1"} {
		rest, ok := strings.CutPrefix(origin, host)
		if !ok {
			continue
		}
		if rest == "" {
			return true
		}
		port, ok := strings.CutPrefix(rest, ":")
		return ok && len(port) >= 1 && len(port) <= 5 && strings.Trim(port, "0123456789") == ""
	}
	return false
}

// withSecurityHeaders sets the headers an API's responses should carry. The
// playground page needs scripts, so its policy is set where it is served.
func withSecurityHeaders(hsts bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if r.URL.Path != "/" {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// withJSONStatus follows the GraphQL-over-HTTP spec for clients that accept
// only application/json: a document that fails to parse or validate (gqlgen
// answers 422) is answered 200 with the errors in the body. Malformed
// requests keep their 400, and clients that accept
// application/graphql-response+json keep gqlgen's status.
func withJSONStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(jsonStatusWriter{w}, r)
	})
}

type jsonStatusWriter struct{ http.ResponseWriter }

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w jsonStatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w jsonStatusWriter) WriteHeader(code int) {
	if code == http.StatusUnprocessableEntity && strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		code = http.StatusOK
	}
	w.ResponseWriter.WriteHeader(code)
}
