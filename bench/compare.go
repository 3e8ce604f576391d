package main

// A/B comparison (-compare): two connectfed servers from the same binary, A with the run's
// serve flags and B with the extra flags -compare gives, each scenario driven against them in
// alternating slices (alternate.go), and reported slice by slice: the spread of the rounds'
// ratios says how far a difference of a few percent can be trusted. This is how the harness
// prices a layer: -compare '--audit=false --metrics=false'.

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// sliced is one server's figures summed over its slices.
type sliced struct {
	Requests int64         `json:"requests"`
	Errors   int64         `json:"errors"`
	Duration time.Duration `json:"durationNs"`
	// CPU is the server's user and system CPU time over its slices.
	CPU time.Duration `json:"cpuNs"`
	// SliceRPS are the requests/s of each slice, in order.
	SliceRPS []float64 `json:"sliceRps"`
}

// RPS is requests per second over every slice.
func (s sliced) RPS() float64 {
	if s.Duration <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Duration.Seconds()
}

// CPUPerRequest is the server's CPU time per request over every slice.
func (s sliced) CPUPerRequest() time.Duration {
	if s.Requests == 0 {
		return 0
	}
	return s.CPU / time.Duration(s.Requests)
}

func (s *sliced) add(res loadResult, cpu time.Duration) {
	s.Requests += res.Requests
	s.Errors += res.Errors
	s.Duration += res.Duration
	s.CPU += cpu
	s.SliceRPS = append(s.SliceRPS, res.RPS())
}

// comparison is one scenario measured on A and B.
type comparison struct {
	Scenario string `json:"scenario"`
	A        sliced `json:"a"`
	B        sliced `json:"b"`
}

// Ratio is B's requests/s as a fraction of A's.
func (c comparison) Ratio() float64 {
	if a := c.A.RPS(); a > 0 {
		return c.B.RPS() / a
	}
	return 0
}

// RoundRatios are B's requests/s over A's in each round (a slice of each), sorted: their
// spread says how far the overall ratio can be trusted.
func (c comparison) RoundRatios() []float64 {
	var out []float64
	for i := range min(len(c.A.SliceRPS), len(c.B.SliceRPS)) {
		if c.A.SliceRPS[i] > 0 {
			out = append(out, c.B.SliceRPS[i]/c.A.SliceRPS[i])
		}
	}
	slices.Sort(out)
	return out
}

// compareRun is the whole -compare run, for the report.
type compareRun struct {
	AFlags string        `json:"aFlags"`
	BFlags string        `json:"bFlags"`
	Slices int           `json:"slices"`
	Slice  time.Duration `json:"sliceNs"`
	Rows   []comparison  `json:"rows"`
}

// measureCompare starts A and B, provisions each through the AWS SDK, and measures every
// scenario of the run on both.
func measureCompare(ctx context.Context, o options, load loadGen, bin, tmp string, logf func(string, ...any)) (*compareRun, error) {
	root := newRootCredentials()
	aFlags, bFlags := o.serveFlags(), append(o.serveFlags(), o.compareFlags()...)
	servers := make([]*proc, 2)
	fixtures := make([]fixture, 2)
	for i, flags := range [][]string{aFlags, bFlags} {
		p, err := startConnectfed(ctx, bin, filepath.Join(tmp, "data-"+sideName(i)), root, flags)
		if err != nil {
			return nil, err
		}
		defer p.stop()
		logf("connectfed %s listening on %s (%s); provisioning through the AWS SDK", sideName(i), p.endpoint, strings.Join(flags, " "))
		if fixtures[i], err = provision(ctx, p.endpoint, root, extraUsers); err != nil {
			return nil, fmt.Errorf("provision %s: %w%s", sideName(i), err, p.stderrTail())
		}
		servers[i] = p
	}
	run := &compareRun{AFlags: strings.Join(aFlags, " "), BFlags: strings.Join(bFlags, " "), Slices: o.slices,
		Slice: o.duration / time.Duration(o.slices)}
	for _, sc := range o.only {
		c, err := compareScenario(ctx, o, load, servers, fixtures, sc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc.Name, err)
		}
		rr := c.RoundRatios()
		logf("%-18s A %8.0f req/s %6.1f µs CPU | B %8.0f req/s %6.1f µs CPU | B/A %.3f (rounds %.3f–%.3f)", sc.Name,
			c.A.RPS(), micros(c.A.CPUPerRequest()), c.B.RPS(), micros(c.B.CPUPerRequest()), c.Ratio(), rr[0], rr[len(rr)-1])
		run.Rows = append(run.Rows, c)
	}
	return run, nil
}

func compareScenario(ctx context.Context, o options, load loadGen, servers []*proc, fixtures []fixture, sc scenario) (comparison, error) {
	targets := make([]target, 2)
	for i, p := range servers {
		t, _, err := answered(ctx, p, sc.path(fixtures[i]), fixtures[i].Session)
		if err != nil {
			return comparison{}, fmt.Errorf("connectfed %s: %w", sideName(i), err)
		}
		targets[i] = t
	}
	parts, err := alternate(ctx, o, load, servers, targets, o.duration, o.slices)
	if err != nil {
		return comparison{}, err
	}
	c := comparison{Scenario: sc.Name}
	for i, side := range []*sliced{&c.A, &c.B} {
		for _, s := range parts[i] {
			side.add(s.loadResult, s.cpu)
		}
	}
	return c, nil
}

// sideName is "A" for the first server of a comparison, "B" for the second.
func sideName(i int) string { return "AB"[i : i+1] }

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// writeMarkdown prints the comparison's table.
func (r *compareRun) writeMarkdown(w io.Writer) {
	fmt.Fprintf(w, "A/B comparison: A is `connectfed serve %s`, B adds `%s`; each measured for %d slices of %s, in the\n"+
		"order A B, B A, A B, ...; CPU/request is the server's user and system CPU time over its slices per request.\n\n",
		r.AFlags, strings.TrimSpace(strings.TrimPrefix(r.BFlags, r.AFlags)), r.Slices, r.Slice)
	fmt.Fprintln(w, "| Scenario | A requests/s | B requests/s | B/A | B/A by round (min–median–max) | A CPU/request | B CPU/request | Errors A/B |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range r.Rows {
		rr := c.RoundRatios()
		fmt.Fprintf(w, "| %s | %s | %s | %.3f | %.3f–%.3f–%.3f | %.1f µs | %.1f µs | %d/%d |\n", c.Scenario,
			thousands(int(c.A.RPS())), thousands(int(c.B.RPS())), c.Ratio(), rr[0], rr[len(rr)/2], rr[len(rr)-1],
			micros(c.A.CPUPerRequest()), micros(c.B.CPUPerRequest()), c.A.Errors, c.B.Errors)
	}
	fmt.Fprintln(w)
}
