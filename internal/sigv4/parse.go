package sigv4

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
)

const (
	algorithm  = "AWS4-HMAC-SHA256"
	terminator = "aws4_request"
	amzDateFmt = "20060102T150405Z"

	// maxExpires is AWS's ceiling for X-Amz-Expires: one week.
	maxExpires = 604800

	unsignedPayload = "UNSIGNED-PAYLOAD"
	streamingPrefix = "STREAMING-"

	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qSecurityToken = "X-Amz-Security-Token"
	qContentSHA256 = "X-Amz-Content-Sha256"

	// Canonical net/http header keys, so lookups need no canonicalization.
	hAuthorization = "Authorization"
	hDate          = "X-Amz-Date"
	hSecurityToken = "X-Amz-Security-Token"
	hContentSHA256 = "X-Amz-Content-Sha256"
)

// Signed is what a request claims about its signature, parsed but not yet verified.
type Signed struct {
	AccessKeyID     string
	Date            time.Time // X-Amz-Date
	Region, Service string    // from the credential scope
	SignedHeaders   []string
	SessionToken    string // X-Amz-Security-Token, header or query; "" if none
	Presigned       bool
	Expires         time.Duration // X-Amz-Expires for presigned requests

	amzDate       string // X-Amz-Date as sent: the string to sign carries it verbatim
	scope         string // date/region/service/aws4_request as sent
	scopeDate     string
	signedHeaders string // SignedHeaders as sent: the canonical request carries it verbatim
	sig           [32]byte
	sigOK         bool // false when the claimed signature is not 64 lowercase hex digits
	querySHA256   string
	tokenInQuery  bool // presigned with X-Amz-Security-Token in the query

	// names backs SignedHeaders for the usual request, so parsing allocates only the Signed.
	names [10]string
}

// Parse reads the signature parts from a request (header form or presigned query form).
// It needs no secret, so it can run before the access key is looked up; everything it
// refuses is refused for any secret.
func Parse(r *http.Request) (*Signed, error) {
	q, err := scanQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	auth := r.Header[hAuthorization]
	hasHeader := len(auth) > 0 && strings.TrimSpace(auth[0]) != ""
	switch {
	case hasHeader && q.presigned():
		return nil, incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.")
	case hasHeader:
		if len(auth) > 1 {
			return nil, incomplete("Only one Authorization header is allowed.")
		}
		return parseHeader(r, auth[0], &q)
	case q.presigned():
		return parseQuery(r, &q)
	}
	return nil, &apierr.Error{Code: apierr.MissingAuthenticationToken}
}

func incomplete(msg string) error {
	return &apierr.Error{Code: apierr.IncompleteSignature, Message: msg}
}

// authQuery holds the raw (still percent-encoded) X-Amz-* query parameters; it is filled by
// one pass over the query that also rejects malformed escapes, since a query that cannot be
// decoded has no canonical form.
type authQuery struct {
	algorithm     string
	credential    string
	date          string
	expires       string
	signedHeaders string
	signature     string
	token         string
	contentSHA256 string

	seen    uint8  // bit per parameter, for presence (an empty value is still present)
	repeats string // the first parameter seen twice
}

const (
	seenAlgorithm = 1 << iota
	seenCredential
	seenDate
	seenExpires
	seenSignedHeaders
	seenSignature
	seenToken
	seenContentSHA256
)

func (q *authQuery) presigned() bool { return q.seen&(seenAlgorithm|seenSignature) != 0 }

func scanQuery(raw string) (authQuery, error) {
	var q authQuery
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		key, val, _ := strings.Cut(pair, "=")
		if !validEscapes(key) || !validEscapes(val) {
			return q, incomplete("The query string contains an invalid percent-encoding.")
		}
		if len(key) < 5 || (key[0] != 'X' && key[0] != '%') {
			continue
		}
		if strings.ContainsAny(key, "%+") {
			key, _ = url.QueryUnescape(key)
		}
		var dst *string
		var bit uint8
		switch key {
		case qAlgorithm:
			dst, bit = &q.algorithm, seenAlgorithm
		case qCredential:
			dst, bit = &q.credential, seenCredential
		case qDate:
			dst, bit = &q.date, seenDate
		case qExpires:
			dst, bit = &q.expires, seenExpires
		case qSignedHeaders:
			dst, bit = &q.signedHeaders, seenSignedHeaders
		case qSignature:
			dst, bit = &q.signature, seenSignature
		case qSecurityToken:
			dst, bit = &q.token, seenToken
		case qContentSHA256:
			dst, bit = &q.contentSHA256, seenContentSHA256
		default:
			continue
		}
		if q.seen&bit != 0 && q.repeats == "" {
			q.repeats = key
		}
		q.seen |= bit
		*dst = val
	}
	return q, nil
}

