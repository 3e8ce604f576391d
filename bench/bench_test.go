package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/connectfed/connectfed/internal/connect"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/server"
	"github.com/connectfed/connectfed/internal/store/sealed"
	"github.com/connectfed/connectfed/internal/store/sqlite"
	"github.com/connectfed/connectfed/internal/token"
)

// startConnectfedInProcess runs connectfed's server in this process on a fresh SQLite store
// (wired as internal/server's test harness wires it) and returns its URL and root
// credentials.
func startConnectfedInProcess(t *testing.T) (string, aws.Credentials) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), sqliteFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ids := identity.New(st, time.Now, 0)
	if err := ids.EnsureAccount(ctx, "123456789012"); err != nil {
		t.Fatal(err)
	}
	root, err := ids.NewRootKey(ctx, "123456789012")
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := secrets.New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := token.NewIssuer(ctx, sealed.Wrap(st, sealer), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	conn := connect.New(st, tokens, ids, connect.Config{SignInBase: "http://" + ts.Listener.Addr().String()}, time.Now)
	ts.Config.Handler = server.New(server.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, ids, conn)
	ts.Start()
	t.Cleanup(ts.Close)
	return ts.URL, aws.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}
}

// The bare baseline must answer exactly as many bytes as connectfed does for the same
// request: the same status and Content-Type, and the same body size and size on the wire.
func TestBareAnswersAsManyBytesAsConnectfed(t *testing.T) {
	ctx := context.Background()
	endpoint, root := startConnectfedInProcess(t)
	fx, err := provision(ctx, endpoint, root, 0)
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := signedTarget(ctx, endpoint, scenarios[0].path(fx), fx.Session)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := fetch(ctx, tgt)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Status != http.StatusOK || !bytes.Contains(ref.Body, []byte("AccessToken")) {
		t.Fatalf("GetFederationToken: %d %s", ref.Status, ref.Body)
	}

	bare := httptest.NewServer(specOf(ref).handler())
	defer bare.Close()
	sameRequest := *tgt.url
	sameRequest.Host = bare.Listener.Addr().String()
	got, err := fetch(ctx, target{url: &sameRequest, header: tgt.header})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != ref.Status || got.Header.Get("Content-Type") != ref.Header.Get("Content-Type") ||
		len(got.Body) != len(ref.Body) || got.Wire != ref.Wire {
		t.Errorf("bare answers %d %q, %d body bytes, %d on the wire; connectfed %d %q, %d, %d",
			got.Status, got.Header.Get("Content-Type"), len(got.Body), got.Wire,
			ref.Status, ref.Header.Get("Content-Type"), len(ref.Body), ref.Wire)
	}
	if !json.Valid(got.Body) {
		t.Errorf("the bare body is not JSON: %.80s", got.Body)
	}
	if bytes.Contains(got.Body, []byte("cfa1_")) {
		t.Error("the bare body carries connectfed's token")
	}
}

// The Go load generator counts every answer, counts non-2xx answers as errors, and takes its
// percentiles by nearest rank over every latency.
func TestGoLoadCountsErrorsAndPercentiles(t *testing.T) {
	var n atomic.Int64
	const slow = 100 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		i := n.Add(1)
		if i%100 == 0 { // 1% slow: the four slowest of 400, beyond p99 but within p99.9
			time.Sleep(slow)
		}
		if i%4 == 0 {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	tgt, err := signedTarget(context.Background(), srv.URL, "/x", aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	g := &goLoad{conns: 4, maxRequests: 400}
	res, err := g.run(context.Background(), tgt, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 400 || res.Errors != 100 {
		t.Errorf("%d requests, %d errors; want 400 and 100", res.Requests, res.Errors)
	}
	if res.P50 >= slow || res.P99 >= slow || res.P999 < slow {
		t.Errorf("p50 %s, p99 %s, p99.9 %s; want the first two under %s and p99.9 at least that", res.P50, res.P99, res.P999, slow)
	}
	if res.RPS() <= 0 {
		t.Errorf("%f requests/s", res.RPS())
	}
}

func TestPercentileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i))
	}
	for p, want := range map[float64]time.Duration{50: 500, 99: 990, 99.9: 999, 100: 1000, 0.01: 1} {
		if got := percentile(d, p); got != want {
			t.Errorf("p%v of 1..1000 = %d, want %d", p, got, want)
		}
	}
	if got := percentile(d[:1], 99.9); got != 1 {
		t.Errorf("p99.9 of one value = %d", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %d", got)
	}
}

