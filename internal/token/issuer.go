package token

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// MinSecretLen is the shortest signing key secret accepted, in bytes: 256 bits, the output
// size of SHA-256, below which a secret would be the weakest part of HMAC-SHA256.
// NewSigningKey makes secrets of this length.
const MinSecretLen = 32

// KeyStore is where signing keys live (store.Store satisfies it).
type KeyStore interface {
	CreateSigningKey(ctx context.Context, k store.SigningKey) error
	// ListSigningKeys lists every key, oldest first.
	ListSigningKeys(ctx context.Context) ([]store.SigningKey, error)
}

// Issuer mints and verifies tokens with the keys of a KeyStore: the newest key signs, every
// loaded key verifies. It is safe for concurrent use; Reload may run while tokens are minted
// and verified. The zero Issuer has no keys: make one with NewIssuer.
type Issuer struct {
	ks  KeyStore
	now func() time.Time
	// keys is replaced whole by Reload, never modified, so readers need no lock.
	keys atomic.Pointer[keySet]
	// reload serialises Reload, so a slow listing cannot overwrite a newer one.
	reload sync.Mutex
}

// keySet is an immutable set of loaded keys.
type keySet struct {
	signer *key
	byID   map[string]*key
}

// key is one signing key, with a pool of ready MAC states: hmac.New hashes the secret into
// its inner and outer pads, and pooling keeps that work, and the scratch buffers, off the
// hot path.
type key struct {
	id     string
	secret []byte
	pool   sync.Pool // of *macState
}

// macState is the scratch space of one mint or verification. It lives on the heap anyway (it
// is pooled), so the buffers handed to the hash.Hash interface cost no allocation.
type macState struct {
	mac hash.Hash
	sum [macLen]byte
	buf [MaxLen]byte
}

func newKey(id string, secret []byte) *key {
	k := &key{id: id, secret: append([]byte(nil), secret...)}
	k.pool.New = func() any { return &macState{mac: hmac.New(sha256.New, k.secret)} }
	return k
}

func (k *key) get() *macState {
	st := k.pool.Get().(*macState)
	st.mac.Reset()
	return st
}

// NewSigningKey returns a new signing key created at now: a random 8-byte id (16 hex digits:
// it is in every token, so short) and a random 256-bit secret. Storing it is the caller's
// business; an Issuer signs with it after a Reload.
func NewSigningKey(now time.Time) store.SigningKey {
	var id [8]byte
	randomBytes(id[:])
	secret := make([]byte, MinSecretLen)
	randomBytes(secret)
	return store.SigningKey{ID: hex.EncodeToString(id[:]), Secret: secret, CreatedAt: now.UTC()}
}

// NewIssuer loads the keys of ks, first creating one (NewSigningKey) if there is none. now is
// the clock of Verify and of Pair and Mint's issue times; nil means time.Now.
//
// Two processes starting together on an empty store may each create a key; each loads both if
// it lists after the other's creation, and a Reload settles it otherwise.
func NewIssuer(ctx context.Context, ks KeyStore, now func() time.Time) (*Issuer, error) {
	if ks == nil {
		return nil, errors.New("token: no key store")
	}
	if now == nil {
		now = time.Now
	}
	i := &Issuer{ks: ks, now: now}
	keys, err := ks.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("token: list signing keys: %w", err)
	}
	if len(keys) == 0 {
		if err := ks.CreateSigningKey(ctx, NewSigningKey(now())); err != nil {
			return nil, fmt.Errorf("token: create signing key: %w", err)
		}
		// Read back rather than use the key just made: it proves the store kept it, and
		// picks up a key another process created at the same moment.
		if keys, err = ks.ListSigningKeys(ctx); err != nil {
			return nil, fmt.Errorf("token: list signing keys: %w", err)
		}
	}
	set, err := newKeySet(keys, nil)
	if err != nil {
		return nil, err
	}
	i.keys.Store(set)
	return i, nil
}

