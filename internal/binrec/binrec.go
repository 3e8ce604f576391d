// Package binrec owns the compact binary form in which connectfed keeps records written at
// the rate of requests (the audit trail): length-prefixed strings, varints and bytes, appended
// to a slice, and a Reader that turns any malformed input into one error, never a panic.
package binrec

import (
	"encoding/binary"
	"errors"
)

// ErrMalformed is what a Reader reports for input that is cut short or not in this form.
var ErrMalformed = errors.New("binrec: malformed record")

// AppendString appends s, its length first (uvarint).
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendBytes appends p, its length first (uvarint).
func AppendBytes(b []byte, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// AppendBool appends v as a byte.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// AppendUvarint and AppendVarint append numbers.
func AppendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// AppendVarint: see AppendUvarint.
func AppendVarint(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }

// Reader reads what the Append functions wrote, in the same order. After the first error,
// every read returns a zero value and Err reports ErrMalformed.
type Reader struct {
	b   []byte
	err error
}

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err is ErrMalformed once a read failed, else nil.
func (r *Reader) Err() error { return r.err }

// Len is how many bytes are left to read.
func (r *Reader) Len() int { return len(r.b) }

// Fail marks the input malformed: for a caller that finds a value it cannot accept.
func (r *Reader) Fail() {
	r.err, r.b = ErrMalformed, nil
}

// Uvarint reads an unsigned number.
func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.Fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Varint reads a signed number.
func (r *Reader) Varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.Fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Byte reads one byte, as appended.
func (r *Reader) Byte() byte {
	if len(r.b) == 0 {
		r.Fail()
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// Bool reads a byte written by AppendBool.
func (r *Reader) Bool() bool {
	if len(r.b) == 0 || r.b[0] > 1 {
		r.Fail()
		return false
	}
	v := r.b[0] == 1
	r.b = r.b[1:]
	return v
}

// Bytes reads a length-prefixed value as a view into the input (capacity clipped): copy what
// must outlive it.
func (r *Reader) Bytes() []byte {
	n := r.Uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.Fail()
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// String reads a length-prefixed value as a string (a copy).
func (r *Reader) String() string { return string(r.Bytes()) }

// Count reads a count of items that each take at least min bytes, refusing one larger than
// the input could hold, so that a damaged count cannot make the caller allocate without limit.
func (r *Reader) Count(min int) int {
	n := r.Uvarint()
	if r.err != nil || min > 0 && n > uint64(len(r.b)/min) {
		r.Fail()
		return 0
	}
	return int(n)
}

// OpenBytes32 starts a value whose length is known only once it is written in place: append
// the value to the returned slice, then call CloseBytes32 with the returned offset. Its length
// is four bytes, big-endian (values up to 4 GiB). Reader.Bytes32 reads it.
func OpenBytes32(b []byte) ([]byte, int) {
	return append(b, 0, 0, 0, 0), len(b)
}

// CloseBytes32 ends a value OpenBytes32 started at offset at.
func CloseBytes32(b []byte, at int) []byte {
	binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	return b
}

// Bytes32 reads a value written between OpenBytes32 and CloseBytes32, as a view into the input.
func (r *Reader) Bytes32() []byte {
	if r.err != nil || len(r.b) < 4 {
		r.Fail()
		return nil
	}
	n := binary.BigEndian.Uint32(r.b)
	if uint64(n) > uint64(len(r.b)-4) {
		r.Fail()
		return nil
	}
	v := r.b[4 : 4+n : 4+n]
	r.b = r.b[4+n:]
	return v
}