func TestPadJSON(t *testing.T) {
	for _, n := range []int{10, 11, 541, 28148} {
		b := padJSON(n)
		if len(b) != n || !json.Valid(b) {
			t.Errorf("padJSON(%d): %d bytes, valid %v", n, len(b), json.Valid(b))
		}
	}
}

func TestWrkScriptCarriesTheHeaders(t *testing.T) {
	tgt, err := signedTarget(context.Background(), "http://127.0.0.1:1", "/user/federate/x",
		aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "s", SessionToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := wrkScript(tgt)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
		if !bytes.Contains([]byte(s), []byte("wrk.headers[ [==["+h+"]==] ] = [==["+tgt.header.Get(h)+"]==]")) {
			t.Errorf("the script does not set %s:\n%s", h, s)
		}
	}
}

func TestScenariosFlag(t *testing.T) {
	o, err := parseFlags([]string{"-scenarios", "ListUsers, GetFederationToken"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sc := range o.only {
		names = append(names, sc.Name)
	}
	if want := []string{"GetFederationToken", "ListUsers"}; !slices.Equal(names, want) {
		t.Errorf("-scenarios ListUsers,GetFederationToken runs %v, want %v (the harness's order)", names, want)
	}
	if o, err = parseFlags(nil, io.Discard); err != nil || len(o.only) != len(scenarios) {
		t.Errorf("no -scenarios: %d scenarios, err %v; want all %d", len(o.only), err, len(scenarios))
	}
	if _, err := parseFlags([]string{"-scenarios", "DescribeUsers"}, io.Discard); err == nil || !strings.Contains(err.Error(), `no scenario "DescribeUsers"`) {
		t.Errorf("a misspelt scenario: err %v, want one naming it", err)
	}
}

// cpuTime reads what /proc says the process used: it grows as the process burns CPU.
func TestCPUTimeGrowsWithWork(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here:", err)
	}
	p := selfProcs(t, "self")[0]
	before, err := p.cpuTime()
	if err != nil {
		t.Fatal(err)
	}
	busy0, all0, err := machineCPU()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		for i := range 1_000_000 {
			sum += i
		}
		after, err := p.cpuTime()
		if err != nil {
			t.Fatal(err)
		}
		if after-before >= 50*time.Millisecond {
			// The machine was busy at least as long as this process, and it has been.
			busy1, all1, err := machineCPU()
			if err != nil {
				t.Fatal(err)
			}
			if busy1-busy0 < after-before-20*time.Millisecond || all1-all0 < busy1-busy0 {
				t.Errorf("the machine: busy %s of %s while this process ran %s", busy1-busy0, all1-all0, after-before)
			}
			return
		}
	}
	t.Errorf("10 s of work on one thread, and cpuTime did not grow by 50 ms (sum %d)", sum)
}

