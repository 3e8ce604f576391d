package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// awsV2Path is where Debian's awscli package (AWS CLI v2) installs; the AWS CLI v1 that
// shadows it on PATH prints timestamps differently, so the golden tests call v2 by path.
const awsV2Path = "/usr/bin/aws"

// recordingProxy stands in front of a connectfed server so that two CLIs can be compared on
// the same response: the first request for a method, path and caller (access key id) is
// forwarded and its response recorded; later identical requests get the identical bytes, so
// that tokens, which differ on every call, are the same for both.
type recordingProxy struct {
	target *url.URL
	mu     sync.Mutex
	seen   map[string]*recordedResponse
	*httptest.Server
}

type recordedResponse struct {
	status int
	header http.Header
	body   []byte
}

var credentialRe = regexp.MustCompile(`Credential=([^/,]+)/`)

func newRecordingProxy(t *testing.T, target string) *recordingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{target: u, seen: map[string]*recordedResponse{}}
	p.Server = httptest.NewServer(p)
	t.Cleanup(p.Close)
	return p
}

func (p *recordingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	caller := ""
	if m := credentialRe.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		caller = m[1]
	}
	key := r.Method + " " + r.URL.EscapedPath() + " " + caller
	p.mu.Lock()
	rec := p.seen[key]
	p.mu.Unlock()
	if rec == nil {
		out := r.Clone(r.Context())
		out.RequestURI = ""
		out.URL.Scheme, out.URL.Host = p.target.Scheme, p.target.Host
		out.Host = r.Host // the signature covers the host the client called
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		rec = &recordedResponse{resp.StatusCode, resp.Header.Clone(), body}
		p.mu.Lock()
		p.seen[key] = rec
		p.mu.Unlock()
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	w.Write(rec.body)
}

// cliRun is one CLI's answer.
type cliRun struct {
	stdout, stderr string
	code           int
}

// cliEnv is the whole AWS environment both CLIs run with: nothing else leaks in.
func cliEnv(home string, c awsCreds, region string) map[string]string {
	return map[string]string{
		"HOME":                        home,
		"AWS_CONFIG_FILE":             filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
		"AWS_DEFAULT_REGION":          region,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_MAX_ATTEMPTS":            "1",
		"AWS_PAGER":                   "",
		"AWS_ACCESS_KEY_ID":           c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       c.SecretAccessKey,
		"AWS_SESSION_TOKEN":           c.SessionToken,
		"TZ":                          "UTC",
	}
}

