package main

// Load generation: the interface both generators implement, the choice between them, and the
// built-in Go generator. The Go generator holds N keep-alive connections, each writing the same
// raw request and reading the whole answer before the next, records every latency (so its
// percentiles are exact, by nearest rank) and counts every non-2xx answer and every failed
// exchange as an error.

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadResult is what one load run measured.
type loadResult struct {
	Requests int64         `json:"requests"` // answers received, errors included
	Errors   int64         `json:"errors"`   // non-2xx answers and failed exchanges
	Duration time.Duration `json:"durationNs"`
	P50      time.Duration `json:"p50Ns"`
	P99      time.Duration `json:"p99Ns"`
	P999     time.Duration `json:"p999Ns"`
	// latencies are every answer's latency, sorted, where the generator keeps them (the Go
	// one): so that slices of a run merge into exact percentiles (alternate.go).
	latencies []time.Duration
}

// setPercentiles sets the percentiles of sorted latencies.
func (r *loadResult) setPercentiles(sorted []time.Duration) {
	r.P50, r.P99, r.P999 = percentile(sorted, 50), percentile(sorted, 99), percentile(sorted, 99.9)
}

// RPS is requests per second over the run.
func (r loadResult) RPS() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Duration.Seconds()
}

// loadGen drives one target for a duration.
type loadGen interface {
	run(ctx context.Context, t target, d time.Duration) (loadResult, error)
	describe() string
	// keepsLatencies says that run's results carry every latency, so that runs merge into
	// one with exact percentiles and a measurement can be cut into alternating slices.
	keepsLatencies() bool
}

// newLoadGen picks the generator -loadgen asks for: wrk when on PATH for auto. wrk's scripts
// go in tmp.
func newLoadGen(o options, tmp string) (loadGen, error) {
	wrkPath, wrkErr := exec.LookPath("wrk")
	switch {
	case o.loadgen == "go" || (o.loadgen == "auto" && wrkErr != nil):
		return &goLoad{conns: o.connections}, nil
	case wrkErr != nil:
		return nil, fmt.Errorf("-loadgen wrk: %w (Debian: apt-get install wrk; or -loadgen go)", wrkErr)
	}
	if o.threads > o.connections {
		return nil, fmt.Errorf("-threads %d: wrk needs at least as many connections (-connections %d)", o.threads, o.connections)
	}
	return &wrkLoad{path: wrkPath, conns: o.connections, threads: o.threads, version: wrkVersion(wrkPath), dir: tmp}, nil
}

// requestTimeout fails an exchange that takes longer, as wrk's default --timeout does.
const requestTimeout = 2 * time.Second

// goLoad is the built-in generator.
type goLoad struct {
	conns int
	// maxRequests, when positive, ends the run after that many requests (for tests).
	maxRequests int64
}

func (g *goLoad) keepsLatencies() bool { return true }

func (g *goLoad) describe() string {
	return fmt.Sprintf("built-in Go generator, %d connections", g.conns)
}

func (g *goLoad) run(ctx context.Context, t target, d time.Duration) (loadResult, error) {
	raw := t.rawRequest()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		all       []time.Duration
		requests  atomic.Int64
		errs      atomic.Int64
		remaining atomic.Int64
	)
	remaining.Store(g.maxRequests)
	start := time.Now()
	for range g.conns {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1<<14)
			defer func() {
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			}()
			var e *exchange
			defer func() {
				if e != nil {
					e.close()
				}
			}()
			for ctx.Err() == nil {
				if g.maxRequests > 0 && remaining.Add(-1) < 0 {
					return
				}
				if e == nil {
					var err error
					if e, err = dial(ctx, t, raw); err != nil {
						if ctx.Err() == nil {
							errs.Add(1)
							time.Sleep(10 * time.Millisecond) // a refused connection must not spin
						}
						continue
					}
				}
				t0 := time.Now()
				resp, err := e.roundTrip(requestTimeout, nil)
				took := time.Since(t0)
				if resp != nil {
					requests.Add(1)
					lat = append(lat, took)
					if resp.StatusCode < 200 || resp.StatusCode > 299 {
						errs.Add(1)
					}
				}
				if err != nil {
					if resp == nil && ctx.Err() == nil {
						errs.Add(1)
					}
					e.close()
					e = nil
				}
			}
		})
	}
	wg.Wait()
	res := loadResult{Requests: requests.Load(), Errors: errs.Load(), Duration: time.Since(start), latencies: all}
	slices.Sort(all)
	res.setPercentiles(all)
	return res, nil
}

// percentile is the p-th percentile of sorted by nearest rank: the smallest value that at
// least p percent of the values are at or below.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// The rank is ceil(n*p/100); the nudge keeps float noise (1000*99.9/100 is a hair above
	// 999) from moving it up one.
	rank := int(math.Ceil(float64(len(sorted))*p/100 - 1e-9))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
