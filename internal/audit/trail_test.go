package audit

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/store"
)

// batchStore keeps what a Trail appends; gate, when set, holds every append until it is closed.
type batchStore struct {
	store.Store
	mu      sync.Mutex
	batches [][]store.AuditEvent
	gate    chan struct{}
	entered chan struct{}
}

func (s *batchStore) AppendAuditEvents(_ context.Context, events []store.AuditEvent) error {
	if s.entered != nil {
		select {
		case s.entered <- struct{}{}:
		default:
		}
	}
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := append([]store.AuditEvent(nil), events...)
	for i := range kept {
		kept[i].Body = slices.Clone(kept[i].Body) // the writer reuses its buffer
	}
	s.batches = append(s.batches, kept)
	return nil
}

func (s *batchStore) events() []store.AuditEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []store.AuditEvent
	for _, b := range s.batches {
		all = append(all, b...)
	}
	return all
}

func testEvent(name string) *Event {
	return NewEvent(time.Date(2026, 12, 6, 10, 2, 0, 0, time.UTC), Source("connect"), name, "req-"+name)
}

// Records from many goroutines are all written, once each, in batches no larger than Batch, with
// ids of their own, whether a full batch woke the writer or Flush did.
func TestTrailWritesEveryRecordOnce(t *testing.T) {
	st := &batchStore{}
	trail := New(st, Options{Batch: 7, FlushEvery: time.Hour})
	defer trail.Close()
	const writers, each = 8, 250
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				trail.Record(testEvent(string(rune('A'+w)) + "-" + string(rune('a'+i%26))))
			}
		})
	}
	wg.Wait()
	if err := trail.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	all := st.events()
	if len(all) != writers*each {
		t.Fatalf("%d records written, want %d", len(all), writers*each)
	}
	ids := map[string]bool{}
	for _, e := range all {
		if ids[e.ID] {
			t.Fatalf("event id %s given twice", e.ID)
		}
		ids[e.ID] = true
		if u, err := uuid.Parse(e.ID); err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("event id %q: not a version 4 UUID (%v)", e.ID, err)
		}
	}
	for _, b := range st.batches {
		if len(b) > 7 {
			t.Fatalf("a batch of %d records, want at most 7", len(b))
		}
	}
	rec, err := decodeRecord(all[0])
	if err != nil || rec.EventTime != "2026-12-06T10:02:00Z" || rec.EventID != all[0].ID {
		t.Errorf("stored record: time %q id %q (%v), want 2026-12-06T10:02:00Z and %s", rec.EventTime, rec.EventID, err, all[0].ID)
	}
}

// While the store is slow, a Trail holds four batches; the next Record waits for room rather
// than dropping a record, and everything is written once the store answers.
func TestTrailWaitsForRoomAndDropsNothing(t *testing.T) {
	st := &batchStore{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	trail := New(st, Options{Batch: 2, FlushEvery: time.Hour})
	trail.Record(testEvent("first"))
	trail.Record(testEvent("second")) // a full batch: the writer takes it, and waits on the store
	<-st.entered
	for range 8 { // four batches pending
		trail.Record(testEvent("pending"))
	}
	recorded := make(chan struct{})
	go func() {
		trail.Record(testEvent("waits"))
		close(recorded)
	}()
	select {
	case <-recorded:
		t.Fatal("a Record past four pending batches returned while the store was still writing")
	case <-time.After(50 * time.Millisecond):
	}
	close(st.gate)
	<-recorded
	trail.Close()
	if n := len(st.events()); n != 11 {
		t.Errorf("%d records written after Close, want 11", n)
	}
	if err := trail.Flush(t.Context()); err != nil {
		t.Errorf("Flush after Close: %v", err)
	}
	// A request that outlives the shutdown records into a closed trail: it returns at once,
	// however many do, rather than waiting for a writer that is gone.
	late := make(chan struct{})
	go func() {
		for range 20 {
			trail.Record(testEvent("late"))
		}
		close(late)
	}()
	select {
	case <-late:
	case <-time.After(10 * time.Second):
		t.Fatal("Record after Close waited")
	}
}

func TestNilTrailRecordsNothing(t *testing.T) {
	var trail *Trail
	trail.Record(testEvent("x"))
	trail.Close()
	if err := trail.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// SetCaller writes each kind of caller as CloudTrail does.
func TestSetCaller(t *testing.T) {
	session := identity.Principal{Kind: identity.AssumedRole, AccountID: "123456789012", UserID: "AROAEXAMPLE:agent1",
		ARN: "arn:aws:sts::123456789012:assumed-role/ConnectAgent/agent1", RoleName: "ConnectAgent", RoleID: "AROAEXAMPLE",
		RolePath: "/agents/", SessionName: "agent1", AccessKeyID: "ASIAEXAMPLE"}
	e := testEvent("GetFederationToken")
	e.SetCaller(session)
	e.SetResources("123456789012", "arn:aws:connect:us-east-1:123456789012:instance/i-1", "*", "arn:aws:connect:us-east-1:123456789012:instance/i-1/agent/*")
	sc := e.UserIdentity.SessionContext
	if e.UserIdentity.Type != "AssumedRole" || e.username != "agent1" || sc == nil ||
		sc.SessionIssuer != (Issuer{Type: "Role", PrincipalID: "AROAEXAMPLE", ARN: "arn:aws:iam::123456789012:role/agents/ConnectAgent", AccountID: "123456789012", UserName: "ConnectAgent"}) ||
		sc.Attributes["mfaAuthenticated"] != "false" {
		t.Errorf("role session: %+v, session context %+v, username %q", e.UserIdentity, sc, e.username)
	}
	if len(e.Resources) != 1 || e.Resources[0].Type != "AWS::Connect::Instance" {
		t.Errorf("resources %+v, want the instance alone (patterns dropped)", e.Resources)
	}
	e = testEvent("CreateUser")
	e.SetCaller(identity.Principal{Kind: identity.IAMUser, AccountID: "123456789012", UserID: "AIDAEXAMPLE",
		ARN: "arn:aws:iam::123456789012:user/alice", UserName: "alice", AccessKeyID: "AKIAEXAMPLE"})
	if e.UserIdentity.SessionContext != nil || e.UserIdentity.Type != "IAMUser" || e.UserIdentity.UserName != "alice" || e.username != "alice" {
		t.Errorf("IAM user: %+v, username %q", e.UserIdentity, e.username)
	}
	session.RoleARN = "arn:aws:iam::123456789012:role/agents/ConnectAgent"
	e.SetCaller(session)
	if sc := e.UserIdentity.SessionContext; sc == nil || sc.SessionIssuer.ARN != session.RoleARN {
		t.Errorf("a session whose principal has its role's ARN: %+v", sc)
	}
}
