package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/connectfed/connectfed/internal/awsini"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/secrets"
)

// The tests here run connectfed as an operator would with several replicas: two serve
// commands on one PostgreSQL database, and a database that goes away and comes back.

// replicaEnv gives the replicas of a test what they must share besides the database: the root
// credentials and the master key that seals the token signing keys.
func replicaEnv(t *testing.T) awsCreds {
	t.Helper()
	root := awsCreds{AccessKeyID: "AKIAREPLICAROOT00001", SecretAccessKey: "replica-root-secret"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	t.Setenv(secrets.EnvMasterKey, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	isolateAWS(t, root)
	return root
}

// oneAttempt makes an SDK client try once, so a test sees the error the server answered.
func oneAttempt[O any](o *O) {
	switch o := any(o).(type) {
	case *sts.Options:
		o.Retryer = retry.AddWithMaxAttempts(retry.NewStandard(), 1)
	case *iam.Options:
		o.Retryer = retry.AddWithMaxAttempts(retry.NewStandard(), 1)
	case *connect.Options:
		o.Retryer = retry.AddWithMaxAttempts(retry.NewStandard(), 1)
	}
}

// wantAPIError checks that err is the AWS error code with the HTTP status.
func wantAPIError(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	var re *smithyhttp.ResponseError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("%s: %v; want %s (%d)", what, err, code, status)
	}
}

// callerOf asks endpoint who c is, with one attempt.
func callerOf(endpoint string, c awsCreds) (string, error) {
	out, err := newSDK(endpoint, c).sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}, oneAttempt)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}

// nativeCall posts a JSON body to the token API of endpoint, SigV4-signed by signer when not
// nil, and decodes the envelope.
func nativeCall(t *testing.T, endpoint, path string, body map[string]string, signer *awsCreds) (status int, env struct {
	Success bool           `json:"success"`
	Data    map[string]any `json:"data"`
	Error   struct{ Code string }
}) {
	t.Helper()
	b, _ := json.Marshal(body)
	r, err := http.NewRequest(http.MethodPost, endpoint+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	if signer != nil {
		sum := sha256.Sum256(b)
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: signer.AccessKeyID, SecretAccessKey: signer.SecretAccessKey, SessionToken: signer.SessionToken}, r, hex.EncodeToString(sum[:]),
			"connect", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s: not an envelope: %q", path, raw)
	}
	return resp.StatusCode, env
}

