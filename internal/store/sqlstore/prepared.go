package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// Statements are prepared once per query text and kept: SQLite parsed each statement anew on
// every call, and the parse cost as much as the query (a third of DescribeUser's time in the
// store went to sqlite3_prepare); PostgreSQL saves its planning the same way. database/sql
// prepares a kept statement on each connection as it first runs there.

// maxPrepared bounds the statements kept: every query is a constant of this package, but a
// few are assembled from their input (a list of n placeholders), and those must not grow the
// set without end. Past the bound, a new query runs unprepared.
const maxPrepared = 512

// statements are a Store's prepared statements.
type statements struct {
	byQuery sync.Map // query text → *sql.Stmt
	count   atomic.Int32
}

// prepared is the statement to run query with on q: the kept one (preparing it on first use)
// when q is the store's pool, the kept one bound to the transaction when q is one and the
// query has been prepared already, else nil, and the caller runs the text itself. A
// transaction never prepares on the pool: with SQLite's single connection, held by the
// transaction, that would wait for ever.
func (s *Store) prepared(ctx context.Context, q querier, query string) *sql.Stmt {
	if kept, ok := s.stmts.byQuery.Load(query); ok {
		switch q := q.(type) {
		case *sql.DB:
			if q == s.db {
				return kept.(*sql.Stmt)
			}
		case *sql.Tx:
			return q.StmtContext(ctx, kept.(*sql.Stmt))
		}
		return nil
	}
	if q != querier(s.db) || s.stmts.count.Load() >= maxPrepared {
		return nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil // the text run as it is fails the same way, and is reported as such
	}
	if kept, loaded := s.stmts.byQuery.LoadOrStore(query, st); loaded {
		st.Close()
		return kept.(*sql.Stmt)
	}
	s.stmts.count.Add(1)
	return st
}

// close closes every kept statement.
func (st *statements) close() {
	st.byQuery.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		st.byQuery.Delete(k)
		return true
	})
}
