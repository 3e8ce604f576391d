package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Kind tells access, refresh, sign-in and browser session tokens apart. The zero value is no kind: Mint refuses it, and
// Verify takes it as "any kind".
type Kind uint8

const (
	// AnyKind, given to Verify, accepts every kind. No token has it.
	AnyKind Kind = 0
	// Access tokens authorise requests.
	Access Kind = 1
	// Refresh tokens are traded for a new pair of the same family.
	Refresh Kind = 2
	// SignIn tokens ride in a SignInUrl: short-lived, so the access token itself never has to
	// travel in a URL.
	SignIn Kind = 3
	// Session tokens are a browser's sign-in session, kept in an HttpOnly cookie: the sign-in
	// link is spent once opened, and the access token never reaches the browser at all.
	Session Kind = 4
)

// Token prefixes, one per kind (see the package documentation).
const (
	AccessPrefix  = "cfa1_"
	RefreshPrefix = "cfr1_"
	SignInPrefix  = "cfs1_"
	SessionPrefix = "cfb1_"
)

func (k Kind) valid() bool { return k == Access || k == Refresh || k == SignIn || k == Session }

// Prefix returns the prefix of tokens of kind k, or "" for no kind.
func (k Kind) Prefix() string {
	switch k {
	case Access:
		return AccessPrefix
	case Refresh:
		return RefreshPrefix
	case SignIn:
		return SignInPrefix
	case Session:
		return SessionPrefix
	}
	return ""
}

func (k Kind) String() string {
	switch k {
	case AnyKind:
		return "any"
	case Access:
		return "access"
	case Refresh:
		return "refresh"
	case SignIn:
		return "sign-in"
	case Session:
		return "session"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Claims are what a token says. Times have second precision. ID and FamilyID are 32 lowercase
// hex digits (128 bits).
type Claims struct {
	Kind Kind
	// ID identifies this token; FamilyID the refresh-rotation family it belongs to: the
	// tokens of one Pair and of every pair renewed from it share it, so a server can revoke
	// the whole family when it sees a refresh token reused.
	ID, FamilyID string
	// The subject: opaque to this package.
	AccountID, Region, InstanceID, UserID string
	// AccessKeyID is the AWS access key id whose signed call obtained the token: AKIA... for
	// an IAM user or root, ASIA... for a role session. Opaque to this package too.
	AccessKeyID         string
	IssuedAt, ExpiresAt time.Time
}

// Subject is whom a token is for. Every field is required and at most MaxFieldLen bytes; this
// package does not interpret them.
type Subject struct {
	AccountID, Region, InstanceID, UserID string
	// AccessKeyID is the AWS access key id whose signed call obtained the token: AKIA... for
	// an IAM user or root, ASIA... for a role session.
	AccessKeyID string
}

// Subject returns the subject of c.
func (c Claims) Subject() Subject {
	return Subject{AccountID: c.AccountID, Region: c.Region, InstanceID: c.InstanceID, UserID: c.UserID,
		AccessKeyID: c.AccessKeyID}
}

// Errors of Verify. Each reason has its own sentinel so the caller can log and count them
// apart; what it tells the client is its own business. Returned errors may wrap them with
// detail: compare with errors.Is.
var (
	// ErrMalformed: not a token of this format (wrong prefix, bad base64, bad payload, wrong
	// length, trailing garbage).
	ErrMalformed = errors.New("token: malformed")
	// ErrUnknownKey: well formed, but signed with a key this issuer has not loaded (another
	// deployment's, a deleted one, or one created since the last Reload).
	ErrUnknownKey = errors.New("token: unknown signing key")
	// ErrBadSignature: the MAC does not match; the token was altered or forged.
	ErrBadSignature = errors.New("token: bad signature")
	// ErrExpired: genuine, but now >= expires-at.
	ErrExpired = errors.New("token: expired")
	// ErrWrongKind: genuine, but of the other kind than the caller asked for.
	ErrWrongKind = errors.New("token: wrong kind")
)

// ErrInvalidClaims is returned by Mint, Pair and Renew when asked to sign something that is
// not a valid token: a missing field, an over-long one, an id that is not 32 lowercase hex
// digits, expiry not after issue.
var ErrInvalidClaims = errors.New("token: invalid claims")

// Detailed forms of ErrMalformed, built once so that refusing garbage allocates nothing.
var (
	errTooLong    = fmt.Errorf("%w: longer than any token", ErrMalformed)
	errPrefix     = fmt.Errorf("%w: unknown prefix", ErrMalformed)
	errShape      = fmt.Errorf("%w: not prefix, payload, dot and signature", ErrMalformed)
	errBase64     = fmt.Errorf("%w: not canonical unpadded base64url", ErrMalformed)
	errPayload    = fmt.Errorf("%w: bad payload", ErrMalformed)
	errKindPrefix = fmt.Errorf("%w: payload kind disagrees with prefix", ErrMalformed)
)

// Hash returns the SHA-256 of a token: what a revocation list keeps instead of the token.
// Tokens have a single spelling, so equal hashes mean the same token.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// NewID returns a new random token or family id: 32 lowercase hex digits. Mint makes one when
// Claims.ID is empty; a caller that wants to know the id before minting makes its own.
func NewID() string {
	var b [idLen]byte
	randomBytes(b[:])
	return hex.EncodeToString(b[:])
}

// randomBytes fills b from crypto/rand, which since Go 1.24 never fails (it crashes the
// program rather than return short or predictable bytes).
func randomBytes(b []byte) {
	_, _ = rand.Read(b)
}

// parseID decodes a 32-digit lowercase hex id. Upper case is refused so that an id has one
// spelling and Verify returns exactly the id that was minted.
func parseID(s string, dst *[idLen]byte) bool {
	if len(s) != 2*idLen {
		return false
	}
	for i := range dst {
		hi, ok1 := hexDigit(s[2*i])
		lo, ok2 := hexDigit(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
