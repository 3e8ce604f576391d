package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/saml/samltest"
)

// awsCLI runs the real AWS CLI against a connectfed endpoint with exactly the given credentials
// (no profile, config or instance metadata leaks in).
type awsCLI struct {
	t        *testing.T
	endpoint string
	home     string
}

type awsCreds struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

func newAWSCLI(t *testing.T, endpoint string) *awsCLI {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not installed: skipping the end-to-end test; .ci/run installs it")
	}
	return &awsCLI{t: t, endpoint: endpoint, home: t.TempDir()}
}

// run returns stdout, stderr and the exit code.
func (a *awsCLI) run(c awsCreds, args ...string) (string, string, int) {
	a.t.Helper()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", a.endpoint, "--output", "json"}, args...)...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + a.home,
		"AWS_CONFIG_FILE=" + filepath.Join(a.home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(a.home, "credentials"),
		"AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=",
		"AWS_ACCESS_KEY_ID=" + c.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + c.SecretAccessKey,
	}
	if c.SessionToken != "" {
		cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+c.SessionToken)
	}
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	return runCommand(a.t, cmd)
}

// runCommand runs cmd and returns its stdout, stderr and exit code; a command that cannot be
// started fails the test.
func runCommand(t testing.TB, cmd *exec.Cmd) (string, string, int) {
	t.Helper()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	return stdout.String(), stderr.String(), code
}

// ok runs a command that must succeed and decodes its JSON output into v.
func (a *awsCLI) ok(c awsCreds, v any, args ...string) {
	a.t.Helper()
	out, errOut, code := a.run(c, args...)
	if code != 0 {
		a.t.Fatalf("aws %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			a.t.Fatalf("aws %s: %v in %q", strings.Join(args, " "), err, out)
		}
	}
}

// fails runs a command that must fail with the AWS CLI's error line for code.
func (a *awsCLI) fails(c awsCreds, code, operation string, args ...string) string {
	a.t.Helper()
	_, errOut, exit := a.run(c, args...)
	want := "An error occurred (" + code + ") when calling the " + operation + " operation: "
	if exit == 0 || !strings.Contains(errOut, want) {
		a.t.Errorf("aws %s: exit %d, stderr %q, want %q", strings.Join(args, " "), exit, errOut, want)
	}
	return errOut
}

func (a *awsCLI) callerARN(c awsCreds) string {
	a.t.Helper()
	var id struct{ Arn, Account, UserId string }
	a.ok(c, &id, "sts", "get-caller-identity")
	return id.Arn
}

// federationSetup is what a team sets up to federate an agent: a Connect user agent1 in the
// instance (Agent security profile, Basic Routing Profile), an IAM user ops with a key, and a
// role ConnectAgent the account trusts, which ops assumes.
type federationSetup struct {
	user struct{ UserId, UserArn string }
	ops  awsCreds
	// assume returns ops's session of ConnectAgent under a session name.
	assume func(session string) awsCreds
}

