package main

// One phase of the run: every scenario against connectfed and then against a bare server that
// answers the same bytes, with the request signed just before its own run.

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// figures are one load run's results and the server's peak RSS during it.
type figures struct {
	loadResult
	PeakRSS int64 `json:"peakRssBytes"`
	// PeakSinceStart says that the peak could not be reset before the run: it is the
	// process's peak since it started.
	PeakSinceStart bool `json:"peakSinceStart,omitempty"`
	// CPUPerRequest is the server's CPU time (user and system) over the measured run divided
	// by its requests: what a request costs, steadier than requests/s when the load generator
	// shares the cores. Zero where /proc does not say.
	CPUPerRequest time.Duration `json:"cpuPerRequestNs,omitempty"`
}

// row is one scenario of a phase.
type row struct {
	Scenario   string  `json:"scenario"`
	BodyBytes  int     `json:"bodyBytes"`
	WireBytes  int64   `json:"wireBytes"`
	Connectfed figures `json:"connectfed"`
	Bare       figures `json:"bare"`
	// Rates are the open-loop runs at -rates; Sustained the rates -find-rate found.
	Rates     []rateRow  `json:"rates,omitempty"`
	Sustained *sustained `json:"sustained,omitempty"`
}

// Ratio is connectfed's throughput as a fraction of the bare server's.
func (r row) Ratio() float64 {
	if b := r.Bare.RPS(); b > 0 {
		return r.Connectfed.RPS() / b
	}
	return 0
}

// phase is every scenario measured on one store.
type phase struct {
	Name string `json:"name"`
	Rows []row  `json:"rows"`
}

func runPhase(ctx context.Context, o options, load loadGen, cf *proc, bare *bareLauncher, fx fixture,
	logf func(string, ...any)) ([]row, error) {
	var rows []row
	specs := make([]bareSpec, len(o.only))
	for i, sc := range o.only {
		r, spec, err := runScenario(ctx, o, load, cf, bare, fx, sc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc.Name, err)
		}
		logf("%-18s connectfed %8.0f req/s p99 %-9s errors %d | bare %8.0f req/s p99 %-9s errors %d | ratio %.2f",
			sc.Name, r.Connectfed.RPS(), r.Connectfed.P99, r.Connectfed.Errors, r.Bare.RPS(), r.Bare.P99, r.Bare.Errors, r.Ratio())
		rows, specs[i] = append(rows, r), spec
	}
	// The open-loop runs come after every closed-loop one: -find-rate overloads the server,
	// and the memory an overload leaves behind would count in the next scenario's peak RSS.
	if len(o.rates) > 0 || o.findRate {
		for i, sc := range o.only {
			if err := openLoopScenario(ctx, o, cf, bare, fx, sc, specs[i], &rows[i]); err != nil {
				return nil, fmt.Errorf("%s: %w", sc.Name, err)
			}
			logf("%-18s open loop done", sc.Name)
		}
	}
	return rows, nil
}

// openLoopScenario runs -rates and -find-rate for sc, against connectfed and a bare server
// answering as spec says, into r.
func openLoopScenario(ctx context.Context, o options, cf *proc, bare *bareLauncher, fx fixture, sc scenario, spec bareSpec, r *row) error {
	bp, err := bare.start(ctx, spec)
	if err != nil {
		return err
	}
	defer bp.stop()
	sign := func() (target, target, error) {
		t, err := signedTarget(ctx, cf.endpoint, sc.path(fx), fx.Session)
		if err != nil {
			return target{}, target{}, err
		}
		bt, err := t.at(bp.endpoint)
		return t, bt, err
	}
	if r.Rates, r.Sustained, err = ratesOf(ctx, o, sc.Name, []*proc{cf, bp}, sign); err != nil {
		return err
	}
	return bp.stop()
}

// runScenario measures sc closed loop on connectfed and on a bare server, in alternating
// slices, and says how the bare server answered, for the open-loop runs.
func runScenario(ctx context.Context, o options, load loadGen, cf *proc, bare *bareLauncher, fx fixture, sc scenario) (row, bareSpec, error) {
	t, ref, err := answered(ctx, cf, sc.path(fx), fx.Session)
	if err != nil {
		return row{}, bareSpec{}, err
	}
	r := row{Scenario: sc.Name, BodyBytes: len(ref.Body), WireBytes: ref.Wire}
	bp, err := bare.start(ctx, specOf(ref))
	if err != nil {
		return row{}, bareSpec{}, err
	}
	defer bp.stop()
	bt, err := t.at(bp.endpoint)
	if err != nil {
		return row{}, bareSpec{}, err
	}
	bref, err := fetch(ctx, bt)
	if err != nil {
		return row{}, bareSpec{}, fmt.Errorf("bare server: %w%s", err, bp.stderrTail())
	}
	if bref.Status != ref.Status || len(bref.Body) != len(ref.Body) || bref.Wire != ref.Wire {
		return row{}, bareSpec{}, fmt.Errorf("the bare server answers %d with %d body bytes (%d on the wire); connectfed %d with %d (%d)",
			bref.Status, len(bref.Body), bref.Wire, ref.Status, len(ref.Body), ref.Wire)
	}
	figs, err := measureInTurn(ctx, o, load, []*proc{cf, bp}, []target{t, bt})
	if err != nil {
		return row{}, bareSpec{}, err
	}
	r.Connectfed, r.Bare = figs[0], figs[1]
	return r, specOf(ref), bp.stop()
}

// answered signs a GET of path on p with c and checks that p answers it with 200, as every
// scenario's request must be before it is measured.
func answered(ctx context.Context, p *proc, path string, c aws.Credentials) (target, answer, error) {
	return answeredBy(ctx, p.name, p.endpoint, p.stderrTail, path, c)
}

// answeredBy is answered for any server: name and the end of its log (tail) say which failed.
func answeredBy(ctx context.Context, name, endpoint string, tail func() string, path string, c aws.Credentials) (target, answer, error) {
	t, err := signedTarget(ctx, endpoint, path, c)
	if err != nil {
		return target{}, answer{}, err
	}
	ref, err := fetch(ctx, t)
	if err != nil {
		return target{}, answer{}, fmt.Errorf("%s: %w%s", name, err, tail())
	}
	if ref.Status != 200 {
		return target{}, answer{}, fmt.Errorf("%s answered %d, not 200: %.500s", name, ref.Status, ref.Body)
	}
	return t, ref, nil
}

// at is the same request (headers and signature) sent to the server at endpoint.
func (t target) at(endpoint string) (target, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return target{}, err
	}
	same := *t.url
	same.Host = u.Host
	return target{url: &same, header: t.header}, nil
}

// measureInTurn measures each server with its target for -duration, in -slices alternating
// slices (one run each after the other where the generator keeps no latencies to merge), and
// returns each server's figures: its slices as one run, and its peak RSS over them.
func measureInTurn(ctx context.Context, o options, load loadGen, procs []*proc, targets []target) ([]figures, error) {
	parts, err := alternate(ctx, o, load, procs, targets, o.duration, o.slicesWith(load))
	if err != nil {
		return nil, err
	}
	out := make([]figures, len(procs))
	for i, p := range procs {
		rss, err := p.peakRSS()
		if err != nil {
			return nil, err
		}
		res, cpu := merged(parts[i])
		out[i] = figures{loadResult: res, PeakRSS: rss, PeakSinceStart: !p.peakReset, CPUPerRequest: cpu}
	}
	return out, nil
}
