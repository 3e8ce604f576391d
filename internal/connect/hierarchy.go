package connect

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/store"
)

// The user hierarchy of an instance: up to five named levels, groups at those levels under
// one another, and users in groups. A level's id is its number ("1" to "5"), as the LevelId
// of its groups.

// MaxHierarchyLevels is how deep a hierarchy goes.
const MaxHierarchyLevels = 5

// HierarchyLevel is one level of the structure.
type HierarchyLevel struct {
	Level              int
	ID, ARN, Name      string
	LastModifiedTime   time.Time
	LastModifiedRegion string
}

// HierarchyGroup is a group as DescribeUserHierarchyGroup shows it; Path runs from level one to
// the group itself.
type HierarchyGroup struct {
	ID, ARN, Name, LevelID string
	Path                   []HierarchyGroupRef
	Tags                   map[string]string
	LastModifiedTime       time.Time
	LastModifiedRegion     string
}

// HierarchyGroupRef names a group in a path.
type HierarchyGroupRef struct{ ID, ARN, Name string }

func groupNotFound(id string) error {
	return apierr.New(apierr.ResourceNotFound, "The hierarchy group %s was not found in this instance.", id)
}

func levelARN(inst store.Instance, level int) string {
	return instanceARN(inst) + "/agent-group-level/" + strconv.Itoa(level)
}

func groupARN(inst store.Instance, id string) string {
	return arn.AgentGroup(inst.Region, inst.AccountID, inst.ID, id)
}

// UpdateUserHierarchyStructure names the levels, from level one down without gaps ("" ends
// the structure). A level that has groups may not be removed.
func (s *Service) UpdateUserHierarchyStructure(ctx context.Context, c Caller, ref string, names [MaxHierarchyLevels]string) error {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return err
	}
	depth := 0
	for i, n := range names {
		switch {
		case n == "":
			continue
		case depth != i:
			return apierr.New(apierr.InvalidParameter, "The hierarchy structure must name its levels from LevelOne down, without gaps.")
		}
		if err := checkLength(fmt.Sprintf("hierarchyStructure.level%d.name", i+1), n, 1, 50); err != nil {
			return err
		}
		depth++
	}
	groups, err := s.allGroups(ctx, inst.ID)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if g.Level > depth {
			return apierr.New(apierr.ResourceInUse, "Level %d of the hierarchy has groups: delete them before removing the level.", g.Level)
		}
	}
	now := s.now().UTC()
	levels := make([]store.HierarchyLevel, 0, depth)
	for i := range depth {
		levels = append(levels, store.HierarchyLevel{InstanceID: inst.ID, Level: i + 1, ID: strconv.Itoa(i + 1), Name: names[i], UpdatedAt: now})
	}
	if err := s.store.PutHierarchyStructure(ctx, inst.ID, levels); errors.Is(err, store.ErrNotFound) {
		return instanceNotFound(ref)
	} else if err != nil {
		return fmt.Errorf("connect: put hierarchy structure: %w", err)
	}
	return nil
}

// DescribeUserHierarchyStructure returns the levels, from level one.
func (s *Service) DescribeUserHierarchyStructure(ctx context.Context, c Caller, ref string) ([]HierarchyLevel, error) {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return nil, err
	}
	levels, err := s.store.GetHierarchyStructure(ctx, inst.ID)
	if err != nil {
		return nil, fmt.Errorf("connect: get hierarchy structure: %w", err)
	}
	out := make([]HierarchyLevel, 0, len(levels))
	for _, l := range levels {
		out = append(out, HierarchyLevel{Level: l.Level, ID: l.ID, ARN: levelARN(inst, l.Level), Name: l.Name,
			LastModifiedTime: l.UpdatedAt, LastModifiedRegion: inst.Region})
	}
	return out, nil
}

