package cli

import (
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cannedConnect answers GetFederationToken for instance "ok" with a fixed body, and 404 for
// any other, without checking signatures: enough to test connectfed's side alone.
func cannedConnect(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/user/federate/fail" {
		w.Header().Set("X-Amzn-ErrorType", "InternalServiceException")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"message":"boom"}`))
		return
	}
	if r.URL.Path != "/user/federate/ok" {
		w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"The specified instance was not found: ` + strings.TrimPrefix(r.URL.Path, "/user/federate/") + `"}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"Credentials":{"AccessToken":"at","AccessTokenExpiration":1767225600.5,` +
		`"RefreshToken":"rt","RefreshTokenExpiration":1767268800},"SignInUrl":"https://x/federation/signin?token=st",` +
		`"UserArn":"arn:aws:connect:us-east-1:123456789012:instance/ok/agent/u1","UserId":"u1","Extra":"dropped"}`))
}

// TestGetFederationTokenExitCodes runs connectfed against a canned server into each of AWS CLI
// v2's exit classes; it needs no AWS CLI.
func TestGetFederationTokenExitCodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(cannedConnect))
	defer srv.Close()
	home := t.TempDir()
	creds := awsCreds{AccessKeyID: "AKIAEXAMPLE000000001", SecretAccessKey: "secret"}
	for _, c := range []struct {
		name     string
		env      map[string]string
		args     []string
		code     int
		stdout   string
		inStderr string
	}{
		{"success", nil, []string{"--instance-id", "ok", "--query", "Credentials.[AccessTokenExpiration,RefreshTokenExpiration]", "--output", "text"},
			0, "2026-01-01T00:00:00.500000+00:00\t2026-01-01T12:00:00+00:00\n", ""},
		{"wire timestamps", map[string]string{"AWS_CONFIG_FILE": writeFile(t, home, "wire", "[default]\ncli_timestamp_format = wire\n")},
			[]string{"--instance-id", "ok", "--query", "Credentials.AccessTokenExpiration"}, 0, "1767225600.5\n", ""},
		{"unknown members dropped", nil, []string{"--instance-id", "ok", "--output", "yaml", "--query", "keys(@)"},
			0, "- Credentials\n- SignInUrl\n- UserArn\n- UserId\n", ""},
		{"AWS_DEFAULT_OUTPUT", map[string]string{"AWS_DEFAULT_OUTPUT": "text"}, []string{"--instance-id", "ok", "--query", "UserId"}, 0, "u1\n", ""},
		{"bad parameters", nil, []string{"--instance-id="}, 252, "",
			"\nParameter validation failed:\nInvalid length for parameter InstanceId, value: 0, valid min length: 1\n"},
		{"bad query", nil, []string{"--instance-id", "ok", "--query", "[["}, 252, "", "Bad value for --query [[: Invalid jmespath expression: "},
		{"no region", map[string]string{"AWS_DEFAULT_REGION": ""}, []string{"--instance-id", "ok"}, 253, "",
			"\nYou must specify a region. You can also configure your region by running \"aws configure\".\n"},
		{"service error", nil, []string{"--instance-id", "nope"}, 254, "",
			"\nAn error occurred (ResourceNotFoundException) when calling the GetFederationToken operation (reached max retries: 0): The specified instance was not found: nope\n"},
		{"service error, retries left", map[string]string{"AWS_MAX_ATTEMPTS": "3"}, []string{"--instance-id", "nope"}, 254, "",
			"\nAn error occurred (ResourceNotFoundException) when calling the GetFederationToken operation: The specified instance was not found: nope\n"},
		{"server error, retried", map[string]string{"AWS_MAX_ATTEMPTS": "2"}, []string{"--instance-id", "fail"}, 254, "",
			"\nAn error occurred (InternalServiceException) when calling the GetFederationToken operation (reached max retries: 1): boom\n"},
		{"bad timeout", nil, []string{"--instance-id", "ok", "--cli-read-timeout", "1.5"}, 255, "",
			"\ninvalid literal for int() with base 10: '1.5'\n"},
		{"connection refused", nil, []string{"--instance-id", "ok", "--endpoint-url", "http://127.0.0.1:1"}, 255, "",
			"\nCould not connect to the endpoint URL: \"http://127.0.0.1:1/user/federate/ok\"\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := cliEnv(home, creds, "us-east-1")
			for k, v := range c.env {
				env[k] = v
			}
			got := runConnectfed(t, env, append([]string{"--endpoint-url", srv.URL}, c.args...)...)
			if got.code != c.code || got.stdout != c.stdout || !strings.Contains(got.stderr, c.inStderr) {
				t.Errorf("got exit %d, stdout %q, stderr %q; want %d, %q, stderr with %q", got.code, got.stdout, got.stderr, c.code, c.stdout, c.inStderr)
			}
		})
	}
}

// TestGetFederationTokenTLS checks --no-verify-ssl and --ca-bundle against a self-signed
// endpoint.
func TestGetFederationTokenTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(cannedConnect))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	home := t.TempDir()
	bundle := writeFile(t, home, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	env := cliEnv(home, awsCreds{AccessKeyID: "AKIAEXAMPLE000000001", SecretAccessKey: "secret"}, "us-east-1")
	base := []string{"--endpoint-url", srv.URL, "--instance-id", "ok", "--query", "UserId", "--output", "text"}

	got := runConnectfed(t, env, base...)
	if want := "\nSSL validation failed for " + srv.URL + "/user/federate/ok "; got.code != 255 || !strings.HasPrefix(got.stderr, want) {
		t.Errorf("unverifiable certificate: exit %d, stderr %q; want 255, %q...", got.code, got.stderr, want)
	}
	for _, extra := range [][]string{{"--no-verify-ssl"}, {"--ca-bundle", bundle}} {
		got := runConnectfed(t, env, append(base, extra...)...)
		if got.code != 0 || got.stdout != "u1\n" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", extra, got.code, got.stdout, got.stderr)
		}
	}
	env["AWS_CA_BUNDLE"] = bundle
	if got := runConnectfed(t, env, base...); got.code != 0 {
		t.Errorf("AWS_CA_BUNDLE: exit %d, stderr %q", got.code, got.stderr)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
