package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/spf13/pflag"

	"github.com/connectfed/connectfed/internal/app"
	"github.com/connectfed/connectfed/internal/awsini"
)

// serveOptionsWith are serve's defaults with these flags on top, on a free port.
func serveOptionsWith(t *testing.T, dataDir string, args ...string) serveOptions {
	t.Helper()
	var o serveOptions
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	serveFlags(&o, fs)
	if err := fs.Parse(append([]string{"--addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn"}, args...)); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestServeRefusesBadQuotaFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--emulate-quotas", "--quota", "GetFederationToken=1:1", "--quota", "Nope=1:1"}, `--quota "Nope=1:1": connect has no operation Nope`},
		{[]string{"--emulate-quotas", "--quota", "AssumeRole=1:1"}, "did you mean sts:AssumeRole?"},
		{[]string{"--emulate-quotas", "--quota", "GetFederationToken=10"}, "want [SERVICE:]OPERATION=RATE:BURST"},
		{[]string{"--quota", "GetFederationToken=10:20"}, "only with --emulate-quotas"},
		{[]string{"--source-rate", "-1"}, "--source-rate -1"},
		{[]string{"--source-rate", "10", "--source-burst", "0"}, "a burst of 1 or more"},
		{[]string{"--iam-enforcement", "yes"}, `--iam-enforcement "yes": on, log or off`},
	} {
		err := runServe(context.Background(), serveOptionsWith(t, t.TempDir(), c.args...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
		}
	}
}

// The per-source limit is on unless turned off; quotas are off unless asked for; IAM policies
// are enforced unless told otherwise.
func TestServeLimitDefaults(t *testing.T) {
	o := serveOptionsWith(t, t.TempDir())
	if o.sourceRate <= 0 || o.sourceBurst < 1 || o.emulateQuotas || o.iamEnforcement != "on" {
		t.Errorf("defaults: --source-rate %g --source-burst %d --emulate-quotas %v --iam-enforcement %s",
			o.sourceRate, o.sourceBurst, o.emulateQuotas, o.iamEnforcement)
	}
}

// --iam-enforcement log lets through what on refuses, and logs each such request with its
// request id and AWS's sentence, so a test suite can be moved onto enforcement.
func TestServeIAMEnforcementLog(t *testing.T) {
	dir := t.TempDir()
	r := startServe(t, serveOptionsWith(t, dir, "--iam-enforcement", "log"))
	creds, err := awsini.ReadCredentials(filepath.Join(dir, app.RootCredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	root := newSDK(r.endpoint, awsCreds{AccessKeyID: creds["default"].AccessKeyID, SecretAccessKey: creds["default"].SecretAccessKey})
	ctx := context.Background()
	if _, err := root.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	key, err := root.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	bob := newSDK(r.endpoint, awsCreds{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)})
	if _, err := bob.iam.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers without a policy under log: %v", err)
	}
	r.stop()
	if !strings.Contains(r.stdout.String(), "not enforced (--iam-enforcement log)") {
		t.Errorf("the banner does not say policies are not enforced:\n%s", r.stdout.String())
	}
	logs := r.stderr.String()
	if !strings.Contains(logs, "IAM would deny") ||
		!strings.Contains(logs, "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:ListUsers on resource: * because no identity-based policy allows the iam:ListUsers action") ||
		!strings.Contains(logs, "request_id=") {
		t.Errorf("the log does not report the would-be denial:\n%s", logs)
	}
	if strings.Contains(logs, aws.ToString(key.AccessKey.SecretAccessKey)) {
		t.Error("the log holds bob's secret")
	}
}

// Through serve's flags: an overridden quota throttles as AWS does, and past it the per-source
// limit throttles as connectfed does.
func TestServeQuotasAndSourceLimit(t *testing.T) {
	dir := t.TempDir()
	r := startServe(t, serveOptionsWith(t, dir, "--emulate-quotas", "--quota", "ListInstances=0.001:1",
		"--source-rate", "0.001", "--source-burst", "3"))
	creds, err := awsini.ReadCredentials(filepath.Join(dir, app.RootCredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	root := creds["default"]
	c := connect.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(r.endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(root.AccessKeyID, root.SecretAccessKey, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} }})
	list := func() error {
		_, err := c.ListInstances(context.Background(), &connect.ListInstancesInput{})
		return err
	}
	want := func(err error, code string, status int) {
		t.Helper()
		var ae smithy.APIError
		var re *awshttp.ResponseError
		if !errors.As(err, &ae) || !errors.As(err, &re) || ae.ErrorCode() != code || re.HTTPStatusCode() != status {
			t.Errorf("got %v, want %s (%d)", err, code, status)
		}
	}
	if err := list(); err != nil {
		t.Fatal(err)
	}
	want(list(), "TooManyRequestsException", 429)
	want(list(), "TooManyRequestsException", 429)
	want(list(), "ThrottlingException", 429)
}

