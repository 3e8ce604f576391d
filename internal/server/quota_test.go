package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/internal/server"
	"github.com/connectfed/connectfed/internal/server/awsapi"
)

// Buckets in these tests refill slowly (one token in minutes), so that a slow machine cannot
// refill one mid-test; time that must pass passes on the server's clock.

// quotaEnv starts a server emulating AWS's quotas with these overrides. Its clock may run
// ahead of the SDK's by an hour.
func quotaEnv(t *testing.T, overrides ...string) *env {
	t.Helper()
	q, err := awsapi.EmulatedQuotas(overrides...)
	if err != nil {
		t.Fatal(err)
	}
	return newEnvConfig(t, server.Config{Quotas: q, Skew: time.Hour})
}

// wantRetriedAsThrottle checks that the SDKs would retry err, as a throttling error.
func wantRetriedAsThrottle(t *testing.T, err error) {
	t.Helper()
	if !retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool() {
		t.Errorf("the SDK does not take %v for throttling", err)
	}
	if !retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err).Bool() {
		t.Errorf("the SDK would not retry %v", err)
	}
}

// With retries off, the call past the quota fails as AWS's do: 429 TooManyRequestsException,
// "Rate exceeded", and no Retry-After (AWS sends none).
func TestQuotaGetFederationTokenThrottled(t *testing.T) {
	e := quotaEnv(t, "GetFederationToken=0.001:2")
	f := newFederated(t, e) // the first call of the burst
	f.federate(t, e, f.session)
	_, err := e.connect(f.session, "us-east-1").GetFederationToken(context.Background(),
		&connect.GetFederationTokenInput{InstanceId: aws.String(f.instance)})
	wantAPIError(t, err, "TooManyRequestsException", 429, "Rate exceeded")
	wantRetriedAsThrottle(t, err)
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response.Header.Get("Retry-After") != "" {
		t.Errorf("Retry-After %q on an emulated quota; AWS sends none", re.Response.Header.Get("Retry-After"))
	}
}

// advanceBackoff waits on the server's clock instead of the test's.
type advanceBackoff struct {
	clock *clock
	by    time.Duration
}

func (b advanceBackoff) BackoffDelay(int, error) (time.Duration, error) {
	b.clock.Advance(b.by)
	return 0, nil
}

// The SDK's standard retryer retries a throttled call, and the retry succeeds once the bucket
// has a token again.
func TestQuotaSDKRetriesThenSucceeds(t *testing.T) {
	e := quotaEnv(t, "GetFederationToken=0.01:1") // a token every 100 s
	f := newFederated(t, e)                       // takes the one token
	c := connect.NewFromConfig(e.config(f.session), func(o *connect.Options) {
		o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.Backoff = advanceBackoff{e.clock, 101 * time.Second}
		})
	})
	out, err := c.GetFederationToken(context.Background(), &connect.GetFederationTokenInput{InstanceId: aws.String(f.instance)})
	if err != nil {
		t.Fatalf("with retries: %v", err)
	}
	attempts, ok := retry.GetAttemptResults(out.ResultMetadata)
	if !ok || len(attempts.Results) != 2 {
		t.Fatalf("attempts = %+v, want a throttled one and a successful one", attempts.Results)
	}
	wantAPIError(t, attempts.Results[0].Err, "TooManyRequestsException", 429, "Rate exceeded")
	if aws.ToString(out.Credentials.AccessToken) == "" {
		t.Error("the retry succeeded without an access token")
	}
}

// The quota is the account's in a region, shared by all its callers: another principal of the
// account is throttled with the first, another account and another region are not.
func TestQuotaScopedToAccountAndRegion(t *testing.T) {
	e := quotaEnv(t, "ListInstances=0.001:1")
	ctx := context.Background()
	list := func(c aws.Credentials, region string) error {
		_, err := e.connect(c, region).ListInstances(ctx, &connect.ListInstancesInput{})
		return err
	}
	alice := e.newUser("alice", allow("connect:ListInstances", "*"))
	if err := list(e.root, "us-east-1"); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, list(e.root, "us-east-1"), "TooManyRequestsException", 429, "Rate exceeded")
	wantAPIError(t, list(alice, "us-east-1"), "TooManyRequestsException", 429, "Rate exceeded")
	if err := list(alice, "eu-west-2"); err != nil {
		t.Errorf("another region of the account: %v", err)
	}
	if err := list(e.otherAccountRoot(), "us-east-1"); err != nil {
		t.Errorf("another account: %v", err)
	}
	// Other operations have their own buckets (DescribeInstance's burst is AWS's 5).
	_, err := e.connect(e.root, "us-east-1").DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "")
	// Time refills the bucket.
	e.clock.Advance(1001 * time.Second)
	if err := list(e.root, "us-east-1"); err != nil {
		t.Errorf("after the bucket refilled: %v", err)
	}
}

