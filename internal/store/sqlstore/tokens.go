package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// The queries of the federation token state that must stay index searches however many
// records there are; named so that the plan test can EXPLAIN them.
const (
	// revokeFamilyQuery inserts the revocation or merges it into the existing one: the
	// earliest revoked_at and the latest until win. The merge is a CASE rather than min() and
	// max() (SQLite) or LEAST and GREATEST (PostgreSQL), so that it is one text for every
	// flavour. EXCLUDED is the row that was proposed; the table's name is the existing row.
	revokeFamilyQuery = `INSERT INTO revoked_families (family_id, revoked_at, until) VALUES ($1, $2, $3)
		ON CONFLICT (family_id) DO UPDATE SET
			revoked_at = CASE WHEN excluded.revoked_at < revoked_families.revoked_at
				THEN excluded.revoked_at ELSE revoked_families.revoked_at END,
			until = CASE WHEN excluded.until > revoked_families.until
				THEN excluded.until ELSE revoked_families.until END`
	listRevokedFamiliesQuery = `SELECT family_id, revoked_at, until FROM revoked_families
		WHERE revoked_at >= $1 ORDER BY revoked_at, family_id`
	deleteExpiredUsedTokensQuery      = `DELETE FROM used_tokens WHERE until < $1`
	deleteExpiredRevokedFamiliesQuery = `DELETE FROM revoked_families WHERE until < $1`
)

// MarkTokenUsed implements store.Store. The insert relies on the primary key alone: the
// database admits exactly one row per token id however many transactions race for it, and
// fails the others with a unique violation, which is store.ErrAlreadyExists. No read comes
// first, so there is no window between a check and the write.
func (s *Store) MarkTokenUsed(ctx context.Context, tokenID, familyID string, until time.Time) error {
	_, err := s.exec(ctx, s.db, `INSERT INTO used_tokens (token_id, family_id, until) VALUES ($1, $2, $3)`,
		tokenID, familyID, timeToDB(until))
	if err != nil {
		return s.insertErr("mark token used", err)
	}
	return nil
}

// TokenUsed implements store.Store.
func (s *Store) TokenUsed(ctx context.Context, tokenID string) (bool, error) {
	var one int
	err := s.queryRow(ctx, s.db, `SELECT 1 FROM used_tokens WHERE token_id = $1`, tokenID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store: token used: %w", err)
	}
	return true, nil
}

// RevokeFamily implements store.Store with one upsert statement, atomic in every flavour.
func (s *Store) RevokeFamily(ctx context.Context, familyID string, at, until time.Time) error {
	if _, err := s.exec(ctx, s.db, revokeFamilyQuery, familyID, timeToDB(at), timeToDB(until)); err != nil {
		return fmt.Errorf("store: revoke family: %w", err)
	}
	return nil
}

// FamilyRevoked implements store.Store. A record past its until that has not been purged
// yet still reports the family revoked.
func (s *Store) FamilyRevoked(ctx context.Context, familyID string) (bool, time.Time, error) {
	var at int64
	err := s.queryRow(ctx, s.db, `SELECT revoked_at FROM revoked_families WHERE family_id = $1`, familyID).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, time.Time{}, nil
	case err != nil:
		return false, time.Time{}, fmt.Errorf("store: family revoked: %w", err)
	}
	return true, timeFromDB(at), nil
}

func scanRevokedFamily(sc interface{ Scan(...any) error }) (store.RevokedFamily, error) {
	var (
		f         store.RevokedFamily
		at, until int64
	)
	if err := sc.Scan(&f.FamilyID, &at, &until); err != nil {
		return store.RevokedFamily{}, err
	}
	f.RevokedAt = timeFromDB(at)
	f.Until = timeFromDB(until)
	return f, nil
}

// ListRevokedFamilies implements store.Store: revoked_at >= since, ordered by revoked_at,
// then family id.
func (s *Store) ListRevokedFamilies(ctx context.Context, since time.Time) ([]store.RevokedFamily, error) {
	rows, err := s.query(ctx, s.db, listRevokedFamiliesQuery, timeToDB(since))
	if err != nil {
		return nil, fmt.Errorf("store: list revoked families: %w", err)
	}
	return collect(rows, "list revoked families", scanRevokedFamily)
}

// DeleteExpiredTokenRecords implements store.Store. Both deletes run in one transaction, so
// the count is exact: on an error nothing is deleted.
func (s *Store) DeleteExpiredTokenRecords(ctx context.Context, t time.Time) (_ int, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: delete expired token records: begin: %w", err)
	}
	defer func() {
		if rbErr := rollback(tx); rbErr != nil {
			err = errors.Join(err, rbErr)
		}
	}()

	total := 0
	for _, q := range []string{deleteExpiredUsedTokensQuery, deleteExpiredRevokedFamiliesQuery} {
		res, err := s.exec(ctx, tx, q, timeToDB(t))
		if err != nil {
			return 0, fmt.Errorf("store: delete expired token records: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("store: delete expired token records: rows affected: %w", err)
		}
		total += int(n)
	}
	if err := s.commit(tx); err != nil {
		return 0, fmt.Errorf("store: delete expired token records: commit: %w", err)
	}
	return total, nil
}
