// Package ops holds what operators need from every request and replica:
// request ids, structured access logs, Prometheus metrics (with labels the
// server chooses, never the client), CORS, allowed hosts, and the health and
// readiness endpoints. It wraps the faces and knows nothing of their
// routes or of the rules.
package ops

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/db"
)

// RequestIDHeader carries the request id in both directions: a caller (or a
// load balancer) may set it, and every response returns it.
const RequestIDHeader = "X-Request-Id"

type ctxKey int

const (
	requestIDKey ctxKey = iota
	routeKey
)

// RequestID returns the id of the request ctx belongs to, for log lines.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// SetRoute names the route a request matched, for metrics and logs, where
// the handler routes by itself below one mux pattern (as REST does).
func SetRoute(r *http.Request, route string) {
	if p, ok := r.Context().Value(routeKey).(*string); ok {
		*p = route
	}
}

// Observer logs and counts requests. It keeps no state that matters beyond
// the process: counters are per replica, as Prometheus expects.
type Observer struct {
	Logger    *slog.Logger
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	graphql   *prometheus.CounterVec
	queries   prometheus.Counter
	// The live feed's figures, by transport (websocket, sse).
	streamConns   *prometheus.GaugeVec
	subscriptions *prometheus.GaugeVec
	delivered     *prometheus.CounterVec
	dropped       *prometheus.CounterVec
	// operations are the GraphQL operation names that get a label of
	// their own; replaced whole, so a reload never shows half a set.
	operations atomic.Pointer[map[string]bool]
}

// NewObserver registers the service's metrics; bdb, when given, adds the
// connection pool's figures and a count of SQL statements.
func NewObserver(logger *slog.Logger, bdb *bun.DB) *Observer {
	o := &Observer{Logger: slog.New(WithRequestIDs(logger.Handler())), registry: prometheus.NewRegistry()}
	o.operations.Store(&map[string]bool{})
	o.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "callcfg_http_requests_total",
		Help: "HTTP requests by route, method and status code.",
	}, []string{"route", "method", "code"})
	o.durations = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "callcfg_http_request_duration_seconds",
		Help:    "HTTP request durations by route and method.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "method"})
	o.graphql = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "callcfg_graphql_operations_total",
		Help: "GraphQL operations by operation name, type and outcome (ok or the first error's code).",
	}, []string{"operation", "type", "outcome"})
	o.queries = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "callcfg_db_statements_total",
		Help: "SQL statements sent to the database.",
	})
	o.streamConns = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "callcfg_subscription_connections",
		Help: "Open subscription connections (WebSockets, Server-Sent Events streams) by transport.",
	}, []string{"transport"})
	o.subscriptions = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "callcfg_subscriptions_active",
		Help: "Active GraphQL subscriptions by transport.",
	}, []string{"transport"})
	o.delivered = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "callcfg_subscription_changes_delivered_total",
		Help: "Changes delivered to subscribers, by transport.",
	}, []string{"transport"})
	o.dropped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "callcfg_subscribers_dropped_total",
		Help: "Subscriptions the server ended, by transport and reason (too_slow, unauthenticated, not_found, shutdown).",
	}, []string{"transport", "reason"})
	o.registry.MustRegister(o.requests, o.durations, o.graphql, o.queries,
		o.streamConns, o.subscriptions, o.delivered, o.dropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if bdb != nil {
		o.registry.MustRegister(collectors.NewDBStatsCollector(bdb.DB, "callcfg"))
		db.OnStatement(bdb, o.queries.Inc)
	}
	return o
}

// The live feed's metrics (feed.Metrics): its transports and reasons are
// the server's own few words.

func (o *Observer) ConnectionOpened(transport string) { o.streamConns.WithLabelValues(transport).Inc() }
func (o *Observer) ConnectionClosed(transport string) { o.streamConns.WithLabelValues(transport).Dec() }
func (o *Observer) SubscriptionStarted(transport string) {
	o.subscriptions.WithLabelValues(transport).Inc()
}
func (o *Observer) SubscriptionEnded(transport string) {
	o.subscriptions.WithLabelValues(transport).Dec()
}
func (o *Observer) Delivered(transport string) { o.delivered.WithLabelValues(transport).Inc() }
func (o *Observer) Dropped(transport, reason string) {
	o.dropped.WithLabelValues(transport, reason).Inc()
}

