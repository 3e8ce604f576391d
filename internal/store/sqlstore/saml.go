package sqlstore

import (
	"context"

	"github.com/connectfed/connectfed/internal/store"
)

// SAML providers change nothing another replica caches: AssumeRoleWithSAML reads its provider
// from the store on every call, so their writes announce nothing.

const samlProviderColumns = `account_id, name, metadata, valid_until, created_at, updated_at`

func scanSAMLProvider(sc interface{ Scan(...any) error }) (store.SAMLProvider, error) {
	var (
		p                       store.SAMLProvider
		valid, created, updated int64
	)
	if err := sc.Scan(&p.AccountID, &p.Name, &p.Metadata, &valid, &created, &updated); err != nil {
		return store.SAMLProvider{}, err
	}
	p.ValidUntil, p.CreatedAt, p.UpdatedAt = timeFromDB(valid), timeFromDB(created), timeFromDB(updated)
	return p, nil
}

// CreateSAMLProvider implements store.Store.
func (s *Store) CreateSAMLProvider(ctx context.Context, p store.SAMLProvider) error {
	_, err := s.exec(ctx, s.db, `INSERT INTO saml_providers (account_id, name_key, name, metadata, valid_until, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.AccountID, nameKey(p.Name), p.Name, p.Metadata, timeToDB(p.ValidUntil), timeToDB(p.CreatedAt), timeToDB(p.UpdatedAt))
	if err != nil {
		return s.insertErr("create saml provider", err)
	}
	return nil
}

// GetSAMLProvider implements store.Store.
func (s *Store) GetSAMLProvider(ctx context.Context, accountID, name string) (store.SAMLProvider, error) {
	p, err := scanSAMLProvider(s.queryRow(ctx, s.db, `SELECT `+samlProviderColumns+` FROM saml_providers
		WHERE account_id = $1 AND name_key = $2`, accountID, nameKey(name)))
	if err != nil {
		return store.SAMLProvider{}, getErr("get saml provider", err)
	}
	return p, nil
}

// ListSAMLProviders implements store.Store.
func (s *Store) ListSAMLProviders(ctx context.Context, accountID string) ([]store.SAMLProvider, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+samlProviderColumns+` FROM saml_providers
		WHERE account_id = $1 ORDER BY name_key`, accountID)
	if err != nil {
		return nil, getErr("list saml providers", err)
	}
	return collect(rows, "list saml providers", scanSAMLProvider)
}

// UpdateSAMLProvider implements store.Store.
func (s *Store) UpdateSAMLProvider(ctx context.Context, p store.SAMLProvider) error {
	res, err := s.exec(ctx, s.db, `UPDATE saml_providers SET metadata = $1, valid_until = $2, updated_at = $3
		WHERE account_id = $4 AND name_key = $5`,
		p.Metadata, timeToDB(p.ValidUntil), timeToDB(p.UpdatedAt), p.AccountID, nameKey(p.Name))
	return affected("update saml provider", res, err)
}

// DeleteSAMLProvider implements store.Store.
func (s *Store) DeleteSAMLProvider(ctx context.Context, accountID, name string) error {
	res, err := s.exec(ctx, s.db, `DELETE FROM saml_providers WHERE account_id = $1 AND name_key = $2`, accountID, nameKey(name))
	return affected("delete saml provider", res, err)
}
