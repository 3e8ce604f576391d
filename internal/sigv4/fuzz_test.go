package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/logging"

	"github.com/connectfed/connectfed/internal/apierr"
)

// fuzzAt is the instant every fuzz request is signed at and verified at.
var fuzzAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// wire writes req as a Go client would and reads it back as Go's server does: what a handler
// gets. ok is false when the server would refuse the bytes before any handler ran.
func wire(req *http.Request) (*http.Request, bool) {
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		return nil, false
	}
	r, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		return nil, false
	}
	return r, true
}

// rawRequest is a request as the fuzzer spells it: a target, an Authorization header, an
// X-Amz-Date and any further header lines, read the way Go's server reads them.
func rawRequest(target, auth, date, extra string) (*http.Request, bool) {
	var b strings.Builder
	b.WriteString("GET " + target + " HTTP/1.1\r\nHost: sts.amazonaws.com\r\n")
	if auth != "" {
		b.WriteString("Authorization: " + auth + "\r\n")
	}
	if date != "" {
		b.WriteString("X-Amz-Date: " + date + "\r\n")
	}
	if extra != "" {
		b.WriteString(strings.TrimRight(extra, "\r\n") + "\r\n")
	}
	b.WriteString("\r\n")
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
	if err != nil {
		return nil, false
	}
	return r, true
}

// parseErrors are the only codes Parse may refuse with; verifyErrors those of Verify.
var (
	parseErrors  = map[apierr.Code]bool{apierr.MissingAuthenticationToken: true, apierr.IncompleteSignature: true}
	verifyErrors = map[apierr.Code]bool{apierr.IncompleteSignature: true, apierr.InvalidSignature: true}
)

func wantCode(t *testing.T, what string, err error, allowed map[apierr.Code]bool) {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: %T %v, want an *apierr.Error", what, err, err)
	}
	if !allowed[e.Code] {
		t.Fatalf("%s: %v, not one of the codes it may answer", what, err)
	}
	if e.Spec().Status >= 500 {
		t.Fatalf("%s: %v answers %d", what, err, e.Spec().Status)
	}
}

// FuzzParse feeds Parse and Verify requests Go's server would accept, with any Authorization
// header, X-Amz-Date, query string (the presigned form) and further headers (a second
// Authorization, a session token, X-Amz-Content-Sha256). They must never panic; they fail
// only with the authentication errors of the table (4xx); the messages never carry the
// claimed signature or session token; and what verifies is exactly the seeds' signature.
func FuzzParse(f *testing.F) {
	signed := newRequest(f, "GET", "https://sts.amazonaws.com/?"+stsForm, nil)
	sdkSign(f, signed, emptyHash, creds(testSecret, testToken), "sts", fuzzAt)
	auth, date := signed.Header.Get("Authorization"), signed.Header.Get("X-Amz-Date")
	token := "X-Amz-Security-Token: " + testToken
	target := "/?" + stsForm
	f.Add(target, auth, date, token)
	f.Add(target, auth, date, "")
	f.Add(target, auth, date, token+"\r\nAuthorization: "+auth)
	f.Add(target+"&X-Amz-Algorithm=AWS4-HMAC-SHA256", auth, date, token)
	f.Add(target, strings.Replace(auth, "Signature=", "Signature=1,Signature=", 1), date, token)
	f.Add(target, strings.Replace(auth, "/sts/", "/iam/", 1), date, token)
	f.Add(target, strings.Replace(auth, "host;", "", 1), date, token)
	f.Add(target, "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00", "20260102T030405Z", "")
	f.Add(target, "garbage", "", "")
	f.Add(target, "AWS4-HMAC-SHA256", "", "")
	f.Add(target, "AWS4-HMAC-SHA256 ,,, =,=", date, "X-Amz-Content-Sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD")

	presigned := sdkPresign(f, newRequest(f, "GET", "https://sts.amazonaws.com/?"+stsForm, nil), emptyHash, creds(testSecret, testToken), "sts", fuzzAt, 900)
	pq := presigned.URL.RequestURI()
	f.Add(pq, "", "", "")
	f.Add(pq+"&X-Amz-Date=20260102T030405Z", "", "", "")
	f.Add(strings.Replace(pq, "X-Amz-Expires=900", "X-Amz-Expires=604801", 1), "", "", "")
	f.Add(strings.Replace(pq, "X-Amz-Credential=", "X-Amz-Credential=%zz", 1), "", "", "")
	f.Add("/?X-Amz-Signature=&X-Amz-Algorithm=", "", "", "")
	f.Add("/?X-%41mz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k%2F20260102%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-Expires=1&X-Amz-SignedHeaders=host&X-Amz-Signature=x", "", "", "")

	f.Fuzz(func(t *testing.T, target, auth, date, extra string) {
		r, ok := rawRequest(target, auth, date, extra)
		if !ok {
			return // net/http answers 400 before any handler runs
		}
		s, err := Parse(r)
		if err != nil {
			wantCode(t, "Parse", err, parseErrors)
			noSecretsIn(t, err, r)
			return
		}
		// What is accepted is what the rest of the server relies on: a region that fits in
		// ARNs, store keys and tokens, among the rest.
		if s.AccessKeyID == "" || !isRegionName(s.Region) || s.Service == "" || !containsHost(s.SignedHeaders) || s.Date.IsZero() {
			t.Fatalf("Parse accepted an incomplete signature: %+v", s)
		}
		_ = CanonicalRequest(r, s, emptyHash, Options{})
		_ = CanonicalRequest(r, s, emptyHash, Options{DisablePathNormalization: true})
		if err := s.Verify(r, testSecret, emptyHash, fuzzAt, Options{}); err != nil {
			wantCode(t, "Verify", err, verifyErrors)
			noSecretsIn(t, err, r)
		}
		if err := s.Verify(r, "", emptyHash, fuzzAt, Options{Skew: time.Nanosecond}); err == nil {
			t.Fatalf("verified with an empty secret: %q", target)
		}
	})
}