func (a *awsCLI) federationSetup(root awsCreds, instance string) federationSetup {
	a.t.Helper()
	var sp struct{ SecurityProfileSummaryList []struct{ Id, Name string } }
	a.ok(root, &sp, "connect", "list-security-profiles", "--instance-id", instance)
	var rp struct{ RoutingProfileSummaryList []struct{ Id, Name string } }
	a.ok(root, &rp, "connect", "list-routing-profiles", "--instance-id", instance)
	var agentProfile, routing string
	for _, p := range sp.SecurityProfileSummaryList {
		if p.Name == "Agent" {
			agentProfile = p.Id
		}
	}
	for _, p := range rp.RoutingProfileSummaryList {
		if p.Name == "Basic Routing Profile" {
			routing = p.Id
		}
	}
	var fx federationSetup
	a.ok(root, &fx.user, "connect", "create-user", "--instance-id", instance, "--username", "agent1",
		"--security-profile-ids", agentProfile, "--routing-profile-id", routing,
		"--phone-config", "PhoneType=SOFT_PHONE,AutoAccept=false,AfterContactWorkTimeLimit=0")

	a.ok(root, nil, "iam", "create-user", "--user-name", "ops")
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	a.ok(root, &key, "iam", "create-access-key", "--user-name", "ops")
	fx.ops = awsCreds{AccessKeyID: key.AccessKey.AccessKeyId, SecretAccessKey: key.AccessKey.SecretAccessKey}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	a.ok(root, nil, "iam", "create-role", "--role-name", "ConnectAgent", "--assume-role-policy-document", trust)
	// The policies a real account needs: ops may assume the role, and the role's sessions may
	// get a token for their own Connect user, as AWS documents it (in every instance of the
	// account, so that the error table of GetFederationToken below is reached).
	a.ok(root, nil, "iam", "put-user-policy", "--user-name", "ops", "--policy-name", "assume-agent", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/ConnectAgent"}]}`)
	a.ok(root, nil, "iam", "put-role-policy", "--role-name", "ConnectAgent", "--policy-name", "connect-federation", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"arn:aws:connect:us-east-1:123456789012:instance/*/user/${aws:userid}"}]}`)
	fx.assume = func(session string) awsCreds {
		a.t.Helper()
		var out struct {
			Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		}
		a.ok(fx.ops, &out, "sts", "assume-role", "--role-arn", "arn:aws:iam::123456789012:role/ConnectAgent", "--role-session-name", session)
		return awsCreds{out.Credentials.AccessKeyId, out.Credentials.SecretAccessKey, out.Credentials.SessionToken}
	}
	return fx
}

// skewedClock is a clock a test can move while the server runs.
type skewedClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *skewedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *skewedClock) set(d time.Duration) {
	c.mu.Lock()
	c.offset = d
	c.mu.Unlock()
}

// TestAWSCLIEndToEnd drives the AWS CLI through the identity flow a user follows, then through
// each authentication failure, then across a restart.
func TestAWSCLIEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end with the AWS CLI; skipped with -short")
	}
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00001", SecretAccessKey: "root/secret/for/the/e2e/test/0000000000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	dir := t.TempDir()
	clock := &skewedClock{}
	o := testOptions(dir)
	o.now = clock.now
	srv := startServe(t, o)
	cli := newAWSCLI(t, srv.endpoint)

	if got := cli.callerARN(root); got != "arn:aws:iam::123456789012:root" {
		t.Fatalf("root is %q", got)
	}
	cli.ok(root, nil, "iam", "create-user", "--user-name", "alice")
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey, Status string }
	}
	cli.ok(root, &key, "iam", "create-access-key", "--user-name", "alice")
	alice := awsCreds{AccessKeyID: key.AccessKey.AccessKeyId, SecretAccessKey: key.AccessKey.SecretAccessKey}
	if got := cli.callerARN(alice); got != "arn:aws:iam::123456789012:user/alice" {
		t.Fatalf("alice is %q", got)
	}

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	var role struct {
		Role struct{ Arn, AssumeRolePolicyDocument any }
	}
	cli.ok(root, &role, "iam", "create-role", "--role-name", "ConnectAgent", "--assume-role-policy-document", trust)
	var got struct {
		Role struct{ AssumeRolePolicyDocument map[string]any }
	}
	cli.ok(root, &got, "iam", "get-role", "--role-name", "ConnectAgent")
	if got.Role.AssumeRolePolicyDocument["Version"] != "2012-10-17" {
		t.Errorf("the AWS CLI did not read back the trust policy: %v", got.Role.AssumeRolePolicyDocument)
	}

	// The role trusts the account, which leaves the decision to alice's own policies: none yet.
	cli.fails(alice, "AccessDenied", "AssumeRole", "sts", "assume-role", "--role-arn", "arn:aws:iam::123456789012:role/ConnectAgent",
		"--role-session-name", "agent1")
	cli.ok(root, nil, "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "assume-agent", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/ConnectAgent"}]}`)

	var assumed struct {
		Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
		AssumedRoleUser struct{ Arn, AssumedRoleId string }
	}
	cli.ok(alice, &assumed, "sts", "assume-role", "--role-arn", "arn:aws:iam::123456789012:role/ConnectAgent",
		"--role-session-name", "agent1", "--duration-seconds", "900")
	session := awsCreds{assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken}
	if got := cli.callerARN(session); got != "arn:aws:sts::123456789012:assumed-role/ConnectAgent/agent1" {
		t.Fatalf("the session is %q", got)
	}

	// Each authentication failure, as the AWS CLI reports it.
	wrong := alice
	wrong.SecretAccessKey = strings.Repeat("x", 40)
	cli.fails(wrong, "SignatureDoesNotMatch", "GetCallerIdentity", "sts", "get-caller-identity")
	cli.fails(awsCreds{AccessKeyID: "AKIANOSUCHKEY0000000", SecretAccessKey: wrong.SecretAccessKey},
		"InvalidClientTokenId", "GetCallerIdentity", "sts", "get-caller-identity")
	cli.fails(alice, "MissingAuthenticationToken", "GetCallerIdentity", "sts", "get-caller-identity", "--no-sign-request")
	noToken := session
	noToken.SessionToken = ""
	cli.fails(noToken, "InvalidClientTokenId", "GetCallerIdentity", "sts", "get-caller-identity")
	cli.fails(root, "AccessDenied", "AssumeRole", "sts", "assume-role", "--role-arn",
		"arn:aws:iam::123456789012:role/ConnectAgent", "--role-session-name", "root")
	clock.set(10 * time.Minute)
	cli.fails(alice, "SignatureDoesNotMatch", "GetCallerIdentity", "sts", "get-caller-identity")
	clock.set(-10 * time.Minute)
	cli.fails(alice, "SignatureDoesNotMatch", "GetCallerIdentity", "sts", "get-caller-identity")
	// Past the session's 15 minutes, and within the signing window of the moved clock.
	clock.set(16 * time.Minute)
	o2 := o
	o2.clockSkew = time.Hour
	srv.stop()
	srv = startServe(t, o2)
	cli.endpoint = srv.endpoint
	cli.fails(session, "ExpiredToken", "GetCallerIdentity", "sts", "get-caller-identity")

	// A restart keeps everything: alice's key still signs, the role is still there.
	clock.set(0)
	srv.stop()
	srv = startServe(t, o)
	cli.endpoint = srv.endpoint
	if got := cli.callerARN(alice); got != "arn:aws:iam::123456789012:user/alice" {
		t.Fatalf("after a restart alice is %q", got)
	}
	cli.ok(root, nil, "iam", "get-role", "--role-name", "ConnectAgent")
	cli.fails(root, "NoSuchEntity", "GetUser", "iam", "get-user", "--user-name", "nobody")
}

