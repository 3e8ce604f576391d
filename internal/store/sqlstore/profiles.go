package sqlstore

import (
	"context"
	"fmt"

	"github.com/connectfed/connectfed/internal/store"
)

// profileTables are the tables of the kinds of profile.
var profileTables = map[store.ProfileKind]string{
	store.SecurityProfiles: "security_profiles",
	store.RoutingProfiles:  "routing_profiles",
	store.Queues:           "queues",
}

// profileTable is the table of a kind; a kind the store does not know is a programming error.
func profileTable(k store.ProfileKind) (string, error) {
	t, ok := profileTables[k]
	if !ok {
		return "", fmt.Errorf("store: unknown profile kind %q", k)
	}
	return t, nil
}

const profileColumns = `instance_id, id, name, description, details, created_at, updated_at`

func scanProfile(k store.ProfileKind) func(sc interface{ Scan(...any) error }) (store.Profile, error) {
	return func(sc interface{ Scan(...any) error }) (store.Profile, error) {
		var (
			p                store.Profile
			created, updated int64
		)
		if err := sc.Scan(&p.InstanceID, &p.ID, &p.Name, &p.Description, &p.Details, &created, &updated); err != nil {
			return store.Profile{}, err
		}
		p.Kind = k
		p.Details = bytesFromDB(p.Details)
		p.CreatedAt = timeFromDB(created)
		p.UpdatedAt = timeFromDB(updated)
		return p, nil
	}
}

// insertProfile writes a profile; op prefixes what an error names.
func (s *Store) insertProfile(ctx context.Context, q querier, op string, p store.Profile) error {
	table, err := profileTable(p.Kind)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, q, `INSERT INTO `+table+` (instance_id, id, name, description, details, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.InstanceID, p.ID, p.Name, p.Description, bytesToDB(p.Details), timeToDB(p.CreatedAt), timeToDB(p.UpdatedAt))
	if err != nil {
		return s.insertErr(op+"create "+string(p.Kind), err)
	}
	return nil
}

// CreateProfile implements store.Store.
func (s *Store) CreateProfile(ctx context.Context, p store.Profile) error {
	return s.insertProfile(ctx, s.db, "", p)
}

// GetProfile implements store.Store.
func (s *Store) GetProfile(ctx context.Context, kind store.ProfileKind, instanceID, id string) (store.Profile, error) {
	table, err := profileTable(kind)
	if err != nil {
		return store.Profile{}, err
	}
	p, err := scanProfile(kind)(s.queryRow(ctx, s.db, `SELECT `+profileColumns+` FROM `+table+`
		WHERE instance_id = $1 AND id = $2`, instanceID, id))
	if err != nil {
		return store.Profile{}, getErr("get "+string(kind), err)
	}
	return p, nil
}

// ListProfiles implements store.Store: ordered by id, after p.After as given.
func (s *Store) ListProfiles(ctx context.Context, kind store.ProfileKind, instanceID string, p store.Page) ([]store.Profile, error) {
	table, err := profileTable(kind)
	if err != nil {
		return nil, err
	}
	after, limit := exactPageArgs(p)
	rows, err := s.query(ctx, s.db, `SELECT `+profileColumns+` FROM `+table+`
		WHERE instance_id = $1 AND id > $2 ORDER BY id LIMIT $3`, instanceID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list %ss: %w", kind, err)
	}
	return collect(rows, "list "+string(kind)+"s", scanProfile(kind))
}

// UpdateProfile implements store.Store.
func (s *Store) UpdateProfile(ctx context.Context, kind store.ProfileKind, instanceID, id string, update func(store.Profile) (store.Profile, error)) error {
	table, err := profileTable(kind)
	if err != nil {
		return err
	}
	op := "update " + string(kind)
	return s.inTx(ctx, op, nil, func(tx querier) error {
		// The no-op write takes the row lock first, as UpdateAccessKey explains.
		res, err := s.exec(ctx, tx, `UPDATE `+table+` SET updated_at = updated_at WHERE instance_id = $1 AND id = $2`, instanceID, id)
		if err := affected(op+": lock", res, err); err != nil {
			return err
		}
		old, err := scanProfile(kind)(s.queryRow(ctx, tx, `SELECT `+profileColumns+` FROM `+table+`
			WHERE instance_id = $1 AND id = $2`, instanceID, id))
		if err != nil {
			return getErr(op+": read", err)
		}
		p, err := update(old)
		if err != nil {
			return err
		}
		if p.ID != old.ID || p.InstanceID != old.InstanceID || p.Kind != old.Kind {
			return fmt.Errorf("store: %s %s: update changed its identity", op, id)
		}
		if _, err := s.exec(ctx, tx, `UPDATE `+table+` SET name = $3, description = $4, details = $5, updated_at = $6
			WHERE instance_id = $1 AND id = $2`,
			instanceID, id, p.Name, p.Description, bytesToDB(p.Details), timeToDB(p.UpdatedAt)); err != nil {
			return s.insertErr(op+": write", err)
		}
		return nil
	})
}

// DeleteProfile implements store.Store.
func (s *Store) DeleteProfile(ctx context.Context, kind store.ProfileKind, instanceID, id string) error {
	table, err := profileTable(kind)
	if err != nil {
		return err
	}
	res, err := s.exec(ctx, s.db, `DELETE FROM `+table+` WHERE instance_id = $1 AND id = $2`, instanceID, id)
	return affected("delete "+string(kind), res, err)
}