// Reload re-reads the keys of the store: tokens signed by keys added since verify, new tokens
// are signed by the newest key, and tokens signed by keys since deleted no longer verify. On
// error the keys loaded before stay in use. Reload never creates a key.
func (i *Issuer) Reload(ctx context.Context) error {
	i.reload.Lock()
	defer i.reload.Unlock()
	keys, err := i.ks.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("token: list signing keys: %w", err)
	}
	set, err := newKeySet(keys, i.keys.Load())
	if err != nil {
		return err
	}
	i.keys.Store(set)
	return nil
}

// newKeySet builds the set of keys, reusing the keys of old that are unchanged so their warm
// MAC pools survive a Reload. The newest key (by CreatedAt; on a tie, the later in the list,
// which the store orders oldest first) signs.
func newKeySet(keys []store.SigningKey, old *keySet) (*keySet, error) {
	if len(keys) == 0 {
		return nil, errors.New("token: the store has no signing key")
	}
	set := &keySet{byID: make(map[string]*key, len(keys))}
	var newest time.Time
	for j, sk := range keys {
		if sk.ID == "" || len(sk.ID) > MaxFieldLen {
			return nil, fmt.Errorf("token: signing key id %q: must be 1 to %d bytes", sk.ID, MaxFieldLen)
		}
		if len(sk.Secret) < MinSecretLen {
			return nil, fmt.Errorf("token: signing key %s: secret shorter than %d bytes", sk.ID, MinSecretLen)
		}
		if set.byID[sk.ID] != nil {
			return nil, fmt.Errorf("token: signing key %s listed twice", sk.ID)
		}
		var k *key
		if old != nil {
			if o := old.byID[sk.ID]; o != nil && hmac.Equal(o.secret, sk.Secret) {
				k = o
			}
		}
		if k == nil {
			k = newKey(sk.ID, sk.Secret)
		}
		set.byID[sk.ID] = k
		if j == 0 || !sk.CreatedAt.Before(newest) {
			set.signer, newest = k, sk.CreatedAt
		}
	}
	return set, nil
}

var errNoKeys = errors.New("token: issuer has no keys (use NewIssuer)")

// SigningKeyID returns the id of the key that signs new tokens, for logs and operators.
func (i *Issuer) SigningKeyID() string {
	if ks := i.keys.Load(); ks != nil {
		return ks.signer.id
	}
	return ""
}

// Pair is an access token and a refresh token minted together, with their claims.
type Pair struct {
	Access, Refresh             string
	AccessClaims, RefreshClaims Claims
	// SignIn is a sign-in token of the pair's family, issued with it, where Federation
	// minted the pair; empty otherwise.
	SignIn string
}

// Pair mints an access token that lives accessTTL and a refresh token that lives refreshTTL,
// both issued now for subject, starting a new family. TTLs are truncated to whole seconds and
// must be at least one second.
func (i *Issuer) Pair(subject Subject, accessTTL, refreshTTL time.Duration) (Pair, error) {
	return i.newFamily(subject, accessTTL, refreshTTL, 0)
}

// Federation mints what GetFederationToken hands out: a new family's pair, as Pair does, and a
// sign-in token of the family that lives signInTTL (at least a second), issued with them. One
// call checks the subject and draws the ids once, where Pair and then Mint would do it twice.
func (i *Issuer) Federation(subject Subject, accessTTL, refreshTTL, signInTTL time.Duration) (Pair, error) {
	if signInTTL < time.Second {
		return Pair{}, fmt.Errorf("%w: ttl under one second", ErrInvalidClaims)
	}
	return i.newFamily(subject, accessTTL, refreshTTL, signInTTL)
}

func (i *Issuer) newFamily(subject Subject, accessTTL, refreshTTL, signInTTL time.Duration) (Pair, error) {
	var fam [idLen]byte
	randomBytes(fam[:])
	return i.pair(subject, &fam, hex.EncodeToString(fam[:]), accessTTL, refreshTTL, signInTTL)
}

