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
	id, err := uuid.NewRandomFromReader(g.src)
	if err != nil { // ChaCha8's Read never fails
		panic(err)
	}
	return id.String()
}
