package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/connectfed/connectfed/internal/apply"
	"github.com/connectfed/connectfed/internal/awsini"
	"github.com/connectfed/connectfed/internal/saml/samltest"
)

// opCounter records the AWS operations a run sends, to prove what it did not change.
type opCounter struct {
	mu  sync.Mutex
	ops []string
}

func (c *opCounter) configure(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("countOperations",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				c.mu.Lock()
				c.ops = append(c.ops, awsmiddleware.GetServiceID(ctx)+":"+awsmiddleware.GetOperationName(ctx))
				c.mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

// mutations are the operations sent since the last call that change something, sorted.
func (c *opCounter) mutations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, op := range c.ops {
		_, name, _ := strings.Cut(op, ":")
		if name == "" {
			out = append(out, "unnamed operation "+op)
			continue
		}
		if !strings.HasPrefix(name, "List") && !strings.HasPrefix(name, "Get") && !strings.HasPrefix(name, "Describe") {
			out = append(out, op)
		}
	}
	c.ops = nil
	sort.Strings(out)
	return out
}

// isolateAWS makes the AWS environment exactly the given keys: no profile, file or endpoint of
// the machine leaks in.
func isolateAWS(t testing.TB, c awsCreds) {
	home := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	for _, k := range []string{"AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_DEFAULT_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", c.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", c.SecretAccessKey)
}

// sdk is a set of AWS clients for checking a server's state from a test.
type sdk struct {
	iam     *iam.Client
	sts     *sts.Client
	connect *connect.Client
}

func newSDK(endpoint string, c awsCreds) sdk {
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)}
	return sdk{iam.NewFromConfig(cfg), sts.NewFromConfig(cfg), connect.NewFromConfig(cfg)}
}

func (s sdk) instanceID(t testing.TB, alias string) string {
	t.Helper()
	p := connect.NewListInstancesPaginator(s.connect, &connect.ListInstancesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range page.InstanceSummaryList {
			if aws.ToString(in.InstanceAlias) == alias {
				return aws.ToString(in.Id)
			}
		}
	}
	return ""
}

// connectUser returns a user's security profile names and routing profile id, found by
// username; ok is false when there is no such user.
func (s sdk) connectUser(t testing.TB, instanceID, username string) (profiles []string, ok bool) {
	t.Helper()
	ctx := context.Background()
	users, err := s.connect.ListUsers(ctx, &connect.ListUsersInput{InstanceId: aws.String(instanceID), MaxResults: aws.Int32(1000)})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users.UserSummaryList {
		if aws.ToString(u.Username) != username {
			continue
		}
		d, err := s.connect.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(instanceID), UserId: u.Id})
		if err != nil {
			t.Fatal(err)
		}
		sp, err := s.connect.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: aws.String(instanceID)})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range sp.SecurityProfileSummaryList {
			if slices.Contains(d.User.SecurityProfileIds, aws.ToString(p.Id)) {
				profiles = append(profiles, aws.ToString(p.Name))
			}
		}
		sort.Strings(profiles)
		return profiles, true
	}
	return nil, false
}

