// Command bench measures connectfed against the limit it is compared with: a bare net/http
// handler that answers the same number of bytes, in the same run, on the same machine.
//
// It builds connectfed, starts it on the embedded store, provisions a SAML instance, a Connect
// user agent1, an IAM user, a role and a role session through the AWS SDK, signs
// GetFederationToken, DescribeUser, DescribeInstance and ListUsers once each (a SigV4 signature stays valid for
// the server's clock skew, so the same headers are replayed), drives each with wrk or a Go load
// generator, then drives a bare server answering the same bytes, and prints a Markdown table
// for bench/RESULTS.md. -scale repeats the run with 1,000,000 Connect users and 100,000 access
// keys seeded straight into the SQLite file (seed.go); -cli times connectfed's CLI against the
// AWS CLI's; -replicas measures replicas on PostgreSQL behind a load balancer (replicas.go).
//
//	go run ./bench -scale -cli -replicas
//
// This file owns the flags and the order of the run; every child process and temporary
// directory it creates is removed on every way out, Ctrl-C included.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	duration    time.Duration
	warmup      time.Duration
	connections int
	threads     int
	loadgen     string
	scale       bool
	scaleUsers  int
	scaleKeys   int
	cli         bool
	cliRuns     int
	awsPath     string
	bin         string
	json        bool
	// only are the scenarios to run (-scenarios), in the harness's order; all when empty.
	only []scenario
	// compare, when set, are serve flags of a second server measured against the first,
	// instead of the bare server (compare.go).
	compare string
	// slices cuts each closed-loop measurement into slices that alternate between the two
	// servers measured (alternate.go).
	slices int
	// rates are the open-loop rates (-rates, requests a second); findRate searches each
	// server's highest rate with p99 under maxP99, in probes of probe (openloop.go).
	rates    []int
	previous string
	findRate bool
	maxP99   time.Duration
	probe    time.Duration
	// replicas measures replicas on PostgreSQL behind a balancer (replicas.go), on a database
	// created on the server postgres reaches.
	replicas bool
	postgres string
	// iamEnforcement is connectfed's --iam-enforcement (on, as a real account runs); audit
	// its --audit (on, the default).
	iamEnforcement, audit string
	// bareResponse, when set, makes this process the bare server (see bare.go).
	bareResponse string
	// bareWork is CPU the bare handler spends on each request (a budget probe, bare.go).
	bareWork time.Duration
}

