package connect

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/store"
)

// SearchUsers: a tree of conditions over an instance's users, evaluated over the whole
// instance (an emulator's instances are small) and paged by username.

// StringCondition compares a user field with a value: EXACT (case-sensitive), STARTS_WITH and
// CONTAINS (case-insensitive).
type StringCondition struct {
	FieldName, Value, ComparisonType string
}

// UserSearchCriteria is SearchCriteria: one leaf condition, or AND/OR of criteria.
type UserSearchCriteria struct {
	AndConditions, OrConditions []UserSearchCriteria
	StringCondition             *StringCondition
	// HierarchyGroupID matches the users of that group; with HierarchyGroupMatchType
	// WITH_CHILD_GROUPS, those of the groups below it too.
	HierarchyGroupID, HierarchyGroupMatchType string
}

// TagCondition matches a tag by key and value.
type TagCondition struct{ Key, Value string }

// TagFilter is SearchFilter's TagFilter: one condition, AND of conditions, or OR of ANDs.
type TagFilter struct {
	TagCondition  *TagCondition
	AndConditions []TagCondition
	OrConditions  [][]TagCondition
}

// SearchUsersInput is what SearchUsers takes.
type SearchUsersInput struct {
	Criteria   *UserSearchCriteria
	Tags       *TagFilter
	NextToken  string
	MaxResults int
}

// SearchUsersPage is one page of matches, and how many match in all.
type SearchUsersPage struct {
	Page[User]
	Total int
}

// searchFields are the fields a StringCondition may name, as Connect spells them, by their
// lower case.
var searchFields = map[string]func(u store.ConnectUser, d UserDetails) []string{
	"username":          func(u store.ConnectUser, _ UserDetails) []string { return []string{u.Username} },
	"resourceid":        func(u store.ConnectUser, _ UserDetails) []string { return []string{u.ID} },
	"routingprofileid":  func(_ store.ConnectUser, d UserDetails) []string { return []string{d.RoutingProfileID} },
	"securityprofileid": func(_ store.ConnectUser, d UserDetails) []string { return d.SecurityProfileIDs },
	"firstname": func(_ store.ConnectUser, d UserDetails) []string {
		if d.IdentityInfo == nil {
			return nil
		}
		return []string{d.IdentityInfo.FirstName}
	},
	"lastname": func(_ store.ConnectUser, d UserDetails) []string {
		if d.IdentityInfo == nil {
			return nil
		}
		return []string{d.IdentityInfo.LastName}
	},
}

// check refuses criteria Connect would: an unknown field or comparison, or a node that is
// none or several of its kinds.
func (c *UserSearchCriteria) check() error {
	kinds := 0
	for _, set := range []bool{len(c.AndConditions) > 0, len(c.OrConditions) > 0, c.StringCondition != nil, c.HierarchyGroupID != ""} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return apierr.New(apierr.InvalidParameter, "Each SearchCriteria must hold exactly one of AndConditions, OrConditions, StringCondition or HierarchyGroupCondition.")
	}
	if sc := c.StringCondition; sc != nil {
		if _, ok := searchFields[strings.ToLower(sc.FieldName)]; !ok {
			return apierr.New(apierr.InvalidParameter, "FieldName %s is not searchable: use Username, FirstName, LastName, RoutingProfileId, SecurityProfileId or resourceId.", sc.FieldName)
		}
		switch sc.ComparisonType {
		case "EXACT", "STARTS_WITH", "CONTAINS":
		default:
			return invalid("searchCriteria.stringCondition.comparisonType", sc.ComparisonType, "Member must satisfy enum value set: [STARTS_WITH, CONTAINS, EXACT]")
		}
	}
	if c.HierarchyGroupID != "" && c.HierarchyGroupMatchType != "" && c.HierarchyGroupMatchType != "EXACT" && c.HierarchyGroupMatchType != "WITH_CHILD_GROUPS" {
		return invalid("searchCriteria.hierarchyGroupCondition.hierarchyGroupMatchType", c.HierarchyGroupMatchType, "Member must satisfy enum value set: [EXACT, WITH_CHILD_GROUPS]")
	}
	for _, list := range [][]UserSearchCriteria{c.AndConditions, c.OrConditions} {
		for i := range list {
			if err := list[i].check(); err != nil {
				return err
			}
		}
	}
	return nil
}

// descends says whether a criteria tree has a WITH_CHILD_GROUPS condition, which needs the
// instance's groups.
func (c *UserSearchCriteria) descends() bool {
	if c.HierarchyGroupMatchType == "WITH_CHILD_GROUPS" {
		return true
	}
	descends := func(sub UserSearchCriteria) bool { return sub.descends() }
	return slices.ContainsFunc(c.AndConditions, descends) || slices.ContainsFunc(c.OrConditions, descends)
}

