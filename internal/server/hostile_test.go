package server_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql's "pgx", for the test schema

	"github.com/connectfed/connectfed/internal/server"
	"github.com/connectfed/connectfed/internal/store/postgres"
)

// The hostile-input suite: requests a careless or malicious client sends, against a running
// server. Every case is answered with a 4xx in the format its client reads (query XML for iam
// and sts, restJson1 JSON with X-Amzn-ErrorType for connect, the envelope for /federation/v1/)
// and the error code AWS (or the token API) gives it: never a 5xx, a redirect, a hang or a
// panic. The exceptions are answered by net/http before any handler runs, and say so.
// Afterwards the server still answers a normal GetFederationToken.

// hostileCase is one request and what it must get. Exactly one of req and raw is set: raw is
// sent byte for byte on a TCP connection, for what Go's client will not send (two
// Authorization headers, raw bytes in the target).
type hostileCase struct {
	name   string
	req    func(t *testing.T) *http.Request
	raw    func(t *testing.T) string
	status int
	format string
	code   string
	msg    string // a part of the message, when it matters
}

// noRedirect is a client that shows a redirect instead of following it.
var noRedirect = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (e *env) run(t *testing.T, cases []hostileCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var a answer
			if c.raw != nil {
				a = sendRaw(t, e.addr(), c.raw(t))
			} else {
				a = sendClient(t, c.req(t))
			}
			if a.status != c.status {
				t.Fatalf("answer %s, want status %d", a, c.status)
			}
			code, msg := checkAnswerMessage(t, c.format, a)
			if code != c.code || !strings.Contains(msg, c.msg) {
				t.Fatalf("answer %s: code %q message %q, want %q containing %q", a, code, msg, c.code, c.msg)
			}
		})
	}
}

func (e *env) addr() string { return strings.TrimPrefix(e.url, "http://") }

func sendClient(t *testing.T, r *http.Request) answer {
	t.Helper()
	resp, err := noRedirect.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// sendRaw writes raw on a new connection to addr and reads one response.
func sendRaw(t *testing.T, addr, raw string) answer {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// signRaw signs a raw request (its Host header included) as the server reads it and inserts
// the Authorization and X-Amz-Date headers after the request line.
func signRaw(t *testing.T, raw string, c aws.Credentials, service, region string) string {
	t.Helper()
	r, ok := serverRequest([]byte(raw))
	if !ok {
		t.Fatalf("net/http cannot read %q", raw)
	}
	body, _ := io.ReadAll(r.Body)
	if !canonSign(r, body, c, service, region, time.Now()) {
		t.Fatalf("the server reads no signature on %q", raw)
	}
	line, rest, _ := strings.Cut(raw, "\r\n")
	return line + "\r\nAuthorization: " + r.Header.Get("Authorization") + "\r\nX-Amz-Date: " + r.Header.Get("X-Amz-Date") + "\r\n" + rest
}

// sdkRequest is a request signed by aws-sdk-go-v2's signer for service and region at at;
// before, when not nil, changes the request before it is signed and after, after.
func (e *env) sdkRequest(t *testing.T, service, region, method, path, body string, c aws.Credentials, at time.Time, before, after func(*http.Request)) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
		if service != "connect" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if before != nil {
		before(r)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), c, r, hex.EncodeToString(sum[:]), service, region, at); err != nil {
		t.Fatal(err)
	}
	if after != nil {
		after(r)
	}
	return r
}

// canonRequest is a request to target (path and query as sent) signed as the server reads it,
// so that paths aws-sdk-go-v2 would sign otherwise still authenticate.
func (e *env) canonRequest(t *testing.T, method, target, body string, c aws.Credentials, service string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, e.url+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if !canonSign(r, []byte(body), c, service, "us-east-1", time.Now()) {
		t.Fatalf("the server reads no signature on %s", target)
	}
	return r
}

