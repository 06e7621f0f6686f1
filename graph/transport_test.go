package graph_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestTransportFailuresAreGraphQLErrors sends every kind of request that
// fails before it becomes a GraphQL operation through the real handler:
// each answers the GraphQL-over-HTTP status (with Allow where it applies)
// and a GraphQL error body with extensions.code, and runs nothing.
func TestTransportFailuresAreGraphQLErrors(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		rename := `mutation { updateWorkspace(input: {name: "Hacked"}) { workspace { name } } }`
		query := `{"query":"{ viewer { id } }"}`
		cases := []struct {
			name, method, path, contentType, accept, body string
			status                                        int
			allow, reason                                 string
		}{
			{"mutation over GET", "GET", "/query?query=" + url.QueryEscape(rename), "", "", "", 405, "POST", "METHOD_NOT_ALLOWED"},
			{"mutation chosen by operationName over GET", "GET", "/graphql?operationName=M&query=" +
				url.QueryEscape(`query Q { viewer { id } } `+strings.Replace(rename, "mutation", "mutation M", 1)), "",
				"application/graphql-response+json", "", 405, "POST", "METHOD_NOT_ALLOWED"},
			{"text/plain body", "POST", "/query", "text/plain", "", query, 415, "", "UNSUPPORTED_MEDIA_TYPE"},
			{"no content type", "POST", "/query", "", "", query, 415, "", "UNSUPPORTED_MEDIA_TYPE"},
			{"form body", "POST", "/graphql", "application/x-www-form-urlencoded", "", "query=%7B__typename%7D", 415, "", "UNSUPPORTED_MEDIA_TYPE"},
			{"graphql body", "POST", "/query", "application/graphql", "application/graphql-response+json", "{ __typename }", 415, "", "UNSUPPORTED_MEDIA_TYPE"},
			{"malformed JSON", "POST", "/query", "application/json", "", `{"query": "{ viewer { id } }"`, 400, "", "MALFORMED_REQUEST"},
			{"malformed JSON (graphql-response)", "POST", "/query", "application/json", "application/graphql-response+json", `not json`, 400, "", "MALFORMED_REQUEST"},
			{"empty body", "POST", "/query", "application/json; charset=utf-8", "", "", 400, "", "MALFORMED_REQUEST"},
			{"query is not a string", "POST", "/query", "application/json", "", `{"query": 5}`, 400, "", "MALFORMED_REQUEST"},
			{"PUT", "PUT", "/query", "application/json", "", query, 405, "GET, POST, OPTIONS", "METHOD_NOT_ALLOWED"},
			{"DELETE", "DELETE", "/graphql", "", "", "", 405, "GET, POST, OPTIONS", "METHOD_NOT_ALLOWED"},
			{"PATCH", "PATCH", "/query", "application/json", "", query, 405, "GET, POST, OPTIONS", "METHOD_NOT_ALLOWED"},
			{"undecodable variables over GET", "GET", "/query?query=%7B__typename%7D&variables=xx", "", "", "", 400, "", "MALFORMED_REQUEST"},
			{"undecodable extensions over GET", "GET", "/query?query=%7B__typename%7D&extensions=%5B", "", "", "", 400, "", "MALFORMED_REQUEST"},
			{"undecodable query string", "GET", "/query?query=%zz", "", "", "", 400, "", "MALFORMED_REQUEST"},
			{"body over the limit", "POST", "/query", "application/json", "", `{"query":"{ __typename }","variables":{"pad":"` +
				strings.Repeat("x", 1<<20) + `"}}`, 413, "", ""},
		}
		for _, c := range cases {
			req, _ := http.NewRequest(c.method, s.http.URL+c.path, strings.NewReader(c.body))
			req.Header.Set("Authorization", "Bearer "+owner.Token)
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			if c.accept != "" {
				req.Header.Set("Accept", c.accept)
			}
			res, err := s.http.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var out gqlResponse
			if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) != 1 {
				t.Errorf("%s: not a GraphQL error body: %d %.300s", c.name, res.StatusCode, raw)
				continue
			}
			wantType := "application/json"
			if c.accept != "" {
				wantType = c.accept
			}
			if res.StatusCode != c.status || res.Header.Get("Allow") != c.allow || out.code() != "BAD_USER_INPUT" ||
				!strings.HasPrefix(res.Header.Get("Content-Type"), wantType) {
				t.Errorf("%s: %d Allow %q %s %s; want %d Allow %q BAD_USER_INPUT", c.name, res.StatusCode, res.Header.Get("Allow"),
					res.Header.Get("Content-Type"), raw, c.status, c.allow)
			}
			if reason, _ := out.Errors[0].Extensions["reason"].(string); c.reason != "" && reason != c.reason {
				t.Errorf("%s: reason %q, want %q", c.name, reason, c.reason)
			}
			if strings.Contains(string(raw), `"data"`) {
				t.Errorf("%s: a request that never executed answers data: %s", c.name, raw)
			}
			if len(raw) > 1000 {
				t.Errorf("%s: the answer echoes the request (%d bytes)", c.name, len(raw))
			}
		}
		var ws struct{ Workspace struct{ Name string } }
		s.must(owner.Token, `{ workspace { name } }`, nil, &ws)
		if ws.Workspace.Name != "Acme" {
			t.Fatalf("workspace renamed to %q by a refused request", ws.Workspace.Name)
		}
		// What is allowed still works: GET queries, OPTIONS.
		res, err := s.http.Client().Get(s.http.URL + "/query?query=" + url.QueryEscape(`{ __typename }`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET query: %d", res.StatusCode)
		}
		req, _ := http.NewRequest(http.MethodOptions, s.http.URL+"/query", nil)
		if res, err = s.http.Client().Do(req); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Allow"), "POST") {
			t.Fatalf("OPTIONS: %d %v", res.StatusCode, res.Header)
		}
	})
}
