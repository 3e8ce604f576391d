package main

// Replicas (-replicas): connectfed as docs/replicas.md deploys it, replicas on one PostgreSQL
// database behind a load balancer, measured on GetFederationToken and DescribeUser: one replica
// addressed directly, one behind the balancer, two behind it. The balancer is a small TCP
// balancer in the harness (each connection to the next replica, as HAProxy's TCP mode). On one
// machine the load generator, the
// balancer, the replicas and PostgreSQL share its cores, so each run also says how the
// machine's CPU time was split between them: when the cores are busy, a second replica brings
// no core of its own, and the split shows what holds them.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// replicaScenarios are the scenarios the replicas are measured on (issue 18's).
var replicaScenarios = []string{"GetFederationToken", "DescribeUser"}

// replicaRow is one setup measured on one scenario.
type replicaRow struct {
	Replicas int        `json:"replicas"`
	Balanced bool       `json:"balanced"`
	Scenario string     `json:"scenario"`
	Result   loadResult `json:"result"`
	// CPU time per request over the measured run: the replicas' (summed), the harness's (the
	// load generator and the balancer) and the rest of the machine's (PostgreSQL, mostly).
	ReplicaCPU time.Duration `json:"replicaCpuNs"`
	HarnessCPU time.Duration `json:"harnessCpuNs"`
	OtherCPU   time.Duration `json:"otherCpuNs"`
	// Busy is the machine's busy CPU time over the run as a fraction of all its cores' time.
	Busy float64 `json:"busy"`
}

// replicasRun is the whole -replicas measurement, for the report.
type replicasRun struct {
	Database string       `json:"database"`
	Rows     []replicaRow `json:"rows"`
}

// setup says how the row's replicas were reached: "2 replicas behind the balancer".
func (x replicaRow) setup() string {
	n := fmt.Sprintf("%d replica", x.Replicas)
	if x.Replicas != 1 {
		n += "s"
	}
	if !x.Balanced {
		return n + ", direct"
	}
	return n + " behind the balancer"
}

// find is the row of setup and scenario.
func (r *replicasRun) find(replicas int, balanced bool, scenario string) (replicaRow, bool) {
	for _, x := range r.Rows {
		if x.Replicas == replicas && x.Balanced == balanced && x.Scenario == scenario {
			return x, true
		}
	}
	return replicaRow{}, false
}

// measureReplicas creates a database of its own on the PostgreSQL server of o.postgres, starts
// a replica on it, provisions it through the AWS SDK, measures it directly and behind the
// balancer, starts a second replica, measures both behind the balancer, and drops the
// database.
func measureReplicas(ctx context.Context, o options, load loadGen, bin, tmp string, logf func(string, ...any)) (_ *replicasRun, err error) {
	dbURL, version, drop, err := createBenchDatabase(ctx, o.postgres)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, drop()) }()
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"CONNECTFED_MASTER_KEY=" + base64.StdEncoding.EncodeToString(key)}
	flags := append(o.serveFlags(), "--database", dbURL)
	root := newRootCredentials()
	var replicas []*proc
	defer func() {
		for _, p := range replicas {
			p.stop()
		}
	}()
	start := func() (*proc, error) {
		name := fmt.Sprintf("replica %d", len(replicas)+1)
		p, err := startConnectfed(ctx, bin, filepath.Join(tmp, fmt.Sprintf("replica-%d", len(replicas)+1)), root, flags, env...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		p.name = "connectfed " + name
		replicas = append(replicas, p)
		return p, nil
	}
	first, err := start()
	if err != nil {
		return nil, err
	}
	logf("connectfed replica 1 listening on %s, on PostgreSQL (%s); provisioning through the AWS SDK", first.endpoint, version)
	fx, err := provision(ctx, first.endpoint, root, extraUsers)
	if err != nil {
		return nil, fmt.Errorf("provision: %w%s", err, first.stderrTail())
	}
	run := &replicasRun{Database: version}
	measure := func(balanced bool) error {
		setup := replicaRow{Replicas: len(replicas), Balanced: balanced}.setup()
		endpoints := make([]string, len(replicas))
		for i, p := range replicas {
			endpoints[i] = p.endpoint
		}
		endpoint, tail := first.endpoint, first.stderrTail
		if balanced {
			b, err := startBalancer(endpoints)
			if err != nil {
				return err
			}
			defer b.close()
			endpoint, tail = b.endpoint, func() string { return " (through the balancer)" + first.stderrTail() }
		}
		for _, sc := range o.only {
			if !slices.Contains(replicaScenarios, sc.Name) {
				continue
			}
			t, _, err := answeredBy(ctx, setup, endpoint, tail, sc.path(fx), fx.Session)
			if err != nil {
				return err
			}
			r, err := replicatedRun(ctx, o, load, t, replicas)
			if err != nil {
				return fmt.Errorf("%s, %s: %w", setup, sc.Name, err)
			}
			r.Replicas, r.Balanced, r.Scenario = len(replicas), balanced, sc.Name
			logf("%-18s %-34s %8.0f req/s p99 %-9s errors %d; CPU/request: replicas %.1f µs, harness %.1f µs, rest %.1f µs; machine %.0f%% busy",
				sc.Name, setup, r.Result.RPS(), r.Result.P99, r.Result.Errors, micros(r.ReplicaCPU), micros(r.HarnessCPU), micros(r.OtherCPU), r.Busy*100)
			run.Rows = append(run.Rows, r)
		}
		return nil
	}
	if err := measure(false); err != nil {
		return nil, err
	}
	if err := measure(true); err != nil {
		return nil, err
	}
	if _, err := start(); err != nil {
		return nil, err
	}
	if err := measure(true); err != nil {
		return nil, err
	}
	return run, nil
}

