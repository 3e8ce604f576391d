package sqlstore

import (
	"context"
	"fmt"

	"github.com/connectfed/connectfed/internal/store"
)

func scanSigningKey(sc interface{ Scan(...any) error }) (store.SigningKey, error) {
	var (
		k       store.SigningKey
		created int64
	)
	if err := sc.Scan(&k.ID, &k.Secret, &created); err != nil {
		return store.SigningKey{}, err
	}
	k.Secret = bytesFromDB(k.Secret)
	k.CreatedAt = timeFromDB(created)
	return k, nil
}

// CreateSigningKey implements store.Store. It returns store.ErrAlreadyExists if the id is
// taken.
func (s *Store) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	return s.changeTx(ctx, "create signing key", store.Change{Kind: store.ChangedSigningKeys, ID: k.ID}, func(q querier) error {
		_, err := s.exec(ctx, q, `INSERT INTO signing_keys (id, secret, created_at) VALUES ($1, $2, $3)`,
			k.ID, bytesToDB(k.Secret), timeToDB(k.CreatedAt))
		if err != nil {
			return s.insertErr("create signing key", err)
		}
		return nil
	})
}

// ListSigningKeys implements store.Store: oldest first, ties by id.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	rows, err := s.query(ctx, s.db, `SELECT id, secret, created_at FROM signing_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list signing keys: %w", err)
	}
	return collect(rows, "list signing keys", scanSigningKey)
}

// DeleteSigningKey implements store.Store.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	return s.deleteAnnounced(ctx, "delete signing key", store.Change{Kind: store.ChangedSigningKeys, ID: id},
		`DELETE FROM signing_keys WHERE id = $1`, id)
}