// Renew mints the pair that replaces refresh token old (claims Verify returned): same subject
// (access key id included), same family, new ids, issued now. Whether old may still be traded
// (not reused, not revoked) is the caller's to decide before calling.
func (i *Issuer) Renew(old Claims, accessTTL, refreshTTL time.Duration) (Pair, error) {
	if old.Kind != Refresh {
		return Pair{}, fmt.Errorf("%w: renew from a %v token", ErrWrongKind, old.Kind)
	}
	var fam [idLen]byte
	if !parseID(old.FamilyID, &fam) {
		return Pair{}, fmt.Errorf("%w: family id is not 32 lowercase hex digits", ErrInvalidClaims)
	}
	return i.pair(old.Subject(), &fam, old.FamilyID, accessTTL, refreshTTL, 0)
}

// pair mints the pair of family fam (famID in hex) and, for a positive signInTTL, its sign-in
// token.
func (i *Issuer) pair(sub Subject, fam *[idLen]byte, famID string, accessTTL, refreshTTL, signInTTL time.Duration) (Pair, error) {
	ks := i.keys.Load()
	if ks == nil {
		return Pair{}, errNoKeys
	}
	if accessTTL < time.Second || refreshTTL < time.Second {
		return Pair{}, fmt.Errorf("%w: ttl under one second", ErrInvalidClaims)
	}
	str := [numStrings]string{ks.signer.id, sub.AccountID, sub.Region, sub.InstanceID, sub.UserID, sub.AccessKeyID}
	if err := checkStrings(&str); err != nil {
		return Pair{}, err
	}
	iat := i.now().Unix()
	var ids [3 * idLen]byte // access, refresh, sign-in
	randomBytes(ids[:])
	aid, rid, sid := (*[idLen]byte)(ids[:idLen]), (*[idLen]byte)(ids[idLen:2*idLen]), (*[idLen]byte)(ids[2*idLen:])
	hexIDs := hex.EncodeToString(ids[:2*idLen]) // one string for the claims' two ids
	p := Pair{
		AccessClaims: Claims{
			Kind: Access, ID: hexIDs[:2*idLen], FamilyID: famID,
			AccountID: sub.AccountID, Region: sub.Region, InstanceID: sub.InstanceID, UserID: sub.UserID,
			AccessKeyID: sub.AccessKeyID, IssuedAt: time.Unix(iat, 0).UTC(),
			ExpiresAt: time.Unix(iat+int64(accessTTL/time.Second), 0).UTC(),
		},
	}
	p.RefreshClaims = p.AccessClaims
	p.RefreshClaims.Kind = Refresh
	p.RefreshClaims.ID = hexIDs[2*idLen:]
	p.RefreshClaims.ExpiresAt = time.Unix(iat+int64(refreshTTL/time.Second), 0).UTC()
	p.Access = ks.signer.mint(Access, aid, fam, iat, p.AccessClaims.ExpiresAt.Unix(), &str)
	p.Refresh = ks.signer.mint(Refresh, rid, fam, iat, p.RefreshClaims.ExpiresAt.Unix(), &str)
	if signInTTL > 0 {
		p.SignIn = ks.signer.mint(SignIn, sid, fam, iat, iat+int64(signInTTL/time.Second), &str)
	}
	return p, nil
}

// Mint signs c with the current key. An empty c.ID gets a random one (set it with NewID to
// know it in advance); c.FamilyID is required, because a token outside any family could not be
// revoked with it: new families come from Pair. A zero c.IssuedAt means now; c.ExpiresAt is
// required and must be after it. Times are truncated to whole seconds.
func (i *Issuer) Mint(c Claims) (string, error) {
	ks := i.keys.Load()
	if ks == nil {
		return "", errNoKeys
	}
	if !c.Kind.valid() {
		return "", fmt.Errorf("%w: kind %v", ErrInvalidClaims, c.Kind)
	}
	var id, fam [idLen]byte
	if c.ID == "" {
		randomBytes(id[:])
	} else if !parseID(c.ID, &id) {
		return "", fmt.Errorf("%w: id is not 32 lowercase hex digits", ErrInvalidClaims)
	}
	if !parseID(c.FamilyID, &fam) {
		return "", fmt.Errorf("%w: family id is not 32 lowercase hex digits", ErrInvalidClaims)
	}
	iat := c.IssuedAt
	if iat.IsZero() {
		iat = i.now()
	}
	if c.ExpiresAt.Unix() <= iat.Unix() {
		return "", fmt.Errorf("%w: expires-at not after issued-at", ErrInvalidClaims)
	}
	str := [numStrings]string{ks.signer.id, c.AccountID, c.Region, c.InstanceID, c.UserID, c.AccessKeyID}
	if err := checkStrings(&str); err != nil {
		return "", err
	}
	return ks.signer.mint(c.Kind, &id, &fam, iat.Unix(), c.ExpiresAt.Unix(), &str), nil
}

