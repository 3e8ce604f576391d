package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/connectfed/connectfed/internal/app"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/server"
	"github.com/connectfed/connectfed/internal/server/awsapi"
	"github.com/connectfed/connectfed/internal/server/demoidp"
	"github.com/connectfed/connectfed/internal/store/postgres"
	"github.com/connectfed/connectfed/internal/tracing"
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
	metricsAddr      string
	auditLog         string
	audit            bool
	metrics          bool
	regions          []string
	auditRetention   time.Duration
	tlsCert          string
	tlsKey           string
	tlsSelfSigned    bool
	iamEnforcement   string
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
printed once; later starts reuse them.

IAM policies are enforced as AWS evaluates them (--iam-enforcement on): every caller but the
account root needs an Allow from its identity policies, permissions boundary and session
policies, and no Deny; denials answer AWS's AccessDenied with its sentence. --iam-enforcement log
allows and logs what would be denied; off evaluates nothing. Role trust policies hold in every
mode. docs/iam.md shows the policy a Connect agent needs and how to read a denial.`,
		Example: `  # Try it: seed a demo user and role and print commands that use them
  connectfed serve --demo

  # Fixed root credentials, another port, data elsewhere
  CONNECTFED_ROOT_ACCESS_KEY_ID=AKIAEXAMPLEROOT0001 \
  CONNECTFED_ROOT_SECRET_ACCESS_KEY=secret \
  connectfed serve --addr 127.0.0.1:9000 --data-dir /var/lib/connectfed

  # Then, with those credentials in the environment
  aws --endpoint-url http://127.0.0.1:9000 sts get-caller-identity

  # A test suite written before IAM enforcement: run it, then grant what the log names
  connectfed serve --iam-enforcement log 2>&1 | grep 'IAM would deny'

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

// serverMemoryLimit is the server's soft memory limit (GOMEMLIMIT) unless the environment sets
// one: five times a live heap that an overload swells (512 requests in flight, the audit
// trail's pending records) took the server past 400 MB under the bench harness's open-loop
// probes; near the limit the collector runs more often instead. Normal load stays well under
// it, where GOGC alone decides.
const serverMemoryLimit = 100 << 20

// tuneGC applies serverGCPercent and serverMemoryLimit where the environment sets neither.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serverMemoryLimit)
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
	f.StringVar(&o.iamEnforcement, "iam-enforcement", "on", "what a request the caller's IAM policies do not allow gets: on (refused with AccessDenied, as AWS does), log (allowed, and logged as 'IAM would deny' with AWS's sentence: for moving a test suite onto enforcement) or off (no policy is evaluated); trust policies are enforced in every mode")
	f.BoolVar(&o.emulateQuotas, "emulate-quotas", false, "throttle AWS API calls per account, region and operation at AWS's published rates (Connect: 2 a second, bursts of 5), answering as AWS does, to test clients' retries")
	f.StringSliceVar(&o.quotas, "quota", nil, "with --emulate-quotas, an operation's own rate: [SERVICE:]OPERATION=RATE:BURST, e.g. GetFederationToken=10:20 or sts:AssumeRole=5:10 (RATE 0: no quota); repeatable")
	f.DurationVar(&o.keyRotation, "key-rotation", 24*time.Hour, "how often a new token signing key takes over (0: never); a previous key verifies until its tokens have expired")
	f.DurationVar(&o.cacheTTL, "cache-ttl", identity.DefaultCacheTTL, "how long credentials, instances and users are cached; on PostgreSQL every replica hears of a change at once, and this bounds a missed announcement (negative: no cache)")
	f.DurationVar(&o.requestTimeout, "request-timeout", 20*time.Second, "longest a request may take, waiting for the store included; past it the client gets a retryable ServiceUnavailable")
	f.IntVar(&o.dbMaxConns, "db-max-conns", postgres.DefaultMaxConns, "PostgreSQL: connections this replica keeps at most; requests beyond them wait, within --request-timeout")
	f.DurationVar(&o.dbConnectTimeout, "db-connect-timeout", postgres.DefaultConnectTimeout, "PostgreSQL: longest wait for one new connection (overrides the URL's connect_timeout)")
	f.StringSliceVar(&o.regions, "regions", nil, "the regions a request's credential may be scoped to (default: AWS's; a credential scoped to another is refused as AWS refuses it); add to them with --regions mars-1,us-east-1,..., or allow any with --regions '*'")
	f.BoolVar(&o.audit, "audit", true, "keep the audit trail; --audit=false records no call (cloudtrail lookup-events then finds nothing): for load tests that need no record")
	f.StringVar(&o.auditLog, "audit-log", "", "also write every audit record (CloudTrail's event shape) as a JSON line to this file, appended to, or to standard output with -")
	f.DurationVar(&o.auditRetention, "audit-retention", 90*24*time.Hour, "how long the store keeps audit records for cloudtrail lookup-events and connectfed audit (0: for ever)")
	f.BoolVar(&o.metrics, "metrics", true, "keep Prometheus metrics; --metrics=false counts nothing and serves no /metrics: to price them in a load test")
	f.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at this address's /metrics (e.g. 127.0.0.1:9090) instead of on the main listener's /metrics")
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

