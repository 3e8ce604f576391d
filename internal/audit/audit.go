// Package audit owns connectfed's audit trail: one record in CloudTrail's event shape for every
// write (IAM, STS, Connect), every GetFederationToken, every refresh, revocation and sign-in, and
// every call IAM policies refused. It builds the records with their secrets removed, writes
// them to the store in batches off the request path (and as JSON lines to a file when asked),
// and looks them up as CloudTrail's LookupEvents does.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// Event is a CloudTrail record (the fields connectfed fills, in CloudTrail's names).
type Event struct {
	EventVersion       string          `json:"eventVersion"`
	UserIdentity       Identity        `json:"userIdentity"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode,omitempty"`
	ErrorMessage       string          `json:"errorMessage,omitempty"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	RequestID          string          `json:"requestID"`
	EventID            string          `json:"eventID"`
	ReadOnly           bool            `json:"readOnly"`
	Resources          []Resource      `json:"resources,omitempty"`
	EventType          string          `json:"eventType"`
	ManagementEvent    bool            `json:"managementEvent"`
	RecipientAccountID string          `json:"recipientAccountId"`
	EventCategory      string          `json:"eventCategory"`

	// time is EventTime as a time; username the name LookupEvents shows and finds it by.
	time     time.Time
	username string
	// session and resources hold what UserIdentity.SessionContext and Resources point at, so
	// that a record of a role session's call is one allocation. (Pooling events cost more than
	// allocating them: the writer frees them on one P and requests take them on the others.)
	session   SessionContext
	resources [2]Resource
	// typed are the resources as SetResources made them: a record whose Resources are still
	// these, of its own account, takes them back from its row's names (record.go).
	typed []Resource
	// params and response, when set, stand for RequestParameters and ResponseElements: they
	// are redacted as the record is encoded, by the writer, off the request path.
	params, response any
}

// SetParameters and SetResponse give the call's parameters and answer, which the record keeps
// with their secrets hidden (see Redacted). The values must not change once given.
func (e *Event) SetParameters(v any) { e.params = v }

// SetResponse: see SetParameters.
func (e *Event) SetResponse(v any) { e.response = v }

// Identity is CloudTrail's userIdentity.
type Identity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
}

// SessionContext is a role session's: the role it was issued for, and when.
type SessionContext struct {
	SessionIssuer Issuer            `json:"sessionIssuer"`
	Attributes    map[string]string `json:"attributes"`
}

// Issuer is the role behind a session.
type Issuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// Resource is a resource an event concerns.
type Resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type,omitempty"`
}

// Sources of the events: AWS's service endpoints, and the federation side of connectfed (its
// token API and sign-in pages), which AWS has no name for.
const (
	SourceFederation = "federation.connectfed"
	eventVersion     = "1.09"
)

// Source is the eventSource of an AWS service: connect.amazonaws.com.
func Source(service string) string { return service + ".amazonaws.com" }

// NewEvent starts an event of a call at t: the caller fills in who, what and how it ended.
func NewEvent(t time.Time, source, name, requestID string) *Event {
	t = t.UTC().Truncate(time.Second)
	// EventTime and EventID are filled in by the writer, off the request path.
	return &Event{EventVersion: eventVersion, EventSource: source, EventName: name,
		RequestID: requestID, EventType: "AwsApiCall", ManagementEvent: true,
		EventCategory: "Management", RequestParameters: nullJSON, ResponseElements: nullJSON, time: t}
}

var nullJSON = json.RawMessage("null")

// SetUsername sets the name LookupEvents shows the event under (and finds it by): an IAM user's
// name, a role session's name, "root", or a Connect user's username.
func (e *Event) SetUsername(name string) { e.username = name }

// Options configure a Trail.
type Options struct {
	// Lines, when set, receives every record as a JSON line as well (a file, stdout).
	Lines io.Writer
	// FlushEvery bounds how long a record waits to be written; Batch how many go at once.
	FlushEvery time.Duration
	Batch      int
	Log        *slog.Logger
}

