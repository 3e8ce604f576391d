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
	maxOpenConns    = 10
	maxIdleConns    = 10
	connMaxIdleTime = 5 * time.Minute
	connMaxLifetime = 30 * time.Minute
	// defaultConnectTimeout applies when the URL sets no connect_timeout: a server that drops
	// packets would otherwise hold every new connection for the operating system's TCP
	// timeout, minutes.
	defaultConnectTimeout = 10 * time.Second
)

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
		Lock:                  lockMigrations,
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
// An unreachable server fails Open, saying so.
func Open(ctx context.Context, url string) (*sqlstore.Store, error) {
	if url == "" {
		return nil, errors.New("store: open postgres: empty URL")
	}
	cfg, err := pgx.ParseConfig(url) // its errors mask the password
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "connectfed"
	}
	where := describe(cfg)

	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxIdleTime(connMaxIdleTime)
	db.SetConnMaxLifetime(connMaxLifetime)
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("store: open postgres %s: database unreachable: %w", where, err), db.Close())
	}
	s, err := sqlstore.NewContext(ctx, db, Flavor())
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: open postgres %s: %w", where, err), db.Close())
	}
	return s, nil
}

// describe names the database of cfg for errors, without the password: user@host:port/db.
func describe(cfg *pgx.ConnConfig) string {
	return cfg.User + "@" + net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))) + "/" + cfg.Database
}
