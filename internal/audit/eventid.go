package audit

import (
	crand "crypto/rand"
	"math/rand/v2"

	"github.com/google/uuid"
)

// eventIDs draws event ids: random (version 4) UUIDs, as CloudTrail's are. They name records,
// they guard nothing, so they come from a ChaCha8 stream seeded once from the system's
// randomness rather than from a read of it per record (which cost the writer as much as
// encoding the record). Not safe for concurrent use: the writer owns it.
type eventIDs struct {
	src *rand.ChaCha8
}

func newEventIDs() *eventIDs {
	var seed [32]byte
	crand.Read(seed[:]) // never fails (crypto/rand)
	return &eventIDs{src: rand.NewChaCha8(seed)}
}

// next is a new id, 8-4-4-4-12 lower-case hex.
func (g *eventIDs) next() string {
	var id uuid.UUID
	g.src.Read(id[:])         // never fails, never short
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // the variant of RFC 9562
	return id.String()
}
