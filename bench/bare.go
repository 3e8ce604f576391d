package main

// The bare baseline: a plain net/http handler that answers every request with a fixed
// response of exactly the size of connectfed's answer to the scenario's request (the same
// status, Content-Type, header names with values of the same lengths, and body length). It is
// the limit connectfed is compared with. It runs as a separate process (this binary started
// again with -bare-response) so that its peak RSS is measured the same way as connectfed's.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// bareSpec describes the bare answer. It holds sizes only: no token or id of connectfed's
// answer reaches the bare server.
type bareSpec struct {
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	// Headers are the answer's other headers, each value as its length; Date, and
	// Content-Length unless Chunked, net/http writes itself.
	Headers   map[string][]int `json:"headers"`
	BodyBytes int              `json:"bodyBytes"`
	Chunked   bool             `json:"chunked"`
	// Work is CPU the handler spends on each request before answering (-bare-work): a
	// probe of how much a handler may cost for a ratio to the plain bare server, not the
	// baseline itself.
	Work time.Duration `json:"workNs,omitempty"`
}

// specOf describes a: what the bare server must answer to match it byte for byte in size.
func specOf(a answer) bareSpec {
	s := bareSpec{Status: a.Status, ContentType: a.Header.Get("Content-Type"), Headers: map[string][]int{},
		BodyBytes: len(a.Body), Chunked: a.Chunked}
	for k, vs := range a.Header {
		switch k {
		case "Date", "Content-Type", "Content-Length":
			continue
		}
		for _, v := range vs {
			s.Headers[k] = append(s.Headers[k], len(v))
		}
	}
	return s
}

// padJSON is a JSON document of exactly n bytes, {"pad":"xxx..."}, for n of 10 or more (and
// n bytes of x below that).
func padJSON(n int) []byte {
	const open, end = `{"pad":"`, `"}`
	if n < len(open)+len(end) {
		return bytes.Repeat([]byte{'x'}, n)
	}
	b := append([]byte(open), bytes.Repeat([]byte{'x'}, n-len(open)-len(end))...)
	return append(b, end...)
}

// handler answers every request with the spec's response, built once.
func (s bareSpec) handler() http.Handler {
	body := bytes.Repeat([]byte{'x'}, s.BodyBytes)
	if strings.Contains(s.ContentType, "json") {
		body = padJSON(s.BodyBytes)
	}
	header := http.Header{}
	if s.ContentType != "" {
		header.Set("Content-Type", s.ContentType)
	}
	if !s.Chunked {
		header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	for k, lens := range s.Headers {
		for _, n := range lens {
			header[k] = append(header[k], strings.Repeat("x", n))
		}
	}
	burn := calibrate(s.Work)
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		burn.spend()
		h := w.Header()
		for k, v := range header {
			h[k] = v
		}
		w.WriteHeader(s.Status)
		w.Write(body)
	})
}

// burner spends a fixed amount of CPU on each call: rounds of SHA-256 over its own output,
// which no compiler can skip, as many as took the asked duration on this core at start.
type burner struct{ rounds int }

// burnSink keeps the burner's last hash alive, so its rounds are not dead code.
var burnSink atomic.Uint32

// calibrate returns a burner spending d a call, timed on the quickest of five trials so that a
// preempted trial does not make every later call cheaper than d. A zero d spends nothing.
func calibrate(d time.Duration) burner {
	if d <= 0 {
		return burner{}
	}
	const trial = 20_000
	best := time.Duration(math.MaxInt64)
	for range 5 {
		t0 := time.Now()
		burner{rounds: trial}.spend()
		best = min(best, time.Since(t0))
	}
	return burner{rounds: max(1, int(float64(trial)*float64(d)/float64(best)))}
}

func (b burner) spend() {
	if b.rounds == 0 {
		return
	}
	var h [sha256.Size]byte
	for range b.rounds {
		h = sha256.Sum256(h[:])
	}
	burnSink.Store(uint32(h[0]))
}

// serveBareFile is the bare server's process: it serves the spec in file on a free port of
// 127.0.0.1, says where on stdout, and stops when ctx ends (SIGTERM from the harness).
func serveBareFile(ctx context.Context, file string, stdout io.Writer) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var s bareSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.handler()}
	fmt.Fprintf(stdout, "bare listening on http://%s\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shut); err != nil {
			return err
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// bareLauncher starts bare servers as child processes of this binary.
type bareLauncher struct {
	tmp string
	n   int
	// work is -bare-work, given to every bare server this launcher starts.
	work time.Duration
}

func (l *bareLauncher) start(ctx context.Context, s bareSpec) (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bare server: %w", err)
	}
	s.Work = l.work
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	l.n++
	file := filepath.Join(l.tmp, fmt.Sprintf("bare-%d.json", l.n))
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return nil, err
	}
	return startProc(ctx, "bare server", self, []string{"-bare-response", file}, os.Environ())
}
