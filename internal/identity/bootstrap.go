package identity

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/connectfed/connectfed/internal/store"
)

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// rootKeyPattern accepts what AWS and the tools that mock it use as access key ids. A
	// session prefix is refused: those ids are looked up as STS sessions.
	rootKeyPattern = regexp.MustCompile(`^[A-Za-z0-9]{3,128}$`)
)

// ValidAccountID reports whether id is 12 digits.
func ValidAccountID(id string) bool { return accountIDPattern.MatchString(id) }

// EnsureAccount creates the account if it does not exist yet.
func (s *Service) EnsureAccount(ctx context.Context, accountID string) error {
	if !ValidAccountID(accountID) {
		return fmt.Errorf("account id %q must be 12 digits", accountID)
	}
	_, err := s.store.GetAccount(ctx, accountID)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("identity: read account: %w", err)
	}
	err = s.store.CreateAccount(ctx, store.Account{ID: accountID, CreatedAt: s.now().UTC()})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("identity: create account: %w", err)
	}
	return nil
}

// RootKey is an access key of an account's root user.
type RootKey struct {
	AccessKeyID, SecretAccessKey string
}

// EnsureRootKey makes k a working root key of the account: created when missing, its secret
// replaced and the key activated when it exists. The operator's environment is the source of
// truth for these keys.
func (s *Service) EnsureRootKey(ctx context.Context, accountID string, k RootKey) error {
	if !rootKeyPattern.MatchString(k.AccessKeyID) || len(k.AccessKeyID) >= 4 && k.AccessKeyID[:4] == prefixSession {
		return fmt.Errorf("root access key id must be 3 to 128 letters and digits, not starting with %s", prefixSession)
	}
	if k.SecretAccessKey == "" {
		return errors.New("root secret access key is empty")
	}
	existing, err := s.store.GetAccessKey(ctx, k.AccessKeyID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = s.store.CreateAccessKey(ctx, store.AccessKey{
			ID: k.AccessKeyID, Secret: k.SecretAccessKey, AccountID: accountID,
			Active: true, CreatedAt: s.now().UTC(),
		})
		if err != nil {
			return fmt.Errorf("identity: create root key: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("identity: read root key: %w", err)
	}
	if existing.AccountID != accountID || existing.UserName != "" {
		return fmt.Errorf("access key %s already belongs to another principal", k.AccessKeyID)
	}
	defer s.forget(k.AccessKeyID)
	return s.store.UpdateAccessKey(ctx, k.AccessKeyID, func(a store.AccessKey) (store.AccessKey, error) {
		a.Secret = k.SecretAccessKey
		a.Active = true
		return a, nil
	})
}

// NewRootKey creates a fresh root access key for the account.
func (s *Service) NewRootKey(ctx context.Context, accountID string) (RootKey, error) {
	k := RootKey{AccessKeyID: newAccessKeyID(), SecretAccessKey: newSecret()}
	return k, s.EnsureRootKey(ctx, accountID, k)
}