func (s sdk) iamUserExists(t testing.TB, name string) bool {
	t.Helper()
	_, err := s.iam.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String(name)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchEntity" {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// applier runs connectfed apply against a server and records what it sent.
type applier struct {
	t        *testing.T
	endpoint string
	dir      string
	ops      opCounter
}

type applyOutcome struct {
	stdout, stderr string
	err            error
	mutations      []string
}

// run applies the YAML text with the options given (file and endpoint are filled in).
func (a *applier) run(yaml string, o applyOptions) applyOutcome {
	a.t.Helper()
	path := filepath.Join(a.dir, "apply.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		a.t.Fatal(err)
	}
	o.file = path
	o.aws.endpointURL = a.endpoint
	if o.parallel == 0 {
		o.parallel = 16
	}
	o.configure = a.ops.configure
	var stdout, stderr lockedBuffer
	err := runApply(context.Background(), o, strings.NewReader(""), &stdout, &stderr)
	return applyOutcome{stdout.String(), stderr.String(), err, a.ops.mutations()}
}

// ok runs an apply that must succeed.
func (a *applier) ok(yaml string, o applyOptions) applyOutcome {
	a.t.Helper()
	out := a.run(yaml, o)
	if out.err != nil {
		a.t.Fatalf("apply: %v\nstdout:\n%s\nstderr:\n%s", out.err, out.stdout, out.stderr)
	}
	return out
}

// planOf is the plan lines of an apply's output, without the summary.
func planOf(stdout string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if l != "" && !strings.HasPrefix(l, "apply:") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

const applySeed = `version: 1
region: us-east-1
iam:
  users:
    - name: ops
      accessKeys: 1
      policies:
        manage-users:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Action: ["iam:*User*", "iam:*AccessKey*"]
              Resource: "*"
    - name: alice
  roles:
    - name: ConnectAgent
      trust: ["arn:aws:iam::123456789012:root"]
      policies:
        connect-federation: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"arn:aws:connect:*:123456789012:instance/*/user/${aws:userid}"}]}'
connect:
  instances:
    - alias: demo
      identityManagement: SAML
      inboundCalls: true
      outboundCalls: true
      users:
        - username: agent1
          securityProfiles: [Agent]
          routingProfile: Basic Routing Profile
          firstName: Agent
          lastName: One
        - username: agent2
          securityProfiles: [Agent, CallCenterManager]
          routingProfile: Basic Routing Profile
    - alias: other
      identityManagement: CONNECT_MANAGED
      users:
        - username: boss
          password: Passw0rdOfTheBoss
          securityProfiles: [Admin]
          routingProfile: Basic Routing Profile
`

// TestApply drives apply against a real server: seed, re-apply (nothing sent that changes
// anything), modify (replace and create), dry run, keep and prune, and prune as an IAM user
// that must not delete itself.
func TestApply(t *testing.T) {
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00003", SecretAccessKey: "root/secret/for/the/apply/test/00000000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	isolateAWS(t, root)
	srv := startServe(t, testOptions(t.TempDir()))
	a := &applier{t: t, endpoint: srv.endpoint, dir: t.TempDir()}
	secrets := filepath.Join(a.dir, "secrets")
	as := newSDK(srv.endpoint, root)
	ctx := context.Background()

	// Seed.
	out := a.ok(applySeed, applyOptions{secretsFile: secrets})
	wantPlan := `create  iam user alice
create  iam user ops
create  iam access key for user ops
create  iam role ConnectAgent
create  iam inline policy connect-federation of role ConnectAgent
create  iam inline policy manage-users of user ops
create  connect instance demo (SAML)
create  connect instance other (CONNECT_MANAGED)
create  connect user demo/agent1
create  connect user demo/agent2
create  connect user other/boss`
	if got := planOf(out.stdout); got != wantPlan {
		t.Errorf("seed plan:\n%s\nwant:\n%s", got, wantPlan)
	}
	if !strings.Contains(out.stdout, "apply: 11 created, 0 updated, 0 replaced, 0 deleted, 0 unchanged in ") {
		t.Errorf("seed summary:\n%s", out.stdout)
	}
	if len(out.mutations) != 11 {
		t.Errorf("seed sent %d mutations: %v", len(out.mutations), out.mutations)
	}
	demo := as.instanceID(t, "demo")
	if got, ok := as.connectUser(t, demo, "agent2"); !ok || strings.Join(got, ",") != "Agent,CallCenterManager" {
		t.Errorf("agent2's security profiles = %v (exists %t)", got, ok)
	}

	// The secrets file: 0600, and the key in it works.
	st, err := os.Stat(secrets)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("secrets file mode %v, want 0600", st.Mode().Perm())
	}
	creds, err := awsini.ReadCredentials(secrets)
	if err != nil {
		t.Fatal(err)
	}
	ops := awsCreds{AccessKeyID: creds["ops"].AccessKeyID, SecretAccessKey: creds["ops"].SecretAccessKey}
	id, err := newSDK(srv.endpoint, ops).sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::123456789012:user/ops" {
		t.Fatalf("the secrets file's ops key: %v, %v", id, err)
	}
	for _, secret := range []string{ops.SecretAccessKey, "Passw0rdOfTheBoss"} {
		if strings.Contains(out.stdout+out.stderr, secret) {
			t.Errorf("apply printed a secret:\n%s\n%s", out.stdout, out.stderr)
		}
	}

	// Again: nothing to do, and nothing sent that changes anything.
	out = a.ok(applySeed, applyOptions{secretsFile: secrets})
	if planOf(out.stdout) != "" || !strings.Contains(out.stdout, "apply: no changes (11 unchanged) in ") {
		t.Errorf("re-apply:\n%s", out.stdout)
	}
	if len(out.mutations) != 0 {
		t.Errorf("re-apply sent %v", out.mutations)
	}

	// A longer session for the role is a replace; a new agent a create.
	modified := strings.Replace(applySeed, `trust: ["arn:aws:iam::123456789012:root"]`,
		"trust: [\"arn:aws:iam::123456789012:root\"]\n      maxSessionDuration: 43200", 1)
	modified = strings.Replace(modified, "    - alias: other", `        - username: agent3
          securityProfiles: [Agent]
          routingProfile: Basic Routing Profile
    - alias: other`, 1)
	out = a.ok(modified, applyOptions{secretsFile: secrets})
	// The role's inline policy goes before it and comes back with the new role.
	wantPlan = "replace iam role ConnectAgent (maxSessionDuration 3600 → 43200)\n" +
		"create  iam inline policy connect-federation of role ConnectAgent\n" +
		"delete  iam inline policy connect-federation of role ConnectAgent\n" +
		"create  connect user demo/agent3"
	if got := planOf(out.stdout); got != wantPlan {
		t.Errorf("modify plan:\n%s\nwant:\n%s", got, wantPlan)
	}
	if want := []string{"Connect:CreateUser", "IAM:CreateRole", "IAM:DeleteRole", "IAM:DeleteRolePolicy", "IAM:PutRolePolicy"}; !slices.Equal(out.mutations, want) {
		t.Errorf("modify sent %v, want %v", out.mutations, want)
	}
	role, err := as.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ConnectAgent")})
	if err != nil || aws.ToInt32(role.Role.MaxSessionDuration) != 43200 {
		t.Errorf("the role after the replace: %v", err)
	}
	if _, ok := as.connectUser(t, demo, "agent3"); !ok {
		t.Error("agent3 was not created")
	}

	// Drop alice, the instance "other" and agent2, add bob with a key.
	reduced := strings.Replace(modified, "    - name: alice\n", "    - name: bob\n      accessKeys: 1\n", 1)
	reduced = reduced[:strings.Index(reduced, "    - alias: other")]
	reduced = strings.Replace(reduced, `        - username: agent2
          securityProfiles: [Agent, CallCenterManager]
          routingProfile: Basic Routing Profile
`, "", 1)
	// A user made by hand, with a key: prune takes both.
	if _, err := as.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("outsider")}); err != nil {
		t.Fatal(err)
	}
	if _, err := as.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("outsider")}); err != nil {
		t.Fatal(err)
	}

	// A dry run shows all of it and changes nothing, even without --secrets-file.
	out = a.ok(reduced, applyOptions{dryRun: true, prune: true})
	wantPlan = `delete  iam user alice
create  iam user bob
delete  iam user outsider
create  iam access key for user bob
delete  iam access key AKIA`
	if got := planOf(out.stdout); !strings.HasPrefix(got, wantPlan) ||
		!strings.HasSuffix(got, "of user outsider\ndelete  connect instance other (and all its users)\ndelete  connect user demo/agent2") {
		t.Errorf("dry-run plan:\n%s", got)
	}
	if !strings.Contains(out.stdout, "apply: dry run, 2 to create, 0 to update, 0 to replace, 5 to delete") || len(out.mutations) != 0 {
		t.Errorf("dry run: sent %v\n%s", out.mutations, out.stdout)
	}
	if !as.iamUserExists(t, "alice") || as.instanceID(t, "other") == "" || as.iamUserExists(t, "bob") {
		t.Error("the dry run changed something")
	}

	// Keys are not created without a place for their secrets: refused before any change.
	out = a.run(reduced, applyOptions{})
	if out.err == nil || !strings.Contains(out.err.Error(), "--secrets-file") || len(out.mutations) != 0 {
		t.Errorf("without --secrets-file: %v, sent %v", out.err, out.mutations)
	}

	// Without --prune what the file no longer declares stays, and apply says so.
	out = a.ok(reduced, applyOptions{secretsFile: secrets})
	if got := planOf(out.stdout); got != "create  iam user bob\ncreate  iam access key for user bob" {
		t.Errorf("plan without --prune:\n%s", got)
	}
	for _, kept := range []string{"connect instance other", "connect user demo/agent2", "iam user alice", "iam user outsider"} {
		if !strings.Contains(out.stderr, kept) {
			t.Errorf("stderr does not say %s was kept:\n%s", kept, out.stderr)
		}
	}
	if !as.iamUserExists(t, "alice") || as.instanceID(t, "other") == "" {
		t.Error("an undeclared resource went without --prune")
	}
	if _, ok := as.connectUser(t, demo, "agent2"); !ok {
		t.Error("agent2 went without --prune")
	}
	if creds, err := awsini.ReadCredentials(secrets); err != nil || creds["ops"].AccessKeyID != ops.AccessKeyID || creds["bob"].AccessKeyID == "" {
		t.Errorf("secrets file after adding bob: %v %v", creds, err)
	}

	// With --prune they go.
	out = a.ok(reduced, applyOptions{secretsFile: secrets, prune: true})
	if !strings.Contains(out.stdout, "apply: 0 created, 0 updated, 0 replaced, 5 deleted, ") {
		t.Errorf("prune:\n%s", out.stdout)
	}
	if as.iamUserExists(t, "alice") || as.iamUserExists(t, "outsider") || as.instanceID(t, "other") != "" {
		t.Error("prune left an undeclared user or instance")
	}
	if _, ok := as.connectUser(t, demo, "agent2"); ok {
		t.Error("prune left agent2")
	}
	if _, ok := as.connectUser(t, demo, "agent1"); !ok {
		t.Error("prune took a declared user")
	}

	// As ops, a file without ops: prune never deletes the caller, and leaves alone the
	// collections the file does not list (roles, instances).
	if err := os.WriteFile(filepath.Join(a.dir, "ops-credentials"), []byte(fmt.Sprintf("[ops]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		ops.AccessKeyID, ops.SecretAccessKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(a.dir, "ops-credentials"))
	out = a.ok("version: 1\niam:\n  users:\n    - name: bob\n", applyOptions{prune: true, aws: awsSource{profile: "ops"}})
	if planOf(out.stdout) != "" || !strings.Contains(out.stderr, "never pruned: iam user ops (the caller)") {
		t.Errorf("prune as ops:\nstdout:\n%s\nstderr:\n%s", out.stdout, out.stderr)
	}
	if !as.iamUserExists(t, "ops") || as.instanceID(t, "demo") == "" {
		t.Error("prune as ops deleted ops, or touched instances the file does not list")
	}
	if _, err := as.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ConnectAgent")}); err != nil {
		t.Errorf("prune touched roles the file does not list: %v", err)
	}
}

// Errors reach the user as AWS names them, with the resource, and a non-zero exit; a bad
// file names its line and sends nothing.
func TestApplyReportsErrors(t *testing.T) {
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00004", SecretAccessKey: "root/secret/for/the/apply/errors/000000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	isolateAWS(t, root)
	srv := startServe(t, testOptions(t.TempDir()))
	dir := t.TempDir()
	run := func(yaml string, args ...string) (int, string, string) {
		path := filepath.Join(dir, "file.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr lockedBuffer
		code := Main(append([]string{"apply", "-f", path, "--endpoint-url", srv.endpoint}, args...), strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	// The server refuses the policy (the file cannot know Effect must be Allow or Deny).
	code, _, stderr := run(`version: 1
iam:
  roles:
    - name: Bad
      trustPolicy: '{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'
`)
	if code == 0 || !strings.Contains(stderr, "create iam role Bad: MalformedPolicyDocument: Invalid effect: Maybe") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}

	// An unknown profile name in an existing instance: found before any change.
	code, _, stderr = run("version: 1\nconnect:\n  instances:\n    - alias: here\n      identityManagement: SAML\n")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, _, stderr = run("version: 1\nconnect:\n  instances:\n    - alias: here\n      identityManagement: SAML\n      users:\n        - username: u\n          securityProfiles: [Agnet]\n          routingProfile: Basic Routing Profile\n")
	if code == 0 || !strings.Contains(stderr, `file.yaml:7: connect user here/u: instance here has no security profile "Agnet"`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}

	code, _, stderr = run("version: 1\niam:\n  users:\n    - nmae: ops\n")
	if code == 0 || !strings.Contains(stderr, `file.yaml:4: unknown key "nmae" in an IAM user`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}

	// Wrong credentials: the caller cannot be identified, and apply says why.
	t.Setenv("AWS_SECRET_ACCESS_KEY", strings.Repeat("x", 40))
	code, _, stderr = run("version: 1\n")
	if code == 0 || !strings.Contains(stderr, "sts get-caller-identity): SignatureDoesNotMatch") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// BenchmarkApply10kUsers applies a file of one instance and 10,000 users to an empty server
// (each iteration a fresh instance), and reports how long the second, idle apply of the same
// file takes.
func BenchmarkApply10kUsers(b *testing.B) {
	const users = 10000
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00005", SecretAccessKey: "root/secret/for/the/apply/bench/0000000"}
	b.Setenv(envRootKeyID, root.AccessKeyID)
	b.Setenv(envRootSecret, root.SecretAccessKey)
	isolateAWS(b, root)
	srv := startServe(b, testOptions(b.TempDir()))
	dir := b.TempDir()
	var idle time.Duration
	for i := range b.N {
		b.StopTimer()
		var f strings.Builder
		fmt.Fprintf(&f, "version: 1\nconnect:\n  instances:\n    - alias: bench%d\n      identityManagement: SAML\n      users:\n", i)
		for u := range users {
			fmt.Fprintf(&f, "        - username: agent%05d\n          securityProfiles: [Agent]\n          routingProfile: Basic Routing Profile\n          firstName: Agent\n          lastName: \"%d\"\n", u, u)
		}
		path := filepath.Join(dir, "bench.yaml")
		if err := os.WriteFile(path, []byte(f.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		var stdout lockedBuffer
		o := applyOptions{file: path, parallel: apply.DefaultParallel, aws: awsSource{endpointURL: srv.endpoint}}
		b.StartTimer()
		if err := runApply(context.Background(), o, nil, &stdout, &stdout); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if !strings.Contains(stdout.String(), fmt.Sprintf("apply: %d created", users+1)) {
			b.Fatalf("apply did not create everything: %s", stdout.String()[max(0, len(stdout.String())-300):])
		}
		stdout = lockedBuffer{}
		start := time.Now()
		if err := runApply(context.Background(), o, nil, &stdout, &stdout); err != nil {
			b.Fatal(err)
		}
		idle += time.Since(start)
		if !strings.Contains(stdout.String(), "apply: no changes") {
			b.Fatalf("second apply: %s", stdout.String())
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(users)*float64(b.N)/b.Elapsed().Seconds(), "users/s")
	b.ReportMetric(idle.Seconds()/float64(b.N), "idle-reapply-s")
}

// Managed policies and attachments through apply: created and attached, unchanged on a second
// run, a changed document as a new default version, an attachment pruned, and a role replaced
// with its attachments carried over.
func TestApplyManagedPolicies(t *testing.T) {
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00006", SecretAccessKey: "root/secret/for/the/managed/test/000000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	isolateAWS(t, root)
	srv := startServe(t, testOptions(t.TempDir()))
	a := &applier{t: t, endpoint: srv.endpoint, dir: t.TempDir()}
	as := newSDK(srv.endpoint, root)
	ctx := context.Background()
	file := `version: 1
iam:
  policies:
    - name: AgentReads
      path: /agents/
      description: what agents read
      document:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: connect:Describe*
            Resource: "*"
  roles:
    - name: ConnectAgent
      trust: ["123456789012"]
      managedPolicies: [AgentReads, arn:aws:iam::aws:policy/IAMReadOnlyAccess]
`
	out := a.ok(file, applyOptions{})
	want := "create  iam role ConnectAgent\n" +
		"create  iam managed policy AgentReads\n" +
		"create  iam policy attachment arn:aws:iam::123456789012:policy/agents/AgentReads to role ConnectAgent\n" +
		"create  iam policy attachment arn:aws:iam::aws:policy/IAMReadOnlyAccess to role ConnectAgent"
	if got := planOf(out.stdout); got != want {
		t.Errorf("seed plan:\n%s\nwant:\n%s", got, want)
	}
	attached := func() []string {
		t.Helper()
		out, err := as.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("ConnectAgent")})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range out.AttachedPolicies {
			names = append(names, aws.ToString(p.PolicyName))
		}
		slices.Sort(names)
		return names
	}
	if got := attached(); !slices.Equal(got, []string{"AgentReads", "IAMReadOnlyAccess"}) {
		t.Errorf("attached after the seed: %v", got)
	}
	if out := a.ok(file, applyOptions{}); planOf(out.stdout) != "" || len(out.mutations) != 0 {
		t.Errorf("re-apply:\n%s\nsent %v", out.stdout, out.mutations)
	}

	// A new document is a new default version; an undeclared attachment stays without --prune
	// and goes with it.
	changed := strings.Replace(file, "connect:Describe*", "connect:List*", 1)
	changed = strings.Replace(changed, ", arn:aws:iam::aws:policy/IAMReadOnlyAccess]", "]", 1)
	out = a.ok(changed, applyOptions{})
	if got := planOf(out.stdout); got != "replace iam managed policy AgentReads (document: a new default version)" ||
		!strings.Contains(out.stderr, "iam policy attachment arn:aws:iam::aws:policy/IAMReadOnlyAccess to role ConnectAgent") {
		t.Errorf("change without --prune:\n%s\n%s", got, out.stderr)
	}
	p, err := as.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/agents/AgentReads")})
	if err != nil || aws.ToString(p.Policy.DefaultVersionId) != "v2" {
		t.Errorf("the policy after the change: %+v, %v", p, err)
	}
	out = a.ok(changed, applyOptions{prune: true})
	if got := planOf(out.stdout); got != "delete  iam policy attachment arn:aws:iam::aws:policy/IAMReadOnlyAccess from role ConnectAgent" {
		t.Errorf("prune plan:\n%s", got)
	}
	if got := attached(); !slices.Equal(got, []string{"AgentReads"}) {
		t.Errorf("attached after the prune: %v", got)
	}

	// A replaced role keeps its attachments: detached from the old, attached to the new.
	replaced := strings.Replace(changed, `trust: ["123456789012"]`, "trust: [\"123456789012\"]\n      maxSessionDuration: 7200", 1)
	out = a.ok(replaced, applyOptions{})
	if !strings.Contains(out.stdout, "replace iam role ConnectAgent") ||
		!strings.Contains(out.stdout, "delete  iam policy attachment arn:aws:iam::123456789012:policy/agents/AgentReads from role ConnectAgent") ||
		!strings.Contains(out.stdout, "create  iam policy attachment arn:aws:iam::123456789012:policy/agents/AgentReads to role ConnectAgent") {
		t.Errorf("replace plan:\n%s", out.stdout)
	}
	if got := attached(); !slices.Equal(got, []string{"AgentReads"}) {
		t.Errorf("attached after the replace: %v", got)
	}

	// Names that are neither ARNs nor the file's policies are refused before anything is sent.
	bad := a.run(strings.Replace(file, "managedPolicies: [AgentReads", "managedPolicies: [Nope", 1), applyOptions{})
	if bad.err == nil || !strings.Contains(bad.err.Error(), `managed policy "Nope" is neither an ARN nor a policy of this file's iam.policies`) || len(bad.mutations) != 0 {
		t.Errorf("an unknown policy name: %v, sent %v", bad.err, bad.mutations)
	}
}

// SAML providers through apply: created from a metadata file named relative to the apply file,
// unchanged on a second run, replaced when the metadata changes, deleted by --prune.
func TestApplySAMLProviders(t *testing.T) {
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00008", SecretAccessKey: "root/secret/for/the/saml/apply/test/000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	isolateAWS(t, root)
	srv := startServe(t, testOptions(t.TempDir()))
	a := &applier{t: t, endpoint: srv.endpoint, dir: t.TempDir()}
	as := newSDK(srv.endpoint, root)
	first, err := samltest.New("https://idp.example.com")
	if err != nil {
		t.Fatal(err)
	}
	second, err := samltest.New("https://idp.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.dir, "idp.xml"), []byte(first.Metadata()), 0o600); err != nil {
		t.Fatal(err)
	}
	file := "version: 1\niam:\n  samlProviders:\n    - name: Okta\n      metadataFile: idp.xml\n"
	if got := planOf(a.ok(file, applyOptions{}).stdout); got != "create  iam saml provider Okta" {
		t.Errorf("seed plan: %q", got)
	}
	if out := a.ok(file, applyOptions{}); planOf(out.stdout) != "" || len(out.mutations) != 0 {
		t.Errorf("re-apply: %s, sent %v", out.stdout, out.mutations)
	}
	if err := os.WriteFile(filepath.Join(a.dir, "idp.xml"), []byte(second.Metadata()), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := planOf(a.ok(file, applyOptions{}).stdout); got != "replace iam saml provider Okta (metadata)" {
		t.Errorf("changed metadata plan: %q", got)
	}
	got, err := as.iam.GetSAMLProvider(context.Background(), &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String("arn:aws:iam::123456789012:saml-provider/Okta")})
	if err != nil || aws.ToString(got.SAMLMetadataDocument) != second.Metadata() {
		t.Errorf("the provider after the change: %v", err)
	}
	if got := planOf(a.ok("version: 1\niam:\n  samlProviders: []\n", applyOptions{prune: true}).stdout); got != "delete  iam saml provider Okta" {
		t.Errorf("prune plan: %q", got)
	}
	bad := a.run("version: 1\niam:\n  samlProviders:\n    - name: Okta\n", applyOptions{})
	if bad.err == nil || !strings.Contains(bad.err.Error(), "give metadata (the document) or metadataFile") {
		t.Errorf("a provider without metadata: %v", bad.err)
	}
}

// An instance's attributes, approved origins, security profiles, hierarchy and its users'
// groups, applied, changed in place (users keep their ids), and left alone when they match.
func TestApplyConnectInstanceParts(t *testing.T) {
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00008", SecretAccessKey: "root/secret/for/the/parts/test/00000000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	isolateAWS(t, root)
	srv := startServe(t, testOptions(t.TempDir()))
	a := &applier{t: t, endpoint: srv.endpoint, dir: t.TempDir()}
	as := newSDK(srv.endpoint, root)
	ctx := context.Background()
	file := `version: 1
connect:
  instances:
    - alias: parts
      identityManagement: SAML
      inboundCalls: true
      outboundCalls: true
      attributes:
        CONTACT_LENS: true
      approvedOrigins: [https://crm.example.com]
      securityProfiles:
        - name: Tier2
          description: escalations
          permissions: [BasicAgentAccess, OutboundCallAccess]
        - name: Agent
          permissions: [BasicAgentAccess]
      queues:
        - name: Escalations
          maxContacts: 5
      routingProfiles:
        - name: Escalations
          description: tier 2
          defaultOutboundQueue: Escalations
          mediaConcurrencies: {VOICE: 1, CHAT: 2}
          queues:
            - {queue: Escalations, channel: VOICE, priority: 1, delay: 0}
            - {queue: BasicQueue, channel: CHAT, priority: 2, delay: 5}
      hierarchy:
        levels: [Site, Team]
        groups:
          - name: Lisbon
          - name: Billing
            parent: Lisbon
      users:
        - username: agent1
          securityProfiles: [Tier2]
          routingProfile: Escalations
          hierarchyGroup: Billing
          firstName: Ada
`
	out := a.ok(file, applyOptions{})
	want := "create  connect instance parts (SAML)\n" +
		"update  connect instance attribute parts/CONTACT_LENS (false → true)\n" +
		"create  connect approved origin parts/https://crm.example.com\n" +
		"update  connect security profile parts/Agent (a profile every new instance has)\n" +
		"create  connect security profile parts/Tier2\n" +
		"create  connect queue parts/Escalations\n" +
		"create  connect routing profile parts/Escalations\n" +
		"update  connect user hierarchy parts (levels [] → [Site, Team])\n" +
		"create  connect hierarchy group parts/Lisbon (level 1)\n" +
		"create  connect hierarchy group parts/Billing (level 2, under Lisbon)\n" +
		"create  connect user parts/agent1"
	if got := planOf(out.stdout); got != want {
		t.Errorf("seed plan:\n%s\nwant:\n%s", got, want)
	}
	inst := as.instanceID(t, "parts")
	describeUser := func() *ctypes.User {
		t.Helper()
		list, err := as.connect.SearchUsers(ctx, &connect.SearchUsersInput{InstanceId: aws.String(inst), SearchCriteria: &ctypes.UserSearchCriteria{
			StringCondition: &ctypes.StringCondition{FieldName: aws.String("Username"), Value: aws.String("agent1"), ComparisonType: ctypes.StringComparisonTypeExact}}})
		if err != nil || len(list.Users) != 1 {
			t.Fatalf("agent1: %v, %v", list, err)
		}
		d, err := as.connect.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(inst), UserId: list.Users[0].Id})
		if err != nil {
			t.Fatal(err)
		}
		return d.User
	}
	groupID := func(name string) string {
		t.Helper()
		gs, err := as.connect.ListUserHierarchyGroups(ctx, &connect.ListUserHierarchyGroupsInput{InstanceId: aws.String(inst)})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs.UserHierarchyGroupSummaryList {
			if aws.ToString(g.Name) == name {
				return aws.ToString(g.Id)
			}
		}
		t.Fatalf("no group %s", name)
		return ""
	}
	u := describeUser()
	if aws.ToString(u.HierarchyGroupId) != groupID("Billing") || aws.ToString(u.IdentityInfo.FirstName) != "Ada" || len(u.SecurityProfileIds) != 1 {
		t.Errorf("agent1 after the seed: %+v", u)
	}
	rq, err := as.connect.ListRoutingProfileQueues(ctx, &connect.ListRoutingProfileQueuesInput{InstanceId: aws.String(inst), RoutingProfileId: u.RoutingProfileId})
	if err != nil || len(rq.RoutingProfileQueueConfigSummaryList) != 2 {
		t.Errorf("agent1's routing profile queues: %+v, %v", rq, err)
	}
	lens, err := as.connect.DescribeInstanceAttribute(ctx, &connect.DescribeInstanceAttributeInput{InstanceId: aws.String(inst), AttributeType: ctypes.InstanceAttributeTypeContactLens})
	if err != nil || aws.ToString(lens.Attribute.Value) != "true" {
		t.Errorf("CONTACT_LENS: %v, %v", lens, err)
	}
	if out := a.ok(file, applyOptions{}); planOf(out.stdout) != "" || len(out.mutations) != 0 {
		t.Errorf("re-apply:\n%s\nsent %v", out.stdout, out.mutations)
	}

	// Changes in place: the user keeps its id.
	changed := strings.Replace(file, "firstName: Ada", "firstName: Grace", 1)
	changed = strings.Replace(changed, "hierarchyGroup: Billing", "hierarchyGroup: Support", 1)
	changed = strings.Replace(changed, "            parent: Lisbon\n", "            parent: Lisbon\n          - name: Support\n            parent: Lisbon\n", 1)
	changed = strings.Replace(changed, "permissions: [BasicAgentAccess, OutboundCallAccess]", "permissions: [BasicAgentAccess]", 1)
	changed = strings.Replace(changed, "outboundCalls: true", "outboundCalls: false", 1)
	changed = strings.Replace(changed, "[https://crm.example.com]", "[https://crm.example.com, https://desk.example.com]", 1)
	changed = strings.Replace(changed, "channel: CHAT, priority: 2, delay: 5", "channel: CHAT, priority: 3, delay: 5", 1)
	out = a.ok(changed, applyOptions{})
	want = "update  connect instance attribute parts/OUTBOUND_CALLS (true → false)\n" +
		"create  connect approved origin parts/https://desk.example.com\n" +
		"update  connect security profile parts/Tier2 (permissions)\n" +
		"update  connect routing profile parts/Escalations (queues)\n" +
		"create  connect hierarchy group parts/Support (level 2, under Lisbon)\n" +
		"update  connect user parts/agent1 (hierarchyGroup, firstName)"
	if got := planOf(out.stdout); got != want {
		t.Errorf("change plan:\n%s\nwant:\n%s", got, want)
	}
	after := describeUser()
	if aws.ToString(after.Id) != aws.ToString(u.Id) || aws.ToString(after.IdentityInfo.FirstName) != "Grace" ||
		aws.ToString(after.HierarchyGroupId) != groupID("Support") {
		t.Errorf("agent1 after the change: %+v (was %s)", after, aws.ToString(u.Id))
	}
	rq, err = as.connect.ListRoutingProfileQueues(ctx, &connect.ListRoutingProfileQueuesInput{InstanceId: aws.String(inst), RoutingProfileId: u.RoutingProfileId})
	if err != nil || len(rq.RoutingProfileQueueConfigSummaryList) != 2 || !slices.ContainsFunc(rq.RoutingProfileQueueConfigSummaryList,
		func(q ctypes.RoutingProfileQueueConfigSummary) bool {
			return q.Channel == ctypes.ChannelChat && aws.ToInt32(q.Priority) == 3
		}) {
		t.Errorf("the routing profile's queues after the change: %+v, %v", rq, err)
	}
	if out := a.ok(changed, applyOptions{}); planOf(out.stdout) != "" || len(out.mutations) != 0 {
		t.Errorf("re-apply after the change:\n%s\nsent %v", out.stdout, out.mutations)
	}
	// An origin the file drops goes with --prune only.
	dropped := strings.Replace(changed, ", https://desk.example.com]", "]", 1)
	if got := planOf(a.ok(dropped, applyOptions{dryRun: true}).stdout); got != "" {
		t.Errorf("without --prune: %s", got)
	}
	if got := planOf(a.ok(dropped, applyOptions{prune: true}).stdout); got != "delete  connect approved origin parts/https://desk.example.com" {
		t.Errorf("with --prune: %s", got)
	}

	// The example file applies as it is, and then matches.
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "contact-centre.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if out := a.ok(string(example), applyOptions{}); !strings.Contains(out.stdout, "create  connect user contact-centre/agent2") {
		t.Errorf("examples/contact-centre.yaml:\n%s", out.stdout)
	}
	if out := a.ok(string(example), applyOptions{}); planOf(out.stdout) != "" || len(out.mutations) != 0 {
		t.Errorf("examples/contact-centre.yaml again:\n%s\nsent %v", out.stdout, out.mutations)
	}
}

// The file in apply --help is a file apply reads: the help cannot drift from the format.
func TestApplyHelpExampleParses(t *testing.T) {
	help := newApplyCommand().Long
	start := strings.Index(help, "The file (version 1):\n")
	if start < 0 {
		t.Fatal("apply --help shows no file")
	}
	var lines []string
	for _, l := range strings.Split(help[start:], "\n")[1:] {
		if l != "" && !strings.HasPrefix(l, "  ") {
			break
		}
		if strings.HasPrefix(l, "  examples/") {
			break
		}
		lines = append(lines, strings.TrimPrefix(l, "  "))
	}
	f, err := apply.Parse("help", []byte(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatalf("the file in apply --help: %v\n%s", err, strings.Join(lines, "\n"))
	}
	if in := f.Connect.Instances[0]; len(in.SecurityProfiles) != 1 || in.Hierarchy == nil || in.Users[0].HierarchyGroup != "Billing" {
		t.Errorf("the help's instance read as %+v", in)
	}
}
