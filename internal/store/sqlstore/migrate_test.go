package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the sqlite package would be an import cycle here
)

// testFlavor is enough of SQLite for the migration machinery, which maps no errors.
var testFlavor = Flavor{
	Name:                  "test",
	BytesType:             "BLOB",
	KeyType:               "TEXT",
	IsUniqueViolation:     func(error) bool { return false },
	IsForeignKeyViolation: func(error) bool { return false },
}

func openTestDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func version(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// A database at version N gets exactly the steps after N, and migrating again is a no-op.
func TestMigrateStepwise(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	v1 := []migration{{`CREATE TABLE a (x {key})`}}
	if err := migrate(ctx, db, testFlavor, v1); err != nil {
		t.Fatal(err)
	}
	if v := version(t, db); v != 1 {
		t.Fatalf("version after one step = %d, want 1", v)
	}
	v2 := append(v1, migration{`CREATE TABLE b (y {bytes})`, `INSERT INTO a (x) VALUES ('from step 2')`})
	for range 2 {
		if err := migrate(ctx, db, testFlavor, v2); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM a`).Scan(&n); err != nil || n != 1 || version(t, db) != 2 || !tableExists(t, db, "b") {
		t.Errorf("after two steps: %d rows in a (%v), version %d, table b %v; want 1 row, version 2, table b",
			n, err, version(t, db), tableExists(t, db, "b"))
	}
}

// A step that fails leaves no trace: not its earlier statements, not a version bump.
func TestMigrationStepIsAtomic(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	steps := []migration{
		{`CREATE TABLE a (x TEXT)`},
		{`CREATE TABLE b (y TEXT)`, `CREATE TABLE broken (`},
	}
	err := migrate(ctx, db, testFlavor, steps)
	if err == nil || !strings.Contains(err.Error(), "migration 2, statement 2") {
		t.Fatalf("migrate with a broken step 2: %v, want an error naming migration 2, statement 2", err)
	}
	if v := version(t, db); v != 1 || tableExists(t, db, "b") {
		t.Errorf("after failed step 2: version %d, table b %v; want version 1 and no table b", v, tableExists(t, db, "b"))
	}
	steps[1] = migration{`CREATE TABLE b (y TEXT)`}
	if err := migrate(ctx, db, testFlavor, steps); err != nil {
		t.Fatalf("migrate after fixing step 2: %v", err)
	}
	if v := version(t, db); v != 2 {
		t.Errorf("version after fixing step 2 = %d, want 2", v)
	}
}

func TestSchemaTooNew(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	steps := []migration{{`CREATE TABLE a (x TEXT)`}, {`CREATE TABLE b (x TEXT)`}}
	if err := migrate(ctx, db, testFlavor, steps); err != nil {
		t.Fatal(err)
	}
	err := migrate(ctx, db, testFlavor, steps[:1])
	var tooNew *SchemaTooNewError
	if !errors.As(err, &tooNew) || tooNew.Database != 2 || tooNew.Known != 1 {
		t.Fatalf("migrate of a newer database: %v, want a SchemaTooNewError{2, 1}", err)
	}
	const want = "database schema version 2 is newer than this connectfed knows (1); upgrade connectfed"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestNewRejectsIncompleteFlavor(t *testing.T) {
	f := testFlavor
	f.IsForeignKeyViolation = nil
	if _, err := New(openTestDB(t), f); err == nil || !strings.Contains(err.Error(), "IsForeignKeyViolation") {
		t.Errorf("New with no IsForeignKeyViolation: %v, want an error naming it", err)
	}
}

// Every schema statement's type tokens are expanded: a leftover would be a syntax error only
// in the flavour that does not happen to accept it.
func TestMigrationsExpandTokens(t *testing.T) {
	for i, m := range migrations {
		for j, stmt := range m {
			if s := testFlavor.ddl(stmt); strings.ContainsAny(s, "{}") {
				t.Errorf("migration %d, statement %d has an unknown token: %s", i+1, j+1, s)
			}
		}
	}
}

// A flavour's Lock is taken before the migration touches the database, on the connection the
// migration then runs on, and released whether the migration succeeds or is refused.
func TestMigrateLock(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	var events []string
	f := testFlavor
	f.Lock = func(ctx context.Context, conn *sql.Conn) (func(), error) {
		var n int
		err := conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'`).Scan(&n)
		events = append(events, fmt.Sprintf("lock (schema_version tables: %d, %v)", n, err))
		return func() { events = append(events, "unlock") }, nil
	}
	steps := []migration{{`CREATE TABLE a (x TEXT)`}}
	if err := migrate(ctx, db, f, steps); err != nil {
		t.Fatal(err)
	}
	var tooNew *SchemaTooNewError
	if err := migrate(ctx, db, f, nil); !errors.As(err, &tooNew) {
		t.Fatalf("migrate of a newer database: %v, want a SchemaTooNewError", err)
	}
	want := []string{"lock (schema_version tables: 0, <nil>)", "unlock", "lock (schema_version tables: 1, <nil>)", "unlock"}
	if !slices.Equal(events, want) {
		t.Errorf("lock events = %q, want %q", events, want)
	}

	// A lock that cannot be taken fails the migration before it does anything.
	events = nil
	f.Lock = func(context.Context, *sql.Conn) (func(), error) { return nil, errors.New("lock refused") }
	fresh := openTestDB(t)
	if err := migrate(ctx, fresh, f, steps); err == nil || !strings.Contains(err.Error(), "lock refused") {
		t.Errorf("migrate with a refused lock: %v, want the lock's error", err)
	}
	if tableExists(t, fresh, "schema_version") {
		t.Errorf("migrate with a refused lock created schema_version")
	}
}

// Profiles written before migration 11 come through it: same rows, no details, last modified
// when created, names now unique.
func TestMigration11KeepsProfiles(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	if err := migrate(ctx, db, testFlavor, migrations[:10]); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO accounts (id, created_at) VALUES ('111111111111', 1)`,
		`INSERT INTO instances (id, account_id, region, alias, alias_key, identity_management_type, directory_id,
			inbound_calls, outbound_calls, created_at, client_token, tags) VALUES ('i1', '111111111111', 'us-east-1', 'a', 'a', 'SAML', '', 1, 0, 5, '', '')`,
		`INSERT INTO security_profiles (instance_id, id, name, description, created_at) VALUES ('i1', 's1', 'Agent', 'd', 7)`,
		`INSERT INTO routing_profiles (instance_id, id, name, description, created_at) VALUES ('i1', 'r1', 'Basic Routing Profile', '', 8)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := migrate(ctx, db, testFlavor, migrations[:11]); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		table, id, name string
		created         int64
	}{{"security_profiles", "s1", "Agent", 7}, {"routing_profiles", "r1", "Basic Routing Profile", 8}} {
		var name string
		var details []byte
		var created, updated int64
		err := db.QueryRowContext(ctx, `SELECT name, details, created_at, updated_at FROM `+c.table+` WHERE instance_id = 'i1' AND id = $1`, c.id).
			Scan(&name, &details, &created, &updated)
		if err != nil || name != c.name || len(details) != 0 || created != c.created || updated != c.created {
			t.Errorf("%s %s after migration 11: %q %q %d %d, %v", c.table, c.id, name, details, created, updated, err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO `+c.table+` (instance_id, id, name, description, details, created_at, updated_at)
			VALUES ('i1', 'dup', $1, '', '', 9, 9)`, c.name); err == nil {
			t.Errorf("%s: a second profile named %q was accepted", c.table, c.name)
		}
	}
	if !tableExists(t, db, "queues") {
		t.Error("no queues table after migration 11")
	}
}
