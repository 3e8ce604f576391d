// Package sqlstore owns the SQL implementation of store.Store, written once for every SQL
// database connectfed runs on: the schema, its migrations, and every query. What differs
// between databases (placeholder style, column types, how the driver reports constraint
// violations) is a Flavor, supplied by the backend package that also owns opening the
// database (internal/store/sqlite, internal/store/postgres). sqlstore imports no driver.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// Store is a store.Store on a *sql.DB. It is safe for concurrent use.
type Store struct {
	db *sql.DB
	f  Flavor
	// observe, when set, hears of every query (ObserveQueries).
	observe atomic.Pointer[QueryObserver]
	// audit holds the buffers a batch of audit records is encoded into, reused batch after
	// batch: an allocation of a block's size per batch cost as much as compressing it.
	audit auditBuffers
	// stmts are the statements prepared on db, by query text (see prepared).
	stmts statements
	// rdb, when set (SetReader), serves the reads made outside transactions, with the
	// statements prepared on it in rstmts.
	rdb    *sql.DB
	rstmts statements
}

// SetReader has the reads made outside a transaction go to rdb, a pool of connections that
// only read the same database: SQLite in WAL mode, where a reader sees every committed write
// and neither waits for the one writer nor holds it up. The Store owns rdb from then on. Set
// it before the Store serves.
func (s *Store) SetReader(rdb *sql.DB) { s.rdb = rdb }

// reader is where a read on q goes: the read pool for a read on the store's own pool.
func (s *Store) reader(q querier) querier {
	if s.rdb != nil && q == querier(s.db) {
		return s.rdb
	}
	return q
}

var _ store.Store = (*Store)(nil)

// New migrates db to SchemaVersion() and returns a Store on it. The Store owns db from then
// on: Close closes it. New refuses a database whose schema is newer than this binary knows
// (a *SchemaTooNewError), since an older binary could misread or damage it.
func New(db *sql.DB, f Flavor) (*Store, error) {
	return NewContext(context.Background(), db, f)
}

// NewContext is New with a context, which bounds the migration, including the wait for
// another process's migration lock (see Flavor.Lock).
func NewContext(ctx context.Context, db *sql.DB, f Flavor) (*Store, error) {
	return newStore(ctx, db, f, migrations)
}

func newStore(ctx context.Context, db *sql.DB, f Flavor, steps []migration) (*Store, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	if err := migrate(ctx, db, f, steps); err != nil {
		return nil, err
	}
	return &Store{db: db, f: f}, nil
}

// querier is what *sql.DB and *sql.Tx have in common, so helpers serve both.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	start := time.Now()
	var res sql.Result
	var err error
	if st := s.prepared(ctx, q, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = q.ExecContext(ctx, query, args...)
	}
	s.observed(ctx, query, start, err)
	return res, s.writeErr(err)
}

// QueryObserver hears of a query: its context, its statement, when it started and how long it
// took, and whether the database failed it (a taken name or a missing owner is the store's
// answer, not a failure).
type QueryObserver func(ctx context.Context, query string, start time.Time, d time.Duration, failed bool)

// ObserveQueries makes every query report to fn. Set it before the store serves.
func (s *Store) ObserveQueries(fn QueryObserver) { s.observe.Store(&fn) }

func (s *Store) observed(ctx context.Context, query string, start time.Time, err error) {
	fn := s.observe.Load()
	if fn == nil {
		return
	}
	failed := err != nil && !errors.Is(err, sql.ErrNoRows) && !s.f.IsUniqueViolation(err) && !s.f.IsForeignKeyViolation(err)
	(*fn)(ctx, query, start, time.Since(start), failed)
}

// commit commits tx, marking a failure of the storage as such.
func (s *Store) commit(tx *sql.Tx) error { return s.writeErr(tx.Commit()) }

// writeErr marks err as store.ErrStorageFull when the flavour says the storage failed it: a
// write or a commit is where a full disk shows.
func (s *Store) writeErr(err error) error {
	if err != nil && s.f.IsStorageFull != nil && s.f.IsStorageFull(err) {
		return storageFullError{err}
	}
	return err
}

// storageFullError is a driver's error that store.ErrStorageFull also matches.
type storageFullError struct{ err error }

func (e storageFullError) Error() string   { return e.err.Error() }
func (e storageFullError) Unwrap() []error { return []error{store.ErrStorageFull, e.err} }

