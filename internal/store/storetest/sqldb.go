package storetest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql's "pgx" driver, for PostgresSchema's admin
)

// Helpers for tests that look at a database below the store: a PostgreSQL schema of the test's
// own, and the raw rows of every table. Written once here for the backends', sqlstore's and
// the commands' tests.

// PostgresURLEnv names the PostgreSQL database the tests may create schemas in. Tests that
// need PostgreSQL skip without it; .ci/run sets it.
const PostgresURLEnv = "CONNECTFED_TEST_POSTGRES_URL"

// PostgresSchema creates an empty schema with a random name starting with prefix, dropped with
// everything in it when the test ends, and returns a connection outside the schema (closed
// after the drop) and a URL whose sessions work in it. It skips the test without
// PostgresURLEnv. Stores the test opens on the URL must be closed before the test ends
// (register their Close after calling this).
func PostgresSchema(t testing.TB, prefix string) (admin *sql.DB, schema, schemaURL string) {
	t.Helper()
	admin = PostgresAdmin(t)
	var b [8]byte
	rand.Read(b[:])
	schema = prefix + hex.EncodeToString(b[:])
	quoted := pgx.Identifier{schema}.Sanitize()
	if _, err := admin.Exec(`CREATE SCHEMA ` + quoted); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + quoted + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return admin, schema, WithSearchPath(t, os.Getenv(PostgresURLEnv), schema)
}

// PostgresAdmin opens the PostgreSQL database of PostgresURLEnv outside any test schema, closed
// when the test ends; it skips the test without PostgresURLEnv.
func PostgresAdmin(t testing.TB) *sql.DB {
	t.Helper()
	base := os.Getenv(PostgresURLEnv)
	if base == "" {
		t.Skipf("%s is not set: skipping a PostgreSQL test; set it to a database the tests may create "+
			"schemas in, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", PostgresURLEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return admin
}

// WithSearchPath adds search_path=schema to a postgres:// URL or a keyword/value string.
func WithSearchPath(t testing.TB, base, schema string) string {
	t.Helper()
	if !strings.Contains(base, "://") {
		return base + " search_path=" + schema
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// QueryStrings runs a query of one text column and returns its values.
func QueryStrings(t testing.TB, db *sql.DB, query string, args ...any) []string {
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

// SQLiteTables lists the tables of a SQLite database, but SQLite's own (sqlite_*).
func SQLiteTables(t testing.TB, db *sql.DB) []string {
	t.Helper()
	return QueryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
}

// DumpSQLite renders every row of every table of a SQLite database, each value with its Go
// type, ordered by every column: two databases with equal dumps hold the same values byte for
// byte. The tables come from the database's own catalog, so a table one side lacks shows up.
func DumpSQLite(t testing.TB, db *sql.DB) map[string][]string {
	t.Helper()
	dump := map[string][]string{}
	for _, table := range SQLiteTables(t, db) {
		rows, err := db.Query(`SELECT * FROM ` + table + ` LIMIT 0`)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := rows.Columns()
		rows.Close()
		if err != nil {
			t.Fatal(err)
		}
		order := make([]string, len(cols))
		for i := range cols {
			order[i] = fmt.Sprint(i + 1)
		}
		dump[table] = dumpRows(t, db, `SELECT * FROM `+table+` ORDER BY `+strings.Join(order, ", "), cols)
	}
	return dump
}

func dumpRows(t testing.TB, db *sql.DB, query string, cols []string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	values := make([]any, len(cols))
	dests := make([]any, len(cols))
	for i := range values {
		dests[i] = &values[i]
	}
	out := []string{}
	for rows.Next() {
		if err := rows.Scan(dests...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, v := range values {
			switch v.(type) {
			case string, []byte:
				fmt.Fprintf(&b, "%s=%T:%q ", cols[i], v, v)
			default:
				fmt.Fprintf(&b, "%s=%T:%v ", cols[i], v, v)
			}
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
