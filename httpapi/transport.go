package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"agentdesk/apperr"
	"agentdesk/graph"
)

// GraphQL over HTTP refuses some requests before any GraphQL runs; these
// answers are GraphQL error bodies too, with extensions.code BAD_USER_INPUT
// (the request is the client's fault) and extensions.reason saying which
// rule of the transport it broke, at the status the GraphQL-over-HTTP spec
// asks for.
const (
	reasonMethod    = "METHOD_NOT_ALLOWED"     // 405, with Allow
	reasonMediaType = "UNSUPPORTED_MEDIA_TYPE" // 415
	reasonMalformed = "MALFORMED_REQUEST"      // 400: the body or URL parameters do not decode
	reasonHandshake = "WEBSOCKET_HANDSHAKE"    // 400: a GET asking for a WebSocket is no handshake
)

// withTransportRules answers what gqlgen's transports would refuse without
// a code: methods other than GET, POST and OPTIONS (405), and POST bodies
// that are not application/json (415; gqlgen answers 400 "transport not
// supported"). A GET mutation is refused by queryGET, which has parsed it.
func withTransportRules(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodOptions:
		case http.MethodPost:
			if mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mediaType != "application/json" {
				writeTransportError(w, r, http.StatusUnsupportedMediaType, reasonMediaType,
					"Send the request as application/json (GraphQL over HTTP).")
				return
			}
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			writeTransportError(w, r, http.StatusMethodNotAllowed, reasonMethod,
				"Use POST (or GET for queries).")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// writeTransportError writes a GraphQL error response for a request that
// never became an operation.
func writeTransportError(w http.ResponseWriter, r *http.Request, status int, reason, message string) {
	writeTransportErr(w, r, status, &gqlerror.Error{Message: message,
		Extensions: map[string]any{"code": string(apperr.BadUserInput), "reason": reason}})
}

func writeTransportErr(w http.ResponseWriter, r *http.Request, status int, e *gqlerror.Error) {
	// No "data" at all: the request never began to execute.
	b, _ := json.Marshal(struct {
		Errors gqlerror.List `json:"errors"`
	}{gqlerror.List{e}})
	w.Header().Set("Content-Type", responseContentType(r.Header.Get("Accept")))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// readError answers a body that could not be read: too large (413, with the
// body limit's extensions) or cut short (400).
func readError(w http.ResponseWriter, r *http.Request, err error) {
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		writeTransportErr(w, r, http.StatusRequestEntityTooLarge,
			graph.LimitError("body", "The request body is too large (limit %d bytes).", tooLarge.Limit))
		return
	}
	writeTransportError(w, r, http.StatusBadRequest, reasonMalformed, "The request body could not be read.")
}

// malformedBody answers a POST body that is not a GraphQL request. The
// message is ours: the decoder's names Go types and gqlgen's echoed the
// whole body back.
func malformedBody(w http.ResponseWriter, r *http.Request) {
	writeTransportError(w, r, http.StatusBadRequest, reasonMalformed,
		`The body must be a JSON object: {"query": string, "operationName"?: string, "variables"?: object, "extensions"?: object}.`)
}

// queryGET is gqlgen's GET transport with the answers GraphQL over HTTP
// asks for: a mutation (or subscription) over GET is 405 with "Allow: POST"
// (gqlgen: 406 without a code), and undecodable URL parameters carry a code.
type queryGET struct{}

func (queryGET) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && r.Method == http.MethodGet
}

