package main

// Alternating slices: the servers of a measurement (connectfed and the bare server, or A and
// B of -compare) are driven in turn, a slice each (A B, B A, A B, ...), rather than one long
// run after the other. On a shared machine whose speed drifts by 10-50% from one minute to the
// next, back-to-back runs measure the drift as much as the servers; slices interleaved within
// seconds see the same drift on every side.

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// sliceResult is one server's measured slice: what the load generator saw, and the server's
// CPU time over it (cpuKnown is false where /proc does not say).
type sliceResult struct {
	loadResult
	cpu      time.Duration
	cpuKnown bool
}

// alternate warms each server up with its target, then measures them in n rounds of one slice
// each, of d/n, in alternating order, and returns each server's slices in order. Each server's
// peak RSS is reset before its first slice, so that it covers the measured slices only.
func alternate(ctx context.Context, o options, load loadGen, procs []*proc, targets []target, d time.Duration, n int) ([][]sliceResult, error) {
	for i, p := range procs {
		if o.warmup > 0 {
			if _, err := load.run(ctx, targets[i], o.warmup); err != nil {
				return nil, fmt.Errorf("warm-up of %s: %w", p.name, err)
			}
		}
	}
	for _, p := range procs {
		p.resetPeakRSS()
	}
	out := make([][]sliceResult, len(procs))
	for round := range n {
		for k := range procs {
			i := k
			if round%2 == 1 {
				i = len(procs) - 1 - k // A B, B A: a drift within a round favours neither
			}
			p := procs[i]
			before, cpuErr := p.cpuTime()
			res, err := load.run(ctx, targets[i], d/time.Duration(n))
			if err != nil {
				return nil, fmt.Errorf("load on %s: %w", p.name, err)
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := p.alive(); err != nil {
				return nil, err
			}
			s := sliceResult{loadResult: res}
			if after, err := p.cpuTime(); cpuErr == nil && err == nil {
				s.cpu, s.cpuKnown = after-before, true
			}
			out[i] = append(out[i], s)
		}
	}
	return out, nil
}

// merged is one server's slices as a single run: requests, errors and time summed, the
// percentiles those of every latency of every slice (exact: the slices keep their latencies),
// and CPU per request over them all.
func merged(parts []sliceResult) (loadResult, time.Duration) {
	var res loadResult
	var all []time.Duration
	var cpu time.Duration
	cpuKnown := len(parts) > 0
	for _, s := range parts {
		res.Requests += s.Requests
		res.Errors += s.Errors
		res.Duration += s.Duration
		all = append(all, s.latencies...)
		cpu += s.cpu
		cpuKnown = cpuKnown && s.cpuKnown
	}
	if len(parts) == 1 && len(all) == 0 { // a generator that keeps no latencies (wrk): one slice
		res.P50, res.P99, res.P999 = parts[0].P50, parts[0].P99, parts[0].P999
	} else {
		slices.Sort(all)
		res.setPercentiles(all)
	}
	if !cpuKnown || res.Requests == 0 {
		return res, 0
	}
	return res, cpu / time.Duration(res.Requests)
}
