package token

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// memKeys is an in-memory KeyStore.
type memKeys struct {
	mu      sync.Mutex
	keys    []store.SigningKey
	creates int
	listErr error
}

func (m *memKeys) CreateSigningKey(_ context.Context, k store.SigningKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.keys {
		if o.ID == k.ID {
			return store.ErrAlreadyExists
		}
	}
	m.creates++
	k.Secret = slices.Clone(k.Secret)
	m.keys = append(m.keys, k)
	return nil
}

func (m *memKeys) ListSigningKeys(context.Context) ([]store.SigningKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listErr != nil {
		return nil, m.listErr
	}
	out := make([]store.SigningKey, len(m.keys))
	for i, k := range m.keys {
		k.Secret = slices.Clone(k.Secret)
		out[i] = k
	}
	return out, nil
}

func (m *memKeys) remove(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys = slices.DeleteFunc(m.keys, func(k store.SigningKey) bool { return k.ID == id })
}

// t0 is the tests' "now": a whole second, so expiry arithmetic is easy to read.
var t0 = time.Unix(1_700_000_000, 0).UTC()

// secretOf returns a deterministic 32-byte secret.
func secretOf(seed byte) []byte {
	s := make([]byte, MinSecretLen)
	for i := range s {
		s[i] = seed + byte(i)
	}
	return s
}

// testKey is the one key of newTestIssuer.
var testKey = store.SigningKey{ID: "k1", Secret: secretOf(1), CreatedAt: t0.Add(-time.Hour)}

// fakeClock is a settable clock for one test goroutine (set it only while nothing else runs).
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// newTestIssuer returns an issuer over a store holding testKey, on a clock at t0.
func newTestIssuer(t testing.TB) (*Issuer, *memKeys, *fakeClock) {
	t.Helper()
	ks := &memKeys{keys: []store.SigningKey{testKey}}
	clk := &fakeClock{t: t0}
	iss, err := NewIssuer(context.Background(), ks, clk.now)
	if err != nil {
		t.Fatalf("NewIssuer: %v", err)
	}
	return iss, ks, clk
}

var testSubject = Subject{
	AccountID:   "123456789012",
	Region:      "eu-west-1",
	InstanceID:  "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
	UserID:      "11111111-2222-4333-8444-555555555555",
	AccessKeyID: "AKIAIOSFODNN7EXAMPLE",
}

// signRaw signs arbitrary payload bytes the way Mint does, bypassing every check Mint makes,
// so that tests can prove the parser (not the MAC) refuses a bad payload.
func signRaw(prefix string, payload, secret []byte) string {
	text := prefix + b64.EncodeToString(payload)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(text))
	return text + "." + b64.EncodeToString(m.Sum(nil))
}

// rawPayload builds a payload field by field, without any check.
type rawPayload struct {
	version, kind byte
	id, fam       [idLen]byte
	iat, exp      int64
	strs          []string
	trailer       []byte
}

func goodRaw() rawPayload {
	return rawPayload{
		version: payloadVersion, kind: byte(Access),
		id: [idLen]byte{1, 2, 3}, fam: [idLen]byte{4, 5, 6},
		iat: t0.Unix(), exp: t0.Unix() + 60,
		strs: []string{testKey.ID, testSubject.AccountID, testSubject.Region, testSubject.InstanceID, testSubject.UserID,
			testSubject.AccessKeyID},
	}
}

func (r rawPayload) bytes() []byte {
	b := []byte{r.version, r.kind}
	b = append(b, r.id[:]...)
	b = append(b, r.fam[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.iat))
	b = binary.BigEndian.AppendUint64(b, uint64(r.exp))
	for _, s := range r.strs {
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	return append(b, r.trailer...)
}

var sentinels = []error{ErrMalformed, ErrUnknownKey, ErrBadSignature, ErrExpired, ErrWrongKind}

// isSentinel reports whether err is one of Verify's documented errors.
func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
