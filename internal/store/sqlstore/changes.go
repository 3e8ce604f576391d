package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/connectfed/connectfed/internal/store"
)

// announce runs NotifySQL for c on q, a transaction of the change.
func (s *Store) announce(ctx context.Context, q querier, c store.Change) error {
	if s.f.NotifySQL == "" {
		return nil
	}
	if _, err := s.exec(ctx, q, s.f.NotifySQL, c.Encode()); err != nil {
		return fmt.Errorf("announce %s change: %w", c.Kind, err)
	}
	return nil
}

// changeTx runs write and the announcement of c together: in one transaction where the flavour
// announces changes, so that no process hears of a change that did not commit and none misses
// one that did; on the pool directly where it does not, which costs SQLite no transaction.
// op names the operation in errors; write's own errors come back unchanged.
func (s *Store) changeTx(ctx context.Context, op string, c store.Change, write func(q querier) error) (err error) {
	if s.f.NotifySQL == "" {
		return write(s.db)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: begin: %w", op, err)
	}
	defer func() {
		if rbErr := rollback(tx); rbErr != nil {
			err = errors.Join(err, rbErr)
		}
	}()
	if err := write(tx); err != nil {
		return err
	}
	if err := s.announce(ctx, tx, c); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if err := s.commit(tx); err != nil {
		return fmt.Errorf("store: %s: commit: %w", op, err)
	}
	return nil
}

// deleteAnnounced runs a DELETE that must touch a row (store.ErrNotFound otherwise) and
// announces c with it.
func (s *Store) deleteAnnounced(ctx context.Context, op string, c store.Change, query string, args ...any) error {
	return s.changeTx(ctx, op, c, func(q querier) error {
		res, err := s.exec(ctx, q, query, args...)
		return affected(op, res, err)
	})
}

// inTx runs fn in one transaction and commits it, announcing c with it unless c is nil: for
// writes that must be all or nothing, or that read what they change. op names the operation
// in errors; fn's own errors come back unchanged.
func (s *Store) inTx(ctx context.Context, op string, c *store.Change, fn func(tx querier) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: begin: %w", op, err)
	}
	defer func() {
		// After a commit, rollback finds the transaction done and reports nothing.
		if rbErr := rollback(tx); rbErr != nil {
			err = errors.Join(err, rbErr)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if c != nil {
		if err := s.announce(ctx, tx, *c); err != nil {
			return fmt.Errorf("store: %s: %w", op, err)
		}
	}
	if err := s.commit(tx); err != nil {
		return fmt.Errorf("store: %s: commit: %w", op, err)
	}
	return nil
}
