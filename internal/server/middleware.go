package server

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/server/httpx"
)

// withMiddleware gives the request an id, recovers from panics as an InternalFailure in the
// request's protocol, and logs one line. The line carries the path without its query, which
// can hold a presigned signature or a session token.
func (s *Server) withMiddleware(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	start := s.cfg.Now()
	// The deadline bounds every wait for the store, so an outage answers ServiceUnavailable
	// rather than holding the client.
	ri, sw := httpx.Begin(r.Context(), w, s.cfg.RequestTimeout)
	defer ri.End()
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic serving request", "request_id", ri.ID, "panic", p)
			if !ri.Wrote {
				awsproto.WriteError(sw, ri.Protocol, ri.XMLNS, ri.ID, apierr.New(apierr.InternalFailure, ""))
			}
		}
		took := s.cfg.Now().Sub(start)
		code := ri.ErrorCode
		if code == "" && ri.Status >= 400 {
			code = "HTTP" + strconv.Itoa(ri.Status) // a refusal without an AWS error type (a page's)
		}
		s.cfg.Metrics.Request(ri.Service, ri.Operation, code, took)
		// Typed attributes, and nothing built when the level is off: this line is written for
		// every request, on the hot path.
		if s.log.Enabled(r.Context(), slog.LevelInfo) {
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", ri.ID),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("principal", ri.Principal),
				slog.String("operation", ri.Operation),
				slog.Int("status", ri.Status),
				slog.String("error", ri.ErrorCode),
				slog.Float64("duration_ms", float64(took.Microseconds())/1000),
				slog.String("remote", r.RemoteAddr),
			)
		}
	}()
	next(sw, r.WithContext(ri))
}
