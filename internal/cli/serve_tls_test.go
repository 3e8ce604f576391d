package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/internal/tlsconf"
)

// sdkFromEnv builds AWS clients as a user's program would: config.LoadDefaultConfig, which
// reads AWS_CA_BUNDLE from the environment; only the endpoint and credentials are given.
func sdkFromEnv(t *testing.T, endpoint string, c awsCreds) sdk {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithBaseEndpoint(endpoint),
		config.WithRetryMaxAttempts(1),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	if err != nil {
		t.Fatal(err)
	}
	return sdk{iam.NewFromConfig(cfg), sts.NewFromConfig(cfg), connect.NewFromConfig(cfg)}
}

// trustingClient is an HTTP client that trusts the certificates in the PEM file bundle, speaks
// HTTP/2 when the server offers it, and does not follow redirects.
func trustingClient(t *testing.T, bundle string) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no PEM certificate", bundle)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// waitOutput waits for serve to print want (the lines after "listening on" come a moment
// later) and returns its output so far.
func (r *running) waitOutput(t *testing.T, want string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		out := r.stdout.String()
		if strings.Contains(out, want) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not print %q:\n%s", want, out)
		}
	}
}

// demoCreds reads the demo's ops key and instance id from serve's output.
func demoCreds(t *testing.T, out string) (ops awsCreds, instanceID string) {
	t.Helper()
	id := regexp.MustCompile(`export AWS_ACCESS_KEY_ID=(\S+)`).FindStringSubmatch(out)
	secret := regexp.MustCompile(`export AWS_SECRET_ACCESS_KEY=(\S+)`).FindStringSubmatch(out)
	inst := regexp.MustCompile(`get-federation-token --instance-id (\S+)`).FindStringSubmatch(out)
	if id == nil || secret == nil || inst == nil {
		t.Fatalf("no demo in the output:\n%s", out)
	}
	return awsCreds{AccessKeyID: id[1], SecretAccessKey: secret[1]}, inst[1]
}

