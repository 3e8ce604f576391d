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
}
