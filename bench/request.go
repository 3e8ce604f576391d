package main

// The requests the harness replays: each scenario's path, signed once with the SDK's SigV4
// signer as the role session; the raw HTTP/1.1 bytes a load generator writes; and one round
// trip on a connection, shared by the Go load generator and the reference fetch so that both
// see exactly what a load run sees.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// scenario is one operation under load.
type scenario struct {
	Name string
	path func(fx fixture) string
}

var scenarios = []scenario{
	{"GetFederationToken", func(fx fixture) string { return "/user/federate/" + fx.InstanceID }},
	{"DescribeUser", func(fx fixture) string { return "/users/" + fx.InstanceID + "/" + fx.AgentID }},
	{"DescribeInstance", func(fx fixture) string { return "/instance/" + fx.InstanceID }},
	{"ListUsers", func(fx fixture) string { return "/users-summary/" + fx.InstanceID + "?maxResults=100" }},
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, sc := range scenarios {
		names[i] = sc.Name
	}
	return names
}

// pickScenarios are the scenarios a -scenarios list names, in the harness's order: all of them
// for an empty list.
func pickScenarios(list string) ([]scenario, error) {
	if list == "" {
		return scenarios, nil
	}
	want := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(scenarioNames(), name) {
			return nil, fmt.Errorf("-scenarios: no scenario %q (want some of %s)", name, strings.Join(scenarioNames(), ", "))
		}
		want[name] = true
	}
	var out []scenario
	for _, sc := range scenarios {
		if want[sc.Name] {
			out = append(out, sc)
		}
	}
	return out, nil
}

// target is one request to replay: a GET of url with these headers.
type target struct {
	url    *url.URL
	header http.Header
}

// emptySHA256 is the payload hash of a GET.
var emptySHA256 = func() string { s := sha256.Sum256(nil); return hex.EncodeToString(s[:]) }()

// signedTarget signs GET endpoint+path as c for the connect service, now.
func signedTarget(ctx context.Context, endpoint, path string, c aws.Credentials) (target, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+path, nil)
	if err != nil {
		return target{}, err
	}
	if err := v4.NewSigner().SignHTTP(ctx, c, r, emptySHA256, "connect", region, time.Now()); err != nil {
		return target{}, fmt.Errorf("sign %s: %w", path, err)
	}
	return target{url: r.URL, header: r.Header}, nil
}

// rawRequest is the request as a load generator writes it. The signature covers Host, which
// is the URL's, as wrk and every HTTP client send it.
func (t target) rawRequest() []byte {
	var b strings.Builder
	b.WriteString("GET " + t.url.RequestURI() + " HTTP/1.1\r\nHost: " + t.url.Host + "\r\n")
	for _, k := range slices.Sorted(maps.Keys(t.header)) {
		for _, v := range t.header[k] {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// exchange is one request and its answer on a kept-alive connection.
type exchange struct {
	conn net.Conn
	r    *bufio.Reader
	raw  []byte
}

func dial(ctx context.Context, t target, raw []byte) (*exchange, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.url.Host)
	if err != nil {
		return nil, err
	}
	return &exchange{conn: c, r: bufio.NewReaderSize(c, 32<<10), raw: raw}, nil
}

// roundTrip writes the request and reads the whole answer. keep, when not nil, receives the
// body; otherwise it is discarded.
func (e *exchange) roundTrip(timeout time.Duration, keep io.Writer) (*http.Response, error) {
	if err := e.conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	if _, err := e.conn.Write(e.raw); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(e.r, nil)
	if err != nil {
		return nil, err
	}
	if keep == nil {
		keep = io.Discard
	}
	_, err = io.Copy(keep, resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.Close {
		return resp, errConnClosed
	}
	return resp, nil
}

var errConnClosed = fmt.Errorf("the server closed the connection")

func (e *exchange) close() { e.conn.Close() }

// answer is a reference response: what the server sends for a target.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
	// Wire is the size of the whole response on the wire: status line, headers and body.
	Wire int64
	// Chunked says the body came in chunks, without a Content-Length.
	Chunked bool
}

// fetch makes one request for t on a new connection and returns the answer.
func fetch(ctx context.Context, t target) (answer, error) {
	cr := &countingReader{}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.url.Host)
	if err != nil {
		return answer{}, err
	}
	defer c.Close()
	cr.r = c
	e := &exchange{conn: c, r: bufio.NewReader(cr), raw: t.rawRequest()}
	var body strings.Builder
	resp, err := e.roundTrip(30*time.Second, &body)
	if err != nil && err != errConnClosed {
		return answer{}, fmt.Errorf("GET %s: %w", t.url.Path, err)
	}
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: []byte(body.String()), Wire: cr.n - int64(e.r.Buffered()),
		Chunked: len(resp.TransferEncoding) > 0}, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
