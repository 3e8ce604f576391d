package main

// The report: the machine and the command, the table of every phase, the seeding and the CLI
// timings, and each of the performance targets as met or missed by how much. Markdown, to paste into
// bench/RESULTS.md, or JSON with -json.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// machine is what the figures were measured on.
type machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	Go     string `json:"go"`
	Kernel string `json:"kernel"`
	// Source is the commit connectfed was built from, when the harness built it.
	Source string `json:"source,omitempty"`
	// LoadAverage is /proc/loadavg's 1-minute figure when the run began: other work on the
	// machine makes every figure noisier.
	LoadAverage string `json:"loadAverage,omitempty"`
}

func describeMachine(ctx context.Context) machine {
	m := machine{CPU: "unknown CPU", Cores: runtime.NumCPU(), Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAverage, _, _ = strings.Cut(string(b), " ")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}

// describeSource names the commit at root, and says when tracked files differ from it.
func describeSource(ctx context.Context, root string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	s := "commit " + strings.TrimSpace(string(out))
	if dirty, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(dirty) > 0 {
		s += " with uncommitted changes"
	}
	return s
}

type report struct {
	Command     string        `json:"command"`
	Machine     machine       `json:"machine"`
	LoadGen     string        `json:"loadGenerator"`
	Duration    time.Duration `json:"durationNs"`
	Warmup      time.Duration `json:"warmupNs"`
	Connections int           `json:"connections"`
	// Slices is how many alternating slices each closed-loop measurement was cut into.
	Slices int `json:"slices,omitempty"`
	// RateSlices is the same for each open-loop rate (-rates).
	RateSlices int `json:"rateSlices,omitempty"`
	// BareWork is -bare-work: the bare handler's CPU per request, when it is a probe.
	BareWork time.Duration `json:"bareWorkNs,omitempty"`
	Phases   []phase       `json:"phases"`
	Compare  *compareRun   `json:"compare,omitempty"`
	Seed     *seedStats    `json:"seed,omitempty"`
	CLI      *cliStats     `json:"cli,omitempty"`
	Replicas *replicasRun  `json:"replicas,omitempty"`
	Targets  []verdict     `json:"targets"`
	// previous is the run -previous names, whose figures the tables set beside these.
	previous *report
}

// verdict is one of the performance targets and how the run fared.
type verdict struct {
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

func (r *report) writeJSON(w io.Writer) error {
	r.Targets = r.verdicts()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

func (r *report) writeMarkdown(w io.Writer) {
	r.Targets = r.verdicts()
	fmt.Fprintf(w, "Command: `%s`\n\n", r.Command)
	src := ""
	if r.Machine.Source != "" {
		src = "; connectfed at " + r.Machine.Source
	}
	fmt.Fprintf(w, "Machine: %s, %d cores, %s, %s%s; load average %s when the run began\n\n",
		r.Machine.CPU, r.Machine.Cores, r.Machine.Go, r.Machine.Kernel, src, r.Machine.LoadAverage)
	measured := fmt.Sprintf("%s measured after %s of warm-up", r.Duration, r.Warmup)
	if r.Slices > 1 {
		measured = fmt.Sprintf("%s measured on each server after %s of warm-up, in %d slices of %s that alternate between the two\n"+
			"(one each way in turn), so that the machine's drift from one minute to the next falls on both alike",
			r.Duration, r.Warmup, r.Slices, r.Duration/time.Duration(r.Slices))
	}
	fmt.Fprintf(w, "Load: %s; %s; the request is signed once per run and replayed.\n", r.LoadGen, measured)
	if r.Compare != nil {
		fmt.Fprintln(w)
		r.Compare.writeMarkdown(w)
		return
	}
	fmt.Fprint(w, "Peak RSS is the server's VmHWM over the measured run; CPU/request its user and system CPU time over the run\n"+
		"divided by its requests. The bare server answers the same status, Content-Type,\n"+
		"header sizes and body size as connectfed.\n\n")
	if r.BareWork > 0 {
		fmt.Fprintf(w, "**The bare handler here is a probe, not the baseline:** it spends %s of CPU on each request before\n"+
			"answering (-bare-work), to show what a handler may cost for connectfed to reach a ratio.\n\n", r.BareWork)
	}

	prevHeader, prevRule := "", ""
	if r.previous != nil {
		prevHeader, prevRule = " Previous run: requests/s, connectfed/bare |", "---:|"
	}
	fmt.Fprintln(w, "| Store | Scenario | Server | Requests/s | p50 | p99 | p99.9 | Errors | Peak RSS | CPU/request | connectfed/bare |"+prevHeader)
	fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"+prevRule)
	for i, p := range r.Phases {
		for _, row := range p.Rows {
			sc := fmt.Sprintf("%s (%s B)", row.Scenario, thousands(row.BodyBytes))
			prevCF, prevBare := r.previousCells(i, row.Scenario)
			fmt.Fprintf(w, "| %s | %s | connectfed | %s | %s |%s\n", p.Name, sc, cells(row.Connectfed), fmt.Sprintf("%.2f", row.Ratio()), prevCF)
			fmt.Fprintf(w, "| | | bare | %s | |%s\n", cells(row.Bare), prevBare)
		}
	}
	fmt.Fprintln(w)
	r.writeRates(w)
	if s := r.Seed; s != nil {
		fmt.Fprintf(w, "Seeding (-scale): %s Connect users and %s access keys (%s IAM users) written straight into the SQLite file "+
			"with the store's bulk methods in %s (the file is then %s).\n\n",
			thousands(s.ConnectUsers), thousands(s.AccessKeys), thousands(s.IAMUsers), s.Took.Round(10*time.Millisecond), megabytes(s.FileBytes))
	}
	if c := r.CLI; c != nil {
		fmt.Fprintf(w, "CLI (-cli), median of %d runs each, against the server above, as the role session:\n\n", c.Runs)
		fmt.Fprintln(w, "| Command | Median | Runs |")
		fmt.Fprintln(w, "|---|---:|---|")
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", c.ConnectfedCmd, ms(c.Connectfed), runsList(c.ConnectfedRuns))
		fmt.Fprintf(w, "| `%s` | %s | %s |\n\n", c.AWSCLICmd, ms(c.AWSCLI), runsList(c.AWSCLIRuns))
		fmt.Fprintf(w, "The AWS CLI: %s. connectfed/aws: %.3f (1/%.0f).\n\n", c.AWS, c.Ratio(), 1/c.Ratio())
	}
	if r.Replicas != nil {
		r.writeReplicas(w)
	}
	fmt.Fprintln(w, "Targets:")
	fmt.Fprintln(w)
	for _, v := range r.Targets {
		state := "**missed**"
		if v.Met {
			state = "met"
		}
		fmt.Fprintf(w, "- %s: %s — %s\n", v.Target, v.Measured, state)
	}
	// The run itself, for the next run's -previous.
	if b, err := json.Marshal(r); err == nil {
		fmt.Fprintf(w, "\n<details><summary>This run as JSON (go run ./bench -previous bench/RESULTS.md sets its figures beside the next run's)</summary>\n\n%s%s\n```\n\n</details>\n", jsonFence, b)
	}
}

// previousCells are the previous run's figures for the scenario in the phase at index i, as
// the extra cells of connectfed's row and the bare server's: empty without -previous, "–"
// where that run did not measure it.
func (r *report) previousCells(i int, scenario string) (cf, bare string) {
	if r.previous == nil {
		return "", ""
	}
	if i < len(r.previous.Phases) {
		for _, x := range r.previous.Phases[i].Rows {
			if x.Scenario == scenario {
				return fmt.Sprintf(" %s, %.2f |", rps(x.Connectfed.loadResult), x.Ratio()), fmt.Sprintf(" %s |", rps(x.Bare.loadResult))
			}
		}
	}
	return " – |", " – |"
}

// jsonFence opens the block of the report's own JSON at the end of its Markdown, which
// -previous reads back.
const jsonFence = "```json connectfed-bench\n"

// readPrevious reads the report in file: the JSON -json writes, or the Markdown this harness
// writes (RESULTS.md), from the JSON block at its end.
func readPrevious(file string) (*report, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("-previous: %w", err)
	}
	if _, after, ok := strings.Cut(string(b), jsonFence); ok {
		body, _, _ := strings.Cut(after, "```")
		b = []byte(body)
	} else if prev, ok := parseTable(string(b)); ok {
		return prev, nil // a report from before the JSON block: its table
	}
	var prev report
	if err := json.Unmarshal(b, &prev); err != nil {
		return nil, fmt.Errorf("-previous %s: neither a -json report nor a Markdown one with its JSON block: %w", file, err)
	}
	return &prev, nil
}

// parseTable reads the requests/s of a Markdown report without its JSON (RESULTS.md before
// -previous existed): each phase's rows, from "| phase | scenario (n B) | connectfed | r/s |"
// and the "| | | bare | r/s |" after it.
func parseTable(md string) (*report, bool) {
	var prev report
	count := func(cell string) (int64, bool) {
		n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(cell), ",", ""), 10, 64)
		return n, err == nil
	}
	for line := range strings.SplitSeq(md, "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) < 4 {
			continue
		}
		server := strings.TrimSpace(cells[2])
		n, ok := count(cells[3])
		if !ok {
			continue
		}
		f := figures{loadResult: loadResult{Requests: n, Duration: time.Second}}
		switch {
		case server == "connectfed" && strings.TrimSpace(cells[0]) != "":
			name := strings.TrimSpace(cells[0])
			if len(prev.Phases) == 0 || prev.Phases[len(prev.Phases)-1].Name != name {
				prev.Phases = append(prev.Phases, phase{Name: name})
			}
			scenario, _, _ := strings.Cut(strings.TrimSpace(cells[1]), " (")
			ph := &prev.Phases[len(prev.Phases)-1]
			ph.Rows = append(ph.Rows, row{Scenario: scenario, Connectfed: f})
		case server == "bare" && len(prev.Phases) > 0:
			ph := &prev.Phases[len(prev.Phases)-1]
			if len(ph.Rows) > 0 {
				ph.Rows[len(ph.Rows)-1].Bare = f
			}
		}
	}
	return &prev, len(prev.Phases) > 0
}