// Label values of GraphQL operations that are not known by name.
const (
	OperationAnonymous = "anonymous" // the operation has no name
	OperationOther     = "other"     // a name the operator did not list
)

// Bounds on the operation names that get a label of their own: together
// with the few types and outcomes they bound the series of
// callcfg_graphql_operations_total.
const (
	MaxOperationNames     = 200
	MaxOperationNameChars = 64
)

// ObserveGraphQL counts one GraphQL operation. The name is a client's
// choice, so it becomes a label only when the operator listed it (see
// SetOperationNames); any other name is counted as "other", so that clients
// cannot grow the metrics.
func (o *Observer) ObserveGraphQL(operation, opType, outcome string) {
	switch {
	case operation == "":
		operation = OperationAnonymous
	case !(*o.operations.Load())[operation]:
		operation = OperationOther
	}
	o.graphql.WithLabelValues(operation, opType, outcome).Inc()
}

// SetOperationNames replaces, at once, the GraphQL operation names counted
// under their own label, e.g. when a list of trusted documents is reloaded.
// Names that are not valid GraphQL names of at most MaxOperationNameChars,
// or more than MaxOperationNames of them, are refused, and the names in use
// stay.
func (o *Observer) SetOperationNames(names []string) error {
	if err := checkOperationNames(names); err != nil {
		return err
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	o.operations.Store(&set)
	return nil
}

// ParseOperationNames reads a comma-separated list of operation names (the
// form of a setting), refusing what SetOperationNames would refuse.
// Spaces around names and empty entries are ignored.
func ParseOperationNames(list string) ([]string, error) {
	var names []string
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if err := checkOperationNames(names); err != nil {
		return nil, err
	}
	return names, nil
}

func checkOperationNames(names []string) error {
	if len(names) > MaxOperationNames {
		return fmt.Errorf("%d GraphQL operation names: at most %d are counted by name", len(names), MaxOperationNames)
	}
	for _, n := range names {
		if err := checkOperationName(n); err != nil {
			return err
		}
	}
	return nil
}

func checkOperationName(n string) error {
	shown := n
	if len(shown) > MaxOperationNameChars {
		shown = shown[:MaxOperationNameChars] + "…"
	}
	switch {
	case n == OperationAnonymous || n == OperationOther:
		return fmt.Errorf("GraphQL operation name %q is reserved for the operations that are not listed", n)
	case len(n) > MaxOperationNameChars:
		return fmt.Errorf("GraphQL operation name %q is longer than %d characters", shown, MaxOperationNameChars)
	case !graphQLName(n):
		return fmt.Errorf("%q is not a GraphQL operation name (letters, digits and _, not starting with a digit)", shown)
	}
	return nil
}

// graphQLName reports whether n is a Name of the GraphQL grammar:
// /[_A-Za-z][_0-9A-Za-z]*/.
func graphQLName(n string) bool {
	if n == "" {
		return false
	}
	for i, c := range n {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// MetricsHandler serves the metrics in Prometheus' text format.
func (o *Observer) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(o.registry, promhttp.HandlerOpts{})
}

// Middleware gives every request an id, then logs and counts it.
func (o *Observer) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		route := ""
		ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey, id), routeKey, &route)
		r = r.WithContext(ctx)
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if route == "" {
			route = r.Pattern // set by ServeMux on this very request
		}
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		code := strconv.Itoa(rec.status)
		method := methodLabel(r.Method)
		o.requests.WithLabelValues(route, method, code).Inc()
		o.durations.WithLabelValues(route, method).Observe(elapsed.Seconds())
		o.Logger.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", route),
			slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", elapsed),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// methodLabel is the method as a metric label: a client may send any token
// as a method, so only the standard ones are labels of their own.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recorder remembers the status and size of a response. Unwrap lets
// http.ResponseController reach the real writer's Flush and deadlines.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// WithRequestIDs makes every record logged with a request's context carry
// that request's id, so that a server error, a warning or a driver's
// complaint can be found beside the request's access line.
func WithRequestIDs(h slog.Handler) slog.Handler {
	if _, done := h.(requestIDs); done {
		return h
	}
	return requestIDs{h}
}

type requestIDs struct{ slog.Handler }

func (h requestIDs) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDs{h.Handler.WithAttrs(attrs)}
}

func (h requestIDs) WithGroup(name string) slog.Handler { return requestIDs{h.Handler.WithGroup(name)} }
