package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/connectfed/connectfed/internal/store"
)

const instanceColumns = `account_id, region, id, alias, identity_management_type, directory_id,
	inbound_calls, outbound_calls, created_at, client_token, tags, attributes`

func scanInstance(sc interface{ Scan(...any) error }) (store.Instance, error) {
	var (
		in                         store.Instance
		inbound, outbound, created int64
		tags, attributes           string
	)
	if err := sc.Scan(&in.AccountID, &in.Region, &in.ID, &in.Alias, &in.IdentityManagementType, &in.DirectoryID,
		&inbound, &outbound, &created, &in.ClientToken, &tags, &attributes); err != nil {
		return store.Instance{}, err
	}
	in.InboundCalls = inbound != 0
	in.OutboundCalls = outbound != 0
	in.CreatedAt = timeFromDB(created)
	var err error
	if in.Tags, err = tagsFromDB(tags); err != nil {
		return store.Instance{}, fmt.Errorf("store: instance %s: tags: %w", in.ID, err)
	}
	if in.Attributes, err = tagsFromDB(attributes); err != nil {
		return store.Instance{}, fmt.Errorf("store: instance %s: attributes: %w", in.ID, err)
	}
	return in, nil
}

// tagsFromDB reads a tags column (or another of a string map): nil for "".
func tagsFromDB(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	var tags map[string]string
	return tags, json.Unmarshal([]byte(s), &tags)
}

// tagsToDB is the tags column of a map: a JSON object, or "" for none.
func tagsToDB(tags map[string]string) (string, error) {
	if len(tags) == 0 {
		return "", nil
	}
	b, err := json.Marshal(tags)
	return string(b), err
}

// aliasKey is the value of alias_key: the case-folded alias, or NULL (nil) for an instance
// without one, since UNIQUE lets any number of rows hold NULL but only one hold "".
func aliasKey(alias string) any {
	if alias == "" {
		return nil
	}
	return nameKey(alias)
}