// within polls check until it returns nil or d has passed, and returns how long it took.
func within(t *testing.T, d time.Duration, what string, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := check()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("%s: not within %s: %v", what, d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTwoReplicas runs two servers on one database and checks that they behave as one
// service: whatever one provisions, mints, revokes or deletes, the other honours, at once or
// (for what it had cached) within a second.
func TestTwoReplicas(t *testing.T) {
	_, _, dbURL := postgresSchema(t)
	root := replicaEnv(t)
	ctx := context.Background()
	start := func() *running {
		o := testOptions(t.TempDir())
		o.database = dbURL
		// A cache that would outlive the test: only the change announcements can make the
		// replicas agree within the second.
		o.cacheTTL = time.Hour
		return startServe(t, o)
	}
	a, b := start(), start()

	// Provision on A: an IAM user with a key, a role, an instance and a Connect user.
	dir := t.TempDir()
	rootKey := identity.RootKey{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}
	if err := seedServer(ctx, filepath.Join("..", "..", "examples", "demo.yaml"), a.endpoint, nil, rootKey, dir, io.Discard); err != nil {
		t.Fatal(err)
	}
	profiles, err := awsini.ReadCredentials(filepath.Join(dir, seedCredentialsFile))
	if err != nil || len(profiles) != 1 {
		t.Fatalf("the seed's secrets: %v, %v", profiles, err)
	}
	var ops awsCreds
	for _, p := range profiles {
		ops = awsCreds{AccessKeyID: p.AccessKeyID, SecretAccessKey: p.SecretAccessKey}
	}

	// Authenticate on B with the key A created, and assume the role there.
	if arn, err := callerOf(b.endpoint, ops); err != nil || !strings.HasSuffix(arn, ":user/ops") {
		t.Fatalf("B: ops's key made on A: %q, %v", arn, err)
	}
	assumed, err := newSDK(b.endpoint, ops).sts.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/ConnectAgent"), RoleSessionName: aws.String("agent1")})
	if err != nil {
		t.Fatalf("B: assume role: %v", err)
	}
	agent := awsCreds{AccessKeyID: aws.ToString(assumed.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(assumed.Credentials.SecretAccessKey), SessionToken: aws.ToString(assumed.Credentials.SessionToken)}
	instanceID := newSDK(a.endpoint, root).instanceID(t, "demo")

	// Mint on A with the session B issued; refresh and introspect on B.
	mint := func(endpoint string) (*connect.GetFederationTokenOutput, error) {
		return newSDK(endpoint, agent).connect.GetFederationToken(ctx,
			&connect.GetFederationTokenInput{InstanceId: aws.String(instanceID)}, oneAttempt)
	}
	minted, err := mint(a.endpoint)
	if err != nil {
		t.Fatalf("A: GetFederationToken with a session made on B: %v", err)
	}
	status, env := nativeCall(t, b.endpoint, "/federation/v1/refresh",
		map[string]string{"refreshToken": aws.ToString(minted.Credentials.RefreshToken)}, nil)
	if status != 200 || !env.Success {
		t.Fatalf("B: refresh of a token minted on A: %d %+v", status, env)
	}
	refreshed, _ := env.Data["refreshToken"].(string)
	introspect := func(endpoint, tok string) bool {
		t.Helper()
		status, env := nativeCall(t, endpoint, "/federation/v1/introspect", map[string]string{"token": tok}, &ops)
		if status != 200 || !env.Success {
			t.Fatalf("%s: introspect: %d %+v", endpoint, status, env)
		}
		return env.Data["active"] == true
	}
	if !introspect(b.endpoint, refreshed) {
		t.Fatal("B: the refresh token it just issued is not active")
	}
	// The refresh token A minted was used on B: A refuses it as reused.
	if status, env := nativeCall(t, a.endpoint, "/federation/v1/refresh",
		map[string]string{"refreshToken": aws.ToString(minted.Credentials.RefreshToken)}, nil); env.Success || env.Error.Code != "TOKEN_REUSED" {
		t.Fatalf("A: a refresh token used on B: %d %+v; want TOKEN_REUSED", status, env)
	}

	// Revoke on B; A refuses at once (revocations are read from the database).
	second, err := mint(a.endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if !introspect(a.endpoint, aws.ToString(second.Credentials.AccessToken)) {
		t.Fatal("A: a fresh access token is not active")
	}
	if status, env := nativeCall(t, b.endpoint, "/federation/v1/revoke",
		map[string]string{"token": aws.ToString(second.Credentials.RefreshToken)}, nil); status != 200 || !env.Success {
		t.Fatalf("B: revoke: %d %+v", status, env)
	}
	if introspect(a.endpoint, aws.ToString(second.Credentials.AccessToken)) {
		t.Error("A: a token revoked on B is still active")
	}

	// A signing key rotated by another process (connectfed keys rotate) signs on A, and B
	// verifies its tokens within a second.
	var out, errOut bytes.Buffer
	if code := Main([]string{"keys", "rotate", "--database", dbURL, "--data-dir", t.TempDir()}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("keys rotate: exit %d: %s", code, errOut.String())
	}
	m := regexp.MustCompile(`signing key (\w+) now signs`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("keys rotate said: %q", out.String())
	}
	took := within(t, time.Second, "A signs with the rotated key and B verifies it", func() error {
		minted, err := mint(a.endpoint)
		if err != nil {
			return err
		}
		if id := signingKeyOf(t, aws.ToString(minted.Credentials.AccessToken)); id != m[1] {
			return fmt.Errorf("A signs with %s", id)
		}
		if !introspect(b.endpoint, aws.ToString(minted.Credentials.AccessToken)) {
			return errors.New("not active on B")
		}
		return nil
	})
	t.Logf("a rotation reached both replicas in %s", took)

	// A policy written on A reaches B's compiled policies within a second: a Deny on the
	// role, then its removal.
	if _, err := mint(b.endpoint); err != nil {
		t.Fatalf("B: GetFederationToken: %v", err)
	}
	if _, err := newSDK(a.endpoint, root).iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ConnectAgent"),
		PolicyName: aws.String("freeze"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"connect:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	took = within(t, time.Second, "B refuses what a Deny put on A forbids", func() error {
		if _, err := mint(b.endpoint); err == nil || !strings.Contains(err.Error(), "with an explicit deny in an identity-based policy") {
			return fmt.Errorf("B: GetFederationToken: %v", err)
		}
		return nil
	})
	t.Logf("a policy written on A reached B in %s", took)
	if _, err := newSDK(a.endpoint, root).iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("ConnectAgent"),
		PolicyName: aws.String("freeze")}); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "B allows again once the Deny is deleted on A", func() error {
		_, err := mint(b.endpoint)
		return err
	})

	users, err := newSDK(a.endpoint, root).connect.ListUsers(ctx, &connect.ListUsersInput{InstanceId: aws.String(instanceID)})
	if err != nil || len(users.UserSummaryList) != 1 {
		t.Fatalf("A: list users: %v, %v", users, err)
	}
	// Change on A a user B's DescribeUser has cached; B describes the change within a second.
	describeOnB := func() (*connect.DescribeUserOutput, error) {
		return newSDK(b.endpoint, root).connect.DescribeUser(ctx, &connect.DescribeUserInput{
			InstanceId: aws.String(instanceID), UserId: users.UserSummaryList[0].Id})
	}
	if _, err := describeOnB(); err != nil {
		t.Fatalf("B: describe user: %v", err)
	}
	if _, err := newSDK(a.endpoint, root).connect.UpdateUserIdentityInfo(ctx, &connect.UpdateUserIdentityInfoInput{
		InstanceId: aws.String(instanceID), UserId: users.UserSummaryList[0].Id,
		IdentityInfo: &ctypes.UserIdentityInfo{FirstName: aws.String("Changed-on-A")}}); err != nil {
		t.Fatal(err)
	}
	took = within(t, time.Second, "B describes the change made on A", func() error {
		out, err := describeOnB()
		if err != nil || out.User.IdentityInfo == nil || aws.ToString(out.User.IdentityInfo.FirstName) != "Changed-on-A" {
			return fmt.Errorf("B: describe user: %v", err)
		}
		return nil
	})
	t.Logf("a user changed on A was described so on B after %s", took)

	// Create on A a user in a listing B has cached; B lists it within a second.
	listOnB := func() (*connect.ListUsersOutput, error) {
		return newSDK(b.endpoint, root).connect.ListUsers(ctx, &connect.ListUsersInput{InstanceId: aws.String(instanceID)})
	}
	listed, err := listOnB()
	if err != nil {
		t.Fatalf("B: list users: %v", err)
	}
	described, err := describeOnB()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newSDK(a.endpoint, root).connect.CreateUser(ctx, &connect.CreateUserInput{InstanceId: aws.String(instanceID),
		Username: aws.String("created-on-a"), PhoneConfig: &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone},
		SecurityProfileIds: described.User.SecurityProfileIds, RoutingProfileId: described.User.RoutingProfileId}); err != nil {
		t.Fatalf("A: create user: %v", err)
	}
	took = within(t, time.Second, "B lists the user created on A", func() error {
		out, err := listOnB()
		if err != nil || len(out.UserSummaryList) != len(listed.UserSummaryList)+1 {
			return fmt.Errorf("B: list users: %d users, %v", len(out.UserSummaryList), err)
		}
		return nil
	})
	t.Logf("a user created on A was listed on B after %s", took)

	// Delete on A what B has cached; B refuses within a second.
	if _, err := newSDK(a.endpoint, root).connect.DeleteUser(ctx, &connect.DeleteUserInput{
		InstanceId: aws.String(instanceID), UserId: users.UserSummaryList[0].Id}); err != nil {
		t.Fatal(err)
	}
	took = within(t, time.Second, "B refuses the deleted Connect user", func() error {
		_, err := mint(b.endpoint)
		var nf interface{ ErrorCode() string }
		if errors.As(err, &nf) && nf.ErrorCode() == "UserNotFoundException" {
			return nil
		}
		return fmt.Errorf("B still federates the deleted user: %v", err)
	})
	t.Logf("a Connect user deleted on A was refused on B after %s", took)

	if _, err := callerOf(b.endpoint, ops); err != nil {
		t.Fatalf("B: ops before the deletion: %v", err)
	}
	if _, err := newSDK(a.endpoint, root).iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{
		UserName: aws.String("ops"), AccessKeyId: aws.String(ops.AccessKeyID)}); err != nil {
		t.Fatal(err)
	}
	took = within(t, time.Second, "B refuses the key deleted on A", func() error {
		_, err := callerOf(b.endpoint, ops)
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "InvalidClientTokenId" {
			return nil
		}
		return errors.New("B still accepts the deleted key")
	})
	t.Logf("a key deleted on A was refused on B after %s", took)
}