// TestServeTLSSelfSigned runs serve --tls-self-signed --demo and uses it as its output says:
// the AWS SDK trusting the certificate through AWS_CA_BUNDLE calls STS and Connect over
// HTTPS, a browser-like client gets HTTP/2 and a Secure session cookie, clients that do not
// trust the certificate are refused, and a restart keeps the certificate.
func TestServeTLSSelfSigned(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(dir)
	o.tlsSelfSigned, o.demo = true, true
	srv := startServe(t, o)
	out := srv.waitOutput(t, "connect get-federation-token --instance-id")
	if !strings.HasPrefix(srv.endpoint, "https://127.0.0.1:") {
		t.Fatalf("endpoint %q, want https://", srv.endpoint)
	}
	bundle := filepath.Join(dir, tlsconf.SelfSignedCertFile)
	ss, err := tlsconf.LoadOrCreateSelfSigned(dir, nil, time.Now())
	if err != nil || ss.Generated != "" {
		t.Fatalf("the certificate is not kept in %s: %q, %v", dir, ss.Generated, err)
	}
	fingerprint := tlsconf.Fingerprint(ss.Cert.Leaf)
	for _, want := range []string{
		"TLS: self-signed certificate for localhost, 127.0.0.1, ::1",
		"SHA-256 fingerprint " + fingerprint,
		"export AWS_CA_BUNDLE=" + bundle + " (AWS CLI",                                   // how to trust it
		"export AWS_ENDPOINT_URL=" + srv.endpoint + "\n  export AWS_CA_BUNDLE=" + bundle, // the demo's commands
		`curl --cacert "$AWS_CA_BUNDLE" --aws-sigv4`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	ops, instanceID := demoCreds(t, out)

	// The AWS SDK, trusting the certificate as the output says.
	isolateAWS(t, ops)
	t.Setenv("AWS_CA_BUNDLE", bundle)
	ctx := context.Background()
	who, err := sdkFromEnv(t, srv.endpoint, ops).sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(who.Arn), ":user/ops") {
		t.Fatalf("GetCallerIdentity over TLS: %v, %v", who, err)
	}
	assumed, err := sdkFromEnv(t, srv.endpoint, ops).sts.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/ConnectAgent"), RoleSessionName: aws.String("agent1")})
	if err != nil {
		t.Fatalf("AssumeRole over TLS: %v", err)
	}
	agent := awsCreds{AccessKeyID: aws.ToString(assumed.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(assumed.Credentials.SecretAccessKey), SessionToken: aws.ToString(assumed.Credentials.SessionToken)}
	fed, err := sdkFromEnv(t, srv.endpoint, agent).connect.GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(instanceID)})
	if err != nil {
		t.Fatalf("GetFederationToken over TLS: %v", err)
	}
	signIn := aws.ToString(fed.SignInUrl)
	if !strings.HasPrefix(signIn, srv.endpoint+"/federation/signin?") {
		t.Errorf("SignInUrl %q, want it on %s (https by default under TLS)", signIn, srv.endpoint)
	}

	// A browser: HTTP/2, and the session cookie it gets is Secure.
	browser := trustingClient(t, bundle)
	resp, err := browser.Get(signIn)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" {
		t.Errorf("protocol %s, want HTTP/2.0 over TLS", resp.Proto)
	}
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("sign-in: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	if c := resp.Cookies()[0]; !c.Secure || !c.HttpOnly || c.Value == "" {
		t.Errorf("session cookie %q: Secure %v, HttpOnly %v; want both under TLS", c.Name, c.Secure, c.HttpOnly)
	}

	// connectfed's own get-federation-token, trusting the certificate through AWS_CA_BUNDLE.
	env := cliEnv(t.TempDir(), agent, "us-east-1")
	env["AWS_CA_BUNDLE"] = bundle
	run := runConnectfed(t, env, "--endpoint-url", srv.endpoint, "--instance-id", instanceID)
	if run.code != 0 || !strings.Contains(run.stdout, `"SignInUrl": "`+srv.endpoint+"/federation/signin?") {
		t.Errorf("connectfed get-federation-token with AWS_CA_BUNDLE: exit %d\n%s%s", run.code, run.stdout, run.stderr)
	}
	env["AWS_CA_BUNDLE"] = ""
	run = runConnectfed(t, env, "--endpoint-url", srv.endpoint, "--instance-id", instanceID)
	if run.code == 0 || !strings.Contains(run.stderr, "SSL validation failed") || !strings.Contains(run.stderr, "certificate") {
		t.Errorf("connectfed get-federation-token without the CA bundle: exit %d\n%s", run.code, run.stderr)
	}

	// Clients that do not trust the certificate: the SDK with the system's roots, and a plain
	// HTTP client that reaches the HTTPS port.
	_, err = newSDK(srv.endpoint, ops).sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, oneAttempt)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("an SDK that does not trust the certificate: %v, want x509.UnknownAuthorityError", err)
	}
	resp, err = http.Get("http://" + strings.TrimPrefix(srv.endpoint, "https://") + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("plain HTTP to the HTTPS port: %d, want 400", resp.StatusCode)
	}

	// Without TLS 1.2 the handshake fails.
	conn, err := tls.Dial("tcp", strings.TrimPrefix(srv.endpoint, "https://"), &tls.Config{
		MaxVersion: tls.VersionTLS11, InsecureSkipVerify: true}) //nolint:gosec // the point of the test
	if err == nil {
		conn.Close()
		t.Error("a TLS 1.1 client was served")
	}

	// The AWS CLI (Python and OpenSSL, not Go) trusts it too.
	if _, err := os.Stat(awsV2Path); err == nil && !testing.Short() {
		cmd := exec.Command(awsV2Path, "--endpoint-url", srv.endpoint, "sts", "get-caller-identity")
		cmd.Env = []string{"PATH=/usr/bin:/bin", "AWS_CA_BUNDLE=" + bundle}
		for k, v := range cliEnv(t.TempDir(), ops, "us-east-1") {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		stdout, stderr, code := runCommand(t, cmd)
		if code != 0 || !strings.Contains(stdout, ":user/ops") {
			t.Errorf("aws sts get-caller-identity with AWS_CA_BUNDLE: exit %d\n%s%s", code, stdout, stderr)
		}
	}

	// A restart serves the same certificate, so the trust given to it holds.
	srv.stop()
	again := startServe(t, o)
	if out := again.waitOutput(t, "SHA-256 fingerprint"); !strings.Contains(out, "SHA-256 fingerprint "+fingerprint) || !strings.Contains(out, "reused from "+bundle) {
		t.Errorf("a restart did not reuse the certificate %s:\n%s", fingerprint, out)
	}
}