// validate refuses flags that cannot mean anything, each naming the flag.
func (o serveOptions) validate() error {
	if !identity.ValidAccountID(o.accountID) {
		return fmt.Errorf("--account-id %q: an account id is 12 digits", o.accountID)
	}
	if !o.audit && o.auditLog != "" {
		return fmt.Errorf("--audit-log writes the audit trail, which --audit=false turns off: drop one of them")
	}
	if !o.metrics && o.metricsAddr != "" {
		return fmt.Errorf("--metrics-addr serves the metrics, which --metrics=false turns off: drop one of them")
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
	if _, err := identity.ParseEnforcement(o.iamEnforcement); err != nil {
		return fmt.Errorf("--iam-enforcement %q: on, log or off", o.iamEnforcement)
	}
	if len(o.quotas) > 0 && !o.emulateQuotas {
		return fmt.Errorf("--quota %s: quotas are emulated only with --emulate-quotas", o.quotas[0])
	}
	if o.publicURL != "" {
		if u, err := url.Parse(o.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--public-url %q: want an absolute http or https URL", o.publicURL)
		}
	}
	return checkTLSFlags(o)
}

// enforcementLine is what the start-up banner says of IAM enforcement.
var enforcementLine = map[identity.Enforcement]string{
	identity.EnforceOn:  "IAM policies are enforced: a caller other than the account root needs a policy that allows each call.",
	identity.EnforceLog: "IAM policies are evaluated but not enforced (--iam-enforcement log): what they do not allow is logged as 'IAM would deny' and allowed.",
	identity.EnforceOff: "IAM policies are not evaluated (--iam-enforcement off): every authenticated principal may call every operation AWS does not forbid it.",
}

// quotaTable is the quotas --emulate-quotas and --quota ask for (nil: none emulated).
func (o serveOptions) quotaTable() (map[awsapi.OperationID]awsapi.Quota, error) {
	if !o.emulateQuotas {
		return nil, nil
	}
	quotas, err := awsapi.EmulatedQuotas(o.quotas...)
	if err != nil {
		return nil, fmt.Errorf("--quota %w", err)
	}
	return quotas, nil
}

// rootKeyFromEnv is the root key the environment gives, or nil.
func rootKeyFromEnv(dataDir string) (*identity.RootKey, error) {
	envKey, envSecret := os.Getenv(envRootKeyID), os.Getenv(envRootSecret)
	if (envKey == "") != (envSecret == "") {
		return nil, fmt.Errorf("set both %s and %s, or neither (then root credentials are generated in %s)",
			envRootKeyID, envRootSecret, filepath.Join(dataDir, app.RootCredentialsFile))
	}
	if envKey == "" {
		return nil, nil
	}
	return &identity.RootKey{AccessKeyID: envKey, SecretAccessKey: envSecret}, nil
}

func runServe(ctx context.Context, o serveOptions, stdout, stderr io.Writer) error {
	log, err := newLogger(stderr, o.logFormat, o.logLevel)
	if err != nil {
		return err
	}
	if err := o.validate(); err != nil {
		return err
	}
	quotas, err := o.quotaTable()
	if err != nil {
		return err
	}
	rootKey, err := rootKeyFromEnv(o.dataDir)
	if err != nil {
		return err
	}
	enforcement, _ := identity.ParseEnforcement(o.iamEnforcement) // checked by validate

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
	// Traces go out when the environment names an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT).
	stopTracing, err := tracing.Setup(ctx, os.Getenv, Version)
	if err != nil {
		ln.Close()
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(sctx); err != nil {
			log.Warn("flush the last traces", "err", err)
		}
	}()
	auditLines, closeAudit, err := openAuditLog(o.auditLog, stdout)
	if err != nil {
		ln.Close()
		return err
	}
	defer closeAudit()
	opts := app.Options{
		AuditLines: auditLines, AuditRetention: o.auditRetention, NoAudit: !o.audit, NoMetrics: !o.metrics,
		AccountID: o.accountID, DataDir: o.dataDir, Database: o.database,
		Postgres: postgres.Options{MaxConns: o.dbMaxConns, ConnectTimeout: o.dbConnectTimeout},
		Server: server.Config{Skew: o.clockSkew, MaxBodyBytes: o.maxBody,
			TokenAPIRate: o.tokenAPIRate, TokenAPIBurst: o.tokenAPIBurst, RequestTimeout: o.requestTimeout,
			SourceRate: o.sourceRate, SourceBurst: o.sourceBurst, Quotas: quotas, TLS: tlsSetup.serverConfig(),
			Regions: serveRegions(o.regions)},
		ShutdownTimeout: o.shutdownTimeout, AccessTTL: o.accessTTL, RefreshTTL: o.refreshTTL, PublicURL: publicURL,
		KeyRotation: o.keyRotation, CacheTTL: o.cacheTTL, RootKey: rootKey, PprofAddr: o.pprofAddr, MetricsAddr: o.metricsAddr,
		IAMEnforcement: enforcement,
		Logger:         log, Now: o.now,
	}
	var demo demoFixtures
	var idp *demoidp.IdP
	if o.demo {
		if idp, err = demoidp.New(publicURL + "/demo-idp"); err != nil {
			return fmt.Errorf("the demo identity provider: %w", err)
		}
		opts.Server.DemoIdP = idp
	}
	return app.Run(ctx, opts, ln, app.Hooks{
		BeforeServing: func(ctx context.Context, r *app.Running) error {
			if !o.demo {
				return nil
			}
			if demo, err = seedDemo(ctx, r.Identity, r.Connect, o, idp, publicURL); err != nil {
				return fmt.Errorf("seed the demo: %w", err)
			}
			return nil
		},
		// A seed reaches the server through its listener, like any client, so it runs once the
		// server answers and before the line that says so: whoever waits for it finds the seed.
		Serving: func(ctx context.Context, r *app.Running) error {
			if o.seed != "" {
				if err := seedServer(ctx, o.seed, endpoint, tlsSetup.seedClient(), r.Root, o.dataDir, stdout); err != nil {
					return fmt.Errorf("seed %s: %w", o.seed, err)
				}
			}
			fmt.Fprintf(stdout, "connectfed %s listening on %s (account %s)\n", Version, endpoint, o.accountID)
			fmt.Fprintln(stdout, enforcementLine[enforcement])
			tlsSetup.print(stdout)
			if r.RootGenerated {
				fmt.Fprintf(stdout, "\nGenerated the account root's credentials (shown once; kept in %s):\n  AWS_ACCESS_KEY_ID=%s\n  AWS_SECRET_ACCESS_KEY=%s\n",
					filepath.Join(o.dataDir, app.RootCredentialsFile), r.Root.AccessKeyID, r.Root.SecretAccessKey)
			}
			if o.demo {
				printDemo(stdout, endpoint, o.accountID, tlsSetup.trustBundle(), demo)
			}
			return nil
		},
	})
}

// openAuditLog opens where --audit-log sends the audit records: nowhere (""), standard output
// ("-"), or a file, appended to and readable by its owner only (the records name who did what).
func openAuditLog(path string, stdout io.Writer) (io.Writer, func(), error) {
	switch path {
	case "":
		return nil, func() {}, nil
	case "-":
		return stdout, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("--audit-log: %w", err)
	}
	return f, func() { f.Close() }, nil
}

// serveRegions is --regions as the server takes it: nil for AWS's, empty for any ('*').
func serveRegions(flag []string) []string {
	if len(flag) == 1 && flag[0] == "*" {
		return []string{}
	}
	return flag
}
