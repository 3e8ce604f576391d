// Package server owns connectfed's listener: its timeouts and TLS, the middleware every
// request passes (request id, access log, panic recovery, the request deadline, the
// per-source limit), /healthz and /readyz, and the mounting of the surfaces, each its own
// package: the AWS API (awsapi, with the operation table), the native token API (tokenapi)
// and the sign-in pages (signin). It holds no business rules and knows no operation.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/audit"
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/connect"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/metrics"
	"github.com/connectfed/connectfed/internal/server/awsapi"
	"github.com/connectfed/connectfed/internal/server/demoidp"
	"github.com/connectfed/connectfed/internal/server/httpx"
	"github.com/connectfed/connectfed/internal/server/limit"
	"github.com/connectfed/connectfed/internal/server/signin"
	"github.com/connectfed/connectfed/internal/server/tokenapi"
)

// Config is what the server needs besides the domain services.
type Config struct {
	// Skew is the allowed difference between a request's X-Amz-Date and the server clock.
	Skew time.Duration
	// MaxBodyBytes caps a request body; larger bodies are refused with 413.
	MaxBodyBytes int64
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives one line per request; slog.Default() when nil.
	Logger *slog.Logger
	// TokenAPIRate and TokenAPIBurst bound each source address's requests to the token API
	// under /federation/v1/ (per second, and the burst above it); a rate of 0 means no limit.
	TokenAPIRate  float64
	TokenAPIBurst int
	// SourceRate and SourceBurst bound each source address's requests to every endpoint but
	// /healthz and /readyz, to protect the server (not to emulate AWS); a rate of 0 means no
	// limit.
	SourceRate  float64
	SourceBurst int
	// Quotas, when not nil, are the AWS rate quotas to emulate per account, region and
	// operation (DefaultQuotas has AWS's); an operation without one is not throttled.
	Quotas map[awsapi.OperationID]awsapi.Quota
	// RequestTimeout bounds how long a request may take, waiting for the store included; one
	// that runs out answers ServiceUnavailable. 0 means no bound.
	RequestTimeout time.Duration
	// TLS, when set, makes Serve answer HTTPS only, with HTTP/2 offered next to HTTP/1.1.
	TLS *tls.Config
	// DemoIdP, when set (serve --demo), is the demo identity provider, mounted at /demo-idp/.
	DemoIdP http.Handler
	// Metrics, when set, counts and times every request; ServeMetrics also answers GET
	// /metrics on this listener (else the caller serves Metrics.Handler elsewhere).
	Metrics      *metrics.Recorder
	ServeMetrics bool
	// Audit, when set, records every write, GetFederationToken, refresh, revocation, sign-in
	// and refused call.
	Audit *audit.Trail
	// Regions are the regions a request's credential may be scoped to: awsapi.Regions when
	// nil, any region when empty.
	Regions []string
}

// regions is the list of regions the AWS surface knows: AWS's when none was configured, every
// region when an empty list was.
func regions(configured []string) []string {
	switch {
	case configured == nil:
		return awsapi.Regions
	case len(configured) == 0:
		return nil
	}
	return configured
}

// MetricsOperations are the operations the server answers, for the metrics' labels.
func MetricsOperations() []metrics.Operation {
	var ops []metrics.Operation
	for _, op := range awsapi.Operations() {
		ops = append(ops, metrics.Operation{Service: op.Service, Name: op.Name})
	}
	for _, name := range tokenapi.Operations {
		ops = append(ops, metrics.Operation{Service: tokenapi.Service, Name: name})
	}
	for _, name := range signin.Operations {
		ops = append(ops, metrics.Operation{Service: signin.Service, Name: name})
	}
	return ops
}

// Server is connectfed's HTTP handler.
type Server struct {
	cfg  Config
	log  *slog.Logger
	resp *httpx.Responder
	// aws and tokens are nil while the server is starting (NewStarting); pages then only
	// answers error pages.
	aws    *awsapi.API
	tokens *tokenapi.API
	pages  *signin.Pages
	// sourceLimit protects the whole server from any one source; quotas emulate AWS's.
	sourceLimit *limit.Sources
	// next, once set, answers every request in this server's place (HandOff).
	next atomic.Pointer[Server]
}

// New returns a server over the domain services.
func New(cfg Config, id *identity.Service, conn *connect.Service) *Server {
	if id == nil || conn == nil {
		panic("server: New without the domain services; NewStarting serves without them")
	}
	s := newServer(cfg)
	s.resp.Ping = id.Ready
	s.aws = awsapi.New(awsapi.Config{Skew: s.cfg.Skew, MaxBodyBytes: s.cfg.MaxBodyBytes, Now: s.cfg.Now, Quotas: s.cfg.Quotas,
		Metrics: s.cfg.Metrics, Audit: s.cfg.Audit, Regions: regions(s.cfg.Regions)},
		id, conn, s.resp)
	s.tokens = tokenapi.New(conn, s.resp, limit.NewSources(cfg.TokenAPIRate, cfg.TokenAPIBurst), s.cfg.Now, s.aws.Authenticate)
	s.pages = signin.New(conn, id, s.resp, s.cfg.Now)
	return s
}

// NewStarting returns a server for the time before the store can be opened: /healthz answers
// ok, /readyz says not ready, and every other request ServiceUnavailable in the format its
// client reads (an AWS protocol, the token API's envelope, or a page), so that clients retry
// rather than fail.
func NewStarting(cfg Config) *Server { return newServer(cfg) }