func containsHost(names []string) bool {
	for _, n := range names {
		if n == "host" {
			return true
		}
	}
	return false
}

// noSecretsIn checks that an error message carries neither the session token nor the claimed
// signature of r (long enough to be told from an accident).
func noSecretsIn(t *testing.T, err error, r *http.Request) {
	t.Helper()
	msg := apierr.Of(err).Text()
	var secrets []string
	secrets = append(secrets, r.Header.Values("X-Amz-Security-Token")...)
	secrets = append(secrets, r.URL.Query()["X-Amz-Security-Token"]...)
	secrets = append(secrets, r.URL.Query()["X-Amz-Signature"]...)
	for _, a := range r.Header.Values("Authorization") {
		if _, sig, ok := strings.Cut(a, "Signature="); ok {
			sig, _, _ = strings.Cut(sig, ",")
			secrets = append(secrets, sig)
		}
	}
	for _, s := range secrets {
		if len(s) >= 16 && strings.Contains(msg, s) {
			t.Fatalf("message %q carries the secret %q", msg, s)
		}
	}
}

// FuzzSDKSignedVerifies signs requests with hostile paths, query strings, header values and
// bodies with aws-sdk-go-v2's signer (header and presigned forms), sends them through the
// wire and verifies them as the server does: the server's canonical request must be the
// SDK's. Inputs where the two may rightly differ are skipped, each for a reason given below.
func FuzzSDKSignedVerifies(f *testing.F) {
	f.Add("user/federate/arn%3Aaws%3Aconnect%3Aus-east-1%3A123456789012%3Ainstance%2Fabc", "", "X-Custom", "a  b", "", false)
	f.Add("user/federate/..%2F..%2Fetc", "a=b+c&d=%2B&e=%7E&f", "X-Fuzz", " \tx\t ", "", false)
	f.Add("users/%252e%252e/%E2%82%AC", "q=%00&q=%ff&q=~", "Content-Type", "application/json", `{"Username":"a"}`, false)
	f.Add("a b/ሴ/%zz", "x=1;y=2", "X-Amz-Meta", "v", "Action=GetCallerIdentity", true)
	f.Add("", "X-Amz-Date=1&X-Amz-Signature=2", "X-Amz-Target", "T.op", "", true)
	f.Add("instance/", "maxResults=1&nextToken=%E2%80", "Accept", "\xff\xfe", "\x00\x01", false)
	f.Fuzz(func(t *testing.T, path, query, hname, hvalue, body string, presign bool) {
		u, err := url.Parse("http://example.com/" + path)
		if err != nil || u.Opaque != "" || u.Host != "example.com" {
			return
		}
		u.RawQuery, u.Fragment, u.RawFragment = query, "", ""
		if !normalized(u.EscapedPath()) {
			// The server removes dot and empty segments from the path, as AWS and botocore
			// do; aws-sdk-go-v2 signs them as they are.
			return
		}
		for k := range u.Query() {
			if strings.HasPrefix(k, "X-Amz-") {
				// The SDK signs a query that already claims a signature as it is, and adds its
				// own: the server rightly refuses the result (two mechanisms, or a repeat).
				return
			}
		}
		method := "GET"
		var rd *strings.Reader
		if body != "" {
			method, rd = "POST", strings.NewReader(body)
		}
		var req *http.Request
		if rd != nil {
			req, err = http.NewRequest(method, u.String(), rd)
		} else {
			req, err = http.NewRequest(method, u.String(), nil)
		}
		if err != nil {
			return
		}
		if hname != "" {
			if !signableHeader(hname, hvalue) {
				return
			}
			req.Header.Set(hname, hvalue)
		}
		var log bytes.Buffer
		logSigning := func(o *v4.SignerOptions) {
			o.LogSigning = true
			o.Logger = logging.LoggerFunc(func(_ logging.Classification, format string, v ...any) {
				fmt.Fprintf(&log, format, v...)
			})
		}
		c := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: testToken}
		payload := hashHex([]byte(body))
		if presign {
			q := req.URL.Query()
			q.Set("X-Amz-Expires", "60")
			req.URL.RawQuery = q.Encode()
			signedURL, hdr, err := v4.NewSigner(logSigning).PresignHTTP(context.Background(), c, req, payload, "connect", "us-east-1", fuzzAt)
			if err != nil {
				t.Fatal(err)
			}
			out, err := http.NewRequest(method, signedURL, strings.NewReader(body))
			if err != nil {
				t.Fatalf("the SDK presigned a URL Go cannot read: %q: %v", signedURL, err)
			}
			for k, v := range hdr {
				if k != "Host" {
					out.Header[k] = v
				}
			}
			req = out
		} else if err := v4.NewSigner(logSigning).SignHTTP(context.Background(), c, req, payload, "connect", "us-east-1", fuzzAt); err != nil {
			t.Fatal(err)
		}
		r, ok := wire(req)
		if !ok {
			return // refused by net/http, not by the verifier
		}
		s, err := Parse(r)
		if err != nil {
			t.Fatalf("Parse refused an SDK-signed request: %v\nSDK:\n%s", err, log.String())
		}
		if err := s.Verify(r, testSecret, payload, fuzzAt, Options{}); err != nil {
			t.Fatalf("Verify: %v\nserver canonical request:\n%s\nSDK:\n%s", err, CanonicalRequest(r, s, payload, Options{}), log.String())
		}
	})
}