func validEscapes(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0; {
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return false
		}
		j := strings.IndexByte(s[i+3:], '%')
		if j < 0 {
			break
		}
		i += 3 + j
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// queryValue decodes a query value the way the canonical query does ('+' is a space), so
// what Parse reads is what the signature covers.
func queryValue(raw string) string {
	if !strings.ContainsAny(raw, "%+") {
		return raw
	}
	v, err := url.QueryUnescape(raw)
	if err != nil { // scanQuery already refused bad escapes
		return raw
	}
	return v
}

func parseHeader(r *http.Request, auth string, q *authQuery) (*Signed, error) {
	auth = strings.TrimSpace(auth)
	alg, rest, _ := strings.Cut(auth, " ")
	if alg != algorithm {
		// The first word is not echoed: a client that sends a bare token there would see
		// it in the answer and in logs.
		return nil, incomplete("Unsupported Authorization algorithm: only AWS4-HMAC-SHA256 is accepted.")
	}
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, incomplete("Authorization header has a part that is not a key=value pair; expected Credential=..., SignedHeaders=..., Signature=....")
		}
		var dst *string
		var have *bool
		switch key {
		case "Credential":
			dst, have = &cred, &haveCred
		case "SignedHeaders":
			dst, have = &signed, &haveSigned
		case "Signature":
			dst, have = &sig, &haveSig
		default:
			return nil, incomplete("Authorization header has an unknown parameter; only Credential, SignedHeaders and Signature are allowed.")
		}
		if *have {
			return nil, incomplete("Authorization header has more than one '" + key + "' parameter.")
		}
		*dst, *have = val, true
	}
	date := firstValue(r.Header[hDate])
	if cred == "" || sig == "" || signed == "" || date == "" {
		var msg strings.Builder
		if cred == "" {
			msg.WriteString("Authorization header requires 'Credential' parameter. ")
		}
		if sig == "" {
			msg.WriteString("Authorization header requires 'Signature' parameter. ")
		}
		if signed == "" {
			msg.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
		}
		if date == "" {
			msg.WriteString("Authorization header requires existence of a 'X-Amz-Date' header. ")
		}
		return nil, incomplete(strings.TrimSuffix(msg.String(), " "))
	}
	s := &Signed{}
	if err := s.setCredential(cred, date); err != nil {
		return nil, err
	}
	if err := s.setSignedHeaders(signed); err != nil {
		return nil, err
	}
	s.setSignature(sig)
	s.SessionToken = firstValue(r.Header[hSecurityToken])
	if s.SessionToken == "" && q.token != "" {
		s.SessionToken = queryValue(q.token)
	}
	return s, nil
}

