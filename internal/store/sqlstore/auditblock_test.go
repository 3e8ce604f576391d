package sqlstore

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

func TestAuditBlockRoundTrip(t *testing.T) {
	events := []store.AuditEvent{
		{AccountID: "123456789012", ID: "e1", Time: time.Date(2026, 12, 6, 10, 2, 3, 456789000, time.UTC), Name: "GetFederationToken",
			Source: "connect.amazonaws.com", Username: "agent1", AccessKeyID: "ASIA1", Resources: []string{"arn:a", "arn:b", "arn:a", ""},
			ReadOnly: true, Body: []byte(`{"x":"é\u0000"}`)},
		{AccountID: "123456789012", ID: "e2", Time: time.Unix(0, 0).UTC(), Name: "CreateUser", Source: "iam.amazonaws.com"},
	}
	block := encodeAuditBlock(events)
	var got []store.AuditEvent
	r := newBlockReader(block)
	var rec blockRecord
	for r.next(&rec) {
		got = append(got, rec.event())
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	events[0].Resources = []string{"arn:a", "arn:b"} // kept once each, "" dropped
	if !reflect.DeepEqual(got, events) {
		t.Errorf("decoded %+v\nwant     %+v", got, events)
	}

	// A block cut short or with a byte changed is an error, never a panic or an endless loop.
	for n := range len(block) {
		r := newBlockReader(block[:n])
		for r.next(&rec) {
		}
		// A cut exactly between two records reads as a shorter block.
		between := n == 1 || n == len(encodeAuditBlock(events[:1]))
		if r.err == nil && !between {
			t.Errorf("a block cut at %d of %d bytes read without error", n, len(block))
		}
	}
	for i := range block {
		bad := append([]byte(nil), block...)
		bad[i] ^= 0xff
		r := newBlockReader(bad)
		for r.next(&rec) {
		}
	}
	if r := newBlockReader(nil); r.next(&rec) || !errors.Is(r.err, errBadAuditBlock) {
		t.Errorf("an empty block: err %v", r.err)
	}
}