// allGroups lists every group of an instance.
func (s *Service) allGroups(ctx context.Context, instanceID string) ([]store.HierarchyGroup, error) {
	var out []store.HierarchyGroup
	for after := ""; ; {
		batch, err := s.store.ListHierarchyGroups(ctx, instanceID, store.Page{After: after, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("connect: list hierarchy groups: %w", err)
		}
		out = append(out, batch...)
		if len(batch) < 1000 {
			return out, nil
		}
		after = batch[len(batch)-1].ID
	}
}

// CreateUserHierarchyGroup creates a group at level one, or under a parent one level up; the
// structure must have the level.
func (s *Service) CreateUserHierarchyGroup(ctx context.Context, c Caller, ref, name, parentID string, tags map[string]string) (HierarchyGroupRef, error) {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return HierarchyGroupRef{}, err
	}
	if name == "" {
		return HierarchyGroupRef{}, missing("name")
	}
	if err := checkLength("name", name, 1, 100); err != nil {
		return HierarchyGroupRef{}, err
	}
	if err := checkTags(tags); err != nil {
		return HierarchyGroupRef{}, err
	}
	level := 1
	if parentID != "" {
		parent, err := s.group(ctx, inst.ID, parentID)
		if err != nil {
			return HierarchyGroupRef{}, err
		}
		level = parent.Level + 1
	}
	levels, err := s.store.GetHierarchyStructure(ctx, inst.ID)
	if err != nil {
		return HierarchyGroupRef{}, fmt.Errorf("connect: get hierarchy structure: %w", err)
	}
	if level > len(levels) {
		return HierarchyGroupRef{}, apierr.New(apierr.InvalidRequest,
			"The hierarchy structure has no level %d: name it with UpdateUserHierarchyStructure first.", level)
	}
	now := s.now().UTC()
	g := store.HierarchyGroup{InstanceID: inst.ID, ID: uuid.NewString(), Name: name, Level: level, ParentID: parentID,
		Tags: tags, CreatedAt: now, UpdatedAt: now}
	err = s.store.CreateHierarchyGroup(ctx, g)
	if errors.Is(err, store.ErrAlreadyExists) {
		return HierarchyGroupRef{}, apierr.New(apierr.DuplicateResource, "A hierarchy group named %s already exists in this instance.", name)
	}
	if err != nil {
		return HierarchyGroupRef{}, fmt.Errorf("connect: create hierarchy group: %w", err)
	}
	return HierarchyGroupRef{ID: g.ID, ARN: groupARN(inst, g.ID), Name: g.Name}, nil
}

// group finds a group of an instance.
func (s *Service) group(ctx context.Context, instanceID, id string) (store.HierarchyGroup, error) {
	if !isID(id) {
		return store.HierarchyGroup{}, groupNotFound(id)
	}
	g, err := s.store.GetHierarchyGroup(ctx, instanceID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.HierarchyGroup{}, groupNotFound(id)
	}
	if err != nil {
		return store.HierarchyGroup{}, fmt.Errorf("connect: get hierarchy group: %w", err)
	}
	return g, nil
}

// DescribeUserHierarchyGroup returns a group with its path from level one.
func (s *Service) DescribeUserHierarchyGroup(ctx context.Context, c Caller, ref, id string) (HierarchyGroup, error) {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return HierarchyGroup{}, err
	}
	g, err := s.group(ctx, inst.ID, id)
	if err != nil {
		return HierarchyGroup{}, err
	}
	out := HierarchyGroup{ID: g.ID, ARN: groupARN(inst, g.ID), Name: g.Name, LevelID: strconv.Itoa(g.Level), Tags: g.Tags,
		LastModifiedTime: g.UpdatedAt, LastModifiedRegion: inst.Region}
	path := []HierarchyGroupRef{{ID: g.ID, ARN: out.ARN, Name: g.Name}}
	for p := g; p.ParentID != "" && len(path) < MaxHierarchyLevels; {
		if p, err = s.group(ctx, inst.ID, p.ParentID); err != nil {
			return HierarchyGroup{}, err
		}
		path = append([]HierarchyGroupRef{{ID: p.ID, ARN: groupARN(inst, p.ID), Name: p.Name}}, path...)
	}
	out.Path = path
	return out, nil
}

