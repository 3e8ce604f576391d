package connect

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/store"
)

// Security profiles: what the users who hold them may do, as permission names.

// Permission limits of the model: a profile holds at most 500, each 1 to 128 characters.
const (
	permissionsMax   = 500
	permissionMaxLen = 128
)

// The permissions of the security profiles a new instance starts with, as the console names
// them. The agent page shows what a user's profiles grant (signin reads them).
var (
	agentPermissions   = []string{"BasicAgentAccess", "OutboundCallAccess"}
	analystPermissions = []string{"AccessMetrics", "ContactSearch.View", "ListenCallRecordings"}
	managerPermissions = append(slices.Clone(agentPermissions),
		"AccessMetrics", "ContactSearch.View", "ListenCallRecordings", "Users.View", "Queues.View", "RoutingPolicies.View")
	adminPermissions = append(slices.Clone(managerPermissions),
		"Users.Create", "Users.Edit", "Users.Delete", "Users.EditPermission", "SecurityProfiles.View", "SecurityProfiles.Create",
		"SecurityProfiles.Edit", "SecurityProfiles.Delete", "Queues.Create", "Queues.Edit", "RoutingPolicies.Create",
		"RoutingPolicies.Edit", "AgentHierarchy.View", "AgentHierarchy.Create", "AgentHierarchy.Edit")
	defaultSecurityProfiles = []struct {
		name        string
		permissions []string
	}{
		{"Admin", adminPermissions},
		{"Agent", agentPermissions},
		{"CallCenterManager", managerPermissions},
		{"QualityAnalyst", analystPermissions},
	}
)

// SecurityProfileInput is what CreateSecurityProfile and UpdateSecurityProfile take. On an
// update, a nil member is left as it was.
type SecurityProfileInput struct {
	Name                                 string
	Description                          *string
	Permissions                          []string
	Tags                                 map[string]string
	AllowedAccessControlTags             map[string]string
	TagRestrictedResources               []string
	HierarchyRestrictedResources         []string
	AllowedAccessControlHierarchyGroupID *string
}

// SecurityProfile is a security profile as DescribeSecurityProfile shows it.
type SecurityProfile struct {
	ID, ARN, Name, Description           string
	OrganizationResourceID               string
	Tags                                 map[string]string
	AllowedAccessControlTags             map[string]string
	TagRestrictedResources               []string
	HierarchyRestrictedResources         []string
	AllowedAccessControlHierarchyGroupID string
	LastModifiedTime                     time.Time
	LastModifiedRegion                   string
}

func (in SecurityProfileInput) check(creating bool) error {
	if creating {
		if err := checkName("securityProfileName", in.Name, 127); err != nil {
			return err
		}
	}
	if in.Description != nil {
		if err := checkDescription("description", *in.Description, 0); err != nil {
			return err
		}
	}
	if len(in.Permissions) > permissionsMax {
		return invalid("permissions", fmt.Sprint(len(in.Permissions)), fmt.Sprintf("Member must have length less than or equal to %d", permissionsMax))
	}
	for _, p := range in.Permissions {
		if err := checkLength("permissions.member", p, 1, permissionMaxLen); err != nil {
			return err
		}
	}
	if len(in.AllowedAccessControlTags) > 4 {
		return invalid("allowedAccessControlTags", fmt.Sprint(len(in.AllowedAccessControlTags)), "Member must have length less than or equal to 4")
	}
	if len(in.TagRestrictedResources) > 10 {
		return invalid("tagRestrictedResources", fmt.Sprint(len(in.TagRestrictedResources)), "Member must have length less than or equal to 10")
	}
	return checkTags(in.Tags)
}

// apply sets what an input gives on a profile's document.
func (in SecurityProfileInput) apply(p *store.Profile, d *profileDoc) {
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.Permissions != nil {
		d.Permissions = dedupe(in.Permissions)
	}
	if in.AllowedAccessControlTags != nil {
		d.AllowedAccessControlTags = in.AllowedAccessControlTags
	}
	if in.TagRestrictedResources != nil {
		d.TagRestrictedResources = in.TagRestrictedResources
	}
	if in.HierarchyRestrictedResources != nil {
		d.HierarchyRestrictedResources = in.HierarchyRestrictedResources
	}
	if in.AllowedAccessControlHierarchyGroupID != nil {
		d.AllowedAccessControlHierarchyGroupID = *in.AllowedAccessControlHierarchyGroupID
	}
}

