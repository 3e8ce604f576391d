package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/store/sqlstore"
	"github.com/connectfed/connectfed/internal/store/storetest"
)

// The tests need a PostgreSQL database in which they may create and drop schemas
// (storetest.PostgresURLEnv; they skip without it). Each test works in a schema of its own,
// named cf_test_<random>, dropped when it ends, so tests can run in parallel and repeatedly
// against one database and leave nothing behind.

// adminDB opens the test database outside any test schema, closed when the test ends.
func adminDB(t *testing.T) *sql.DB {
	t.Helper()
	return storetest.PostgresAdmin(t)
}

// newSchema creates an empty schema, dropped with everything in it when the test ends (after
// the stores the test opens on it are closed), and returns its name and a URL whose sessions
// work in it.
func newSchema(t *testing.T) (schema, schemaURL string) {
	t.Helper()
	_, schema, schemaURL = storetest.PostgresSchema(t, "cf_test_")
	return schema, schemaURL
}

// openTimeout bounds every Open of the tests, so that a migration lock left held fails them
// rather than hanging them.
const openTimeout = 30 * time.Second

func open(t *testing.T, schemaURL string) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), openTimeout)
	defer cancel()
	s, err := Open(ctx, schemaURL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		_, u := newSchema(t)
		return open(t, u)
	})
}

// Two replicas on one database: each Open is a pool of its own on the same schema.
func TestShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		_, u := newSchema(t)
		return open(t, u), open(t, u)
	})
}