// replicatedRun warms the replicas up with t, then measures t for -duration with the CPU time
// of the replicas, of this process and of the machine.
func replicatedRun(ctx context.Context, o options, load loadGen, t target, replicas []*proc) (replicaRow, error) {
	if o.warmup > 0 {
		if _, err := load.run(ctx, t, o.warmup); err != nil {
			return replicaRow{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	before, err := sampleCPU(replicas)
	if err != nil {
		return replicaRow{}, err
	}
	res, err := load.run(ctx, t, o.duration)
	if err != nil {
		return replicaRow{}, err
	}
	if err := ctx.Err(); err != nil {
		return replicaRow{}, err
	}
	for _, p := range replicas {
		if err := p.alive(); err != nil {
			return replicaRow{}, err
		}
	}
	after, err := sampleCPU(replicas)
	if err != nil {
		return replicaRow{}, err
	}
	row := replicaRow{Result: res}
	d := cpuSample{after.replicas - before.replicas, after.harness - before.harness, after.busy - before.busy, after.all - before.all}
	if n := time.Duration(res.Requests); n > 0 {
		row.ReplicaCPU, row.HarnessCPU = d.replicas/n, d.harness/n
		row.OtherCPU = max(0, d.busy-d.replicas-d.harness) / n
	}
	if d.all > 0 {
		row.Busy = float64(d.busy) / float64(d.all)
	}
	return row, nil
}

// cpuSample is CPU time used so far: by the replicas (summed), by this process (the load
// generator and the balancer), and by the whole machine, busy and in all.
type cpuSample struct{ replicas, harness, busy, all time.Duration }

func sampleCPU(replicas []*proc) (cpuSample, error) {
	var s cpuSample
	for _, p := range replicas {
		d, err := p.cpuTime()
		if err != nil {
			return s, err
		}
		s.replicas += d
	}
	var err error
	if s.harness, err = cpuTimeOf(os.Getpid()); err != nil {
		return s, err
	}
	s.busy, s.all, err = machineCPU()
	return s, err
}

// createBenchDatabase creates a database of its own on the server adminURL reaches (as a user
// who may create databases), and says how to reach it, the server's version, and how to drop
// it (whoever is still connected).
func createBenchDatabase(ctx context.Context, adminURL string) (dbURL, version string, drop func() error, err error) {
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", "", nil, fmt.Errorf("-postgres: %q is not a postgres:// URL", adminURL)
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", "", nil, fmt.Errorf("-postgres: connect: %w (the replicas need a PostgreSQL server and a user who may create a database)", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		return "", "", nil, fmt.Errorf("-postgres: %w", err)
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := "connectfed_bench_" + hex.EncodeToString(suffix)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", "", nil, fmt.Errorf("-postgres: create database %s: %w", name, err)
	}
	drop = func() error {
		// A cancelled run drops it too: on a context of its own.
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(dctx, adminURL)
		if err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		defer c.Close(dctx)
		if _, err := c.Exec(dctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	db := *u
	db.Path = "/" + name
	return db.String(), "PostgreSQL " + version, drop, nil
}

// balancer spreads connections over replicas in turn, at the TCP level as HAProxy's TCP mode
// does: each connection the load generator opens goes to the next replica, and its bytes pass
// through untouched (Host, which the signature covers, included), by splice(2) on Linux. An
// HTTP proxy (httputil.ReverseProxy) cost the machine twice what a replica does per request.
type balancer struct {
	ln       net.Listener
	endpoint string
	mu       sync.Mutex
	conns    map[net.Conn]bool
	wg       sync.WaitGroup
}

func startBalancer(backends []string) (*balancer, error) {
	addrs := make([]string, len(backends))
	for i, e := range backends {
		u, err := url.Parse(e)
		if err != nil {
			return nil, err
		}
		addrs[i] = u.Host
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &balancer{ln: ln, endpoint: "http://" + ln.Addr().String(), conns: map[net.Conn]bool{}}
	b.wg.Go(func() {
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			b.wg.Go(func() { b.pipe(c, addrs[n%len(addrs)]) })
		}
	})
	return b, nil
}

// pipe passes c's bytes to a new connection to addr and back, until either side closes.
func (b *balancer) pipe(c net.Conn, addr string) {
	r, err := net.Dial("tcp", addr)
	if err != nil || !b.track(c, r) {
		c.Close()
		if r != nil {
			r.Close()
		}
		return
	}
	done := make(chan struct{})
	go func() {
		io.Copy(r, c)
		r.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(c, r)
	c.Close()
	<-done
	r.Close()
	b.untrack(c, r)
}

// track records a pair of connections for close, false once the balancer is closed.
func (b *balancer) track(cs ...net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conns == nil {
		return false
	}
	for _, c := range cs {
		b.conns[c] = true
	}
	return true
}

func (b *balancer) untrack(cs ...net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range cs {
		delete(b.conns, c)
	}
}

// close stops accepting, closes every connection, and waits for the pipes to end.
func (b *balancer) close() {
	b.ln.Close()
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.conns = nil
	b.mu.Unlock()
	b.wg.Wait()
}

// writeReplicas prints the -replicas table, with the single server on SQLite of the first
// phase beside it.
func (r *report) writeReplicas(w io.Writer) {
	rr := r.Replicas
	fmt.Fprintf(w, "Replicas (-replicas) on %s, on this machine, behind a TCP balancer in the harness (each connection to the next replica); "+
		"CPU/request splits the machine's CPU time over the run between the replicas, the harness (load generator and "+
		"balancer) and the rest (PostgreSQL, mostly):\n\n", rr.Database)
	fmt.Fprintln(w, "| Setup | Scenario | Requests/s | p50 | p99 | Errors | CPU/request: replicas | harness | rest | Machine busy |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	if len(r.Phases) > 0 {
		for _, x := range r.Phases[0].Rows {
			if slices.Contains(replicaScenarios, x.Scenario) {
				c := x.Connectfed
				fmt.Fprintf(w, "| SQLite, 1 server, direct (above) | %s | %s | %s | %s | %d | %.1f µs | – | – | – |\n",
					x.Scenario, rps(c.loadResult), ms(c.P50), ms(c.P99), c.Errors, micros(c.CPUPerRequest))
			}
		}
	}
	for _, x := range rr.Rows {
		fmt.Fprintf(w, "| PostgreSQL, %s | %s | %s | %s | %s | %d | %.1f µs | %.1f µs | %.1f µs | %.0f%% |\n", x.setup(), x.Scenario,
			rps(x.Result), ms(x.Result.P50), ms(x.Result.P99), x.Result.Errors, micros(x.ReplicaCPU), micros(x.HarnessCPU), micros(x.OtherCPU), x.Busy*100)
	}
	fmt.Fprintln(w)
}

// replicasVerdict judges two replicas behind the balancer against one behind it, on
// GetFederationToken.
func (r *report) replicasVerdict() (verdict, bool) {
	if r.Replicas == nil {
		return verdict{}, false
	}
	one, ok1 := r.Replicas.find(1, true, "GetFederationToken")
	two, ok2 := r.Replicas.find(2, true, "GetFederationToken")
	if !ok1 || !ok2 || one.Result.RPS() == 0 {
		return verdict{}, false
	}
	ratio := two.Result.RPS() / one.Result.RPS()
	return verdict{"two replicas behind the balancer >= 1.5x one replica's GetFederationToken throughput (behind the same balancer, on PostgreSQL)",
		fmt.Sprintf("%.2fx (%s vs %s req/s), the machine's cores %.0f%% and %.0f%% busy", ratio, rps(two.Result), rps(one.Result),
			two.Busy*100, one.Busy*100), ratio >= 1.5}, true
}