// matches says whether a user meets the criteria; parents maps each group to its parent
// (for WITH_CHILD_GROUPS).
func (c *UserSearchCriteria) matches(u store.ConnectUser, d UserDetails, parents map[string]string) bool {
	switch {
	case len(c.AndConditions) > 0:
		for i := range c.AndConditions {
			if !c.AndConditions[i].matches(u, d, parents) {
				return false
			}
		}
		return true
	case len(c.OrConditions) > 0:
		for i := range c.OrConditions {
			if c.OrConditions[i].matches(u, d, parents) {
				return true
			}
		}
		return false
	case c.StringCondition != nil:
		sc := c.StringCondition
		for _, v := range searchFields[strings.ToLower(sc.FieldName)](u, d) {
			switch sc.ComparisonType {
			case "EXACT":
				if v == sc.Value {
					return true
				}
			case "STARTS_WITH":
				if strings.HasPrefix(strings.ToLower(v), strings.ToLower(sc.Value)) {
					return true
				}
			case "CONTAINS":
				if strings.Contains(strings.ToLower(v), strings.ToLower(sc.Value)) {
					return true
				}
			}
		}
		return false
	}
	if c.HierarchyGroupMatchType != "WITH_CHILD_GROUPS" {
		return d.HierarchyGroupID == c.HierarchyGroupID
	}
	// A group's ancestors are at most MaxHierarchyLevels-1 steps up.
	for g, n := d.HierarchyGroupID, 0; g != "" && n < MaxHierarchyLevels; g, n = parents[g], n+1 {
		if g == c.HierarchyGroupID {
			return true
		}
	}
	return false
}

func (f *TagFilter) matches(tags map[string]string) bool {
	all := func(conds []TagCondition) bool {
		for _, tc := range conds {
			if v, ok := tags[tc.Key]; !ok || v != tc.Value {
				return false
			}
		}
		return true
	}
	switch {
	case f.TagCondition != nil:
		return all([]TagCondition{*f.TagCondition})
	case len(f.AndConditions) > 0:
		return all(f.AndConditions)
	case len(f.OrConditions) > 0:
		return slices.ContainsFunc(f.OrConditions, all)
	}
	return true
}

// SearchUsers finds an instance's users matching the criteria and the tag filter (none: all),
// by username.
func (s *Service) SearchUsers(ctx context.Context, c Caller, ref string, in SearchUsersInput) (SearchUsersPage, error) {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return SearchUsersPage{}, err
	}
	if in.Criteria != nil {
		if err := in.Criteria.check(); err != nil {
			return SearchUsersPage{}, err
		}
	}
	p, err := pageRequest(in.NextToken, in.MaxResults, 100, 100)
	if err != nil {
		return SearchUsersPage{}, err
	}
	var parents map[string]string
	if in.Criteria != nil && in.Criteria.descends() {
		groups, err := s.allGroups(ctx, inst.ID)
		if err != nil {
			return SearchUsersPage{}, err
		}
		parents = make(map[string]string, len(groups))
		for _, g := range groups {
			parents[g.ID] = g.ParentID
		}
	}
	type match struct {
		u store.ConnectUser
		d UserDetails
	}
	var all []match
	for after := ""; ; {
		batch, err := s.store.ListConnectUsers(ctx, inst.ID, store.Page{After: after, Limit: 1000})
		if err != nil {
			return SearchUsersPage{}, fmt.Errorf("connect: search users: %w", err)
		}
		for _, u := range batch {
			d, err := decodeDetails(u.Details)
			if err != nil {
				return SearchUsersPage{}, fmt.Errorf("connect: decode user %s: %w", u.ID, err)
			}
			if (in.Criteria == nil || in.Criteria.matches(u, d, parents)) && (in.Tags == nil || in.Tags.matches(d.Tags)) {
				all = append(all, match{u, d})
			}
		}
		if len(batch) < 1000 {
			break
		}
		after = batch[len(batch)-1].Username
	}
	var rest []match
	for _, m := range all {
		if m.u.Username > p.After {
			rest = append(rest, m)
		}
		if len(rest) == p.Limit {
			break
		}
	}
	page := pageOf(rest, p, func(m match) string { return m.u.Username }, func(m match) User { return userOf(inst, m.u, m.d) })
	return SearchUsersPage{Page: page, Total: len(all)}, nil
}
