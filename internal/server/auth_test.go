package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/internal/server"
	"github.com/connectfed/connectfed/internal/server/awsapi"
)

const (
	msgMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgBadKey   = "The security token included in the request is invalid."
)

// The same failures answer in XML for the query services and in JSON for connect.
func TestAuthFailuresThroughSDKs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	describe := func(c aws.Credentials) error {
		_, err := connect.NewFromConfig(e.config(c)).DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String("abc")})
		return err
	}
	caller := func(c aws.Credentials) error {
		_, err := e.sts(c).GetCallerIdentity(ctx, nil)
		return err
	}

	wrongSecret := withWrongSecret(e.root)
	wantAPIError(t, caller(wrongSecret), "SignatureDoesNotMatch", 403, msgMismatch)
	wantAPIError(t, describe(wrongSecret), "InvalidSignatureException", 403, msgMismatch)

	unknown := aws.Credentials{AccessKeyID: "AKIAUNKNOWNUNKNOWN00", SecretAccessKey: e.root.SecretAccessKey}
	wantAPIError(t, caller(unknown), "InvalidClientTokenId", 403, msgBadKey)
	wantAPIError(t, describe(unknown), "UnrecognizedClientException", 403, msgBadKey)

	// The server's clock runs ahead: the request's date is too old.
	e.clock.Advance(6 * time.Minute)
	wantAPIError(t, caller(e.root), "SignatureDoesNotMatch", 403, "Signature expired: ")
	wantAPIError(t, describe(e.root), "InvalidSignatureException", 403, "- 5 min.)")
	// And behind: the request's date is in the future.
	e.clock.Advance(-12 * time.Minute)
	wantAPIError(t, caller(e.root), "SignatureDoesNotMatch", 403, "Signature not yet current: ")
	e.clock.Advance(6 * time.Minute)

	// Past authentication, an operation connectfed does not serve is unknown.
	_, err := connect.NewFromConfig(e.config(e.root)).ListPhoneNumbers(ctx, &connect.ListPhoneNumbersInput{InstanceId: aws.String("abc")})
	wantAPIError(t, err, "UnknownOperationException", 404, "Unknown operation GET /phone-numbers-summary/abc")
}

// rawAnswer is what a hand-made request got back.
type rawAnswer struct {
	status    int
	errorType string // X-Amzn-ErrorType
	requestID string
	body      string
}

func do(t *testing.T, req *http.Request) rawAnswer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawAnswer{resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), resp.Header.Get("X-Amzn-RequestId"), string(b)}
}