func setHeader(name, value string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

func editAuth(edit func(string) string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", edit(r.Header.Get("Authorization"))) }
}

// TestHostileRequests runs the suite on SQLite, and on PostgreSQL when
// CONNECTFED_TEST_POSTGRES_URL names a database: the two refuse different bytes (PostgreSQL
// text holds no NUL and nothing that is not UTF-8), and must answer alike.
func TestHostileRequests(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { hostileRequests(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { hostileRequests(t, newPostgresEnv(t)) })
}

// newPostgresEnv starts a test server on PostgreSQL, in a schema of its own that is dropped
// when the test ends; it skips the test without CONNECTFED_TEST_POSTGRES_URL.
func newPostgresEnv(t testing.TB) *env {
	t.Helper()
	base := os.Getenv("CONNECTFED_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("CONNECTFED_TEST_POSTGRES_URL is not set: skipping the PostgreSQL run (.ci/run sets it)")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the schema is dropped: cleanups run last-in first-out
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := pgx.Identifier{"cf_hostile_" + hex.EncodeToString(b[:])}.Sanitize()
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", strings.Trim(schema, `"`))
	u.RawQuery = q.Encode()
	st, err := postgres.Open(context.Background(), u.String(), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newEnvOn(t, server.Config{}, st)
}

func hostileRequests(t *testing.T, e *env) {
	f := newFederated(t, e)
	agentProfile, _ := profileIDs(t, e.connect(e.root, "us-east-1"), f.instance, "Agent", "Basic Routing Profile")
	federate := "/user/federate/" + f.instance
	now := time.Now()
	root := e.root
	get := func(service, region, path string, at time.Time, before, after func(*http.Request)) func(*testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			return e.sdkRequest(t, service, region, "GET", path, "", root, at, before, after)
		}
	}
	signed := func(path string, after func(*http.Request)) func(*testing.T) *http.Request {
		return get("connect", "us-east-1", path, now, nil, after)
	}
	unsigned := func(method, target, contentType, body string, headers ...string) func(*testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r, err := http.NewRequest(method, e.url+target, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if contentType != "" {
				r.Header.Set("Content-Type", contentType)
			}
			for i := 0; i+1 < len(headers); i += 2 {
				r.Header.Add(headers[i], headers[i+1])
			}
			return r
		}
	}
	// asSession signs as the role session that federates as agent1, in region, as the server
	// reads the request (the SDK refuses a region that is not a DNS label).
	asSession := func(region, path string) func(*testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r := mustRequest(t, "GET", e.url+path)
			canonSign(r, nil, f.session, "connect", region, time.Now()) // zeros where it cannot
			return r
		}
	}
	form := func(service, body string) func(*testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			return e.sdkRequest(t, service, "us-east-1", "POST", "/", body, root, now, nil, nil)
		}
	}
	trust := url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`)
	canon := func(method, target, body string, service string) func(*testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return e.canonRequest(t, method, target, body, root, service) }
	}
	date := now.UTC().Format("20060102T150405Z")
	scope := root.AccessKeyID + "/" + date[:8] + "/us-east-1/connect/aws4_request"
	presignedQuery := func(t *testing.T) string {
		r, _, err := v4.NewSigner().PresignHTTP(context.Background(), root,
			mustRequest(t, "GET", e.url+federate+"?X-Amz-Expires=60"), emptySHA256, "connect", "us-east-1", now)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(r)
		return u.RawQuery
	}
	host := e.addr()

	cases := []hostileCase{
		// Malformed Authorization headers.
		{name: "authorization is garbage", req: unsigned("GET", federate, "", "", "Authorization", "garbage", "X-Amz-Date", date),
			status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "Unsupported Authorization algorithm"},
		{name: "authorization is empty", req: unsigned("GET", federate, "", "", "Authorization", " "),
			status: 403, format: fmtJSON, code: "MissingAuthenticationTokenException"},
		{name: "no authorization", req: unsigned("GET", federate, "", ""),
			status: 403, format: fmtJSON, code: "MissingAuthenticationTokenException", msg: "Missing Authentication Token"},
		{name: "authorization without Signature and SignedHeaders",
			req:    unsigned("GET", federate, "", "", "Authorization", "AWS4-HMAC-SHA256 Credential="+scope, "X-Amz-Date", date),
			status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "requires 'Signature' parameter"},
		{name: "authorization with only the algorithm", req: unsigned("GET", federate, "", "", "Authorization", "AWS4-HMAC-SHA256", "X-Amz-Date", date),
			status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "requires 'Credential'"},
		{name: "authorization with a part that is not key=value",
			req:    signed(federate, editAuth(func(a string) string { return a + ", oops" })),
			status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "not a key=value pair"},
		{name: "authorization with an unknown parameter",
			req:    signed(federate, editAuth(func(a string) string { return a + ", Extra=1" })),
			status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "unknown parameter"},
		{name: "authorization with Signature twice",
			req:    signed(federate, editAuth(func(a string) string { return a + ", Signature=" + strings.Repeat("0", 64) })),
			status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "more than one 'Signature'"},
		{name: "authorization with Credential twice",
			req:    signed(federate, editAuth(func(a string) string { return a + ", Credential=" + scope })),
			status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "more than one 'Credential'"},
		{name: "authorization with another algorithm",
			req:    signed(federate, editAuth(func(a string) string { return strings.Replace(a, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", 1) })),
			status: 400, format: fmtJSON, code: "IncompleteSignatureException"},
		{name: "two authorization headers", raw: func(t *testing.T) string {
			r := e.sdkRequest(t, "connect", "us-east-1", "GET", federate, "", root, now, nil, nil)
			a := r.Header.Get("Authorization")
			return "GET " + federate + " HTTP/1.1\r\nHost: " + host + "\r\nX-Amz-Date: " + r.Header.Get("X-Amz-Date") +
				"\r\nAuthorization: " + a + "\r\nAuthorization: " + a + "\r\nConnection: close\r\n\r\n"
		}, status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "Only one Authorization header"},
		{name: "authorization header and presigned query", req: func(t *testing.T) *http.Request {
			r := e.sdkRequest(t, "connect", "us-east-1", "GET", federate, "", root, now, nil, nil)
			r.URL.RawQuery = presignedQuery(t)
			return r
		}, status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "Only one auth mechanism"},
		{name: "presigned query repeats a parameter", req: func(t *testing.T) *http.Request {
			return mustRequest(t, "GET", e.url+federate+"?"+presignedQuery(t)+"&X-Amz-Date="+date)
		}, status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "must not repeat 'X-Amz-Date'"},
		{name: "presigned query lives longer than a week", req: func(t *testing.T) *http.Request {
			q := strings.Replace(presignedQuery(t), "X-Amz-Expires=60", "X-Amz-Expires=604801", 1)
			return mustRequest(t, "GET", e.url+federate+"?"+q)
		}, status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "less than a week"},
		{name: "presigned query with a broken escape", req: func(t *testing.T) *http.Request {
			return mustRequest(t, "GET", e.url+federate+"?"+presignedQuery(t)+"&x=%zz")
		}, status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "invalid percent-encoding"},
		{name: "form post with garbage authorization (sts)", req: unsigned("POST", "/", "application/x-www-form-urlencoded",
			"Action=GetCallerIdentity&Version=2011-06-15", "Authorization", "AWS4-HMAC-SHA256 Credential=x, Credential=y", "X-Amz-Date", date),
			status: 400, format: fmtQuery, code: "IncompleteSignature", msg: "more than one 'Credential'"},
		{name: "unknown access key", req: get("connect", "us-east-1", federate, now, nil, editAuth(func(a string) string {
			return strings.Replace(a, root.AccessKeyID, "AKIAUNKNOWNUNKNOWN00", 1)
		})), status: 403, format: fmtJSON, code: "UnrecognizedClientException", msg: msgBadKey},
		{name: "signature not hex", req: signed(federate, editAuth(func(a string) string {
			i := strings.Index(a, "Signature=")
			return a[:i] + "Signature=" + strings.Repeat("zz", 32)
		})), status: 403, format: fmtJSON, code: "InvalidSignatureException", msg: msgMismatch},
		{name: "wrong secret", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "connect", "us-east-1", "GET", federate, "", withWrongSecret(root), now, nil, nil)
		}, status: 403, format: fmtJSON, code: "InvalidSignatureException", msg: msgMismatch},

		// The credential scope: service, region, date.
		// One endpoint serves every service, routed by the scope's: a service it does not serve
		// is an unknown operation, and a connect path signed for sts is an sts request.
		{name: "scope names a service not served", req: get("s3", "us-east-1", federate, now, nil, nil),
			status: 404, format: fmtJSON, code: "UnknownOperationException", msg: "Service s3 is not served here"},
		{name: "connect path signed for sts", req: get("sts", "us-east-1", federate, now, nil, nil),
			status: 400, format: fmtQuery, code: "MissingAction"},
		// A region other than the endpoint's is fine for AWS's signature: resources belong to
		// the scope's region, where this instance does not exist.
		{name: "scope names another region", req: asSession("eu-west-1", federate),
			status: 404, format: fmtJSON, code: "ResourceNotFoundException", msg: "not found"},
		{name: "scope names no region at all", req: asSession("..", federate),
			status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "valid region"},
		// A token holds at most 128 bytes of region: a longer one used to create instances
		// whose GetFederationToken answered 500.
		{name: "scope region too long", req: asSession(strings.Repeat("us-east-1", 30), "/instance"),
			status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "valid region"},
		{name: "scope date is not the request's", req: signed(federate, editAuth(func(a string) string {
			return strings.Replace(a, "/"+date[:8]+"/", "/20200101/", 1)
		})), status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "Date in Credential scope does not match"},
		{name: "scope without the terminator", req: signed(federate, editAuth(func(a string) string {
			return strings.Replace(a, "/aws4_request", "/aws5_request", 1)
		})), status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "terminator"},
		{name: "scope with six parts", req: signed(federate, editAuth(func(a string) string {
			return strings.Replace(a, "/aws4_request", "/x/aws4_request", 1)
		})), status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "5 slash-delimited"},
		{name: "signed an hour ago", req: get("connect", "us-east-1", federate, now.Add(-time.Hour), nil, nil),
			status: 403, format: fmtJSON, code: "InvalidSignatureException", msg: "Signature expired"},
		{name: "signed an hour ahead", req: get("connect", "us-east-1", federate, now.Add(time.Hour), nil, nil),
			status: 403, format: fmtJSON, code: "InvalidSignatureException", msg: "Signature not yet current"},
		{name: "x-amz-date malformed", req: signed(federate, setHeader("X-Amz-Date", date[:8]+"T25"+date[11:])),
			status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "ISO-8601"},
		{name: "sts signed an hour ago", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "sts", "us-east-1", "POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", root, now.Add(-time.Hour), nil, nil)
		}, status: 403, format: fmtQuery, code: "SignatureDoesNotMatch", msg: "Signature expired"},

		// Signed headers, and the headers themselves.
		{name: "host not signed", req: signed(federate, editAuth(func(a string) string {
			return strings.Replace(a, "SignedHeaders=host;", "SignedHeaders=", 1)
		})), status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "must include 'host'"},
		{name: "signed headers with an empty name", req: signed(federate, editAuth(func(a string) string {
			return strings.Replace(a, "SignedHeaders=host;", "SignedHeaders=host;;", 1)
		})), status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "empty header name"},
		// X-Amz-Date need not be signed: the string to sign carries it, so changing it breaks
		// the signature anyway.
		{name: "x-amz-date not signed, then changed", req: get("connect", "us-east-1", federate, now, nil, func(r *http.Request) {
			signedOnlyHost(t, r, root)
			r.Header.Set("X-Amz-Date", now.Add(time.Second).UTC().Format("20060102T150405Z"))
		}), status: 403, format: fmtJSON, code: "InvalidSignatureException", msg: msgMismatch},
		{name: "a signed header missing from the request", req: get("connect", "us-east-1", federate, now, setHeader("X-Custom", "v"), func(r *http.Request) {
			r.Header.Del("X-Custom")
		}), status: 403, format: fmtJSON, code: "InvalidSignatureException", msg: msgMismatch},
		{name: "host differs from the one signed", req: signed(federate, func(r *http.Request) { r.Host = "connect.us-east-1.amazonaws.com" }),
			status: 403, format: fmtJSON, code: "InvalidSignatureException", msg: msgMismatch},
		{name: "x-amz-content-sha256 not the body's", req: func(t *testing.T) *http.Request {
			body := `{"IdentityManagementType":"SAML","InstanceAlias":"sha","InboundCallsEnabled":true,"OutboundCallsEnabled":true}`
			return e.sdkRequest(t, "connect", "us-east-1", "PUT", "/instance", body, root, now,
				setHeader("X-Amz-Content-Sha256", emptySHA256), nil)
		}, status: 403, format: fmtJSON, code: "InvalidSignatureException", msg: "x-amz-content-sha256"},
		{name: "streaming payload", req: get("connect", "us-east-1", federate, now, setHeader("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), nil),
			status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "STREAMING"},
		{name: "session token changed after signing", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "connect", "us-east-1", "GET", federate, "", f.session, now, nil, setHeader("X-Amz-Security-Token", "forged"))
		}, status: 403, format: fmtJSON, code: "InvalidSignatureException", msg: msgMismatch},
		{name: "session token on a long-term key", req: func(t *testing.T) *http.Request {
			c := root
			c.SessionToken = "\xff\xfenot-a-token"
			return e.sdkRequest(t, "connect", "us-east-1", "GET", federate, "", c, now, nil, nil)
		}, status: 403, format: fmtJSON, code: "UnrecognizedClientException"},

		// Path traversal and double encoding in InstanceId, signed as the server reads the path
		// so that only routing and validation stand in the way.
		{name: "instance id ..%2F..%2Fetc", req: canon("GET", "/user/federate/..%2F..%2Fetc", "", "connect"),
			status: 400, format: fmtJSON, code: "InvalidParameterException", msg: "at 'instanceId'"},
		{name: "instance id %252e%252e%252f", req: canon("GET", "/user/federate/%252e%252e%252fetc%252fpasswd", "", "connect"),
			status: 400, format: fmtJSON, code: "InvalidParameterException", msg: "at 'instanceId'"},
		{name: "instance id %2e%2e", req: canon("GET", "/user/federate/%2e%2e", "", "connect"),
			status: 400, format: fmtJSON, code: "InvalidParameterException"},
		{name: "instance id NUL", req: canon("GET", "/user/federate/%00", "", "connect"),
			status: 400, format: fmtJSON, code: "InvalidParameterException"},
		{name: "instance id of 101 characters", req: canon("GET", "/user/federate/"+strings.Repeat("a", 101), "", "connect"),
			status: 400, format: fmtJSON, code: "InvalidParameterException", msg: "length less than or equal to 100"},
		{name: "instance ARN with a traversal", req: canon("GET", "/user/federate/"+url.PathEscape("arn:aws:connect:us-east-1:"+testAccount+":instance/../"+f.instance), "", "connect"),
			status: 400, format: fmtJSON, code: "InvalidParameterException"},
		{name: "leading //", req: canon("GET", "/"+federate, "", "connect"),
			status: 404, format: fmtJSON, code: "UnknownOperationException"},
		{name: "empty segment before the id", req: canon("GET", "/user/federate//"+f.instance, "", "connect"),
			status: 404, format: fmtJSON, code: "UnknownOperationException"},
		{name: "dot segments around the id", req: canon("GET", "/user/federate/x/../"+f.instance, "", "connect"),
			status: 404, format: fmtJSON, code: "UnknownOperationException"},
		{name: "dot segment as a user id", req: canon("GET", "/users/"+f.instance+"/..", "", "connect"),
			status: 404, format: fmtJSON, code: "ResourceNotFoundException"},
		{name: "token API path with dot segments", req: unsigned("POST", "/federation/v1/%2e%2e/refresh", "application/json", `{"refreshToken":"x"}`),
			status: 404, format: fmtNative, code: "NOT_FOUND"},

		// Bytes that are not UTF-8, in the path, headers, query and bodies.
		{name: "non-UTF-8 bytes in the path", raw: func(t *testing.T) string {
			return signRaw(t, "GET /user/federate/\xff\xfe HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n", root, "connect", "us-east-1")
		}, status: 400, format: fmtJSON, code: "InvalidParameterException", msg: "at 'instanceId'"},
		{name: "non-UTF-8 escapes in the path", req: canon("GET", "/user/federate/%FF%FE%80", "", "connect"),
			status: 400, format: fmtJSON, code: "InvalidParameterException"},
		{name: "non-UTF-8 access key id", raw: func(t *testing.T) string {
			return "GET " + federate + " HTTP/1.1\r\nHost: " + host + "\r\nX-Amz-Date: " + date +
				"\r\nAuthorization: AWS4-HMAC-SHA256 Credential=\xff\xfe/" + date[:8] + "/us-east-1/connect/aws4_request, SignedHeaders=host;x-amz-date, Signature=" +
				strings.Repeat("0", 64) + "\r\nConnection: close\r\n\r\n"
		}, status: 403, format: fmtJSON, code: "UnrecognizedClientException"},
		{name: "non-UTF-8 region", raw: func(t *testing.T) string {
			return "GET " + federate + " HTTP/1.1\r\nHost: " + host + "\r\nX-Amz-Date: " + date +
				"\r\nAuthorization: AWS4-HMAC-SHA256 Credential=" + root.AccessKeyID + "/" + date[:8] + "/us-\xff-1/connect/aws4_request, SignedHeaders=host;x-amz-date, Signature=" +
				strings.Repeat("0", 64) + "\r\nConnection: close\r\n\r\n"
		}, status: 400, format: fmtJSON, code: "IncompleteSignatureException", msg: "valid region"},
		{name: "non-UTF-8 x-amz-date", raw: func(t *testing.T) string {
			return "GET " + federate + " HTTP/1.1\r\nHost: " + host + "\r\nX-Amz-Date: \xff" + date[1:] +
				"\r\nAuthorization: AWS4-HMAC-SHA256 Credential=" + scope + ", SignedHeaders=host;x-amz-date, Signature=" +
				strings.Repeat("0", 64) + "\r\nConnection: close\r\n\r\n"
		}, status: 400, format: fmtJSON, code: "IncompleteSignatureException"},
		// A signed header's bytes are the client's business: the operation answers as ever
		// (the account root may not federate).
		{name: "non-UTF-8 signed header", raw: func(t *testing.T) string {
			return signRaw(t, "GET "+federate+" HTTP/1.1\r\nHost: "+host+"\r\nX-Custom: \xff\xfe\r\nConnection: close\r\n\r\n", root, "connect", "us-east-1")
		}, status: 400, format: fmtJSON, code: "InvalidRequestException", msg: "cannot be used for federation"},
		{name: "non-UTF-8 query value", raw: func(t *testing.T) string {
			return signRaw(t, "GET /instance?maxResults=\xff&nextToken=\xfe HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n", root, "connect", "us-east-1")
		}, status: 400, format: fmtJSON, code: "InvalidParameterException", msg: "maxResults"},
		{name: "non-UTF-8 next token", req: canon("GET", "/users-summary/"+f.instance+"?nextToken=%FF%FE", "", "connect"),
			status: 400, format: fmtJSON, code: "InvalidParameterException", msg: "NextToken"},
		{name: "non-UTF-8 JSON body", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "connect", "us-east-1", "PUT", "/users/"+f.instance, `{"Username":"\xff\xfe","SecurityProfileIds":["x"],"RoutingProfileId":"y"}`, root, now, nil, nil)
		}, status: 400, format: fmtJSON, code: "SerializationException", msg: "not valid JSON"},
		{name: "non-UTF-8 form body", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "iam", "us-east-1", "POST", "/", "Action=CreateUser&Version=2010-05-08&UserName=%FF%FE", root, now, nil, nil)
		}, status: 400, format: fmtQuery, code: "ValidationError", msg: "userName"},
		{name: "non-UTF-8 raw form body", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "iam", "us-east-1", "POST", "/", "Action=CreateUser&Version=2010-05-08&UserName=\xff\xfe", root, now, nil, nil)
		}, status: 400, format: fmtQuery, code: "ValidationError"},
		{name: "non-UTF-8 token API body", req: unsigned("POST", "/federation/v1/refresh", "application/json", "\xff\xfe"),
			status: 400, format: fmtNative, code: "VALIDATION_ERROR", msg: "not valid JSON"},
		{name: "non-UTF-8 token", req: unsigned("POST", "/federation/v1/refresh", "application/json", "{\"refreshToken\":\"cfr1_\xff\xfe\"}"),
			status: 401, format: fmtNative, code: "UNAUTHENTICATED"},

		// Strings no store key can be: PostgreSQL refuses NUL and bytes that are not UTF-8 in
		// text, and each of these was a 500 there (SQLite found nothing) until the value was
		// checked before any lookup.
		{name: "presigned access key id with a NUL", req: func(t *testing.T) *http.Request {
			q := strings.Replace(presignedQuery(t), "X-Amz-Credential="+root.AccessKeyID, "X-Amz-Credential=AKIA%00", 1)
			return mustRequest(t, "GET", e.url+federate+"?"+q)
		}, status: 403, format: fmtJSON, code: "UnrecognizedClientException", msg: msgBadKey},
		{name: "next token decoding to a NUL", req: canon("GET", "/users-summary/"+f.instance+"?nextToken=AA", "", "connect"),
			status: 400, format: fmtJSON, code: "InvalidParameterException", msg: "NextToken"},
		{name: "next token decoding to bytes that are not UTF-8", req: canon("GET", "/instance?nextToken=_w", "", "connect"),
			status: 400, format: fmtJSON, code: "InvalidParameterException", msg: "NextToken"},
		{name: "profiles next token not UTF-8", req: canon("GET", "/security-profiles-summary/"+f.instance+"?nextToken=_w", "", "connect"),
			status: 400, format: fmtJSON, code: "InvalidParameterException", msg: "NextToken"},
		{name: "user id NUL", req: canon("GET", "/users/"+f.instance+"/%00", "", "connect"),
			status: 404, format: fmtJSON, code: "ResourceNotFoundException"},
		{name: "user id not UTF-8", req: canon("DELETE", "/users/"+f.instance+"/%FF", "", "connect"),
			status: 404, format: fmtJSON, code: "ResourceNotFoundException"},
		{name: "security profile id NUL", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "connect", "us-east-1", "PUT", "/users/"+f.instance, `{"Username":"agent9","SecurityProfileIds":["\u0000"],"RoutingProfileId":"r"}`, root, now, nil, nil)
		}, status: 400, format: fmtJSON, code: "InvalidParameterException", msg: "no security profile"},
		{name: "routing profile id NUL", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "connect", "us-east-1", "PUT", "/users/"+f.instance, `{"Username":"agent9","SecurityProfileIds":["`+agentProfile+`"],"RoutingProfileId":"\u0000"}`, root, now, nil, nil)
		}, status: 400, format: fmtJSON, code: "InvalidParameterException", msg: "no routing profile"},
		{name: "iam access key id NUL", req: form("iam", "Action=UpdateAccessKey&Version=2010-05-08&AccessKeyId=%00&Status=Inactive"),
			status: 400, format: fmtQuery, code: "ValidationError", msg: "accessKeyId"},
		{name: "iam access key id not UTF-8", req: form("iam", "Action=DeleteAccessKey&Version=2010-05-08&AccessKeyId=%FF"),
			status: 400, format: fmtQuery, code: "ValidationError", msg: "accessKeyId"},
		{name: "iam marker decoding to a NUL", req: form("iam", "Action=ListRoles&Version=2010-05-08&Marker=AA"),
			status: 400, format: fmtQuery, code: "ValidationError", msg: "Invalid Marker"},
		{name: "role description NUL", req: form("iam", "Action=CreateRole&Version=2010-05-08&RoleName=d1&Description=%00&AssumeRolePolicyDocument="+trust),
			status: 400, format: fmtQuery, code: "ValidationError", msg: "description"},
		{name: "role description not UTF-8", req: form("iam", "Action=CreateRole&Version=2010-05-08&RoleName=d2&Description=%FF&AssumeRolePolicyDocument="+trust),
			status: 400, format: fmtQuery, code: "ValidationError", msg: "description"},
		{name: "trust policy not UTF-8", req: form("iam", "Action=CreateRole&Version=2010-05-08&RoleName=d3&AssumeRolePolicyDocument="+
			url.QueryEscape("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"\xff\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"sts:AssumeRole\"}]}")),
			status: 400, format: fmtQuery, code: "ValidationError", msg: "assumeRolePolicyDocument"},

		// Bodies over the limit (1 MiB by default; 16 KiB for the token API).
		{name: "connect body over the limit", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "connect", "us-east-1", "PUT", "/instance", `{"InstanceAlias":"`+strings.Repeat("a", 2<<20)+`"}`, root, now, nil, nil)
		}, status: 413, format: fmtJSON, code: "RequestEntityTooLargeException"},
		{name: "iam body over the limit", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "iam", "us-east-1", "POST", "/", "Action=CreateUser&UserName="+strings.Repeat("a", 2<<20), root, now, nil, nil)
		}, status: 413, format: fmtQuery, code: "RequestEntityTooLarge"},
		{name: "chunked body over the limit", req: func(t *testing.T) *http.Request {
			r := mustRequest(t, "PUT", e.url+"/instance")
			r.Body = io.NopCloser(io.LimitReader(zeros{}, 2<<20)) // no length: sent chunked
			r.Header.Set("Content-Type", "application/json")
			return r
		}, status: 413, format: fmtJSON, code: "RequestEntityTooLargeException"},
		{name: "token API body over its limit", req: unsigned("POST", "/federation/v1/revoke", "application/json", `{"token":"`+strings.Repeat("a", 32<<10)+`"}`),
			status: 400, format: fmtNative, code: "VALIDATION_ERROR", msg: "larger than the limit"},

		// Content types the protocols do not speak. The AWS protocols read their own body
		// format whatever the Content-Type says (as the SDKs never send another); what is not
		// in that format is refused as such.
		{name: "connect body is a JSON array", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "connect", "us-east-1", "PUT", "/instance", `[{"InstanceAlias":"x"}]`, root, now, nil, nil)
		}, status: 400, format: fmtJSON, code: "SerializationException", msg: "the body must be an object, not an array"},
		{name: "connect body in XML", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "connect", "us-east-1", "PUT", "/instance", `<CreateInstance><InstanceAlias>x</InstanceAlias></CreateInstance>`, root, now,
				setHeader("Content-Type", "application/xml"), nil)
		}, status: 400, format: fmtJSON, code: "SerializationException", msg: "not valid JSON"},
		{name: "sts form as JSON", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "sts", "us-east-1", "POST", "/", `{"Action":"GetCallerIdentity","Version":"2011-06-15"}`, root, now,
				setHeader("Content-Type", "application/json"), nil)
		}, status: 400, format: fmtQuery, code: "MissingAction"},
		{name: "sts form as multipart", req: func(t *testing.T) *http.Request {
			body := "--b\r\nContent-Disposition: form-data; name=\"Action\"\r\n\r\nGetCallerIdentity\r\n--b--\r\n"
			return e.sdkRequest(t, "sts", "us-east-1", "POST", "/", body, root, now,
				setHeader("Content-Type", "multipart/form-data; boundary=b"), nil)
		}, status: 400, format: fmtQuery, code: "MalformedQueryString"},
		{name: "unparseable content type, unsigned", req: unsigned("PUT", "/instance", "\xff/;;=;", "{}"),
			status: 403, format: fmtJSON, code: "MissingAuthenticationTokenException"},
		{name: "token API as text/plain", req: unsigned("POST", "/federation/v1/refresh", "text/plain", `{"refreshToken":"x"}`),
			status: 400, format: fmtNative, code: "VALIDATION_ERROR", msg: "Content-Type must be application/json"},
		{name: "token API as form", req: unsigned("POST", "/federation/v1/introspect", "application/x-www-form-urlencoded", "token=x"),
			status: 400, format: fmtNative, code: "VALIDATION_ERROR", msg: "Content-Type"},
		{name: "token API with an unparseable content type", req: unsigned("POST", "/federation/v1/revoke", "application/json; =\xff", `{"token":"x"}`),
			status: 400, format: fmtNative, code: "VALIDATION_ERROR", msg: "Content-Type"},

		// Large headers under net/http's limit reach the handler, and are answered there.
		{name: "a 60 KiB header", req: unsigned("GET", federate, "", "", "X-Padding", strings.Repeat("p", 60<<10)),
			status: 403, format: fmtJSON, code: "MissingAuthenticationTokenException"},
		// A region AWS does not have; an operation connectfed does not serve, unsigned.
		{name: "a region AWS does not have", req: func(t *testing.T) *http.Request {
			return e.sdkRequest(t, "connect", "mars-1", "GET", federate, "", root, now, nil, nil)
		}, status: 403, format: fmtJSON, code: "InvalidSignatureException", msg: "Credential should be scoped to a valid region, not 'mars-1'."},
		{name: "AssumeRoleWithWebIdentity, not served, unsigned", req: unsigned("POST", "/", "application/x-www-form-urlencoded",
			"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/R&RoleSessionName=s&WebIdentityToken=t"),
			status: 400, format: fmtAWS, code: "InvalidAction", msg: "connectfed serves no operation AssumeRoleWithWebIdentity"},
		{name: "an operation not served, unsigned", req: unsigned("GET", "/phone-numbers-summary/x", "", ""),
			status: 404, format: fmtJSON, code: "UnknownOperationException", msg: "Unknown operation GET /phone-numbers-summary/x"},
		// Past the server's limits, but not net/http's: refused in the client's format.
		{name: "a 100 KiB header", req: unsigned("GET", federate, "", "", "X-Padding", strings.Repeat("p", 100<<10)),
			status: 431, format: fmtJSON, code: "RequestHeaderFieldsTooLargeException", msg: "the limit is 65536"},
		{name: "a 70 KB query string", req: unsigned("GET", federate+"?x="+strings.Repeat("q", 70_000), "", ""),
			status: 414, format: fmtJSON, code: "URITooLongException", msg: "the limit is 16384"},
		{name: "a 70 KB query string to STS", req: unsigned("GET", "/?Action=GetCallerIdentity&Version=2011-06-15&x="+strings.Repeat("q", 70_000), "", ""),
			status: 414, format: fmtAWS, code: "URITooLong"},
	}
	e.run(t, cases)

	// The server stays up: the same caller still federates, and the tokens work.
	stillServes(t, e, f)
}

