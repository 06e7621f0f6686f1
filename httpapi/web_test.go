package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"agentdesk/httpapi"
)

// The pages for people (package web) as the real handler serves them:
// their own Content-Security-Policy ('self' only), the API's stricter one
// left on /query, every file a page loads present, WEB_APP=false turning
// them off, and / redirecting to /app in production. The pages' behaviour
// is tested in a browser (web/e2e).
func TestWebPages(t *testing.T) {
	svc, database := newTeam(t)
	handler := func(production, web bool) *httptest.Server {
		srv := httptest.NewServer(httpapi.NewHandler(httpapi.Config{Team: svc, Sessions: svc.Sessions,
			Log: quietLog(), Production: production, WebApp: web, Ready: database.Ping}))
		t.Cleanup(srv.Close)
		return srv
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(srv *httptest.Server, path string) (*http.Response, string) {
		t.Helper()
		res, err := noRedirect.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}

	dev := handler(false, true)
	for _, path := range []string{"/app", "/app/", "/app/agents", "/app/conversations?attention=1", "/activate?token=abc"} {
		res, body := get(dev, path)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") || strings.Contains(csp, "http") {
			t.Errorf("GET %s: CSP allows more than 'self': %q", path, csp)
		}
		for header, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
			"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
			if got := res.Header.Get(header); got != want {
				t.Errorf("GET %s: %s = %q, want %q", path, header, got, want)
			}
		}
		if !strings.Contains(body, `<script type="module" src="/app/assets/`) {
			t.Errorf("GET %s: no module script:\n%s", path, body)
		}
	}

	// Every file the pages load, and every module those import, is
	// served with its type; nothing is inline (the CSP would refuse it),
	// and no script writes HTML from strings.
	seen := map[string]bool{}
	queue := []string{"/app", "/activate"}
	ref := regexp.MustCompile(`(?:src|href)="(/app/assets/[^"]+)"|from '\./([^']+)'|url\("([^"]+)"\)`)
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		res, body := get(dev, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		ctype := res.Header.Get("Content-Type")
		switch {
		case strings.HasSuffix(path, ".js"):
			if !strings.HasPrefix(ctype, "text/javascript") {
				t.Errorf("%s served as %q", path, ctype)
			}
			if strings.Contains(body, "innerHTML") || strings.Contains(body, "insertAdjacentHTML") || strings.Contains(body, "document.write") {
				t.Errorf("%s writes HTML from a string: names people typed must go in as text", path)
			}
			if strings.Contains(body, "eval(") || strings.Contains(body, "new Function") {
				t.Errorf("%s evaluates strings", path)
			}
		case strings.HasSuffix(path, ".css"):
			if !strings.HasPrefix(ctype, "text/css") {
				t.Errorf("%s served as %q", path, ctype)
			}
		case !strings.Contains(path, "."):
			if regexp.MustCompile(`<script>|<script(?:\s+type="module")?>|\sstyle="|\son[a-z]+="`).MatchString(body) {
				t.Errorf("%s has inline script or style", path)
			}
		}
		for _, m := range ref.FindAllStringSubmatch(body, -1) {
			switch {
			case m[1] != "":
				queue = append(queue, m[1])
			case m[2] != "":
				queue = append(queue, "/app/assets/"+m[2])
			case m[3] != "":
				queue = append(queue, "/app/assets/"+m[3])
			}
		}
	}
	for _, file := range []string{"/app/assets/app.js", "/app/assets/agents.js", "/app/assets/live.js", "/app/assets/activate.js", "/app/assets/style.css"} {
		if !seen[file] {
			t.Errorf("%s is not reached from the pages (found %v)", file, seen)
		}
	}
	for _, path := range []string{"/app/assets/", "/app/assets/missing.js", "/app/assets/%2e%2e/app.html", "/app/assets/../../web.go"} {
		if res, _ := get(dev, path); res.StatusCode == http.StatusOK {
			t.Errorf("GET %s answered 200", path)
		}
	}
	// The API keeps its own, stricter policy.
	if res, _ := get(dev, "/query?query=%7Bviewer%7Bid%7D%7D"); res.Header.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" {
		t.Errorf("/query CSP = %q", res.Header.Get("Content-Security-Policy"))
	}
	// Development: / is the playground.
	if res, body := get(dev, "/"); res.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(body), "graphiql") {
		t.Errorf("development GET / = %d", res.StatusCode)
	}

	// Production: / sends people to the client.
	prod := handler(true, true)
	if res, _ := get(prod, "/"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/app" {
		t.Errorf("production GET / = %d Location %q, want 303 /app", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := get(prod, "/app/agents"); res.StatusCode != http.StatusOK {
		t.Errorf("production GET /app/agents = %d", res.StatusCode)
	}

	// WEB_APP=false: no pages at all.
	for _, srv := range []*httptest.Server{handler(false, false), handler(true, false)} {
		for _, path := range []string{"/app", "/app/agents", "/activate?token=abc", "/app/assets/app.js"} {
			if res, _ := get(srv, path); res.StatusCode != http.StatusNotFound {
				t.Errorf("WEB_APP=false: GET %s = %d, want 404", path, res.StatusCode)
			}
		}
	}
	if res, _ := get(handler(true, false), "/"); res.StatusCode != http.StatusNotFound {
		t.Errorf("production without the web app: GET / = %d, want 404", res.StatusCode)
	}
}