// signingKeyOf reads the signing key id from a token's payload (internal/token/doc.go): the first
// of the strings after the 50 fixed bytes, a length byte and that many bytes.
func signingKeyOf(t *testing.T, tok string) string {
	t.Helper()
	_, rest, _ := strings.Cut(tok, "_")
	payload, _, _ := strings.Cut(rest, ".")
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || len(b) < 51 || len(b) < 51+int(b[50]) {
		t.Fatalf("token payload: %x, %v", b, err)
	}
	return string(b[51 : 51+int(b[50])])
}

// dbProxy stands between connectfed and PostgreSQL so a test can take the database away: down
// refuses new connections and cuts the open ones, as a stopped server does; freeze leaves
// connections open but passes nothing, as a partitioned network does.
type dbProxy struct {
	t      *testing.T
	target string
	addr   string

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	frozen bool
	thaw   chan struct{}
}

func newDBProxy(t *testing.T, target string) *dbProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{t: t, target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}, thaw: make(chan struct{})}
	ln.Close()
	t.Cleanup(p.down)
	return p
}

// via rewrites a postgres:// URL to go through the proxy.
func (p *dbProxy) via(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		p.t.Fatal(err)
	}
	u.Host = p.addr
	return u.String()
}

func (p *dbProxy) up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen {
		p.frozen = false
		close(p.thaw)
		p.thaw = make(chan struct{})
	}
	if p.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *dbProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *dbProxy) freeze() {
	p.mu.Lock()
	p.frozen = true
	p.mu.Unlock()
}