// maxRun bounds one load run: the signature replayed must stay inside connectfed's default
// --clock-skew (5m) from the first request to the last.
const maxRun = 4 * time.Minute

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measured load run")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each run, so caches and the heap are warm")
	fs.IntVar(&o.connections, "connections", 64, "keep-alive connections the load generator holds open")
	fs.IntVar(&o.threads, "threads", 2, "wrk threads")
	fs.StringVar(&o.loadgen, "loadgen", "auto", "load generator: wrk, go (built in), or auto (wrk when on PATH)")
	fs.BoolVar(&o.scale, "scale", false, "also measure with 1,000,000 Connect users and 100,000 access keys in the store")
	fs.IntVar(&o.scaleUsers, "scale-users", 1_000_000, "Connect users in the instance for -scale")
	fs.IntVar(&o.scaleKeys, "scale-keys", 100_000, "access keys in the store for -scale")
	fs.BoolVar(&o.cli, "cli", false, "also time connectfed get-federation-token against aws connect get-federation-token")
	fs.IntVar(&o.cliRuns, "cli-runs", 11, "runs of each CLI for -cli (the median is reported)")
	fs.StringVar(&o.awsPath, "aws", "", "the AWS CLI for -cli (default: /usr/bin/aws, AWS CLI v2 from Debian, else aws on PATH)")
	fs.StringVar(&o.bin, "bin", "", "a connectfed binary to measure instead of building ./cmd/connectfed")
	fs.BoolVar(&o.json, "json", false, "print the results as JSON instead of Markdown")
	fs.StringVar(&o.compare, "compare", "", "serve flags of a second connectfed (B) to measure against the first (A) in alternating slices, instead of the bare server: '--audit=false --metrics=false' prices the trail and the metrics")
	fs.IntVar(&o.slices, "slices", 10, "slices of -duration each server gets, alternating with the other's (connectfed and the bare server, or A and B of -compare), so that the machine's drift falls on both; 1 measures one after the other")
	rateList := fs.String("rates", "", "comma-separated request rates (per second) to drive each scenario at, open loop (vegeta), on connectfed and the bare server, reporting p50/p99/p99.9 at each: e.g. 1000,5000")
	fs.StringVar(&o.previous, "previous", "", "a previous run's report (its Markdown, e.g. bench/RESULTS.md, or its -json) whose figures to set beside this run's")
	fs.BoolVar(&o.findRate, "find-rate", false, "also search the highest open-loop rate at which each server keeps p99 under -max-p99 without errors")
	fs.DurationVar(&o.maxP99, "max-p99", 10*time.Millisecond, "the p99 -find-rate holds a rate to")
	fs.DurationVar(&o.probe, "probe", 3*time.Second, "length of each -find-rate probe")
	fs.BoolVar(&o.replicas, "replicas", false, "also measure replicas on PostgreSQL behind a load balancer: one replica directly, one and two behind the balancer")
	fs.StringVar(&o.postgres, "postgres", defaultPostgres(), "for -replicas, a PostgreSQL server as a user who may create databases: the run creates a database of its own there and drops it (default $CONNECTFED_TEST_POSTGRES_URL, else the local server)")
	scenarioList := fs.String("scenarios", "", "comma-separated scenarios to run, of "+strings.Join(scenarioNames(), ", ")+" (default all)")
	fs.StringVar(&o.iamEnforcement, "iam-enforcement", "on", "connectfed's --iam-enforcement: on (the default, as AWS), or off to price policy evaluation")
	fs.StringVar(&o.audit, "audit", "on", "connectfed's audit trail: on (the default), or off (--audit=false) to price it")
	fs.DurationVar(&o.bareWork, "bare-work", 0, "CPU the bare handler spends on each request before answering: a probe of the handler cost at which connectfed/bare reaches a ratio, e.g. 8us (the report says so)")
	fs.StringVar(&o.bareResponse, "bare-response", "", "internal: serve the bare baseline described by this file")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./bench [flags]

Builds connectfed, starts it on a temporary embedded store, provisions it through the AWS SDK,
and measures GetFederationToken, DescribeUser, DescribeInstance and ListUsers (100 users a page) against a bare
net/http server answering the same bytes. Prints a Markdown table for bench/RESULTS.md.

  go run ./bench                 # the small store, 10 s a run
  go run ./bench -scale -cli     # also 1,000,000 users, and the CLI against the AWS CLI
  go run ./bench -scenarios GetFederationToken -audit off   # one scenario, without the trail
  go run ./bench -scenarios GetFederationToken -compare '--audit=false --metrics=false'
                                 # the trail's and the metrics' price, in alternating slices
  go run ./bench -rates 5000 -find-rate   # also open loop at 5,000/s, and each server's highest rate
  go run ./bench -replicas       # also 1 and 2 replicas on PostgreSQL behind a load balancer
  go run ./bench -scenarios GetFederationToken -bare-work 14us
                                 # the ratio a handler of 14 µs of CPU would score on this machine

