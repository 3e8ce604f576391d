package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// This file is the schema's state as tools see it (connectfed migrate status and apply): the
// version a database is at, read without changing anything, and migrating on request rather
// than as a side effect of opening a Store. The machinery is migrate.go's; nothing here knows
// a migration's content.

// Version reports db's schema version: how many migrations have been applied to it, 0 for a
// database no connectfed has migrated (it has no schema_version table). It only reads: it
// creates nothing, takes no lock, and reports a version newer than SchemaVersion() as it is,
// for the caller to refuse.
func Version(ctx context.Context, db *sql.DB, f Flavor) (int, error) {
	if err := f.validate(); err != nil {
		return 0, err
	}
	exists, err := schemaVersionExists(ctx, db)
	if err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	err = db.QueryRowContext(ctx, `SELECT version FROM schema_version WHERE id = 1`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// The table was created but its row not yet inserted: a first migration was cut short
		// between the two, before any step ran.
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// schemaVersionExists reports whether the schema_version table exists where the migrations
// create it. Flavor has no catalog query, so this asks each catalog sqlstore's databases have
// in turn: the SQL standard's information_schema (PostgreSQL's), restricted to
// current_schema(), where an unqualified CREATE TABLE puts a table (the first existing schema
// of search_path); then SQLite's sqlite_master. A catalog the database lacks is an error
// there, not an answer, so the next is tried; when none answers, their errors are returned
// together. PostgreSQL goes first because it writes every failed query to the server's log,
// and SQLite keeps no log.
func schemaVersionExists(ctx context.Context, db *sql.DB) (bool, error) {
	catalogs := []string{
		`SELECT count(*) FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_name = 'schema_version'`,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`,
	}
	var errs []error
	for _, q := range catalogs {
		var n int
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			errs = append(errs, err)
			continue
		}
		return n > 0, nil
	}
	return false, errors.Join(errs...)
}

// Migrate brings db to SchemaVersion() exactly as New does (under the flavour's Lock, one
// transaction per migration), and reports the version it found once it held the lock and the
// version it left: from == to when there was nothing to do, and after a failed migration, to
// is the last version committed. A database newer than this binary is refused with a
// *SchemaTooNewError and left as it was. The caller keeps db.
func Migrate(ctx context.Context, db *sql.DB, f Flavor) (from, to int, err error) {
	return MigrateTo(ctx, db, f, SchemaVersion())
}

// MigrateTo is Migrate stopping at version: it leaves db as the connectfed that knew that
// many migrations would have. It exists for tests and tools that need a database as an older
// connectfed left it, to exercise an upgrade. Migrations only go forward: a database already
// past version is refused and left as it was.
func MigrateTo(ctx context.Context, db *sql.DB, f Flavor, version int) (from, to int, err error) {
	if version < 0 || version > SchemaVersion() {
		return 0, 0, fmt.Errorf("store: migrate to version %d: this connectfed knows versions 0 to %d", version, SchemaVersion())
	}
	if err := f.validate(); err != nil {
		return 0, 0, err
	}
	from, to, err = migrateFrom(ctx, db, f, migrations[:version])
	var tooNew *SchemaTooNewError
	if errors.As(err, &tooNew) && tooNew.Database <= SchemaVersion() {
		// The database is not too new for this binary, only past the version asked for.
		return from, to, fmt.Errorf("store: migrate to version %d: the database is at version %d, and migrations only go forward",
			version, tooNew.Database)
	}
	return from, to, err
}
