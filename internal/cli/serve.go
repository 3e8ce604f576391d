package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/connectfed/connectfed/internal/connect"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/server"
	"github.com/connectfed/connectfed/internal/server/awsapi"
	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/store/postgres"
	"github.com/connectfed/connectfed/internal/store/sealed"
	"github.com/connectfed/connectfed/internal/token"
)

// serveOptions are serve's flags.
type serveOptions struct {
	addr             string
	dataDir          string
	database         string
	accountID        string
	clockSkew        time.Duration
	maxBody          int64
	shutdownTimeout  time.Duration
	demo             bool
	seed             string
	logFormat        string
	logLevel         string
	publicURL        string
	accessTTL        time.Duration
	refreshTTL       time.Duration
	keyRotation      time.Duration
	tokenAPIRate     float64
	tokenAPIBurst    int
	sourceRate       float64
	sourceBurst      int
	emulateQuotas    bool
	quotas           []string
	cacheTTL         time.Duration
	requestTimeout   time.Duration
	dbMaxConns       int
	dbConnectTimeout time.Duration
	pprofAddr        string
	tlsCert          string
	tlsKey           string
	tlsSelfSigned    bool
	// now is the server's clock; tests set it, the command line cannot.
	now func() time.Time
}

// The root credentials come from these two variables, together or not at all.
const (
	envRootKeyID  = "CONNECTFED_ROOT_ACCESS_KEY_ID"
	envRootSecret = "CONNECTFED_ROOT_SECRET_ACCESS_KEY"
)