// HierarchyGroupSummary is a group as ListUserHierarchyGroups shows it.
type HierarchyGroupSummary struct {
	ID, ARN, Name      string
	LastModifiedTime   time.Time
	LastModifiedRegion string
}

// ListUserHierarchyGroups lists an instance's groups by id.
func (s *Service) ListUserHierarchyGroups(ctx context.Context, c Caller, ref, nextToken string, maxResults int) (Page[HierarchyGroupSummary], error) {
	return listInstancePage(ctx, s, c, ref, nextToken, maxResults, summaryPages, "hierarchy groups", s.store.ListHierarchyGroups,
		func(g store.HierarchyGroup) string { return g.ID },
		func(inst store.Instance, g store.HierarchyGroup) HierarchyGroupSummary {
			return HierarchyGroupSummary{ID: g.ID, ARN: groupARN(inst, g.ID), Name: g.Name, LastModifiedTime: g.UpdatedAt, LastModifiedRegion: inst.Region}
		})
}

// UpdateUserHierarchyGroupName renames a group.
func (s *Service) UpdateUserHierarchyGroupName(ctx context.Context, c Caller, ref, id, name string) error {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return err
	}
	if name == "" {
		return missing("name")
	}
	if err := checkLength("name", name, 1, 100); err != nil {
		return err
	}
	if _, err := s.group(ctx, inst.ID, id); err != nil {
		return err
	}
	err = s.store.UpdateHierarchyGroup(ctx, inst.ID, id, func(g store.HierarchyGroup) (store.HierarchyGroup, error) {
		g.Name, g.UpdatedAt = name, s.later(g.UpdatedAt)
		return g, nil
	})
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return apierr.New(apierr.DuplicateResource, "A hierarchy group named %s already exists in this instance.", name)
	case errors.Is(err, store.ErrNotFound):
		return groupNotFound(id)
	case err != nil:
		return fmt.Errorf("connect: rename hierarchy group: %w", err)
	}
	return nil
}

// DeleteUserHierarchyGroup deletes a group that has no child group and no user.
func (s *Service) DeleteUserHierarchyGroup(ctx context.Context, c Caller, ref, id string) error {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return err
	}
	if _, err := s.group(ctx, inst.ID, id); err != nil {
		return err
	}
	groups, err := s.allGroups(ctx, inst.ID)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if g.ParentID == id {
			return apierr.New(apierr.ResourceInUse, "The hierarchy group %s has child groups: delete them first.", id)
		}
	}
	inUse, err := s.SearchUsers(ctx, c, inst.ID, SearchUsersInput{Criteria: &UserSearchCriteria{HierarchyGroupID: id}, MaxResults: 1})
	if err != nil {
		return err
	}
	if inUse.Total > 0 {
		return apierr.New(apierr.ResourceInUse, "The hierarchy group %s has %d users: move them to another group first.", id, inUse.Total)
	}
	if err := s.store.DeleteHierarchyGroup(ctx, inst.ID, id); errors.Is(err, store.ErrNotFound) {
		return groupNotFound(id)
	} else if err != nil {
		return fmt.Errorf("connect: delete hierarchy group: %w", err)
	}
	return nil
}

// UpdateUserHierarchy puts a user in a group of its instance, or in none ("").
func (s *Service) UpdateUserHierarchy(ctx context.Context, c Caller, ref, userID, groupID string) error {
	return s.updateUser(ctx, c, ref, userID,
		func(inst store.Instance) error {
			if groupID == "" {
				return nil
			}
			_, err := s.group(ctx, inst.ID, groupID)
			return err
		},
		func(d *UserDetails) error { d.HierarchyGroupID = groupID; return nil })
}
