package graph_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"agentdesk/db"
	"agentdesk/httpapi"
)

func TestSessionsExpire(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		s.clock.Advance(720*time.Hour - time.Second)
		s.must(owner.Token, `{ viewer { id } }`, nil, nil)
		s.clock.Advance(time.Second)
		s.expectCode(owner.Token, `{ viewer { id } }`, nil, "UNAUTHENTICATED")
		s.expectCode("not-a-session", `{ viewer { id } }`, nil, "UNAUTHENTICATED")
	})
}

func TestGetServesQueriesOnly(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		get := func(q string) (int, string) {
			req, _ := http.NewRequest(http.MethodGet, s.http.URL+"/query?query="+url.QueryEscape(q), nil)
			req.Header.Set("Authorization", "Bearer "+owner.Token)
			res, err := s.http.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(body)
		}
		if code, body := get(`{ viewer { email } }`); code != http.StatusOK || !strings.Contains(body, owner.Email) {
			t.Fatalf("GET query: %d %s", code, body)
		}
		code, body := get(`mutation { updateWorkspace(input: {name: "Hacked"}) { workspace { name } } }`)
		if code == http.StatusOK && !strings.Contains(body, "errors") || strings.Contains(body, "Hacked") {
			t.Fatalf("GET mutation ran: %d %s", code, body)
		}
		var ws struct{ Workspace struct{ Name string } }
		s.must(owner.Token, `{ workspace { name } }`, nil, &ws)
		if ws.Workspace.Name != "Acme" {
			t.Fatalf("workspace renamed to %q by a GET", ws.Workspace.Name)
		}
	})
}

func TestProductionModeHidesTheSchema(t *testing.T) {
	s := newServer(t, db.SQLite)
	prod := httptest.NewServer(httpapi.NewHandler(httpapi.Config{Team: s.svc, Sessions: s.svc.Sessions,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Production: true, Ready: s.db.Ping}))
	defer prod.Close()
	post := func(srv *httptest.Server, q string) string {
		res, err := http.Post(srv.URL+"/query", "application/json", strings.NewReader(`{"query":`+q+`}`))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return string(body)
	}
	introspect := `"{ __schema { queryType { name } } }"`
	if body := post(s.http, introspect); !strings.Contains(body, `"Query"`) {
		t.Fatalf("development introspection: %s", body)
	}
	if body := post(prod, introspect); strings.Contains(body, `"Query"`) || !strings.Contains(body, "errors") {
		t.Fatalf("production introspection answered: %s", body)
	}
	if body := post(s.http, `"{ viewr { id } }"`); !strings.Contains(body, "Did you mean") {
		t.Fatalf("development lacks suggestions: %s", body)
	}
	if body := post(prod, `"{ viewr { id } }"`); strings.Contains(body, "Did you mean") {
		t.Fatalf("production suggests fields: %s", body)
	}
	for srv, want := range map[*httptest.Server]int{s.http: http.StatusOK, prod: http.StatusNotFound} {
		res, err := http.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("GET / = %d, want %d", res.StatusCode, want)
		}
	}
}
