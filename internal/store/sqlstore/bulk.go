package sqlstore

// Bulk inserts: the fast path for tools that seed a store with many records at once (the
// benchmark harness in bench/ seeds a million Connect users and a hundred thousand access
// keys). They are not part of store.Store; the server never calls them.
//
// Each method writes, in one transaction and with multi-row INSERTs, exactly the rows its
// single-record method would write if called once per record: the same table, columns and
// values. The column lists and value lists below are copies of those methods' INSERTs, so a
// change to one must be made to the other; bulk_test.go writes the same records both ways and
// compares the rows, so the two cannot drift unnoticed.

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/connectfed/connectfed/internal/store"
)

// CreateUsers writes the IAM users as CreateUser writes each one, all or none.
// store.ErrAlreadyExists when a name (ignoring case) is taken, in the store or twice in users;
// store.ErrNotFound when an account does not exist.
func (s *Store) CreateUsers(ctx context.Context, users []store.User) error {
	// Must match CreateUser's INSERT.
	return bulkInsert(ctx, s, "create users", `iam_users`,
		`account_id, name_key, name, id, path, created_at`, 6, users,
		func(v []any, u store.User) []any {
			return append(v, u.AccountID, nameKey(u.Name), u.Name, u.ID, u.Path, timeToDB(u.CreatedAt))
		})
}

// CreateAccessKeys writes the access keys as CreateAccessKey writes each one, all or none.
// store.ErrAlreadyExists when a key id is taken; store.ErrNotFound when an account does not
// exist. Like CreateAccessKey, it does not check that the keys' users exist.
func (s *Store) CreateAccessKeys(ctx context.Context, keys []store.AccessKey) error {
	// Must match CreateAccessKey's INSERT.
	return bulkInsert(ctx, s, "create access keys", `access_keys`,
		`id, secret, account_id, user_name, user_key, active, created_at`, 7, keys,
		func(v []any, k store.AccessKey) []any {
			return append(v, k.ID, k.Secret, k.AccountID, k.UserName, nameKey(k.UserName),
				boolToDB(k.Active), timeToDB(k.CreatedAt))
		})
}

// CreateConnectUsers writes the Connect users as CreateConnectUser writes each one, all or
// none. store.ErrAlreadyExists when a username (exactly) or an id is taken in its instance;
// store.ErrNotFound when an instance does not exist. Details are stored byte for byte.
func (s *Store) CreateConnectUsers(ctx context.Context, users []store.ConnectUser) error {
	// Must match CreateConnectUser's INSERT.
	return bulkInsert(ctx, s, "create connect users", `connect_users`,
		`instance_id, id, username, details, password_hash, created_at, updated_at`, 7, users,
		func(v []any, u store.ConnectUser) []any {
			return append(v, u.InstanceID, u.ID, u.Username, bytesToDB(u.Details), bytesToDB(u.PasswordHash),
				timeToDB(u.CreatedAt), timeToDB(u.UpdatedAt))
		})
}

// bulkPlaceholders bounds the parameters of one bulk INSERT (rows times columns), far below
// Copy's maxPlaceholders. SQLite keeps a statement's named parameters ($N) in a list it searches
// linearly, so parsing and binding one statement costs the square of its parameters: measured
// here, 20,000 Connect users took 18 s at 30,000 parameters a statement and 0.3 s at 60. A few
// hundred keeps that cost small and PostgreSQL's round trips few (one per 40 rows of 6 columns).
const bulkPlaceholders = 240

// bulkInsert writes recs into table in one transaction (see bulkInsertTx).
func bulkInsert[T any](ctx context.Context, s *Store, op, table, list string, n int, recs []T,
	values func([]any, T) []any) error {
	if len(recs) == 0 {
		return nil
	}
	return s.inTx(ctx, op, nil, func(tx querier) error { return bulkInsertTx(ctx, s, tx, op, table, list, n, recs, values) })
}

// preparer is a transaction's way to prepare a statement.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// bulkInsertTx writes recs into table within tx, with one prepared INSERT of as many rows as
// bulkPlaceholders allows (and one shorter INSERT for the rest). list names the n columns that
// values appends, in order, for one record. Errors map to the store's sentinels as the
// single-record methods' do.
func bulkInsertTx[T any](ctx context.Context, s *Store, tx querier, op, table, list string, n int, recs []T,
	values func([]any, T) []any) error {
	if len(recs) == 0 {
		return nil
	}
	perInsert := max(1, bulkPlaceholders/n)
	full, err := tx.(preparer).PrepareContext(ctx, insertRows(table, list, n, perInsert))
	if err != nil {
		return fmt.Errorf("store: %s: prepare: %w", op, err)
	}
	defer full.Close()
	args := make([]any, 0, min(len(recs), perInsert)*n)
	for start := 0; start < len(recs); start += perInsert {
		chunk := recs[start:min(start+perInsert, len(recs))]
		args = args[:0]
		for _, r := range chunk {
			args = values(args, r)
		}
		if len(args) != len(chunk)*n {
			return fmt.Errorf("store: %s: %d values for %d rows of %d columns", op, len(args), len(chunk), n)
		}
		var err error
		if len(chunk) == perInsert {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertRows(table, list, n, len(chunk)), args...)
		}
		if err != nil {
			return s.insertErr(op, err)
		}
	}
	return nil
}
