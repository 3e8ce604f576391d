package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/connectfed/connectfed/internal/store"
)

// policiesChanged is the announcement of every policy write: replicas drop the account's
// compiled policy sets.
func policiesChanged(accountID string) store.Change {
	return store.Change{Kind: store.ChangedPolicies, AccountID: accountID}
}

// PutInlinePolicy implements store.Store.
func (s *Store) PutInlinePolicy(ctx context.Context, p store.InlinePolicy) error {
	return s.changeTx(ctx, "put inline policy", policiesChanged(p.AccountID), func(q querier) error {
		_, err := s.exec(ctx, q, `INSERT INTO inline_policies (account_id, owner_kind, owner_key, name_key, name, document)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (account_id, owner_kind, owner_key, name_key) DO UPDATE SET name = excluded.name, document = excluded.document`,
			p.AccountID, string(p.Kind), nameKey(p.Owner), nameKey(p.Name), p.Name, p.Document)
		if err != nil {
			return s.insertErr("put inline policy", err)
		}
		return nil
	})
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
	return s.deleteAnnounced(ctx, "delete inline policy", policiesChanged(accountID), `DELETE FROM inline_policies
		WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 AND name_key = $4`,
		accountID, string(kind), nameKey(owner), nameKey(name))
}

const managedPolicyColumns = `account_id, name, id, path, description, default_version, next_version, versions, created_at, updated_at`

func scanManagedPolicy(sc interface{ Scan(...any) error }) (store.ManagedPolicy, error) {
	var (
		p                store.ManagedPolicy
		versions         string
		created, updated int64
	)
	if err := sc.Scan(&p.AccountID, &p.Name, &p.ID, &p.Path, &p.Description, &p.DefaultVersion, &p.NextVersion,
		&versions, &created, &updated); err != nil {
		return store.ManagedPolicy{}, err
	}
	var stored []storedVersion
	if err := json.Unmarshal([]byte(versions), &stored); err != nil {
		return store.ManagedPolicy{}, fmt.Errorf("store: managed policy %s: versions: %w", p.Name, err)
	}
	p.Versions = make([]store.PolicyVersion, len(stored))
	for i, v := range stored {
		p.Versions[i] = store.PolicyVersion{ID: v.ID, Document: v.Document, CreatedAt: timeFromDB(v.Created)}
	}
	p.CreatedAt, p.UpdatedAt = timeFromDB(created), timeFromDB(updated)
	return p, nil
}

// storedVersion is a policy version in the versions column; times are as every other column
// keeps them.
type storedVersion struct {
	ID       string `json:"id"`
	Document string `json:"doc"`
	Created  int64  `json:"created"`
}

func encodeVersions(versions []store.PolicyVersion) string {
	stored := make([]storedVersion, len(versions))
	for i, v := range versions {
		stored[i] = storedVersion{ID: v.ID, Document: v.Document, Created: timeToDB(v.CreatedAt)}
	}
	b, err := json.Marshal(stored)
	if err != nil {
		panic(err) // strings and times always marshal
	}
	return string(b)
}