func (p *dbProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns[c] = struct{}{}
	p.mu.Unlock()
}

func (p *dbProxy) forward(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.track(client)
	p.track(server)
	go p.pipe(server, client)
	p.pipe(client, server)
}

// pipe copies from src to dst, holding what it read while the proxy is frozen.
func (p *dbProxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for {
			p.mu.Lock()
			frozen, thaw := p.frozen, p.thaw
			p.mu.Unlock()
			if !frozen {
				break
			}
			<-thaw
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// get fetches a path of endpoint and returns its status.
func get(t *testing.T, endpoint, path string) int {
	t.Helper()
	resp, err := http.Get(endpoint + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// freeAddr returns a loopback address no one listens on, for a server whose address a test
// must know before the server says it listens.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeWaitsForDatabase starts a server while its database is unreachable: it answers at
// once, not ready and with retryable errors, and becomes ready by itself when the database
// comes.
func TestServeWaitsForDatabase(t *testing.T) {
	_, _, dbURL := postgresSchema(t)
	root := replicaEnv(t)
	p := newDBProxy(t, mustHost(t, dbURL))
	o := testOptions(t.TempDir())
	o.addr = freeAddr(t)
	o.database = p.via(dbURL)
	o.dbConnectTimeout = time.Second
	o.demo = true
	r := launchServe(t, o)
	endpoint := "http://" + o.addr

	within(t, 10*time.Second, "the server answers /healthz", func() error {
		resp, err := http.Get(endpoint + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	if got := get(t, endpoint, "/readyz"); got != 503 {
		t.Errorf("/readyz without a database: %d, want 503", got)
	}
	_, err := callerOf(endpoint, root)
	wantAPIError(t, "sts without a database", err, "ServiceUnavailable", 503)
	_, err = newSDK(endpoint, root).connect.ListInstances(context.Background(), &connect.ListInstancesInput{}, oneAttempt)
	wantAPIError(t, "connect without a database", err, "InternalServiceException", 503)

	p.up()
	r.waitListening(t, 15*time.Second)
	if got := get(t, endpoint, "/readyz"); got != 200 {
		t.Errorf("/readyz once the database came: %d, want 200", got)
	}
	if arn, err := callerOf(endpoint, root); err != nil || !strings.HasSuffix(arn, ":root") {
		t.Errorf("sts once the database came: %q, %v", arn, err)
	}
}

// TestServeDatabaseOutage takes the database away from a running server, stopped and then
// partitioned: requests that need it answer 503 ServiceUnavailable within the request timeout,
// never hang, and the server recovers by itself.
func TestServeDatabaseOutage(t *testing.T) {
	_, _, dbURL := postgresSchema(t)
	root := replicaEnv(t)
	p := newDBProxy(t, mustHost(t, dbURL))
	p.up()
	o := testOptions(t.TempDir())
	o.database = p.via(dbURL)
	o.dbConnectTimeout = time.Second
	o.requestTimeout = time.Second
	r := startServe(t, o)
	listUsers := func() error {
		_, err := newSDK(r.endpoint, root).iam.ListUsers(context.Background(), &iam.ListUsersInput{}, oneAttempt)
		return err
	}
	if err := listUsers(); err != nil {
		t.Fatal(err)
	}

	for _, outage := range []struct {
		name  string
		begin func()
	}{{"stopped", p.down}, {"partitioned", p.freeze}} {
		outage.begin()
		began := time.Now()
		wantAPIError(t, outage.name+": ListUsers", listUsers(), "ServiceUnavailable", 503)
		// The request timeout, and a ping to tell an outage from a bug.
		if took := time.Since(began); took > o.requestTimeout+3*time.Second {
			t.Errorf("%s: the refusal took %s; the request timeout is %s", outage.name, took, o.requestTimeout)
		}
		if got := get(t, r.endpoint, "/readyz"); got != 503 {
			t.Errorf("%s: /readyz %d, want 503", outage.name, got)
		}
		p.up()
		took := within(t, 15*time.Second, outage.name+": recovery", func() error {
			if get(t, r.endpoint, "/readyz") != 200 {
				return errors.New("not ready")
			}
			return listUsers()
		})
		t.Logf("%s: recovered %s after the database came back", outage.name, took)
	}
}

func mustHost(t *testing.T, dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil || u.Host == "" {
		t.Skipf("these tests need CONNECTFED_TEST_POSTGRES_URL as a postgres:// URL with a host: %v", err)
	}
	if u.Port() == "" {
		return u.Host + ":5432"
	}
	return u.Host
}

// TestCacheTTLFallback: a change no replica announced (here a key deleted in SQL behind
// connectfed's back, as a lost announcement would leave it) is honoured once --cache-ttl has
// passed, and not through the store's announcements.
func TestCacheTTLFallback(t *testing.T) {
	db, schema, dbURL := postgresSchema(t)
	root := replicaEnv(t)
	o := testOptions(t.TempDir())
	o.database = dbURL
	o.cacheTTL = time.Second
	r := startServe(t, o)
	ctx := context.Background()
	admin := newSDK(r.endpoint, root).iam
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})
	if err != nil {
		t.Fatal(err)
	}
	carol := awsCreds{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}
	if _, err := callerOf(r.endpoint, carol); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	if _, err := db.Exec(`DELETE FROM `+schema+`.access_keys WHERE id = $1`, carol.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	within(t, o.cacheTTL+2*time.Second, "the unannounced deletion is honoured", func() error {
		_, err := callerOf(r.endpoint, carol)
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "InvalidClientTokenId" {
			return nil
		}
		return fmt.Errorf("still accepted: %v", err)
	})
	t.Logf("an unannounced deletion was honoured after %s with --cache-ttl %s", time.Since(deleted), o.cacheTTL)
}
