package sqlstore

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/connectfed/connectfed/internal/binrec"
	"github.com/connectfed/connectfed/internal/store"
)

// The audit trail is kept in blocks: one row holds a batch of records (the trail writes up to
// 500 at once), encoded as below, with the times of its oldest and newest record. A record
// is written on every GetFederationToken; as rows of their own, with their columns bound one
// by one and an index to keep, they cost the server a third of its CPU at full rate. A block is
// one bound value. Lookups, which CloudTrail itself limits to two a second, decode the blocks
// whose time range they overlap and filter in Go.
//
// A block is a version byte, then its records (in binrec's form) compressed as one S2 block (klauspost/compress:
// records of one batch are alike, and a batch of GetFederationToken records shrinks 18-fold
// at 4 GB/s, so the file is written a twentieth as much). Uncompressed, per record: its
// account, id, name, source, username and access key id as length-prefixed strings
// (uvarint), its time as a varint of microseconds since the epoch, a read-only byte, the count
// of its resource names and each name, and its body, length-prefixed.
const auditBlockVersion = 1

// maxAuditBlock bounds a block's records uncompressed, so that a damaged block cannot make a
// lookup allocate without limit: 2,000 records of 256 KiB.
const maxAuditBlock = 2000 << 18

// auditBuffers are a Store's for encoding blocks: the records uncompressed, and the block.
// The mutex is held from encoding a block until the database has taken it.
type auditBuffers struct {
	sync.Mutex
	raw, block []byte
}

var errBadAuditBlock = errors.New("store: audit block is malformed")

// encodeAuditBlock encodes events as a block, in buf's buffers (the block is valid until they
// are used again); times are kept to the microsecond, as every other time the store keeps.
func encodeAuditBlock(buf *auditBuffers, events []store.AuditEvent) []byte {
	size := 0
	for _, e := range events {
		size += 64 + len(e.AccountID) + len(e.ID) + len(e.Name) + len(e.Source) + len(e.Username) + len(e.AccessKeyID) + len(e.Body)
		for _, r := range e.Resources {
			size += 4 + len(r)
		}
	}
	b := slices.Grow(buf.raw[:0], size)
	for _, e := range events {
		for _, s := range [...]string{e.AccountID, e.ID, e.Name, e.Source, e.Username, e.AccessKeyID} {
			b = binrec.AppendString(b, s)
		}
		b = binrec.AppendVarint(b, timeToDB(e.Time))
		b = binrec.AppendBool(b, e.ReadOnly)
		b = appendResourceNames(b, e.Resources)
		b = binrec.AppendBytes(b, e.Body)
	}
	buf.raw = b
	block := slices.Grow(buf.block[:0], 1+s2.MaxEncodedLen(len(b)))[:1+s2.MaxEncodedLen(len(b))]
	block[0] = auditBlockVersion
	buf.block = block[:1+len(s2.Encode(block[1:], b))]
	return buf.block
}

// appendResourceNames appends a record's resource names, a count then each, without "" and
// without repeats, in their order. A record names one or two: looking back over them costs
// less than a set.
func appendResourceNames(b []byte, names []string) []byte {
	kept := 0
	for i, name := range names {
		if name != "" && !slices.Contains(names[:i], name) {
			kept++
		}
	}
	b = binrec.AppendUvarint(b, uint64(kept))
	for i, name := range names {
		if name != "" && !slices.Contains(names[:i], name) {
			b = binrec.AppendString(b, name)
		}
	}
	return b
}

// blockReader reads a block's records one by one. Its strings are views into the block: a
// record that a lookup keeps is copied (record.event), the others cost no allocation.
type blockReader struct {
	r   *binrec.Reader
	err error
}

// blockRecord is one record of a block as read, before it is kept.
type blockRecord struct {
	account, id, name, source, username, accessKeyID []byte
	time                                             int64
	readOnly                                         bool
	resources                                        [][]byte
	body                                             []byte
}