// CreateManagedPolicy implements store.Store.
func (s *Store) CreateManagedPolicy(ctx context.Context, p store.ManagedPolicy) error {
	_, err := s.exec(ctx, s.db, `INSERT INTO managed_policies (account_id, name_key, name, id, path, description,
		default_version, next_version, versions, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		p.AccountID, nameKey(p.Name), p.Name, p.ID, p.Path, p.Description, p.DefaultVersion, p.NextVersion,
		encodeVersions(p.Versions), timeToDB(p.CreatedAt), timeToDB(p.UpdatedAt))
	if err != nil {
		return s.insertErr("create managed policy", err)
	}
	return nil
}

// GetManagedPolicy implements store.Store.
func (s *Store) GetManagedPolicy(ctx context.Context, accountID, name string) (store.ManagedPolicy, error) {
	p, err := scanManagedPolicy(s.queryRow(ctx, s.db, `SELECT `+managedPolicyColumns+` FROM managed_policies
		WHERE account_id = $1 AND name_key = $2`, accountID, nameKey(name)))
	if err != nil {
		return store.ManagedPolicy{}, getErr("get managed policy", err)
	}
	return p, nil
}

// ListManagedPolicies implements store.Store.
func (s *Store) ListManagedPolicies(ctx context.Context, accountID string, pg store.Page) ([]store.ManagedPolicy, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+managedPolicyColumns+` FROM managed_policies
		WHERE account_id = $1 AND name_key > $2 ORDER BY name_key LIMIT $3`, accountID, pg.After, pg.Limit)
	if err != nil {
		return nil, getErr("list managed policies", err)
	}
	return collect(rows, "list managed policies", scanManagedPolicy)
}

// UpdateManagedPolicy implements store.Store.
func (s *Store) UpdateManagedPolicy(ctx context.Context, accountID, name string, update func(store.ManagedPolicy) (store.ManagedPolicy, error)) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: update managed policy: begin: %w", err)
	}
	defer func() {
		if rbErr := rollback(tx); rbErr != nil && err == nil {
			err = rbErr
		}
	}()
	// The no-op write takes the row lock first, as UpdateAccessKey explains.
	res, err := s.exec(ctx, tx, `UPDATE managed_policies SET next_version = next_version
		WHERE account_id = $1 AND name_key = $2`, accountID, nameKey(name))
	if err := affected("update managed policy: lock", res, err); err != nil {
		return err
	}
	old, err := scanManagedPolicy(s.queryRow(ctx, tx, `SELECT `+managedPolicyColumns+` FROM managed_policies
		WHERE account_id = $1 AND name_key = $2`, accountID, nameKey(name)))
	if err != nil {
		return getErr("update managed policy: read", err)
	}
	p, err := update(old)
	if err != nil {
		return err
	}
	if nameKey(p.Name) != nameKey(old.Name) || p.AccountID != old.AccountID {
		return fmt.Errorf("store: update managed policy %s: update renamed it", name)
	}
	if _, err := s.exec(ctx, tx, `UPDATE managed_policies SET description = $3, default_version = $4,
		next_version = $5, versions = $6, updated_at = $7 WHERE account_id = $1 AND name_key = $2`,
		accountID, nameKey(name), p.Description, p.DefaultVersion, p.NextVersion, encodeVersions(p.Versions),
		timeToDB(p.UpdatedAt)); err != nil {
		return s.insertErr("update managed policy: write", err)
	}
	if err := s.announce(ctx, tx, policiesChanged(accountID)); err != nil {
		return fmt.Errorf("store: update managed policy: %w", err)
	}
	if err := s.commit(tx); err != nil {
		return fmt.Errorf("store: update managed policy: commit: %w", err)
	}
	return nil
}

// DeleteManagedPolicy implements store.Store.
func (s *Store) DeleteManagedPolicy(ctx context.Context, accountID, name string) error {
	return s.deleteAnnounced(ctx, "delete managed policy", policiesChanged(accountID),
		`DELETE FROM managed_policies WHERE account_id = $1 AND name_key = $2`, accountID, nameKey(name))
}

// AttachPolicy implements store.Store.
func (s *Store) AttachPolicy(ctx context.Context, a store.PolicyAttachment) error {
	return s.changeTx(ctx, "attach policy", policiesChanged(a.AccountID), func(q querier) error {
		_, err := s.exec(ctx, q, `INSERT INTO policy_attachments (account_id, owner_kind, owner_key, policy_arn)
			VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, owner_kind, owner_key, policy_arn) DO NOTHING`,
			a.AccountID, string(a.Kind), nameKey(a.Owner), a.PolicyARN)
		if err != nil {
			return s.insertErr("attach policy", err)
		}
		return nil
	})
}

// DetachPolicy implements store.Store.
func (s *Store) DetachPolicy(ctx context.Context, a store.PolicyAttachment) error {
	return s.deleteAnnounced(ctx, "detach policy", policiesChanged(a.AccountID), `DELETE FROM policy_attachments
		WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 AND policy_arn = $4`,
		a.AccountID, string(a.Kind), nameKey(a.Owner), a.PolicyARN)
}

// ListAttachedPolicies implements store.Store.
func (s *Store) ListAttachedPolicies(ctx context.Context, accountID string, kind store.PolicyOwner, owner string) ([]string, error) {
	rows, err := s.query(ctx, s.db, `SELECT policy_arn FROM policy_attachments
		WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3 ORDER BY policy_arn`,
		accountID, string(kind), nameKey(owner))
	if err != nil {
		return nil, getErr("list attached policies", err)
	}
	return collect(rows, "list attached policies", func(sc interface{ Scan(...any) error }) (string, error) {
		var arn string
		err := sc.Scan(&arn)
		return arn, err
	})
}

// ListPolicyAttachments implements store.Store.
func (s *Store) ListPolicyAttachments(ctx context.Context, accountID, policyARN string) ([]store.PolicyAttachment, error) {
	rows, err := s.query(ctx, s.db, `SELECT owner_kind, owner_key FROM policy_attachments
		WHERE account_id = $1 AND policy_arn = $2 ORDER BY owner_kind, owner_key`, accountID, policyARN)
	if err != nil {
		return nil, getErr("list policy attachments", err)
	}
	return collect(rows, "list policy attachments", func(sc interface{ Scan(...any) error }) (store.PolicyAttachment, error) {
		a := store.PolicyAttachment{AccountID: accountID, PolicyARN: policyARN}
		var kind string
		err := sc.Scan(&kind, &a.Owner)
		a.Kind = store.PolicyOwner(kind)
		return a, err
	})
}

// PutPermissionsBoundary implements store.Store.
func (s *Store) PutPermissionsBoundary(ctx context.Context, a store.PolicyAttachment) error {
	return s.changeTx(ctx, "put permissions boundary", policiesChanged(a.AccountID), func(q querier) error {
		_, err := s.exec(ctx, q, `INSERT INTO permissions_boundaries (account_id, owner_kind, owner_key, policy_arn)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (account_id, owner_kind, owner_key) DO UPDATE SET policy_arn = excluded.policy_arn`,
			a.AccountID, string(a.Kind), nameKey(a.Owner), a.PolicyARN)
		if err != nil {
			return s.insertErr("put permissions boundary", err)
		}
		return nil
	})
}

// GetPermissionsBoundary implements store.Store.
func (s *Store) GetPermissionsBoundary(ctx context.Context, accountID string, kind store.PolicyOwner, owner string) (string, error) {
	var arn string
	err := s.queryRow(ctx, s.db, `SELECT policy_arn FROM permissions_boundaries
		WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3`, accountID, string(kind), nameKey(owner)).Scan(&arn)
	if err == nil {
		return arn, nil
	}
	if err = getErr("get permissions boundary", err); err == store.ErrNotFound {
		return "", nil
	}
	return "", err
}

// DeletePermissionsBoundary implements store.Store.
func (s *Store) DeletePermissionsBoundary(ctx context.Context, accountID string, kind store.PolicyOwner, owner string) error {
	return s.deleteAnnounced(ctx, "delete permissions boundary", policiesChanged(accountID), `DELETE FROM permissions_boundaries
		WHERE account_id = $1 AND owner_kind = $2 AND owner_key = $3`, accountID, string(kind), nameKey(owner))
}
