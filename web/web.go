// Package web serves agentdesk's pages for people: the activation page an
// invitation email links to (/activate) and the reference client (/app:
// sign-in, the Agents page, conversations). The pages are static files
// embedded in the binary (HTML, CSS and JavaScript modules, no build step,
// no third-party code) that talk to the public GraphQL API only, over
// /query and its WebSocket, like any other frontend; this package knows
// nothing of GraphQL or of the rules. Routes and accessible names follow
// the contract's UI.md.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// pagePolicy is the Content-Security-Policy of every page and asset: the
// page's own scripts, styles and images only, and requests (fetch and the
// WebSocket: CSP3's 'self' covers ws:/wss: to the same host) to its own
// origin only. No inline script or style, so names an attacker typed into
// a workspace or an agent cannot run even if a bug ever put them into HTML;
// the pages set every such text with textContent.
const pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Mount adds the pages to mux: GET /activate, GET /app and everything
// below it (the client routes its own paths; /app/assets/ holds the files).
// In production, where there is no playground, GET / redirects to /app.
func Mount(mux *http.ServeMux, production bool) {
	mux.Handle("GET /activate", page("activate.html"))
	mux.Handle("GET /app", page("app.html"))
	mux.Handle("GET /app/", page("app.html"))
	mux.Handle("GET /app/assets/", assets())
	if production {
		mux.Handle("GET /{$}", http.RedirectHandler("/app", http.StatusSeeOther))
	}
}

// withPageHeaders sets the pages' policy, replacing the API's stricter one
// (default-src 'none') that the outer middleware put on every response.
func withPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", pagePolicy)
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// page serves one HTML file. It is not cached: /activate carries the
// activation token in its URL, and a new binary must not meet old pages.
func page(name string) http.Handler {
	body, err := static.ReadFile("static/" + name)
	if err != nil {
		panic(err) // the file is embedded: a missing one is a build mistake
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		withPageHeaders(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}

// assets serves the files under static/assets, and nothing else: no
// directory listings, no HTML pages through another path.
func assets() http.Handler {
	sub, err := fs.Sub(static, "static/assets")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/app/assets/")
		if name == "" || strings.HasSuffix(name, "/") || path.Clean(name) != name {
			http.NotFound(w, r)
			return
		}
		if info, err := fs.Stat(sub, name); err != nil || info.IsDir() {
			http.NotFound(w, r)
			return
		}
		withPageHeaders(w)
		// The files change with the binary; revalidating each load is cheap
		// (embed files have no modification time, so FileServer answers
		// without Last-Modified and browsers fetch again).
		w.Header().Set("Cache-Control", "no-cache")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		files.ServeHTTP(w, r2)
	})
}
