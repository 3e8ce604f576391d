// Package metrics owns connectfed's Prometheus metrics: what the server counts and times (requests
// by service, operation and result, SigV4 failures, policy denials, federation tokens, sign-ins,
// store queries, caches, invalidations from other replicas) and the /metrics handler that
// exposes them with the Go runtime's and the process's. Labels come from fixed sets only (the
// operation table, error types, statement kinds): no id, name or path reaches a label, so the
// series stay bounded whatever clients send.
//
// A nil *Recorder records nothing, so code that runs without metrics (a test, a tool) needs no
// branch.
package metrics

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Recorder holds the metrics of one server, in a registry of its own.
type Recorder struct {
	registry *prometheus.Registry

	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	sigv4Failures *prometheus.CounterVec
	denials       *prometheus.CounterVec
	tokens        *prometheus.CounterVec
	signIns       *prometheus.CounterVec
	storeDuration *prometheus.HistogramVec
	storeErrors   *prometheus.CounterVec
	// byStatement are the store series of each statement kind, made once.
	byStatement    map[string]storeSeries
	invalidations  *prometheus.CounterVec
	knownOperation map[[2]string]bool

	// ops caches the series of each (service, operation, code) a request ends with: the hot
	// path then does one map read instead of hashing label values.
	ops sync.Map // opKey → *opSeries
	// issued is connectfed_federation_tokens_total{event="issued"}, resolved once: it counts
	// every GetFederationToken, and WithLabelValues hashes its labels on every call.
	issued prometheus.Counter
}

type opKey struct{ service, operation, code string }

type storeSeries struct {
	duration prometheus.Observer
	errors   prometheus.Counter
}

type opSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// durationBuckets span a cached GetFederationToken (~100 µs) to a slow store (seconds).
var durationBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// Operation is a (service, operation) pair the server answers, for the label allowlist.
type Operation struct{ Service, Name string }

