package sigv4

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// CanonicalRequest is the canonical request the client must have signed, for tests and
// debugging. payloadHash is as for Verify. For a presigned request whose
// X-Amz-Security-Token was appended after signing, Verify also tries the same canonical
// request without that parameter.
func CanonicalRequest(r *http.Request, s *Signed, payloadHash string, opt Options) string {
	return canonicalRequest(r, s, payloadHash, opt, false)
}

func canonicalRequest(r *http.Request, s *Signed, payloadHash string, opt Options, omitToken bool) string {
	sc := getScratch()
	defer putScratch(sc)
	sc.buf = appendCanonicalRequest(sc.buf[:0], sc, r, s, s.canonicalPayload(r, payloadHash), opt, omitToken)
	return string(sc.buf)
}

// canonicalPayload is the last line of the canonical request: what the client declared in
// X-Amz-Content-Sha256 (UNSIGNED-PAYLOAD included) or else the hash of the body read. The
// presigned form follows the AWS test suite, which signs the body hash too; S3-style
// UNSIGNED-PAYLOAD presigning therefore needs the client to send the header or parameter.
func (s *Signed) canonicalPayload(r *http.Request, payloadHash string) string {
	if v := firstValue(r.Header[hContentSHA256]); v != "" {
		return v
	}
	if s.querySHA256 != "" {
		return s.querySHA256
	}
	return payloadHash
}

// appendCanonicalRequest writes the canonical request. omitToken leaves X-Amz-Security-Token
// out of a presigned query, for clients that add it after signing.
func appendCanonicalRequest(b []byte, sc *scratch, r *http.Request, s *Signed, payload string, opt Options, omitToken bool) []byte {
	b = append(b, r.Method...)
	b = append(b, '\n')
	if opt.DisablePathNormalization {
		b = appendPathAsIs(b, rawPath(r))
	} else {
		b = appendPathNormalized(b, rawPath(r))
	}
	b = append(b, '\n')
	b = appendCanonicalQuery(b, sc, r.URL.RawQuery, s.Presigned, omitToken)
	b = append(b, '\n')
	for _, name := range s.SignedHeaders {
		b = append(b, name...)
		b = append(b, ':')
		b = appendHeaderValue(b, r, name)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, s.signedHeaders...)
	b = append(b, '\n')
	b = append(b, payload...)
	return b
}

// rawPath is the path exactly as the client sent it. r.RequestURI is preferred over
// r.URL.EscapedPath(): the two agree on every well-formed target, but EscapedPath re-escapes
// bytes that are illegal on the wire (a literal space or UTF-8, as in the test suite), and
// RequestURI survives handlers such as http.StripPrefix that rewrite r.URL.
func rawPath(r *http.Request) string {
	if p := r.RequestURI; p != "" && p[0] == '/' {
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		return p
	}
	u := r.URL
	if u.Opaque != "" {
		// Same reading as the SDK signers: //host/path?query in Opaque.
		p := u.Opaque
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		p = strings.TrimPrefix(p, "//")
		if i := strings.IndexByte(p, '/'); i >= 0 {
			return p[i:]
		}
		return "/"
	}
	return u.EscapedPath()
}

// appendPathNormalized applies the rules of every non-S3 signer: dot segments and empty
// segments removed, a trailing slash kept, then each segment of the path as sent (already
// percent-encoded once) encoded again.
func appendPathNormalized(b []byte, p string) []byte {
	start := len(b)
	b = append(b, '/')
	for rest := p; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		switch seg {
		case "", ".":
			continue
		case "..":
			if i := lastSlash(b[start:]); i > 0 {
				b = b[:start+i]
			} else {
				b = b[:start+1]
			}
			continue
		}
		if b[len(b)-1] != '/' {
			b = append(b, '/')
		}
		b = appendEncoded(b, seg, false)
	}
	if strings.HasSuffix(p, "/") && b[len(b)-1] != '/' {
		b = append(b, '/')
	}
	return b
}

func lastSlash(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '/' {
			return i
		}
	}
	return -1
}

// appendPathAsIs applies the S3 rules: the path as sent is already the canonical one, so
// valid escapes are kept verbatim and only bytes that are illegal on the wire are encoded.
func appendPathAsIs(b []byte, p string) []byte {
	if p == "" {
		return append(b, '/')
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '/' || unreserved(c):
			b = append(b, c)
		case c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			b = append(b, p[i:i+3]...)
			i += 2
		default:
			b = appendPercent(b, c)
		}
	}
	return b
}

// appendEncoded writes s with every byte but the unreserved ones percent-encoded. With
// decode, s is first read as a query component: '+' is a space and valid %XX escapes are
// decoded. That is how aws-sdk-go-v2 reads a query (url.Query), and botocore never puts a
// raw '+' or a non-canonical escape on the wire, so both verify.
func appendEncoded(b []byte, s string, decode bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if decode {
			switch {
			case c == '+':
				c = ' '
			case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
				c = unhex(s[i+1])<<4 | unhex(s[i+2])
				i += 2
			}
		}
		if unreserved(c) {
			b = append(b, c)
		} else {
			b = appendPercent(b, c)
		}
	}
	return b
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