// Every indexed text column (every key, unique name and paging column) compares bytewise
// whatever the server's locale: COLLATE "C". The paging tests cannot show this on a server
// whose default collation is already bytewise (C or C.UTF-8), as test servers often are.
func TestKeyColumnsCollateC(t *testing.T) {
	admin := adminDB(t)
	schema, u := newSchema(t)
	if err := open(t, u).Close(); err != nil {
		t.Fatal(err)
	}
	rows, err := admin.QueryContext(t.Context(), `SELECT DISTINCT c.relname, a.attname, coalesce(co.collname, '')
		FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
		LEFT JOIN pg_collation co ON co.oid = a.attcollation
		WHERE n.nspname = $1 AND a.atttypid = 'text'::regtype
		ORDER BY 1, 2`, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table, column, collation string
		if err := rows.Scan(&table, &column, &collation); err != nil {
			t.Fatal(err)
		}
		n++
		if collation != "C" {
			t.Errorf("%s.%s is indexed with collation %q, want \"C\"", table, column, collation)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("found %d indexed text columns; the query does not see the schema", n)
	}
}

// schemaVersion reads the schema version of schema, or -1 when it has no schema_version.
func schemaVersion(t *testing.T, admin *sql.DB, schema string) int {
	t.Helper()
	var exists bool
	if err := admin.QueryRowContext(t.Context(), `SELECT EXISTS (SELECT 1 FROM information_schema.tables
		WHERE table_schema = $1 AND table_name = 'schema_version')`, schema).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if !exists {
		return -1
	}
	var v int
	if err := admin.QueryRowContext(t.Context(), `SELECT version FROM `+pgx.Identifier{schema, "schema_version"}.Sanitize()).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// checkLockFree fails unless the migration lock can be taken, i.e. no store left it held. It
// retries for a while: a test running in parallel, in this process or another, may be
// migrating its own schema.
func checkLockFree(t *testing.T, admin *sql.DB) {
	t.Helper()
	conn, err := admin.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		var got bool
		if err := conn.QueryRowContext(t.Context(), `SELECT pg_try_advisory_lock($1)`, migrationLockKey).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got {
			if _, err := conn.ExecContext(t.Context(), `SELECT pg_advisory_unlock($1)`, migrationLockKey); err != nil {
				t.Fatal(err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the migration lock is still held: a store did not release it")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type opened struct {
	s   *Store
	err error
}

// openAll starts n Opens of schemaURL at once and returns the channel their results arrive on.
func openAll(t *testing.T, schemaURL string, n int) <-chan opened {
	results := make(chan opened, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			<-start
			ctx, cancel := context.WithTimeout(t.Context(), openTimeout)
			defer cancel()
			s, err := Open(ctx, schemaURL, Options{})
			results <- opened{s, err}
		})
	}
	close(start)
	go func() { wg.Wait(); close(results) }()
	return results
}

// checkOpened collects n results of openAll: every Open must have succeeded, and the stores
// must share one migrated database.
func checkOpened(t *testing.T, admin *sql.DB, schema string, results <-chan opened, n int) {
	t.Helper()
	var stores []*Store
	for r := range results {
		if r.err != nil {
			t.Errorf("concurrent Open: %v", r.err)
			continue
		}
		stores = append(stores, r.s)
		t.Cleanup(func() {
			if err := r.s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	if len(stores) != n {
		t.Fatalf("%d of %d concurrent Opens succeeded, want all", len(stores), n)
	}
	if v := schemaVersion(t, admin, schema); v != sqlstore.SchemaVersion() {
		t.Errorf("schema version after concurrent Opens = %d, want %d", v, sqlstore.SchemaVersion())
	}
	ctx := t.Context()
	if err := stores[0].CreateAccount(ctx, store.Account{ID: "111111111111"}); err != nil {
		t.Fatal(err)
	}
	for i, s := range stores {
		if _, err := s.GetAccount(ctx, "111111111111"); err != nil {
			t.Errorf("store %d: GetAccount of another store's account: %v", i, err)
		}
	}
	checkLockFree(t, admin)
}

// Replicas starting together on a fresh database all start, and the schema is migrated once:
// a second run of a migration would fail on its CREATE TABLEs, and concurrent
// CREATE TABLE IF NOT EXISTS of schema_version can fail in PostgreSQL too.
func TestConcurrentOpen(t *testing.T) {
	admin := adminDB(t)
	const n = 4

	t.Run("race", func(t *testing.T) {
		schema, u := newSchema(t)
		checkOpened(t, admin, schema, openAll(t, u, n), n)
	})

	// With the migration lock held elsewhere, as by a replica migrating, every Open waits for
	// it before touching the schema, and proceeds when it is released.
	t.Run("queued behind the lock", func(t *testing.T) {
		schema, u := newSchema(t)
		holder, err := admin.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Close()
		if _, err := holder.ExecContext(t.Context(), `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
			t.Fatal(err)
		}
		locked := true
		unlock := func() {
			if locked {
				locked = false
				if _, err := holder.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLockKey); err != nil {
					t.Fatal(err)
				}
			}
		}
		defer unlock()

		results := openAll(t, u, n)
		select {
		case r := <-results:
			t.Fatalf("Open returned while another session held the migration lock: %v", r.err)
		case <-time.After(500 * time.Millisecond):
		}
		if v := schemaVersion(t, admin, schema); v != -1 {
			t.Fatalf("schema_version exists (version %d) while another session held the migration lock", v)
		}
		unlock()
		checkOpened(t, admin, schema, results, n)
	})
}

// Open gives up waiting for the migration lock when its context is done, and leaves the lock
// with its holder.
func TestOpenLockWaitCancelled(t *testing.T) {
	admin := adminDB(t)
	_, u := newSchema(t)
	holder, err := admin.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(t.Context(), `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	s, err := Open(ctx, u, Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded while another session held the migration lock")
	}
	if !strings.Contains(err.Error(), "lock") {
		t.Errorf("Open with the lock held elsewhere: %v, want an error about the lock", err)
	}
	var held bool
	if err := holder.QueryRowContext(t.Context(), `SELECT pg_advisory_unlock($1)`, migrationLockKey).Scan(&held); err != nil || !held {
		t.Fatalf("the holder's lock after the cancelled Open: held %v, %v", held, err)
	}
	checkLockFree(t, admin)
}

// A database migrated by a newer connectfed is refused, saying what to do, and the refusal
// releases the migration lock.
func TestNewerSchemaRefused(t *testing.T) {
	admin := adminDB(t)
	schema, u := newSchema(t)
	if err := open(t, u).Close(); err != nil {
		t.Fatal(err)
	}
	newer := sqlstore.SchemaVersion() + 2
	if _, err := admin.ExecContext(t.Context(), `UPDATE `+pgx.Identifier{schema, "schema_version"}.Sanitize()+
		` SET version = $1`, newer); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), openTimeout)
	defer cancel()
	s, err := Open(ctx, u, Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
	want := fmt.Sprintf("database schema version %d is newer than this connectfed knows (%d); upgrade connectfed",
		newer, sqlstore.SchemaVersion())
	var tooNew *sqlstore.SchemaTooNewError
	if !strings.Contains(err.Error(), want) || !errors.As(err, &tooNew) {
		t.Errorf("Open of a newer schema: %v\nwant an error saying %q", err, want)
	}
	if v := schemaVersion(t, admin, schema); v != newer {
		t.Errorf("schema version after the refusal = %d, want %d untouched", v, newer)
	}
	checkLockFree(t, admin)
}

// An unreachable server fails Open at once, naming the server and not the password. This
// needs no database.
func TestOpenUnreachable(t *testing.T) {
	const secret = "s3cr3t-pw"
	start := time.Now()
	// Nothing listens on port 1.
	s, err := Open(t.Context(), "postgres://connectfed:"+secret+"@127.0.0.1:1/connectfed?sslmode=disable", Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open of an unreachable server succeeded")
	}
	t.Logf("error after %v: %v", time.Since(start), err)
	for _, want := range []string{"database unreachable", "connectfed@127.0.0.1:1/connectfed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open of an unreachable server: %v\nwant it to say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("Open's error shows the password: %v", err)
	}
}

func TestOpenBadURL(t *testing.T) {
	for _, u := range []string{"", "postgres://connectfed:pw@127.0.0.1:notaport/db"} {
		s, err := Open(t.Context(), u, Options{})
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		if strings.Contains(err.Error(), ":pw@") {
			t.Errorf("Open(%q): the error shows the password: %v", u, err)
		}
	}
}
