package cli

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads a server's /metrics.
func scrape(t *testing.T, endpoint string) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	resp, err := http.Get(endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d, %v", resp.StatusCode, err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus' text format: %v\n%s", err, body)
	}
	return string(body), families
}

// counter is the value of a counter family's series with exactly these labels (0 for none).
func counter(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f := families[name]
	if f == nil {
		return 0
	}
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) != len(labels) {
			continue
		}
		match := true
		for k, v := range labels {
			if got[k] != v {
				match = false
			}
		}
		if match {
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// After a scripted run (a Connect setup, 100 federations as a role session, 5 calls IAM
// policies refuse, a sign-in, a refresh and a reuse), /metrics counts each by operation and
// result, and promtool accepts what it serves.
func TestServeMetrics(t *testing.T) {
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00009", SecretAccessKey: "root/secret/for/the/metrics/test/000000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	isolateAWS(t, root)
	srv := startServe(t, testOptions(t.TempDir()))
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	fx := newRoleFixture(t, srv.endpoint, root)
	inst, key, session, ops := fx.instance, fx.key, fx.session, fx.ops
	var err error

	_, before := scrape(t, srv.endpoint)
	var last *connect.GetFederationTokenOutput
	for range 100 {
		last, err = session.connect.GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: inst.Id})
		must(last, err)
	}
	for range 5 {
		if _, err := ops.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")}); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
			t.Fatalf("ops may create users: %v", err)
		}
	}
	refresh := func() int {
		t.Helper()
		resp, err := http.Post(srv.endpoint+"/federation/v1/refresh", "application/json",
			strings.NewReader(`{"refreshToken":"`+aws.ToString(last.Credentials.RefreshToken)+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// The sign-in first: the reused refresh token below revokes the family it belongs to.
	resp, err := http.Get(aws.ToString(last.SignInUrl))
	must(resp, err)
	resp.Body.Close()
	if got := refresh(); got != 200 {
		t.Fatalf("refresh: %d", got)
	}
	if got := refresh(); got != 401 {
		t.Fatalf("the refresh token again: %d, want 401", got)
	}

	text, after := scrape(t, srv.endpoint)
	delta := func(name string, labels map[string]string) float64 {
		return counter(after, name, labels) - counter(before, name, labels)
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"connectfed_requests_total", map[string]string{"service": "connect", "operation": "GetFederationToken", "code": "OK"}, 100},
		{"connectfed_requests_total", map[string]string{"service": "iam", "operation": "CreateUser", "code": "AccessDeniedException"}, 5},
		{"connectfed_policy_denials_total", map[string]string{"action": "iam:CreateUser", "enforced": "true"}, 5},
		{"connectfed_federation_tokens_total", map[string]string{"event": "issued"}, 100},
		{"connectfed_federation_tokens_total", map[string]string{"event": "refreshed"}, 1},
		{"connectfed_federation_tokens_total", map[string]string{"event": "reuse_detected"}, 1},
		{"connectfed_signins_total", map[string]string{"method": "link", "result": "ok"}, 1},
	} {
		if got := delta(c.name, c.labels); got != c.want {
			t.Errorf("%s%v rose by %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if counter(after, "connectfed_cache_requests_total", map[string]string{"cache": "credentials", "result": "hit"}) < 100 {
		t.Errorf("the credentials cache hit fewer than 100 times:\n%s", grepLines(text, "connectfed_cache_requests_total"))
	}
	if f := after["connectfed_store_query_duration_seconds"]; f == nil || len(f.Metric) == 0 {
		t.Error("no store query was timed")
	}
	for _, family := range []string{"go_goroutines", "process_resident_memory_bytes", "connectfed_request_duration_seconds"} {
		if after[family] == nil {
			t.Errorf("no %s", family)
		}
	}
	// No id, name or secret reaches a label.
	for _, secret := range []string{aws.ToString(inst.Id), "agent1", aws.ToString(key.AccessKey.AccessKeyId), "mallory", aws.ToString(last.Credentials.AccessToken)} {
		if strings.Contains(text, secret) {
			t.Errorf("/metrics shows %q", secret)
		}
	}

	// promtool (Debian's prometheus package, which .ci/run installs) accepts it.
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skipf("no promtool to check the format with (Debian's prometheus package has it): %v", err)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// roleFixture is a Connect instance with the user agent1, an IAM user ops with a key that
// may assume the role ConnectAgent, and a session of that role named agent1, which may get
// agent1's federation tokens.
type roleFixture struct {
	instance *connect.CreateInstanceOutput
	key      *iam.CreateAccessKeyOutput
	assumed  *sts.AssumeRoleOutput
	ops      sdk
	session  sdk
}

func newRoleFixture(t *testing.T, endpoint string, root awsCreds) roleFixture {
	t.Helper()
	as := newSDK(endpoint, root)
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	inst, err := as.connect.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeSaml,
		InstanceAlias: aws.String("metrics"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	must(inst, err)
	profiles, err := as.connect.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: inst.Id})
	must(profiles, err)
	routing, err := as.connect.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: inst.Id})
	must(routing, err)
	var agent string
	for _, p := range profiles.SecurityProfileSummaryList {
		if aws.ToString(p.Name) == "Agent" {
			agent = aws.ToString(p.Id)
		}
	}
	must(as.connect.CreateUser(ctx, &connect.CreateUserInput{InstanceId: inst.Id, Username: aws.String("agent1"), SecurityProfileIds: []string{agent},
		RoutingProfileId: routing.RoutingProfileSummaryList[0].Id, PhoneConfig: &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone}}))
	must(as.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ops")}))
	key, err := as.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ops")})
	must(key, err)
	must(as.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ops"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}))
	role, err := as.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ConnectAgent"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)})
	must(role, err)
	must(as.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ConnectAgent"), PolicyName: aws.String("federate"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"arn:aws:connect:us-east-1:123456789012:instance/*/user/${aws:userid}"}]}`)}))
	ops := newSDK(endpoint, awsCreds{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)})
	assumed, err := ops.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("agent1")})
	must(assumed, err)
	session := newSDK(endpoint, awsCreds{AccessKeyID: aws.ToString(assumed.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(assumed.Credentials.SecretAccessKey), SessionToken: aws.ToString(assumed.Credentials.SessionToken)})

	return roleFixture{instance: inst, key: key, assumed: assumed, ops: ops, session: session}
}

// grepLines is the lines of text that hold s.
func grepLines(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// serve --metrics=false counts nothing and serves no /metrics; the AWS surface is unchanged.
func TestServeWithoutMetrics(t *testing.T) {
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00012", SecretAccessKey: "root/secret/for/the/no-metrics/test/0000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	isolateAWS(t, root)
	o := testOptions(t.TempDir())
	o.metrics = false
	srv := startServe(t, o)
	var who struct{ Arn string }
	newAWSCLI(t, srv.endpoint).ok(root, &who, "sts", "get-caller-identity")
	if !strings.HasSuffix(who.Arn, ":root") {
		t.Errorf("get-caller-identity with metrics off: %+v", who)
	}
	resp, err := http.Get(srv.endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || strings.Contains(string(body), "connectfed_requests_total") {
		t.Errorf("/metrics with --metrics=false: %d %.200s", resp.StatusCode, body)
	}

	both := testOptions(t.TempDir())
	both.metrics, both.metricsAddr = false, "127.0.0.1:0"
	if err := both.validate(); err == nil || !strings.Contains(err.Error(), "--metrics-addr") || !strings.Contains(err.Error(), "--metrics=false") {
		t.Errorf("--metrics=false with --metrics-addr: %v", err)
	}
}
