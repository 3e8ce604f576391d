package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
)

// Options tunes verification.
type Options struct {
	Skew time.Duration // allowed clock difference for X-Amz-Date; 0 means 5 minutes
	// DisablePathNormalization turns off RFC 3986 dot-segment removal and double encoding
	// of the path (the S3 rules); connectfed's services always normalize, the test suite
	// needs both.
	DisablePathNormalization bool
}

// DefaultSkew is the clock difference AWS tolerates, used when Options.Skew is not positive.
const DefaultSkew = 5 * time.Minute

// Verify checks the signature with secret. payloadHash is the lowercase hex SHA-256 of the
// body the server read (the caller reads and buffers the body; for GET it is the hash of "").
// It checks the clock (skew, presigned expiry) against now, the X-Amz-Content-Sha256 header
// against payloadHash, then the signature in constant time.
func (s *Signed) Verify(r *http.Request, secret string, payloadHash string, now time.Time, opt Options) error {
	if err := s.checkClock(now, opt.Skew); err != nil {
		return err
	}
	if err := checkContentSHA256(firstValue(r.Header[hContentSHA256]), len(r.Header[hContentSHA256]), payloadHash); err != nil {
		return err
	}
	if err := checkContentSHA256(s.querySHA256, 1, payloadHash); err != nil {
		return err
	}
	sc := getScratch()
	defer putScratch(sc)
	key := signingKey(secret, s.scopeDate, s.Region, s.Service, sc)
	payload := s.canonicalPayload(r, payloadHash)
	ok := s.matches(sc, key, r, payload, opt, false)
	if !ok && s.tokenInQuery {
		// Some presigners (the test suite's post-sts-header-after among them) append the
		// token after signing. The token is then as unsigned as an X-Amz-Security-Token
		// header left out of SignedHeaders, which the header form accepts anyway.
		ok = s.matches(sc, key, r, payload, opt, true)
	}
	if !ok {
		return &apierr.Error{Code: apierr.InvalidSignature}
	}
	return nil
}

func (s *Signed) matches(sc *scratch, key [sha256.Size]byte, r *http.Request, payload string, opt Options, omitToken bool) bool {
	sc.buf = appendCanonicalRequest(sc.buf[:0], sc, r, s, payload, opt, omitToken)
	sc.buf = appendStringToSign(sc.buf[:0], s, sha256.Sum256(sc.buf))
	mac := hmacSHA256(key[:], sc.buf, &sc.mac)
	return hmac.Equal(mac[:], s.sig[:]) && s.sigOK
}

// StringToSign is the string the client must have signed, given the canonical request; for
// tests and debugging.
func StringToSign(s *Signed, canonicalRequest string) string {
	return string(appendStringToSign(nil, s, sha256.Sum256([]byte(canonicalRequest))))
}

func appendStringToSign(b []byte, s *Signed, canonicalHash [32]byte) []byte {
	b = append(b, algorithm...)
	b = append(b, '\n')
	b = append(b, s.amzDate...)
	b = append(b, '\n')
	b = append(b, s.scope...)
	b = append(b, '\n')
	var h [64]byte
	hex.Encode(h[:], canonicalHash[:])
	return append(b, h[:]...)
}

