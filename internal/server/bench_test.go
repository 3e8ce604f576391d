package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/connectfed/connectfed/internal/audit"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/metrics"
	"github.com/connectfed/connectfed/internal/server"
	"github.com/connectfed/connectfed/internal/store/sqlite"
)

// BenchmarkGetFederationToken measures the warm hot path in process, without the network:
// SigV4 verification, the caller's principal, the IAM policy check (the documented policy, as
// compiled and cached), the instance and user lookups, minting three tokens and encoding the
// answer. The request is signed once and replayed, as a load generator does within the skew
// window. The off variant is the same path without the policy check, to price enforcement.
func BenchmarkGetFederationToken(b *testing.B) {
	for _, mode := range []identity.Enforcement{identity.EnforceOn, identity.EnforceOff} {
		b.Run("enforcement="+mode.String(), func(b *testing.B) { benchmarkGetFederationToken(b, mode) })
	}
}

// benchLogger logs at warn, as the bench harness runs serve: the request line at info is a
// price of its own, paid where the operator chose to log every request.
var benchLogger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))

func benchmarkGetFederationToken(b *testing.B, mode identity.Enforcement) {
	e := newEnvConfig(b, server.Config{Logger: benchLogger})
	e.ids.Enforce(mode, nil)
	admin := e.connect(e.root, "us-east-1")
	inst := newInstance(b, admin, "bench", ctypes.DirectoryTypeSaml)
	newAgent(b, admin, inst, "agent1")
	alice := e.newAgentUser("alice")
	session, _, err := assume(e, alice, e.newAgentRole(), "agent1", 0)
	if err != nil {
		b.Fatal(err)
	}
	req := e.signed(b, "connect", "GET", "/user/federate/"+inst, "", session)
	serve := func() {
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	serve() // warm the caches
	b.ReportAllocs()
	for b.Loop() {
		serve()
	}
}

// BenchmarkGetFederationTokenObserved is the same hot path with what serve adds by default:
// the metrics, then the metrics and the audit trail (written in the background to a SQLite file
// of its own, as serve writes it).
func BenchmarkGetFederationTokenObserved(b *testing.B) {
	b.Run("metrics", func(b *testing.B) { benchmarkObserved(b, false) })
	b.Run("metrics+audit", func(b *testing.B) { benchmarkObserved(b, true) })
}

func benchmarkObserved(b *testing.B, withAudit bool) {
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "connectfed.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cfg := server.Config{Metrics: metrics.New(server.MetricsOperations()), Logger: benchLogger}
	var trail *audit.Trail
	if withAudit {
		log, err := sqlite.OpenLog(filepath.Join(b.TempDir(), "audit.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer log.Close()
		trail = audit.New(log, audit.Options{})
		defer trail.Close()
		cfg.Audit = trail
	}
	e := newEnvOn(b, cfg, st)
	admin := e.connect(e.root, "us-east-1")
	inst := newInstance(b, admin, "bench", ctypes.DirectoryTypeSaml)
	newAgent(b, admin, inst, "agent1")
	alice := e.newAgentUser("alice")
	session, _, err := assume(e, alice, e.newAgentRole(), "agent1", 0)
	if err != nil {
		b.Fatal(err)
	}
	req := e.signed(b, "connect", "GET", "/user/federate/"+inst, "", session)
	serve := func() {
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	serve()
	b.ReportAllocs()
	for b.Loop() {
		serve()
	}
	if err := trail.Flush(b.Context()); err != nil { // the records' writing is part of the price
		b.Fatal(err)
	}
}

// BenchmarkReads measures DescribeUser and DescribeInstance in process, as the caller an
// agent desktop or a provisioning script would be: an IAM user whose policy allows them. The
// request is signed once and replayed.
func BenchmarkReads(b *testing.B) {
	e := newEnvConfig(b, server.Config{Logger: benchLogger})
	admin := e.connect(e.root, "us-east-1")
	inst := newInstance(b, admin, "bench", ctypes.DirectoryTypeSaml)
	uid := newAgent(b, admin, inst, "agent1")
	reader := e.newUser("reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["connect:DescribeUser","connect:DescribeInstance"],"Resource":"*"}]}`)
	for _, path := range []string{"/users/" + inst + "/" + uid, "/instance/" + inst} {
		name := "DescribeUser"
		if strings.HasPrefix(path, "/instance/") {
			name = "DescribeInstance"
		}
		b.Run(name, func(b *testing.B) {
			req := e.signed(b, "connect", "GET", path, "", reader)
			serve := func() {
				rec := httptest.NewRecorder()
				e.handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			serve()
			b.ReportAllocs()
			for b.Loop() {
				serve()
			}
		})
	}
}