func (a rawAnswer) queryError(t *testing.T) (code, message string) {
	t.Helper()
	var doc struct {
		Error struct {
			Type, Code, Message string
		}
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal([]byte(a.body), &doc); err != nil {
		t.Fatalf("not an XML error (%v): %q", err, a.body)
	}
	if doc.RequestID != a.requestID || doc.Error.Type != "Sender" {
		t.Errorf("RequestId %q (header %q), Type %q", doc.RequestID, a.requestID, doc.Error.Type)
	}
	return doc.Error.Code, doc.Error.Message
}

func (a rawAnswer) jsonMessage(t *testing.T) string {
	t.Helper()
	var doc struct{ Message string }
	if err := json.Unmarshal([]byte(a.body), &doc); err != nil {
		t.Fatalf("not a JSON error (%v): %q", err, a.body)
	}
	return doc.Message
}

func TestUnsignedAndMalformed(t *testing.T) {
	e := newEnv(t)

	form := func(auth string) *http.Request {
		r, _ := http.NewRequest("POST", e.url+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			r.Header.Set("Authorization", auth)
			r.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
		}
		return r
	}
	a := do(t, form(""))
	if code, msg := a.queryError(t); a.status != 403 || code != "MissingAuthenticationToken" || msg != "Missing Authentication Token" {
		t.Errorf("unsigned form post: %d %s %q", a.status, code, msg)
	}

	get, _ := http.NewRequest("GET", e.url+"/user/federate/abc", nil)
	a = do(t, get)
	if a.status != 403 || a.errorType != "MissingAuthenticationTokenException" || a.jsonMessage(t) != "Missing Authentication Token" || a.requestID == "" {
		t.Errorf("unsigned GET: %+v", a)
	}

	// An operation connectfed does not serve says so, signed or not: never "sign your request".
	unknown, _ := http.NewRequest("GET", e.url+"/phone-numbers-summary/abc", nil)
	if a := do(t, unknown); a.status != 404 || a.errorType != "UnknownOperationException" || a.jsonMessage(t) != "Unknown operation GET /phone-numbers-summary/abc" {
		t.Errorf("unsigned unknown REST operation: %+v", a)
	}
	action, _ := http.NewRequest("POST", e.url+"/", strings.NewReader("Action=CreateGroup&Version=2010-05-08"))
	action.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if a := do(t, action); a.status != 400 {
		t.Errorf("unsigned unknown query action: %d", a.status)
	} else if code, msg := a.queryError(t); code != "InvalidAction" || msg != "connectfed serves no operation CreateGroup (of IAM, STS or CloudTrail)." {
		t.Errorf("unsigned unknown query action: %s %q", code, msg)
	}
	target, _ := http.NewRequest("POST", e.url+"/", strings.NewReader("{}"))
	target.Header.Set("X-Amz-Target", "CloudTrail_20131101.CreateTrail")
	target.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if a := do(t, target); a.status != 404 || a.errorType != "UnknownOperationException" {
		t.Errorf("unsigned unknown JSON 1.1 operation: %+v", a)
	}

	for _, auth := range []string{
		"AWS4-HMAC-SHA256 Credential=abc",
		"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/sts/aws4_request, SignedHeaders=host",
		"AWS4-HMAC-SHA512 Credential=AKIAEXAMPLE/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00",
		"garbage",
	} {
		a := do(t, form(auth))
		if code, _ := a.queryError(t); a.status != 400 || code != "IncompleteSignature" {
			t.Errorf("Authorization %q: %d %s", auth, a.status, code)
		}
	}
}

// signed builds a request signed by aws-sdk-go-v2's signer, for what the service clients cannot
// send (an unknown action, an oversized body).
func (e *env) signed(t testing.TB, service, method, path, body string, c aws.Credentials) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if service == "connect" {
			r.Header.Set("Content-Type", "application/json")
		}
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), c, r, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRoutingFailures(t *testing.T) {
	e := newEnv(t)

	a := do(t, e.signed(t, "sts", "POST", "/", "Action=Bogus&Version=2011-06-15", e.root))
	if code, msg := a.queryError(t); a.status != 400 || code != "InvalidAction" || msg != "Could not find operation Bogus for version 2011-06-15" {
		t.Errorf("unknown STS action: %d %s %q", a.status, code, msg)
	}
	a = do(t, e.signed(t, "iam", "POST", "/", "Version=2010-05-08", e.root))
	if code, _ := a.queryError(t); a.status != 400 || code != "MissingAction" {
		t.Errorf("no action: %d %s", a.status, code)
	}
	a = do(t, e.signed(t, "iam", "POST", "/", "Action=CreateUser&UserName=%zz", e.root))
	if code, _ := a.queryError(t); a.status != 400 || code != "MalformedQueryString" {
		t.Errorf("bad form: %d %s", a.status, code)
	}
	a = do(t, e.signed(t, "s3", "GET", "/bucket", "", e.root))
	if a.status != 404 || a.errorType != "UnknownOperationException" {
		t.Errorf("unknown service: %+v", a)
	}
	big := "Action=CreateUser&UserName=" + strings.Repeat("a", 2<<20)
	a = do(t, e.signed(t, "iam", "POST", "/", big, e.root))
	if code, _ := a.queryError(t); a.status != 413 || code != "RequestEntityTooLarge" {
		t.Errorf("oversized body: %d %s", a.status, code)
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		r, _ := http.NewRequest("GET", e.url+path, nil)
		if a := do(t, r); a.status != 200 || a.body != "ok\n" || a.requestID == "" {
			t.Errorf("%s: %+v", path, a)
		}
	}
	// Without its store the server is alive but not ready.
	e.store.Close()
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 503} {
		r, _ := http.NewRequest("GET", e.url+path, nil)
		if a := do(t, r); a.status != want {
			t.Errorf("%s with the store gone: %d, want %d", path, a.status, want)
		}
	}
}

// A credential scoped to a region AWS does not have is refused as AWS refuses it, in each
// protocol; a server told of more regions takes them.
func TestUnknownRegion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.connect(e.root, "mars-1").ListInstances(ctx, &connect.ListInstancesInput{})
	wantAPIError(t, err, "InvalidSignatureException", 403, "Credential should be scoped to a valid region, not 'mars-1'. ")
	cfg := e.config(e.root)
	cfg.Region = "mars-1"
	_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", 403, "Credential should be scoped to a valid region, not 'mars-1'. ")

	more := newEnvConfig(t, server.Config{Regions: append([]string{"mars-1"}, awsapi.Regions...)})
	if _, err := more.connect(more.root, "mars-1").ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("a region the server was told of: %v", err)
	}
}
