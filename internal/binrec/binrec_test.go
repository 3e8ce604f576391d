package binrec

import (
	"errors"
	"testing"
)

func TestRoundTripAndDamage(t *testing.T) {
	var b []byte
	b = AppendString(b, "héllo")
	b = AppendBytes(b, []byte{0, 1, 2})
	b = AppendBool(b, true)
	b = append(b, 0xa5) // a byte, read with Byte
	b = AppendUvarint(b, 300)
	b = AppendVarint(b, -5)
	b = AppendUvarint(b, 2) // a count of two strings
	b = AppendString(b, "a")
	b = AppendString(b, "")
	b, at := OpenBytes32(b)
	b = append(b, `{"a":1}`...)
	b = CloseBytes32(b, at)

	read := func(b []byte) (*Reader, []any) {
		r := NewReader(b)
		got := []any{r.String(), string(r.Bytes()), r.Bool(), r.Byte(), r.Uvarint(), r.Varint()}
		for range r.Count(1) {
			got = append(got, r.String())
		}
		return r, append(got, string(r.Bytes32()))
	}
	r, got := read(b)
	want := []any{"héllo", "\x00\x01\x02", true, byte(0xa5), uint64(300), int64(-5), "a", "", `{"a":1}`}
	if r.Err() != nil || r.Len() != 0 || len(got) != len(want) {
		t.Fatalf("read %v (err %v, %d left), want %v", got, r.Err(), r.Len(), want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d = %v, want %v", i, got[i], want[i])
		}
	}
	for n := range len(b) {
		if r, _ := read(b[:n]); !errors.Is(r.Err(), ErrMalformed) {
			t.Errorf("input cut at %d of %d bytes read without error", n, len(b))
		}
	}
	// A count larger than the input could hold is refused before anything is allocated.
	huge := AppendUvarint(nil, 1<<40)
	if r := NewReader(huge); r.Count(1) != 0 || r.Err() == nil {
		t.Error("a count of 2^40 items in a few bytes was accepted")
	}
	if r := NewReader([]byte{2}); r.Bool() || r.Err() == nil {
		t.Error("a bool byte of 2 was accepted")
	}
}
