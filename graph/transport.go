package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Codes of requests refused before any GraphQL is read.
const (
	// CodeBadRequest: not a well-formed GraphQL-over-HTTP request (a body
	// that is not a JSON object, a query that is not a string, variables
	// that are not an object, a POST that is not JSON, no query at all).
	CodeBadRequest = "BAD_REQUEST"
	// CodeMethodNotAllowed: a mutation over GET, or a method other than
	// GET, POST and OPTIONS (HTTP 405).
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	// CodeNotAcceptable: the Accept header admits neither JSON media type
	// (HTTP 406).
	CodeNotAcceptable = "NOT_ACCEPTABLE"
)

// The response media types of the GraphQL over HTTP spec.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// httpTransport serves GraphQL over HTTP (GET, and POST of
// application/json) as the GraphQL over HTTP spec asks, for every MUST and
// SHOULD. It stands in for gqlgen's transport.GET and transport.POST,
// which cannot be configured to: answer a document that does not parse,
// validate or coerce with 200 under application/json (they answer 422);
// leave the data entry out of a request error (they write "data": null,
// which graphql-response+json forbids beside a 4xx); refuse a mutation over
// GET with 405 and a coded error (they answer 406 without a code); weigh
// the Accept header's q-values. Everything past decoding — parsing,
// validation, extensions, execution, the error presenter, the response
// middleware — is still gqlgen's, through the GraphExecutor it hands us.
//
// It claims every method but OPTIONS (gqlgen's transport.Options answers
// that) and every request without an Upgrade header, so that a refused
// method gets a coded 405 rather than gqlgen's uncoded "transport not
// supported"; a streaming transport (SSE, websockets) added later must be
// added before it.
type httpTransport struct {
	maxBytes int64
}

var _ graphql.Transport = httpTransport{}

func (httpTransport) Supports(r *http.Request) bool {
	return r.Method != http.MethodOptions && r.Header.Get("Upgrade") == ""
}

// params is a decoded GraphQL-over-HTTP request; documentID is the
// persisted documents appendix's parameter, which gqlgen's RawParams lacks.
type params struct {
	raw        graphql.RawParams
	documentID string
}

// refusal is an answer given before GraphQL is involved.
type refusal struct {
	status int
	msg    string
	code   string
}

func badRequest(format string, args ...any) *refusal {
	return &refusal{http.StatusBadRequest, fmt.Sprintf(format, args...), CodeBadRequest}
}

func (t httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	media, ok := negotiate(r.Header.Values("Accept"))
	if !ok {
		writeRefusal(w, mediaJSON, &refusal{http.StatusNotAcceptable,
			"The Accept header admits neither application/graphql-response+json nor application/json.", CodeNotAcceptable})
		return
	}
	start := graphql.Now()
	var (
		p   *params
		ref *refusal
	)
	switch r.Method {
	case http.MethodGet:
		p, ref = t.fromQuery(r)
	case http.MethodPost:
		p, ref = t.fromBody(r)
	default:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		ref = &refusal{http.StatusMethodNotAllowed, "GraphQL is served over GET (queries) and POST.", CodeMethodNotAllowed}
	}
	if ref != nil {
		writeRefusal(w, media, ref)
		return
	}
	p.raw.Headers = r.Header
	p.raw.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	ctx := r.Context()
	if p.documentID != "" {
		ctx = context.WithValue(ctx, documentIDKey{}, p.documentID)
	}
	opCtx, errs := exec.CreateOperationContext(ctx, &p.raw)
	if errs != nil {
		// A request error: nothing ran. graphql-response+json says so with
		// 400; under application/json a client may take any other status
		// for a proxy's, so it is 200 with the errors.
		status := http.StatusOK
		if media == mediaGraphQLResponse {
			status = http.StatusBadRequest
		}
		writeRequestError(w, media, status, exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs))
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		// GET is safe: a link or a prefetch never changes data.
		err := gqlerror.Errorf("A %s cannot be sent over GET: use POST.", opCtx.Operation.Operation)
		errcode.Set(err, CodeMethodNotAllowed)
		w.Header().Set("Allow", "POST")
		writeRequestError(w, media, http.StatusMethodNotAllowed,
			exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), gqlerror.List{err}))
		return
	}
	if opCtx.Operation.Operation == ast.Subscription {
		// A request error: one response cannot carry a stream.
		err := gqlerror.Errorf("A subscription needs a stream: open a WebSocket (graphql-transport-ws) or ask for Server-Sent Events (Accept: text/event-stream).")
		errcode.Set(err, CodeBadRequest)
		status := http.StatusOK
		if media == mediaGraphQLResponse {
			status = http.StatusBadRequest
		}
		writeRequestError(w, media, status, exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), gqlerror.List{err}))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	writeResponse(w, media, responses(ctx))
}

