package token

import (
	"context"
	"fmt"

	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/store"
)

// SealedKeys keeps signing keys' secrets sealed at rest: a KeyStore over another, sealing on
// the way in and opening on the way out, so the store never holds a usable secret.
type SealedKeys struct {
	Store interface {
		KeyStore
		keyDeleter
	}
	Sealer *secrets.Sealer
}

// SealContext binds a signing key's sealed secret to its key id: a secret copied onto another
// key's row does not open.
func SealContext(id string) []byte { return []byte("connectfed signing key " + id) }

// CreateSigningKey seals k's secret and stores the key.
func (s SealedKeys) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	k.Secret = s.Sealer.Seal(k.Secret, SealContext(k.ID))
	return s.Store.CreateSigningKey(ctx, k)
}

// ListSigningKeys lists the keys with their secrets opened. A key written before secrets were
// sealed is taken as it is: rotation retires it within a day like any other.
func (s SealedKeys) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	keys, err := s.Store.ListSigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		if !secrets.IsSealed(k.Secret) {
			continue
		}
		if keys[i].Secret, err = s.Sealer.Open(k.Secret, SealContext(k.ID)); err != nil {
			return nil, fmt.Errorf("token: signing key %s: %w", k.ID, err)
		}
	}
	return keys, nil
}

// DeleteSigningKey deletes a key.
func (s SealedKeys) DeleteSigningKey(ctx context.Context, id string) error {
	return s.Store.DeleteSigningKey(ctx, id)
}
