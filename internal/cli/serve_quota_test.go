package cli

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
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
	} {
		err := runServe(context.Background(), serveOptionsWith(t, t.TempDir(), c.args...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
		}
	}
}

// The per-source limit is on unless turned off; quotas are off unless asked for.
func TestServeLimitDefaults(t *testing.T) {
	o := serveOptionsWith(t, t.TempDir())
	if o.sourceRate <= 0 || o.sourceBurst < 1 || o.emulateQuotas {
		t.Errorf("defaults: --source-rate %g --source-burst %d --emulate-quotas %v", o.sourceRate, o.sourceBurst, o.emulateQuotas)
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