// The balancer sends each connection to the next replica in turn and passes the request
// through as it came, Host included (the signature covers it); once closed, it takes no
// connection.
func TestBalancerTakesTurns(t *testing.T) {
	var backends []string
	for _, name := range []string{"a", "b"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, name+" "+r.Host+" "+r.Header.Get("Authorization"))
		}))
		t.Cleanup(srv.Close)
		backends = append(backends, srv.URL)
	}
	b, err := startBalancer(backends)
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(b.endpoint, "http://")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}} // a connection per request
	var got []string
	for range 4 {
		req, _ := http.NewRequest(http.MethodGet, b.endpoint+"/x", nil)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 sig")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got = append(got, string(body))
	}
	want := []string{"a " + host + " AWS4-HMAC-SHA256 sig", "b " + host + " AWS4-HMAC-SHA256 sig"}
	if !slices.Equal(got, append(want, want...)) {
		t.Errorf("answers through the balancer: %q, want each replica in turn, the request unchanged: %q", got, want)
	}
	// A kept-alive connection stays with its replica.
	keep := &http.Client{}
	for range 3 {
		resp, err := keep.Get(b.endpoint + "/x")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.HasPrefix(string(body), "a ") {
			t.Errorf("a kept-alive connection reached %q, want replica a each time", body)
		}
	}
	b.close()
	if _, err := client.Get(b.endpoint + "/x"); err == nil {
		t.Error("the balancer answered after close")
	}
}

// Two replicas behind the balancer are judged against one behind it, on GetFederationToken.
func TestReplicasVerdict(t *testing.T) {
	run := func(n int, rps float64) replicaRow {
		return replicaRow{Replicas: n, Balanced: true, Scenario: "GetFederationToken", Busy: 0.9,
			Result: loadResult{Requests: int64(rps), Duration: time.Second}}
	}
	for _, c := range []struct {
		two  float64
		met  bool
		says string
	}{{16000, true, "1.60x"}, {14000, false, "1.40x"}} {
		r := &report{Replicas: &replicasRun{Rows: []replicaRow{run(1, 10000), run(2, c.two)}}}
		v, ok := r.replicasVerdict()
		if !ok || v.Met != c.met || !strings.HasPrefix(v.Measured, c.says) {
			t.Errorf("two replicas at %.0f req/s, one at 10,000: %+v (%v), want met %v, %s", c.two, v, ok, c.met, c.says)
		}
	}
	if _, ok := (&report{Replicas: &replicasRun{Rows: []replicaRow{run(1, 10000)}}}).replicasVerdict(); ok {
		t.Error("a verdict without the two-replica run")
	}
	for _, c := range []struct {
		row  replicaRow
		want string
	}{{replicaRow{Replicas: 1}, "1 replica, direct"}, {replicaRow{Replicas: 1, Balanced: true}, "1 replica behind the balancer"},
		{replicaRow{Replicas: 2, Balanced: true}, "2 replicas behind the balancer"}} {
		if got := c.row.setup(); got != c.want {
			t.Errorf("setup of %+v = %q, want %q", c.row, got, c.want)
		}
	}
}

