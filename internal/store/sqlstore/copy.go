package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file moves a whole store from one database to another (connectfed copy: SQLite to
// PostgreSQL and back). It copies rows, not records: every column of every table as the
// source holds it, so nothing the store methods would compute again (name keys, sealed
// secrets) is recomputed, and a column added by a future migration is copied without a change
// here. What it must know is which tables exist, and in which order they can be filled.

// tables is every table of the schema except schema_version (which Open maintains on each
// side), in foreign-key order: a table comes after every table it references, so filling
// them in this order never refers to a row not yet copied. A migration that adds a table
// must add it here, or Copy would leave its rows behind: TestTablesMatchMigrations fails
// until it does.
var tables = []string{
	"accounts",
	"iam_users",
	"access_keys",
	"roles",
	"inline_policies",
	"managed_policies",
	"policy_attachments",
	"permissions_boundaries",
	"saml_providers",
	"sessions",
	"instances",
	"security_profiles",
	"routing_profiles",
	"queues",
	"connect_users",
	"hierarchy_levels",
	"hierarchy_groups",
	"approved_origins",
	"signing_keys",
	"used_tokens",
	"revoked_families",
	"audit_blocks",
}

// maxPlaceholders bounds the parameters of one multi-row INSERT (rows times columns). Several
// rows a statement save round trips, but SQLite's cost per statement grows with the square of
// its parameters: 20,000 users took 17 s at 30,000 parameters a statement, 0.6 s at 1,000 and
// 0.3 s at 300. At 500, 100,000 users go to PostgreSQL in ~2.0 s (2.6 s at 30,000). A
// variable only so that tests can make small tables span several INSERTs.
var maxPlaceholders = 500

// CopyProgress is what Copy reports as it goes.
type CopyProgress struct {
	// Table is the table being copied.
	Table string
	// TableRows of TableTotal rows of Table have been copied.
	TableRows, TableTotal int64
	// TableDone says Table is complete: this is its last report. Every table gets one, an
	// empty table only that one.
	TableDone bool
	// Rows of Total rows, of every table, have been copied.
	Rows, Total int64
}

// NotEmptyError is Copy's refusal of a destination that already holds records.
type NotEmptyError struct {
	Table string // a table of the destination that has rows
}

func (e *NotEmptyError) Error() string {
	return "store: copy: the destination is not empty: table " + e.Table + " has rows; copy only fills an empty store"
}

// Copy copies every row of every table of src into dst, and says how many rows it copied.
// Both stores must be at the same schema version (Open migrates both to this binary's), and
// dst must be empty: a table of dst with a row fails Copy with a *NotEmptyError before it
// writes anything. Values are copied as the source's driver returns them, so they arrive
// byte for byte; an empty byte string stays empty, not NULL.
//
// The source is read in one read-only transaction, a consistent snapshot even while a server
// writes to it; the destination is written in one transaction, so a failure or a cancelled
// ctx leaves it as empty as it was. Rows go in multi-row INSERTs of up to maxPlaceholders
// values. progress, if not nil, is called after each INSERT and when each table is done.
//
// Copy moves sealed secrets (signing keys) as the bytes they are: whoever serves dst needs
// the master key that sealed them.
func Copy(ctx context.Context, dst, src *Store, progress func(CopyProgress)) (copied int64, err error) {
	if dst == src {
		return 0, errors.New("store: copy: the source and the destination are the same store")
	}
	if progress == nil {
		progress = func(CopyProgress) {}
	}
	// REPEATABLE READ is PostgreSQL's snapshot; SQLite (whose read-only transaction begins
	// deferred) takes its snapshot at the first read, and its transactions are serializable
	// whatever the level asked.
	stx, err := src.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("store: copy: begin reading the source: %w", err)
	}
	defer func() {
		// Nothing was written: a failed rollback of the reading transaction loses nothing.
		_ = stx.Rollback()
	}()

	totals := make([]int64, len(tables))
	var total int64
	for i, t := range tables {
		if err := stx.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&totals[i]); err != nil {
			return 0, fmt.Errorf("store: copy: count the source's %s: %w", t, err)
		}
		total += totals[i]
	}

	dtx, err := dst.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: copy: begin writing the destination: %w", err)
	}
	defer func() {
		if err == nil {
			return
		}
		if rbErr := rollback(dtx); rbErr != nil {
			err = errors.Join(err, rbErr)
		}
	}()
	for _, t := range tables {
		var one int
		err := dtx.QueryRowContext(ctx, `SELECT 1 FROM `+t+` LIMIT 1`).Scan(&one)
		switch {
		case err == nil:
			return 0, &NotEmptyError{Table: t}
		case !errors.Is(err, sql.ErrNoRows):
			return 0, fmt.Errorf("store: copy: check that the destination's %s is empty: %w", t, err)
		}
	}

	c := copier{ctx: ctx, dst: dst, dtx: dtx, stx: stx, progress: progress, total: total, maxValues: maxPlaceholders}
	for i, t := range tables {
		if err := c.table(t, totals[i]); err != nil {
			return 0, err // rolled back: nothing was copied
		}
	}
	if err := dst.commit(dtx); err != nil {
		return 0, fmt.Errorf("store: copy: commit the destination: %w", err)
	}
	return c.copied, nil
}

