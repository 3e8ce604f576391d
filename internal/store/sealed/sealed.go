// Package sealed is the store's one sealing layer: a store.Store over another that seals every
// secret it keeps (access key secrets, session secrets, token signing keys) under the master key
// on the way in and opens it on the way out, each bound to its record's id, so a sealed secret
// copied onto another row does not open. Everything that stores a secret goes through it, and
// Rewrap re-seals every secret under a new master key without anyone naming a table. It knows
// nothing of what the secrets are for.
package sealed

import (
	"context"
	"errors"
	"fmt"

	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/store"
)

// WrongMasterKeyHint is what an operator should do when a secret is sealed under another key.
const WrongMasterKeyHint = "every server on one database needs the same master key, from " +
	secrets.EnvMasterKey + " or <data-dir>/" + secrets.MasterKeyFile + "; after connectfed keys rewrap, the new one"

// The contexts that bind a sealed secret to its record. They are part of what is on disk:
// changing one makes every secret sealed with it unreadable.
func accessKeyContext(id string) string  { return "connectfed access key " + id }
func sessionContext(id string) string    { return "connectfed session " + id }
func signingKeyContext(id string) []byte { return []byte("connectfed signing key " + id) }

// Store seals the secrets of the store it wraps; every other method passes through.
type Store struct {
	store.Store
	sealer *secrets.Sealer
}

// Wrap returns st sealing under sealer. Secrets an older connectfed kept in the clear are still
// read, and sealed when their record is next written (or by Rewrap).
func Wrap(st store.Store, sealer *secrets.Sealer) *Store { return &Store{Store: st, sealer: sealer} }

// openText opens a text secret, or returns a legacy plaintext one as it is.
func (s *Store) openText(v, context, what string) (string, error) {
	out, err := s.sealer.OpenOrPlainText(v, context)
	if errors.Is(err, secrets.ErrWrongMasterKey) {
		return "", fmt.Errorf("the secret of %s: %w (%s)", what, err, WrongMasterKeyHint)
	}
	if err != nil {
		return "", fmt.Errorf("the secret of %s: %w", what, err)
	}
	return out, nil
}

// CreateAccessKey seals the key's secret and stores the key.
func (s *Store) CreateAccessKey(ctx context.Context, k store.AccessKey) error {
	k.Secret = s.sealer.SealText(k.Secret, accessKeyContext(k.ID))
	return s.Store.CreateAccessKey(ctx, k)
}

// GetAccessKey returns the key with its secret opened.
func (s *Store) GetAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	k, err := s.Store.GetAccessKey(ctx, id)
	if err != nil {
		return k, err
	}
	if k.Secret, err = s.openText(k.Secret, accessKeyContext(k.ID), "access key "+k.ID); err != nil {
		return store.AccessKey{}, err
	}
	return k, nil
}

// ListAccessKeys lists keys without their secrets: nobody needs them from a list (IAM does not
// show them), and a listing should not fail on a secret it would not use.
func (s *Store) ListAccessKeys(ctx context.Context, accountID, userName string) ([]store.AccessKey, error) {
	keys, err := s.Store.ListAccessKeys(ctx, accountID, userName)
	for i := range keys {
		keys[i].Secret = ""
	}
	return keys, err
}

// UpdateAccessKey hands update the key with its secret opened, and seals what update returns:
// a legacy plaintext secret is sealed by any update of its key.
func (s *Store) UpdateAccessKey(ctx context.Context, id string, update func(store.AccessKey) (store.AccessKey, error)) error {
	return s.Store.UpdateAccessKey(ctx, id, func(k store.AccessKey) (store.AccessKey, error) {
		var err error
		if k.Secret, err = s.openText(k.Secret, accessKeyContext(k.ID), "access key "+k.ID); err != nil {
			return store.AccessKey{}, err
		}
		if k, err = update(k); err != nil {
			return k, err
		}
		k.Secret = s.sealer.SealText(k.Secret, accessKeyContext(k.ID))
		return k, nil
	})
}

// CreateSession seals the session's secret and stores the session.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	sess.Secret = s.sealer.SealText(sess.Secret, sessionContext(sess.AccessKeyID))
	return s.Store.CreateSession(ctx, sess)
}

// GetSession returns the session with its secret opened.
func (s *Store) GetSession(ctx context.Context, accessKeyID string) (store.Session, error) {
	sess, err := s.Store.GetSession(ctx, accessKeyID)
	if err != nil {
		return sess, err
	}
	if sess.Secret, err = s.openText(sess.Secret, sessionContext(sess.AccessKeyID), "session "+sess.AccessKeyID); err != nil {
		return store.Session{}, err
	}
	return sess, nil
}

// CreateSigningKey seals the key's secret and stores the key.
func (s *Store) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	k.Secret = s.sealer.Seal(k.Secret, signingKeyContext(k.ID))
	return s.Store.CreateSigningKey(ctx, k)
}

// ListSigningKeys lists the keys with their secrets opened. A key written before secrets were
// sealed is taken as it is: rotation retires it within a day like any other.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	keys, err := s.Store.ListSigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		if !secrets.IsSealed(k.Secret) {
			continue
		}
		if keys[i].Secret, err = s.sealer.Open(k.Secret, signingKeyContext(k.ID)); err != nil {
			if errors.Is(err, secrets.ErrWrongMasterKey) {
				return nil, fmt.Errorf("signing key %s: %w (%s)", k.ID, err, WrongMasterKeyHint)
			}
			return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
		}
	}
	return keys, nil
}