// Quotas count authenticated calls: requests refused before that cost the account nothing.
func TestQuotaCountsOnlyAuthenticatedCalls(t *testing.T) {
	e := quotaEnv(t, "ListInstances=0.001:1")
	ctx := context.Background()
	for range 3 {
		_, err := e.connect(withWrongSecret(e.root), "us-east-1").ListInstances(ctx, &connect.ListInstancesInput{})
		wantAPIError(t, err, "InvalidSignatureException", 403, "signature")
		r, _ := http.NewRequest("GET", e.url+"/instance", nil)
		if got := do(t, r); got.status != 403 || got.errorType != "MissingAuthenticationTokenException" {
			t.Fatalf("unsigned: %d %s", got.status, got.errorType)
		}
	}
	if _, err := e.connect(e.root, "us-east-1").ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Fatalf("the first authenticated call: %v", err)
	}
}

// IAM and STS have no quota unless one is set; set, they answer as AWS does: 400 Throttling in
// the query protocol's XML.
func TestQuotaQueryProtocolThrottling(t *testing.T) {
	e := quotaEnv(t, "sts:GetCallerIdentity=0.001:1")
	for range 10 {
		if _, err := e.iam(e.root).ListUsers(context.Background(), nil); err != nil {
			t.Fatalf("IAM has no default quota: %v", err)
		}
	}
	wantCaller(t, e, e.root, "arn:aws:iam::"+testAccount+":root")
	_, err := e.sts(e.root).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "Throttling", 400, "Rate exceeded")
	wantRetriedAsThrottle(t, err)
}

// AWS's published figures apply by default: GetFederationToken's burst of 5 at 2 a second runs
// out within a quick run of calls; without --emulate-quotas nothing is throttled.
func TestQuotaDefaultsAndOff(t *testing.T) {
	q := awsapi.DefaultQuotas()
	if got := q[awsapi.OperationID{Service: "connect", Name: "GetFederationToken"}]; got != (awsapi.Quota{Rate: 2, Burst: 5}) {
		t.Errorf("GetFederationToken quota = %+v, want AWS's rate 2, burst 5", got)
	}
	for op := range q {
		if op.Service != "connect" {
			t.Errorf("%s has a default quota; AWS publishes none for IAM and STS", op)
		}
	}
	const calls = 20 // at 2 a second, more than 7 seconds' worth beyond the burst
	federate := func(e *env, f federated) (throttled int) {
		for range calls {
			_, err := e.connect(f.session, "us-east-1").GetFederationToken(context.Background(),
				&connect.GetFederationTokenInput{InstanceId: aws.String(f.instance)})
			if err != nil {
				wantAPIError(t, err, "TooManyRequestsException", 429, "Rate exceeded")
				throttled++
			}
		}
		return throttled
	}
	on := quotaEnv(t)
	if n := federate(on, newFederated(t, on)); n == 0 {
		t.Errorf("emulating quotas: none of %d quick calls throttled", calls)
	}
	off := newEnv(t)
	if n := federate(off, newFederated(t, off)); n != 0 {
		t.Errorf("without quotas: %d of %d calls throttled", n, calls)
	}
}

// An operation's quota can be taken away with a rate of 0.
func TestQuotaOverrideOff(t *testing.T) {
	e := quotaEnv(t, "ListInstances=0:0")
	for range 10 {
		if _, err := e.connect(e.root, "us-east-1").ListInstances(context.Background(), &connect.ListInstancesInput{}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestParseQuota(t *testing.T) {
	for spec, want := range map[string]awsapi.Quota{
		"GetFederationToken=10:20":       {Rate: 10, Burst: 20},
		"connect:ListUsers=0.5:1":        {Rate: 0.5, Burst: 1},
		"sts:AssumeRole=5:10":            {Rate: 5, Burst: 10},
		"iam:CreateUser=1:1":             {Rate: 1, Burst: 1},
		"connect:GetFederationToken=0:0": {},
	} {
		if _, got, err := awsapi.ParseQuota(spec); err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", spec, got, err, want)
		}
	}
	for spec, want := range map[string]string{
		"GetFederationToken":          "want [SERVICE:]OPERATION=RATE:BURST",
		"GetFederationToken=10":       "want [SERVICE:]OPERATION=RATE:BURST",
		"GetFederationTokens=1:1":     "connect has no operation GetFederationTokens; it has AssociateApprovedOrigin, AssociateRoutingProfileQueues",
		"AssumeRole=1:1":              "connect has no operation AssumeRole; did you mean sts:AssumeRole?",
		"CreateAccessKey=1:1":         "did you mean iam:CreateAccessKey?",
		"s3:GetObject=1:1":            `unknown service "s3": connectfed serves connect, iam and sts`,
		"GetFederationToken=fast:1":   `rate "fast"`,
		"GetFederationToken=-1:1":     `rate "-1"`,
		"GetFederationToken=NaN:1":    `rate "NaN"`,
		"GetFederationToken=1:0":      `burst "0"`,
		"GetFederationToken=1:2.5":    `burst "2.5"`,
		"sts:GetCallerIdentity=1:big": `burst "big"`,
	} {
		_, _, err := awsapi.ParseQuota(spec)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), strconv.Quote(spec)) {
			t.Errorf("%s: err = %v, want it to name the spec and say %q", spec, err, want)
		}
	}
	if _, err := awsapi.EmulatedQuotas("GetFederationToken=1:1", "Nope=1:1"); err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("EmulatedQuotas with an unknown operation: %v", err)
	}
}