// copier copies one table after another within Copy's two transactions.
type copier struct {
	ctx           context.Context
	dst           *Store
	dtx, stx      *sql.Tx
	progress      func(CopyProgress)
	maxValues     int // placeholders of one INSERT at most
	copied, total int64
}

func (c *copier) table(t string, tableTotal int64) (err error) {
	srcCols, err := columns(c.ctx, c.stx, t)
	if err != nil {
		return fmt.Errorf("store: copy: the source's %s: %w", t, err)
	}
	dstCols, err := columns(c.ctx, c.dtx, t)
	if err != nil {
		return fmt.Errorf("store: copy: the destination's %s: %w", t, err)
	}
	if !slices.Equal(slices.Sorted(slices.Values(srcCols)), slices.Sorted(slices.Values(dstCols))) {
		return fmt.Errorf("store: copy: table %s has columns (%s) in the source but (%s) in the destination",
			t, strings.Join(srcCols, ", "), strings.Join(dstCols, ", "))
	}
	list := strings.Join(srcCols, ", ")

	rows, err := c.stx.QueryContext(c.ctx, `SELECT `+list+` FROM `+t)
	if err != nil {
		return fmt.Errorf("store: copy: read the source's %s: %w", t, err)
	}
	defer func() {
		if cerr := rows.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("store: copy: read the source's %s: %w", t, cerr)
		}
	}()

	n := len(srcCols)
	perInsert := max(1, c.maxValues/n)
	full := insertRows(t, list, n, perInsert) // the text of every full INSERT
	batch := make([]any, 0, perInsert*n)
	var done int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		q := full
		if len(batch) < perInsert*n {
			q = insertRows(t, list, n, len(batch)/n)
		}
		if _, err := c.dtx.ExecContext(c.ctx, q, batch...); err != nil {
			return fmt.Errorf("store: copy: write the destination's %s: %w", t, err)
		}
		k := int64(len(batch) / n)
		done += k
		c.copied += k
		batch = batch[:0]
		c.progress(CopyProgress{Table: t, TableRows: done, TableTotal: tableTotal, Rows: c.copied, Total: c.total})
		return nil
	}

	values := make([]any, n)
	dests := make([]any, n)
	for i := range values {
		dests[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(dests...); err != nil {
			return fmt.Errorf("store: copy: read the source's %s: %w", t, err)
		}
		for _, v := range values {
			// Drivers return an empty byte string as a nil []byte, which the destination's
			// driver would bind as NULL; a NULL (a nil any) stays NULL.
			if b, ok := v.([]byte); ok && b == nil {
				v = []byte{}
			}
			batch = append(batch, v)
		}
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: copy: read the source's %s: %w", t, err)
	}
	if err := flush(); err != nil {
		return err
	}
	c.progress(CopyProgress{Table: t, TableRows: done, TableTotal: tableTotal, TableDone: true, Rows: c.copied, Total: c.total})
	return nil
}

// columns lists the columns of table t, in the order the database keeps them.
func columns(ctx context.Context, q querier, t string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT * FROM `+t+` LIMIT 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rows.Columns()
}

// insertRows is the text of an INSERT of rows rows of n values into t (columns list), with
// $N placeholders.
func insertRows(t, list string, n, rows int) string {
	b := make([]byte, 0, len(t)+len(list)+30+rows*n*8)
	b = append(b, `INSERT INTO `+t+` (`+list+`) VALUES `...)
	p := 1
	for r := range rows {
		if r > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '(')
		for i := range n {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, '$')
			b = strconv.AppendInt(b, int64(p), 10)
			p++
		}
		b = append(b, ')')
	}
	return string(b)
}
