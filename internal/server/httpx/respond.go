package httpx

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/store"
)

// Responder answers errors for every surface of one server.
type Responder struct {
	Log *slog.Logger
	// Ping says whether the store answers; nil while the server is starting (no store yet).
	Ping func(context.Context) error
}

// PingTimeout bounds a readiness check of the store.
const PingTimeout = 2 * time.Second

// Ready pings the store within PingTimeout, even when ctx (a request's) has run out.
func (rs *Responder) Ready(ctx context.Context) error {
	if rs.Ping == nil {
		return errors.New("the store is not open yet")
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), PingTimeout)
	defer cancel()
	return rs.Ping(ctx)
}

// unavailable says whether an internal failure came from the store being out of reach, which
// clients should retry (503 ServiceUnavailable) rather than report (500): the request ran out
// of time, or the store does not answer a ping now. The ping costs a round trip on failures
// only.
func (rs *Responder) unavailable(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || rs.Ready(context.Background()) != nil
}

// Fail answers err in the request's protocol (ri.Protocol). An error not meant for the caller
// becomes an InternalFailure, or ServiceUnavailable when the store is out of reach, and is
// logged under the request id so an operator can find it.
func (rs *Responder) Fail(w http.ResponseWriter, ri *Info, err error) {
	e := rs.Classify(ri, err)
	ri.ErrorCode = e.Spec().JSONType
	awsproto.WriteError(w, ri.Protocol, ri.XMLNS, ri.ID, e)
}

// Classify turns err into the error the caller sees, logging what the caller is not told.
func (rs *Responder) Classify(ri *Info, err error) *apierr.Error {
	e := apierr.Of(err)
	if e.Code != apierr.InternalFailure {
		return e
	}
	if errors.Is(err, store.ErrStorageFull) {
		rs.Log.Error("storage full: a write was refused", "request_id", ri.ID, "err", err)
		return apierr.New(apierr.ServiceUnavailable, "The server's storage is full or failing: the change was not made. Try again later.")
	}
	if rs.unavailable(err) {
		rs.Log.Warn("store unavailable", "request_id", ri.ID, "err", err)
		return apierr.New(apierr.ServiceUnavailable, "")
	}
	rs.Log.Error("internal error", "request_id", ri.ID, "err", err)
	return e
}

// ReadBody reads the whole body, refusing one over limit.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, apierr.New(apierr.RequestTooLarge, "Request body of %d bytes is larger than the limit of %d bytes.", r.ContentLength, limit)
	}
	if r.ContentLength == 0 {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, apierr.New(apierr.RequestTooLarge, "Request body is larger than the limit of %d bytes.", limit)
	}
	if err != nil {
		return nil, apierr.New(apierr.SerializationError, "The request body could not be read.")
	}
	return b, nil
}

// GuessProtocol picks the answer format before the credential scope is known: query-protocol
// requests are form posts or carry an Action.
func GuessProtocol(r *http.Request) awsproto.Protocol {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		return awsproto.Query
	}
	if strings.Contains(r.URL.RawQuery, "Action=") {
		return awsproto.Query
	}
	return awsproto.RestJSON
}
