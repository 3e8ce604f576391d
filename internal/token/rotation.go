package token

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// keyDeleter is a KeyStore that can retire keys for good (store.Store is one).
type keyDeleter interface {
	DeleteSigningKey(ctx context.Context, id string) error
}

// Rotate adds a new signing key and signs with it from now on. Keys already loaded keep
// verifying the tokens they signed until Retire removes them. It returns the new key's id.
func (i *Issuer) Rotate(ctx context.Context) (string, error) {
	keys, err := i.ks.ListSigningKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("token: list signing keys: %w", err)
	}
	k := NewSigningKey(i.now())
	// The newest key signs: make sure the new one is, whatever the clocks of earlier rotations.
	for _, old := range keys {
		if !k.CreatedAt.After(old.CreatedAt) {
			k.CreatedAt = old.CreatedAt.Add(time.Microsecond)
		}
	}
	if err := i.ks.CreateSigningKey(ctx, k); err != nil {
		return "", fmt.Errorf("token: create signing key: %w", err)
	}
	return k.ID, i.Reload(ctx)
}

// RotateIfOlder rotates when the signing key is at least every old, and says whether it did.
// Several replicas may rotate at about the same time; the newest key wins and the others
// verify until retired, so that race costs nothing.
func (i *Issuer) RotateIfOlder(ctx context.Context, every time.Duration) (bool, error) {
	keys, err := i.ks.ListSigningKeys(ctx)
	if err != nil {
		return false, fmt.Errorf("token: list signing keys: %w", err)
	}
	if len(keys) > 0 && i.now().Before(newestKey(keys).CreatedAt.Add(every)) {
		return false, nil
	}
	_, err = i.Rotate(ctx)
	return err == nil, err
}

func newestKey(keys []store.SigningKey) store.SigningKey {
	return slices.MaxFunc(keys, func(a, b store.SigningKey) int { return a.CreatedAt.Compare(b.CreatedAt) })
}

// Retire deletes the keys that can no longer have a live token: a key stopped signing when a
// newer key was created, and every token it signed expired at most lifetime after that. The
// newest key is never retired. Tokens of a retired key verify nothing (ErrUnknownKey). It
// returns the ids it retired.
func (i *Issuer) Retire(ctx context.Context, lifetime time.Duration) ([]string, error) {
	del, ok := i.ks.(keyDeleter)
	if !ok {
		return nil, errors.New("token: the key store cannot delete keys")
	}
	keys, err := i.ks.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("token: list signing keys: %w", err)
	}
	slices.SortStableFunc(keys, func(a, b store.SigningKey) int { return a.CreatedAt.Compare(b.CreatedAt) })
	now := i.now()
	var retired []string
	for j := 0; j+1 < len(keys); j++ {
		supersededAt := keys[j+1].CreatedAt
		if now.Before(supersededAt.Add(lifetime)) {
			continue
		}
		if err := del.DeleteSigningKey(ctx, keys[j].ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return retired, fmt.Errorf("token: retire signing key %s: %w", keys[j].ID, err)
		}
		retired = append(retired, keys[j].ID)
	}
	if len(retired) == 0 {
		return nil, nil
	}
	return retired, i.Reload(ctx)
}

// KeyInfo describes a signing key without its secret.
type KeyInfo struct {
	ID        string
	CreatedAt time.Time
}

// Keys lists the signing keys of the store, oldest first, without their secrets.
func (i *Issuer) Keys(ctx context.Context) ([]KeyInfo, error) {
	keys, err := i.ks.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("token: list signing keys: %w", err)
	}
	out := make([]KeyInfo, len(keys))
	for j, k := range keys {
		out[j] = KeyInfo{ID: k.ID, CreatedAt: k.CreatedAt}
	}
	return out, nil
}
