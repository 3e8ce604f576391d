package token

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// Sizes of the version 1 format (see the package documentation).
const (
	payloadVersion = 1
	idLen          = 16 // 128 random bits
	fixedLen       = 1 + 1 + idLen + idLen + 8 + 8
	numStrings     = 6
	// MaxFieldLen bounds each string of a token (key id, account, region, instance, user,
	// access key id), in bytes. It keeps the longest token under MaxLen, so Verify can
	// refuse anything longer before reading it.
	MaxFieldLen    = 128
	maxPayload     = fixedLen + numStrings*(1+MaxFieldLen)
	maxPayloadText = (maxPayload*8 + 5) / 6 // base64 without padding
	prefixLen      = 5
	macLen         = sha256.Size
	macText        = (macLen*8 + 5) / 6 // 43
	// MaxLen is the length of the longest token this package can produce (1148 bytes).
	// Verify refuses longer input at once; a server may use it to bound what it reads.
	MaxLen = prefixLen + maxPayloadText + 1 + macText
)

// Indices of fields.str.
const (
	strKey = iota
	strAccount
	strRegion
	strInstance
	strUser
	strAccessKey
)

var b64 = base64.RawURLEncoding

// fields is the decoded payload. Decoding leaves str pointing into the caller's buffer, so
// nothing is allocated until Claims are built.
type fields struct {
	kind     Kind
	id, fam  [idLen]byte
	iat, exp int64
	str      [numStrings][]byte
}

// appendPayload appends the version 1 payload. The caller has checked every length, so dst
// (of capacity maxPayload) never grows.
func appendPayload(dst []byte, kind Kind, id, fam *[idLen]byte, iat, exp int64, str *[numStrings]string) []byte {
	dst = append(dst, payloadVersion, byte(kind))
	dst = append(dst, id[:]...)
	dst = append(dst, fam[:]...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(iat))
	dst = binary.BigEndian.AppendUint64(dst, uint64(exp))
	for _, s := range str {
		dst = append(dst, byte(len(s)))
		dst = append(dst, s...)
	}
	return dst
}

// parsePayload decodes p. It accepts exactly what appendPayload can produce from valid
// claims, nothing more, so an accepted token is byte for byte the token Mint would make of its
// claims. It returns f by value: written through a pointer, f.str would make p escape, and
// the caller's stack buffer with it.
func parsePayload(p []byte) (f fields, ok bool) {
	if len(p) < fixedLen || p[0] != payloadVersion {
		return f, false
	}
	f.kind = Kind(p[1])
	if !f.kind.valid() {
		return f, false
	}
	copy(f.id[:], p[2:])
	copy(f.fam[:], p[2+idLen:])
	f.iat = int64(binary.BigEndian.Uint64(p[2+2*idLen:]))
	f.exp = int64(binary.BigEndian.Uint64(p[2+2*idLen+8:]))
	if f.exp <= f.iat {
		return f, false
	}
	rest := p[fixedLen:]
	for j := range f.str {
		if len(rest) == 0 {
			return f, false
		}
		n := int(rest[0])
		if n == 0 || n > MaxFieldLen || n > len(rest)-1 {
			return f, false
		}
		f.str[j] = rest[1 : 1+n]
		rest = rest[1+n:]
	}
	return f, len(rest) == 0
}

// claims builds the Claims of f with a single allocation: every string is a slice of one.
func (f *fields) claims() Claims {
	var buf [2*2*idLen + (numStrings-1)*MaxFieldLen]byte
	n := hex.Encode(buf[:], f.id[:])
	n += hex.Encode(buf[n:], f.fam[:])
	var end [numStrings]int
	for j := strAccount; j < numStrings; j++ {
		n += copy(buf[n:], f.str[j])
		end[j] = n
	}
	s := string(buf[:n])
	return Claims{
		Kind:        f.kind,
		ID:          s[:2*idLen],
		FamilyID:    s[2*idLen : 4*idLen],
		AccountID:   s[4*idLen : end[strAccount]],
		Region:      s[end[strAccount]:end[strRegion]],
		InstanceID:  s[end[strRegion]:end[strInstance]],
		UserID:      s[end[strInstance]:end[strUser]],
		AccessKeyID: s[end[strUser]:end[strAccessKey]],
		IssuedAt:    time.Unix(f.iat, 0).UTC(),
		ExpiresAt:   time.Unix(f.exp, 0).UTC(),
	}
}

// b64Dec maps a base64url character to its value, and anything else to 0xFF.
var b64Dec = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// decodeB64 decodes unpadded base64url s into dst and returns the length decoded. It exists
// because encoding/base64 decodes only []byte (a copy of the token) and skips '\r' and '\n'
// even in strict mode; this one reads the string in place and accepts only the canonical
// spelling: alphabet characters only, no padding, and zero trailing bits. ok is false for
// anything else, and when dst is too short.
func decodeB64(dst []byte, s string) (n int, ok bool) {
	full, rem := len(s)/4, len(s)%4
	if rem == 1 {
		return 0, false
	}
	want := full * 3
	if rem > 0 {
		want += rem - 1
	}
	if len(dst) < want {
		return 0, false
	}
	var bad byte
	for q := 0; q < full; q++ {
		a, b, c, d := b64Dec[s[4*q]], b64Dec[s[4*q+1]], b64Dec[s[4*q+2]], b64Dec[s[4*q+3]]
		bad |= a | b | c | d
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst[3*q], dst[3*q+1], dst[3*q+2] = byte(v>>16), byte(v>>8), byte(v)
	}
	t := s[4*full:]
	switch rem {
	case 2:
		a, b := b64Dec[t[0]], b64Dec[t[1]]
		bad |= a | b
		if b&0x0F != 0 { // the low 4 bits of b belong to no byte: canonical has them zero
			return 0, false
		}
		dst[3*full] = a<<2 | b>>4
	case 3:
		a, b, c := b64Dec[t[0]], b64Dec[t[1]], b64Dec[t[2]]
		bad |= a | b | c
		if c&0x03 != 0 { // the low 2 bits of c belong to no byte: canonical has them zero
			return 0, false
		}
		v := uint32(a)<<12 | uint32(b)<<6 | uint32(c)
		dst[3*full], dst[3*full+1] = byte(v>>10), byte(v>>2)
	}
	// Valid values are below 64 and 0xFF marks an invalid character, so the top two bits of
	// bad are clear only when every character was in the alphabet.
	if bad&0xC0 != 0 {
		return 0, false
	}
	return want, true
}