func newServeCommand() *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the connectfed server",
		Long: `Run the connectfed server: SigV4-authenticated AWS endpoints for connect, iam and sts.

The account root's credentials come from CONNECTFED_ROOT_ACCESS_KEY_ID and
CONNECTFED_ROOT_SECRET_ACCESS_KEY when both are set. Otherwise they are generated on the first
start, written to <data-dir>/root-credentials (mode 0600, an AWS shared credentials file) and
printed once; later starts reuse them.`,
		Example: `  # Try it: seed a demo user and role and print commands that use them
  connectfed serve --demo

  # Fixed root credentials, another port, data elsewhere
  CONNECTFED_ROOT_ACCESS_KEY_ID=AKIAEXAMPLEROOT0001 \
  CONNECTFED_ROOT_SECRET_ACCESS_KEY=secret \
  connectfed serve --addr 127.0.0.1:9000 --data-dir /var/lib/connectfed

  # Then, with those credentials in the environment
  aws --endpoint-url http://127.0.0.1:9000 sts get-caller-identity

  # HTTPS with a development certificate; clients trust it with AWS_CA_BUNDLE
  connectfed serve --tls-self-signed --addr 127.0.0.1:8443
  AWS_CA_BUNDLE=./connectfed-data/tls-cert.pem aws --endpoint-url https://127.0.0.1:8443 sts get-caller-identity

  # HTTPS with your own certificate
  connectfed serve --tls-cert /etc/connectfed/cert.pem --tls-key /etc/connectfed/key.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tuneGC()
			return runServe(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	serveFlags(&o, cmd.Flags())
	return cmd
}

// serverGCPercent is the server's GOGC unless the environment sets one. A server's live heap is
// small (caches hold what is asked for, ~40 MB at its peak under the benchmark, with 1,000,000
// users in the store), while every request allocates a few KB: at Go's default of 100 the
// collector runs every few megabytes, about 10% of a GetFederationToken's CPU. 400 lets the heap
// grow to five times the live data between cycles, trading tens of MB for ~7% of the hot path.
const serverGCPercent = 400

// tuneGC applies serverGCPercent when GOGC is not set.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
}

// serveFlags registers serve's flags, with their defaults, on f.
func serveFlags(o *serveOptions, f *pflag.FlagSet) {
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&o.dataDir, "data-dir", "./connectfed-data", "directory of the embedded database, the master key and generated credentials")
	f.StringVar(&o.database, "database", "", databaseFlagHelp)
	f.StringVar(&o.accountID, "account-id", "123456789012", "the default account's id (12 digits)")
	f.DurationVar(&o.clockSkew, "clock-skew", 5*time.Minute, "how far a request's X-Amz-Date may be from the server clock")
	f.Int64Var(&o.maxBody, "max-body-bytes", 1<<20, "largest request body accepted")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 15*time.Second, "how long requests in flight may finish after SIGINT or SIGTERM")
	f.BoolVar(&o.demo, "demo", false, "seed an IAM user 'ops' with a key and a role 'ConnectAgent', and print commands that use them")
	f.StringVar(&o.seed, "seed", "", "apply this file (as connectfed apply does, as the account root) before saying the server is ready; new keys' secrets go to <data-dir>/"+seedCredentialsFile)
	f.StringVar(&o.publicURL, "public-url", "", "the URL clients reach this server at, for SignInUrl (default: http:// or, under TLS, https:// and the listen address)")
	f.DurationVar(&o.accessTTL, "access-token-ttl", time.Hour, "lifetime of a federation access token")
	f.DurationVar(&o.refreshTTL, "refresh-token-ttl", 12*time.Hour, "lifetime of a federation refresh token")
	f.Float64Var(&o.tokenAPIRate, "token-api-rate", 50, "requests per second each source address may make to the token API under /federation/v1/ (0: no limit)")
	f.IntVar(&o.tokenAPIBurst, "token-api-burst", 100, "requests above --token-api-rate a source may make in a burst")
	f.Float64Var(&o.sourceRate, "source-rate", 100000, "requests per second each source address (an IPv6 /64) may make to any endpoint but /healthz and /readyz, which protects the server; set it far below this default when untrusted clients can reach it directly (0: no limit)")
	f.IntVar(&o.sourceBurst, "source-burst", 200000, "requests above --source-rate a source may make in a burst")
	f.BoolVar(&o.emulateQuotas, "emulate-quotas", false, "throttle AWS API calls per account, region and operation at AWS's published rates (Connect: 2 a second, bursts of 5), answering as AWS does, to test clients' retries")
	f.StringSliceVar(&o.quotas, "quota", nil, "with --emulate-quotas, an operation's own rate: [SERVICE:]OPERATION=RATE:BURST, e.g. GetFederationToken=10:20 or sts:AssumeRole=5:10 (RATE 0: no quota); repeatable")
	f.DurationVar(&o.keyRotation, "key-rotation", 24*time.Hour, "how often a new token signing key takes over (0: never); a previous key verifies until its tokens have expired")
	f.DurationVar(&o.cacheTTL, "cache-ttl", identity.DefaultCacheTTL, "how long credentials, instances and users are cached; on PostgreSQL every replica hears of a change at once, and this bounds a missed announcement (negative: no cache)")
	f.DurationVar(&o.requestTimeout, "request-timeout", 20*time.Second, "longest a request may take, waiting for the store included; past it the client gets a retryable ServiceUnavailable")
	f.IntVar(&o.dbMaxConns, "db-max-conns", postgres.DefaultMaxConns, "PostgreSQL: connections this replica keeps at most; requests beyond them wait, within --request-timeout")
	f.DurationVar(&o.dbConnectTimeout, "db-connect-timeout", postgres.DefaultConnectTimeout, "PostgreSQL: longest wait for one new connection (overrides the URL's connect_timeout)")
	f.StringVar(&o.pprofAddr, "pprof-addr", "", "serve Go's profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060 (off when empty); it reveals internals, keep it private")
	f.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS (and HTTP/2) with this PEM certificate chain; needs --tls-key")
	f.StringVar(&o.tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	f.BoolVar(&o.tlsSelfSigned, "tls-self-signed", false, "serve HTTPS with a self-signed certificate for development, kept in <data-dir>/tls-cert.pem (trust it with AWS_CA_BUNDLE)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

func runServe(ctx context.Context, o serveOptions, stdout, stderr io.Writer) error {
	log, err := newLogger(stderr, o.logFormat, o.logLevel)
	if err != nil {
		return err
	}
	if !identity.ValidAccountID(o.accountID) {
		return fmt.Errorf("--account-id %q: an account id is 12 digits", o.accountID)
	}
	if o.clockSkew <= 0 {
		return fmt.Errorf("--clock-skew %s: must be positive", o.clockSkew)
	}
	if o.keyRotation < 0 {
		return fmt.Errorf("--key-rotation %s: 0 (never) or positive", o.keyRotation)
	}
	if o.accessTTL <= 0 || o.refreshTTL < o.accessTTL {
		return fmt.Errorf("--access-token-ttl %s and --refresh-token-ttl %s: both positive, the refresh token living at least as long", o.accessTTL, o.refreshTTL)
	}
	if o.requestTimeout < 0 || o.dbMaxConns < 1 || o.dbConnectTimeout <= 0 {
		return fmt.Errorf("--request-timeout %s (0: none), --db-max-conns %d and --db-connect-timeout %s: positive",
			o.requestTimeout, o.dbMaxConns, o.dbConnectTimeout)
	}
	if !(o.sourceRate >= 0) || o.sourceRate > 0 && o.sourceBurst < 1 {
		return fmt.Errorf("--source-rate %g (0: no limit) and --source-burst %d: a rate of 0 or more, a burst of 1 or more", o.sourceRate, o.sourceBurst)
	}
	var quotas map[awsapi.OperationID]awsapi.Quota
	if len(o.quotas) > 0 && !o.emulateQuotas {
		return fmt.Errorf("--quota %s: quotas are emulated only with --emulate-quotas", o.quotas[0])
	}
	if o.emulateQuotas {
		if quotas, err = awsapi.EmulatedQuotas(o.quotas...); err != nil {
			return fmt.Errorf("--quota %w", err)
		}
	}
	if o.publicURL != "" {
		if u, err := url.Parse(o.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--public-url %q: want an absolute http or https URL", o.publicURL)
		}
	}
	envKey, envSecret := os.Getenv(envRootKeyID), os.Getenv(envRootSecret)
	if (envKey == "") != (envSecret == "") {
		return fmt.Errorf("set both %s and %s, or neither (then root credentials are generated in %s)",
			envRootKeyID, envRootSecret, filepath.Join(o.dataDir, rootCredentialsFile))
	}

	// Everything serve keeps outside the store (the master key, generated credentials, the
	// SQLite file) goes here, also when the store is PostgreSQL and the key comes from the
	// environment: the demo's and the seed's credentials do.
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	tlsSetup, err := loadServeTLS(o, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	endpoint := tlsSetup.scheme() + "://" + ln.Addr().String()
	publicURL := strings.TrimSuffix(o.publicURL, "/")
	if publicURL == "" {
		publicURL = endpoint
	}
	if o.pprofAddr != "" {
		stopProfiler, err := serveProfiler(o.pprofAddr, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopProfiler()
	}
	// Answer from the start, so that a load balancer sees a live process that is not ready
	// while the database is out of reach, and clients get a retryable answer.
	srvCfg := server.Config{Skew: o.clockSkew, MaxBodyBytes: o.maxBody, Logger: log, Now: o.now,
		TokenAPIRate: o.tokenAPIRate, TokenAPIBurst: o.tokenAPIBurst, RequestTimeout: o.requestTimeout,
		SourceRate: o.sourceRate, SourceBurst: o.sourceBurst, Quotas: quotas, TLS: tlsSetup.serverConfig()}
	front := server.NewStarting(srvCfg)
	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	serving := make(chan error, 1)
	go func() { serving <- front.Serve(serveCtx, ln, o.shutdownTimeout) }()
	stop := func(err error) error {
		stopServing()
		<-serving
		return err
	}

	st, err := openStoreWaiting(ctx, o, log)
	if err != nil {
		return stop(err)
	}
	defer st.Close()
	sealer, err := secrets.LoadOrCreate(o.dataDir)
	if err != nil {
		return stop(err)
	}
	// Everything that keeps a secret reads and writes it through the sealing layer; the change
	// watcher below needs the store itself.
	sst := sealed.Wrap(st, sealer)
	ids := identity.New(sst, o.now, o.cacheTTL)
	if err := ids.EnsureAccount(ctx, o.accountID); err != nil {
		return stop(err)
	}
	root, generated, err := rootCredentials(ctx, ids, o, envKey, envSecret)
	if err != nil {
		return stop(err)
	}
	tokens, err := token.NewIssuer(ctx, sst, o.now)
	if err != nil {
		return stop(fmt.Errorf("load token signing keys: %w", err))
	}
	conn := connect.New(sst, tokens, ids, connect.Config{AccessTokenTTL: o.accessTTL, RefreshTokenTTL: o.refreshTTL,
		SignInBase: publicURL, CacheTTL: o.cacheTTL}, o.now)
	if w, ok := st.(store.Watcher); ok {
		go watchChanges(ctx, w, ids, conn, tokens, o.cacheTTL, log)
	}
	// Seed before saying we listen, so whoever waits for that line finds the demo in place.
	var demo demoFixtures
	if o.demo {
		if demo, err = seedDemo(ctx, ids, conn, o); err != nil {
			return stop(fmt.Errorf("seed the demo: %w", err))
		}
	}
	front.HandOff(server.New(srvCfg, ids, conn))
	// A seed reaches the server through its listener, like any client, so it runs once the
	// server answers and before the line that says so: whoever waits for it finds the seed.
	if o.seed != "" {
		if err := seedServer(ctx, o.seed, endpoint, tlsSetup.seedClient(), root, o.dataDir, stdout); err != nil {
			return stop(fmt.Errorf("seed %s: %w", o.seed, err))
		}
	}
	fmt.Fprintf(stdout, "connectfed %s listening on %s (account %s)\n", Version, endpoint, o.accountID)
	fmt.Fprintln(stdout, "IAM policies are not enforced yet: every authenticated principal may call every operation AWS does not forbid it.")
	tlsSetup.print(stdout)
	if generated {
		fmt.Fprintf(stdout, "\nGenerated the account root's credentials (shown once; kept in %s):\n  AWS_ACCESS_KEY_ID=%s\n  AWS_SECRET_ACCESS_KEY=%s\n",
			filepath.Join(o.dataDir, rootCredentialsFile), root.AccessKeyID, root.SecretAccessKey)
	}
	if o.demo {
		printDemo(stdout, endpoint, o.accountID, tlsSetup.trustBundle(), demo)
	}

	go housekeeping(ctx, ids, conn, log)
	go rotateKeys(ctx, tokens, o.keyRotation, o.refreshTTL, keyReload(o.cacheTTL), log)
	err = <-serving
	log.Info("stopped")
	return err
}

// serveProfiler serves net/http/pprof on addr, on a listener of its own so the profiler is never
// reachable through the service's address, until stop is called.
func serveProfiler(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("profiler listening", "addr", "http://"+ln.Addr().String()+"/debug/pprof/")
	return func() { srv.Close() }, nil
}

// Retrying an unreachable database at start-up: soon at first, then every retryMax.
const (
	openRetryMin = 250 * time.Millisecond
	openRetryMax = 5 * time.Second
)

// openStoreWaiting opens the store, waiting for as long as it takes (or until ctx is done)
// while the database cannot be reached: replicas and their database often start together.
// Every other failure (a bad URL, a schema too new) ends it at once.
func openStoreWaiting(ctx context.Context, o serveOptions, log *slog.Logger) (store.Store, error) {
	opts := postgres.Options{MaxConns: o.dbMaxConns, ConnectTimeout: o.dbConnectTimeout}
	wait := openRetryMin
	for {
		st, err := openStore(ctx, o.database, o.dataDir, opts)
		var unreachable *postgres.UnreachableError
		if !errors.As(err, &unreachable) || ctx.Err() != nil {
			return st, err
		}
		log.Warn("database unreachable; not ready until it answers", "retry_in", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		wait = min(2*wait, openRetryMax)
	}
}

// watchChanges applies the changes other replicas announce to this one's caches and keys, for
// as long as ctx lasts. Where announcements cannot be had, the caches' TTL bounds how stale
// they get.
func watchChanges(ctx context.Context, w store.Watcher, ids *identity.Service, conn *connect.Service,
	tokens *token.Issuer, cacheTTL time.Duration, log *slog.Logger) {
	apply := func(c store.Change) {
		ids.Forget(c)
		conn.Forget(c)
		if c.Kind == store.ChangedSigningKeys || c.Kind == store.ChangesMissed {
			if err := tokens.Reload(ctx); err != nil && ctx.Err() == nil {
				log.Warn("reload token signing keys", "err", err)
			}
		}
	}
	interrupted := func(err error) {
		log.Warn("lost the database's change announcements; reconnecting, caches fall back to their TTL meanwhile",
			"cache_ttl", cacheTTL, "err", err)
	}
	if err := w.Watch(ctx, apply, interrupted); err != nil {
		log.Warn("cannot hear other replicas' changes; caches rely on their TTL alone", "cache_ttl", cacheTTL, "err", err)
	}
}

// keyReload is how often signing keys are re-read as a safety net for a missed announcement:
// as often as caches expire, at least once a minute.
func keyReload(cacheTTL time.Duration) time.Duration {
	if cacheTTL <= 0 {
		return time.Second
	}
	return min(cacheTTL, time.Minute)
}

// rotateKeys checks every interval whether the signing key is due for rotation and whether a
// superseded key has outlived every token it signed (lifetime, the longest a token lives), and
// reloads the keys so that a rotation made elsewhere (connectfed keys rotate, another replica)
// is picked up within the interval even if its announcement was missed.
func rotateKeys(ctx context.Context, tokens *token.Issuer, every, lifetime, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := tokens.Reload(ctx); err != nil && ctx.Err() == nil {
			log.Warn("reload token signing keys", "err", err)
		}
		if every > 0 {
			if rotated, err := tokens.RotateIfOlder(ctx, every); err != nil && ctx.Err() == nil {
				log.Warn("rotate the token signing key", "err", err)
			} else if rotated {
				log.Info("rotated the token signing key", "key_id", tokens.SigningKeyID())
			}
		}
		if retired, err := tokens.Retire(ctx, lifetime); err != nil && ctx.Err() == nil {
			log.Warn("retire token signing keys", "err", err)
		} else if len(retired) > 0 {
			log.Info("retired token signing keys", "key_ids", retired)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// housekeeping runs hourly: it removes STS sessions a day after they expired and the records of
// used and revoked tokens once those tokens expired, so the store does not grow without bound,
// and drops cache entries past their TTL, so keys nobody asks for again do not pile up in memory.
func housekeeping(ctx context.Context, ids *identity.Service, conn *connect.Service, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		ids.Prune()
		conn.Prune()
		if n, err := conn.PurgeTokenRecords(ctx); err != nil && ctx.Err() == nil {
			log.Warn("purge expired token records", "err", err)
		} else if n > 0 {
			log.Info("purged expired token records", "count", n)
		}
		if n, err := ids.PurgeExpiredSessions(ctx, 24*time.Hour); err != nil && ctx.Err() == nil {
			log.Warn("purge expired sessions", "err", err)
		} else if n > 0 {
			log.Info("purged expired sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

const rootCredentialsFile = "root-credentials"

// rootCredentials makes the account's root key exist: from the environment when given, from
// <data-dir>/root-credentials when an earlier start wrote it, else freshly generated and written
// there. generated says whether they are new (and so must be shown).
func rootCredentials(ctx context.Context, ids *identity.Service, o serveOptions, envKey, envSecret string) (identity.RootKey, bool, error) {
	if envKey != "" {
		k := identity.RootKey{AccessKeyID: envKey, SecretAccessKey: envSecret}
		if err := ids.EnsureRootKey(ctx, o.accountID, k); err != nil {
			return k, false, fmt.Errorf("%s: %w", envRootKeyID, err)
		}
		return k, false, nil
	}
	path := filepath.Join(o.dataDir, rootCredentialsFile)
	creds, err := readCredentialsFile(path)
	if err == nil {
		k, ok := creds["default"]
		if !ok {
			return identity.RootKey{}, false, fmt.Errorf("%s: no [default] profile", path)
		}
		if err := ids.EnsureRootKey(ctx, o.accountID, identity.RootKey{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}); err != nil {
			return identity.RootKey{}, false, fmt.Errorf("%s: %w", path, err)
		}
		return identity.RootKey{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return identity.RootKey{}, false, err
	}
	k, err := ids.NewRootKey(ctx, o.accountID)
	if err != nil {
		return k, false, err
	}
	if err := writeCredentialsFile(path, map[string]keyPair{"default": {k.AccessKeyID, k.SecretAccessKey}}); err != nil {
		return k, false, err
	}
	return k, true, nil
}

// keyPair is one profile of an AWS shared credentials file.
type keyPair struct {
	AccessKeyID, SecretAccessKey string
}

// writeCredentialsFile writes profiles in the AWS shared credentials format, mode 0600, and
// never over an existing file.
func writeCredentialsFile(path string, profiles map[string]keyPair) error {
	var b strings.Builder
	for name, k := range profiles {
		fmt.Fprintf(&b, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", name, k.AccessKeyID, k.SecretAccessKey)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// readCredentialsFile reads the profiles of an AWS shared credentials file.
func readCredentialsFile(path string) (map[string]keyPair, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]keyPair{}
	profile := ""
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			profile = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || profile == "" {
			continue
		}
		p := out[profile]
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			p.AccessKeyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			p.SecretAccessKey = strings.TrimSpace(v)
		}
		out[profile] = p
	}
	for name, p := range out {
		if p.AccessKeyID == "" || p.SecretAccessKey == "" {
			return nil, fmt.Errorf("%s: profile [%s] needs aws_access_key_id and aws_secret_access_key", path, name)
		}
	}
	return out, nil
}
