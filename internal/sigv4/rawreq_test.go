package sigv4

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// readRawRequest builds the *http.Request Go's server would hand a handler for raw, but
// tolerates what the test suite holds and http.ReadRequest refuses: a space or raw UTF-8 in
// the target, lines ending in LF alone. Like the server it keeps the target in RequestURI,
// moves Host out of the header into r.Host, and unfolds folded header lines into one value
// joined by a single space (net/textproto does the same).
func readRawRequest(t testing.TB, raw string) *http.Request {
	t.Helper()
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	head, body, _ := strings.Cut(raw, "\n\n")
	lines := strings.Split(head, "\n")

	line := lines[0]
	sp1 := strings.IndexByte(line, ' ')
	sp2 := strings.LastIndexByte(line, ' ')
	if sp1 < 0 || sp2 <= sp1 {
		t.Fatalf("bad request line %q", line)
	}
	r := &http.Request{
		Method:     line[:sp1],
		RequestURI: line[sp1+1 : sp2],
		Proto:      line[sp2+1:],
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     make(http.Header),
	}
	var err error
	if r.URL, err = url.ParseRequestURI(r.RequestURI); err != nil {
		t.Fatalf("target %q: %v", r.RequestURI, err)
	}

	var last string // canonical key of the previous line, for folded lines
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			if last == "" {
				t.Fatalf("folded line with nothing to continue: %q", l)
			}
			vals := r.Header[last]
			vals[len(vals)-1] += " " + strings.Trim(l, " \t")
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("bad header line %q", l)
		}
		key := http.CanonicalHeaderKey(name)
		value = strings.Trim(value, " \t")
		if key == "Host" {
			if r.Host == "" {
				r.Host = value
			}
			last = ""
			continue
		}
		r.Header[key] = append(r.Header[key], value)
		last = key
	}

	r.ContentLength = 0
	if cl := r.Header.Get("Content-Length"); cl != "" {
		n, err := strconv.Atoi(cl)
		if err != nil || n > len(body) {
			t.Fatalf("bad Content-Length %q for a body of %d bytes", cl, len(body))
		}
		body = body[:n]
		r.ContentLength = int64(n)
	} else if body != "" {
		t.Fatalf("body without Content-Length")
	}
	r.Body = io.NopCloser(bytes.NewReader([]byte(body)))
	return r
}

func TestReadRawRequest(t *testing.T) {
	r := readRawRequest(t, "POST /a b/ሴ?x=1 HTTP/1.1\nHost:h.example\nMy:a\n  b\n\tc\nMy: d \nContent-Length:3\n\nxyzextra")
	if r.Method != "POST" || r.RequestURI != "/a b/ሴ?x=1" || r.URL.RawQuery != "x=1" || r.Host != "h.example" {
		t.Fatalf("request line or host: %+v", r)
	}
	if got := r.Header["My"]; len(got) != 2 || got[0] != "a b c" || got[1] != "d" {
		t.Fatalf("My = %q", got)
	}
	if _, ok := r.Header["Host"]; ok {
		t.Fatal("Host left in header")
	}
	body, _ := io.ReadAll(r.Body)
	if string(body) != "xyz" || r.ContentLength != 3 {
		t.Fatalf("body %q, length %d", body, r.ContentLength)
	}
}
