package main

// Child processes: building and starting connectfed, the bare server's process, and reading a
// process's peak resident set from /proc. Every child is in its own process group (a Ctrl-C
// reaches the harness, which stops it) and dies with the harness if that is killed (see
// proc_linux.go).

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// sqliteFile is the embedded store's file in --data-dir, as internal/cli/store.go names it.
const sqliteFile = "connectfed.db"

// startTimeout bounds how long a child may take to say it listens.
const startTimeout = 60 * time.Second

// listeningRe finds the address in connectfed's "connectfed <version> listening on http://..."
// line, and in the bare server's.
var listeningRe = regexp.MustCompile(`listening on (http://\S+)`)

// proc is a running child that serves HTTP.
type proc struct {
	name     string
	cmd      *exec.Cmd
	endpoint string
	stderr   *tailBuffer
	exited   chan struct{} // closed when the process has been waited for
	waitErr  error
	stopOnce sync.Once
	stopErr  error
	// peakReset says whether /proc/PID/clear_refs reset the peak RSS before the run, so that
	// VmHWM is the run's peak rather than the process's.
	peakReset bool
}

// moduleRoot is the directory of connectfed's go.mod, wherever the harness was started.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the connectfed module: run from the repository (go run ./bench), or pass -bin")
	}
	return filepath.Dir(gomod), nil
}

// buildConnectfed builds ./cmd/connectfed of the module at root into bin.
func buildConnectfed(ctx context.Context, root, bin string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/connectfed")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/connectfed: %w\n%s", err, out)
	}
	return nil
}

// newRootCredentials makes root credentials for a fresh server, so that the harness knows
// them without reading them back.
func newRootCredentials() aws.Credentials {
	return aws.Credentials{AccessKeyID: "AKIA" + randomBase32(16), SecretAccessKey: randomSecret()}
}

// startConnectfed starts connectfed serve on a free port of 127.0.0.1 with its data in
// dataDir, the given root credentials and flags of the run (serveFlags), and env's variables
// besides (a replica's database and master key). Per-request access lines are logged at info,
// so the log level is warn; the token API's rate limit is off.
func startConnectfed(ctx context.Context, bin, dataDir string, root aws.Credentials, flags []string, env ...string) (*proc, error) {
	env = append(withoutPrefix(os.Environ(), "CONNECTFED_"), append(env, "CONNECTFED_ROOT_ACCESS_KEY_ID="+root.AccessKeyID,
		"CONNECTFED_ROOT_SECRET_ACCESS_KEY="+root.SecretAccessKey)...)
	return startProc(ctx, "connectfed", bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir,
		"--log-level", "warn", "--token-api-rate", "0"}, flags...), env)
}

// withoutPrefix drops the variables whose names start with prefix: a CONNECTFED_DATABASE or
// CONNECTFED_ADDR of the caller's shell must not redirect the server under test.
func withoutPrefix(env []string, prefix string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

// startProc starts bin and waits for the "listening on" line on its stdout. A process that
// exits or stays silent instead is reported with the end of its stderr.
func startProc(ctx context.Context, name, bin string, args, env []string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.SysProcAttr = childAttr()
	p := &proc{name: name, cmd: cmd, stderr: &tailBuffer{max: 16 << 10}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case listening <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case p.endpoint = <-listening:
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("%s exited before listening: %v%s", name, p.waitErr, p.stderrTail())
	case <-timer.C:
		p.stop()
		return nil, fmt.Errorf("%s did not say it listens within %s%s", name, startTimeout, p.stderrTail())
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
}

// stop ends the process: SIGTERM, then SIGKILL if it has not exited within 15 s. It reports a
// process that had already died on its own, with its stderr.
func (p *proc) stop() error {
	p.stopOnce.Do(func() {
		select {
		case <-p.exited:
			p.stopErr = fmt.Errorf("%s had exited: %v%s", p.name, p.waitErr, p.stderrTail())
			return
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
			p.stopErr = fmt.Errorf("%s did not stop on SIGTERM within 15s: killed%s", p.name, p.stderrTail())
		}
	})
	return p.stopErr
}

// alive reports an error when the process has exited.
func (p *proc) alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s has exited: %v%s", p.name, p.waitErr, p.stderrTail())
	default:
		return nil
	}
}

// stderrTail is the end of the process's stderr, indented, for an error message.
func (p *proc) stderrTail() string {
	s := strings.TrimSpace(p.stderr.String())
	if s == "" {
		return " (nothing on stderr)"
	}
	return "\n" + p.name + " stderr:\n  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// resetPeakRSS asks Linux to restart the process's peak RSS (VmHWM) from its current RSS,
// so that peakRSS measures what follows.
func (p *proc) resetPeakRSS() {
	err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0)
	p.peakReset = err == nil
}

// peakRSS is the process's peak resident set (VmHWM) in bytes.
func (p *proc) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("%s peak RSS: %w", p.name, err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s peak RSS: %q: %w", p.name, line, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("%s peak RSS: no VmHWM in /proc/%d/status", p.name, p.cmd.Process.Pid)
}

// cpuTime is the CPU time the process has used, user and system, all its threads.
func (p *proc) cpuTime() (time.Duration, error) {
	d, err := cpuTimeOf(p.cmd.Process.Pid)
	if err != nil {
		return 0, fmt.Errorf("%s CPU time: %w", p.name, err)
	}
	return d, nil
}

// cpuTimeOf is the CPU time process pid has used: fields 14 and 15 of /proc/PID/stat, in
// Linux's clock ticks of 1/100 s (USER_HZ, the same on every architecture Linux's ABI fixes it
// for).
func cpuTimeOf(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: count from after it.
	_, rest, ok := strings.Cut(string(b), ") ")
	fields := strings.Fields(rest)
	if !ok || len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %.100q", pid, b)
	}
	return ticks(fields[11:13]) // utime, stime: fields 14 and 15, the 12th and 13th after the name
}

// machineCPU is the CPU time all the machine's cores have been busy (user, nice, system, irq,
// softirq, steal) and have been, busy or not, from /proc/stat's first line, in USER_HZ ticks.
func machineCPU() (busy, all time.Duration, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: %.100q", line)
	}
	// user nice system idle iowait irq softirq steal
	if busy, err = ticks(append(fields[1:4:4], fields[6:9]...)); err != nil {
		return 0, 0, err
	}
	idle, err := ticks(fields[4:6])
	return busy, busy + idle, err
}

// ticks sums counts of USER_HZ clock ticks.
func ticks(fields []string) (time.Duration, error) {
	var n int64
	for _, f := range fields {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q: %w", f, err)
		}
		n += v
	}
	return time.Duration(n) * 10 * time.Millisecond, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(b)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
