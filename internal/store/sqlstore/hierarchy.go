package sqlstore

import (
	"context"
	"fmt"

	"github.com/connectfed/connectfed/internal/store"
)

// The user hierarchy. Nothing here is cached by another replica: no announcements.

// PutHierarchyStructure implements store.Store: the levels replace the instance's, atomically.
func (s *Store) PutHierarchyStructure(ctx context.Context, instanceID string, levels []store.HierarchyLevel) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: put hierarchy structure: begin: %w", err)
	}
	defer func() {
		if rbErr := rollback(tx); rbErr != nil && err == nil {
			err = rbErr
		}
	}()
	var n int
	if err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM instances WHERE id = $1`, instanceID).Scan(&n); err != nil {
		return fmt.Errorf("store: put hierarchy structure: %w", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	if _, err := s.exec(ctx, tx, `DELETE FROM hierarchy_levels WHERE instance_id = $1`, instanceID); err != nil {
		return fmt.Errorf("store: put hierarchy structure: %w", err)
	}
	for _, l := range levels {
		if _, err := s.exec(ctx, tx, `INSERT INTO hierarchy_levels (instance_id, level, id, name, updated_at) VALUES ($1, $2, $3, $4, $5)`,
			instanceID, l.Level, l.ID, l.Name, timeToDB(l.UpdatedAt)); err != nil {
			return s.insertErr("put hierarchy structure", err)
		}
	}
	if err := s.commit(tx); err != nil {
		return fmt.Errorf("store: put hierarchy structure: commit: %w", err)
	}
	return nil
}

// GetHierarchyStructure implements store.Store: the levels by level.
func (s *Store) GetHierarchyStructure(ctx context.Context, instanceID string) ([]store.HierarchyLevel, error) {
	rows, err := s.query(ctx, s.db, `SELECT level, id, name, updated_at FROM hierarchy_levels WHERE instance_id = $1 ORDER BY level`, instanceID)
	if err != nil {
		return nil, getErr("get hierarchy structure", err)
	}
	return collect(rows, "get hierarchy structure", func(sc interface{ Scan(...any) error }) (store.HierarchyLevel, error) {
		l := store.HierarchyLevel{InstanceID: instanceID}
		var at int64
		err := sc.Scan(&l.Level, &l.ID, &l.Name, &at)
		l.UpdatedAt = timeFromDB(at)
		return l, err
	})
}

const hierarchyGroupColumns = `instance_id, id, name, level, parent_id, tags, created_at, updated_at`

func scanHierarchyGroup(sc interface{ Scan(...any) error }) (store.HierarchyGroup, error) {
	var (
		g                store.HierarchyGroup
		tags             string
		created, updated int64
	)
	if err := sc.Scan(&g.InstanceID, &g.ID, &g.Name, &g.Level, &g.ParentID, &tags, &created, &updated); err != nil {
		return store.HierarchyGroup{}, err
	}
	var err error
	if g.Tags, err = tagsFromDB(tags); err != nil {
		return store.HierarchyGroup{}, fmt.Errorf("store: hierarchy group %s: tags: %w", g.ID, err)
	}
	g.CreatedAt, g.UpdatedAt = timeFromDB(created), timeFromDB(updated)
	return g, nil
}

// CreateHierarchyGroup implements store.Store.
func (s *Store) CreateHierarchyGroup(ctx context.Context, g store.HierarchyGroup) error {
	tags, err := tagsToDB(g.Tags)
	if err != nil {
		return fmt.Errorf("store: create hierarchy group: tags: %w", err)
	}
	_, err = s.exec(ctx, s.db, `INSERT INTO hierarchy_groups (`+hierarchyGroupColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		g.InstanceID, g.ID, g.Name, g.Level, g.ParentID, tags, timeToDB(g.CreatedAt), timeToDB(g.UpdatedAt))
	if err != nil {
		return s.insertErr("create hierarchy group", err)
	}
	return nil
}

// GetHierarchyGroup implements store.Store.
func (s *Store) GetHierarchyGroup(ctx context.Context, instanceID, id string) (store.HierarchyGroup, error) {
	g, err := scanHierarchyGroup(s.queryRow(ctx, s.db, `SELECT `+hierarchyGroupColumns+` FROM hierarchy_groups
		WHERE instance_id = $1 AND id = $2`, instanceID, id))
	if err != nil {
		return store.HierarchyGroup{}, getErr("get hierarchy group", err)
	}
	return g, nil
}

// ListHierarchyGroups implements store.Store.
func (s *Store) ListHierarchyGroups(ctx context.Context, instanceID string, p store.Page) ([]store.HierarchyGroup, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+hierarchyGroupColumns+` FROM hierarchy_groups
		WHERE instance_id = $1 AND id > $2 ORDER BY id LIMIT $3`, instanceID, p.After, p.Limit)
	if err != nil {
		return nil, getErr("list hierarchy groups", err)
	}
	return collect(rows, "list hierarchy groups", scanHierarchyGroup)
}

// UpdateHierarchyGroup implements store.Store.
func (s *Store) UpdateHierarchyGroup(ctx context.Context, instanceID, id string, update func(store.HierarchyGroup) (store.HierarchyGroup, error)) error {
	return s.inTx(ctx, "update hierarchy group", nil, func(tx querier) error {
		// The no-op write takes the row lock first, as UpdateAccessKey explains.
		res, err := s.exec(ctx, tx, `UPDATE hierarchy_groups SET updated_at = updated_at WHERE instance_id = $1 AND id = $2`, instanceID, id)
		if err := affected("update hierarchy group: lock", res, err); err != nil {
			return err
		}
		old, err := scanHierarchyGroup(s.queryRow(ctx, tx, `SELECT `+hierarchyGroupColumns+` FROM hierarchy_groups
			WHERE instance_id = $1 AND id = $2`, instanceID, id))
		if err != nil {
			return getErr("update hierarchy group: read", err)
		}
		g, err := update(old)
		if err != nil {
			return err
		}
		if g.ID != old.ID || g.InstanceID != old.InstanceID || g.Level != old.Level || g.ParentID != old.ParentID {
			return fmt.Errorf("store: update hierarchy group %s: update changed its identity or place", id)
		}
		tags, err := tagsToDB(g.Tags)
		if err != nil {
			return fmt.Errorf("store: hierarchy group %s: tags: %w", id, err)
		}
		if _, err := s.exec(ctx, tx, `UPDATE hierarchy_groups SET name = $3, tags = $4, updated_at = $5 WHERE instance_id = $1 AND id = $2`,
			instanceID, id, g.Name, tags, timeToDB(g.UpdatedAt)); err != nil {
			return s.insertErr("update hierarchy group: write", err)
		}
		return nil
	})
}

// DeleteHierarchyGroup implements store.Store.
func (s *Store) DeleteHierarchyGroup(ctx context.Context, instanceID, id string) error {
	res, err := s.exec(ctx, s.db, `DELETE FROM hierarchy_groups WHERE instance_id = $1 AND id = $2`, instanceID, id)
	return affected("delete hierarchy group", res, err)
}

// AddApprovedOrigin implements store.Store.
func (s *Store) AddApprovedOrigin(ctx context.Context, instanceID, origin string) error {
	if _, err := s.exec(ctx, s.db, `INSERT INTO approved_origins (instance_id, origin) VALUES ($1, $2)`, instanceID, origin); err != nil {
		return s.insertErr("add approved origin", err)
	}
	return nil
}

// RemoveApprovedOrigin implements store.Store.
func (s *Store) RemoveApprovedOrigin(ctx context.Context, instanceID, origin string) error {
	res, err := s.exec(ctx, s.db, `DELETE FROM approved_origins WHERE instance_id = $1 AND origin = $2`, instanceID, origin)
	return affected("remove approved origin", res, err)
}

// ListApprovedOrigins implements store.Store.
func (s *Store) ListApprovedOrigins(ctx context.Context, instanceID string, p store.Page) ([]string, error) {
	rows, err := s.query(ctx, s.db, `SELECT origin FROM approved_origins WHERE instance_id = $1 AND origin > $2 ORDER BY origin LIMIT $3`,
		instanceID, p.After, p.Limit)
	if err != nil {
		return nil, getErr("list approved origins", err)
	}
	return collect(rows, "list approved origins", func(sc interface{ Scan(...any) error }) (string, error) {
		var o string
		return o, sc.Scan(&o)
	})
}