func (queryGET) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeTransportError(w, r, http.StatusBadRequest, reasonMalformed, "The URL's query string does not decode.")
		return
	}
	raw := &graphql.RawParams{Query: query.Get("query"), OperationName: query.Get("operationName"), Headers: r.Header}
	raw.ReadTime.Start = graphql.Now()
	for _, param := range []struct {
		name string
		dst  *map[string]any
	}{{"variables", &raw.Variables}, {"extensions", &raw.Extensions}} {
		name, dst := param.name, param.dst
		if v := query.Get(name); v != "" {
			dec := json.NewDecoder(strings.NewReader(v))
			dec.UseNumber()
			if err := dec.Decode(dst); err != nil {
				writeTransportError(w, r, http.StatusBadRequest, reasonMalformed, fmt.Sprintf("The %s parameter must be a JSON object.", name))
				return
			}
		}
	}
	raw.ReadTime.End = graphql.Now()
	contentType := responseContentType(r.Header.Get("Accept"))
	ctx := r.Context()
	oc, errs := exec.CreateOperationContext(ctx, raw)
	if errs != nil {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(statusForRequestErrors(errs, contentType))
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs))
		return
	}
	if op := oc.Doc.Operations.ForName(oc.OperationName); op == nil || op.Operation != ast.Query {
		w.Header().Set("Allow", "POST")
		writeTransportError(w, r, http.StatusMethodNotAllowed, reasonMethod, "Only queries may be sent with GET; use POST.")
		return
	}
	w.Header().Set("Content-Type", contentType)
	responses, ctx := exec.DispatchOperation(ctx, oc)
	writeResponse(w, responses(ctx))
}