// A request refused by IAM policies is logged with its request id, and explain reads the line
// back: who asked for what, which kind of policy decided, which statements applied.
func TestExplainDenial(t *testing.T) {
	dir := t.TempDir()
	r := startServe(t, serveOptionsWith(t, dir, "--log-level", "info"))
	creds, err := awsini.ReadCredentials(filepath.Join(dir, app.RootCredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	root := newSDK(r.endpoint, awsCreds{AccessKeyID: creds["default"].AccessKeyID, SecretAccessKey: creds["default"].SecretAccessKey})
	ctx := context.Background()
	if _, err := root.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("no-instances"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"ReadAll","Effect":"Allow","Action":"connect:*","Resource":"*"},` +
			`{"Sid":"NoListing","Effect":"Deny","Action":"connect:ListInstances","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	key, err := root.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})
	if err != nil {
		t.Fatal(err)
	}
	carol := newSDK(r.endpoint, awsCreds{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)})
	_, err = carol.connect.ListInstances(ctx, &connect.ListInstancesInput{})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
		t.Fatalf("ListInstances: %v, want a 403", err)
	}
	id := re.ServiceRequestID()
	r.stop()
	logFile := filepath.Join(dir, "connectfed.log")
	if err := os.WriteFile(logFile, []byte(r.stderr.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr lockedBuffer
	if code := Main([]string{"explain", id, "--log", logFile}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("explain: exit %d, %s", code, stderr.String())
	}
	for _, want := range []string{
		"Request " + id + " was denied.",
		"Caller:     arn:aws:iam::123456789012:user/carol",
		"Action:     connect:ListInstances",
		"explicit deny, by a Deny statement in an identity-based policy",
		"no-instances (user) statement 1 ReadAll: Allow",
		"no-instances (user) statement 2 NoListing: Deny",
		"An explicit Deny wins over every Allow",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("explain lacks %q:\n%s", want, stdout.String())
		}
	}
	stdout = lockedBuffer{}
	if code := Main([]string{"explain", "no-such-request", "--log", logFile}, strings.NewReader(""), &stdout, &stderr); code == 0 ||
		!strings.Contains(stderr.String(), "no IAM denial of request no-such-request in the log") {
		t.Errorf("explain of an unknown id: exit %d, %s", code, stderr.String())
	}
}

// explain reads slog's JSON lines as well as its text.
func TestExplainReadsJSONLogs(t *testing.T) {
	line := `{"time":"2026-12-06T02:00:00Z","level":"INFO","msg":"IAM denied","request_id":"r-1","principal":"arn:aws:sts::123456789012:assumed-role/ConnectAgent/agent1",` +
		`"action":"connect:GetFederationToken","resource":"arn:aws:connect:us-east-1:123456789012:instance/i/user/AROAX:agent1","decision":"implicitDeny",` +
		`"decided_by":"permissions boundary","statements":"","message":"User: ... because no permissions boundary allows the connect:GetFederationToken action"}`
	var out strings.Builder
	if err := explain(strings.NewReader("noise\n"+line+"\n"), &out, "r-1"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"implicit deny: no permissions boundary allows connect:GetFederationToken", "its permissions boundary does not"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("explain lacks %q:\n%s", want, out.String())
		}
	}
	trust := `time=2026-12-06T02:00:00Z level=INFO msg="IAM denied" request_id=r-2 principal=arn:aws:iam::123456789012:user/bob action=sts:AssumeRole ` +
		`resource=arn:aws:iam::123456789012:role/Agent decision=implicitDeny decided_by="role trust policy" statements="" ` +
		`message="User: arn:aws:iam::123456789012:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/Agent"`
	out.Reset()
	if err := explain(strings.NewReader(trust+"\n"), &out, "r-2"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "The role's trust policy does not let the caller assume it") {
		t.Errorf("explain of a trust refusal:\n%s", out.String())
	}
}
