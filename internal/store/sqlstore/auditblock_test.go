package sqlstore

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/connectfed/connectfed/internal/binrec"
	"github.com/connectfed/connectfed/internal/store"
)

func TestAuditBlockRoundTrip(t *testing.T) {
	events := []store.AuditEvent{
		{AccountID: "123456789012", ID: "e1", Time: time.Date(2026, 12, 6, 10, 2, 3, 456789000, time.UTC), Name: "GetFederationToken",
			Source: "connect.amazonaws.com", Username: "agent1", AccessKeyID: "ASIA1", Resources: []string{"arn:a", "arn:b", "arn:a", ""},
			ReadOnly: true, Body: []byte(`{"x":"é\u0000"}`)},
		{AccountID: "123456789012", ID: "e2", Time: time.Unix(0, 0).UTC(), Name: "CreateUser", Source: "iam.amazonaws.com"},
	}
	block := encodeAuditBlock(&auditBuffers{}, events)
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

	// Records cut short or with a byte changed are an error, never a panic or an endless
	// loop; so is a block whose compression is damaged.
	raw := encodeRaw(t, events)
	first := len(encodeRaw(t, events[:1]))
	for n := range len(raw) {
		r := &blockReader{r: binrec.NewReader(raw[:n])}
		for r.next(&rec) {
		}
		// A cut exactly between two records reads as a shorter block.
		if r.err == nil && n != 0 && n != first {
			t.Errorf("records cut at %d of %d bytes read without error", n, len(raw))
		}
	}
	for i := range raw {
		bad := slices.Clone(raw)
		bad[i] ^= 0xff
		r := &blockReader{r: binrec.NewReader(bad)}
		for r.next(&rec) {
		}
	}
	for n := range len(block) {
		if r := newBlockReader(block[:n]); r.err == nil {
			t.Errorf("a block cut at %d of %d bytes decompressed", n, len(block))
		}
	}
	if r := newBlockReader(nil); r.next(&rec) || !errors.Is(r.err, errBadAuditBlock) {
		t.Errorf("an empty block: err %v", r.err)
	}
}

// encodeRaw is events' records as a block holds them, uncompressed.
func encodeRaw(t *testing.T, events []store.AuditEvent) []byte {
	t.Helper()
	block := encodeAuditBlock(&auditBuffers{}, events)
	raw, err := s2.Decode(nil, block[1:])
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// FuzzAuditBlock: any bytes read as a block end in records or an error, never a panic, and a
// block read without error reads back the same after encoding its records again.
func FuzzAuditBlock(f *testing.F) {
	f.Add(encodeAuditBlock(&auditBuffers{}, []store.AuditEvent{{AccountID: "1", ID: "e", Time: time.Unix(1, 0), Name: "n", Resources: []string{"arn:a"}, Body: []byte("{}")}}))
	f.Add([]byte{auditBlockVersion})
	f.Fuzz(func(t *testing.T, block []byte) {
		r := newBlockReader(block)
		var rec blockRecord
		var events []store.AuditEvent
		for r.next(&rec) {
			events = append(events, rec.event())
		}
		if r.err != nil || len(events) == 0 {
			return
		}
		again := newBlockReader(encodeAuditBlock(&auditBuffers{}, events))
		for i := 0; again.next(&rec); i++ {
			if got := rec.event(); got.ID != events[i].ID || !got.Time.Equal(events[i].Time) || string(got.Body) != string(events[i].Body) {
				t.Fatalf("record %d read back as %+v, want %+v", i, got, events[i])
			}
		}
		if again.err != nil {
			t.Fatal(again.err)
		}
	})
}