var fieldNames = [numStrings]string{"signing key id", "account id", "region", "instance id", "user id", "access key id"}

func checkStrings(str *[numStrings]string) error {
	for j, s := range str {
		if s == "" || len(s) > MaxFieldLen {
			return fmt.Errorf("%w: %s must be 1 to %d bytes", ErrInvalidClaims, fieldNames[j], MaxFieldLen)
		}
	}
	return nil
}

// mint builds and signs a token from checked fields. Its one allocation is the token string.
func (k *key) mint(kind Kind, id, fam *[idLen]byte, iat, exp int64, str *[numStrings]string) string {
	var pb [maxPayload]byte
	payload := appendPayload(pb[:0], kind, id, fam, iat, exp, str)
	st := k.get()
	b := append(st.buf[:0], kind.Prefix()...)
	b = b64.AppendEncode(b, payload)
	st.mac.Write(b)
	b = append(b, '.')
	b = b64.AppendEncode(b, st.mac.Sum(st.sum[:0]))
	tok := string(b)
	k.pool.Put(st)
	return tok
}

// Verify checks token and returns its claims, judged at the issuer's clock. want is the kind
// the caller accepts (AnyKind for any). The checks run in the order of the errors: a
// malformed token is ErrMalformed, then an unknown key ErrUnknownKey, a wrong MAC
// ErrBadSignature, a genuine token of the other kind ErrWrongKind, and a genuine token past
// its expiry ErrExpired. On any error the Claims are zero.
func (i *Issuer) Verify(token string, want Kind) (Claims, error) {
	ks := i.keys.Load()
	if ks == nil {
		return Claims{}, errNoKeys
	}
	if len(token) > MaxLen {
		return Claims{}, errTooLong
	}
	var kind Kind
	switch {
	case strings.HasPrefix(token, AccessPrefix):
		kind = Access
	case strings.HasPrefix(token, RefreshPrefix):
		kind = Refresh
	case strings.HasPrefix(token, SignInPrefix):
		kind = SignIn
	case strings.HasPrefix(token, SessionPrefix):
		kind = Session
	default:
		return Claims{}, errPrefix
	}
	body := token[prefixLen:]
	dot := strings.IndexByte(body, '.')
	if dot < 0 || len(body)-dot-1 != macText {
		return Claims{}, errShape
	}
	var sig [macLen]byte
	if _, ok := decodeB64(sig[:], body[dot+1:]); !ok {
		return Claims{}, errBase64
	}
	var pb [maxPayload]byte
	n, ok := decodeB64(pb[:], body[:dot]) // refuses payloads longer than any valid one
	if !ok {
		return Claims{}, errBase64
	}
	f, ok := parsePayload(pb[:n])
	if !ok {
		return Claims{}, errPayload
	}
	if f.kind != kind {
		return Claims{}, errKindPrefix
	}
	k := ks.byID[string(f.str[strKey])]
	if k == nil {
		return Claims{}, ErrUnknownKey
	}
	signed := token[:prefixLen+dot]
	st := k.get()
	m := copy(st.buf[:], signed)
	st.mac.Write(st.buf[:m])
	good := hmac.Equal(st.mac.Sum(st.sum[:0]), sig[:])
	k.pool.Put(st)
	if !good {
		return Claims{}, ErrBadSignature
	}
	if want != AnyKind && want != kind {
		return Claims{}, ErrWrongKind
	}
	if i.now().Unix() >= f.exp { // now >= exp, exp being whole seconds
		return Claims{}, ErrExpired
	}
	return f.claims(), nil
}
