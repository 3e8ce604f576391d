package main

// Open-loop load at fixed rates (-rates, -find-rate), with vegeta's attacker: requests leave on
// a fixed schedule whether or not earlier ones have been answered, as a population of agents
// does, so a slow answer delays no later request and the latencies carry the queueing a
// closed loop hides (coordinated omission). vegeta starts a new worker whenever every worker is
// waiting, so the schedule holds, up to maxWorkers: past that the server is overloaded, and a
// generator that opened a connection per late request would take it (and the machine) to
// gigabytes of memory. A run that falls behind its schedule shows it in its achieved rate. The
// percentiles are exact, by nearest rank over every latency, not vegeta's t-digest estimates.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// rateFigures are one server's latencies at one offered rate.
type rateFigures struct {
	Requests int64         `json:"requests"`
	Errors   int64         `json:"errors"` // non-2xx answers and failed exchanges
	P50      time.Duration `json:"p50Ns"`
	P99      time.Duration `json:"p99Ns"`
	P999     time.Duration `json:"p999Ns"`
	// Achieved is the rate of answers actually received, per second of the run.
	Achieved float64 `json:"achievedRps"`
}

// rateRow is a scenario at one offered rate on both servers.
type rateRow struct {
	Scenario   string      `json:"scenario"`
	Rate       int         `json:"rate"`
	Connectfed rateFigures `json:"connectfed"`
	Bare       rateFigures `json:"bare"`
}

// P99Ratio is connectfed's p99 over the bare handler's at the same rate.
func (r rateRow) P99Ratio() float64 {
	if r.Bare.P99 <= 0 {
		return 0
	}
	return float64(r.Connectfed.P99) / float64(r.Bare.P99)
}

// sustained is the highest rate found at which a server kept p99 under -max-p99 without
// errors, for one scenario.
type sustained struct {
	Scenario   string `json:"scenario"`
	Connectfed int    `json:"connectfed"`
	Bare       int    `json:"bare"`
}

// maxWorkers bounds the requests in flight at once: 512 answers late by 10 ms each is a rate
// of 51,200 a second, past what either server here sustains.
const maxWorkers = 512

// attack drives t at rate requests a second for d, on connections of its own.
func attack(ctx context.Context, t target, rate int, d time.Duration) (rateFigures, error) {
	c := newOpenLoopClient()
	defer c.CloseIdleConnections()
	res, err := attackWith(ctx, c, t, rate, d)
	return rateFiguresOf(res), err
}

// newOpenLoopClient is an HTTP client as vegeta's attacker makes one with keep-alive, up to
// maxWorkers connections and requestTimeout, to be handed to one attacker after another: a
// vegeta attacker stops for good at the end of its run, but its client's connections need not.
func newOpenLoopClient() *http.Client {
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	return &http.Client{Timeout: requestTimeout, Transport: &http.Transport{DialContext: dialer.DialContext,
		MaxIdleConnsPerHost: maxWorkers}}
}