// stillServes checks that the server answers a normal GetFederationToken correctly.
func stillServes(t *testing.T, e *env, f federated) {
	t.Helper()
	out := f.federate(t, e, f.session)
	if !strings.HasPrefix(aws.ToString(out.Credentials.AccessToken), "cfa1_") || aws.ToString(out.UserId) != f.userID {
		t.Fatalf("GetFederationToken after the hostile requests: %+v", out)
	}
	got := e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", aws.ToString(out.Credentials.RefreshToken)), nil)
	if got.status != 200 || !got.Success {
		t.Fatalf("refresh after the hostile requests: %d %+v", got.status, got.Error)
	}
}

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// signedOnlyHost re-signs r (signed by the SDK, with no body) with SignedHeaders=host alone.
func signedOnlyHost(t *testing.T, r *http.Request, c aws.Credentials) {
	t.Helper()
	a := r.Header.Get("Authorization")
	i, j := strings.Index(a, "SignedHeaders="), strings.Index(a, ", Signature=")
	r.Header.Set("Authorization", a[:i]+"SignedHeaders=host"+a[j:])
	if !resign(r, nil, c.SecretAccessKey) {
		t.Fatal("cannot re-sign")
	}
}

// zeros reads as endless '0's.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

// listen serves e's handler on a real listener through the server's own http.Server
// (server.HTTPServer), with its timeouts shortened by tune so that the test is quick. It
// checks first that the production server has every timeout and the header limit.
func listen(t *testing.T, e *env, tune func(*http.Server)) string {
	t.Helper()
	hs := e.handler.(*server.Server).HTTPServer("127.0.0.1:0")
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 || hs.IdleTimeout <= 0 || hs.MaxHeaderBytes != 1<<20 {
		t.Fatalf("HTTPServer: ReadHeaderTimeout %v, ReadTimeout %v, WriteTimeout %v, IdleTimeout %v, MaxHeaderBytes %d",
			hs.ReadHeaderTimeout, hs.ReadTimeout, hs.WriteTimeout, hs.IdleTimeout, hs.MaxHeaderBytes)
	}
	if tune != nil {
		tune(hs)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return ln.Addr().String()
}

// closedWithin reports whether the server closes conn (a read ends in EOF or an error, after
// whatever the server wrote) within d, and what it wrote.
func closedWithin(conn net.Conn, d time.Duration) (bool, string) {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, string(b)
	}
	return true, string(b)
}