func parseQuery(r *http.Request, q *authQuery) (*Signed, error) {
	if q.repeats != "" {
		return nil, incomplete("AWS query-string parameters must not repeat '" + q.repeats + "'. Re-examine the query-string parameters.")
	}
	required := [...]struct {
		bit  uint8
		name string
		val  string
	}{
		{seenAlgorithm, qAlgorithm, q.algorithm},
		{seenCredential, qCredential, q.credential},
		{seenSignature, qSignature, q.signature},
		{seenDate, qDate, q.date},
		{seenSignedHeaders, qSignedHeaders, q.signedHeaders},
		{seenExpires, qExpires, q.expires},
	}
	var missing strings.Builder
	for _, p := range required {
		if q.seen&p.bit == 0 || p.val == "" {
			missing.WriteString("AWS query-string parameters must include '" + p.name + "'. ")
		}
	}
	if missing.Len() > 0 {
		return nil, incomplete(missing.String() + "Re-examine the query-string parameters.")
	}
	if queryValue(q.algorithm) != algorithm {
		return nil, incomplete("X-Amz-Algorithm only supports 'AWS4-HMAC-SHA256'.")
	}
	expires, err := strconv.ParseInt(queryValue(q.expires), 10, 64)
	switch {
	case err != nil && isDigits(queryValue(q.expires)):
		return nil, incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800.")
	case err != nil:
		return nil, incomplete("X-Amz-Expires should be a number.")
	case expires < 0:
		return nil, incomplete("X-Amz-Expires must be non-negative.")
	case expires > maxExpires:
		return nil, incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800.")
	}
	s := &Signed{Presigned: true, Expires: time.Duration(expires) * time.Second}
	if err := s.setCredential(queryValue(q.credential), queryValue(q.date)); err != nil {
		return nil, err
	}
	if err := s.setSignedHeaders(queryValue(q.signedHeaders)); err != nil {
		return nil, err
	}
	s.setSignature(queryValue(q.signature))
	s.SessionToken = firstValue(r.Header[hSecurityToken])
	if s.SessionToken == "" {
		s.SessionToken = queryValue(q.token)
	}
	s.querySHA256 = queryValue(q.contentSHA256)
	s.tokenInQuery = q.seen&seenToken != 0
	return s, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func firstValue(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// setCredential reads keyid/date/region/service/aws4_request and the request date they must
// agree with.
func (s *Signed) setCredential(cred, amzDate string) error {
	var parts [5]string
	rest := cred
	for i := 0; i < 4; i++ {
		var ok bool
		parts[i], rest, ok = strings.Cut(rest, "/")
		if !ok {
			return incomplete("Credential should have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.")
		}
	}
	if strings.IndexByte(rest, '/') >= 0 {
		return incomplete("Credential should have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.")
	}
	parts[4] = rest
	switch {
	case parts[0] == "":
		return incomplete("Credential should name an access key id.")
	case len(parts[1]) != 8 || !isDigits(parts[1]):
		return incomplete("Credential should be scoped to a date in yyyyMMdd format.")
	case !isRegionName(parts[2]):
		return incomplete("Credential should be scoped to a valid region.")
	case parts[3] == "":
		return incomplete("Credential should be scoped to correct service.")
	case parts[4] != terminator:
		return incomplete("Credential should be scoped with a valid terminator: 'aws4_request'.")
	}
	if amzDate == "" {
		return incomplete("Authorization header requires existence of a 'X-Amz-Date' header.")
	}
	t, ok := parseAmzDate(amzDate)
	if !ok {
		return incomplete("X-Amz-Date must be in the ISO-8601 basic format yyyyMMdd'T'HHmmss'Z', got '" + amzDate + "'.")
	}
	// The scope date is checked here rather than left to the signature: the two disagree for
	// every secret, so this is a malformed request (as S3's AuthorizationHeaderMalformed has
	// it), and saying which dates disagree is the only useful answer.
	if parts[1] != amzDate[:8] {
		return incomplete("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
			parts[1] + "' != '" + amzDate[:8] + "', from '" + amzDate + "'.")
	}
	s.AccessKeyID = parts[0]
	s.scopeDate = parts[1]
	s.Region = parts[2]
	s.Service = parts[3]
	s.scope = cred[len(parts[0])+1:]
	s.amzDate = amzDate
	s.Date = t
	return nil
}

// isRegionName reports whether s can be a region: a DNS label (1 to 63 letters, digits and
// hyphens), as the SDKs require of a region they put in an endpoint's host. The region becomes
// part of ARNs, store keys and tokens, which hold nothing longer or stranger.
func isRegionName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// parseAmzDate reads X-Amz-Date's yyyyMMdd'T'HHmmss'Z', accepting exactly what
// time.Parse(amzDateFmt, v) accepts (a test holds it to that) at a fraction of its cost: every
// signed request has one.
func parseAmzDate(v string) (time.Time, bool) {
	if len(v) != len(amzDateFmt) || v[8] != 'T' || v[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) (int, bool) {
		x := 0
		for _, c := range []byte(v[i : i+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			x = x*10 + int(c-'0')
		}
		return x, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(4, 2)
	day, ok3 := num(6, 2)
	hour, ok4 := num(9, 2)
	minute, ok5 := num(11, 2)
	sec, ok6 := num(13, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // the 31st of a 30-day month, the 29th of February in a common year
		return time.Time{}, false
	}
	return t, true
}

func (s *Signed) setSignedHeaders(list string) error {
	names := s.names[:0]
	if n := strings.Count(list, ";") + 1; n > len(s.names) {
		names = make([]string, 0, n)
	}
	hasHost := false
	for rest := list; ; {
		name, tail, more := strings.Cut(rest, ";")
		if name == "" {
			return incomplete("SignedHeaders has an empty header name.")
		}
		hasHost = hasHost || name == "host"
		names = append(names, name)
		if !more {
			break
		}
		rest = tail
	}
	if !hasHost {
		return incomplete("SignedHeaders must include 'host'.")
	}
	s.SignedHeaders = names
	s.signedHeaders = list
	return nil
}

// setSignature keeps only the decoded bytes; a claim that is not 64 lowercase hex digits can
// match nothing, which Verify reports like any other mismatch.
func (s *Signed) setSignature(sig string) {
	if len(sig) != 64 {
		return
	}
	for i := 0; i < 32; i++ {
		hi, ok1 := lowerHex(sig[2*i])
		lo, ok2 := lowerHex(sig[2*i+1])
		if !ok1 || !ok2 {
			s.sig = [32]byte{}
			return
		}
		s.sig[i] = hi<<4 | lo
	}
	s.sigOK = true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