// CreateInstance implements store.Store. The instance and its profiles are written in one
// transaction. It returns store.ErrAlreadyExists when the alias is taken in the account and
// region, the id is taken, or two given profiles of a kind share an id or a name. A profile's
// InstanceID must be in.ID or "" (then it is stored as in.ID).
func (s *Store) CreateInstance(ctx context.Context, in store.Instance, profiles []store.Profile) error {
	tags, err := tagsToDB(in.Tags)
	if err != nil {
		return fmt.Errorf("store: create instance: tags: %w", err)
	}
	attributes, err := tagsToDB(in.Attributes)
	if err != nil {
		return fmt.Errorf("store: create instance: attributes: %w", err)
	}
	return s.inTx(ctx, "create instance", nil, func(tx querier) error {
		_, err = s.exec(ctx, tx, `INSERT INTO instances (id, account_id, region, alias, alias_key,
			identity_management_type, directory_id, inbound_calls, outbound_calls, created_at, client_token, tags, attributes)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			in.ID, in.AccountID, in.Region, in.Alias, aliasKey(in.Alias),
			in.IdentityManagementType, in.DirectoryID, boolToDB(in.InboundCalls), boolToDB(in.OutboundCalls),
			timeToDB(in.CreatedAt), in.ClientToken, tags, attributes)
		if err != nil {
			return s.insertErr("create instance", err)
		}
		for _, p := range profiles {
			if p.InstanceID != "" && p.InstanceID != in.ID {
				return fmt.Errorf("store: create instance %s: %s %s belongs to instance %s", in.ID, p.Kind, p.ID, p.InstanceID)
			}
			p.InstanceID = in.ID
			if err := s.insertProfile(ctx, tx, "create instance: ", p); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetInstance implements store.Store. An instance of another account or region is
// store.ErrNotFound.
func (s *Store) GetInstance(ctx context.Context, accountID, region, id string) (store.Instance, error) {
	in, err := scanInstance(s.queryRow(ctx, s.db, `SELECT `+instanceColumns+` FROM instances
		WHERE id = $1 AND account_id = $2 AND region = $3`, id, accountID, region))
	if err != nil {
		return store.Instance{}, getErr("get instance", err)
	}
	return in, nil
}

// GetInstanceByClientToken implements store.Store.
func (s *Store) GetInstanceByClientToken(ctx context.Context, accountID, region, clientToken string) (store.Instance, error) {
	if clientToken == "" {
		return store.Instance{}, store.ErrNotFound
	}
	in, err := scanInstance(s.queryRow(ctx, s.db, `SELECT `+instanceColumns+` FROM instances
		WHERE account_id = $1 AND region = $2 AND client_token = $3 ORDER BY created_at, id LIMIT 1`,
		accountID, region, clientToken))
	if err != nil {
		return store.Instance{}, getErr("get instance by client token", err)
	}
	return in, nil
}

// ListInstances implements store.Store: the instances of one account and region, ordered by
// id, after p.After as given.
func (s *Store) ListInstances(ctx context.Context, accountID, region string, p store.Page) ([]store.Instance, error) {
	after, limit := exactPageArgs(p)
	rows, err := s.query(ctx, s.db, `SELECT `+instanceColumns+` FROM instances
		WHERE account_id = $1 AND region = $2 AND id > $3 ORDER BY id LIMIT $4`, accountID, region, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list instances: %w", err)
	}
	return collect(rows, "list instances", scanInstance)
}

// instanceChildren are the tables whose rows belong to an instance.
var instanceChildren = []string{"connect_users", "security_profiles", "routing_profiles", "queues", "hierarchy_levels", "hierarchy_groups", "approved_origins"}

// DeleteInstance implements store.Store. An instance of another account or region is
// store.ErrNotFound, and stays.
func (s *Store) DeleteInstance(ctx context.Context, accountID, region, id string) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: delete instance: begin: %w", err)
	}
	defer func() {
		if rbErr := rollback(tx); rbErr != nil {
			err = errors.Join(err, rbErr)
		}
	}()

	res, err := s.exec(ctx, tx, `DELETE FROM instances WHERE id = $1 AND account_id = $2 AND region = $3`,
		id, accountID, region)
	if err := affected("delete instance", res, err); err != nil {
		return err
	}
	// The foreign keys' cascades have deleted the instance's profiles and users. Deleting
	// them here too, in the same transaction, keeps them from outliving the instance on a
	// connection that does not enforce foreign keys (SQLite enforces them only when the
	// connection asks); where the cascades ran, each is one index probe that finds nothing.
	for _, table := range instanceChildren {
		if _, err := s.exec(ctx, tx, `DELETE FROM `+table+` WHERE instance_id = $1`, id); err != nil {
			return fmt.Errorf("store: delete instance: delete from %s: %w", table, err)
		}
	}
	c := store.Change{Kind: store.ChangedInstance, AccountID: accountID, Region: region, ID: id}
	if err := s.announce(ctx, tx, c); err != nil {
		return fmt.Errorf("store: delete instance: %w", err)
	}
	if err := s.commit(tx); err != nil {
		return fmt.Errorf("store: delete instance: commit: %w", err)
	}
	return nil
}

const connectUserColumns = `instance_id, id, username, details, password_hash, created_at, updated_at`

// The queries of the connect user lookups that must stay index searches however many users
// an instance has; named so that the plan test can EXPLAIN them.
const (
	connectUserByUsernameQuery = `SELECT ` + connectUserColumns + ` FROM connect_users
		WHERE instance_id = $1 AND username = $2`
	listConnectUsersQuery = `SELECT ` + connectUserColumns + ` FROM connect_users
		WHERE instance_id = $1 AND username > $2 ORDER BY username LIMIT $3`
	listConnectUserSummariesQuery = `SELECT id, username, created_at, updated_at FROM connect_users
		WHERE instance_id = $1 AND username > $2 ORDER BY username LIMIT $3`
)

func scanConnectUser(sc interface{ Scan(...any) error }) (store.ConnectUser, error) {
	var (
		u                store.ConnectUser
		created, updated int64
	)
	if err := sc.Scan(&u.InstanceID, &u.ID, &u.Username, &u.Details, &u.PasswordHash, &created, &updated); err != nil {
		return store.ConnectUser{}, err
	}
	u.Details = bytesFromDB(u.Details)
	u.PasswordHash = bytesFromDB(u.PasswordHash)
	u.CreatedAt = timeFromDB(created)
	u.UpdatedAt = timeFromDB(updated)
	return u, nil
}

// CreateConnectUser implements store.Store. Details is stored byte for byte; nil and empty
// Details both come back as nil. The creation is announced: other replicas cache the
// instance's listings, which now lack the user.
func (s *Store) CreateConnectUser(ctx context.Context, u store.ConnectUser) error {
	return s.changeTx(ctx, "create connect user", store.Change{Kind: store.ChangedConnectUser, InstanceID: u.InstanceID, ID: u.ID}, func(q querier) error {
		_, err := s.exec(ctx, q, `INSERT INTO connect_users (instance_id, id, username, details, password_hash, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			u.InstanceID, u.ID, u.Username, bytesToDB(u.Details), bytesToDB(u.PasswordHash), timeToDB(u.CreatedAt), timeToDB(u.UpdatedAt))
		if err != nil {
			return s.insertErr("create connect user", err)
		}
		return nil
	})
}

// GetConnectUser implements store.Store.
func (s *Store) GetConnectUser(ctx context.Context, instanceID, id string) (store.ConnectUser, error) {
	u, err := scanConnectUser(s.queryRow(ctx, s.db, `SELECT `+connectUserColumns+` FROM connect_users
		WHERE instance_id = $1 AND id = $2`, instanceID, id))
	if err != nil {
		return store.ConnectUser{}, getErr("get connect user", err)
	}
	return u, nil
}

// UpdateInstance implements store.Store.
func (s *Store) UpdateInstance(ctx context.Context, accountID, region, id string, update func(store.Instance) (store.Instance, error)) error {
	c := store.Change{Kind: store.ChangedInstance, AccountID: accountID, Region: region, ID: id}
	return s.inTx(ctx, "update instance", &c, func(tx querier) error {
		// The no-op write takes the row lock first, as UpdateAccessKey explains.
		res, err := s.exec(ctx, tx, `UPDATE instances SET tags = tags WHERE account_id = $1 AND region = $2 AND id = $3`, accountID, region, id)
		if err := affected("update instance: lock", res, err); err != nil {
			return err
		}
		old, err := scanInstance(s.queryRow(ctx, tx, `SELECT `+instanceColumns+` FROM instances
			WHERE account_id = $1 AND region = $2 AND id = $3`, accountID, region, id))
		if err != nil {
			return getErr("update instance: read", err)
		}
		in, err := update(old)
		if err != nil {
			return err
		}
		tags, err := tagsToDB(in.Tags)
		if err != nil {
			return fmt.Errorf("store: instance %s: tags: %w", id, err)
		}
		attributes, err := tagsToDB(in.Attributes)
		if err != nil {
			return fmt.Errorf("store: instance %s: attributes: %w", id, err)
		}
		if _, err := s.exec(ctx, tx, `UPDATE instances SET inbound_calls = $4, outbound_calls = $5, tags = $6, attributes = $7
			WHERE account_id = $1 AND region = $2 AND id = $3`,
			accountID, region, id, boolToDB(in.InboundCalls), boolToDB(in.OutboundCalls), tags, attributes); err != nil {
			return s.insertErr("update instance: write", err)
		}
		return nil
	})
}

// UpdateConnectUser implements store.Store.
func (s *Store) UpdateConnectUser(ctx context.Context, instanceID, id string, update func(store.ConnectUser) (store.ConnectUser, error)) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: update connect user: begin: %w", err)
	}
	defer func() {
		if rbErr := rollback(tx); rbErr != nil && err == nil {
			err = rbErr
		}
	}()
	// The no-op write takes the row lock first, as UpdateAccessKey explains.
	res, err := s.exec(ctx, tx, `UPDATE connect_users SET updated_at = updated_at WHERE instance_id = $1 AND id = $2`, instanceID, id)
	if err := affected("update connect user: lock", res, err); err != nil {
		return err
	}
	old, err := scanConnectUser(s.queryRow(ctx, tx, `SELECT `+connectUserColumns+` FROM connect_users
		WHERE instance_id = $1 AND id = $2`, instanceID, id))
	if err != nil {
		return getErr("update connect user: read", err)
	}
	u, err := update(old)
	if err != nil {
		return err
	}
	if u.ID != old.ID || u.InstanceID != old.InstanceID || u.Username != old.Username {
		return fmt.Errorf("store: update connect user %s: update changed its identity", id)
	}
	if _, err := s.exec(ctx, tx, `UPDATE connect_users SET details = $3, password_hash = $4, updated_at = $5
		WHERE instance_id = $1 AND id = $2`, instanceID, id, bytesToDB(u.Details), bytesToDB(u.PasswordHash), timeToDB(u.UpdatedAt)); err != nil {
		return s.insertErr("update connect user: write", err)
	}
	if err := s.announce(ctx, tx, store.Change{Kind: store.ChangedConnectUser, InstanceID: instanceID, ID: id}); err != nil {
		return fmt.Errorf("store: update connect user: %w", err)
	}
	if err := s.commit(tx); err != nil {
		return fmt.Errorf("store: update connect user: commit: %w", err)
	}
	return nil
}

