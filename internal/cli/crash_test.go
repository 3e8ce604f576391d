package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/connectfed/connectfed/internal/store/sqlite"
)

// asMainEnv makes this test binary run connectfed's Main instead of the tests, so a test can
// run connectfed as a process of its own (and kill it) without building it.
const asMainEnv = "CONNECTFED_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// child is connectfed serve in a process of its own.
type child struct {
	cmd      *exec.Cmd
	endpoint string
	stderr   *lockedBuffer
	exited   chan struct{}
}

// startChild runs `connectfed serve` on dataDir in a child process, prefixed by wrap (a command
// such as prlimit that execs the rest), and waits for it to listen.
func startChild(t *testing.T, dataDir string, wrap ...string) *child {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := append(wrap, self, "serve", "--addr", freeAddr(t), "--data-dir", dataDir, "--log-level", "warn")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), asMainEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() { c.kill() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case c.endpoint = <-found:
	case <-c.exited:
		t.Fatalf("connectfed exited before listening:\n%s", c.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("connectfed did not listen:\n%s", c.stderr.String())
	}
	return c
}

// kill ends the child with SIGKILL: no shutdown, no flush, as a crash or the OOM killer would.
func (c *child) kill() {
	if c.cmd.Process != nil {
		c.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-c.exited
}

// stop ends the child as an operator would (SIGTERM), so the store is closed cleanly.
func (c *child) stop(t *testing.T) {
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("connectfed did not stop on SIGTERM")
	}
}

// acked is what the server acknowledged to the writers of a test.
type acked struct {
	mu        sync.Mutex
	users     []string
	keys      []awsCreds
	instances []string
}

func (a *acked) add(f func(*acked)) {
	a.mu.Lock()
	f(a)
	a.mu.Unlock()
}

// write runs writers that create IAM users, their access keys and (every fifth round) Connect
// instances through endpoint until stop is closed or the server stops answering, and records
// every creation the server acknowledged.
func write(endpoint string, root awsCreds, writers int, stop <-chan struct{}, a *acked) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			sdk := newSDK(endpoint, root)
			ctx := context.Background()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("w%d-u%d", w, i)
				if _, err := sdk.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}, oneAttempt); err != nil {
					if !isAPIError(err) {
						return // the server is gone
					}
					continue
				}
				a.add(func(a *acked) { a.users = append(a.users, name) })
				k, err := sdk.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}, oneAttempt)
				if err != nil {
					if !isAPIError(err) {
						return
					}
					continue
				}
				a.add(func(a *acked) {
					a.keys = append(a.keys, awsCreds{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId),
						SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)})
				})
				if i%5 != 0 {
					continue
				}
				in, err := sdk.connect.CreateInstance(ctx, &connect.CreateInstanceInput{
					IdentityManagementType: ctypes.DirectoryTypeSaml, InstanceAlias: aws.String(fmt.Sprintf("w%d-i%d", w, i)),
					InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)}, oneAttempt)
				if err != nil {
					if !isAPIError(err) {
						return
					}
					continue
				}
				a.add(func(a *acked) { a.instances = append(a.instances, aws.ToString(in.Id)) })
			}
		})
	}
	return &wg
}

// isAPIError says whether err is an answer of the server, as opposed to no answer at all.
func isAPIError(err error) bool {
	var ae interface{ ErrorCode() string }
	return errors.As(err, &ae)
}

// checkAcked checks that every acknowledged creation is in the store served at endpoint, whole.
func checkAcked(t *testing.T, endpoint string, root awsCreds, a *acked) {
	t.Helper()
	ctx := context.Background()
	sdk := newSDK(endpoint, root)
	for _, u := range a.users {
		if _, err := sdk.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(u)}); err != nil {
			t.Errorf("acknowledged user %s: %v", u, err)
		}
	}
	for _, k := range a.keys {
		if _, err := callerOf(endpoint, k); err != nil {
			t.Errorf("acknowledged key %s: %v", k.AccessKeyID, err)
		}
	}
	// Every instance the server has, acknowledged or not, is whole: a crash cannot leave an
	// instance without its profiles.
	listed := map[string]bool{}
	p := connect.NewListInstancesPaginator(sdk.connect, &connect.ListInstancesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range page.InstanceSummaryList {
			id := aws.ToString(in.Id)
			listed[id] = true
			sp, err := sdk.connect.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: aws.String(id)})
			if err != nil || len(sp.SecurityProfileSummaryList) != 4 {
				t.Errorf("instance %s after the crash: security profiles %v, %v; want 4", id, sp, err)
			}
			rp, err := sdk.connect.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: aws.String(id)})
			if err != nil || len(rp.RoutingProfileSummaryList) != 1 {
				t.Errorf("instance %s after the crash: routing profiles %v, %v; want 1", id, rp, err)
			}
		}
	}
	for _, id := range a.instances {
		if !listed[id] {
			t.Errorf("acknowledged instance %s is gone", id)
		}
	}
}

