package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/store"
)

// Option configures a Service.
type Option func(*Service)

// WithSealer keeps access keys' and sessions' secrets sealed at rest under sealer's master key:
// sealed before they reach the store, opened when a credential is loaded from it. A cached
// credential holds its secret opened, so a warm Lookup costs nothing more. Secrets written
// before they were sealed (legacy plaintext) are still read, and sealed when their key is next
// written (or by connectfed keys rewrap).
func WithSealer(sealer *secrets.Sealer) Option {
	return func(s *Service) { s.store = sealedStore{Store: s.store, sealer: sealer} }
}

// AccessKeySealContext and SessionSealContext bind a sealed secret to its access key id: a
// sealed secret copied onto another key's row does not open. The rewrap of the master key
// uses them too.
func AccessKeySealContext(id string) string { return "connectfed access key " + id }

// SessionSealContext: see AccessKeySealContext.
func SessionSealContext(accessKeyID string) string { return "connectfed session " + accessKeyID }

// WrongMasterKeyHint is what an operator should do when a secret is sealed under another key.
const WrongMasterKeyHint = "every server on one database needs the same master key, from " +
	secrets.EnvMasterKey + " or <data-dir>/" + secrets.MasterKeyFile + "; after connectfed keys rewrap, the new one"

// sealedStore is the store as identity sees it: the methods that carry secrets seal them on
// the way in and open them on the way out; the rest pass through.
type sealedStore struct {
	store.Store
	sealer *secrets.Sealer
}

func (s sealedStore) open(v, context, what string) (string, error) {
	out, err := s.sealer.OpenOrPlainText(v, context)
	if errors.Is(err, secrets.ErrWrongMasterKey) {
		return "", fmt.Errorf("the secret of %s: %w (%s)", what, err, WrongMasterKeyHint)
	}
	if err != nil {
		return "", fmt.Errorf("the secret of %s: %w", what, err)
	}
	return out, nil
}

func (s sealedStore) CreateAccessKey(ctx context.Context, k store.AccessKey) error {
	k.Secret = s.sealer.SealText(k.Secret, AccessKeySealContext(k.ID))
	return s.Store.CreateAccessKey(ctx, k)
}

func (s sealedStore) GetAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	k, err := s.Store.GetAccessKey(ctx, id)
	if err != nil {
		return k, err
	}
	if k.Secret, err = s.open(k.Secret, AccessKeySealContext(k.ID), "access key "+k.ID); err != nil {
		return store.AccessKey{}, err
	}
	return k, nil
}

// ListAccessKeys lists keys without their secrets: identity never needs them from a list (IAM
// does not show them), and a listing should not fail on a secret it would not use.
func (s sealedStore) ListAccessKeys(ctx context.Context, accountID, userName string) ([]store.AccessKey, error) {
	keys, err := s.Store.ListAccessKeys(ctx, accountID, userName)
	for i := range keys {
		keys[i].Secret = ""
	}
	return keys, err
}

// UpdateAccessKey hands update the key with its secret opened, and seals what update returns:
// a legacy plaintext secret is sealed by any update of its key.
func (s sealedStore) UpdateAccessKey(ctx context.Context, id string, update func(store.AccessKey) (store.AccessKey, error)) error {
	return s.Store.UpdateAccessKey(ctx, id, func(k store.AccessKey) (store.AccessKey, error) {
		var err error
		if k.Secret, err = s.open(k.Secret, AccessKeySealContext(k.ID), "access key "+k.ID); err != nil {
			return store.AccessKey{}, err
		}
		if k, err = update(k); err != nil {
			return k, err
		}
		k.Secret = s.sealer.SealText(k.Secret, AccessKeySealContext(k.ID))
		return k, nil
	})
}

func (s sealedStore) CreateSession(ctx context.Context, sess store.Session) error {
	sess.Secret = s.sealer.SealText(sess.Secret, SessionSealContext(sess.AccessKeyID))
	return s.Store.CreateSession(ctx, sess)
}

func (s sealedStore) GetSession(ctx context.Context, accessKeyID string) (store.Session, error) {
	sess, err := s.Store.GetSession(ctx, accessKeyID)
	if err != nil {
		return sess, err
	}
	if sess.Secret, err = s.open(sess.Secret, SessionSealContext(sess.AccessKeyID), "session "+sess.AccessKeyID); err != nil {
		return store.Session{}, err
	}
	return sess, nil
}
