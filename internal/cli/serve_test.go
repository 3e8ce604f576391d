package cli

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver for database/sql, to set up a schema
	"github.com/spf13/pflag"

	"github.com/connectfed/connectfed/internal/app"
	"github.com/connectfed/connectfed/internal/awsini"
	"github.com/connectfed/connectfed/internal/store/storetest"
)

// running is a connectfed server started by runServe inside the test process.
type running struct {
	endpoint string
	stdout   *lockedBuffer
	// stderr holds the server's log.
	stderr *lockedBuffer
	stop   func()

	listening <-chan string
	done      <-chan struct{}
	err       *error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testOptions are serve's defaults, on a free port and a test's data directory.
func testOptions(dataDir string) serveOptions {
	var o serveOptions
	fs := pflag.NewFlagSet("serve", pflag.PanicOnError)
	serveFlags(&o, fs)
	fs.Parse([]string{"--addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn"})
	return o
}

var listening = regexp.MustCompile(`listening on (https?://\S+)`)

// startServe runs the serve command until the test ends (or stop is called) and waits for it to
// listen.
func startServe(t testing.TB, o serveOptions) *running {
	t.Helper()
	r := launchServe(t, o)
	r.waitListening(t, 20*time.Second)
	return r
}

// launchServe runs the serve command until the test ends (or stop is called), without waiting.
func launchServe(t testing.TB, o serveOptions) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan struct{})
	var serveErr error
	go func() {
		serveErr = runServe(ctx, o, pw, errOut)
		pw.CloseWithError(io.EOF)
		close(done)
	}()
	endpoint := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			out.Write([]byte(sc.Text() + "\n"))
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				endpoint <- m[1]
			}
		}
	}()
	var once sync.Once
	r := &running{stdout: out, stderr: errOut, listening: endpoint, done: done, err: &serveErr}
	r.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			if serveErr != nil {
				t.Errorf("serve: %v", serveErr)
			}
		})
	}
	t.Cleanup(r.stop)
	return r
}

// waitListening waits for the line that says the server is ready, and notes its endpoint.
func (r *running) waitListening(t testing.TB, timeout time.Duration) {
	t.Helper()
	select {
	case r.endpoint = <-r.listening:
	case <-r.done:
		t.Fatalf("serve stopped before listening: %v\n%s", *r.err, r.stdout.String())
	case <-time.After(timeout):
		t.Fatalf("serve did not listen within %s:\n%s", timeout, r.stdout.String())
	}
}

