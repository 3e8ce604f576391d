// Package httpx holds what every surface of the server shares about one request: its Info (id,
// operation, principal, status, and the protocol an error must be answered in), which is also
// the request's context; the Responder that turns an error into the answer the caller reads and
// logs what the caller is not told; and body reading with a limit. It knows no operation and
// no domain rule.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/connectfed/connectfed/internal/awsproto"
)

// Info is filled in as a request travels and read by the access log at the end. It is also the
// request's context (one allocation for both, on the hot path): it carries itself for From,
// and the request's deadline, which costs a timer only once something waits on it. A warm
// GetFederationToken waits on nothing: it reads no store.
type Info struct {
	context.Context // the connection's, until the handler's own deadline

	ID        string
	Principal string
	// Service and Operation name what the request asked for, once it is routed: an AWS
	// service and an operation of the table, or "federation" and a token API or page
	// operation. Service stays "" for a request no route took.
	Service   string
	Operation string
	// Account and Username say, once known, whose account and which user a federation
	// request (a refresh, a sign-in) concerns, for the audit trail.
	Account, Username string
	Status            int
	// ErrorCode is the AWS error type of a failed request, for the log.
	ErrorCode string
	// Protocol and XMLNS say how to answer an error raised outside a handler (a panic).
	Protocol awsproto.Protocol
	XMLNS    string
	// Wrote is set once the status line is written.
	Wrote bool

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

// From is the Info of a request's context; a context without one gets a fresh Info, so code
// that runs outside the middleware (a test) still has somewhere to write.
func From(ctx context.Context) *Info {
	if ri, ok := ctx.(*Info); ok {
		return ri
	}
	ri, _ := ctx.Value(infoKey{}).(*Info)
	if ri == nil {
		return &Info{Context: ctx}
	}
	return ri
}

// Begin starts a request's Info over parent: a new request id, set on w as AWS's request id
// header, and a deadline when timeout is positive. It returns the writer the request must be
// answered through (it records the status). End must be called when the request is done.
func Begin(parent context.Context, w http.ResponseWriter, timeout time.Duration) (*Info, http.ResponseWriter) {
	ri := &Info{Context: parent, ID: NewRequestID()}
	if timeout > 0 {
		// Real time, not a server's test clock: a deadline is for timers.
		ri.deadline = time.Now().Add(timeout)
	}
	ri.idHeader[0] = ri.ID
	w.Header()[requestIDKey] = ri.idHeader[:]
	ri.writer = statusWriter{ResponseWriter: w, ri: ri}
	return ri, &ri.writer
}

// requestIDKey is the request id header in net/http's canonical form, set without Header.Set's
// canonicalising copy.
var requestIDKey = http.CanonicalHeaderKey(awsproto.HeaderRequestID)

// Value implements context.Context: the request's info, and the parent's values.
func (ri *Info) Value(key any) any {
	if key == (infoKey{}) {
		return ri
	}
	return ri.Context.Value(key)
}

// Deadline implements context.Context: the earlier of the request's and the parent's.
func (ri *Info) Deadline() (time.Time, bool) {
	d, ok := ri.Context.Deadline()
	if ri.deadline.IsZero() || ok && d.Before(ri.deadline) {
		return d, ok
	}
	return ri.deadline, true
}

// Done and Err implement context.Context through the timed context, made on first use.
func (ri *Info) Done() <-chan struct{} { return ri.timedContext().Done() }
func (ri *Info) Err() error            { return ri.timedContext().Err() }

func (ri *Info) timedContext() context.Context {
	ri.timedOnce.Do(func() {
		ri.timed = ri.Context
		if !ri.deadline.IsZero() {
			ri.timed, ri.cancel = context.WithDeadline(ri.Context, ri.deadline)
		}
	})
	return ri.timed
}

// End releases the deadline's timer, if one was made.
func (ri *Info) End() {
	ri.timedOnce.Do(func() { ri.timed = ri.Context })
	if ri.cancel != nil {
		ri.cancel()
	}
}

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	ri *Info
}

func (w statusWriter) WriteHeader(code int) {
	if !w.ri.Wrote {
		w.ri.Status, w.ri.Wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w statusWriter) Write(b []byte) (int, error) {
	if !w.ri.Wrote {
		w.ri.Status, w.ri.Wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// NewRequestID returns a random UUID, the form AWS request ids take.
func NewRequestID() string {
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

// SourceIP is the address a request came from (aws:SourceIp): the connection's peer, since
// connectfed reads no forwarding header a client could forge.
func SourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