// GetConnectUserByUsername implements store.Store.
func (s *Store) GetConnectUserByUsername(ctx context.Context, instanceID, username string) (store.ConnectUser, error) {
	u, err := scanConnectUser(s.queryRow(ctx, s.db, connectUserByUsernameQuery, instanceID, username))
	if err != nil {
		return store.ConnectUser{}, getErr("get connect user by username", err)
	}
	return u, nil
}

// ListConnectUsers implements store.Store: ordered by username in byte order, after p.After
// as given (not case-folded).
func (s *Store) ListConnectUsers(ctx context.Context, instanceID string, p store.Page) ([]store.ConnectUser, error) {
	after, limit := exactPageArgs(p)
	rows, err := s.query(ctx, s.db, listConnectUsersQuery, instanceID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list connect users: %w", err)
	}
	return collect(rows, "list connect users", scanConnectUser)
}

// ListConnectUserSummaries implements store.Store: each column read costs the SQLite driver a
// lock and a copy, and the two documents are most of a user's bytes; the instance is the one
// asked for.
func (s *Store) ListConnectUserSummaries(ctx context.Context, instanceID string, p store.Page) ([]store.ConnectUser, error) {
	after, limit := exactPageArgs(p)
	rows, err := s.query(ctx, s.db, listConnectUserSummariesQuery, instanceID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list connect users: %w", err)
	}
	return collect(rows, "list connect users", func(sc interface{ Scan(...any) error }) (store.ConnectUser, error) {
		var (
			u                store.ConnectUser
			created, updated int64
		)
		if err := sc.Scan(&u.ID, &u.Username, &created, &updated); err != nil {
			return store.ConnectUser{}, err
		}
		u.InstanceID, u.CreatedAt, u.UpdatedAt = instanceID, timeFromDB(created), timeFromDB(updated)
		return u, nil
	})
}

// DeleteConnectUser implements store.Store.
func (s *Store) DeleteConnectUser(ctx context.Context, instanceID, id string) error {
	return s.deleteAnnounced(ctx, "delete connect user", store.Change{Kind: store.ChangedConnectUser, InstanceID: instanceID, ID: id},
		`DELETE FROM connect_users WHERE instance_id = $1 AND id = $2`, instanceID, id)
}
