package server

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/audit"
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/server/httpx"
	"github.com/connectfed/connectfed/internal/server/tokenapi"
	"github.com/connectfed/connectfed/internal/tracing"
)

// withMiddleware gives the request an id, recovers from panics as an InternalFailure in the
// request's protocol, and logs one line. The line carries the path without its query, which
// can hold a presigned signature or a session token.
func (s *Server) withMiddleware(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	start := s.cfg.Now()
	var span trace.Span
	if tracing.Enabled() {
		// A client's traceparent makes this request a span of its trace.
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span = tracing.Start(ctx, "request", attribute.String("http.request.method", r.Method))
		r = r.WithContext(ctx)
	}
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
		s.recordFederation(r, ri, start)
		if span != nil {
			// Named for what was asked, once routing knows; the path is not an attribute (its
			// labels are ids), the request id is, to find the log line.
			if ri.Operation != "" && ri.Service != "" {
				span.SetName(ri.Service + "." + ri.Operation)
			}
			span.SetAttributes(attribute.String("connectfed.request_id", ri.ID), attribute.String("connectfed.service", ri.Service),
				attribute.String("connectfed.operation", ri.Operation), attribute.Int("http.response.status_code", ri.Status),
				attribute.String("aws.error_code", ri.ErrorCode))
			if ri.Status >= 500 {
				span.SetStatus(codes.Error, ri.ErrorCode)
			}
			span.End()
		}
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

// federationEvents are the federation operations the audit trail records.
var federationEvents = map[string]bool{"Refresh": true, "Revoke": true, "SignIn": true, "PasswordSignIn": true, "SAMLSignIn": true}

// recordFederation adds a refresh, a revocation or a sign-in to the audit trail, once the
// request knows whose account it concerns (a token that is not genuine names none, and is not
// recorded: the trail is looked up by account).
func (s *Server) recordFederation(r *http.Request, ri *httpx.Info, start time.Time) {
	if s.cfg.Audit == nil || ri.Service != tokenapi.Service || !federationEvents[ri.Operation] || ri.Account == "" {
		return
	}
	e := audit.NewEvent(start, audit.SourceFederation, ri.Operation, ri.ID)
	e.UserIdentity = audit.Identity{Type: "Unknown", ARN: ri.Principal, AccountID: ri.Account, UserName: ri.Username}
	e.SetUsername(ri.Username)
	e.RecipientAccountID, e.SourceIPAddress, e.UserAgent = ri.Account, httpx.SourceIP(r), r.UserAgent()
	if a, err := arn.Parse(ri.Principal); err == nil {
		e.AWSRegion = a.Region
	}
	e.SetResources(ri.Account, ri.Principal)
	e.ErrorCode = ri.ErrorCode
	s.cfg.Audit.Record(e)
}