func TestServeGeneratesRootCredentialsOnce(t *testing.T) {
	dir := t.TempDir()
	first := startServe(t, testOptions(dir))
	first.stop()
	if !strings.Contains(first.stdout.String(), "Generated the account root's credentials") {
		t.Fatalf("first start did not show the generated credentials:\n%s", first.stdout.String())
	}
	path := filepath.Join(dir, app.RootCredentialsFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
	creds, err := awsini.ReadCredentials(path)
	if err != nil {
		t.Fatal(err)
	}
	key := creds["default"]
	if !strings.Contains(first.stdout.String(), key.SecretAccessKey) {
		t.Errorf("the printed secret is not the one written to %s", path)
	}

	second := startServe(t, testOptions(dir))
	defer second.stop()
	if strings.Contains(second.stdout.String(), "Generated") || strings.Contains(second.stdout.String(), key.SecretAccessKey) {
		t.Errorf("a restart showed the root credentials again:\n%s", second.stdout.String())
	}
	again, err := awsini.ReadCredentials(path)
	if err != nil || again["default"] != key {
		t.Errorf("root credentials changed across a restart: %v", err)
	}
}

func TestServeRefusesHalfTheRootCredentials(t *testing.T) {
	t.Setenv(envRootKeyID, "AKIAEXAMPLEROOT00001")
	t.Setenv(envRootSecret, "")
	err := runServe(context.Background(), testOptions(t.TempDir()), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "set both "+envRootKeyID+" and "+envRootSecret) {
		t.Fatalf("err = %v", err)
	}
}

func TestServeRefusesBadFlags(t *testing.T) {
	o := testOptions(t.TempDir())
	o.accountID = "12345"
	if err := runServe(context.Background(), o, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "12 digits") {
		t.Errorf("short account id: %v", err)
	}
	o = testOptions(t.TempDir())
	o.logFormat = "xml"
	if err := runServe(context.Background(), o, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Errorf("bad log format: %v", err)
	}
}

func TestDemoIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(dir)
	o.demo = true
	first := startServe(t, o)
	first.stop()
	second := startServe(t, o)
	second.stop()
	key := regexp.MustCompile(`export AWS_ACCESS_KEY_ID=(AKIA\w+)`)
	a, b := key.FindStringSubmatch(first.stdout.String()), key.FindStringSubmatch(second.stdout.String())
	if a == nil || b == nil || a[1] != b[1] {
		t.Fatalf("demo key differs between runs: %v vs %v\n%s", a, b, second.stdout.String())
	}
	for _, want := range []string{"sts assume-role --role-arn arn:aws:iam::123456789012:role/ConnectAgent", "curl --aws-sigv4"} {
		if !strings.Contains(second.stdout.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	t.Setenv("CONNECTFED_DATA_DIR", "/from/env")
	t.Setenv("CONNECTFED_CLOCK_SKEW", "not-a-duration")
	cmd := newServeCommand()
	if err := cmd.ParseFlags([]string{"--clock-skew", "1m"}); err != nil {
		t.Fatal(err)
	}
	if err := flagsFromEnv(cmd.Flags()); err != nil {
		t.Fatalf("a flag given on the command line must win over its variable: %v", err)
	}
	if got, _ := cmd.Flags().GetString("data-dir"); got != "/from/env" {
		t.Errorf("data-dir = %q, want it from CONNECTFED_DATA_DIR", got)
	}
	cmd = newServeCommand()
	t.Setenv("CONNECTFED_CLOCK_SKEW", "soon")
	if err := flagsFromEnv(cmd.Flags()); err == nil || !strings.Contains(err.Error(), "CONNECTFED_CLOCK_SKEW") {
		t.Errorf("a bad variable must be named in the error: %v", err)
	}
}

// serve --seed applies a file through its own listener before it says it listens; a restart
// finds nothing to do, and a bad file stops the server with the file's line.
func TestServeSeed(t *testing.T) {
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00006", SecretAccessKey: "root/secret/for/the/seed/test/000000000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	dir := t.TempDir()
	o := testOptions(dir)
	o.seed = filepath.Join("..", "..", "examples", "demo.yaml")
	first := startServe(t, o)
	out := first.stdout.String()
	seeded := strings.Index(out, "seed "+o.seed+": 7 created, 0 updated, 0 replaced, 0 deleted, 0 unchanged")
	if seeded < 0 || seeded > strings.Index(out, "listening on") {
		t.Fatalf("the seed's summary does not come before the ready line:\n%s", out)
	}
	path := filepath.Join(dir, seedCredentialsFile)
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v %v", path, st, err)
	}
	creds, err := awsini.ReadCredentials(path)
	if err != nil {
		t.Fatal(err)
	}
	ops := awsCreds{AccessKeyID: creds["ops"].AccessKeyID, SecretAccessKey: creds["ops"].SecretAccessKey}
	if strings.Contains(out, ops.SecretAccessKey) {
		t.Error("serve printed the seeded key's secret")
	}
	id, err := newSDK(first.endpoint, ops).sts.GetCallerIdentity(context.Background(), nil)
	if err != nil || *id.Arn != "arn:aws:iam::123456789012:user/ops" {
		t.Fatalf("the seeded key: %v", err)
	}
	first.stop()

	second := startServe(t, o)
	second.stop()
	if !strings.Contains(second.stdout.String(), "seed "+o.seed+": no changes (7 unchanged)") {
		t.Errorf("a restart re-seeded:\n%s", second.stdout.String())
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\niam:\n  users:\n    - name: ops\n      keys: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.seed = bad
	err = runServe(context.Background(), o, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "seed "+bad+": "+bad+":5: unknown key \"keys\"") {
		t.Fatalf("serve with a bad seed: %v", err)
	}
}

// TestServeOnPostgres runs the server on PostgreSQL (in a schema of its own) and restarts it:
// the root credentials and what was written survive.
// postgresSchema is a PostgreSQL schema of the test's own (storetest.PostgresSchema): a
// connection outside it, its name, and a URL whose sessions work in it.
func postgresSchema(t testing.TB) (db *sql.DB, schema, schemaURL string) {
	t.Helper()
	return storetest.PostgresSchema(t, "cf_cli_")
}

// postgresURL is postgresSchema's URL alone.
func postgresURL(t testing.TB) string {
	t.Helper()
	_, _, u := postgresSchema(t)
	return u
}

func TestServeOnPostgres(t *testing.T) {
	db, schema, url := postgresSchema(t)
	// A data dir that does not exist yet: with the store elsewhere, serve still creates it
	// for the master key and the demo's credentials.
	o := testOptions(filepath.Join(t.TempDir(), "new"))
	o.database = url
	o.demo = true
	first := startServe(t, o)
	first.stop()
	second := startServe(t, o)
	second.stop()
	key := regexp.MustCompile(`export AWS_ACCESS_KEY_ID=(AKIA\w+)`)
	a, b := key.FindStringSubmatch(first.stdout.String()), key.FindStringSubmatch(second.stdout.String())
	if a == nil || b == nil || a[1] != b[1] {
		t.Fatalf("on PostgreSQL the demo key differs across a restart: %v vs %v", a, b)
	}
	var users int
	if err := db.QueryRow(`SELECT count(*) FROM ` + schema + `.iam_users`).Scan(&users); err != nil || users != 1 {
		t.Errorf("iam_users in the schema: %d, %v", users, err)
	}
}

// --pprof-addr serves the profiler on its own address, never on the service's.
func TestServeProfiler(t *testing.T) {
	o := testOptions(t.TempDir())
	o.pprofAddr = freeAddr(t)
	r := startServe(t, o)
	if got := get(t, "http://"+o.pprofAddr, "/debug/pprof/"); got != 200 {
		t.Errorf("the profiler's address: /debug/pprof/ %d, want 200", got)
	}
	if got := get(t, r.endpoint, "/debug/pprof/"); got == 200 {
		t.Error("the service's address serves the profiler")
	}
}