// dedupe is a list without its repeats, in the order of first appearance.
func dedupe(list []string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// CreateSecurityProfile creates a security profile; its name must be new in the instance.
func (s *Service) CreateSecurityProfile(ctx context.Context, c Caller, ref string, in SecurityProfileInput) (id, profileARN string, err error) {
	if err := in.check(true); err != nil {
		return "", "", err
	}
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return "", "", err
	}
	var pr store.Profile
	var d profileDoc
	in.apply(&pr, &d)
	d.Tags = in.Tags
	p, err := s.createProfile(ctx, inst, store.SecurityProfiles, in.Name, pr.Description, d)
	if err != nil {
		return "", "", err
	}
	return p.ID, profileARNOf(inst, p), nil
}

func profileARNOf(inst store.Instance, p store.Profile) string { return profileARN(inst, p.Kind, p.ID) }

// DescribeSecurityProfile returns a security profile of an instance.
func (s *Service) DescribeSecurityProfile(ctx context.Context, c Caller, ref, id string) (SecurityProfile, error) {
	inst, p, d, err := s.instanceProfile(ctx, c, ref, store.SecurityProfiles, id)
	if err != nil {
		return SecurityProfile{}, err
	}
	return SecurityProfile{ID: p.ID, ARN: profileARNOf(inst, p), Name: p.Name, Description: p.Description,
		OrganizationResourceID: inst.ID, Tags: d.Tags, AllowedAccessControlTags: d.AllowedAccessControlTags,
		TagRestrictedResources: d.TagRestrictedResources, HierarchyRestrictedResources: d.HierarchyRestrictedResources,
		AllowedAccessControlHierarchyGroupID: d.AllowedAccessControlHierarchyGroupID,
		LastModifiedTime:                     p.UpdatedAt, LastModifiedRegion: inst.Region}, nil
}

// UpdateSecurityProfile changes what the input gives of a security profile (its name stays).
func (s *Service) UpdateSecurityProfile(ctx context.Context, c Caller, ref, id string, in SecurityProfileInput) error {
	if err := in.check(false); err != nil {
		return err
	}
	return s.updateProfile(ctx, c, ref, store.SecurityProfiles, id, func(p *store.Profile, d *profileDoc) error {
		in.apply(p, d)
		return nil
	})
}

// DeleteSecurityProfile deletes a security profile that no user holds.
func (s *Service) DeleteSecurityProfile(ctx context.Context, c Caller, ref, id string) error {
	return s.deleteProfile(ctx, c, ref, store.SecurityProfiles, id, "securityProfileId")
}

// PermissionsPage is a page of a security profile's permissions, with when it last changed.
type PermissionsPage struct {
	Page[string]
	LastModifiedTime   time.Time
	LastModifiedRegion string
}

// ListSecurityProfilePermissions lists a security profile's permissions, in the order they
// were given.
func (s *Service) ListSecurityProfilePermissions(ctx context.Context, c Caller, ref, id, nextToken string, maxResults int) (PermissionsPage, error) {
	inst, p, d, err := s.instanceProfile(ctx, c, ref, store.SecurityProfiles, id)
	if err != nil {
		return PermissionsPage{}, err
	}
	page, err := pageList(d.Permissions, nextToken, maxResults, summaryPages)
	if err != nil {
		return PermissionsPage{}, err
	}
	return PermissionsPage{Page: page, LastModifiedTime: p.UpdatedAt, LastModifiedRegion: inst.Region}, nil
}

// Permissions are the permissions the security profiles with these ids grant together, for the
// agent page; ids the instance no longer has grant nothing.
func (s *Service) Permissions(ctx context.Context, instanceID string, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		_, d, err := s.profile(ctx, store.SecurityProfiles, instanceID, id)
		if err != nil {
			if apierr.Is(err, apierr.ResourceNotFound) {
				continue
			}
			return nil, err
		}
		for _, perm := range d.Permissions {
			if !slices.Contains(out, perm) {
				out = append(out, perm)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
