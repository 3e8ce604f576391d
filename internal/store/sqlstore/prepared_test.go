package sqlstore

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A query on the pool is prepared once and kept; in a transaction on SQLite's one connection,
// a kept statement runs bound to it and a new query runs as text, never waiting for a
// connection the transaction holds; past the bound, queries still run.
func TestPreparedStatements(t *testing.T) {
	db := openTestDB(t)
	db.SetMaxOpenConns(1) // as the sqlite package opens it
	s, err := newStore(t.Context(), db, testFlavor, migrations)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	const q = `SELECT COUNT(*) FROM accounts WHERE id = $1`
	for range 3 {
		var n int
		if err := s.queryRow(ctx, s.db, q, "123456789012").Scan(&n); err != nil || n != 0 {
			t.Fatalf("%q: %d, %v", q, n, err)
		}
	}
	if got := s.stmts.count.Load(); got != 1 {
		t.Errorf("%d statements kept after one query run three times, want 1", got)
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.queryRow(ctx, tx, q, "123456789012").Scan(&n); err != nil {
		t.Errorf("a kept statement in a transaction: %v", err)
	}
	if err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		t.Errorf("a new query in a transaction holding the only connection: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := s.stmts.count.Load(); got != 1 {
		t.Errorf("%d statements kept after a transaction, want 1 (a transaction prepares nothing on the pool)", got)
	}

	for i := range maxPrepared + 10 {
		if err := s.queryRow(ctx, s.db, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
			t.Fatalf("query %d past the bound: %d, %v", i, n, err)
		}
	}
	if got := s.stmts.count.Load(); got != maxPrepared {
		t.Errorf("%d statements kept, want the bound, %d", got, maxPrepared)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