// TestServeTLSOwnCertificate serves an operator's certificate, issued by a CA of the test's, and
// seeds the server through its own TLS listener.
func TestServeTLSOwnCertificate(t *testing.T) {
	root := awsCreds{AccessKeyID: "AKIAEXAMPLETLSROOT01", SecretAccessKey: "tls-root-secret"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	isolateAWS(t, root)
	pki := t.TempDir()
	caFile, certFile, keyFile := issueCertificate(t, pki, time.Now().Add(30*24*time.Hour), "127.0.0.1", "connectfed.test")
	o := testOptions(t.TempDir())
	o.tlsCert, o.tlsKey = certFile, keyFile
	o.seed = filepath.Join("..", "..", "examples", "demo.yaml")
	srv := startServe(t, o)
	out := srv.waitOutput(t, "SHA-256 fingerprint")
	if !strings.Contains(out, "TLS: certificate for connectfed.test, 127.0.0.1, valid until") || !strings.Contains(out, "from "+certFile) {
		t.Errorf("the output does not describe the certificate:\n%s", out)
	}
	if strings.Contains(out, "AWS_CA_BUNDLE") {
		t.Errorf("an operator's certificate needs no AWS_CA_BUNDLE advice:\n%s", out)
	}
	t.Setenv("AWS_CA_BUNDLE", caFile)
	s := sdkFromEnv(t, srv.endpoint, root)
	who, err := s.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(who.Arn), ":root") {
		t.Fatalf("GetCallerIdentity over TLS: %v, %v", who, err)
	}
	if s.instanceID(t, "demo") == "" {
		t.Errorf("the seed did not reach the server over TLS")
	}
	resp, err := trustingClient(t, caFile).Get(srv.endpoint + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" || resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %s %d, want HTTP/2.0 200", resp.Proto, resp.StatusCode)
	}
}

func TestServeTLSRefusesBadFlags(t *testing.T) {
	pki := t.TempDir()
	_, certFile, keyFile := issueCertificate(t, pki, time.Now().Add(time.Hour), "localhost")
	_, otherCert, otherKey := issueCertificate(t, t.TempDir(), time.Now().Add(time.Hour), "localhost")
	missing := filepath.Join(pki, "missing.pem")
	for _, tc := range []struct {
		name       string
		cert, key  string
		selfSigned bool
		want       string
	}{
		{"self-signed and a certificate", certFile, keyFile, true, "--tls-self-signed generates its own certificate"},
		{"self-signed and a key", "", keyFile, true, "--tls-self-signed generates its own certificate"},
		{"a certificate alone", certFile, "", false, "--tls-cert and --tls-key go together"},
		{"a key alone", "", keyFile, false, "--tls-cert and --tls-key go together"},
		{"no such certificate", missing, keyFile, false, "--tls-cert: open " + missing + ": no such file"},
		{"no such key", certFile, missing, false, "--tls-key: open " + missing + ": no such file"},
		{"another certificate's key", certFile, otherKey, false, "--tls-key " + otherKey + " is not the private key of the certificate in --tls-cert " + certFile},
		{"a certificate for a key", otherCert, otherCert, false, "no PEM PRIVATE KEY block"},
	} {
		o := testOptions(t.TempDir())
		o.tlsCert, o.tlsKey, o.tlsSelfSigned = tc.cert, tc.key, tc.selfSigned
		if err := runServe(context.Background(), o, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// An expired certificate, or one that does not name the public URL's host, is served with a
// warning: refusing to start helps no one who must serve now.
func TestServeTLSWarnsOfAnExpiredCertificate(t *testing.T) {
	_, certFile, keyFile := issueCertificate(t, t.TempDir(), time.Now().Add(-time.Hour), "localhost")
	o := testOptions(t.TempDir())
	o.tlsCert, o.tlsKey, o.publicURL = certFile, keyFile, "https://connectfed.test"
	var logs bytes.Buffer
	setup, err := loadServeTLS(o, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil || setup == nil {
		t.Fatalf("an expired certificate is refused: %v", err)
	}
	for _, want := range []string{"level=WARN", "expired on", `not valid for \"connectfed.test\"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the warnings lack %q:\n%s", want, logs.String())
		}
	}
}

func TestTLSFlagsFromEnvironment(t *testing.T) {
	t.Setenv("CONNECTFED_TLS_SELF_SIGNED", "true")
	t.Setenv("CONNECTFED_TLS_CERT", "/etc/cf/cert.pem")
	t.Setenv("CONNECTFED_TLS_KEY", "/etc/cf/key.pem")
	cmd := newServeCommand()
	if err := flagsFromEnv(cmd.Flags()); err != nil {
		t.Fatal(err)
	}
	selfSigned, _ := cmd.Flags().GetBool("tls-self-signed")
	cert, _ := cmd.Flags().GetString("tls-cert")
	key, _ := cmd.Flags().GetString("tls-key")
	if !selfSigned || cert != "/etc/cf/cert.pem" || key != "/etc/cf/key.pem" {
		t.Errorf("from the environment: self-signed %v, cert %q, key %q", selfSigned, cert, key)
	}
}

// issueCertificate makes a CA and a certificate it issues for hosts, valid until notAfter, and
// writes the CA's certificate, the server's certificate and the server's key in dir.
func issueCertificate(t *testing.T, dir string, notAfter time.Time, hosts ...string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "connectfed test CA"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for file, block := range map[string]*pem.Block{caFile: {Type: "CERTIFICATE", Bytes: caDER},
		certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return caFile, certFile, keyFile
}