// New returns a Recorder that labels requests with the operations given and no others (an
// unknown one is counted as service and operation "none").
func New(operations []Operation) *Recorder {
	r := &Recorder{registry: prometheus.NewRegistry(), knownOperation: map[[2]string]bool{}}
	for _, op := range operations {
		r.knownOperation[[2]string{op.Service, op.Name}] = true
	}
	r.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "connectfed_requests_total",
		Help: "Requests answered, by service, operation and result code (OK, or the AWS error type)."},
		[]string{"service", "operation", "code"})
	r.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "connectfed_request_duration_seconds",
		Help: "Time to answer a request, by service and operation.", Buckets: durationBuckets},
		[]string{"service", "operation"})
	r.sigv4Failures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "connectfed_sigv4_failures_total",
		Help: "Requests refused before any operation ran because their SigV4 authentication failed, by reason (the AWS error type)."},
		[]string{"reason"})
	r.denials = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "connectfed_policy_denials_total",
		Help: "Calls IAM policies did not allow, by action; enforced is false when --iam-enforcement log let them through."},
		[]string{"action", "enforced"})
	r.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "connectfed_federation_tokens_total",
		Help: "Federation token events: issued (GetFederationToken), refreshed, revoked, reuse_detected (a used refresh token presented again)."},
		[]string{"event"})
	r.issued = r.tokens.WithLabelValues(TokenIssued)
	r.signIns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "connectfed_signins_total",
		Help: "Browser sign-ins, by method (link, saml, password) and result (ok, refused)."},
		[]string{"method", "result"})
	r.storeDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "connectfed_store_query_duration_seconds",
		Help: "Time of a store query, by statement (select, insert, update, delete, other).", Buckets: durationBuckets},
		[]string{"statement"})
	r.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "connectfed_store_query_errors_total",
		Help: "Store queries that failed (not a missing row or a taken name: the database's own failures), by statement."},
		[]string{"statement"})
	r.invalidations = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "connectfed_invalidations_received_total",
		Help: "Change announcements heard from the shared store (every replica's, this one's included), each dropping cached records, by kind of record."},
		[]string{"kind"})
	r.byStatement = map[string]storeSeries{}
	for _, stmt := range []string{"select", "insert", "update", "delete", "other"} {
		r.byStatement[stmt] = storeSeries{r.storeDuration.WithLabelValues(stmt), r.storeErrors.WithLabelValues(stmt)}
	}
	r.registry.MustRegister(r.requests, r.duration, r.sigv4Failures, r.denials, r.tokens, r.signIns,
		r.storeDuration, r.storeErrors, r.invalidations,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Handler serves the metrics in Prometheus' text format (or OpenMetrics, when asked).
func (r *Recorder) Handler() http.Handler {
	return promhttp.HandlerFor(r.registry, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Request counts and times one answered request. service and operation are labels only when
// they name an operation the server has; code is "" for a success.
func (r *Recorder) Request(service, operation, code string, d time.Duration) {
	if r == nil {
		return
	}
	if !r.knownOperation[[2]string{service, operation}] {
		service, operation = "none", "none"
	}
	if code == "" {
		code = "OK"
	}
	k := opKey{service, operation, code}
	s, ok := r.ops.Load(k)
	if !ok {
		s, _ = r.ops.LoadOrStore(k, &opSeries{count: r.requests.WithLabelValues(service, operation, code),
			duration: r.duration.WithLabelValues(service, operation)})
	}
	series := s.(*opSeries)
	series.count.Inc()
	series.duration.Observe(d.Seconds())
	r.events(operation, code)
}

// reusedToken is the error type of a refresh token presented a second time.
const reusedToken = "ReusedTokenException"

// events counts what a request meant for tokens and sign-ins: the operations that issue,
// refresh and revoke federation tokens and sign browsers in say so by their result.
func (r *Recorder) events(operation, code string) {
	ok := code == "OK"
	switch operation {
	case "GetFederationToken":
		if ok {
			r.issued.Inc()
		}
	case "Refresh":
		if ok {
			r.Token(TokenRefreshed)
		} else if code == reusedToken {
			r.Token(TokenReuseDetected)
		}
	case "Revoke":
		if ok {
			r.Token(TokenRevoked)
		}
	case "SignIn":
		r.SignIn("link", ok)
	case "PasswordSignIn":
		r.SignIn("password", ok)
	case "SAMLSignIn":
		r.SignIn("saml", ok)
	}
}

// SigV4Failure counts a request whose authentication failed; reason is the AWS error type.
func (r *Recorder) SigV4Failure(reason string) {
	if r == nil {
		return
	}
	r.sigv4Failures.WithLabelValues(reason).Inc()
}

// Denial counts a call the caller's policies did not allow.
func (r *Recorder) Denial(action string, enforced bool) {
	if r == nil {
		return
	}
	e := "false"
	if enforced {
		e = "true"
	}
	r.denials.WithLabelValues(action, e).Inc()
}

// The federation token events.
const (
	TokenIssued        = "issued"
	TokenRefreshed     = "refreshed"
	TokenRevoked       = "revoked"
	TokenReuseDetected = "reuse_detected"
)

// Token counts a federation token event.
func (r *Recorder) Token(event string) {
	if r == nil {
		return
	}
	r.tokens.WithLabelValues(event).Inc()
}

// SignIn counts a browser sign-in by method ("link", "saml", "password"); a SAML sign-in that
// shows the role chooser counts when the choice is posted.
func (r *Recorder) SignIn(method string, ok bool) {
	if r == nil {
		return
	}
	result := "refused"
	if ok {
		result = "ok"
	}
	r.signIns.WithLabelValues(method, result).Inc()
}

// StoreQuery times a store query and counts its failure. A nil *Recorder's is a no-op.
func (r *Recorder) StoreQuery(query string, d time.Duration, failed bool) {
	if r == nil {
		return
	}
	s := r.byStatement[Statement(query)]
	s.duration.Observe(d.Seconds())
	if failed {
		s.errors.Inc()
	}
}

// Statement is a query's kind, by its first word: select, insert, update, delete or other.
func Statement(query string) string {
	q := strings.TrimSpace(query)
	word, _, _ := strings.Cut(q, " ")
	switch w := strings.ToLower(word); w {
	case "select", "insert", "update", "delete":
		return w
	}
	return "other"
}

// Invalidation counts a change another replica announced.
func (r *Recorder) Invalidation(kind string) {
	if r == nil {
		return
	}
	r.invalidations.WithLabelValues(kind).Inc()
}

// CacheStats is a cache the metrics read at each scrape: its hits and misses so far.
type CacheStats interface {
	Stats() (hits, misses uint64)
}

// Caches exposes the hits and misses of named caches as connectfed_cache_requests_total.
func (r *Recorder) Caches(caches map[string]CacheStats) {
	if r == nil || len(caches) == 0 {
		return
	}
	r.registry.MustRegister(&cacheCollector{caches: caches, desc: prometheus.NewDesc("connectfed_cache_requests_total",
		"Cache lookups, by cache and result (hit, miss).", []string{"cache", "result"}, nil)})
}

type cacheCollector struct {
	caches map[string]CacheStats
	desc   *prometheus.Desc
}

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	for name, s := range c.caches {
		hits, misses := s.Stats()
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(hits), name, "hit")
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(misses), name, "miss")
	}
}