func newServer(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Skew == 0 {
		cfg.Skew = 5 * time.Minute
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	s := &Server{cfg: cfg, log: cfg.Logger, resp: &httpx.Responder{Log: cfg.Logger}}
	s.pages = signin.New(nil, nil, s.resp, cfg.Now)
	s.sourceLimit = limit.NewSources(cfg.SourceRate, cfg.SourceBurst)
	return s
}

// ServeHTTP runs every request through the middleware and the routes. It routes by hand rather
// than through http.ServeMux, which answers unclean paths ("//", "/..") with a redirect: an AWS
// client must get an AWS answer for every path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if next := s.next.Load(); next != nil {
		next.ServeHTTP(w, r)
		return
	}
	s.withMiddleware(w, r, s.route)
}

// HandOff makes next answer every request s receives from now on: a NewStarting server hands
// off to the full server once the store is open, on the listener it has served all along.
func (s *Server) HandOff(next *Server) { s.next.Store(next) }

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		switch r.URL.Path {
		case "/healthz":
			s.healthz(w, r)
			return
		case "/readyz":
			s.readyz(w, r)
			return
		case "/metrics":
			if s.cfg.ServeMetrics && s.cfg.Metrics != nil {
				s.cfg.Metrics.Handler().ServeHTTP(w, r)
				return
			}
		}
	}
	if err := sizeLimits(r); err != nil {
		s.refuseUnrouted(w, r, "Request too large", "", err)
		return
	}
	if ok, wait := s.sourceLimit.Admit(r, s.cfg.Now()); !ok {
		s.throttleSource(w, r, wait)
		return
	}
	if s.aws == nil {
		s.serveStarting(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/federation/v1/") {
		s.tokens.ServeHTTP(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/federation/") {
		s.pages.ServeHTTP(w, r)
		return
	}
	if r.URL.Path == signin.SAMLPath {
		s.pages.ServeSAML(w, r)
		return
	}
	if s.cfg.DemoIdP != nil && strings.HasPrefix(r.URL.Path, demoidp.Path) {
		s.cfg.DemoIdP.ServeHTTP(w, r)
		return
	}
	s.aws.ServeHTTP(w, r)
}

// The server's limits on a request's line and headers, which AWS's front ends enforce too: no
// AWS client sends a request near them.
const (
	maxURIBytes    = 16 << 10
	maxHeaderBytes = 64 << 10
)

// sizeLimits refuses a request whose URI or headers are past the server's limits.
func sizeLimits(r *http.Request) *apierr.Error {
	if len(r.RequestURI) > maxURIBytes {
		return apierr.New(apierr.URITooLong, "The request URI is %d bytes; the limit is %d.", len(r.RequestURI), maxURIBytes)
	}
	n := 0
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4 // ": " and CRLF
		}
	}
	if n > maxHeaderBytes {
		return apierr.New(apierr.HeadersTooLarge, "The request's header fields are %d bytes; the limit is %d.", n, maxHeaderBytes)
	}
	return nil
}

// HTTPServer returns an http.Server for s with timeouts a slow client cannot hold open.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		// net/http's own limit, far past the server's (sizeLimits), so that an over-large
		// request is refused in its client's format; only one past this gets net/http's plain 431.
		MaxHeaderBytes: 1 << 20,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		TLSConfig:      s.cfg.TLS,
	}
}

// Serve answers on ln until ctx is done, then stops taking connections and lets requests in
// flight finish (for at most grace).
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := s.HTTPServer(ln.Addr().String())
	errc := make(chan error, 1)
	go func() {
		if hs.TLSConfig == nil {
			errc <- hs.Serve(ln)
			return
		}
		// ServeTLS, not Serve over a tls.Listener: it adds h2 to the offered protocols and
		// sets HTTP/2 up. The certificate is in TLSConfig, so no file names.
		errc <- hs.ServeTLS(ln, "", "")
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.resp.Ready(r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("store unreachable\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// serveStarting answers a request that came before the store was open (NewStarting).
func (s *Server) serveStarting(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "1")
	s.refuseUnrouted(w, r, "", "",
		apierr.New(apierr.ServiceUnavailable, "The server is starting: its store cannot be reached yet. Try again later."))
}

// throttleSource answers a request its source's bucket refused: 429 in the format its client
// reads, with Retry-After.
func (s *Server) throttleSource(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	limit.RetryAfter(w, wait)
	s.refuseUnrouted(w, r, "Too many requests", "Wait a moment, then try again.",
		apierr.New(apierr.SourceThrottled, "Rate exceeded: too many requests from this address (connectfed's --source-rate); slow down."))
}

// refuseUnrouted answers e to a request refused before routing, in the format its client reads:
// the token API's envelope, a page (with title and hint) under /federation/, else the AWS
// protocol of the credential scope's service, as far as the request says which.
func (s *Server) refuseUnrouted(w http.ResponseWriter, r *http.Request, title, hint string, e *apierr.Error) {
	ri := httpx.From(r.Context())
	switch {
	case strings.HasPrefix(r.URL.Path, "/federation/v1/"):
		ri.Protocol = awsproto.Native
	case strings.HasPrefix(r.URL.Path, "/federation/"):
		s.pages.FailPage(w, r, title, hint, e)
		return
	default:
		ri.Protocol, ri.XMLNS = awsapi.ScopeProtocol(r)
	}
	s.resp.Fail(w, ri, e)
}