// TestAWSCLIFederation drives the AWS CLI through what a team does to get a federation token:
// create a SAML instance and a user, assume a role with the username as session name, and ask;
// then through each refusal of GetFederationToken.
func TestAWSCLIFederation(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end with the AWS CLI; skipped with -short")
	}
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00002", SecretAccessKey: "root/secret/for/the/federation/test/000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	srv := startServe(t, testOptions(t.TempDir()))
	cli := newAWSCLI(t, srv.endpoint)

	var inst struct{ Id, Arn string }
	cli.ok(root, &inst, "connect", "create-instance", "--identity-management-type", "SAML",
		"--instance-alias", "acme", "--inbound-calls-enabled", "--outbound-calls-enabled")
	var managed struct{ Id string }
	cli.ok(root, &managed, "connect", "create-instance", "--identity-management-type", "CONNECT_MANAGED",
		"--instance-alias", "managed", "--inbound-calls-enabled", "--no-outbound-calls-enabled")

	fx := cli.federationSetup(root, inst.Id)
	user, assume := fx.user, fx.assume
	agent := assume("agent1")

	var fed struct {
		Credentials struct {
			AccessToken, RefreshToken                     string
			AccessTokenExpiration, RefreshTokenExpiration any
		}
		SignInUrl, UserArn, UserId string
	}
	cli.ok(agent, &fed, "connect", "get-federation-token", "--instance-id", inst.Id)
	if fed.Credentials.AccessToken == "" || fed.Credentials.RefreshToken == "" || fed.UserId != user.UserId ||
		fed.UserArn != user.UserArn || !strings.HasPrefix(fed.SignInUrl, srv.endpoint+"/federation/signin?") {
		t.Errorf("get-federation-token = %+v", fed)
	}
	// AWS CLI v1 prints the epoch number as it came; v2 prints ISO 8601. Either must lie ahead.
	switch exp := fed.Credentials.AccessTokenExpiration.(type) {
	case float64:
		if time.Unix(int64(exp), 0).Before(time.Now()) {
			t.Errorf("AccessTokenExpiration %v is in the past", exp)
		}
	case string:
		if ts, err := time.Parse(time.RFC3339, exp); err != nil || ts.Before(time.Now()) {
			t.Errorf("AccessTokenExpiration %q: %v", exp, err)
		}
	default:
		t.Errorf("AccessTokenExpiration is %T %v", exp, exp)
	}
	cli.ok(agent, nil, "connect", "get-federation-token", "--instance-id", inst.Arn)

	cli.fails(root, "InvalidRequestException", "GetFederationToken", "connect", "get-federation-token", "--instance-id", inst.Id)
	cli.fails(assume("nobody"), "UserNotFoundException", "GetFederationToken", "connect", "get-federation-token", "--instance-id", inst.Id)
	cli.fails(agent, "ResourceNotFoundException", "GetFederationToken", "connect", "get-federation-token",
		"--instance-id", "00000000-0000-0000-0000-000000000000")
	cli.fails(agent, "InvalidRequestException", "GetFederationToken", "connect", "get-federation-token", "--instance-id", managed.Id)
	cli.fails(agent, "InvalidParameterException", "GetFederationToken", "connect", "get-federation-token",
		"--instance-id", strings.Repeat("a", 101))
}