// -replicas measures GetFederationToken and DescribeUser: a run whose -scenarios names neither
// would start replicas to measure nothing, and is refused.
func TestReplicasFlags(t *testing.T) {
	if _, err := parseFlags([]string{"-replicas", "-scenarios", "DescribeUser,ListUsers"}, io.Discard); err != nil {
		t.Errorf("-replicas with DescribeUser: %v", err)
	}
	for _, args := range [][]string{{"-replicas", "-scenarios", "ListUsers"}, {"-replicas", "-compare", "--audit=false"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
}

func TestComparisonRatios(t *testing.T) {
	var c comparison
	for i, rps := range [][2]float64{{100, 110}, {200, 180}, {100, 100}} {
		c.A.add(loadResult{Requests: int64(rps[0]), Duration: time.Second}, time.Duration(i+1)*time.Millisecond)
		c.B.add(loadResult{Requests: int64(rps[1]), Duration: time.Second}, time.Millisecond)
	}
	if got := c.Ratio(); got != 390.0/400 {
		t.Errorf("B/A over every slice = %v, want %v", got, 390.0/400)
	}
	if got, want := c.RoundRatios(), []float64{0.9, 1, 1.1}; !slices.Equal(got, want) {
		t.Errorf("B/A by round = %v, want %v (sorted)", got, want)
	}
	if got := c.A.CPUPerRequest(); got != 6*time.Millisecond/400 {
		t.Errorf("A's CPU per request = %s, want %s", got, 6*time.Millisecond/400)
	}
}

func TestCompareFlags(t *testing.T) {
	o, err := parseFlags([]string{"-compare", "--audit=false  --metrics=false", "-duration", "20s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := o.compareFlags(); !slices.Equal(got, []string{"--audit=false", "--metrics=false"}) {
		t.Errorf("compareFlags = %q", got)
	}
	for _, args := range [][]string{
		{"-compare", "--audit=false", "-slices", "1"},
		{"-compare", "--audit=false", "-duration", "2m"}, // twice the run and its warm-up outlast the signature
		{"-compare", "--audit=false", "-scale"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
}

// attack sends on schedule, open loop: at 200 a second for a second at most 200 requests,
// every refusal counted, the headers of the signed request on each.
func TestAttackKeepsTheRateAndCountsErrors(t *testing.T) {
	var n, signed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			signed.Add(1)
		}
		if n.Add(1)%10 == 0 {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	tgt, err := signedTarget(t.Context(), srv.URL, "/x", aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := attack(t.Context(), tgt, 200, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Never more than the schedule; fewer only if this machine starves the pacer, which a busy
	// CI machine may do for a moment, so the lower bound is loose.
	if f.Requests < 100 || f.Requests > 201 {
		t.Errorf("%d requests at 200/s for 1 s", f.Requests)
	}
	if f.Errors != n.Load()/10 || signed.Load() != n.Load() {
		t.Errorf("%d errors of %d answers (%d signed); want every tenth, all signed", f.Errors, n.Load(), signed.Load())
	}
	if f.P50 <= 0 || f.P99 < f.P50 || f.P999 < f.P99 {
		t.Errorf("percentiles p50 %s p99 %s p99.9 %s", f.P50, f.P99, f.P999)
	}
}

// selfProcs are procs named names that are all this test process: alternate reads their CPU
// time, liveness and peak RSS from /proc as it does a server's.
func selfProcs(t *testing.T, names ...string) []*proc {
	t.Helper()
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	procs := make([]*proc, len(names))
	for i, name := range names {
		procs[i] = &proc{name: name, cmd: &exec.Cmd{Process: self}}
	}
	return procs
}

// arrivals logs which of its test servers each request reached, in order.
type arrivals struct {
	mu    sync.Mutex
	names []string
}

// server is a test server named name that answers every request with code.
func (a *arrivals) server(name string, code int) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		a.mu.Lock()
		a.names = append(a.names, name)
		a.mu.Unlock()
		w.WriteHeader(code)
	}))
}

// turns are the servers in the order they were visited, a run of arrivals at one counting once:
// "a b a" for a, a, b, b, a.
func (a *arrivals) turns() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var turns []string
	for _, name := range a.names {
		if len(turns) == 0 || turns[len(turns)-1] != name {
			turns = append(turns, name)
		}
	}
	return strings.Join(turns, " ")
}

// The open loop at a fixed rate alternates between the two servers as the closed loop does
// (A, B, B, A), and each server's slices merge into its row.
func TestRatesAlternate(t *testing.T) {
	var log arrivals
	a, b := log.server("a", http.StatusOK), log.server("b", http.StatusOK)
	defer a.Close()
	defer b.Close()
	ta, err := signedTarget(t.Context(), a.URL, "/x", aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := ta.at(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	procs := selfProcs(t, "a", "b")
	o := options{rates: []int{100}, duration: time.Second, slices: 2}
	rows, _, err := ratesOf(t.Context(), o, "X", procs, func() (target, target, error) { return ta, tb, nil })
	if err != nil {
		t.Fatal(err)
	}
	// a's slice, b's two, a's second.
	if got := log.turns(); got != "a b a" {
		t.Errorf("servers in turn %q, want \"a b a\" (a, b, b, a)", got)
	}
	r := rows[0]
	for name, f := range map[string]rateFigures{"a": r.Connectfed, "b": r.Bare} {
		// Two half-second slices at 100/s: up to 100 requests, fewer if the pacer is starved.
		if f.Requests < 50 || f.Requests > 102 || f.Errors != 0 || f.P50 <= 0 || f.P99 < f.P50 || f.Achieved <= 0 {
			t.Errorf("%s: %+v", name, f)
		}
	}
}

// Slices of the open loop to one server go over the connections the earlier slices opened.
func TestOpenLoadKeepsItsConnections(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Context().Value(connKey{}))
	}))
	srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, conns.Add(1))
	}
	srv.Start()
	defer srv.Close()
	tgt, err := signedTarget(t.Context(), srv.URL, "/x", aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	l := newOpenLoad(10)
	defer l.close()
	for i := range 2 {
		if res, err := l.run(t.Context(), tgt, 300*time.Millisecond); err != nil || res.Requests == 0 || res.Errors != 0 {
			t.Fatalf("slice %d: %+v, %v", i, res, err)
		}
		if i == 0 && conns.Load() == 0 {
			t.Fatal("no connection in the first slice")
		}
	}
	// At 10 a second, answered at once, one connection carries every request of both slices.
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for two slices, want the first slice's one", n)
	}
}

