package server_test

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/connectfed/connectfed/internal/sigv4"
)

// Helpers for the hostile-input suite and the server's fuzz targets: a signer that reads a
// request exactly as the server does, and checks that an answer is in the format its client
// reads.

// canonSign signs r (a client request, or a server-side one with RequestURI set) with SigV4 as
// the server itself reads it: sigv4.CanonicalRequest over the path and query as sent. So a
// path aws-sdk-go-v2 signs differently ("//", dot segments, raw bytes) still authenticates
// and reaches routing. It reports false, leaving a signature of zeros, when the server could
// not read a signature on r at all (a query with a malformed escape, a region that is none).
func canonSign(r *http.Request, body []byte, c aws.Credentials, service, region string, at time.Time) bool {
	date := at.UTC().Format("20060102T150405Z")
	r.Header.Set("X-Amz-Date", date)
	signedHeaders := "host;x-amz-date"
	if c.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", c.SessionToken)
		signedHeaders += ";x-amz-security-token"
	}
	scope := date[:8] + "/" + region + "/" + service + "/aws4_request"
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+c.AccessKeyID+"/"+scope+
		", SignedHeaders="+signedHeaders+", Signature="+strings.Repeat("0", 64))
	return resign(r, body, c.SecretAccessKey)
}

// resign replaces the signature of r's Authorization header with the one secret makes of r as
// the server reads it. It reports false when the server reads no signature on r.
func resign(r *http.Request, body []byte, secret string) bool {
	s, err := sigv4.Parse(r)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(body)
	toSign := sigv4.StringToSign(s, sigv4.CanonicalRequest(r, s, hex.EncodeToString(sum[:]), sigv4.Options{}))
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), s.Date.Format("20060102"))
	for _, part := range []string{s.Region, s.Service, "aws4_request"} {
		k = mac(k, part)
	}
	a := r.Header.Get("Authorization")
	i := strings.Index(a, "Signature=")
	r.Header.Set("Authorization", a[:i]+"Signature="+hex.EncodeToString(mac(k, toSign)))
	return true
}

// serverRequest reads raw as Go's server does (RequestURI as sent, Host out of the header).
// ok is false when net/http itself would refuse the bytes with a 400 before any handler ran.
func serverRequest(raw []byte) (*http.Request, bool) {
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil, false
	}
	return r, true
}

// answer is what a handler wrote.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) String() string {
	return fmt.Sprintf("%d %s %q", a.status, a.header.Get("X-Amzn-ErrorType"), a.body)
}

var sourceSeq atomic.Uint32

// serveDirect hands r to the server's handler without a network, from a source address of its
// own each time (so no per-source limit merges unrelated requests).
func serveDirect(h http.Handler, r *http.Request) answer {
	n := sourceSeq.Add(1)
	r.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:4242", byte(n>>16), byte(n>>8), byte(n))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return answer{rec.Code, rec.Header(), rec.Body.Bytes()}
}

// Formats an answer may be in.
const (
	fmtQuery  = "query"  // XML, for iam and sts
	fmtJSON   = "json"   // restJson1, for connect
	fmtNative = "native" // the token API's envelope
	fmtAWS    = "aws"    // query or restJson1, whichever the Content-Type says
)

// checkAnswer fails t unless a is a well-formed answer of format: never a 5xx or a redirect,
// a request id, and a body that parses in the format (an error with its code, or a success).
// It returns the error's code ("" for a success): X-Amzn-ErrorType for restJson1, <Code> for
// the query protocol, error.code for the token API.
func checkAnswer(t testing.TB, format string, a answer) string {
	t.Helper()
	code, _ := checkAnswerMessage(t, format, a)
	return code
}

// checkAnswerMessage is checkAnswer, returning the error's message as well.
func checkAnswerMessage(t testing.TB, format string, a answer) (code, message string) {
	t.Helper()
	if a.status >= 500 || a.status < 200 || a.status >= 300 && a.status < 400 {
		t.Fatalf("answer %s: want 2xx or 4xx", a)
	}
	if a.header.Get("X-Amzn-RequestId") == "" {
		t.Fatalf("answer %s has no X-Amzn-RequestId", a)
	}
	ct := a.header.Get("Content-Type")
	if format == fmtAWS {
		format = fmtJSON
		if strings.HasPrefix(ct, "text/xml") {
			format = fmtQuery
		}
	}
	switch format {
	case fmtQuery:
		if !strings.HasPrefix(ct, "text/xml") {
			t.Fatalf("answer %s: Content-Type %q, want text/xml", a, ct)
		}
		var doc struct {
			XMLName xml.Name
			Error   struct{ Type, Code, Message string }
			ReqID   string `xml:"RequestId"`
		}
		if err := xml.Unmarshal(a.body, &doc); err != nil {
			t.Fatalf("answer %s: not XML: %v", a, err)
		}
		if a.status == 200 {
			if !strings.HasSuffix(doc.XMLName.Local, "Response") || doc.XMLName.Local == "ErrorResponse" {
				t.Fatalf("answer %s: a success whose root is %q", a, doc.XMLName.Local)
			}
			return "", ""
		}
		if doc.XMLName.Local != "ErrorResponse" || doc.Error.Code == "" || doc.Error.Type != "Sender" ||
			doc.ReqID != a.header.Get("X-Amzn-RequestId") {
			t.Fatalf("answer %s: not a query-protocol error", a)
		}
		return doc.Error.Code, doc.Error.Message
	case fmtJSON:
		if ct != "application/json" {
			t.Fatalf("answer %s: Content-Type %q, want application/json", a, ct)
		}
		if !json.Valid(a.body) {
			t.Fatalf("answer %s: not JSON", a)
		}
		if a.status == 200 {
			return "", ""
		}
		var doc struct {
			Message *string `json:"message"`
		}
		typ := a.header.Get("X-Amzn-ErrorType")
		if err := json.Unmarshal(a.body, &doc); err != nil || doc.Message == nil || typ == "" {
			t.Fatalf("answer %s: not a restJson1 error", a)
		}
		return typ, *doc.Message
	case fmtNative:
		if ct != "application/json" {
			t.Fatalf("answer %s: Content-Type %q, want application/json", a, ct)
		}
		var env struct {
			Success *bool           `json:"success"`
			Data    json.RawMessage `json:"data"`
			Error   struct{ Code, Message string }
		}
		if err := json.Unmarshal(a.body, &env); err != nil || env.Success == nil {
			t.Fatalf("answer %s: not the token API's envelope", a)
		}
		if *env.Success != (a.status == 200) || !*env.Success && env.Error.Code == "" || *env.Success && len(env.Data) == 0 {
			t.Fatalf("answer %s: an envelope that disagrees with its status", a)
		}
		return env.Error.Code, env.Error.Message
	}
	t.Fatalf("unknown format %q", format)
	return "", ""
}