func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	start := time.Now()
	q = s.reader(q)
	var rows *sql.Rows
	var err error
	if st := s.prepared(ctx, q, query); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = q.QueryContext(ctx, query, args...)
	}
	s.observed(ctx, query, start, err)
	return rows, err
}

func (s *Store) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	start := time.Now()
	q = s.reader(q)
	var row *sql.Row
	if st := s.prepared(ctx, q, query); st != nil {
		row = st.QueryRowContext(ctx, args...)
	} else {
		row = q.QueryRowContext(ctx, query, args...)
	}
	s.observed(ctx, query, start, row.Err())
	return row
}

// insertErr maps the error of a failed INSERT (or UPDATE) to the store's sentinels where
// the driver reports a constraint, and wraps it with context otherwise.
func (s *Store) insertErr(op string, err error) error {
	switch {
	case s.f.IsUniqueViolation(err):
		return store.ErrAlreadyExists
	case s.f.IsForeignKeyViolation(err):
		// Foreign keys point at the record's owner, an account or an instance: the owner
		// does not exist.
		return store.ErrNotFound
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// getErr maps sql.ErrNoRows from a single-row lookup to store.ErrNotFound.
func getErr(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// affected turns the result of a DELETE or UPDATE into store.ErrNotFound when it touched
// no row.
func affected(op string, res sql.Result, err error) error {
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: rows affected: %w", op, err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// Timestamps are BIGINT unix microseconds: exact for what PostgreSQL would keep, identical in
// every flavour, and in range for any time.Time including the zero value (nanoseconds
// overflow int64 outside 1678-2262). Sub-microsecond digits are truncated.
func timeToDB(t time.Time) int64 { return t.UnixMicro() }

func timeFromDB(us int64) time.Time { return time.UnixMicro(us).UTC() }

func boolToDB(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// nameKey is the case-folded form of a user or role name that uniqueness, lookups and
// ordering use. IAM names are ASCII, but folding in Go rather than with SQL lower() keeps
// every flavour identical for any input.
func nameKey(name string) string { return strings.ToLower(name) }

// pageArgs turns a store.Page of records keyed by name into the lower bound and the LIMIT of
// a list query: After is case-folded like the names.
func pageArgs(p store.Page) (after string, limit int64) {
	after, limit = exactPageArgs(p)
	return nameKey(after), limit
}

// exactPageArgs is pageArgs for records keyed by ids or case-sensitive names, whose After is
// compared as given. No limit is math.MaxInt64 rather than a second query text: SQLite and
// PostgreSQL read it the same way.
func exactPageArgs(p store.Page) (after string, limit int64) {
	limit = int64(p.Limit)
	if p.Limit <= 0 {
		limit = math.MaxInt64
	}
	return p.After, limit
}

// bytesToDB binds a nil slice as an empty byte string: the driver would bind it as NULL,
// which the NOT NULL byte columns refuse.
func bytesToDB(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// bytesFromDB returns an empty byte string as nil, whatever the driver scanned it as, so
// every flavour returns the same value for a nil or empty slice stored.
func bytesFromDB(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.stmts.close()
	s.rstmts.close()
	if s.rdb != nil {
		if err := s.rdb.Close(); err != nil {
			s.db.Close()
			return fmt.Errorf("store: close: %w", err)
		}
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// CreateAccount implements store.Store.
func (s *Store) CreateAccount(ctx context.Context, a store.Account) error {
	_, err := s.exec(ctx, s.db, `INSERT INTO accounts (id, created_at) VALUES ($1, $2)`,
		a.ID, timeToDB(a.CreatedAt))
	if err != nil {
		return s.insertErr("create account", err)
	}
	return nil
}

// GetAccount implements store.Store.
func (s *Store) GetAccount(ctx context.Context, id string) (store.Account, error) {
	var (
		a       store.Account
		created int64
	)
	err := s.queryRow(ctx, s.db, `SELECT id, created_at FROM accounts WHERE id = $1`, id).Scan(&a.ID, &created)
	if err != nil {
		return store.Account{}, getErr("get account", err)
	}
	a.CreatedAt = timeFromDB(created)
	return a, nil
}

const userColumns = `account_id, name, id, path, created_at`

func scanUser(sc interface{ Scan(...any) error }) (store.User, error) {
	var (
		u       store.User
		created int64
	)
	if err := sc.Scan(&u.AccountID, &u.Name, &u.ID, &u.Path, &created); err != nil {
		return store.User{}, err
	}
	u.CreatedAt = timeFromDB(created)
	return u, nil
}

// CreateUser implements store.Store. It returns store.ErrNotFound if the account does not
// exist.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	_, err := s.exec(ctx, s.db, `INSERT INTO iam_users (account_id, name_key, name, id, path, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		u.AccountID, nameKey(u.Name), u.Name, u.ID, u.Path, timeToDB(u.CreatedAt))
	if err != nil {
		return s.insertErr("create user", err)
	}
	return nil
}

// GetUser implements store.Store.
func (s *Store) GetUser(ctx context.Context, accountID, name string) (store.User, error) {
	u, err := scanUser(s.queryRow(ctx, s.db, `SELECT `+userColumns+` FROM iam_users
		WHERE account_id = $1 AND name_key = $2`, accountID, nameKey(name)))
	if err != nil {
		return store.User{}, getErr("get user", err)
	}
	return u, nil
}

// ListUsers implements store.Store: users ordered by lower-cased name, after lower(p.After).
func (s *Store) ListUsers(ctx context.Context, accountID string, p store.Page) ([]store.User, error) {
	after, limit := pageArgs(p)
	rows, err := s.query(ctx, s.db, `SELECT `+userColumns+` FROM iam_users
		WHERE account_id = $1 AND name_key > $2 ORDER BY name_key LIMIT $3`, accountID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	return collect(rows, "list users", scanUser)
}

// DeleteUser implements store.Store.
func (s *Store) DeleteUser(ctx context.Context, accountID, name string) error {
	return s.deleteAnnounced(ctx, "delete user", store.Change{Kind: store.ChangedIAMUser, AccountID: accountID, Name: name},
		`DELETE FROM iam_users WHERE account_id = $1 AND name_key = $2`, accountID, nameKey(name))
}

const accessKeyColumns = `id, secret, account_id, user_name, active, created_at`

func scanAccessKey(sc interface{ Scan(...any) error }) (store.AccessKey, error) {
	var (
		k               store.AccessKey
		active, created int64
	)
	if err := sc.Scan(&k.ID, &k.Secret, &k.AccountID, &k.UserName, &active, &created); err != nil {
		return store.AccessKey{}, err
	}
	k.Active = active != 0
	k.CreatedAt = timeFromDB(created)
	return k, nil
}

// CreateAccessKey implements store.Store. Key ids are unique across accounts. It returns
// store.ErrNotFound if the account does not exist; it does not check that the user does.
func (s *Store) CreateAccessKey(ctx context.Context, k store.AccessKey) error {
	_, err := s.exec(ctx, s.db, `INSERT INTO access_keys
		(id, secret, account_id, user_name, user_key, active, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		k.ID, k.Secret, k.AccountID, k.UserName, nameKey(k.UserName), boolToDB(k.Active), timeToDB(k.CreatedAt))
	if err != nil {
		return s.insertErr("create access key", err)
	}
	return nil
}

// GetAccessKey implements store.Store.
func (s *Store) GetAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	k, err := scanAccessKey(s.queryRow(ctx, s.db, `SELECT `+accessKeyColumns+` FROM access_keys WHERE id = $1`, id))
	if err != nil {
		return store.AccessKey{}, getErr("get access key", err)
	}
	return k, nil
}

// ListAccessKeys implements store.Store: the keys of one user, oldest first (ties by id). The
// user name matches ignoring case, like every other name lookup.
func (s *Store) ListAccessKeys(ctx context.Context, accountID, userName string) ([]store.AccessKey, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+accessKeyColumns+` FROM access_keys
		WHERE account_id = $1 AND user_key = $2 ORDER BY created_at, id`, accountID, nameKey(userName))
	if err != nil {
		return nil, fmt.Errorf("store: list access keys: %w", err)
	}
	return collect(rows, "list access keys", scanAccessKey)
}

// UpdateAccessKey implements store.Store. update runs inside the transaction, so it must be
// quick and must not call the Store: with a bounded connection pool (SQLite uses one
// connection) it would wait forever for a connection this transaction holds. update may
// change every field but ID; its error is returned unchanged and nothing is written.
func (s *Store) UpdateAccessKey(ctx context.Context, id string, update func(store.AccessKey) (store.AccessKey, error)) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: update access key: begin: %w", err)
	}
	// On every error path the transaction is rolled back and a failed rollback is reported
	// with the error, except after update failed: its error must reach the caller unchanged
	// (a rollback failure then leaves nothing committed either, so nothing is lost).
	updateFailed := false
	defer func() {
		if rbErr := rollback(tx); rbErr != nil && !updateFailed {
			err = errors.Join(err, rbErr)
		}
	}()

	// Lock the row before reading it, with a no-op write: in PostgreSQL this takes the row
	// lock that SELECT ... FOR UPDATE would (which SQLite lacks), and in SQLite it takes the
	// database write lock. Concurrent updates of the key therefore queue here, and the read
	// below sees the previous update's result; no update is lost.
	res, err := s.exec(ctx, tx, `UPDATE access_keys SET active = active WHERE id = $1`, id)
	if err := affected("update access key: lock", res, err); err != nil {
		return err
	}
	old, err := scanAccessKey(s.queryRow(ctx, tx, `SELECT `+accessKeyColumns+` FROM access_keys WHERE id = $1`, id))
	if err != nil {
		return getErr("update access key: read", err)
	}
	k, err := update(old)
	if err != nil {
		updateFailed = true
		return err
	}
	if k.ID != old.ID {
		return fmt.Errorf("store: update access key %s: update changed the id to %q", id, k.ID)
	}
	if _, err := s.exec(ctx, tx, `UPDATE access_keys
		SET secret = $2, account_id = $3, user_name = $4, user_key = $5, active = $6, created_at = $7
		WHERE id = $1`,
		k.ID, k.Secret, k.AccountID, k.UserName, nameKey(k.UserName), boolToDB(k.Active), timeToDB(k.CreatedAt)); err != nil {
		return s.insertErr("update access key: write", err)
	}
	if err := s.announce(ctx, tx, store.Change{Kind: store.ChangedAccessKey, ID: id}); err != nil {
		return fmt.Errorf("store: update access key: %w", err)
	}
	if err := s.commit(tx); err != nil {
		return fmt.Errorf("store: update access key: commit: %w", err)
	}
	return nil
}

// DeleteAccessKey implements store.Store.
func (s *Store) DeleteAccessKey(ctx context.Context, id string) error {
	return s.deleteAnnounced(ctx, "delete access key", store.Change{Kind: store.ChangedAccessKey, ID: id},
		`DELETE FROM access_keys WHERE id = $1`, id)
}

const roleColumns = `account_id, name, id, path, trust_policy, description, max_session_duration, created_at`

func scanRole(sc interface{ Scan(...any) error }) (store.Role, error) {
	var (
		r               store.Role
		maxDur, created int64
	)
	if err := sc.Scan(&r.AccountID, &r.Name, &r.ID, &r.Path, &r.TrustPolicy, &r.Description, &maxDur, &created); err != nil {
		return store.Role{}, err
	}
	r.MaxSessionDuration = int(maxDur)
	r.CreatedAt = timeFromDB(created)
	return r, nil
}

// CreateRole implements store.Store. It returns store.ErrNotFound if the account does not
// exist.
func (s *Store) CreateRole(ctx context.Context, r store.Role) error {
	_, err := s.exec(ctx, s.db, `INSERT INTO roles (account_id, name_key, name, id, path, trust_policy,
		description, max_session_duration, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.AccountID, nameKey(r.Name), r.Name, r.ID, r.Path, r.TrustPolicy,
		r.Description, int64(r.MaxSessionDuration), timeToDB(r.CreatedAt))
	if err != nil {
		return s.insertErr("create role", err)
	}
	return nil
}

// GetRole implements store.Store.
func (s *Store) GetRole(ctx context.Context, accountID, name string) (store.Role, error) {
	r, err := scanRole(s.queryRow(ctx, s.db, `SELECT `+roleColumns+` FROM roles
		WHERE account_id = $1 AND name_key = $2`, accountID, nameKey(name)))
	if err != nil {
		return store.Role{}, getErr("get role", err)
	}
	return r, nil
}

// ListRoles implements store.Store: roles ordered by lower-cased name, after lower(p.After).
func (s *Store) ListRoles(ctx context.Context, accountID string, p store.Page) ([]store.Role, error) {
	after, limit := pageArgs(p)
	rows, err := s.query(ctx, s.db, `SELECT `+roleColumns+` FROM roles
		WHERE account_id = $1 AND name_key > $2 ORDER BY name_key LIMIT $3`, accountID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list roles: %w", err)
	}
	return collect(rows, "list roles", scanRole)
}

// DeleteRole implements store.Store.
func (s *Store) DeleteRole(ctx context.Context, accountID, name string) error {
	res, err := s.exec(ctx, s.db, `DELETE FROM roles WHERE account_id = $1 AND name_key = $2`,
		accountID, nameKey(name))
	return affected("delete role", res, err)
}

// SetRoleTrustPolicy implements store.Store.
func (s *Store) SetRoleTrustPolicy(ctx context.Context, accountID, name, document string) error {
	res, err := s.exec(ctx, s.db, `UPDATE roles SET trust_policy = $3 WHERE account_id = $1 AND name_key = $2`,
		accountID, nameKey(name), document)
	return affected("set role trust policy", res, err)
}

// CreateSession implements store.Store. It returns store.ErrNotFound if the account does not
// exist.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	rolePath := sess.RolePath
	if rolePath == "" {
		rolePath = "/"
	}
	tags, err := tagsToDB(sess.Tags)
	if err != nil {
		return fmt.Errorf("store: create session: tags: %w", err)
	}
	_, err = s.exec(ctx, s.db, `INSERT INTO sessions (access_key_id, secret, token_hash, account_id,
		role_name, role_id, session_name, source_arn, created_at, expires_at,
		role_path, session_policy, session_policy_arns, tags, transitive_tag_keys)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		sess.AccessKeyID, sess.Secret, bytesToDB(sess.TokenHash), sess.AccountID,
		sess.RoleName, sess.RoleID, sess.SessionName, sess.SourceARN,
		timeToDB(sess.CreatedAt), timeToDB(sess.ExpiresAt),
		rolePath, sess.Policy, strings.Join(sess.PolicyARNs, "\n"), tags, strings.Join(sess.TransitiveTagKeys, "\n"))
	if err != nil {
		return s.insertErr("create session", err)
	}
	return nil
}

// GetSession implements store.Store.
func (s *Store) GetSession(ctx context.Context, accessKeyID string) (store.Session, error) {
	var (
		sess             store.Session
		created, expires int64
		arns, tags, keys string
	)
	err := s.queryRow(ctx, s.db, `SELECT access_key_id, secret, token_hash, account_id,
		role_name, role_id, session_name, source_arn, created_at, expires_at,
		role_path, session_policy, session_policy_arns, tags, transitive_tag_keys
		FROM sessions WHERE access_key_id = $1`, accessKeyID).Scan(
		&sess.AccessKeyID, &sess.Secret, &sess.TokenHash, &sess.AccountID,
		&sess.RoleName, &sess.RoleID, &sess.SessionName, &sess.SourceARN, &created, &expires,
		&sess.RolePath, &sess.Policy, &arns, &tags, &keys)
	if err != nil {
		return store.Session{}, getErr("get session", err)
	}
	if arns != "" {
		sess.PolicyARNs = strings.Split(arns, "\n")
	}
	if keys != "" {
		sess.TransitiveTagKeys = strings.Split(keys, "\n")
	}
	if sess.Tags, err = tagsFromDB(tags); err != nil {
		return store.Session{}, fmt.Errorf("store: session %s: tags: %w", accessKeyID, err)
	}
	sess.CreatedAt = timeFromDB(created)
	sess.ExpiresAt = timeFromDB(expires)
	return sess, nil
}

// DeleteExpiredSessions implements store.Store: it deletes sessions with ExpiresAt before t.
func (s *Store) DeleteExpiredSessions(ctx context.Context, t time.Time) (int, error) {
	res, err := s.exec(ctx, s.db, `DELETE FROM sessions WHERE expires_at < $1`, timeToDB(t))
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: rows affected: %w", err)
	}
	return int(n), nil
}

// collect scans every row and closes rows, reporting any error of the iteration, the scan
// or the close.
func collect[T any](rows *sql.Rows, op string, scan func(interface{ Scan(...any) error }) (T, error)) (_ []T, err error) {
	defer func() {
		if cerr := rows.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("store: %s: close rows: %w", op, cerr)
		}
	}()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: scan: %w", op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	return out, nil
}
