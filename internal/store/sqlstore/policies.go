package sqlstore

import (
	"context"

	"github.com/connectfed/connectfed/internal/store"
)

// PutInlinePolicy implements store.Store.
func (s *Store) PutInlinePolicy(ctx context.Context, p store.InlinePolicy) error {
	_, err := s.exec(ctx, s.db, `INSERT INTO inline_policies (account_id, owner_kind, owner_key, name_key, name, document)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (account_id, owner_kind, owner_key, name_key) DO UPDATE SET name = excluded.name, document = excluded.document`,
		p.AccountID, string(p.Kind), nameKey(p.Owner), nameKey(p.Name), p.Name, p.Document)
	if err != nil {
		return s.insertErr("put inline policy", err)
	}
	return nil
}

// GetInlinePolicy implements store.Store. Owner is returned as the caller spelled it.
func (s *Store) GetInlinePolicy(ctx context.Context, accountID string, kind store.PolicyOwner, owner, name string) (store.InlinePolicy, error) {
	p := store.InlinePolicy{AccountID: accountID, Kind: kind, Owner: owner}
	err := s.queryRow(ctx, s.db, `SELECT name, document FROM inline_policies
		WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 AND name_key = $4`,
		accountID, string(kind), nameKey(owner), nameKey(name)).Scan(&p.Name, &p.Document)
	if err != nil {
		return store.InlinePolicy{}, getErr("get inline policy", err)
	}
	return p, nil
}

// ListInlinePolicies implements store.Store.
func (s *Store) ListInlinePolicies(ctx context.Context, accountID string, kind store.PolicyOwner, owner string) ([]store.InlinePolicy, error) {
	rows, err := s.query(ctx, s.db, `SELECT name, document FROM inline_policies
		WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 ORDER BY name_key`,
		accountID, string(kind), nameKey(owner))
	if err != nil {
		return nil, getErr("list inline policies", err)
	}
	return collect(rows, "list inline policies", func(sc interface{ Scan(...any) error }) (store.InlinePolicy, error) {
		p := store.InlinePolicy{AccountID: accountID, Kind: kind, Owner: owner}
		err := sc.Scan(&p.Name, &p.Document)
		return p, err
	})
}

// DeleteInlinePolicy implements store.Store.
func (s *Store) DeleteInlinePolicy(ctx context.Context, accountID string, kind store.PolicyOwner, owner, name string) error {
	res, err := s.exec(ctx, s.db, `DELETE FROM inline_policies
		WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 AND name_key = $4`,
		accountID, string(kind), nameKey(owner), nameKey(name))
	return affected("delete inline policy", res, err)
}
