package httpapi

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/vektah/gqlparser/v2/ast"
	"gorm.io/gorm"

	"agentdesk/graph"
	"agentdesk/jobs"
	"agentdesk/reqctx"
)

// metrics are what /metrics exposes (Prometheus).
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	// events counts what subscriptions send: an event is not a request.
	events prometheus.Counter
}

func newMetrics(db *gorm.DB, statements func() float64) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "agentdesk_graphql_requests_total",
			Help: "GraphQL operations by operation (type and first root field)."}, []string{"operation"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "agentdesk_graphql_request_duration_seconds",
			Help: "GraphQL operation latency.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}},
			[]string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "agentdesk_graphql_errors_total",
			Help: "GraphQL errors by extensions.code."}, []string{"code"}),
		events: prometheus.NewCounter(prometheus.CounterOpts{Name: "agentdesk_subscription_events_total",
			Help: "Events sent to running subscriptions (agentdesk_graphql_requests_total counts each subscription once, when it starts; the error that ends a subscription, e.g. FORBIDDEN when its permission is gone, is sent by the transport and counted in neither)."}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.errors, m.events,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		emailCollector{db: db, desc: prometheus.NewDesc("agentdesk_emails", "Outbox emails by state.", []string{"state"}, nil)},
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "agentdesk_sql_statements_total",
			Help: "SQL statements run by this process."}, statements))
	if sqlDB, err := db.DB(); err == nil {
		m.registry.MustRegister(collectors.NewDBStatsCollector(sqlDB, "agentdesk"))
	}
	return m
}

// operationLabel names an operation by its type and first root field: bounded
// by the schema, unlike client-chosen operation names, so clients cannot
// blow up the metrics' cardinality.
func operationLabel(oc *graphql.OperationContext) string {
	if oc == nil || oc.Operation == nil {
		return "invalid"
	}
	name := "unknown"
	fields := graphql.CollectFields(oc, oc.Operation.SelectionSet, nil)
	if len(fields) > 0 {
		name = fields[0].Name
	}
	return string(oc.Operation.Operation) + ":" + name
}

// observe is the response middleware: counts, latency, errors by code, and
// one log line per operation with the request id. A subscription's
// responses are its events: they only add to the events counter (and the
// errors), since the operation was counted and logged once when it started
// (observeSubscriptions); a change heard by a thousand subscribers would
// otherwise write a thousand log lines and latencies that mean nothing.
func (m *metrics) observe(log *slog.Logger) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		start := time.Now()
		resp := next(ctx)
		var oc *graphql.OperationContext
		if graphql.HasOperationContext(ctx) {
			oc = graphql.GetOperationContext(ctx)
		}
		if started, _ := ctx.Value(subscriptionStarted{}).(bool); started {
			m.events.Inc()
			m.countErrors(resp)
			return resp
		}
		op := operationLabel(oc)
		elapsed := time.Since(start)
		if oc != nil && !oc.Stats.OperationStart.IsZero() {
			elapsed = time.Since(oc.Stats.OperationStart)
		}
		m.requests.WithLabelValues(op).Inc()
		m.latency.WithLabelValues(op).Observe(elapsed.Seconds())
		log.InfoContext(ctx, "graphql", "request_id", reqctx.RequestID(ctx), "operation", op, "operation_name", operationName(oc),
			"duration_ms", float64(elapsed.Microseconds())/1000, "errors", strings.Join(m.countErrors(resp), ","))
		return resp
	}
}

// subscriptionStarted marks the context of a subscription that started
// (observeSubscriptions logged it): its responses are events. A
// subscription refused before it starts (its variables, the shape limits)
// never gets here and is logged by observe like any refused operation;
// judging by the operation's type alone, a client could send any number of
// refused operations that the log never shows, by naming them
// subscriptions.
type subscriptionStarted struct{}

// observeSubscriptions is the operation middleware that counts and logs a
// subscription once, when it starts (observe does the other operations).
func (m *metrics) observeSubscriptions(log *slog.Logger) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if oc := graphql.GetOperationContext(ctx); isSubscription(oc) {
			op := operationLabel(oc)
			m.requests.WithLabelValues(op).Inc()
			log.InfoContext(ctx, "graphql", "request_id", reqctx.RequestID(ctx), "operation", op,
				"operation_name", operationName(oc))
			ctx = context.WithValue(ctx, subscriptionStarted{}, true)
		}
		return next(ctx)
	}
}

func isSubscription(oc *graphql.OperationContext) bool {
	return oc != nil && oc.Operation != nil && oc.Operation.Operation == ast.Subscription
}

// operationName is the client's name of the operation, cut to 64 bytes for
// the log.
func operationName(oc *graphql.OperationContext) string {
	if oc == nil {
		return ""
	}
	name := oc.OperationName
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// countErrors counts resp's errors by code and returns the codes.
func (m *metrics) countErrors(resp *graphql.Response) []string {
	if resp == nil {
		return nil
	}
	var codes []string
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		m.errors.WithLabelValues(code).Inc()
		codes = append(codes, code)
	}
	return codes
}

// rateLimitCollectors expose the sizes of the public-operation limiters'
// tables, which RateLimits.MaxKeys bounds.
func rateLimitCollectors(srv *graph.Server) []prometheus.Collector {
	var cs []prometheus.Collector
	for limiter := range srv.RateLimitBuckets() {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "agentdesk_ratelimit_keys",
			Help: "Rate-limit buckets held, by limiter.", ConstLabels: prometheus.Labels{"limiter": limiter}},
			func() float64 { return float64(srv.RateLimitBuckets()[limiter]) }))
	}
	return cs
}

// emailCollector reports the outbox by state at each scrape.
type emailCollector struct {
	db   *gorm.DB
	desc *prometheus.Desc
}

func (c emailCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c emailCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := jobs.EmailsByState(ctx, c.db)
	if err != nil {
		return // the scrape goes on without it; the database's own metrics show why
	}
	for _, s := range jobs.EmailStates {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}