// Trail writes records to the store in batches, off the request path. Record never blocks
// for the store: it appends to the pending records under a lock, and wakes the writer only
// when a batch is ready (a channel send per record woke it per record, which cost more than
// writing the record). Pending records are bounded: a Record that finds four batches waiting
// waits for room, so a record is never dropped.
type Trail struct {
	st store.Store
	o  Options

	mu      sync.Mutex
	pending []*Event
	room    *sync.Cond // signalled when the writer takes the pending records, and on Close
	kick    chan struct{}
	shut    bool // Close has begun: Record keeps nothing more

	flushReq chan chan struct{}
	stop     chan struct{}
	done     chan struct{}
	closed   sync.Once
	linesMu  sync.Mutex

	// The rest is the writer's, reused batch after batch: a batch's records are encoded one
	// after another into buf in their stored form (record.go), and into lines as JSON lines
	// when Options.Lines is set; ids draws event ids; second and secondText are the last
	// eventTime formatted.
	buf, lines []byte
	records    []store.AuditEvent
	names      []string
	ids        *eventIDs
	second     time.Time
	secondText string
}

// New starts a Trail over st; Close flushes and stops it.
func New(st store.Store, o Options) *Trail {
	if o.FlushEvery <= 0 {
		o.FlushEvery = 200 * time.Millisecond
	}
	if o.Batch <= 0 {
		// The pending records (four batches) and a batch's buffers are what the trail holds:
		// under the bench harness's GetFederationToken, batches of 2,000 took the server to
		// 165-175 MB of RSS, batches of 500 to 85 MB, at the same rate.
		o.Batch = 500
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	t := &Trail{st: st, o: o, kick: make(chan struct{}, 1), flushReq: make(chan chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{}), ids: newEventIDs()}
	t.room = sync.NewCond(&t.mu)
	go t.run()
	return t
}

// Record queues an event, which the trail owns from then on: the caller must not touch it
// again. A nil *Trail records nothing.
func (t *Trail) Record(e *Event) {
	if t == nil || e == nil {
		return
	}
	t.mu.Lock()
	for len(t.pending) >= 4*t.o.Batch && !t.shut {
		t.room.Wait()
	}
	if t.shut { // a request that outlived the server's shutdown: nothing is left to write it
		t.mu.Unlock()
		return
	}
	t.pending = append(t.pending, e)
	ready := len(t.pending) == t.o.Batch
	t.mu.Unlock()
	if ready {
		select {
		case t.kick <- struct{}{}:
		default: // the writer has been woken already
		}
	}
}

// Flush waits until every event recorded before it is written.
func (t *Trail) Flush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	ack := make(chan struct{})
	select {
	case t.flushReq <- ack:
	case <-t.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes what is pending and stops the Trail. Records made after Close are not written.
func (t *Trail) Close() {
	if t == nil {
		return
	}
	t.closed.Do(func() {
		close(t.stop)
		<-t.done
		t.mu.Lock()
		t.shut = true
		t.room.Broadcast()
		t.mu.Unlock()
	})
}

func (t *Trail) run() {
	defer close(t.done)
	tick := time.NewTicker(t.o.FlushEvery)
	defer tick.Stop()
	var spare []*Event
	// take writes every pending record, in batches, and keeps the emptied slice for the next
	// turn (cleared, so that written events are not kept alive).
	take := func() {
		t.mu.Lock()
		taken := t.pending
		t.pending = spare[:0]
		t.room.Broadcast()
		t.mu.Unlock()
		for rest := taken; len(rest) > 0; {
			n := min(len(rest), t.o.Batch)
			t.write(rest[:n])
			rest = rest[n:]
		}
		clear(taken)
		spare = taken
	}
	for {
		select {
		case <-t.kick:
			take()
		case <-tick.C:
			take()
		case ack := <-t.flushReq:
			take() // everything recorded before the request was sent is pending
			close(ack)
		case <-t.stop:
			take()
			return
		}
	}
}

// write stores a batch and writes its lines. A batch the store refuses is logged, by count
// only: a record holds no secret, but a log line is no place for one either way. The records'
// ids and times are set here, and their parameters and answers redacted (see AppendJSON).
func (t *Trail) write(batch []*Event) {
	buf, lines, records, names := t.buf[:0], t.lines[:0], t.records[:0], t.names[:0]
	ends := make([]int, len(batch))
	missing := 0
	for _, e := range batch {
		if e.EventID == "" {
			missing++
		}
	}
	ids := t.ids.take(missing)
	for i, e := range batch {
		if e.EventID == "" {
			e.EventID, ids = ids[:idLen], ids[idLen:]
		}
		rowTime := t.eventTime(e.time)
		if e.EventTime == "" {
			e.EventTime = rowTime
		}
		buf = e.appendRecord(buf, rowTime)
		ends[i] = len(buf)
		for _, r := range e.Resources {
			names = append(names, r.ARN)
		}
		if t.o.Lines != nil {
			lines = append(e.AppendJSON(lines), '\n')
		}
	}
	// The records' bodies and resource names are cut from buf and names once both are whole:
	// appending moves them.
	start, named := 0, names
	for i, e := range batch {
		n := len(e.Resources)
		records = append(records, e.row(named[:n:n], buf[start:ends[i]]))
		named, start = named[n:], ends[i]
	}
	t.buf, t.lines, t.records, t.names = buf, lines, records, names
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := t.st.AppendAuditEvents(ctx, records); err != nil {
		t.o.Log.Error("audit: store a batch of records", "records", len(records), "err", err)
	}
	if len(lines) > 0 {
		t.linesMu.Lock()
		_, err := t.o.Lines.Write(lines)
		t.linesMu.Unlock()
		if err != nil {
			t.o.Log.Error("audit: write records as JSON lines", "records", len(records), "err", err)
		}
	}
}

// eventTime is t as eventTime writes it; records come in bursts of the same second.
func (t *Trail) eventTime(at time.Time) string {
	if !at.Equal(t.second) || t.secondText == "" {
		t.second, t.secondText = at, eventTimeOf(at)
	}
	return t.secondText
}

// Purge deletes the records older than keep. A nil *Trail keeps none to delete.
func (t *Trail) Purge(ctx context.Context, now time.Time, keep time.Duration) (int, error) {
	if t == nil {
		return 0, nil
	}
	return t.st.DeleteAuditEventsBefore(ctx, now.Add(-keep))
}

// Lookup is a LookupEvents query: one attribute at most, a time range, a page.
type Lookup struct {
	AccountID        string
	Attribute, Value string
	Start, End       time.Time
	NextToken        string
	MaxResults       int
}

// Found is a record as LookupEvents lists it.
type Found struct {
	ID, Name, Source, Username, AccessKeyID string
	Time                                    time.Time
	ReadOnly                                bool
	Resources                               []Resource
	// Record is the whole record, as JSON (LookupEvents' CloudTrailEvent).
	Record string
}

// ErrBadToken is a NextToken no page of ours gave.
var ErrBadToken = errors.New("audit: not a NextToken of a lookup")

// Find answers a lookup, after writing what is queued so that it sees every call made before
// it. The NextToken is the last record's time and id. A nil *Trail finds nothing.
func (t *Trail) Find(ctx context.Context, l Lookup) ([]Found, string, error) {
	if t == nil { // no trail (serve --audit=false): nothing was recorded
		return nil, "", nil
	}
	if err := t.Flush(ctx); err != nil {
		return nil, "", err
	}
	q := store.AuditQuery{AccountID: l.AccountID, Attribute: l.Attribute, Value: l.Value, Start: l.Start, End: l.End, Limit: l.MaxResults + 1}
	if l.NextToken != "" {
		us, id, ok := strings.Cut(l.NextToken, ".")
		var micros int64
		if _, err := fmt.Sscan(us, &micros); !ok || err != nil || id == "" {
			return nil, "", ErrBadToken
		}
		q.BeforeTime, q.BeforeID = time.UnixMicro(micros).UTC(), id
	}
	events, err := t.st.LookupAuditEvents(ctx, q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(events) > l.MaxResults {
		events = events[:l.MaxResults]
		last := events[len(events)-1]
		next = fmt.Sprintf("%d.%s", last.Time.UnixMicro(), last.ID)
	}
	out := make([]Found, len(events))
	for i, e := range events {
		rec, err := decodeRecord(e)
		if err != nil {
			return nil, "", fmt.Errorf("audit: record %s: %w", e.ID, err)
		}
		out[i] = Found{ID: e.ID, Name: e.Name, Source: e.Source, Username: e.Username, AccessKeyID: e.AccessKeyID, Time: e.Time,
			ReadOnly: e.ReadOnly, Resources: rec.Resources, Record: string(rec.AppendJSON(nil))}
	}
	return out, next, nil
}
