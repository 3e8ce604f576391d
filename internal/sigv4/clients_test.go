package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/connectfed/connectfed/internal/apierr"
)

const (
	testAKID   = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testToken  = "FwoGZXIvYXdzEXAMPLE//token+with/slashes=="
	otherAKID  = "AKIAOTHEREXAMPLE0000"
	federate   = "/user/federate/arn%3Aaws%3Aconnect%3Aus-east-1%3A123456789012%3Ainstance%2Fabc"
	stsForm    = "Action=GetCallerIdentity&Version=2011-06-15"
)

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

var emptyHash = hashHex(nil)

// verifyServer answers 200 "ok <session token>" to requests that verify, and the error text
// with its status to the rest, doing what connectfed's server does: read the body, hash it,
// Parse, look the secret up, Verify.
func verifyServer(t *testing.T, opt Options) *httptest.Server {
	secrets := map[string]string{testAKID: testSecret, otherAKID: "another secret"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fail := func(err error) {
			e := apierr.Of(err)
			http.Error(w, e.Error(), e.Spec().Status)
		}
		s, err := Parse(r)
		if err != nil {
			fail(err)
			return
		}
		secret, ok := secrets[s.AccessKeyID]
		if !ok {
			fail(&apierr.Error{Code: apierr.UnrecognizedClient})
			return
		}
		if err := s.Verify(r, secret, hashHex(body), time.Now(), opt); err != nil {
			fail(err)
			return
		}
		io.WriteString(w, "ok "+s.SessionToken)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func send(t *testing.T, srv *httptest.Server, req *http.Request) (int, string) {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func newRequest(t testing.TB, method, u string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func creds(secret, token string) aws.Credentials {
	return aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: secret, SessionToken: token}
}

func sdkSign(t testing.TB, req *http.Request, payloadHash string, c aws.Credentials, service string, at time.Time, opts ...func(*v4.SignerOptions)) {
	t.Helper()
	if err := v4.NewSigner(opts...).SignHTTP(context.Background(), c, req, payloadHash, service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
}

func sdkPresign(t testing.TB, req *http.Request, payloadHash string, c aws.Credentials, service string, at time.Time, expires int) *http.Request {
	t.Helper()
	q := req.URL.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(expires))
	req.URL.RawQuery = q.Encode()
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), c, req, payloadHash, service, "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	var body []byte
	if req.GetBody != nil {
		rc, _ := req.GetBody()
		body, _ = io.ReadAll(rc)
	}
	out := newRequest(t, req.Method, u, body)
	for k, v := range hdr {
		if k != "Host" {
			out.Header[k] = v
		}
	}
	return out
}

func TestRealClients(t *testing.T) {
	srv := verifyServer(t, Options{})
	now := time.Now()
	body := []byte(stsForm)

	cases := []struct {
		name       string
		req        func() *http.Request
		wantStatus int
		wantToken  string
	}{
		{"header GET percent-encoded path", func() *http.Request {
			req := newRequest(t, "GET", srv.URL+federate+"?destination=%2Fconnect%2Fccp-v2", nil)
			sdkSign(t, req, emptyHash, creds(testSecret, ""), "connect", now)
			return req
		}, 200, ""},
		{"header POST form", func() *http.Request {
			req := newRequest(t, "POST", srv.URL+"/", body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			sdkSign(t, req, hashHex(body), creds(testSecret, ""), "sts", now)
			return req
		}, 200, ""},
		{"header POST form with session token", func() *http.Request {
			req := newRequest(t, "POST", srv.URL+"/", body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			sdkSign(t, req, hashHex(body), creds(testSecret, testToken), "sts", now)
			return req
		}, 200, testToken},
		{"header GET query with + and reserved bytes", func() *http.Request {
			req := newRequest(t, "GET", srv.URL+"/search?q=a+b&r=%2B1&s=~x%21&empty=&flag&t=%E1%88%B4", nil)
			sdkSign(t, req, emptyHash, creds(testSecret, ""), "connect", now)
			return req
		}, 200, ""},
		{"header PUT JSON with custom and repeated headers", func() *http.Request {
			b := []byte(`{"Name":"x"}`)
			req := newRequest(t, "PUT", srv.URL+"/users/instance-id", b)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Add("X-Custom", "a   b ")
			req.Header.Add("X-Custom", "c")
			req.Header.Set("X-Amz-Target", "Service.Op")
			sdkSign(t, req, hashHex(b), creds(testSecret, ""), "connect", now)
			return req
		}, 200, ""},
		{"header S3-style path without double encoding", func() *http.Request {
			req := newRequest(t, "GET", srv.URL+"/bucket/key%20with%20space/a%2Bb", nil)
			sdkSign(t, req, emptyHash, creds(testSecret, ""), "s3", now, func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
			return req
		}, 403, ""}, // this server normalizes; TestS3StylePath verifies it with the S3 rules
		{"header wrong secret", func() *http.Request {
			req := newRequest(t, "POST", srv.URL+"/", body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			sdkSign(t, req, hashHex(body), creds("not the secret", ""), "sts", now)
			return req
		}, 403, ""},
		{"presigned GET", func() *http.Request {
			req := newRequest(t, "GET", srv.URL+"/?"+stsForm, nil)
			return sdkPresign(t, req, emptyHash, creds(testSecret, ""), "sts", now, 900)
		}, 200, ""},
		{"presigned GET with session token", func() *http.Request {
			req := newRequest(t, "GET", srv.URL+"/?"+stsForm, nil)
			return sdkPresign(t, req, emptyHash, creds(testSecret, testToken), "sts", now, 900)
		}, 200, testToken},
		{"presigned GET percent-encoded path, hoisted and signed headers", func() *http.Request {
			req := newRequest(t, "GET", srv.URL+federate, nil)
			req.Header.Set("X-Amz-Target", "hoisted.into.query")
			req.Header.Set("Content-Type", "text/plain") // stays a header the caller must send
			return sdkPresign(t, req, emptyHash, creds(testSecret, ""), "connect", now, 60)
		}, 200, ""},
		{"presigned POST form body", func() *http.Request {
			req := newRequest(t, "POST", srv.URL+"/", body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return sdkPresign(t, req, hashHex(body), creds(testSecret, ""), "sts", now, 60)
		}, 200, ""},
		{"presigned wrong secret", func() *http.Request {
			req := newRequest(t, "GET", srv.URL+"/?"+stsForm, nil)
			return sdkPresign(t, req, emptyHash, creds("not the secret", ""), "sts", now, 900)
		}, 403, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, text := send(t, srv, c.req())
			if status != c.wantStatus {
				t.Fatalf("status %d (%s), want %d", status, text, c.wantStatus)
			}
			switch {
			case status == 200 && text != strings.TrimSpace("ok "+c.wantToken):
				t.Errorf("answer %q, want session token %q", text, c.wantToken)
			case status == 403 && !strings.HasPrefix(text, "InvalidSignatureException: The request signature we calculated"):
				t.Errorf("answer %q, want InvalidSignature", text)
			}
		})
	}
}

// TestS3StylePath checks DisablePathNormalization against the SDK's S3 mode, where the path
// as sent is the canonical one.
func TestS3StylePath(t *testing.T) {
	srv := verifyServer(t, Options{DisablePathNormalization: true})
	for _, p := range []string{"/bucket/key%20with%20space/a%2Bb", "/bucket//double//slash", "/bucket/./dot/../key"} {
		req := newRequest(t, "GET", srv.URL+p, nil)
		sdkSign(t, req, emptyHash, creds(testSecret, ""), "s3", time.Now(), func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		if status, text := send(t, srv, req); status != 200 {
			t.Errorf("%s: %d %s", p, status, text)
		}
	}
}

// serverSide turns a client request into what a Go server hands its handler, without a
// network: target in RequestURI, Host out of the header.
func serverSide(req *http.Request) *http.Request {
	r := req.Clone(context.Background())
	r.RequestURI = req.URL.RequestURI()
	r.Host = req.Host
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	r.Header.Del("Host")
	return r
}

func TestContentSHA256(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(stsForm)
	sign := func(declared, signedPayload string) *http.Request {
		req := newRequest(t, "POST", "https://sts.amazonaws.com/", body)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Amz-Content-Sha256", declared)
		sdkSign(t, req, signedPayload, creds(testSecret, ""), "sts", at)
		return serverSide(req)
	}
	verify := func(r *http.Request, payloadHash string) error {
		s, err := Parse(r)
		if err != nil {
			return err
		}
		return s.Verify(r, testSecret, payloadHash, at, Options{})
	}

	if err := verify(sign(hashHex(body), hashHex(body)), hashHex(body)); err != nil {
		t.Errorf("matching header refused: %v", err)
	}
	if err := verify(sign("UNSIGNED-PAYLOAD", "UNSIGNED-PAYLOAD"), hashHex(body)); err != nil {
		t.Errorf("UNSIGNED-PAYLOAD refused: %v", err)
	}
	// The client declared (and signed) the hash of another body than the one read.
	other := hashHex([]byte("Action=DeleteUser"))
	err := verify(sign(other, other), hashHex(body))
	if !apierr.Is(err, apierr.InvalidSignature) ||
		apierr.Of(err).Text() != "The provided 'x-amz-content-sha256' header does not match what was computed." {
		t.Errorf("mismatching header: got %v", err)
	}
	err = verify(sign("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), hashHex(body))
	if !apierr.Is(err, apierr.IncompleteSignature) || !strings.Contains(apierr.Of(err).Text(), "STREAMING") {
		t.Errorf("streaming payload: got %v", err)
	}
	// Without the header the body hash read is what the signature covers.
	req := newRequest(t, "POST", "https://sts.amazonaws.com/", body)
	sdkSign(t, req, hashHex(body), creds(testSecret, ""), "sts", at)
	if err := verify(serverSide(req), hashHex(body)); err != nil {
		t.Errorf("no header: %v", err)
	}
	if err := verify(serverSide(req), other); !apierr.Is(err, apierr.InvalidSignature) {
		t.Errorf("no header, other body: got %v, want InvalidSignature", err)
	}
}

// TestQueryPlus pins the reading of '+': a raw '+' is a space (as url.Query reads it and the
// Go SDK signs it), "%2B" is a plus.
func TestQueryPlus(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	req := newRequest(t, "GET", "https://connect.us-east-1.amazonaws.com/x?a=b+c&d=%2B", nil)
	sdkSign(t, req, emptyHash, creds(testSecret, ""), "connect", at)
	r := serverSide(req)
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	cr := CanonicalRequest(r, s, emptyHash, Options{})
	if q := strings.Split(cr, "\n")[2]; q != "a=b%20c&d=%2B" {
		t.Errorf("canonical query %q", q)
	}
	if err := s.Verify(r, testSecret, emptyHash, at, Options{}); err != nil {
		t.Error(err)
	}
}