// fromQuery reads a GET request's parameters, bounded like a POST body.
func (t httpTransport) fromQuery(r *http.Request) (*params, *refusal) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("The query string is not URL-encoded parameters.")
	}
	if paramBytes(q) > t.maxBytes {
		return nil, t.tooLarge("the query string's parameters exceed")
	}
	p := &params{documentID: q.Get("documentId")}
	p.raw.Query, p.raw.OperationName = q.Get("query"), q.Get("operationName")
	var ref *refusal
	if p.raw.Variables, ref = objectParam("variables", []byte(q.Get("variables"))); ref != nil {
		return nil, ref
	}
	if p.raw.Extensions, ref = objectParam("extensions", []byte(q.Get("extensions"))); ref != nil {
		return nil, ref
	}
	return p, p.needsDocument()
}

// tooLarge is the one answer to a request over the limit; what says which
// part is over (a POST's body, a GET's parameters).
func (t httpTransport) tooLarge(what string) *refusal {
	return &refusal{http.StatusRequestEntityTooLarge,
		fmt.Sprintf("Request too large: %s the limit of %d bytes.", what, t.maxBytes), CodeRequestTooLarge}
}

// fromBody reads a POST body of JSON, up to the limit, so that a body too
// large gets a clear 413 rather than a decoding error.
func (t httpTransport) fromBody(r *http.Request) (*params, *refusal) {
	ct := r.Header.Get("Content-Type")
	mt, ps, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != mediaJSON || (ps["charset"] != "" && !strings.EqualFold(ps["charset"], "utf-8")) {
		return nil, &refusal{http.StatusUnsupportedMediaType,
			"A GraphQL POST body must be JSON in UTF-8: send Content-Type: application/json.", CodeBadRequest}
	}
	if r.ContentLength > t.maxBytes {
		return nil, t.tooLarge("the body exceeds")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, t.maxBytes+1))
	if err != nil {
		return nil, badRequest("Could not read the request body.")
	}
	if int64(len(body)) > t.maxBytes {
		return nil, t.tooLarge("the body exceeds")
	}
	return decodeBody(body)
}

// decodeBody checks the body's shape itself: gqlgen's own answer to a body
// it cannot decode has no extensions.code and echoes the whole body back.
func decodeBody(body []byte) (*params, *refusal) {
	var wire struct {
		Query         json.RawMessage `json:"query"`
		OperationName json.RawMessage `json:"operationName"`
		Variables     json.RawMessage `json:"variables"`
		Extensions    json.RawMessage `json:"extensions"`
		DocumentID    json.RawMessage `json:"documentId"`
	}
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '{' {
		if len(trimmed) == 0 {
			return nil, badRequest("The request body is empty: send a JSON object with a query.")
		}
		if !json.Valid(trimmed) {
			return nil, badRequest("The request body is not valid JSON.")
		}
		return nil, badRequest("The request body must be a JSON object.")
	}
	if err := json.Unmarshal(body, &wire); err != nil {
		return nil, badRequest("The request body is not valid JSON.")
	}
	p := &params{}
	var ref *refusal
	for _, s := range []struct {
		name string
		raw  json.RawMessage
		into *string
	}{
		{"query", wire.Query, &p.raw.Query},
		{"operationName", wire.OperationName, &p.raw.OperationName},
		{"documentId", wire.DocumentID, &p.documentID},
	} {
		if *s.into, ref = stringParam(s.name, s.raw); ref != nil {
			return nil, ref
		}
	}
	if p.raw.Variables, ref = objectParam("variables", wire.Variables); ref != nil {
		return nil, ref
	}
	if p.raw.Extensions, ref = objectParam("extensions", wire.Extensions); ref != nil {
		return nil, ref
	}
	return p, p.needsDocument()
}

// needsDocument refuses a request that names no document at all: no query,
// no documentId, no persisted query hash.
func (p *params) needsDocument() *refusal {
	if p.raw.Query == "" && p.documentID == "" && p.raw.Extensions["persistedQuery"] == nil {
		return badRequest("The request has no query.")
	}
	return nil
}

// stringParam reads an optional string parameter; null is absent.
func stringParam(name string, raw json.RawMessage) (string, *refusal) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", badRequest("The request's %s must be a string.", name)
	}
	return s, nil
}

// objectParam reads an optional object parameter (JSON text, as a body
// member or a GET parameter); null is absent. Numbers stay json.Number,
// as gqlgen's coercion expects.
func objectParam(name string, raw []byte) (map[string]any, *refusal) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if raw[0] != '{' || dec.Decode(&m) != nil || dec.More() {
		return nil, badRequest("The request's %s must be a JSON object.", name)
	}
	return m, nil
}

// paramBytes is what a GET request carries in its query string (query,
// variables, extensions, operation name), decoded: the same bound as a
// POST body applies to it.
func paramBytes(params url.Values) int64 {
	var n int64
	for k, vs := range params {
		for _, v := range vs {
			n += int64(len(k) + len(v))
		}
	}
	return n
}

type documentIDKey struct{}

// documentIDFrom is the documentId the request sent, if any.
func documentIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(documentIDKey{}).(string)
	return id
}