// TestHostileConnections holds the connection-level cases: giant headers, slow clients and
// idle connections, against the server's own http.Server (its limits and timeouts) on a real
// listener. These are answered by net/http before any handler runs, so never in an AWS
// format: net/http answers a header over MaxHeaderBytes (1 MiB; the server's own limit, 64 KiB,
// is answered in the client's format) with a plain-text 431, and closes a
// connection whose header or body does not arrive in time without a word. The handler sees
// neither request; no AWS client sends either.
func TestHostileConnections(t *testing.T) {
	e := newEnv(t)
	f := newFederated(t, e)
	const headerTimeout = 500 * time.Millisecond
	addr := listen(t, e, func(hs *http.Server) {
		hs.ReadHeaderTimeout = headerTimeout
		hs.ReadTimeout = time.Second
		hs.IdleTimeout = headerTimeout
	})
	federate := "/user/federate/" + f.instance
	tuned := *e // the same server, reached through the tuned listener
	tuned.url = "http://" + addr

	t.Run("2 MB header", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		go func() {
			_, _ = io.WriteString(conn, "GET "+federate+" HTTP/1.1\r\nHost: "+addr+"\r\nX-Big: "+strings.Repeat("b", 2<<20)+"\r\n\r\n")
		}()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		resp.Body.Close()
		// net/http's own answer: the handler never ran, so there is no request id.
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || resp.Header.Get("X-Amzn-RequestId") != "" {
			t.Fatalf("a 2 MB header: %d %v, want net/http's 431", resp.StatusCode, resp.Header)
		}
	})

	t.Run("slowloris", func(t *testing.T) {
		// The server's header timer starts once it has accepted the connection: after the
		// dial began, maybe before it returned here.
		start := time.Now()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET "+federate+" HTTP/1.1\r\nHost: "+addr+"\r\n"); err != nil {
			t.Fatal(err)
		}
		closed := make(chan string, 1)
		go func() {
			ok, wrote := closedWithin(conn, 10*time.Second)
			if !ok {
				wrote = "still open after 10s"
			}
			closed <- wrote
		}()
		// A header line every 50 ms: the connection is never idle, but the header never ends.
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case wrote := <-closed:
				if wrote != "" && !strings.HasPrefix(wrote, "HTTP/1.1 408") {
					t.Fatalf("the server wrote %q to a slow client", wrote)
				}
				if took := time.Since(start); took < headerTimeout {
					t.Fatalf("cut off after %v, before ReadHeaderTimeout", took)
				}
				return
			case <-tick.C:
				_, _ = io.WriteString(conn, "X-Drip: a\r\n")
			}
		}
	})

	t.Run("a body that never arrives", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.WriteString(conn, "PUT /instance HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":")
		// ReadTimeout ends the read, and the handler answers in the client's format.
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		a := answer{resp.StatusCode, resp.Header, b}
		if code := checkAnswer(t, fmtJSON, a); a.status != 400 || code != "SerializationException" {
			t.Fatalf("a body cut off: %s", a)
		}
	})

	t.Run("idle keep-alive connection", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("healthz: %d, close %v", resp.StatusCode, resp.Close)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := br.Read(make([]byte, 1)); n != 0 || err == nil || isTimeout(err) {
			t.Fatalf("an idle keep-alive connection: read %d, %v; want it closed by IdleTimeout", n, err)
		}
	})

	t.Run("thousands of idle connections", func(t *testing.T) {
		n := idleConnections(t)
		conns := make([]net.Conn, 0, n)
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for range n {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatalf("after %d connections: %v", len(conns), err)
			}
			conns = append(conns, c)
		}
		// While they are held, a normal signed request is answered at once.
		r := tuned.sdkRequest(t, "connect", "us-east-1", "GET", federate, "", f.session, time.Now(), nil, nil)
		client := &http.Client{Timeout: 5 * time.Second}
		resp, err := client.Do(r)
		if err != nil {
			t.Fatalf("GetFederationToken with %d idle connections open: %v", n, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"AccessToken":"cfa1_`) {
			t.Fatalf("GetFederationToken with %d idle connections open: %d %s", n, resp.StatusCode, b)
		}
		// And ReadHeaderTimeout closes every one of them.
		open := 0
		for _, c := range conns {
			if ok, _ := closedWithin(c, 10*time.Second); !ok {
				open++
			}
		}
		if open > 0 {
			t.Fatalf("%d of %d idle connections still open after 10s", open, n)
		}
	})

	// The server stays up, on both listeners.
	stillServes(t, e, f)
	r := tuned.sdkRequest(t, "connect", "us-east-1", "GET", federate, "", f.session, time.Now(), nil, nil)
	if a := sendClient(t, r); a.status != 200 {
		t.Fatalf("GetFederationToken on the tuned listener afterwards: %s", a)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// idleConnections is how many idle connections the test holds: 2,000, or fewer when the file
// descriptor limit (two per connection, both ends being in this process) is lower.
func idleConnections(t *testing.T) int {
	n := 2000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(2*n+256) {
		n = max(int(lim.Cur)/2-128, 10)
		t.Logf("the file descriptor limit is %d: holding %d idle connections", lim.Cur, n)
	}
	return n
}