// runAWSv2 runs AWS CLI v2's connect get-federation-token.
func runAWSv2(t *testing.T, env map[string]string, args ...string) cliRun {
	t.Helper()
	cmd := exec.Command(awsV2Path, append([]string{"connect", "get-federation-token"}, args...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	for k, v := range env {
		if v != "" || k == "AWS_PAGER" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	stdout, stderr, code := runCommand(t, cmd)
	return cliRun{stdout, stderr, code}
}

// awsEnvNames are the variables that could change what connectfed resolves; each test run
// sets all of them, empty when unused, which the SDK and the CLI treat as unset.
var awsEnvNames = []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_CONNECT", "AWS_DEFAULT_OUTPUT", "AWS_CA_BUNDLE", "AWS_RETRY_MODE", "AWS_ROLE_ARN",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}

// runConnectfed runs connectfed's get-federation-token in this process.
func runConnectfed(t *testing.T, env map[string]string, args ...string) cliRun {
	t.Helper()
	for _, k := range awsEnvNames {
		t.Setenv(k, "")
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	var stdout, stderr strings.Builder
	code := Main(append([]string{"get-federation-token"}, args...), strings.NewReader(""), &stdout, &stderr)
	return cliRun{stdout.String(), stderr.String(), code}
}

// usageBlock is argparse's usage text, which names the program and so differs.
var usageBlock = regexp.MustCompile(`usage: [^\n]*\nTo see help text, you can run:\n\n(?:  [^\n]*\n)+\n`)

// normalizeUsage makes connectfed's and the AWS CLI's usage errors comparable.
func normalizeUsage(s string) string {
	s = usageBlock.ReplaceAllString(s, "usage: ...\n\n")
	return strings.Replace(s, "\naws: error: ", "\nconnectfed: error: ", 1)
}

// federationFixture is a server with a SAML instance, an agent who may federate and callers
// who may not, behind a recording proxy.
type federationFixture struct {
	proxy            *recordingProxy
	home             string
	instance, arn    string
	root, agent, ops awsCreds
}

func newFederationFixture(t *testing.T) *federationFixture {
	t.Helper()
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00003", SecretAccessKey: "root/secret/for/the/golden/test/0000000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	srv := startServe(t, testOptions(t.TempDir()))
	cli := newAWSCLI(t, srv.endpoint)

	var inst struct{ Id, Arn string }
	cli.ok(root, &inst, "connect", "create-instance", "--identity-management-type", "SAML",
		"--instance-alias", "golden", "--inbound-calls-enabled", "--outbound-calls-enabled")
	fx := cli.federationSetup(root, inst.Id)
	agent, ops := fx.assume("agent1"), fx.ops

	return &federationFixture{proxy: newRecordingProxy(t, srv.endpoint), home: t.TempDir(),
		instance: inst.Id, arn: inst.Arn, root: root, agent: agent, ops: ops}
}

func skipWithoutAWSv2(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("compares with AWS CLI v2 end to end; skipped with -short")
	}
	if _, err := os.Stat(awsV2Path); err != nil {
		t.Skip("AWS CLI v2 is not installed at " + awsV2Path + " (Debian's awscli package): skipping the golden comparison")
	}
}

// TestGetFederationTokenMatchesAWSCLIv2 runs AWS CLI v2 and connectfed side by side on the same
// responses and compares what they print and how they exit, in every output format, with
// queries, and for each error class.
func TestGetFederationTokenMatchesAWSCLIv2(t *testing.T) {
	skipWithoutAWSv2(t)
	f := newFederationFixture(t)
	endpoint := f.proxy.URL
	cfPath := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(cfPath, []byte(`{"InstanceId": "`+f.instance+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	type compare int
	const (
		exact      compare = iota // stdout, stderr and exit code byte for byte
		usage                     // stderr compared after naming the program alike
		stdoutOnly                // stdout and exit code
	)
	cases := []struct {
		name   string
		caller awsCreds
		region string // "-" for none
		cmp    compare
		args   []string
		tz     string // TZ, when not UTC
	}{
		{"json", f.agent, "", exact, []string{"--instance-id", f.instance}, ""},
		{"text", f.agent, "", exact, []string{"--instance-id", f.instance, "--output", "text"}, ""},
		{"table", f.agent, "", exact, []string{"--instance-id", f.instance, "--output", "table"}, ""},
		{"yaml", f.agent, "", exact, []string{"--instance-id", f.instance, "--output", "yaml"}, ""},
		{"yaml-stream", f.agent, "", exact, []string{"--instance-id", f.instance, "--output", "yaml-stream"}, ""},
		{"local time zone", f.agent, "", exact, []string{"--instance-id", f.instance, "--query", "Credentials.[AccessTokenExpiration,RefreshTokenExpiration]"}, "Asia/Kolkata"},
		{"query scalar", f.agent, "", exact, []string{"--instance-id", f.instance, "--query", "Credentials.AccessToken"}, ""},
		{"query list", f.agent, "", exact, []string{"--instance-id", f.instance, "--query", "[UserId,UserArn]"}, ""},
		{"query object as text", f.agent, "", exact, []string{"--instance-id", f.instance, "--query", "Credentials", "--output", "text"}, ""},
		{"query hash keeps its order", f.agent, "", exact, []string{"--instance-id", f.instance, "--query", "{z: UserId, a: Credentials.AccessTokenExpiration, n: length(UserId)}"}, ""},
		{"coloured table", f.agent, "", exact, []string{"--instance-id", f.instance, "--output", "table", "--color", "on", "--query", "{a: UserId, b: [UserArn]}"}, ""},
		{"instance ARN", f.agent, "", exact, []string{"--instance-id", f.arn, "--query", "UserId"}, ""},
		{"cli-input-json", f.agent, "", exact, []string{"--cli-input-json", `{"InstanceId": "` + f.instance + `"}`, "--query", "UserId"}, ""},
		{"cli-input-json file", f.agent, "", exact, []string{"--cli-input-json", "file://" + cfPath, "--query", "UserId"}, ""},
		{"cli-input-yaml", f.agent, "", exact, []string{"--cli-input-yaml", "InstanceId: " + f.instance, "--query", "UserId"}, ""},
		{"flag wins over input", f.agent, "", exact, []string{"--instance-id", f.instance, "--cli-input-json", `{"InstanceId": "nope"}`, "--query", "UserId"}, ""},
		{"unknown input key", f.agent, "", exact, []string{"--cli-input-json", `{"InstanceId": "x", "Foo": 1}`}, ""},
		{"input not JSON", f.agent, "", exact, []string{"--cli-input-json", `{"InstanceId"`}, ""},
		{"skeleton", f.agent, "", exact, []string{"--generate-cli-skeleton"}, ""},
		{"skeleton yaml-input", f.agent, "", exact, []string{"--generate-cli-skeleton", "yaml-input"}, ""},
		{"skeleton output", f.agent, "", exact, []string{"--generate-cli-skeleton", "output", "--instance-id", "x"}, ""},
		{"root refused", f.root, "", exact, []string{"--instance-id", f.instance}, ""},
		{"no such instance", f.agent, "", exact, []string{"--instance-id", "00000000-0000-0000-0000-000000000000"}, ""},
		{"no such user", f.ops, "", exact, []string{"--instance-id", f.instance}, ""},
		{"instance id too long", f.agent, "", exact, []string{"--instance-id", strings.Repeat("a", 101)}, ""},
		{"missing instance id", f.agent, "", usage, nil, ""},
		{"bad output", f.agent, "", usage, []string{"--instance-id", "x", "--output", "xml"}, ""},
		{"unknown option", f.agent, "", usage, []string{"--instance-id", "x", "--bogus"}, ""},
		{"no region", f.agent, "-", exact, []string{"--instance-id", "x"}, ""},
		{"no credentials", awsCreds{}, "", exact, []string{"--instance-id", "x"}, ""},
		{"connection refused", f.agent, "", exact, []string{"--instance-id", "abc", "--endpoint-url", "http://127.0.0.1:1"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			region := "us-east-1"
			if c.region == "-" {
				region = ""
			}
			env := cliEnv(f.home, c.caller, region)
			if c.tz != "" {
				env["TZ"] = c.tz
			}
			args := append([]string{"--endpoint-url", endpoint}, c.args...)
			want := runAWSv2(t, env, args...)
			got := runConnectfed(t, env, args...)
			if got.code != want.code {
				t.Errorf("exit code %d, AWS CLI v2 %d\nstderr: %s\nv2 stderr: %s", got.code, want.code, got.stderr, want.stderr)
			}
			if got.stdout != want.stdout {
				t.Errorf("stdout differs\n got: %q\nwant: %q", got.stdout, want.stdout)
			}
			switch c.cmp {
			case exact:
				if got.stderr != want.stderr {
					t.Errorf("stderr differs\n got: %q\nwant: %q", got.stderr, want.stderr)
				}
			case usage:
				if g, w := normalizeUsage(got.stderr), normalizeUsage(want.stderr); g != w {
					t.Errorf("usage error differs\n got: %q\nwant: %q", g, w)
				}
			}
		})
	}
	t.Run("debug masks secrets", func(t *testing.T) { checkDebugMasksSecrets(t, f) })
}

// checkDebugMasksSecrets checks that --debug shows the exchange and none of the secrets in it:
// the secret key, the session token, the signature, the tokens of the response.
func checkDebugMasksSecrets(t *testing.T, f *federationFixture) {
	env := cliEnv(f.home, f.agent, "us-east-1")
	run := runConnectfed(t, env, "--endpoint-url", f.proxy.URL, "--instance-id", f.instance, "--debug")
	if run.code != 0 {
		t.Fatalf("exit %d: %s", run.code, run.stderr)
	}
	var out struct {
		Credentials struct{ AccessToken, RefreshToken string }
		SignInUrl   string
	}
	if err := json.Unmarshal([]byte(run.stdout), &out); err != nil {
		t.Fatal(err)
	}
	signIn, err := url.Parse(out.SignInUrl)
	if err != nil || signIn.Query().Get("token") == "" {
		t.Fatalf("SignInUrl %q has no token", out.SignInUrl)
	}
	for _, want := range []string{
		"Sending http request: GET " + f.proxy.URL + "/user/federate/" + f.instance,
		`"GET /user/federate/` + f.instance + ` HTTP/1.1" 200 `,
		"Signature=****",
		"'X-Amz-Security-Token': '****'",
		`"AccessToken":"****"`,
		"/federation/signin?token=****",
	} {
		if !strings.Contains(run.stderr, want) {
			t.Errorf("the debug log lacks %q:\n%s", want, run.stderr)
		}
	}
	secrets := map[string]string{
		"secret access key":       f.agent.SecretAccessKey,
		"session token":           f.agent.SessionToken,
		"access token":            out.Credentials.AccessToken,
		"refresh token":           out.Credentials.RefreshToken,
		"sign-in token":           signIn.Query().Get("token"),
		"sign-in token (escaped)": url.QueryEscape(signIn.Query().Get("token")),
	}
	for what, s := range secrets {
		if strings.Contains(run.stderr, s) {
			t.Errorf("the debug log shows the %s", what)
		}
	}
	if regexp.MustCompile(`Signature=[0-9a-f]{64}`).MatchString(run.stderr) {
		t.Error("the debug log shows the request signature")
	}
}