// normalized reports whether a path as sent has no empty, "." or ".." segment.
func normalized(p string) bool {
	if p == "" || p == "/" {
		return true
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		if s == "." || s == ".." || s == "" && i != len(segs)-1 {
			return false
		}
	}
	return true
}

// signableHeader reports whether a header survives the trip to the server as the SDK signed
// it. It may not when:
//   - the name is not a token, or the value has a control character: Go's client would send
//     something else (or nothing), and its server refuses them;
//   - net/http moves or rewrites the header (Host, Content-Length, Transfer-Encoding, ...),
//     or the signer treats it specially (Authorization, X-Amz-*);
//   - the value starts or ends with white space other than spaces: Go's server trims tabs
//     at the edges of a value, and the SDK trims any Unicode white space (U+00A0 among
//     them) where the server trims only spaces and tabs, as botocore does not either.
func signableHeader(name, value string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	switch http.CanonicalHeaderKey(name) {
	case "Host", "Content-Length", "Transfer-Encoding", "Trailer", "Connection", "Te", "Upgrade",
		"Keep-Alive", "Proxy-Connection", "Authorization", "User-Agent", "Expect":
		return false
	}
	if strings.HasPrefix(strings.ToLower(name), "x-amz-") {
		return false
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return strings.TrimSpace(value) == strings.Trim(value, " \t") && strings.Trim(value, " \t") == strings.Trim(value, " ")
}

// FuzzAppendTrimmed holds appendTrimmed's shortcut for plain values to the folding loop, over
// the value as strings.Trim trims it.
func FuzzAppendTrimmed(f *testing.F) {
	for _, v := range []string{"", " ", "a  b", "\tx\t", "value1\r\n  value2\n\tvalue3", "a \r\n b", "a b c", "  ", "a\tb", "x \n"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		want := string(appendFolded([]byte("p:"), strings.Trim(v, " \t\r\n")))
		if got := string(appendTrimmed([]byte("p:"), v)); got != want {
			t.Errorf("appendTrimmed(%q) = %q, want %q", v, got, want)
		}
	})
}
