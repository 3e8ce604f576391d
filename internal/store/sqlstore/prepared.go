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
// when q is one of the store's pools, the writer's kept one bound to the transaction when q is
// one and the query has been prepared already, else nil, and the caller runs the text itself.
// A transaction never prepares on the pool: with SQLite's single writing connection, held by
// the transaction, that would wait for ever.
func (s *Store) prepared(ctx context.Context, q querier, query string) *sql.Stmt {
	switch q := q.(type) {
	case *sql.DB:
		switch {
		case q == s.db:
			return s.stmts.get(ctx, q, query)
		case q == s.rdb && q != nil:
			return s.rstmts.get(ctx, q, query)
		}
	case *sql.Tx:
		if kept, ok := s.stmts.byQuery.Load(query); ok {
			return q.StmtContext(ctx, kept.(*sql.Stmt))
		}
	}
	return nil
}

// get is the statement kept for query on db, prepared now if it is not yet and the bound
// allows; nil when it cannot be (the text run as it is then fails the same way, and is
// reported as such).
func (st *statements) get(ctx context.Context, db *sql.DB, query string) *sql.Stmt {
	if kept, ok := st.byQuery.Load(query); ok {
		return kept.(*sql.Stmt)
	}
	if st.count.Load() >= maxPrepared {
		return nil
	}
	prepared, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if kept, loaded := st.byQuery.LoadOrStore(query, prepared); loaded {
		prepared.Close()
		return kept.(*sql.Stmt)
	}
	st.count.Add(1)
	return prepared
}

// close closes every kept statement.
func (st *statements) close() {
	st.byQuery.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		st.byQuery.Delete(k)
		return true
	})
}
