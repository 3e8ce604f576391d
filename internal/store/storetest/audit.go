package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// AuditEvents: appended, looked up newest first by each attribute, in a time
// range and page by page, and purged by age.
func testAuditEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	event := func(n int, account, name, user string, resources ...string) store.AuditEvent {
		return store.AuditEvent{AccountID: account, ID: fmt.Sprintf("ev-%03d", n), Time: t0.Add(time.Duration(n) * time.Minute),
			Name: name, Source: "connect.amazonaws.com", Username: user, AccessKeyID: "AKIA" + user, Resources: resources,
			ReadOnly: name == "DescribeUser", Body: []byte(fmt.Sprintf("{\"n\":%d}\x00\xff", n))}
	}
	events := []store.AuditEvent{
		event(1, accountA, "CreateUser", "ops", "arn:inst/1", "arn:inst/1/agent/a"),
		event(2, accountA, "GetFederationToken", "agent1", "arn:inst/1"),
		event(3, accountA, "DescribeUser", "ops"),
		event(4, accountB, "GetFederationToken", "agent1", "arn:inst/1"),
		event(5, accountA, "GetFederationToken", "agent2", "arn:inst/2"),
	}
	must(t, "AppendAuditEvents", s.AppendAuditEvents(ctx, events))
	ids := func(got []store.AuditEvent) []string {
		var out []string
		for _, e := range got {
			out = append(out, e.ID)
		}
		return out
	}
	lookup := func(what string, q store.AuditQuery, want ...string) []store.AuditEvent {
		t.Helper()
		got, err := s.LookupAuditEvents(ctx, q)
		must(t, "LookupAuditEvents "+what, err)
		if !slices.Equal(ids(got), want) {
			t.Errorf("LookupAuditEvents %s = %v, want %v", what, ids(got), want)
		}
		return got
	}
	all := lookup("all of account A", store.AuditQuery{AccountID: accountA}, "ev-005", "ev-003", "ev-002", "ev-001")
	if e := all[3]; !e.Time.Equal(events[0].Time.Truncate(time.Microsecond)) || !bytes.Equal(e.Body, events[0].Body) || !slices.Equal(e.Resources, events[0].Resources) ||
		e.Name != "CreateUser" || e.Username != "ops" || e.AccessKeyID != "AKIAops" || e.ReadOnly {
		t.Errorf("event read back as %+v, want %+v", e, events[0])
	}
	lookup("by name", store.AuditQuery{AccountID: accountA, Attribute: "EventName", Value: "GetFederationToken"}, "ev-005", "ev-002")
	lookup("by username", store.AuditQuery{AccountID: accountA, Attribute: "Username", Value: "ops"}, "ev-003", "ev-001")
	lookup("by id", store.AuditQuery{AccountID: accountA, Attribute: "EventId", Value: "ev-003"}, "ev-003")
	lookup("by key", store.AuditQuery{AccountID: accountA, Attribute: "AccessKeyId", Value: "AKIAagent2"}, "ev-005")
	lookup("by source", store.AuditQuery{AccountID: accountB, Attribute: "EventSource", Value: "connect.amazonaws.com"}, "ev-004")
	lookup("by resource", store.AuditQuery{AccountID: accountA, Attribute: "ResourceName", Value: "arn:inst/1"}, "ev-002", "ev-001")
	lookup("read-only", store.AuditQuery{AccountID: accountA, Attribute: "ReadOnly", Value: "true"}, "ev-003")
	lookup("in a time range", store.AuditQuery{AccountID: accountA, Start: t0.Add(2 * time.Minute), End: t0.Add(5 * time.Minute)}, "ev-003", "ev-002")
	page := lookup("a first page", store.AuditQuery{AccountID: accountA, Limit: 2}, "ev-005", "ev-003")
	lookup("the next page", store.AuditQuery{AccountID: accountA, Limit: 2, BeforeTime: page[1].Time, BeforeID: page[1].ID}, "ev-002", "ev-001")

	// Resource names match whole, LIKE's wildcards in them as written.
	must(t, "AppendAuditEvents with wildcards", s.AppendAuditEvents(ctx, []store.AuditEvent{event(6, accountA, "TagResource", "ops", "arn:x_%y")}))
	lookup("a resource with wildcards", store.AuditQuery{AccountID: accountA, Attribute: "ResourceName", Value: "arn:x_%y"}, "ev-006")
	lookup("a pattern that is not a name", store.AuditQuery{AccountID: accountA, Attribute: "ResourceName", Value: "arn:x"})
	lookup("a prefix of a name", store.AuditQuery{AccountID: accountA, Attribute: "ResourceName", Value: "arn:inst"})

	n, err := s.DeleteAuditEventsBefore(ctx, t0.Add(3*time.Minute))
	must(t, "DeleteAuditEventsBefore", err)
	if n != 2 {
		t.Errorf("DeleteAuditEventsBefore deleted %d, want 2", n)
	}
	lookup("after the purge", store.AuditQuery{AccountID: accountA}, "ev-006", "ev-005", "ev-003")
	lookup("a purged event's resource", store.AuditQuery{AccountID: accountA, Attribute: "ResourceName", Value: "arn:inst/1"})

	// Batches whose times interleave (two replicas writing at once) still list newest first,
	// a tie in time by id, page after page; a purge inside both keeps the newer records of each.
	var odd, even []store.AuditEvent
	for n := 10; n < 20; n++ {
		e := event(n, accountB, "GetFederationToken", "agent9")
		if n%2 == 0 {
			even = append(even, e)
		} else {
			odd = append(odd, e)
		}
	}
	tie := event(14, accountB, "GetFederationToken", "agent9")
	tie.ID = "ev-014b"
	odd = append(odd, tie)
	must(t, "AppendAuditEvents (even minutes)", s.AppendAuditEvents(ctx, even))
	must(t, "AppendAuditEvents (odd minutes)", s.AppendAuditEvents(ctx, odd))
	want := []string{"ev-019", "ev-018", "ev-017", "ev-016", "ev-015", "ev-014b", "ev-014", "ev-013", "ev-012", "ev-011", "ev-010", "ev-004"}
	lookup("interleaved batches", store.AuditQuery{AccountID: accountB}, want...)
	q := store.AuditQuery{AccountID: accountB, Limit: 3}
	for i := 0; i < len(want); i += 3 {
		page := lookup(fmt.Sprintf("interleaved batches, page %d", i/3+1), q, want[i:min(i+3, len(want))]...)
		if len(page) == 0 {
			break
		}
		q.BeforeTime, q.BeforeID = page[len(page)-1].Time, page[len(page)-1].ID
	}
	n, err = s.DeleteAuditEventsBefore(ctx, t0.Add(15*time.Minute))
	must(t, "DeleteAuditEventsBefore inside two batches", err)
	// ev-003, ev-005, ev-006 (account A), ev-004 and ev-010 to ev-014b: both new batches
	// straddle the time.
	if n != 10 {
		t.Errorf("DeleteAuditEventsBefore inside two batches deleted %d, want 10", n)
	}
	lookup("after a purge inside two batches", store.AuditQuery{AccountID: accountB}, want[:5]...)
	lookup("after a purge, account A", store.AuditQuery{AccountID: accountA})
}
