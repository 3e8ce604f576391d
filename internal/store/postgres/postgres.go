// Package postgres owns connectfed's PostgreSQL backend: opening a pool of connections to the
// server a URL names, with the settings a shared, long-running deployment needs, and the
// sqlstore.Flavor that tells the shared SQL implementation how PostgreSQL differs, including
// the advisory lock that lets replicas starting together migrate the schema exactly once. The
// schema, the migrations and every query belong to sqlstore. It uses pgx through its
// database/sql driver (github.com/jackc/pgx/v5/stdlib).
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/connectfed/connectfed/internal/store/sqlstore"
)

// SQLSTATE codes of the constraint violations sqlstore maps to store errors.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
	diskFull            = "53100"
)

// migrationLockKey is the key of the session-level advisory lock that serialises migrations:
// the ASCII of "cfmigrat" as one bigint. Advisory locks are per database, not per schema, so
// deployments in different schemas of one database also take turns migrating; that costs a
// moment at start-up and nothing after.
const migrationLockKey int64 = 0x63666d6967726174

// unlockTimeout bounds the release of the migration lock, which runs even when the context
// New was given is done.
const unlockTimeout = 10 * time.Second

// Pool settings. connectfed's queries are short index lookups, so a few connections serve
// many concurrent requests, and a bounded pool keeps a fleet of replicas well inside the
// server's max_connections (100 by default). Idle connections are closed after a while, and
// every connection after a longer while, so that a quiet replica holds few server processes
// and connections move to a new server after a failover or a DNS change.
const (
	DefaultMaxConns = 10
	connMaxIdleTime = 5 * time.Minute
	connMaxLifetime = 30 * time.Minute
	// DefaultConnectTimeout applies when neither Options nor the URL set a connect timeout:
	// a server that drops packets would otherwise hold every new connection for the
	// operating system's TCP timeout, minutes.
	DefaultConnectTimeout = 10 * time.Second
)

// Options tunes the connection pool. The zero value is the defaults.
type Options struct {
	// MaxConns bounds the pool's connections to the server (DefaultMaxConns when 0). Callers
	// beyond it wait for a free connection, within their context's deadline.
	MaxConns int
	// ConnectTimeout bounds establishing one connection. 0: the URL's connect_timeout, else
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
}

// Flavor describes PostgreSQL to sqlstore. Queries keep their $N placeholders, which are
// PostgreSQL's own. Byte strings are BYTEA, and keys are TEXT COLLATE "C", which compares
// bytewise whatever the server's locale, so that ordering and paging match SQLite's.
// Constraint violations are recognised by their SQLSTATE, and Lock takes the migration
// advisory lock.
func Flavor() sqlstore.Flavor {
	return sqlstore.Flavor{
		Name:                  "postgres",
		BytesType:             "BYTEA",
		KeyType:               `TEXT COLLATE "C"`,
		IsUniqueViolation:     func(err error) bool { return hasCode(err, uniqueViolation) },
		IsForeignKeyViolation: func(err error) bool { return hasCode(err, foreignKeyViolation) },
		IsStorageFull:         func(err error) bool { return hasCode(err, diskFull) },
		Lock:                  lockMigrations,
		NotifySQL:             notifySQL,
	}
}

func hasCode(err error, code string) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == code
}

// lockMigrations takes the migration advisory lock on conn, waiting (until ctx is done) while
// another process migrates. The lock is held by the session, not a transaction, so it spans
// every migration step's transaction. unlock releases it; should that fail, unlock discards
// the connection instead of returning it to the pool, and the server releases the lock when
// the session ends.
func lockMigrations(ctx context.Context, conn *sql.Conn) (unlock func(), err error) {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
		// A cancellation can race the grant: do not let a pooled session keep the lock.
		discard(conn)
		return nil, fmt.Errorf("pg_advisory_lock: %w", err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
		defer cancel()
		var released bool
		err := conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, migrationLockKey).Scan(&released)
		if err != nil || !released {
			discard(conn)
		}
	}, nil
}

// discard closes conn's session rather than returning it to the pool: database/sql closes a
// connection whose Raw callback reports it bad. Ending the session releases its locks.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// Open connects to the PostgreSQL database named by url and migrates it to
// sqlstore.SchemaVersion(), refusing a database whose schema is newer than this binary knows
// (a *sqlstore.SchemaTooNewError). url is a postgres:// URL or a libpq keyword/value string;
// parameters pgx does not know are set on every session, so ?search_path=name keeps
// connectfed's tables in a schema of that name, which must exist. ctx bounds connecting and
// migrating, including the wait while another replica migrates; the store does not keep it.
// An unreachable server fails Open, saying so (an *UnreachableError).
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	db, cfg, err := openDB(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	s, err := sqlstore.NewContext(ctx, db, Flavor())
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: open postgres %s: %w", describe(cfg), err), db.Close())
	}
	return &Store{Store: s, cfg: cfg}, nil
}

// OpenDB connects to the database as Open does, without migrating it: for tools that inspect
// or migrate a schema themselves. The caller closes the *sql.DB.
func OpenDB(ctx context.Context, url string, opts Options) (*sql.DB, error) {
	db, _, err := openDB(ctx, url, opts)
	return db, err
}

// UnreachableError is Open's error when no connection to the server could be made: the
// caller may retry later, unlike a bad URL or a refused schema.
type UnreachableError struct {
	Where string // user@host:port/db
	Err   error
}

func (e *UnreachableError) Error() string {
	return "store: open postgres " + e.Where + ": database unreachable: " + e.Err.Error()
}

func (e *UnreachableError) Unwrap() error { return e.Err }

func openDB(ctx context.Context, url string, opts Options) (*sql.DB, *pgx.ConnConfig, error) {
	if url == "" {
		return nil, nil, errors.New("store: open postgres: empty URL")
	}
	cfg, err := pgx.ParseConfig(url) // its errors mask the password
	if err != nil {
		return nil, nil, fmt.Errorf("store: open postgres: %w", err)
	}
	switch {
	case opts.ConnectTimeout > 0:
		cfg.ConnectTimeout = opts.ConnectTimeout
	case cfg.ConnectTimeout == 0:
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "connectfed"
	}
	maxConns := opts.MaxConns
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}

	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(connMaxIdleTime)
	db.SetConnMaxLifetime(connMaxLifetime)
	if err := db.PingContext(ctx); err != nil {
		return nil, nil, errors.Join(&UnreachableError{Where: describe(cfg), Err: err}, db.Close())
	}
	return db, cfg, nil
}

// Store is the PostgreSQL store: sqlstore's implementation of store.Store on a pool, plus
// what only a shared database needs.
type Store struct {
	*sqlstore.Store
	cfg *pgx.ConnConfig
}

// describe names the database of cfg for errors, without the password: user@host:port/db.
func describe(cfg *pgx.ConnConfig) string {
	return cfg.User + "@" + net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))) + "/" + cfg.Database
}
