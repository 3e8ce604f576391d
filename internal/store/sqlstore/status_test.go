package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store/postgres"
	"github.com/connectfed/connectfed/internal/store/sqlite"
	"github.com/connectfed/connectfed/internal/store/sqlstore"
	"github.com/connectfed/connectfed/internal/store/storetest"
)

// These tests run Version and Migrate on the real flavours, which the package's own tests
// cannot import.

// schemaDB is a database to run the lifecycle on, with a way to list its tables.
type schemaDB struct {
	db     *sql.DB
	f      sqlstore.Flavor
	tables func() []string
}

func sqliteDB(t *testing.T) schemaDB {
	t.Helper()
	db, err := sqlite.OpenDB(filepath.Join(t.TempDir(), "connectfed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return schemaDB{db, sqlite.Flavor(), func() []string {
		return storetest.QueryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	}}
}

// postgresDB is a connection to a schema of its own, dropped when the test ends; it skips the
// test without CONNECTFED_TEST_POSTGRES_URL.
func postgresDB(t *testing.T) schemaDB {
	t.Helper()
	admin, schema, u := storetest.PostgresSchema(t, "cf_test_")
	db, err := postgres.OpenDB(t.Context(), u, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // before the schema is dropped
	return schemaDB{db, postgres.Flavor(), func() []string {
		return storetest.QueryStrings(t, admin, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, schema)
	}}
}

func strs(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVersionAndMigrateSQLite(t *testing.T)   { testVersionAndMigrate(t, sqliteDB(t)) }
func TestVersionAndMigratePostgres(t *testing.T) { testVersionAndMigrate(t, postgresDB(t)) }

// A database goes from nothing, through an older schema, to the current one; Version only
// reads, Migrate says where it started and ended, and a too-new schema is reported as it is
// by Version and refused by Migrate.
func testVersionAndMigrate(t *testing.T, d schemaDB) {
	ctx := t.Context()
	latest := sqlstore.SchemaVersion()
	version := func() int {
		t.Helper()
		v, err := sqlstore.Version(ctx, d.db, d.f)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	migrate := func(to int) (int, int, error) {
		t.Helper()
		return sqlstore.MigrateTo(ctx, d.db, d.f, to)
	}

	if v := version(); v != 0 {
		t.Errorf("Version of an empty database = %d, want 0", v)
	}
	if tables := d.tables(); len(tables) != 0 {
		t.Errorf("Version created %q", tables)
	}
	if from, to, err := migrate(1); err != nil || from != 0 || to != 1 || version() != 1 {
		t.Fatalf("MigrateTo(1) of an empty database: from %d to %d, %v; Version then %d", from, to, err, version())
	}
	if from, to, err := sqlstore.Migrate(ctx, d.db, d.f); err != nil || from != 1 || to != latest || version() != latest {
		t.Fatalf("Migrate from version 1: from %d to %d, %v; Version then %d; want 1 to %d", from, to, err, version(), latest)
	}
	if from, to, err := sqlstore.Migrate(ctx, d.db, d.f); err != nil || from != latest || to != latest {
		t.Errorf("Migrate of a current database: from %d to %d, %v", from, to, err)
	}
	if _, _, err := migrate(1); err == nil || !strings.Contains(err.Error(), "only go forward") || version() != latest {
		t.Errorf("MigrateTo(1) of a current database: %v, version %d; want a refusal and no change", err, version())
	}

	if _, err := d.db.ExecContext(ctx, `UPDATE schema_version SET version = $1`, latest+1); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != latest+1 {
		t.Errorf("Version of a newer schema = %d, want %d", v, latest+1)
	}
	_, _, err := sqlstore.Migrate(ctx, d.db, d.f)
	var tooNew *sqlstore.SchemaTooNewError
	if !errors.As(err, &tooNew) || tooNew.Database != latest+1 || tooNew.Known != latest || version() != latest+1 {
		t.Errorf("Migrate of a newer schema: %v, version then %d; want a SchemaTooNewError and no change", err, version())
	}
}

// Migrate takes the flavour's lock, as New does, and releases it even when it refuses.
func TestMigrateTakesTheLock(t *testing.T) {
	d := sqliteDB(t)
	var events []string
	f := d.f
	f.Lock = func(context.Context, *sql.Conn) (func(), error) {
		events = append(events, "lock")
		return func() { events = append(events, "unlock") }, nil
	}
	if _, _, err := sqlstore.Migrate(t.Context(), d.db, f); err != nil {
		t.Fatal(err)
	}
	if _, err := d.db.Exec(`UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sqlstore.Migrate(t.Context(), d.db, f); err == nil {
		t.Fatal("Migrate of a newer schema succeeded")
	}
	if want := []string{"lock", "unlock", "lock", "unlock"}; !slices.Equal(events, want) {
		t.Errorf("lock events = %q, want %q", events, want)
	}
}

// Version fails, rather than answering 0, when it cannot read the database.
func TestVersionOfAClosedDatabase(t *testing.T) {
	d := sqliteDB(t)
	d.db.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if v, err := sqlstore.Version(ctx, d.db, d.f); err == nil {
		t.Errorf("Version of a closed database = %d, no error", v)
	}
}
