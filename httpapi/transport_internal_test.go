package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"agentdesk/graph"
)

// TestJSONPOSTAnswersLikeGqlgensPOST sends the same requests to the schema
// served by jsonPOST and by gqlgen's own POST transport: status, media type
// and decoded body must agree, for answers with data, with errors, and for
// requests that never reach an operation.
func TestJSONPOSTAnswersLikeGqlgensPOST(t *testing.T) {
	ours := graph.NewServer(graph.Config{})
	ours.AddTransport(jsonPOST{})
	stock := graph.NewServer(graph.Config{})
	stock.AddTransport(transport.POST{})

	bodies := []string{
		`{"query":"{ __typename }"}`,
		`{"query":"query Q { a: __typename b: __typename }","operationName":"Q"}`,
		`{"query":"{ viewer { id } }"}`, // an error from a directive
		`{"query":"{ __typename"}`,      // parse error
		`{"query":"{ nope }"}`,          // validation error
		`{"query":"query($n: Int!) { __typename }","variables":{"n":"x"}}`,
		`{"query":"query A { __typename } query B { __typename }"}`, // no operation chosen
		`not json`,
		``,
	}
	// Bodies that are not a GraphQL request: same status and media type,
	// but our own message with a code (gqlgen's has none of its own and
	// echoes the body).
	malformed := map[string]bool{`not json`: true, ``: true}
	accepts := []string{"", "application/json", "application/graphql-response+json",
		"application/graphql-response+json, application/json", "text/html", "*/*",
		"application/json; charset=utf-8", "text/plain, application/*"}
	for _, body := range bodies {
		for _, accept := range accepts {
			send := func(h http.Handler) (int, string, any) {
				req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if accept != "" {
					req.Header.Set("Accept", accept)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				raw, _ := io.ReadAll(rec.Body)
				var decoded any
				if err := json.Unmarshal(raw, &decoded); err != nil {
					t.Fatalf("%s (Accept %q): answer is not JSON: %s", body, accept, raw)
				}
				return rec.Code, rec.Header().Get("Content-Type"), decoded
			}
			code, mediaType, got := send(ours)
			wantCode, wantType, want := send(stock)
			if malformed[body] {
				errs, _ := got.(map[string]any)["errors"].([]any)
				ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
				if code != wantCode || mediaType != wantType || ext["code"] != "BAD_USER_INPUT" || ext["reason"] != "MALFORMED_REQUEST" {
					t.Errorf("%q (Accept %q): got %d %s %v; want %d %s and a coded error", body, accept, code, mediaType, got, wantCode, wantType)
				}
				continue
			}
			if code != wantCode || mediaType != wantType || !reflect.DeepEqual(got, want) {
				t.Errorf("%s (Accept %q):\n got %d %s %v\nwant %d %s %v", body, accept, code, mediaType, got, wantCode, wantType, want)
			}
		}
	}
}
