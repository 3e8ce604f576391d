package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/internal/connect"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/saml"
	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/server"
	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/store/sealed"
	"github.com/connectfed/connectfed/internal/store/sqlite"
	"github.com/connectfed/connectfed/internal/token"
)

const testAccount = "123456789012"

// clock is the server's clock: real time plus an offset a test can move.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// env is a running server with a root key, and clients for it.
type env struct {
	t     testing.TB
	url   string
	clock *clock
	root  aws.Credentials
	ids   *identity.Service
	// handler is the server itself, for benchmarks that skip the network.
	handler http.Handler
	// store is the server's store, for tests that pull it away under the server.
	store interface{ Close() error }
	// conn is the Connect domain, for tests of its housekeeping.
	conn *connect.Service
}

func newEnv(t testing.TB) *env { return newEnvWith(t, 0) }

// newEnvWith starts a server allowing skew (0 for the default) between its clock and a
// request's; tests that move the clock far widen it so the SDK's signatures still pass.
func newEnvWith(t testing.TB, skew time.Duration) *env {
	t.Helper()
	return newEnvConfig(t, server.Config{Skew: skew})
}

// newEnvConfig starts a server with cfg; the harness supplies its clock and logger.
func newEnvConfig(t testing.TB, cfg server.Config) *env {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "connectfed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newEnvOn(t, cfg, st)
}

// newEnvOn starts a server with cfg on st, which the caller closes.
func newEnvOn(t testing.TB, cfg server.Config, st store.Store) *env {
	t.Helper()
	c := &clock{}
	sealer, err := secrets.New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	// As serve does: every secret at rest goes through the sealing layer.
	sst := sealed.Wrap(st, sealer)
	ids := identity.New(sst, c.Now, 0)
	ctx := context.Background()
	if err := ids.EnsureAccount(ctx, testAccount); err != nil {
		t.Fatal(err)
	}
	root, err := ids.NewRootKey(ctx, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := token.NewIssuer(ctx, sst, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Now = c.Now
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ts := httptest.NewUnstartedServer(nil)
	// SAML responses may be addressed to this server's /saml, as to AWS sign-in.
	ids.SetSAMLVerifier(saml.Verifier{Recipients: []string{"http://" + ts.Listener.Addr().String() + "/saml"}})
	conn := connect.New(sst, tokens, ids, connect.Config{SignInBase: "http://" + ts.Listener.Addr().String()}, c.Now)
	ts.Config.Handler = server.New(cfg, ids, conn)
	ts.Start()
	t.Cleanup(ts.Close)
	return &env{t: t, url: ts.URL, clock: c, ids: ids, handler: ts.Config.Handler, store: st, conn: conn,
		root: aws.Credentials{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}}
}

// otherAccountRoot returns root credentials of a second account on the same server.
// withWrongSecret returns c with a secret that differs from its own in the first character
// (which may be any base64 character, so no fixed replacement always differs).
func withWrongSecret(c aws.Credentials) aws.Credentials {
	first := "x"
	if strings.HasPrefix(c.SecretAccessKey, first) {
		first = "y"
	}
	c.SecretAccessKey = first + c.SecretAccessKey[1:]
	return c
}

func (e *env) otherAccountRoot() aws.Credentials {
	e.t.Helper()
	ctx := context.Background()
	if err := e.ids.EnsureAccount(ctx, "210987654321"); err != nil {
		e.t.Fatal(err)
	}
	k, err := e.ids.NewRootKey(ctx, "210987654321")
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}
}

func (e *env) config(c aws.Credentials) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.StaticCredentialsProvider{Value: c},
		BaseEndpoint: aws.String(e.url),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

func (e *env) iam(c aws.Credentials) *iam.Client { return iam.NewFromConfig(e.config(c)) }
func (e *env) sts(c aws.Credentials) *sts.Client { return sts.NewFromConfig(e.config(c)) }