// The per-source limit covers every endpoint but the health checks, and answers 429 with
// Retry-After in each client's format.
func TestSourceLimitAnswersInEachFormat(t *testing.T) {
	e := newEnvConfig(t, server.Config{SourceRate: 0.001, SourceBurst: 1})
	ctx := context.Background()
	if _, err := e.sts(e.root).GetCallerIdentity(ctx, nil); err != nil {
		t.Fatalf("the burst's one request: %v", err)
	}
	wantRetryAfter := func(what string, h http.Header) {
		t.Helper()
		if n, err := strconv.Atoi(h.Get("Retry-After")); err != nil || n < 1 {
			t.Errorf("%s: Retry-After %q, want whole seconds", what, h.Get("Retry-After"))
		}
	}

	_, err := e.connect(e.root, "us-east-1").ListInstances(ctx, &connect.ListInstancesInput{})
	wantAPIError(t, err, "ThrottlingException", 429, "Rate exceeded")
	wantRetriedAsThrottle(t, err)
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		wantRetryAfter("connect", re.Response.Header)
	}

	_, err = e.sts(e.root).GetCallerIdentity(ctx, nil)
	wantAPIError(t, err, "Throttling", 429, "Rate exceeded")
	wantRetriedAsThrottle(t, err)

	// Refused before authentication: an unsigned form post still gets the query protocol.
	r, _ := http.NewRequest("POST", e.url+"/", strings.NewReader(url.Values{"Action": {"GetCallerIdentity"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	got := do(t, r)
	if code, msg := got.queryError(t); got.status != 429 || code != "Throttling" || !strings.Contains(msg, "Rate exceeded") {
		t.Errorf("unsigned query: %d %s %q", got.status, code, msg)
	}

	wantNativeError(t, e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", "cfr1_x.y"), nil), 429, "RATE_LIMITED", "Rate exceeded")

	resp, err := http.Get(e.url + "/federation/signin?token=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 429 || !strings.HasPrefix(ct, "text/html") {
		t.Errorf("sign-in page: %d %s, want a 429 page", resp.StatusCode, ct)
	}
	wantRetryAfter("page", resp.Header)

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d; health checks are never throttled", path, resp.StatusCode)
		}
	}

	// Another source has a bucket of its own.
	req := httptest.NewRequest("GET", "/instance", nil)
	req.RemoteAddr = "198.51.100.7:4000"
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	if rec.Code != 403 || rec.Header().Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Errorf("another source: %d %s, want it past the limit to authentication", rec.Code, rec.Header().Get("X-Amzn-ErrorType"))
	}
}

// BenchmarkGetFederationTokenLimited is BenchmarkGetFederationToken with serve's default
// per-source limit on, and then with quotas emulated too (at a rate that never throttles),
// to show what each check costs the hot path.
func BenchmarkGetFederationTokenLimited(b *testing.B) {
	unthrottled, err := awsapi.EmulatedQuotas("GetFederationToken=1e9:1000000000")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		cfg  server.Config
	}{
		{"source", server.Config{SourceRate: 100_000, SourceBurst: 200_000}},
		{"source+quotas", server.Config{SourceRate: 100_000, SourceBurst: 200_000, Quotas: unthrottled}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnvConfig(b, bc.cfg)
			admin := e.connect(e.root, "us-east-1")
			inst := newInstance(b, admin, "bench", ctypes.DirectoryTypeSaml)
			newAgent(b, admin, inst, "agent1")
			session, _, err := assume(e, e.newAgentUser("alice"), e.newAgentRole(), "agent1", 0)
			if err != nil {
				b.Fatal(err)
			}
			req := e.signed(b, "connect", "GET", "/user/federate/"+inst, "", session)
			req.RemoteAddr = "127.0.0.1:54321"
			serve := func() {
				rec := httptest.NewRecorder()
				e.handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			serve()
			b.ReportAllocs()
			for b.Loop() {
				serve()
			}
		})
	}
}
