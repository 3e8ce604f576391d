package cli

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectfed/connectfed/internal/store/sqlite"
	"github.com/connectfed/connectfed/internal/store/sqlstore"
)

// runMain runs connectfed in this process.
func runMain(args ...string) cliRun {
	var stdout, stderr strings.Builder
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	return cliRun{stdout.String(), stderr.String(), code}
}

// migrateTarget names a store for migrate by its flags: a SQLite database in a new data
// directory, or a new PostgreSQL schema.
type migrateTarget struct {
	name  string
	flags func(t *testing.T) []string
	open  func(t *testing.T, flags []string) (*sql.DB, sqlstore.Flavor)
}

func migrateTargets() []migrateTarget {
	return []migrateTarget{
		{"sqlite", func(t *testing.T) []string { return []string{"--data-dir", t.TempDir()} },
			func(t *testing.T, flags []string) (*sql.DB, sqlstore.Flavor) {
				db, err := sqlite.OpenDB(filepath.Join(flags[1], "connectfed.db"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db, sqlite.Flavor()
			}},
		{"postgres", func(t *testing.T) []string { return []string{"--database", postgresURL(t)} },
			func(t *testing.T, flags []string) (*sql.DB, sqlstore.Flavor) {
				loc, err := flagsLocation(flags[1], "")
				if err != nil {
					t.Fatal(err)
				}
				db, f, err := loc.openDB(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db, f
			}},
	}
}

// A store an older connectfed left shows its pending migrations; apply brings it up to date,
// and says so; a second apply has nothing to do.
func TestMigrateStatusAndApply(t *testing.T) {
	latest := sqlstore.SchemaVersion()
	for _, target := range migrateTargets() {
		t.Run(target.name, func(t *testing.T) {
			flags := target.flags(t)
			db, f := target.open(t, flags)
			if _, _, err := sqlstore.MigrateTo(t.Context(), db, f, 1); err != nil {
				t.Fatal(err)
			}
			steps := []struct {
				args []string
				want string
			}{
				{[]string{"migrate", "status"}, fmt.Sprintf("schema version 1; this connectfed knows %d; %d migrations pending (run: connectfed migrate apply)\n", latest, latest-1)},
				{[]string{"migrate", "apply"}, fmt.Sprintf("migrated from version 1 to %d\n", latest)},
				{[]string{"migrate", "status"}, fmt.Sprintf("schema version %d; this connectfed knows %d; up to date\n", latest, latest)},
				{[]string{"migrate", "apply"}, fmt.Sprintf("already at version %d\n", latest)},
			}
			for _, s := range steps {
				r := runMain(append(s.args, flags...)...)
				if r.code != 0 || r.stdout != s.want {
					t.Errorf("connectfed %s: exit %d\n%s%s\nwant:\n%s", strings.Join(s.args, " "), r.code, r.stdout, r.stderr, s.want)
				}
			}
			if v, err := sqlstore.Version(t.Context(), db, f); err != nil || v != latest {
				t.Errorf("schema version after migrate apply: %d, %v; want %d", v, err, latest)
			}
		})
	}
}

// A store a newer connectfed migrated is refused by both commands, which say so and change
// nothing.
func TestMigrateTooNew(t *testing.T) {
	newer := sqlstore.SchemaVersion() + 1
	want := fmt.Sprintf("database schema version %d is newer than this connectfed knows (%d); upgrade connectfed", newer, sqlstore.SchemaVersion())
	for _, target := range migrateTargets() {
		t.Run(target.name, func(t *testing.T) {
			flags := target.flags(t)
			db, f := target.open(t, flags)
			if _, _, err := sqlstore.Migrate(t.Context(), db, f); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE schema_version SET version = $1`, newer); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"status", "apply"} {
				r := runMain(append([]string{"migrate", cmd}, flags...)...)
				if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, want) {
					t.Errorf("migrate %s of a newer store: exit %d\n%s%s\nwant exit 1 and %q", cmd, r.code, r.stdout, r.stderr, want)
				}
			}
			if v, err := sqlstore.Version(t.Context(), db, f); err != nil || v != newer {
				t.Errorf("schema version after the refusals: %d, %v; want %d", v, err, newer)
			}
		})
	}
}

// status reports a data directory without a database, and leaves it without one. The data
// directory comes from the environment, as for every command.
func TestMigrateStatusCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	t.Setenv("CONNECTFED_DATA_DIR", dir)
	r := runMain("migrate", "status")
	want := "no SQLite database at " + filepath.Join(dir, "connectfed.db")
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("migrate status without a database: exit %d\n%s%s\nwant exit 1 and %q", r.code, r.stdout, r.stderr, want)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("migrate status created %s (%v)", dir, err)
	}
}
