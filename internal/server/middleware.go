package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/awsproto"
)

// requestInfo is filled in as a request travels and read by the access log at the end. It is
// also the request's context (one allocation for both, on the hot path): it carries itself for
// info, and the request's deadline, which costs a timer only once something waits on it. A
// warm GetFederationToken waits on nothing: it reads no store.
type requestInfo struct {
	context.Context // the connection's, until the handler's own deadline

	id        string
	principal string
	operation string
	status    int
	// errorCode is the AWS error type of a failed request, for the log.
	errorCode string
	// protocol and xmlns say how to answer an error raised outside a handler (a panic).
	protocol awsproto.Protocol
	xmlns    string
	wrote    bool

	// deadline bounds the request (zero: no bound of its own); timed is the context that
	// enforces it, made on first use.
	deadline  time.Time
	timedOnce sync.Once
	timed     context.Context
	cancel    context.CancelFunc
	// writer and idHeader live here to spare the hot path two allocations.
	writer   statusWriter
	idHeader [1]string
}

type infoKey struct{}

func info(ctx context.Context) *requestInfo {
	if ri, ok := ctx.(*requestInfo); ok {
		return ri
	}
	ri, _ := ctx.Value(infoKey{}).(*requestInfo)
	if ri == nil {
		return &requestInfo{Context: ctx}
	}
	return ri
}

// Value implements context.Context: the request's info, and the parent's values.
func (ri *requestInfo) Value(key any) any {
	if key == (infoKey{}) {
		return ri
	}
	return ri.Context.Value(key)
}

// Deadline implements context.Context: the earlier of the request's and the parent's.
func (ri *requestInfo) Deadline() (time.Time, bool) {
	d, ok := ri.Context.Deadline()
	if ri.deadline.IsZero() || ok && d.Before(ri.deadline) {
		return d, ok
	}
	return ri.deadline, true
}

// Done and Err implement context.Context through the timed context, made on first use.
func (ri *requestInfo) Done() <-chan struct{} { return ri.timedContext().Done() }
func (ri *requestInfo) Err() error            { return ri.timedContext().Err() }

func (ri *requestInfo) timedContext() context.Context {
	ri.timedOnce.Do(func() {
		ri.timed = ri.Context
		if !ri.deadline.IsZero() {
			ri.timed, ri.cancel = context.WithDeadline(ri.Context, ri.deadline)
		}
	})
	return ri.timed
}

// end releases the deadline's timer, if one was made.
func (ri *requestInfo) end() {
	ri.timedOnce.Do(func() { ri.timed = ri.Context })
	if ri.cancel != nil {
		ri.cancel()
	}
}

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	ri *requestInfo
}

func (w statusWriter) WriteHeader(code int) {
	if !w.ri.wrote {
		w.ri.status, w.ri.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w statusWriter) Write(b []byte) (int, error) {
	if !w.ri.wrote {
		w.ri.status, w.ri.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// newRequestID returns a random UUID, the form AWS request ids take.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// withMiddleware gives the request an id, recovers from panics as an InternalFailure in the
// request's protocol, and logs one line. The line carries the path without its query, which
// can hold a presigned signature or a session token.
func (s *Server) withMiddleware(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	start := s.cfg.Now()
	ri := &requestInfo{Context: r.Context(), id: newRequestID()}
	if s.cfg.RequestTimeout > 0 {
		// Bounds every wait for the store, so an outage answers ServiceUnavailable rather than
		// holding the client.
		// Real time, not cfg.Now: a deadline is for timers, whatever the server's clock says.
		ri.deadline = time.Now().Add(s.cfg.RequestTimeout)
	}
	defer ri.end()
	ri.idHeader[0] = ri.id
	w.Header()[requestIDKey] = ri.idHeader[:]
	ri.writer = statusWriter{ResponseWriter: w, ri: ri}
	sw := &ri.writer
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic serving request", "request_id", ri.id, "panic", p)
			if !ri.wrote {
				awsproto.WriteError(sw, ri.protocol, ri.xmlns, ri.id, apierr.New(apierr.InternalFailure, ""))
			}
		}
		// Typed attributes, and nothing built when the level is off: this line is written for
		// every request, on the hot path.
		if s.log.Enabled(r.Context(), slog.LevelInfo) {
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", ri.id),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("principal", ri.principal),
				slog.String("operation", ri.operation),
				slog.Int("status", ri.status),
				slog.String("error", ri.errorCode),
				slog.Float64("duration_ms", float64(s.cfg.Now().Sub(start).Microseconds())/1000),
				slog.String("remote", r.RemoteAddr),
			)
		}
	}()
	next(sw, r.WithContext(ri))
}

// requestIDKey is the request id header in net/http's canonical form, set without Header.Set's
// canonicalising copy.
var requestIDKey = http.CanonicalHeaderKey(awsproto.HeaderRequestID)