// TestAWSCLIEnforcement drives IAM enforcement through the AWS CLI as a team meets it: a role
// session whose only policy is AWS's documented one gets a token for its own user and
// AccessDeniedException for another instance, for DescribeInstance and for iam create-user;
// a user without a policy may only ask who it is; an explicit Deny beats an Allow; a permissions
// boundary and a session policy each narrow a session; and simulate-principal-policy agrees.
func TestAWSCLIEnforcement(t *testing.T) {
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00005", SecretAccessKey: "root/secret/for/the/enforcement/test/00"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	srv := startServe(t, testOptions(t.TempDir()))
	cli := newAWSCLI(t, srv.endpoint)
	const account = "123456789012"

	var a, b struct{ Id, Arn string }
	cli.ok(root, &a, "connect", "create-instance", "--identity-management-type", "SAML", "--instance-alias", "alpha",
		"--inbound-calls-enabled", "--outbound-calls-enabled")
	cli.ok(root, &b, "connect", "create-instance", "--identity-management-type", "SAML", "--instance-alias", "beta",
		"--inbound-calls-enabled", "--outbound-calls-enabled")
	fx := cli.federationSetup(root, a.Id)
	// Only the documented policy, on instance alpha.
	documented := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"` + a.Arn + `/user/${aws:userid}"}]}`
	cli.ok(root, nil, "iam", "put-role-policy", "--role-name", "ConnectAgent", "--policy-name", "connect-federation", "--policy-document", documented)

	agent := fx.assume("agent1")
	sessionARN := "arn:aws:sts::" + account + ":assumed-role/ConnectAgent/agent1"
	var tok struct{ Credentials struct{ AccessToken string } }
	cli.ok(agent, &tok, "connect", "get-federation-token", "--instance-id", a.Id)
	if tok.Credentials.AccessToken == "" {
		t.Fatal("no access token")
	}
	msg := cli.fails(agent, "AccessDeniedException", "GetFederationToken", "connect", "get-federation-token", "--instance-id", b.Id)
	if !strings.Contains(msg, "User: "+sessionARN+" is not authorized to perform: connect:GetFederationToken on resource: "+b.Arn+"/user/AROA") ||
		!strings.Contains(msg, ":agent1 because no identity-based policy allows the connect:GetFederationToken action") {
		t.Errorf("another instance: %q", msg)
	}
	msg = cli.fails(agent, "AccessDeniedException", "DescribeInstance", "connect", "describe-instance", "--instance-id", a.Id)
	if !strings.Contains(msg, "User: "+sessionARN+" is not authorized to perform: connect:DescribeInstance on resource: "+a.Arn+" because no identity-based policy allows the connect:DescribeInstance action") {
		t.Errorf("describe-instance: %q", msg)
	}
	msg = cli.fails(agent, "AccessDenied", "CreateUser", "iam", "create-user", "--user-name", "mallory")
	if !strings.Contains(msg, "is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::"+account+":user/mallory") {
		t.Errorf("iam create-user: %q", msg)
	}

	// A user without a policy: who am I, and nothing else.
	cli.ok(root, nil, "iam", "create-user", "--user-name", "bob")
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	cli.ok(root, &key, "iam", "create-access-key", "--user-name", "bob")
	bob := awsCreds{AccessKeyID: key.AccessKey.AccessKeyId, SecretAccessKey: key.AccessKey.SecretAccessKey}
	if got := cli.callerARN(bob); got != "arn:aws:iam::"+account+":user/bob" {
		t.Errorf("bob is %q", got)
	}
	cli.fails(bob, "AccessDenied", "ListUsers", "iam", "list-users")
	cli.fails(bob, "AccessDeniedException", "ListInstances", "connect", "list-instances")

	// An explicit Deny on ops beats its Allow.
	cli.ok(root, nil, "iam", "put-user-policy", "--user-name", "ops", "--policy-name", "no-agents", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}]}`)
	msg = cli.fails(fx.ops, "AccessDenied", "AssumeRole", "sts", "assume-role", "--role-arn", "arn:aws:iam::"+account+":role/ConnectAgent",
		"--role-session-name", "agent1")
	if !strings.Contains(msg, "with an explicit deny in an identity-based policy") {
		t.Errorf("explicit deny: %q", msg)
	}
	cli.ok(root, nil, "iam", "delete-user-policy", "--user-name", "ops", "--policy-name", "no-agents")

	// A permissions boundary that allows only DescribeInstance narrows the role's sessions.
	var boundary struct{ Policy struct{ Arn string } }
	cli.ok(root, &boundary, "iam", "create-policy", "--policy-name", "DescribeOnly", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:DescribeInstance","Resource":"*"}]}`)
	cli.ok(root, nil, "iam", "put-role-permissions-boundary", "--role-name", "ConnectAgent", "--permissions-boundary", boundary.Policy.Arn)
	msg = cli.fails(fx.assume("agent1"), "AccessDeniedException", "GetFederationToken", "connect", "get-federation-token", "--instance-id", a.Id)
	if !strings.Contains(msg, "because no permissions boundary allows the connect:GetFederationToken action") {
		t.Errorf("boundary: %q", msg)
	}
	cli.ok(root, nil, "iam", "delete-role-permissions-boundary", "--role-name", "ConnectAgent")

	// A session policy narrows one session.
	var narrow struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	cli.ok(fx.ops, &narrow, "sts", "assume-role", "--role-arn", "arn:aws:iam::"+account+":role/ConnectAgent", "--role-session-name", "agent1",
		"--policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:DescribeInstance","Resource":"*"}]}`)
	msg = cli.fails(awsCreds{narrow.Credentials.AccessKeyId, narrow.Credentials.SecretAccessKey, narrow.Credentials.SessionToken},
		"AccessDeniedException", "GetFederationToken", "connect", "get-federation-token", "--instance-id", a.Id)
	if !strings.Contains(msg, "because no session policy allows the connect:GetFederationToken action") {
		t.Errorf("session policy: %q", msg)
	}
	// The role's other sessions keep the role's policy.
	cli.ok(fx.assume("agent1"), nil, "connect", "get-federation-token", "--instance-id", a.Id)

	// The simulator says what enforcement did.
	var sim struct {
		EvaluationResults []struct{ EvalActionName, EvalResourceName, EvalDecision string }
	}
	cli.ok(root, &sim, "iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::"+account+":role/ConnectAgent",
		"--action-names", "connect:GetFederationToken", "connect:DescribeInstance", "--resource-arns", b.Arn+"/user/x")
	if len(sim.EvaluationResults) != 2 || sim.EvaluationResults[0].EvalDecision != "implicitDeny" || sim.EvaluationResults[1].EvalDecision != "implicitDeny" {
		t.Errorf("simulate-principal-policy: %+v", sim.EvaluationResults)
	}
	// A role's session is simulated by giving its aws:userid, ROLE_ID:SESSION_NAME.
	var role struct{ Role struct{ RoleId string } }
	cli.ok(root, &role, "iam", "get-role", "--role-name", "ConnectAgent")
	userid := role.Role.RoleId + ":agent1"
	cli.ok(root, &sim, "iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::"+account+":role/ConnectAgent",
		"--action-names", "connect:GetFederationToken", "--resource-arns", a.Arn+"/user/"+userid,
		"--context-entries", "ContextKeyName=aws:userid,ContextKeyValues="+userid+",ContextKeyType=string")
	if len(sim.EvaluationResults) != 1 || sim.EvaluationResults[0].EvalDecision != "allowed" {
		t.Errorf("simulate-principal-policy on the documented resource: %+v", sim.EvaluationResults)
	}
}

// TestAWSCLIAssumeRoleWithSAML: the AWS CLI registers a SAML provider from its metadata, and
// exchanges a base64 assertion signed by that provider's key for a session of the role, which
// is the assertion's RoleSessionName and gets a federation token for the Connect user of that
// name; the same assertion again, or one signed by another key, is refused with STS's error.
func TestAWSCLIAssumeRoleWithSAML(t *testing.T) {
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00007", SecretAccessKey: "root/secret/for/the/saml/cli/test/000000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	srv := startServe(t, testOptions(t.TempDir()))
	cli := newAWSCLI(t, srv.endpoint)
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return "file://" + path
	}
	idp, err := samltest.New("https://idp.example.com")
	if err != nil {
		t.Fatal(err)
	}
	forger, err := samltest.New("https://idp.example.com")
	if err != nil {
		t.Fatal(err)
	}

	var inst struct{ Id, Arn string }
	cli.ok(root, &inst, "connect", "create-instance", "--identity-management-type", "SAML", "--instance-alias", "acme",
		"--inbound-calls-enabled", "--outbound-calls-enabled")
	cli.federationSetup(root, inst.Id) // agent1
	var provider struct{ SAMLProviderArn string }
	cli.ok(root, &provider, "iam", "create-saml-provider", "--name", "TestIdP", "--saml-metadata-document", write("metadata.xml", idp.Metadata()))
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider.SAMLProviderArn + `"},` +
		`"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`
	var role struct{ Role struct{ Arn string } }
	cli.ok(root, &role, "iam", "create-role", "--role-name", "SAMLAgent", "--assume-role-policy-document", trust)
	cli.ok(root, nil, "iam", "put-role-policy", "--role-name", "SAMLAgent", "--policy-name", "connect-federation", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"`+inst.Arn+`/user/${aws:userid}"}]}`)

	good := samltest.Assertion{Roles: []string{role.Role.Arn + "," + provider.SAMLProviderArn}, SessionName: "agent1"}
	assertion := write("assertion.b64", idp.Response(good))
	var out struct {
		Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		AssumedRoleUser struct{ Arn string }
		Subject, Issuer string
	}
	cli.ok(awsCreds{}, &out, "sts", "assume-role-with-saml", "--role-arn", role.Role.Arn, "--principal-arn", provider.SAMLProviderArn,
		"--saml-assertion", assertion)
	session := awsCreds{out.Credentials.AccessKeyId, out.Credentials.SecretAccessKey, out.Credentials.SessionToken}
	if got := cli.callerARN(session); got != "arn:aws:sts::123456789012:assumed-role/SAMLAgent/agent1" {
		t.Fatalf("the SAML session is %q", got)
	}
	if out.Subject != "agent1@example.com" || out.Issuer != "https://idp.example.com" {
		t.Errorf("subject %q, issuer %q", out.Subject, out.Issuer)
	}
	var tok struct{ Credentials struct{ AccessToken string } }
	cli.ok(session, &tok, "connect", "get-federation-token", "--instance-id", inst.Id)
	if tok.Credentials.AccessToken == "" {
		t.Error("no access token for the SAML session")
	}

	msg := cli.fails(awsCreds{}, "InvalidIdentityToken", "AssumeRoleWithSAML", "sts", "assume-role-with-saml", "--role-arn", role.Role.Arn,
		"--principal-arn", provider.SAMLProviderArn, "--saml-assertion", assertion)
	if !strings.Contains(msg, "The SAML assertion has already been used") {
		t.Errorf("replay: %q", msg)
	}
	msg = cli.fails(awsCreds{}, "InvalidIdentityToken", "AssumeRoleWithSAML", "sts", "assume-role-with-saml", "--role-arn", role.Role.Arn,
		"--principal-arn", provider.SAMLProviderArn, "--saml-assertion", write("forged.b64", forger.Response(good)))
	if !strings.Contains(msg, "Response signature invalid") {
		t.Errorf("forged: %q", msg)
	}
}

// The demo's SAML commands as it prints them: the demo IdP's assertion, exchanged by the AWS CLI
// for a session of ConnectAgent named agent1, which gets a federation token for the demo
// instance's agent1; and the IdP's login page is there.
func TestAWSCLIDemoSAML(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(dir)
	o.demo = true
	srv := startServe(t, o)
	cli := newAWSCLI(t, srv.endpoint)
	resp, err := http.PostForm(srv.endpoint+"/demo-idp/assertion", url.Values{"username": {"agent1"}})
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the demo IdP's assertion: %d, %v", resp.StatusCode, err)
	}
	path := filepath.Join(dir, "assertion.b64")
	if err := os.WriteFile(path, assertion, 0o600); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		AssumedRoleUser struct{ Arn string }
	}
	cli.ok(awsCreds{}, &out, "sts", "assume-role-with-saml", "--role-arn", "arn:aws:iam::123456789012:role/ConnectAgent",
		"--principal-arn", "arn:aws:iam::123456789012:saml-provider/DemoIdP", "--saml-assertion", "file://"+path)
	if out.AssumedRoleUser.Arn != "arn:aws:sts::123456789012:assumed-role/ConnectAgent/agent1" {
		t.Fatalf("the demo's SAML session is %q", out.AssumedRoleUser.Arn)
	}
	m := regexp.MustCompile(`get-federation-token --instance-id (\S+)`).FindStringSubmatch(srv.stdout.String())
	if m == nil {
		t.Fatalf("the demo printed no instance:\n%s", srv.stdout.String())
	}
	session := awsCreds{out.Credentials.AccessKeyId, out.Credentials.SecretAccessKey, out.Credentials.SessionToken}
	cli.ok(session, nil, "connect", "get-federation-token", "--instance-id", m[1])
	page, err := http.Get(srv.endpoint + "/demo-idp/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(string(body), `<option value="agent1">`) ||
		!strings.Contains(srv.stdout.String(), srv.endpoint+"/demo-idp/") {
		t.Errorf("the demo IdP's page: %d\n%s", page.StatusCode, body)
	}
}

// The commands serve --demo prints, pasted as they are into bash, succeed with every AWS CLI
// here: v1 (aws on PATH) and Debian's v2 (/usr/bin/aws, 2.9, which ignores AWS_ENDPOINT_URL).
func TestDemoPrintedCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end with the AWS CLI; skipped with -short")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skipf("no bash: %v", err)
	}
	o := testOptions(t.TempDir())
	o.demo = true
	srv := startServe(t, o)
	out := srv.waitOutput(t, "saml-assertion file://assertion.b64")
	// The pasteable lines are those indented two spaces (a continued one ends with a backslash).
	var script []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "   ") || strings.HasPrefix(l, "    -d ") {
			script = append(script, strings.TrimPrefix(l, "  "))
		}
	}
	if len(script) < 12 {
		t.Fatalf("the demo printed %d command lines:\n%s", len(script), out)
	}
	clis := map[string]string{}
	if p, err := exec.LookPath("aws"); err == nil {
		clis["aws on PATH"] = p
	}
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		clis["/usr/bin/aws"] = "/usr/bin/aws"
	}
	if len(clis) == 0 {
		t.Skip("no AWS CLI: .ci/run installs Debian's")
	}
	for name, cli := range clis {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			if err := os.Mkdir(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(cli, filepath.Join(bin, "aws")); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bash, "-euo", "pipefail", "-c", strings.Join(script, "\n"))
			cmd.Dir = dir
			cmd.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "HOME=" + dir, "AWS_PAGER=",
				"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
				"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1"}
			for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION"} {
				if v, ok := os.LookupEnv(k); ok {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
			}
			stdout, stderr, code := runCommand(t, cmd)
			if code != 0 {
				t.Fatalf("the demo's commands with %s: exit %d\nstdout:\n%s\nstderr:\n%s", cli, code, stdout, stderr)
			}
			for _, want := range []string{`"Arn": "arn:aws:iam::123456789012:user/ops"`, `"SignInUrl"`, `"AssumedRoleUser"`} {
				if !strings.Contains(stdout, want) {
					t.Errorf("with %s the output lacks %s:\n%s", cli, want, stdout)
				}
			}
		})
	}
}