func newBlockReader(block []byte) *blockReader {
	if len(block) == 0 || block[0] != auditBlockVersion {
		return &blockReader{err: errBadAuditBlock}
	}
	n, err := s2.DecodedLen(block[1:])
	if err != nil || n > maxAuditBlock {
		return &blockReader{err: errBadAuditBlock}
	}
	b, err := s2.Decode(make([]byte, n), block[1:])
	if err != nil {
		return &blockReader{err: errBadAuditBlock}
	}
	return &blockReader{r: binrec.NewReader(b)}
}

// next reads the next record into rec, reusing its resources slice; false at the end of the
// block or on a malformed one (r.err says which).
func (br *blockReader) next(rec *blockRecord) bool {
	if br.err != nil || br.r.Len() == 0 {
		return false
	}
	r := br.r
	for _, f := range [...]*[]byte{&rec.account, &rec.id, &rec.name, &rec.source, &rec.username, &rec.accessKeyID} {
		*f = r.Bytes()
	}
	rec.time, rec.readOnly = r.Varint(), r.Bool()
	rec.resources = rec.resources[:0]
	for range r.Count(1) {
		rec.resources = append(rec.resources, r.Bytes())
	}
	rec.body = r.Bytes()
	if r.Err() != nil {
		br.err = errBadAuditBlock
		return false
	}
	return true
}

// event copies rec out of its block.
func (rec *blockRecord) event() store.AuditEvent {
	e := store.AuditEvent{AccountID: string(rec.account), ID: string(rec.id), Time: timeFromDB(rec.time), Name: string(rec.name),
		Source: string(rec.source), Username: string(rec.username), AccessKeyID: string(rec.accessKeyID), ReadOnly: rec.readOnly,
		Body: bytesFromDB(slices.Clone(rec.body))}
	for _, res := range rec.resources {
		e.Resources = append(e.Resources, string(res))
	}
	return e
}

// auditMatcher is a lookup's test of a record: its account, time range, attribute and cursor.
type auditMatcher struct {
	q          store.AuditQuery
	start, end int64 // [start, end) in microseconds
	before     int64 // the cursor's time, when q.BeforeID is set
}

func newAuditMatcher(q store.AuditQuery) (auditMatcher, error) {
	m := auditMatcher{q: q, start: minTime, end: maxTime}
	if !q.Start.IsZero() {
		m.start = timeToDB(q.Start)
	}
	if !q.End.IsZero() {
		m.end = timeToDB(q.End)
	}
	if !q.BeforeTime.IsZero() {
		m.before = timeToDB(q.BeforeTime)
	}
	switch q.Attribute {
	case "", "EventId", "EventName", "EventSource", "Username", "AccessKeyId", "ResourceName", "ReadOnly":
		return m, nil
	}
	return m, errors.New("store: lookup audit events: unknown attribute " + q.Attribute)
}

func (m *auditMatcher) match(rec *blockRecord) bool {
	if string(rec.account) != m.q.AccountID || rec.time < m.start || rec.time >= m.end {
		return false
	}
	if !m.q.BeforeTime.IsZero() && (rec.time > m.before || rec.time == m.before && string(rec.id) >= m.q.BeforeID) {
		return false
	}
	v := m.q.Value
	switch m.q.Attribute {
	case "EventId":
		return string(rec.id) == v
	case "EventName":
		return string(rec.name) == v
	case "EventSource":
		return string(rec.source) == v
	case "Username":
		return string(rec.username) == v
	case "AccessKeyId":
		return string(rec.accessKeyID) == v
	case "ReadOnly":
		return rec.readOnly == (v == "true")
	case "ResourceName":
		return slices.ContainsFunc(rec.resources, func(r []byte) bool { return string(r) == v })
	}
	return true
}

// newestFirst orders events as LookupEvents lists them: newest first, then by id, descending.
func newestFirst(a, b store.AuditEvent) int {
	if c := b.Time.Compare(a.Time); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// The bounds of an unbounded time range, in microseconds: far outside any record's time, and
// within every backend's BIGINT.
var (
	minTime = timeToDB(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC))
	maxTime = timeToDB(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
)
