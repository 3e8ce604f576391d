// Package server owns connectfed's HTTP surface: the listener and its timeouts, the middleware
// every request passes (request id, access log, panic recovery, body limit), SigV4
// authentication, routing by the credential scope's service, and the handlers that translate
// between the wire (through awsproto) and the domain packages. It holds no business rules.
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
	"github.com/connectfed/connectfed/internal/connect"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/sigv4"
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
	Quotas map[Operation]Quota
	// RequestTimeout bounds how long a request may take, waiting for the store included; one
	// that runs out answers ServiceUnavailable. 0 means no bound.
	RequestTimeout time.Duration
	// TLS, when set, makes Serve answer HTTPS only, with HTTP/2 offered next to HTTP/1.1.
	TLS *tls.Config
}

// Server is connectfed's HTTP handler.
type Server struct {
	cfg      Config
	identity *identity.Service
	connect  *connect.Service
	log      *slog.Logger
	sigOpts  sigv4.Options
	// services maps a credential scope's service to its handler.
	services map[string]service
	iam, sts queryService
	// tokenAPILimit protects the token API from any one source.
	tokenAPILimit *sourceLimiter
	// sourceLimit protects the whole server from any one source; quotas emulate AWS's.
	sourceLimit *sourceLimiter
	quotas      *quotaLimiter
	// next, once set, answers every request in this server's place (HandOff).
	next atomic.Pointer[Server]
}

// New returns a server over the domain services.
func New(cfg Config, id *identity.Service, conn *connect.Service) *Server {
	if id == nil || conn == nil {
		panic("server: New without the domain services; NewStarting serves without them")
	}
	return newServer(cfg, id, conn)
}

// NewStarting returns a server for the time before the store can be opened: /healthz answers
// ok, /readyz says not ready, and every other request ServiceUnavailable in the format its
// client reads (an AWS protocol, the token API's envelope, or a page), so that clients retry
// rather than fail.
func NewStarting(cfg Config) *Server { return newServer(cfg, nil, nil) }

func newServer(cfg Config, id *identity.Service, conn *connect.Service) *Server {
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
	s := &Server{cfg: cfg, identity: id, connect: conn, log: cfg.Logger, sigOpts: sigv4.Options{Skew: cfg.Skew}}
	s.iam, s.sts = s.iamService(), s.stsService()
	s.tokenAPILimit = newSourceLimiter(cfg.TokenAPIRate, cfg.TokenAPIBurst)
	s.sourceLimit = newSourceLimiter(cfg.SourceRate, cfg.SourceBurst)
	s.quotas = newQuotaLimiter(cfg.Quotas)
	s.services = s.routeServices()
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
		}
	}
	if s.sourceLimit != nil {
		if ok, wait := s.sourceLimit.admit(r, s.cfg.Now()); !ok {
			s.throttleSource(w, r, wait)
			return
		}
	}
	if s.identity == nil {
		s.serveStarting(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/federation/v1/") {
		s.serveNative(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/federation/") {
		s.serveSignIn(w, r)
		return
	}
	s.serveAWS(w, r)
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
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		TLSConfig:         s.cfg.TLS,
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

// pingTimeout bounds a readiness check of the store.
const pingTimeout = 2 * time.Second

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.storeReady(r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("store unreachable\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// storeReady pings the store, within pingTimeout, even when ctx (a request's) has run out.
func (s *Server) storeReady(ctx context.Context) error {
	if s.identity == nil {
		return errors.New("the store is not open yet")
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pingTimeout)
	defer cancel()
	return s.identity.Ready(ctx)
}

// unavailable says whether an internal failure came from the store being out of reach, which
// clients should retry (503 ServiceUnavailable) rather than report (500): the request ran out
// of time, or the store does not answer a ping now. The ping costs a round trip on failures
// only.
func (s *Server) unavailable(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || s.storeReady(context.Background()) != nil
}

// serveStarting answers a request that came before the store was open (NewStarting).
func (s *Server) serveStarting(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "1")
	s.refuseUnrouted(w, r, "", "",
		apierr.New(apierr.ServiceUnavailable, "The server is starting: its store cannot be reached yet. Try again later."))
}