// checkClock refuses a request signed too far from now. Times are compared to the second,
// the precision of X-Amz-Date, so the message never shows two equal instants.
//
// For the header form, and for a presigned request dated in the future, the messages are
// AWS's:
//
//	Signature expired: 20160610T180547Z is now earlier than 20160610T180612Z (20160610T181112Z - 5 min.)
//	Signature not yet current: 20160610T181800Z is still later than 20160610T181612Z (20160610T181112Z + 5 min.)
//
// A presigned request lives from X-Amz-Date to X-Amz-Date + X-Amz-Expires with no skew
// allowance (as S3 does). Once past, the message keeps the same shape, the parenthesis
// telling how the first instant was computed:
//
//	Signature expired: 20150830T133600Z is now earlier than 20150830T133601Z (20150830T123600Z + 3600 sec.)
func (s *Signed) checkClock(now time.Time, skew time.Duration) error {
	if skew <= 0 {
		skew = DefaultSkew
	}
	now = now.UTC().Truncate(time.Second)
	if late := now.Add(skew); s.Date.After(late) {
		return &apierr.Error{Code: apierr.InvalidSignature, Message: "Signature not yet current: " +
			s.amzDate + " is still later than " + stamp(late) + " (" + stamp(now) + " + " + span(skew) + ")"}
	}
	if s.Presigned {
		if end := s.Date.Add(s.Expires); now.After(end) {
			return &apierr.Error{Code: apierr.InvalidSignature, Message: "Signature expired: " +
				stamp(end) + " is now earlier than " + stamp(now) + " (" + s.amzDate + " + " +
				strconv.FormatInt(int64(s.Expires/time.Second), 10) + " sec.)"}
		}
		return nil
	}
	if early := now.Add(-skew); s.Date.Before(early) {
		return &apierr.Error{Code: apierr.InvalidSignature, Message: "Signature expired: " +
			s.amzDate + " is now earlier than " + stamp(early) + " (" + stamp(now) + " - " + span(skew) + ")"}
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(amzDateFmt) }

func span(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min."
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + " sec."
}

// checkContentSHA256 holds a client to the body hash it declared: a declared hash is what the
// signature covers, so without this check a signed request could carry any body.
func checkContentSHA256(declared string, n int, payloadHash string) error {
	switch {
	case declared == "" || declared == unsignedPayload && n == 1:
		return nil
	case strings.HasPrefix(declared, streamingPrefix):
		return incomplete("Streaming payload signing (x-amz-content-sha256: STREAMING-*) is not supported; send the payload whole.")
	case declared != payloadHash || n != 1:
		return &apierr.Error{Code: apierr.InvalidSignature,
			Message: "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	return nil
}

// scratch holds the buffers of one verification, pooled so the success path allocates
// nothing for the canonical request, the query sort or the HMACs.
type scratch struct {
	buf    []byte // canonical request, then string to sign
	enc    []byte // encoded query keys and values
	params []queryParam
	mac    []byte // HMAC pads and messages
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{
		buf:    make([]byte, 0, 1024),
		enc:    make([]byte, 0, 512),
		params: make([]queryParam, 0, 16),
		mac:    make([]byte, 0, 512),
	}
}}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// putScratch drops buffers grown by an unusually large request rather than pin them.
func putScratch(sc *scratch) {
	const max = 64 << 10
	if cap(sc.buf) > max || cap(sc.enc) > max || cap(sc.mac) > max || cap(sc.params) > 4096 {
		return
	}
	scratchPool.Put(sc)
}

// hmacSHA256 is HMAC (RFC 2104) over SHA-256 written out with sha256.Sum256 and a reused
// buffer: crypto/hmac allocates two digests and the pads on every call, and this runs up to
// five times per request. A test checks it against crypto/hmac.
func hmacSHA256[T string | []byte](key []byte, msg T, buf *[]byte) [32]byte {
	var k [sha256.BlockSize]byte
	if len(key) > len(k) {
		d := sha256.Sum256(key)
		copy(k[:], d[:])
	} else {
		copy(k[:], key)
	}
	b := (*buf)[:0]
	for _, c := range k {
		b = append(b, c^0x36)
	}
	b = append(b, msg...)
	inner := sha256.Sum256(b)
	b = b[:0]
	for _, c := range k {
		b = append(b, c^0x5c)
	}
	b = append(b, inner[:]...)
	out := sha256.Sum256(b)
	// The pads are the key in thin disguise; leave none of it in pooled memory.
	clear(b[:len(k)+max(len(msg), sha256.Size)])
	clear(k[:])
	*buf = b[:0]
	return out
}