// integrityCheck runs SQLite's own check of the database file.
func integrityCheck(t *testing.T, dataDir string) {
	t.Helper()
	db, err := sqlite.OpenDB(filepath.Join(dataDir, "connectfed.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&got); err != nil || got != "ok" {
		t.Errorf("integrity_check: %q, %v", got, err)
	}
}

// TestCrashLosesNothingAcknowledged kills the server with SIGKILL while writers create users,
// keys and instances, restarts it, and finds every write it acknowledged, and nothing
// half-written.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	root := replicaEnv(t)
	dir := t.TempDir()
	for round := range 2 {
		c := startChild(t, dir)
		var a acked
		stop := make(chan struct{})
		wg := write(c.endpoint, root, 8, stop, &a)
		time.Sleep(1500 * time.Millisecond)
		c.kill()
		close(stop)
		wg.Wait()
		if len(a.users) == 0 {
			t.Fatalf("round %d: no write was acknowledged before the kill:\n%s", round, c.stderr.String())
		}
		integrityCheck(t, dir)
		c = startChild(t, dir)
		checkAcked(t, c.endpoint, root, &a)
		t.Logf("round %d: %d users, %d keys, %d instances acknowledged before SIGKILL; all there after the restart",
			round, len(a.users), len(a.keys), len(a.instances))
		c.stop(t)
	}
}

// TestDiskFull runs the server with a file size limit just above its database's size, so its
// writes soon fail as on a full disk: they are refused in AWS's format with a retryable error,
// reads are still served, and what was acknowledged before is there after a restart.
func TestDiskFull(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("prlimit (util-linux) is not installed")
	}
	root := replicaEnv(t)
	dir := t.TempDir()
	c := startChild(t, dir) // the first start creates the files at their own size
	c.stop(t)
	var largest int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Size() > largest {
			largest = info.Size()
		}
	}
	c = startChild(t, dir, "prlimit", fmt.Sprintf("--fsize=%d", largest+256<<10), "--")

	var a acked
	ctx := context.Background()
	sdk := newSDK(c.endpoint, root)
	var refusal error
	for i := 0; i < 5000 && refusal == nil; i++ {
		name := fmt.Sprintf("full-%d", i)
		_, err := sdk.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}, oneAttempt)
		if err != nil {
			refusal = err
			break
		}
		a.users = append(a.users, name)
	}
	if refusal == nil {
		t.Fatal("5,000 users fit under the file size limit: the limit does not bite")
	}
	wantAPIError(t, "a write on a full disk", refusal, "ServiceUnavailable", 503)
	if !strings.Contains(refusal.Error(), "storage") {
		t.Errorf("the refusal does not say the storage is full: %v", refusal)
	}
	// Reads still work, and so does the hot path's.
	if arn, err := callerOf(c.endpoint, root); err != nil || !strings.HasSuffix(arn, ":root") {
		t.Errorf("a read on a full disk: %q, %v", arn, err)
	}
	if _, err := sdk.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(a.users[0])}, oneAttempt); err != nil {
		t.Errorf("GetUser on a full disk: %v", err)
	}
	if got := get(t, c.endpoint, "/readyz"); got != 200 {
		t.Errorf("/readyz on a full disk: %d; reads are served, so it is ready", got)
	}
	c.stop(t)
	integrityCheck(t, dir)
	c = startChild(t, dir)
	checkAcked(t, c.endpoint, root, &a)
	t.Logf("%d users acknowledged before the disk filled; all there after a restart with room", len(a.users))
}