// attackWith drives t at rate requests a second for d over c's connections, which outlive the
// run. The result's Duration is the span from the first request sent to the last answer.
func attackWith(ctx context.Context, c *http.Client, t target, rate int, d time.Duration) (loadResult, error) {
	atk := vegeta.NewAttacker(vegeta.Client(c), vegeta.Workers(64), vegeta.MaxWorkers(maxWorkers))
	tgt := vegeta.Target{Method: "GET", URL: t.url.String(), Header: t.header}
	results := atk.Attack(vegeta.NewStaticTargeter(tgt), vegeta.Rate{Freq: rate, Per: time.Second}, d, "bench")
	var (
		res         loadResult
		first, last time.Time
	)
	res.latencies = make([]time.Duration, 0, int(float64(rate)*d.Seconds())+1)
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	for r := range results {
		res.Requests++
		if r.Error != "" || r.Code < 200 || r.Code > 299 {
			res.Errors++
		}
		res.latencies = append(res.latencies, r.Latency)
		if first.IsZero() || r.Timestamp.Before(first) {
			first = r.Timestamp
		}
		if end := r.End(); end.After(last) {
			last = end
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if res.Requests == 0 {
		return res, errors.New("no request was sent")
	}
	slices.Sort(res.latencies)
	res.setPercentiles(res.latencies)
	res.Duration = last.Sub(first)
	return res, nil
}

// rateFiguresOf is an open-loop run (or its slices merged) as the report shows it.
func rateFiguresOf(r loadResult) rateFigures {
	f := rateFigures{Requests: r.Requests, Errors: r.Errors, P50: r.P50, P99: r.P99, P999: r.P999}
	if r.Duration > 0 {
		f.Achieved = float64(r.Requests-r.Errors) / r.Duration.Seconds()
	}
	return f
}

// openLoad is the open loop at a fixed rate as a load generator, so that connectfed and the
// bare server are measured in alternating slices (alternate.go) as the closed loop is: a p99
// of 1-3 ms moves with the machine from one second to the next as much as throughput does.
// Each server keeps its connections from one slice to the next.
type openLoad struct {
	rate    int
	clients map[string]*http.Client // by the target's host
}

func newOpenLoad(rate int) *openLoad {
	return &openLoad{rate: rate, clients: map[string]*http.Client{}}
}

func (l *openLoad) run(ctx context.Context, t target, d time.Duration) (loadResult, error) {
	c := l.clients[t.url.Host]
	if c == nil {
		c = newOpenLoopClient()
		l.clients[t.url.Host] = c
	}
	return attackWith(ctx, c, t, l.rate, d)
}

// close closes the connections kept for the next slice.
func (l *openLoad) close() {
	for _, c := range l.clients {
		c.CloseIdleConnections()
	}
}

func (l *openLoad) describe() string     { return fmt.Sprintf("vegeta at %d requests/s", l.rate) }
func (l *openLoad) keepsLatencies() bool { return true }

// rateCeiling is where -find-rate stops doubling: far past what one machine serves.
const rateCeiling = 1_000_000

// findRate is the highest rate at which t keeps p99 under maxP99 with no errors and answers at
// least 95% of the offered rate (see rateSearch). Each probe runs for probe.
func findRate(ctx context.Context, t target, start, ceiling int, maxP99, probe time.Duration) (int, error) {
	found, err := findRates(ctx, []target{t}, start, ceiling, maxP99, probe)
	if err != nil {
		return 0, err
	}
	return found[0], nil
}

// findRates is findRate for each of targets, their searches taking turns probe by probe (A B,
// B A, ...), as the fixed rates' slices do, so that the machine's drift over the minute or two
// of a search falls on every server alike.
func findRates(ctx context.Context, targets []target, start, ceiling int, maxP99, probe time.Duration) ([]int, error) {
	searches := make([]*rateSearch, len(targets))
	for i := range searches {
		searches[i] = newRateSearch(start, ceiling)
	}
	for round := 0; ; round++ {
		probed := false
		for k := range targets {
			i := k
			if round%2 == 1 {
				i = len(targets) - 1 - k
			}
			s := searches[i]
			if s.done {
				continue
			}
			rate := s.next()
			f, err := attack(ctx, targets[i], rate, probe)
			if err != nil {
				return nil, fmt.Errorf("probe at %d/s: %w", rate, err)
			}
			s.record(f.Errors == 0 && f.P99 < maxP99 && f.Achieved >= 0.95*float64(rate))
			probed = true
		}
		if !probed {
			break
		}
	}
	found := make([]int, len(searches))
	for i, s := range searches {
		found[i] = s.good
	}
	return found, nil
}

// rateSearch is the search for a server's highest rate, a probe at a time: the rate doubles
// from start until a probe fails (or the next would pass ceiling), then the gap between the
// last rate held and the first failed is halved up to five times.
type rateSearch struct {
	good, bad, ceiling int // good: the highest rate held so far; bad: the lowest failed, or next to try
	doubling           bool
	halvings           int
	done               bool
}

func newRateSearch(start, ceiling int) *rateSearch {
	return &rateSearch{bad: start, ceiling: ceiling, doubling: true}
}

// next is the rate to probe next.
func (s *rateSearch) next() int {
	if s.doubling {
		return s.bad
	}
	return (s.good + s.bad) / 2
}

// record takes whether the rate next gave held.
func (s *rateSearch) record(held bool) {
	switch {
	case s.doubling && held:
		s.good, s.bad = s.bad, s.bad*2
		s.done = s.bad > s.ceiling
		return
	case s.doubling:
		s.doubling = false
	case held:
		s.good, s.halvings = s.next(), s.halvings+1
	default:
		s.bad, s.halvings = s.next(), s.halvings+1
	}
	s.done = s.halvings == 5 || s.next() == s.good
}

// ratesOf runs the fixed rates of o on connectfed and the bare server (procs, in that order),
// in alternating slices at each rate, and searches their highest rates when asked. sign signs
// the request anew for each run: a signature is good for the server's clock skew (5 minutes),
// and the runs together may take longer.
func ratesOf(ctx context.Context, o options, scenario string, procs []*proc, sign func() (cf, bare target, err error)) ([]rateRow, *sustained, error) {
	var rows []rateRow
	for _, rate := range o.rates {
		r := rateRow{Scenario: scenario, Rate: rate}
		cf, bare, err := sign()
		if err != nil {
			return nil, nil, err
		}
		load := newOpenLoad(rate)
		parts, err := alternate(ctx, o, load, procs, []target{cf, bare}, o.duration, o.slicesWith(load))
		load.close()
		if err != nil {
			return nil, nil, fmt.Errorf("open loop at %d/s: %w", rate, err)
		}
		cfRun, _ := merged(parts[0])
		bareRun, _ := merged(parts[1])
		r.Connectfed, r.Bare = rateFiguresOf(cfRun), rateFiguresOf(bareRun)
		rows = append(rows, r)
	}
	if !o.findRate {
		return rows, nil, nil
	}
	cf, bare, err := sign() // both searches take a minute or two: within the signature's five
	if err != nil {
		return nil, nil, err
	}
	found, err := findRates(ctx, []target{cf, bare}, 1000, rateCeiling, o.maxP99, o.probe)
	if err != nil {
		return nil, nil, fmt.Errorf("the highest rates: %w", err)
	}
	s := &sustained{Scenario: scenario, Connectfed: found[0], Bare: found[1]}
	return rows, s, nil
}