Flags:
`)
		fs.VisitAll(func(f *flag.Flag) {
			if f.Name == "bare-response" {
				return
			}
			kind, usage := flag.UnquoteUsage(f)
			if f.DefValue != "" && f.DefValue != "false" {
				usage += " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(stderr, "  -%s %s\n    \t%s\n", f.Name, kind, usage)
		})
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if o.only, err = pickScenarios(*scenarioList); err != nil {
		return o, err
	}
	if o.rates, err = parseRates(*rateList); err != nil {
		return o, err
	}
	switch {
	case o.duration <= 0 || o.warmup < 0 || o.duration+o.warmup > maxRun:
		return o, fmt.Errorf("-duration %s and -warmup %s: a positive run that, warm-up included, stays within %s (the signature's validity)", o.duration, o.warmup, maxRun)
	case o.connections < 1 || o.threads < 1:
		return o, fmt.Errorf("-connections %d and -threads %d: at least 1", o.connections, o.threads)
	case o.loadgen != "auto" && o.loadgen != "wrk" && o.loadgen != "go":
		return o, fmt.Errorf("-loadgen %q: want wrk, go or auto", o.loadgen)
	case o.scaleUsers < extraUsers+1 || o.scaleKeys < 0:
		return o, fmt.Errorf("-scale-users %d and -scale-keys %d: at least %d users, and no negative count", o.scaleUsers, o.scaleKeys, extraUsers+1)
	case o.cliRuns < 1:
		return o, fmt.Errorf("-cli-runs %d: at least 1", o.cliRuns)
	case o.slices < 1 || (o.compare != "" && o.slices < 2):
		return o, fmt.Errorf("-slices %d: at least 1, and 2 for -compare", o.slices)
	case o.slices > 1 && 2*(o.duration+o.warmup) > maxRun:
		return o, fmt.Errorf("-slices %d measures two servers in turn on one signature: twice -duration %s plus -warmup %s must stay within %s",
			o.slices, o.duration, o.warmup, maxRun)
	case o.compare != "" && (o.scale || o.cli || o.replicas):
		return o, fmt.Errorf("-compare measures the small store only, without -scale, -cli or -replicas")
	case o.replicas && !slices.ContainsFunc(o.only, func(sc scenario) bool { return slices.Contains(replicaScenarios, sc.Name) }):
		return o, fmt.Errorf("-replicas measures %s: -scenarios names neither", strings.Join(replicaScenarios, " and "))
	case o.audit != "on" && o.audit != "off":
		return o, fmt.Errorf("-audit %q: want on or off", o.audit)
	}
	return o, nil
}

// parseRates reads -rates: positive request rates, comma-separated.
func parseRates(list string) ([]int, error) {
	var rates []int
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-rates: %q is not a positive number of requests a second", f)
		}
		rates = append(rates, n)
	}
	return rates, nil
}

// defaultPostgres is -postgres' default: the PostgreSQL the tests use, else the local server's
// own database as its superuser (this machine kind's trust authentication).
func defaultPostgres() string {
	if u := os.Getenv("CONNECTFED_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// slicesWith is how many slices load cuts each closed-loop measurement into: -slices, or one
// run each where it keeps no latencies to merge (wrk).
func (o options) slicesWith(load loadGen) int {
	if !load.keepsLatencies() {
		return 1
	}
	return o.slices
}

// compareFlags are -compare's serve flags, split as a shell would split plain words.
func (o options) compareFlags() []string { return strings.Fields(o.compare) }

// serveFlags are the flags of connectfed serve that the run's options set.
func (o options) serveFlags() []string {
	return []string{"--iam-enforcement", o.iamEnforcement, "--audit=" + strconv.FormatBool(o.audit == "on")}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with an exit code, so that every deferred cleanup runs before the process
// exits.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.bareResponse != "" {
		err = serveBareFile(ctx, o.bareResponse, stdout)
	} else {
		err = measure(ctx, o, stdout, stderr)
	}
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "bench: interrupted")
			return 130
		}
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}

// measure is the whole run: build, start, provision, measure, optionally seed and measure
// again, optionally time the CLIs, and report. Progress goes to stderr, the report to stdout.
func measure(ctx context.Context, o options, stdout, stderr io.Writer) (err error) {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", args...) }
	tmp, err := os.MkdirTemp("", "connectfed-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	load, err := newLoadGen(o, tmp)
	if err != nil {
		return err
	}
	rep := report{Command: commandLine(), Machine: describeMachine(ctx), LoadGen: load.describe(),
		Duration: o.duration, Warmup: o.warmup, Connections: o.connections, BareWork: o.bareWork}
	rep.Slices = o.slicesWith(load)
	if len(o.rates) > 0 {
		rep.RateSlices = o.slicesWith(&openLoad{})
	}
	if o.previous != "" {
		if rep.previous, err = readPrevious(o.previous); err != nil {
			return err
		}
	}
	if avg, err := strconv.ParseFloat(rep.Machine.LoadAverage, 64); err == nil && avg > 0.5 {
		logf("the machine is busy (load average %s): the figures will be noisy", rep.Machine.LoadAverage)
	}
	bin := o.bin
	if bin == "" {
		root, err := moduleRoot(ctx)
		if err != nil {
			return err
		}
		rep.Machine.Source = describeSource(ctx, root)
		bin = filepath.Join(tmp, "connectfed")
		logf("building connectfed from %s", root)
		if err := buildConnectfed(ctx, root, bin); err != nil {
			return err
		}
	}

	if o.compare != "" {
		if rep.Compare, err = measureCompare(ctx, o, load, bin, tmp, logf); err != nil {
			return err
		}
		if o.json {
			return rep.writeJSON(stdout)
		}
		rep.writeMarkdown(stdout)
		return nil
	}

	dataDir := filepath.Join(tmp, "data")
	root := newRootCredentials()
	cf, err := startConnectfed(ctx, bin, dataDir, root, o.serveFlags())
	if err != nil {
		return err
	}
	defer func() { cf.stop() }()
	logf("connectfed listening on %s; provisioning through the AWS SDK", cf.endpoint)
	fx, err := provision(ctx, cf.endpoint, root, extraUsers)
	if err != nil {
		return fmt.Errorf("provision: %w%s", err, cf.stderrTail())
	}
	bare := &bareLauncher{tmp: tmp, work: o.bareWork}

	small := phase{Name: fmt.Sprintf("small store (%d Connect users)", extraUsers+1)}
	if small.Rows, err = runPhase(ctx, o, load, cf, bare, fx, logf); err != nil {
		return err
	}
	rep.Phases = append(rep.Phases, small)

	if o.scale {
		if err := cf.stop(); err != nil {
			return fmt.Errorf("stop connectfed before seeding: %w", err)
		}
		logf("seeding %d Connect users and %d access keys into %s", o.scaleUsers, o.scaleKeys, sqliteFile)
		seed, err := seedScale(ctx, filepath.Join(dataDir, sqliteFile), fx, o.scaleUsers, o.scaleKeys, logf)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		rep.Seed = &seed
		logf("seeded in %s", seed.Took.Round(time.Millisecond))
		if cf, err = startConnectfed(ctx, bin, dataDir, root, o.serveFlags()); err != nil {
			return err
		}
		big := phase{Name: fmt.Sprintf("%s Connect users, %s access keys", thousands(o.scaleUsers), thousands(seed.AccessKeysTotal))}
		if big.Rows, err = runPhase(ctx, o, load, cf, bare, fx, logf); err != nil {
			return err
		}
		rep.Phases = append(rep.Phases, big)
	}

	if o.cli {
		logf("timing the CLIs, %d runs each", o.cliRuns)
		c, err := timeCLIs(ctx, bin, o.awsPath, cf.endpoint, fx, o.cliRuns, tmp)
		if err != nil {
			return fmt.Errorf("cli: %w", err)
		}
		rep.CLI = &c
	}
	if err := cf.stop(); err != nil {
		logf("warning: %v", err)
	}
	if o.replicas { // with the single server stopped: the cores are the replicas'
		if rep.Replicas, err = measureReplicas(ctx, o, load, bin, tmp, logf); err != nil {
			return fmt.Errorf("replicas: %w", err)
		}
	}
	if o.json {
		return rep.writeJSON(stdout)
	}
	rep.writeMarkdown(stdout)
	return nil
}

// commandLine is how this run was started, for the report: go run ./bench and the flags when
// go run built it, else the binary's own path.
func commandLine() string {
	name := os.Args[0]
	if strings.Contains(name, "go-build") {
		name = "go run ./bench"
	}
	parts := []string{name}
	for _, a := range os.Args[1:] {
		if strings.ContainsAny(a, " \t'\"$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}
