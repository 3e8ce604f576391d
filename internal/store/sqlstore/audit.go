package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/connectfed/connectfed/internal/store"
)

// AppendAuditEvents implements store.Store: the batch is one block (see auditblock.go), one
// row, under an id of its own. Event ids are not checked for uniqueness: they are random UUIDs.
func (s *Store) AppendAuditEvents(ctx context.Context, events []store.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	first, last := events[0].Time, events[0].Time
	for _, e := range events[1:] {
		first, last = minTimeOf(first, e.Time), maxTimeOf(last, e.Time)
	}
	s.audit.Lock()
	defer s.audit.Unlock()
	if _, err := s.exec(ctx, s.db, `INSERT INTO audit_blocks (block_id, first_time, last_time, events, body) VALUES ($1, $2, $3, $4, $5)`,
		uuid.NewString(), timeToDB(first), timeToDB(last), len(events), encodeAuditBlock(&s.audit, events)); err != nil {
		return fmt.Errorf("store: append audit events: %w", err)
	}
	return nil
}

func minTimeOf(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTimeOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// LookupAuditEvents implements store.Store. Blocks are read newest last record first; as the
// time ranges of blocks written by two replicas, or by one writer across a batch, may overlap,
// a record is listed only once no block left to read can hold a newer one (every block left
// ends no later than the one just read).
func (s *Store) LookupAuditEvents(ctx context.Context, q store.AuditQuery) (_ []store.AuditEvent, err error) {
	m, err := newAuditMatcher(q)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = math.MaxInt
	}
	args := []any{m.start, m.end}
	where := `last_time >= $1 AND first_time < $2`
	if !q.BeforeTime.IsZero() {
		args = append(args, m.before)
		where += ` AND first_time <= $3`
	}
	rows, err := s.query(ctx, s.db, `SELECT last_time, body FROM audit_blocks WHERE `+where+` ORDER BY last_time DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: lookup audit events: %w", err)
	}
	defer func() {
		if cerr := rows.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("store: lookup audit events: close rows: %w", cerr)
		}
	}()
	var out, pending []store.AuditEvent
	// settle lists the pending records newer than above; of the rest, only as many as the page
	// still has room for can ever be listed.
	settle := func(above int64) {
		slices.SortFunc(pending, newestFirst)
		i := 0
		for ; i < len(pending) && len(out) < limit && timeToDB(pending[i].Time) > above; i++ {
			out = append(out, pending[i])
		}
		pending = pending[i:]
		if room := limit - len(out); len(pending) > room {
			pending = pending[:room]
		}
	}
	var rec blockRecord
	for rows.Next() && len(out) < limit {
		var last int64
		var body sql.RawBytes
		if err := rows.Scan(&last, &body); err != nil {
			return nil, fmt.Errorf("store: lookup audit events: %w", err)
		}
		settle(last)
		r := newBlockReader(body)
		for r.next(&rec) {
			if m.match(&rec) {
				pending = append(pending, rec.event())
			}
		}
		if r.err != nil {
			return nil, fmt.Errorf("store: lookup audit events: %w", r.err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: lookup audit events: %w", err)
	}
	settle(math.MinInt64)
	return out, nil
}

// DeleteAuditEventsBefore implements store.Store: blocks wholly older than t go; a block that
// holds records on both sides of t is written again without the older ones.
func (s *Store) DeleteAuditEventsBefore(ctx context.Context, t time.Time) (int, error) {
	const op = "delete audit events"
	cut := timeToDB(t)
	deleted := 0
	err := s.inTx(ctx, op, nil, func(tx querier) error {
		var whole sql.NullInt64
		if err := s.queryRow(ctx, tx, `SELECT SUM(events) FROM audit_blocks WHERE last_time < $1`, cut).Scan(&whole); err != nil {
			return fmt.Errorf("store: %s: %w", op, err)
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM audit_blocks WHERE last_time < $1`, cut); err != nil {
			return fmt.Errorf("store: %s: %w", op, err)
		}
		deleted = int(whole.Int64)
		type block struct {
			id   string
			keep []store.AuditEvent
			gone int
		}
		rows, err := s.query(ctx, tx, `SELECT block_id, body FROM audit_blocks WHERE first_time < $1`, cut)
		if err != nil {
			return fmt.Errorf("store: %s: %w", op, err)
		}
		blocks, err := collect(rows, op, func(sc interface{ Scan(...any) error }) (block, error) {
			var b block
			var body []byte
			if err := sc.Scan(&b.id, &body); err != nil {
				return b, err
			}
			r := newBlockReader(body)
			var rec blockRecord
			for r.next(&rec) {
				if rec.time >= cut {
					b.keep = append(b.keep, rec.event())
				} else {
					b.gone++
				}
			}
			return b, r.err
		})
		if err != nil {
			return err
		}
		var buf auditBuffers // the trail's writer may be using the store's
		for _, b := range blocks {
			first := b.keep[0].Time // the block ends at or after t: it keeps a record
			for _, e := range b.keep[1:] {
				first = minTimeOf(first, e.Time)
			}
			if _, err := s.exec(ctx, tx, `UPDATE audit_blocks SET first_time = $1, events = $2, body = $3 WHERE block_id = $4`,
				timeToDB(first), len(b.keep), encodeAuditBlock(&buf, b.keep), b.id); err != nil {
				return fmt.Errorf("store: %s: %w", op, err)
			}
			deleted += b.gone
		}
		return nil
	})
	return deleted, err
}