// negotiate picks the response media type from the Accept headers: the
// supported type with the highest q; at equal q the one a more specific
// range names, then the one listed first; application/json when only a
// wildcard admits both, or when there is no Accept header (as the GraphQL
// over HTTP audits ask). ok is false when q=0 or no range admits either.
func negotiate(accept []string) (media string, ok bool) {
	if len(accept) == 0 {
		return mediaJSON, true
	}
	type match struct {
		q           float64
		specificity int // 3 exact, 2 application/*, 1 */*
		position    int
	}
	best := map[string]match{}
	pos := 0
	for _, header := range accept {
		for part := range strings.SplitSeq(header, ",") {
			pos++
			mt, ps, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if v, ok := ps["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
					continue
				}
			}
			for _, ours := range []string{mediaJSON, mediaGraphQLResponse} {
				spec := 0
				switch mt {
				case ours:
					spec = 3
				case "application/*":
					spec = 2
				case "*/*":
					spec = 1
				}
				// The most specific range that names a type sets its q.
				if cur, seen := best[ours]; spec > 0 && (!seen || spec > cur.specificity) {
					best[ours] = match{q: q, specificity: spec, position: pos}
				}
			}
		}
	}
	j, jok := best[mediaJSON]
	g, gok := best[mediaGraphQLResponse]
	jok, gok = jok && j.q > 0, gok && g.q > 0
	prefer := func(graphQLResponse bool) (string, bool) {
		if graphQLResponse {
			return mediaGraphQLResponse, true
		}
		return mediaJSON, true
	}
	switch {
	case !jok && !gok:
		return "", false
	case !jok || !gok:
		return prefer(gok)
	case g.q != j.q:
		return prefer(g.q > j.q)
	case g.specificity != j.specificity:
		return prefer(g.specificity > j.specificity)
	}
	return prefer(g.position < j.position)
}

func setContentType(w http.ResponseWriter, media string) {
	w.Header().Set("Content-Type", media+"; charset=utf-8")
}

var responseBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledResponse keeps the pool from holding on to the buffer of an
// unusually large answer.
const maxPooledResponse = 256 << 10

// writeResponse writes an executed operation's response as json.Marshal
// would (the same keys in the same order), without encoding its data
// again: the executor wrote it as compact JSON already, and json.Marshal
// of a json.RawMessage scans and copies all of it once more, which was a
// tenth of a page's cost. What only some responses have (errors,
// extensions, a deferred part's label and path) goes through json.Marshal.
func writeResponse(w http.ResponseWriter, media string, resp *graphql.Response) {
	buf := responseBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledResponse {
			buf.Reset()
			responseBuffers.Put(buf)
		}
	}()
	buf.Reset()
	if err := appendResponse(buf, resp); err != nil {
		// Only an extension the presenter let through could fail.
		setContentType(w, media)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(internalErrorBody))
		return
	}
	setContentType(w, media)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

func appendResponse(buf *bytes.Buffer, resp *graphql.Response) error {
	buf.WriteByte('{')
	field := func(name string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.WriteString(`"` + name + `":`)
		buf.Write(b)
		buf.WriteByte(',')
		return nil
	}
	if len(resp.Errors) > 0 {
		if err := field("errors", resp.Errors); err != nil {
			return err
		}
	}
	buf.WriteString(`"data":`)
	if resp.Data == nil {
		buf.WriteString("null")
	} else {
		buf.Write(resp.Data)
	}
	buf.WriteByte(',')
	if resp.Label != "" {
		if err := field("label", resp.Label); err != nil {
			return err
		}
	}
	if len(resp.Path) > 0 {
		if err := field("path", resp.Path); err != nil {
			return err
		}
	}
	if resp.HasNext != nil {
		if err := field("hasNext", resp.HasNext); err != nil {
			return err
		}
	}
	if len(resp.Extensions) > 0 {
		if err := field("extensions", resp.Extensions); err != nil {
			return err
		}
	}
	buf.Truncate(buf.Len() - 1) // the last comma
	buf.WriteByte('}')
	return nil
}

const internalErrorBody = `{"errors":[{"message":"A server error occurred.","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`

func writeJSON(w http.ResponseWriter, media string, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a value the presenter let through could fail; say so
		// without it.
		b = []byte(internalErrorBody)
		status = http.StatusInternalServerError
	}
	setContentType(w, media)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeRequestError writes errors raised before execution without a data
// entry: the GraphQL spec leaves it out when nothing ran, and
// graphql-response+json requires that beside a 4xx.
func writeRequestError(w http.ResponseWriter, media string, status int, resp *graphql.Response) {
	writeJSON(w, media, status, struct {
		Errors     gqlerror.List  `json:"errors"`
		Extensions map[string]any `json:"extensions,omitempty"`
	}{resp.Errors, resp.Extensions})
}

func writeRefusal(w http.ResponseWriter, media string, r *refusal) {
	writeJSON(w, media, r.status, map[string]any{
		"errors": gqlerror.List{{Message: r.msg, Extensions: map[string]any{"code": r.code}}},
	})
}
