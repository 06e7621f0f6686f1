package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"agentdesk/httpapi"
)

// TestPrivateMetricsAreOffThePublicHandler: with METRICS_ADDR the public
// handler has no /metrics, and the metrics handler serves it.
func TestPrivateMetricsAreOffThePublicHandler(t *testing.T) {
	svc, database := newTeam(t)
	h := httpapi.NewHandlers(httpapi.Config{Team: svc, Sessions: svc.Sessions, Ready: database.Ping,
		Log: quietLog(), PrivateMetrics: true})
	public, private := httptest.NewServer(h.Public), httptest.NewServer(h.Metrics)
	defer public.Close()
	defer private.Close()
	get := func(url string) (int, string) {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if code, body := get(public.URL + "/metrics"); code != http.StatusNotFound || strings.Contains(body, "agentdesk_") {
		t.Fatalf("public /metrics: %d %.200s", code, body)
	}
	if code, _ := get(public.URL + "/healthz"); code != http.StatusOK {
		t.Fatalf("public /healthz: %d", code)
	}
	if code, body := get(private.URL + "/metrics"); code != http.StatusOK || !strings.Contains(body, "agentdesk_ratelimit_keys") {
		t.Fatalf("private /metrics: %d %.200s", code, body)
	}
	if code, _ := get(private.URL + "/query"); code != http.StatusNotFound {
		t.Fatalf("the metrics listener serves /query: %d", code)
	}
}
