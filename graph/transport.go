package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// jsonPOST is gqlgen's POST transport with a cheaper way to write the
// response. gqlgen encodes every response with json.Marshal, which re-reads
// and compacts the data the executor has just written as compact JSON: 9% of
// an Agents page's CPU under load (docs/PERFORMANCE.md). jsonPOST writes
// {"data":…} around those bytes as they are when the response holds data and
// nothing else, and json.Marshal otherwise. Requests that fail before an
// operation runs (unreadable or undecodable body, parse, validation or limit
// errors) are handed to transport.POST with the body restored, so every error
// answer, status code and header stays gqlgen's own.
type jsonPOST struct{ transport.POST }

func (t jsonPOST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.POST.Do(w, r, exec)
		return
	}
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		t.delegate(w, r, body, exec)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	oc, errs := exec.CreateOperationContext(ctx, &params)
	if errs != nil {
		t.delegate(w, r, body, exec)
		return
	}
	w.Header().Set("Content-Type", responseContentType(r.Header.Get("Accept")))
	responses, ctx := exec.DispatchOperation(ctx, oc)
	writeResponse(w, responses(ctx))
}

func (t jsonPOST) delegate(w http.ResponseWriter, r *http.Request, body []byte, exec graphql.GraphExecutor) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	t.POST.Do(w, r, exec)
}

// writeResponse writes a response as json.Marshal would: {"data":…} when it
// has data and nothing else (the data is the executor's compact JSON).
func writeResponse(w io.Writer, resp *graphql.Response) {
	if len(resp.Data) > 0 && len(resp.Errors) == 0 && len(resp.Extensions) == 0 &&
		resp.Label == "" && len(resp.Path) == 0 && resp.HasNext == nil {
		buf := make([]byte, 0, len(resp.Data)+len(`{"data":}`))
		buf = append(buf, `{"data":`...)
		buf = append(buf, resp.Data...)
		buf = append(buf, '}')
		_, _ = w.Write(buf)
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		// Only a resolver's broken custom marshaller could get here; the
		// client gets what gqlgen itself would send for any other error.
		b = []byte(`{"errors":[{"message":"internal system error"}],"data":null}`)
	}
	_, _ = w.Write(b)
}

// responseContentType picks the response media type from the Accept header
// the way transport.POST does (without its configurable defaults, which
// agentdesk leaves alone): the first of application/json or
// application/graphql-response+json the client names, application/json for
// none or a wildcard, application/graphql-response+json when it names only
// other types.
func responseContentType(accept string) string {
	const (
		jsonType            = "application/json"
		graphqlResponseType = "application/graphql-response+json"
	)
	if accept == "" {
		return jsonType
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", jsonType:
			return jsonType
		case graphqlResponseType:
			return graphqlResponseType
		}
	}
	return graphqlResponseType
}
