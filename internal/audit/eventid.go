package audit

import (
	crand "crypto/rand"
	"encoding/hex"
	"math/rand/v2"
)

// eventIDs draws event ids: random (version 4) UUIDs, as CloudTrail's are. They name records,
// they guard nothing, so they come from a ChaCha8 stream seeded once from the system's
// randomness rather than from a read of it per record (which cost the writer as much as
// encoding the record). Not safe for concurrent use: the writer owns it.
type eventIDs struct {
	src *rand.ChaCha8
	buf []byte
}

func newEventIDs() *eventIDs {
	var seed [32]byte
	crand.Read(seed[:]) // never fails (crypto/rand)
	return &eventIDs{src: rand.NewChaCha8(seed)}
}

// idLen is the length of an id: 8-4-4-4-12 lower-case hex.
const idLen = 36

// take returns n new ids, end to end in one string (id i is [i*idLen, (i+1)*idLen)): a batch's
// ids are one allocation, not one each.
func (g *eventIDs) take(n int) string {
	g.buf = g.buf[:0]
	for range n {
		var id [16]byte
		g.src.Read(id[:])         // never fails, never short
		id[6] = id[6]&0x0f | 0x40 // version 4
		id[8] = id[8]&0x3f | 0x80 // the variant of RFC 9562
		at := len(g.buf)
		g.buf = append(g.buf, "00000000-0000-0000-0000-000000000000"...)
		out := g.buf[at:]
		hex.Encode(out[0:8], id[0:4])
		hex.Encode(out[9:13], id[4:6])
		hex.Encode(out[14:18], id[6:8])
		hex.Encode(out[19:23], id[8:10])
		hex.Encode(out[24:36], id[10:16])
	}
	return string(g.buf)
}