const upperHex = "0123456789ABCDEF"

func appendPercent(b []byte, c byte) []byte {
	return append(b, '%', upperHex[c>>4], upperHex[c&15])
}

// queryParam is one encoded key=value pair, as offsets into scratch.enc so sorting moves no
// strings.
type queryParam struct {
	k0, k1, v1 int32 // key is enc[k0:k1], value enc[k1:v1]
}

func appendCanonicalQuery(b []byte, sc *scratch, raw string, presigned, omitToken bool) []byte {
	enc := sc.enc[:0]
	params := sc.params[:0]
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k0 := len(enc)
		enc = appendEncoded(enc, k, true)
		k1 := len(enc)
		if presigned && string(enc[k0:k1]) == qSignature || omitToken && string(enc[k0:k1]) == qSecurityToken {
			enc = enc[:k0]
			continue
		}
		enc = appendEncoded(enc, v, true)
		params = append(params, queryParam{int32(k0), int32(k1), int32(len(enc))})
	}
	slices.SortFunc(params, func(x, y queryParam) int {
		if c := strings.Compare(string(enc[x.k0:x.k1]), string(enc[y.k0:y.k1])); c != 0 {
			return c
		}
		return strings.Compare(string(enc[x.k1:x.v1]), string(enc[y.k1:y.v1]))
	})
	for i, p := range params {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, enc[p.k0:p.k1]...)
		b = append(b, '=')
		b = append(b, enc[p.k1:p.v1]...)
	}
	sc.enc, sc.params = enc, params
	return b
}

// appendHeaderValue writes the canonical value of one signed header. Go's server moves some
// headers out of r.Header (Host always, Content-Length and Transfer-Encoding sometimes), so
// those are rebuilt from the fields that hold them.
func appendHeaderValue(b []byte, r *http.Request, name string) []byte {
	switch name {
	case "host":
		host := r.Host
		if host == "" {
			if host = firstValue(r.Header["Host"]); host == "" {
				host = r.URL.Host
			}
		}
		return appendTrimmed(b, host)
	case "content-length":
		if v, ok := r.Header["Content-Length"]; ok {
			return appendValues(b, v)
		}
		if r.ContentLength >= 0 {
			return strconv.AppendInt(b, r.ContentLength, 10)
		}
		return b
	case "transfer-encoding":
		if v, ok := r.Header["Transfer-Encoding"]; ok {
			return appendValues(b, v)
		}
		return appendValues(b, r.TransferEncoding)
	}
	return appendValues(b, headerValues(r.Header, name))
}

// headerValues finds a header by its lowercase signed name without allocating: the name is
// canonicalized into a stack buffer, and a map index with string(bytes) does not copy.
func headerValues(h http.Header, name string) []string {
	var buf [96]byte
	if len(name) <= len(buf) {
		upper := true
		for i := 0; i < len(name); i++ {
			c := name[i]
			if upper && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			} else if !upper && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
			upper = c == '-'
		}
		if v, ok := h[string(buf[:len(name)])]; ok {
			return v
		}
	}
	// Names net/http keeps uncanonicalized (or were set by hand in another case).
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// appendValues joins a header's values with ',' after trimming each and collapsing runs of
// spaces, as the SDK signers do. Only spaces collapse (aws-sdk-go-v2 leaves tabs inside a
// value alone); a folded line break counts as one space, as in the test suite.
func appendValues(b []byte, vals []string) []byte {
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTrimmed(b, v)
	}
	return b
}

// appendTrimmed appends a header value as the canonical request has it: trimmed, with each
// obs-fold and each run of spaces made one space.
func appendTrimmed(b []byte, v string) []byte {
	v = trimSpace(v)
	if plain(v) {
		// Nearly every value: a session token, a date, an SDK's ids. They are copied whole
		// after one scan, where the folding loop below appends them a byte at a time.
		return append(b, v...)
	}
	return appendFolded(b, v)
}

// trimSpace trims what appendTrimmed trims: strings.Trim with a cutset builds its set on
// every call.
func trimSpace(v string) string {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	for len(v) > 0 && isSpace(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && isSpace(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	return v
}

// plain reports whether appendFolded would copy v unchanged: no line break, no run of spaces.
func plain(v string) bool {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\r', '\n':
			return false
		case ' ':
			if i+1 < len(v) && v[i+1] == ' ' {
				return false
			}
		}
	}
	return true
}

// appendFolded appends a trimmed value with its obs-folds and runs of spaces made one space.
func appendFolded(b []byte, v string) []byte {
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\r' || c == '\n' {
			// obs-fold: the break and the indentation after it are one space.
			for i+1 < len(v) && (v[i+1] == ' ' || v[i+1] == '\t' || v[i+1] == '\r' || v[i+1] == '\n') {
				i++
			}
			c = ' '
		}
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b = append(b, c)
	}
	return b
}