// statusForRequestErrors is gqlgen's status for a request that failed to
// parse or validate: 400 for application/graphql-response+json, 422 (which
// withJSONStatus turns into 200) for application/json; 200 otherwise.
func statusForRequestErrors(errs gqlerror.List, contentType string) int {
	if errcode.GetErrorKind(errs) != errcode.KindProtocol {
		return http.StatusOK
	}
	if contentType == "application/graphql-response+json" {
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

// jsonPOST is gqlgen's POST transport with a cheaper way to write the
// response. gqlgen encodes every response with json.Marshal, which re-reads
// and compacts the data the executor has just written as compact JSON: 9% of
// an Agents page's CPU under load (docs/PERFORMANCE.md). jsonPOST writes
// {"data":…} around those bytes as they are when the response holds data and
// nothing else, and json.Marshal otherwise. A body that cannot be read or
// decoded gets a coded answer of its own (readError, malformedBody); requests
// that fail to become an operation (parse, validation or limit errors) are
// handed to transport.POST with the body restored, so those answers, status
// codes and headers stay gqlgen's own.
type jsonPOST struct{ transport.POST }

func (t jsonPOST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		readError(w, r, err)
		return
	}
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		malformedBody(w, r)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	oc, errs := exec.CreateOperationContext(ctx, &params)
	if errs != nil {
		t.operationError(w, r, oc, errs, exec)
		return
	}
	w.Header().Set("Content-Type", responseContentType(r.Header.Get("Accept")))
	responses, ctx := exec.DispatchOperation(ctx, oc)
	writeResponse(w, responses(ctx))
}

// operationError answers a request that failed to become an operation
// exactly as transport.POST does (status by the kind of error and the
// accepted media type), without handing it the body: that would parse and
// validate the query a second time (failed queries are not cached), which
// for a hostile query doubles the most expensive part of refusing it.
func (t jsonPOST) operationError(w http.ResponseWriter, r *http.Request, oc *graphql.OperationContext, errs gqlerror.List, exec graphql.GraphExecutor) {
	contentType := responseContentType(r.Header.Get("Accept"))
	w.Header().Set("Content-Type", contentType)
	status := http.StatusOK
	if errcode.GetErrorKind(errs) == errcode.KindProtocol {
		status = http.StatusUnprocessableEntity
		if contentType == "application/graphql-response+json" {
			status = http.StatusBadRequest
		}
	}
	w.WriteHeader(status)
	writeResponse(w, exec.DispatchError(graphql.WithOperationContext(r.Context(), oc), errs))
}

// maxErrors bounds the errors of one answer. Validation reports every
// problem it finds, and a query of thousands of unused variables or
// repeated directives was answered with 600 KB of errors: fifteen times the
// request. The first maxErrors are kept; a last one says how many were cut.
const maxErrors = 50

func capErrors(resp *graphql.Response) {
	if len(resp.Errors) <= maxErrors {
		return
	}
	cut := len(resp.Errors) - maxErrors
	ext := map[string]any{"code": string(apperr.BadUserInput)}
	if first := resp.Errors[0]; first != nil && first.Extensions != nil {
		ext["code"] = first.Extensions["code"]
	}
	resp.Errors = append(resp.Errors[:maxErrors:maxErrors], &gqlerror.Error{
		Message: fmt.Sprintf("%d more errors are not shown.", cut), Extensions: ext})
}

// maxResponseBytes bounds the data of one answer. An answer is held in
// memory, in its request's slot, until the client has read it: a client
// that asks for much and reads slowly held 16 to 63 MB per slot, and 32
// slots of 4 MB answers (with their encoding copies) took the process to
// 334 MB. Prices
// (a message body, introspection) keep honest pages far below it; this is
// the backstop, so the memory of the slots is at most slots × this.
const maxResponseBytes = 2 << 20

func capData(resp *graphql.Response) {
	if len(resp.Data) <= maxResponseBytes {
		return
	}
	n := len(resp.Data)
	resp.Data = nil
	resp.Errors = gqlerror.List{{
		Message: fmt.Sprintf("The answer would be %.1f MB; at most %d MB are allowed. Ask for fewer items.",
			float64(n)/(1<<20), maxResponseBytes>>20),
		Extensions: map[string]any{"code": string(apperr.BadUserInput), "limit": "response"}}}
}

// writeResponse writes a response as json.Marshal would: {"data":…} when it
// has data and nothing else (the data is the executor's compact JSON).
func writeResponse(w io.Writer, resp *graphql.Response) {
	capErrors(resp)
	capData(resp)
	if len(resp.Data) > 0 && len(resp.Errors) == 0 && len(resp.Extensions) == 0 &&
		resp.Label == "" && len(resp.Path) == 0 && resp.HasNext == nil {
		buf := make([]byte, 0, len(resp.Data)+len(`{"data":}`))
		buf = append(buf, `{"data":`...)
		buf = append(buf, resp.Data...)
		buf = append(buf, '}')
		writeSteadily(w, buf)
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		// Only a resolver's broken custom marshaller could get here; the
		// client gets what gqlgen itself would send for any other error.
		b = []byte(`{"errors":[{"message":"internal system error"}],"data":null}`)
	}
	writeSteadily(w, b)
}

// writeChunk and writeProgress set the pace a client must read its answer
// at: each writeChunk bytes must be taken within writeProgress (13 KB/s, far
// below any real network). A client that stops reading is cut off then,
// and its request gives back its slot: an outside test held every slot for
// the whole request timeout with answers it never read.
const (
	writeChunk    = 64 << 10
	writeProgress = 5 * time.Second
	// writeWithin bounds the writing of a whole answer: 2 MB in 20 s is
	// 100 KB/s, a slow mobile link.
	writeWithin = 20 * time.Second
)

// writeSteadily writes b a chunk at a time, each with its own deadline,
// and never past the deadline of the whole answer (writeWithin from now),
// so that a client reading just fast enough cannot keep its slot for long
// either.
func writeSteadily(w io.Writer, b []byte) {
	rw, ok := w.(http.ResponseWriter)
	if !ok {
		_, _ = w.Write(b)
		return
	}
	rc := http.NewResponseController(rw)
	whole := time.Now().Add(writeWithin)
	for len(b) > 0 {
		n := min(len(b), writeChunk)
		deadline := time.Now().Add(writeProgress)
		if deadline.After(whole) {
			deadline = whole
		}
		_ = rc.SetWriteDeadline(deadline) // unsupported only by test recorders
		if _, err := w.Write(b[:n]); err != nil {
			return
		}
		b = b[n:]
	}
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