type connKey struct{}

// A server that refuses everything sustains no rate (the search halves down to nothing); one
// that answers everything, every rate probed.
func TestFindRate(t *testing.T) {
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer refuse.Close()
	tgt, err := signedTarget(t.Context(), refuse.URL, "/x", aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := findRate(t.Context(), tgt, 50, 400, time.Second, 50*time.Millisecond); err != nil || got != 0 {
		t.Errorf("a server refusing everything sustains %d/s (%v), want 0", got, err)
	}

	// One that answers at once sustains every rate up to the ceiling (100, 200, 400 a second).
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer ok.Close()
	good, err := tgt.at(ok.URL)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := findRate(t.Context(), good, 100, 400, time.Second, 500*time.Millisecond); err != nil || got != 400 {
		t.Errorf("a server answering at once sustains %d/s (%v), want the ceiling, 400", got, err)
	}
}

// The search doubles until a rate fails, then halves the gap five times: against a server
// that holds up to 5,300/s, 1,000 2,000 4,000 8,000 (fails) 6,000 5,000 5,500 5,250 5,375.
func TestRateSearchSteps(t *testing.T) {
	s := newRateSearch(1000, 1_000_000)
	var probed []int
	for !s.done {
		rate := s.next()
		probed = append(probed, rate)
		s.record(rate <= 5300)
	}
	if got, want := fmt.Sprint(probed), "[1000 2000 4000 8000 6000 5000 5500 5250 5375]"; got != want {
		t.Errorf("probed %s, want %s", got, want)
	}
	if s.good != 5250 {
		t.Errorf("found %d/s, want 5250", s.good)
	}
}

// Two servers' searches take turns probe by probe (A B, B A, ...), rather than one whole
// search after the other.
func TestFindRatesTakeTurns(t *testing.T) {
	var log arrivals
	refuse, ok := log.server("refuse", http.StatusServiceUnavailable), log.server("ok", http.StatusOK)
	defer refuse.Close()
	defer ok.Close()
	tr, err := signedTarget(t.Context(), refuse.URL, "/x", aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	to, err := tr.at(ok.URL)
	if err != nil {
		t.Fatal(err)
	}
	found, err := findRates(t.Context(), []target{tr, to}, 50, 200, time.Second, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if found[0] != 0 || found[1] != 200 {
		t.Errorf("found %v, want [0 200]", found)
	}
	// ok's search (50, 100, 200/s) ends in round three; refuse's (50, 25, 12, 6, 3, 1/s) goes
	// on: ok's probes come between refuse's.
	if got, want := log.turns(), "refuse ok refuse ok refuse"; got != want {
		t.Errorf("probes in turn %q, want %q", got, want)
	}
}

func TestParseRates(t *testing.T) {
	if got, err := parseRates(" 1000, 5000,"); err != nil || !slices.Equal(got, []int{1000, 5000}) {
		t.Errorf("parseRates = %v, %v", got, err)
	}
	for _, bad := range []string{"0", "-5", "fast"} {
		if _, err := parseRates(bad); err == nil {
			t.Errorf("-rates %q accepted", bad)
		}
	}
}

// A report's Markdown carries its JSON, which -previous reads back; the next report sets the
// previous figures beside its own, and marks what the previous run did not measure.
func TestPreviousRunBesideTheNext(t *testing.T) {
	fig := func(n int64) figures {
		return figures{loadResult: loadResult{Requests: n, Duration: time.Second, P50: time.Millisecond, P99: 2 * time.Millisecond}}
	}
	old := &report{Command: "go run ./bench", Phases: []phase{{Name: "small store", Rows: []row{
		{Scenario: "GetFederationToken", Connectfed: fig(20_000), Bare: fig(40_000)}}}}}
	var md bytes.Buffer
	old.writeMarkdown(&md)
	file := filepath.Join(t.TempDir(), "RESULTS.md")
	if err := os.WriteFile(file, md.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	prev, err := readPrevious(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(prev.Phases) != 1 || prev.Phases[0].Rows[0].Connectfed.Requests != 20_000 {
		t.Fatalf("read back %+v", prev.Phases)
	}

	next := &report{Phases: []phase{{Name: "small store", Rows: []row{
		{Scenario: "GetFederationToken", Connectfed: fig(30_000), Bare: fig(40_000)},
		{Scenario: "DescribeInstance", Connectfed: fig(25_000), Bare: fig(40_000)}}}}, previous: prev}
	md.Reset()
	next.writeMarkdown(&md)
	out := md.String()
	for _, want := range []string{"Previous run: requests/s, connectfed/bare", "| 20,000, 0.50 |", "| 40,000 |", "| 0.62 | – |"} {
		if !strings.Contains(out, want) {
			t.Errorf("the next report lacks %q:\n%s", want, out)
		}
	}
	if _, err := readPrevious(filepath.Join(t.TempDir(), "missing.md")); err == nil {
		t.Error("a missing -previous file: no error")
	}
}

// A report from before the JSON block is read from its table.
func TestPreviousFromATableOnly(t *testing.T) {
	md := "| Store | Scenario | Server | Requests/s | p50 |\n|---|---|---|---:|---:|\n" +
		"| small store (101 Connect users) | GetFederationToken (1,261 B) | connectfed | 21,843 | 2.98 ms |\n" +
		"| | | bare | 28,424 | 2.06 ms |\n" +
		"| small store (101 Connect users) | ListUsers (28,148 B) | connectfed | 1,241 | 46.91 ms |\n" +
		"| | | bare | 17,879 | 3.18 ms |\n" +
		"| 1,000,000 Connect users | GetFederationToken (1,261 B) | connectfed | 18,147 | 3.65 ms |\n| | | bare | 29,806 | 1.99 ms |\n" +
		"| Command | Median | Runs |\n"
	file := filepath.Join(t.TempDir(), "RESULTS.md")
	if err := os.WriteFile(file, []byte(md), 0o600); err != nil {
		t.Fatal(err)
	}
	prev, err := readPrevious(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(prev.Phases) != 2 || len(prev.Phases[0].Rows) != 2 || prev.Phases[0].Rows[1].Scenario != "ListUsers" ||
		prev.Phases[0].Rows[1].Connectfed.Requests != 1241 || prev.Phases[0].Rows[1].Bare.Requests != 17879 ||
		prev.Phases[1].Rows[0].Connectfed.Requests != 18147 {
		t.Errorf("read %+v", prev.Phases)
	}
}

// -bare-work's burner spends at least about the CPU it was calibrated for on each call (the
// process's CPU time is the witness), nothing when asked for none, and a report of such a
// probe names it and judges no target.
func TestBareWorkSpendsItsCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here:", err)
	}
	if b := calibrate(0); b.rounds != 0 {
		t.Fatalf("calibrate(0) = %d rounds, want none", b.rounds)
	}
	const each, calls = 2 * time.Millisecond, 25
	b := calibrate(each)
	before, err := cpuTimeOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for range calls {
		b.spend()
	}
	after, err := cpuTimeOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Calibrated on its quickest trial, a call can only take longer than asked; half is
	// the margin for /proc's 10 ms ticks.
	if spent := after - before; spent < calls*each/2 {
		t.Errorf("%d calls of %s spent %s of CPU (%d rounds each)", calls, each, spent, b.rounds)
	}

	r := report{BareWork: 8 * time.Microsecond, Phases: []phase{{Name: "small", Rows: []row{{Scenario: "GetFederationToken"}}}}}
	var out strings.Builder
	r.writeMarkdown(&out)
	if !strings.Contains(out.String(), "spends 8µs of CPU on each request") || len(r.Targets) != 0 {
		t.Errorf("a probe's report: targets %v\n%s", r.Targets, out.String())
	}
}

// turnLoad is a load generator that answers at once and records which target each run drove,
// and for how long.
type turnLoad struct {
	runs []string
	took []time.Duration
}

func (l *turnLoad) run(_ context.Context, t target, d time.Duration) (loadResult, error) {
	l.runs, l.took = append(l.runs, t.url.Host), append(l.took, d)
	lat := []time.Duration{time.Duration(len(l.runs)) * time.Millisecond}
	return loadResult{Requests: 1, Duration: d, latencies: lat}, nil
}
func (l *turnLoad) describe() string     { return "turns" }
func (l *turnLoad) keepsLatencies() bool { return true }

// Alternating slices warm each server up once, then take turns A B, B A, A B, ..., each slice
// a share of the duration; a server's slices come back in order.
func TestAlternateTakesTurns(t *testing.T) {
	procs := selfProcs(t, "a", "b")
	targets := []target{{url: &url.URL{Host: "a"}}, {url: &url.URL{Host: "b"}}}
	l := &turnLoad{}
	o := options{warmup: time.Second}
	parts, err := alternate(t.Context(), o, l, procs, targets, 8*time.Second, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(l.runs, " "), "a b a b b a a b b a"; got != want {
		t.Errorf("runs %q, want %q (two warm-ups, then the slices)", got, want)
	}
	for i, d := range l.took[2:] {
		if d != 2*time.Second {
			t.Errorf("slice %d lasted %s, want 2s", i, d)
		}
	}
	// a's slices were runs 3, 6, 7 and 10 of the generator: their latencies say so.
	var order []int64
	for _, s := range parts[0] {
		order = append(order, s.latencies[0].Milliseconds())
	}
	if fmt.Sprint(order) != "[3 6 7 10]" || len(parts[1]) != 4 {
		t.Errorf("a's slices in order %v, b has %d", order, len(parts[1]))
	}
}

// A server's slices merge into one run: counts and time summed, percentiles over every latency
// of every slice, CPU per request over all of them (none when a slice's CPU is unknown); a
// single slice of a generator that keeps no latencies (wrk) keeps its own percentiles.
func TestMergedSlices(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	parts := []sliceResult{
		{loadResult: loadResult{Requests: 3, Errors: 1, Duration: time.Second, latencies: ms(1, 5, 9)}, cpu: 30 * time.Microsecond, cpuKnown: true},
		{loadResult: loadResult{Requests: 2, Duration: time.Second, latencies: ms(2, 100)}, cpu: 20 * time.Microsecond, cpuKnown: true},
	}
	res, cpu := merged(parts)
	if res.Requests != 5 || res.Errors != 1 || res.Duration != 2*time.Second || res.RPS() != 2.5 {
		t.Errorf("merged counts %+v", res)
	}
	if res.P50 != 5*time.Millisecond || res.P99 != 100*time.Millisecond || cpu != 10*time.Microsecond {
		t.Errorf("merged p50 %s p99 %s cpu/request %s, want 5ms 100ms 10µs", res.P50, res.P99, cpu)
	}
	parts[1].cpuKnown = false
	if _, cpu := merged(parts); cpu != 0 {
		t.Errorf("a slice without its CPU: %s a request, want none", cpu)
	}
	wrk := []sliceResult{{loadResult: loadResult{Requests: 10, Duration: time.Second, P50: 7, P99: 8, P999: 9}}}
	if res, _ := merged(wrk); res.P50 != 7 || res.P99 != 8 || res.P999 != 9 {
		t.Errorf("wrk's one run: %+v", res)
	}
}

// -slices: at least one; more than one measures two servers in turn on one signature, so the
// run and its warm-up, twice, must fit the signature's validity; one slice runs each server
// once, as long as the signature allows.
func TestSlicesFlag(t *testing.T) {
	for _, args := range [][]string{{"-slices", "0"}, {"-duration", "2m"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
	o, err := parseFlags([]string{"-slices", "1", "-duration", "3m"}, io.Discard)
	if err != nil || o.slices != 1 {
		t.Errorf("-slices 1 -duration 3m: %v (slices %d)", err, o.slices)
	}
}

// The 1,000,000-user store is judged against the small one each against the bare handler
// measured with it: a machine that slowed between the phases slows the bare handler too and
// is not the store's doing; a store that slows connectfed alone is.
func TestScaleVerdictGaugesTheMachine(t *testing.T) {
	phaseOf := func(name string, cf, bare int64) phase {
		fig := func(n int64) figures { return figures{loadResult: loadResult{Requests: n, Duration: time.Second}} }
		return phase{Name: name, Rows: []row{{Scenario: "DescribeUser", Connectfed: fig(cf), Bare: fig(bare)}}}
	}
	scale := func(v []verdict) verdict {
		for _, x := range v {
			if strings.Contains(x.Target, "within 10% of the small store") {
				return x
			}
		}
		t.Fatalf("no verdict on the store's size in %v", v)
		return verdict{}
	}
	slowMachine := report{Phases: []phase{phaseOf("small", 20000, 40000), phaseOf("1M", 10000, 20000)}}
	if v := scale(slowMachine.verdicts()); !v.Met || !strings.Contains(v.Measured, "100.0% of it") || !strings.Contains(v.Measured, "50.0%") {
		t.Errorf("the machine slowed, the store did not: %+v", v)
	}
	slowStore := report{Phases: []phase{phaseOf("small", 20000, 40000), phaseOf("1M", 16000, 40000)}}
	if v := scale(slowStore.verdicts()); v.Met || !strings.Contains(v.Measured, "80.0% of it") {
		t.Errorf("the store slowed connectfed alone: %+v", v)
	}
}

// The open-loop tables say which store each row was measured on, as the closed-loop table does.
func TestRatesTablesNameTheirStore(t *testing.T) {
	rowOn := func(rate, found int) row {
		return row{Scenario: "GetFederationToken", Rates: []rateRow{{Scenario: "GetFederationToken", Rate: rate}},
			Sustained: &sustained{Scenario: "GetFederationToken", Connectfed: found, Bare: found + 1}}
	}
	r := report{Phases: []phase{{Name: "small store", Rows: []row{rowOn(5000, 7000)}}, {Name: "1M users", Rows: []row{rowOn(5000, 6000)}}},
		Duration: 10 * time.Second, RateSlices: 10}
	var out strings.Builder
	r.writeRates(&out)
	for _, want := range []string{"each rate for 10s on each server, in 10 slices that alternate",
		"| small store | GetFederationToken | 5,000 | connectfed |", "| 1M users | GetFederationToken | 5,000 | connectfed |",
		"| small store | GetFederationToken | 7,000/s | 7,001/s |", "| 1M users | GetFederationToken | 6,000/s | 6,001/s |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
}