// writeRates prints the open-loop runs (-rates) and the highest rates found (-find-rate), each
// row under the store of its phase.
func (r *report) writeRates(w io.Writer) {
	type rated struct {
		store string
		rateRow
	}
	type found struct {
		store string
		*sustained
	}
	var rates []rated
	var sustainedRates []found
	for _, p := range r.Phases {
		for _, x := range p.Rows {
			for _, rr := range x.Rates {
				rates = append(rates, rated{p.Name, rr})
			}
			if x.Sustained != nil {
				sustainedRates = append(sustainedRates, found{p.Name, x.Sustained})
			}
		}
	}
	if len(rates) > 0 {
		how := "requests leave on schedule whatever the answers, so queueing shows in the latencies"
		if r.RateSlices > 1 {
			how += fmt.Sprintf("; each rate for %s on each server, in %d slices that alternate between the two", r.Duration, r.RateSlices)
		}
		fmt.Fprintf(w, "Open loop (vegeta; %s):\n", how)
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| Store | Scenario | Offered/s | Server | Achieved/s | p50 | p99 | p99.9 | Errors | p99 connectfed/bare |")
		fmt.Fprintln(w, "|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
		for _, x := range rates {
			fmt.Fprintf(w, "| %s | %s | %s | connectfed | %s | %s | %s | %s | %s | %.2f |\n", x.store, x.Scenario, thousands(x.Rate),
				thousands(int(x.Connectfed.Achieved)), ms(x.Connectfed.P50), ms(x.Connectfed.P99), ms(x.Connectfed.P999),
				thousands(int(x.Connectfed.Errors)), x.P99Ratio())
			fmt.Fprintf(w, "| | | | bare | %s | %s | %s | %s | %s | |\n", thousands(int(x.Bare.Achieved)), ms(x.Bare.P50),
				ms(x.Bare.P99), ms(x.Bare.P999), thousands(int(x.Bare.Errors)))
		}
		fmt.Fprintln(w)
	}
	if len(sustainedRates) > 0 {
		fmt.Fprintln(w, "Highest open-loop rate with p99 under the bound and no errors (-find-rate):")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| Store | Scenario | connectfed | bare |")
		fmt.Fprintln(w, "|---|---|---:|---:|")
		for _, f := range sustainedRates {
			fmt.Fprintf(w, "| %s | %s | %s/s | %s/s |\n", f.store, f.Scenario, thousands(f.Connectfed), thousands(f.Bare))
		}
		fmt.Fprintln(w)
	}
}

// cells are the columns of one server's figures, Requests/s to CPU/request.
func cells(f figures) string {
	rss := megabytes(f.PeakRSS)
	if f.PeakSinceStart {
		rss += " (since start)"
	}
	cpu := "–"
	if f.CPUPerRequest > 0 {
		cpu = fmt.Sprintf("%.1f µs", float64(f.CPUPerRequest)/float64(time.Microsecond))
	}
	return fmt.Sprintf("%s | %s | %s | %s | %s | %s | %s", rps(f.loadResult), ms(f.P50), ms(f.P99), ms(f.P999), thousands(int(f.Errors)), rss, cpu)
}

// verdicts judges the run against the performance targets. What the run did not measure is left
// out.
// throughputTargets are the fractions of the bare handler's requests/s each scenario must reach.
var throughputTargets = []struct {
	scenario string
	ratio    float64
}{{"GetFederationToken", 0.8}, {"DescribeUser", 0.6}, {"DescribeInstance", 0.6}, {"ListUsers", 0.3}}

func (r *report) verdicts() []verdict {
	var out []verdict
	find := func(p phase, name string) (row, bool) {
		for _, x := range p.Rows {
			if x.Scenario == name {
				return x, true
			}
		}
		return row{}, false
	}
	if len(r.Phases) == 0 || r.BareWork > 0 { // a probe's ratios judge no target
		return nil
	}
	// Throughput against the bare handler, per scenario (issue 18's targets).
	for _, t := range throughputTargets {
		x, ok := find(r.Phases[0], t.scenario)
		if !ok {
			continue
		}
		ratio := x.Ratio()
		out = append(out, verdict{fmt.Sprintf("%s throughput >= %.1fx the bare handler's", t.scenario, t.ratio),
			fmt.Sprintf("%.3fx (%s vs %s req/s)%s", ratio, rps(x.Connectfed.loadResult), rps(x.Bare.loadResult),
				gap(ratio < t.ratio, fmt.Sprintf("; needs %.1f%% more throughput", (t.ratio/ratio-1)*100))), ratio >= t.ratio})
	}
	// At 5,000 requests a second, connectfed's p99 within twice the bare handler's.
	for _, p := range r.Phases[:1] {
		for _, x := range p.Rows {
			for _, rr := range x.Rates {
				if rr.Rate != 5000 || (x.Scenario != "GetFederationToken" && x.Scenario != "DescribeUser") {
					continue
				}
				out = append(out, verdict{x.Scenario + " p99 <= 2x the bare handler's at 5,000 requests/s, open loop",
					fmt.Sprintf("%s vs %s, %.2fx", ms(rr.Connectfed.P99), ms(rr.Bare.P99), rr.P99Ratio()), rr.P99Ratio() <= 2 && rr.Connectfed.Errors == 0})
			}
		}
	}
	var errs int64
	var peak int64
	for _, p := range r.Phases {
		for _, x := range p.Rows {
			errs += x.Connectfed.Errors
			peak = max(peak, x.Connectfed.PeakRSS)
		}
	}
	out = append(out, verdict{"no errors under load (connectfed, every scenario)", thousands(int(errs)) + " errors", errs == 0})
	if len(r.Phases) > 1 {
		for _, big := range r.Phases[1].Rows {
			small, ok := find(r.Phases[0], big.Scenario)
			if !ok || small.Ratio() == 0 {
				continue
			}
			// Each phase's throughput is taken against the bare handler measured in turn with
			// it: the bare handler's answer does not depend on the store, so it gauges how fast
			// the machine was during the phase, and the store's size is what is left.
			rel := big.Ratio() / small.Ratio()
			raw := big.Connectfed.RPS() / small.Connectfed.RPS()
			out = append(out, verdict{"the store with " + r.Phases[1].Name + " within 10% of the small store's throughput (" + big.Scenario + "), each against the bare handler measured with it",
				fmt.Sprintf("%.1f%% of it (%.3fx the bare handler vs %.3fx; in requests/s %s vs %s, %.1f%%)", rel*100, big.Ratio(), small.Ratio(),
					rps(big.Connectfed.loadResult), rps(small.Connectfed.loadResult), raw*100), rel >= 0.9})
		}
	}
	out = append(out, verdict{"server RSS < 150 MB during the run", megabytes(peak) + " at its peak" +
		gap(peak >= 150e6, "; over by "+megabytes(peak-150e6)), peak < 150e6})
	if v, ok := r.replicasVerdict(); ok {
		out = append(out, v)
	}
	if c := r.CLI; c != nil && c.AWSCLI > 0 {
		out = append(out, verdict{"connectfed's CLI under a tenth of the AWS CLI's wall time",
			fmt.Sprintf("%s vs %s, %.3f", ms(c.Connectfed), ms(c.AWSCLI), c.Ratio()), c.Ratio() < 0.1})
	}
	return out
}

// rps is a run's requests per second, rounded, with separators.
func rps(r loadResult) string { return thousands(int(r.RPS() + 0.5)) }

func gap(missed bool, s string) string {
	if missed {
		return s
	}
	return ""
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func megabytes(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func runsList(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond))
	}
	return strings.Join(parts, ", ") + " ms"
}

// thousands writes n with comma separators: 1,000,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
