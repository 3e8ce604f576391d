package identity

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/limits"
	iampolicy "github.com/connectfed/connectfed/internal/policy"
	"github.com/connectfed/connectfed/internal/store"
)

// prefixPolicy begins a managed policy's id.
const prefixPolicy = "ANPA"

// ManagedPolicy is a managed policy as GetPolicy shows it.
type ManagedPolicy struct {
	Name, ID, ARN, Path, Description string
	DefaultVersion                   string
	AttachmentCount                  int
	BoundaryUsageCount               int
	CreatedAt, UpdatedAt             time.Time
}

// PolicyVersion is one version of a managed policy; Document is exactly as written.
type PolicyVersion struct {
	ID, Document string
	Default      bool
	CreatedAt    time.Time
}

// AttachedPolicy is a managed policy attached to a user or role, as ListAttached*Policies
// shows it.
type AttachedPolicy struct {
	Name, ARN string
}

// PolicyInput is what CreatePolicy takes.
type PolicyInput struct {
	Name, Path, Document, Description string
}

func noSuchPolicy(policyARN string) error {
	return apierr.New(apierr.NoSuchEntity, "Policy %s was not found.", policyARN)
}

func notAttachable(policyARN string) error {
	return apierr.New(apierr.NoSuchEntity, "Policy %s does not exist or is not attachable.", policyARN)
}

// checkPolicyDocument checks a managed policy document as IAM does: its length in the model,
// the characters it may hold, its grammar, then its size quota.
func checkPolicyDocument(document string, quota int) error {
	if err := checkDocument("policyDocument", document, iampolicy.Identity); err != nil {
		return err
	}
	if policySize(document) > quota {
		return apierr.New(apierr.LimitExceeded, "Cannot exceed quota for PolicySize: %d", quota)
	}
	return nil
}

// CreatePolicy creates a customer managed policy with its first version, v1, as default.
func (s *Service) CreatePolicy(ctx context.Context, caller Principal, in PolicyInput) (ManagedPolicy, error) {
	if err := checkPolicyName(in.Name); err != nil {
		return ManagedPolicy{}, err
	}
	path, err := checkPath(in.Path)
	if err != nil {
		return ManagedPolicy{}, err
	}
	if err := checkLength("description", in.Description, 0, limits.DescriptionMax); err != nil {
		return ManagedPolicy{}, err
	}
	if err := checkPolicyDocument(in.Document, limits.ManagedPolicyMax); err != nil {
		return ManagedPolicy{}, err
	}
	now := s.now().UTC()
	p := store.ManagedPolicy{
		AccountID: caller.AccountID, Name: in.Name, ID: newID(prefixPolicy, 17), Path: path,
		Description: in.Description, DefaultVersion: "v1", NextVersion: 2,
		Versions:  []store.PolicyVersion{{ID: "v1", Document: in.Document, CreatedAt: now}},
		CreatedAt: now, UpdatedAt: now,
	}
	switch err := s.store.CreateManagedPolicy(ctx, p); {
	case errors.Is(err, store.ErrAlreadyExists):
		return ManagedPolicy{}, apierr.New(apierr.EntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", in.Name)
	case err != nil:
		return ManagedPolicy{}, fmt.Errorf("identity: create policy: %w", err)
	}
	return managedPolicyOf(p, 0, 0), nil
}

func managedPolicyOf(p store.ManagedPolicy, attachments, boundaries int) ManagedPolicy {
	return ManagedPolicy{Name: p.Name, ID: p.ID, ARN: arn.Policy(p.AccountID, p.Path, p.Name), Path: p.Path,
		Description: p.Description, DefaultVersion: p.DefaultVersion, AttachmentCount: attachments,
		BoundaryUsageCount: boundaries, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func awsManagedOf(p *awsManagedPolicy, attachments int) ManagedPolicy {
	return ManagedPolicy{Name: p.name, ID: p.id, ARN: arn.Policy("aws", p.path, p.name), Path: p.path,
		Description: p.description, DefaultVersion: p.version, AttachmentCount: attachments,
		CreatedAt: awsManagedCreated, UpdatedAt: awsManagedCreated}
}

// checkPolicyARN checks a policyArn parameter's presence, length and form.
func checkPolicyARN(member, policyARN string) (arn.Named, error) {
	if err := required(member, policyARN); err != nil {
		return arn.Named{}, err
	}
	if err := checkLength(member, policyARN, limits.PolicyARNMin, limits.PolicyARNMax); err != nil {
		return arn.Named{}, err
	}
	named, ok := arn.ParsePolicy(policyARN)
	if !ok || (named.Account != "aws" && !ValidAccountID(named.Account)) {
		return arn.Named{}, apierr.New(apierr.InvalidInput, "ARN %s is not valid.", policyARN)
	}
	return named, nil
}

// customerPolicy reads the customer managed policy an ARN names in the caller's account. An
// ARN of another account, or with another path than the policy's, names none.
func (s *Service) customerPolicy(ctx context.Context, caller Principal, named arn.Named, policyARN string) (store.ManagedPolicy, error) {
	if named.Account != caller.AccountID {
		return store.ManagedPolicy{}, noSuchPolicy(policyARN)
	}
	p, err := s.store.GetManagedPolicy(ctx, named.Account, named.Name)
	if errors.Is(err, store.ErrNotFound) || err == nil && p.Path != named.Path {
		return store.ManagedPolicy{}, noSuchPolicy(policyARN)
	}
	if err != nil {
		return store.ManagedPolicy{}, fmt.Errorf("identity: get policy: %w", err)
	}
	return p, nil
}

// attachmentCounts counts a policy's attachments and its uses as a permissions boundary in the
// caller's account.
func (s *Service) attachmentCounts(ctx context.Context, accountID, policyARN string) (int, error) {
	list, err := s.store.ListPolicyAttachments(ctx, accountID, policyARN)
	if err != nil {
		return 0, fmt.Errorf("identity: list policy attachments: %w", err)
	}
	return len(list), nil
}

// GetPolicy describes a managed policy, customer or AWS managed.
func (s *Service) GetPolicy(ctx context.Context, caller Principal, policyARN string) (ManagedPolicy, error) {
	named, err := checkPolicyARN("policyArn", policyARN)
	if err != nil {
		return ManagedPolicy{}, err
	}
	count, err := s.attachmentCounts(ctx, caller.AccountID, policyARN)
	if err != nil {
		return ManagedPolicy{}, err
	}
	if named.Account == "aws" {
		p := awsManagedByARN[policyARN]
		if p == nil {
			return ManagedPolicy{}, noSuchPolicy(policyARN)
		}
		return awsManagedOf(p, count), nil
	}
	p, err := s.customerPolicy(ctx, caller, named, policyARN)
	if err != nil {
		return ManagedPolicy{}, err
	}
	return managedPolicyOf(p, count, 0), nil
}

// ListPoliciesInput is ListPolicies' filter: Scope All (""), AWS or Local; only attached ones;
// a path prefix.
type ListPoliciesInput struct {
	Scope        string
	OnlyAttached bool
	PathPrefix   string
	Marker       string
	MaxItems     int
}

// ListPolicies lists managed policies, AWS managed first, then the account's, each by name.
func (s *Service) ListPolicies(ctx context.Context, caller Principal, in ListPoliciesInput) (Page[ManagedPolicy], error) {
	switch in.Scope {
	case "", "All", "AWS", "Local":
	default:
		return Page[ManagedPolicy]{}, validationError("scope", in.Scope, "Member must satisfy enum value set: [All, AWS, Local]")
	}
	if in.PathPrefix == "" {
		in.PathPrefix = "/"
	}
	// The listing is small (AWS's handful and an account's customer policies, 1,500 at most by
	// IAM's quota): it is built whole, filtered, and paged here. Keys order AWS's before the
	// account's.
	type entry struct {
		key    string
		policy ManagedPolicy
	}
	var all []entry
	keep := func(key string, p ManagedPolicy) {
		if strings.HasPrefix(p.Path, in.PathPrefix) && (!in.OnlyAttached || p.AttachmentCount > 0) {
			all = append(all, entry{key, p})
		}
	}
	if in.Scope != "Local" {
		for _, p := range awsManagedPolicies {
			policyARN := arn.Policy("aws", p.path, p.name)
			count, err := s.attachmentCounts(ctx, caller.AccountID, policyARN)
			if err != nil {
				return Page[ManagedPolicy]{}, err
			}
			keep("a"+strings.ToLower(p.name), awsManagedOf(p, count))
		}
	}
	if in.Scope != "AWS" {
		after := ""
		for {
			page, err := s.store.ListManagedPolicies(ctx, caller.AccountID, store.Page{After: after, Limit: 1000})
			if err != nil {
				return Page[ManagedPolicy]{}, fmt.Errorf("identity: list policies: %w", err)
			}
			for _, p := range page {
				count, err := s.attachmentCounts(ctx, caller.AccountID, arn.Policy(p.AccountID, p.Path, p.Name))
				if err != nil {
					return Page[ManagedPolicy]{}, err
				}
				keep("l"+strings.ToLower(p.Name), managedPolicyOf(p, count, 0))
			}
			if len(page) < 1000 {
				break
			}
			after = strings.ToLower(page[len(page)-1].Name)
		}
	}
	return listPage(in.Marker, in.MaxItems, func(e entry) string { return e.key },
		func(pg store.Page) ([]entry, error) {
			var out []entry
			for _, e := range all {
				if e.key > pg.After && len(out) < pg.Limit {
					out = append(out, e)
				}
			}
			return out, nil
		}, func(e entry) ManagedPolicy { return e.policy })
}

// DeletePolicy deletes a customer managed policy that is attached to nothing and has no
// version but its default, as IAM requires.
func (s *Service) DeletePolicy(ctx context.Context, caller Principal, policyARN string) error {
	named, err := checkPolicyARN("policyArn", policyARN)
	if err != nil {
		return err
	}
	if named.Account == "aws" {
		return apierr.New(apierr.InvalidInput, "ARN %s is not valid.", policyARN)
	}
	p, err := s.customerPolicy(ctx, caller, named, policyARN)
	if err != nil {
		return err
	}
	if n, err := s.attachmentCounts(ctx, caller.AccountID, policyARN); err != nil {
		return err
	} else if n > 0 {
		return apierr.New(apierr.DeleteConflict, "Cannot delete a policy attached to entities.")
	}
	if len(p.Versions) > 1 {
		return apierr.New(apierr.DeleteConflict, "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	}
	if err := s.store.DeleteManagedPolicy(ctx, caller.AccountID, p.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("identity: delete policy: %w", err)
	}
	s.forgetPolicies(caller.AccountID)
	return nil
}

// CreatePolicyVersion adds a version to a customer managed policy, at most five in all.
func (s *Service) CreatePolicyVersion(ctx context.Context, caller Principal, policyARN, document string, setAsDefault bool) (PolicyVersion, error) {
	named, err := checkPolicyARN("policyArn", policyARN)
	if err != nil {
		return PolicyVersion{}, err
	}
	if err := checkPolicyDocument(document, limits.ManagedPolicyMax); err != nil {
		return PolicyVersion{}, err
	}
	p, err := s.customerPolicy(ctx, caller, named, policyARN)
	if err != nil {
		return PolicyVersion{}, err
	}
	var created store.PolicyVersion
	err = s.updatePolicy(ctx, p, policyARN, func(p *store.ManagedPolicy) error {
		if len(p.Versions) >= limits.PolicyVersionsMax {
			return apierr.New(apierr.LimitExceeded, "A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", limits.PolicyVersionsMax)
		}
		now := s.now().UTC()
		created = store.PolicyVersion{ID: "v" + strconv.Itoa(p.NextVersion), Document: document, CreatedAt: now}
		p.NextVersion++
		p.Versions = append(p.Versions, created)
		if setAsDefault {
			p.DefaultVersion = created.ID
		}
		p.UpdatedAt = now
		return nil
	})
	if err != nil {
		return PolicyVersion{}, err
	}
	return PolicyVersion{ID: created.ID, Document: created.Document, Default: setAsDefault, CreatedAt: created.CreatedAt}, nil
}

// updatePolicy changes a customer managed policy atomically and forgets the compiled policy
// sets it may be part of.
func (s *Service) updatePolicy(ctx context.Context, p store.ManagedPolicy, policyARN string, change func(*store.ManagedPolicy) error) error {
	err := s.store.UpdateManagedPolicy(ctx, p.AccountID, p.Name, func(p store.ManagedPolicy) (store.ManagedPolicy, error) {
		err := change(&p)
		return p, err
	})
	if errors.Is(err, store.ErrNotFound) {
		return noSuchPolicy(policyARN)
	}
	var apiErr *apierr.Error
	if err != nil && !errors.As(err, &apiErr) {
		return fmt.Errorf("identity: update policy: %w", err)
	}
	if err == nil {
		s.forgetPolicies(p.AccountID)
	}
	return err
}

func checkVersionID(id string) error {
	if err := required("versionId", id); err != nil {
		return err
	}
	if !versionPattern(id) {
		return validationError("versionId", id, `Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	}
	return nil
}

// versionPattern is the model's v[1-9][0-9]*(\.[A-Za-z0-9-]*)? .
func versionPattern(id string) bool {
	rest, ok := strings.CutPrefix(id, "v")
	if !ok || rest == "" || rest[0] < '1' || rest[0] > '9' {
		return false
	}
	digits, suffix, dotted := strings.Cut(rest, ".")
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	if dotted {
		for _, c := range suffix {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func noSuchVersion(policyARN, id string) error {
	return apierr.New(apierr.NoSuchEntity, "Policy %s version %s does not exist or is not attachable.", policyARN, id)
}

// versions returns a policy's versions, customer or AWS managed.
func (s *Service) versions(ctx context.Context, caller Principal, policyARN string) ([]PolicyVersion, error) {
	named, err := checkPolicyARN("policyArn", policyARN)
	if err != nil {
		return nil, err
	}
	if named.Account == "aws" {
		p := awsManagedByARN[policyARN]
		if p == nil {
			return nil, noSuchPolicy(policyARN)
		}
		return []PolicyVersion{{ID: p.version, Document: p.document, Default: true, CreatedAt: awsManagedCreated}}, nil
	}
	p, err := s.customerPolicy(ctx, caller, named, policyARN)
	if err != nil {
		return nil, err
	}
	out := make([]PolicyVersion, len(p.Versions))
	for i, v := range p.Versions {
		out[i] = PolicyVersion{ID: v.ID, Document: v.Document, Default: v.ID == p.DefaultVersion, CreatedAt: v.CreatedAt}
	}
	return out, nil
}

// GetPolicyVersion returns one version of a managed policy.
func (s *Service) GetPolicyVersion(ctx context.Context, caller Principal, policyARN, versionID string) (PolicyVersion, error) {
	if err := checkVersionID(versionID); err != nil {
		return PolicyVersion{}, err
	}
	all, err := s.versions(ctx, caller, policyARN)
	if err != nil {
		return PolicyVersion{}, err
	}
	for _, v := range all {
		if v.ID == versionID {
			return v, nil
		}
	}
	return PolicyVersion{}, noSuchVersion(policyARN, versionID)
}

// ListPolicyVersions lists a managed policy's versions, newest first, as IAM does.
func (s *Service) ListPolicyVersions(ctx context.Context, caller Principal, policyARN, marker string, maxItems int) (Page[PolicyVersion], error) {
	all, err := s.versions(ctx, caller, policyARN)
	if err != nil {
		return Page[PolicyVersion]{}, err
	}
	// Keys sort the newest first: the version number, zero-padded and inverted.
	key := func(v PolicyVersion) string {
		n, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(v.ID, ".", 2)[0], "v"))
		return fmt.Sprintf("%09d", 999999999-n)
	}
	return listPage(marker, maxItems, key, func(pg store.Page) ([]PolicyVersion, error) {
		var out []PolicyVersion
		for i := len(all) - 1; i >= 0; i-- {
			if key(all[i]) > pg.After && len(out) < pg.Limit {
				out = append(out, all[i])
			}
		}
		return out, nil
	}, func(v PolicyVersion) PolicyVersion { v.Document = ""; return v })
}

// SetDefaultPolicyVersion makes a version the one in force.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, caller Principal, policyARN, versionID string) error {
	return s.changeVersion(ctx, caller, policyARN, versionID, func(p *store.ManagedPolicy, i int) error {
		p.DefaultVersion = versionID
		return nil
	})
}

// DeletePolicyVersion deletes a version that is not the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, caller Principal, policyARN, versionID string) error {
	return s.changeVersion(ctx, caller, policyARN, versionID, func(p *store.ManagedPolicy, i int) error {
		if p.DefaultVersion == versionID {
			return apierr.New(apierr.DeleteConflict, "Cannot delete the default version of a policy.")
		}
		p.Versions = append(p.Versions[:i], p.Versions[i+1:]...)
		return nil
	})
}

func (s *Service) changeVersion(ctx context.Context, caller Principal, policyARN, versionID string, change func(*store.ManagedPolicy, int) error) error {
	named, err := checkPolicyARN("policyArn", policyARN)
	if err != nil {
		return err
	}
	if err := checkVersionID(versionID); err != nil {
		return err
	}
	if named.Account == "aws" {
		return apierr.New(apierr.InvalidInput, "ARN %s is not valid.", policyARN)
	}
	p, err := s.customerPolicy(ctx, caller, named, policyARN)
	if err != nil {
		return err
	}
	return s.updatePolicy(ctx, p, policyARN, func(p *store.ManagedPolicy) error {
		for i, v := range p.Versions {
			if v.ID == versionID {
				p.UpdatedAt = s.now().UTC()
				return change(p, i)
			}
		}
		return noSuchVersion(policyARN, versionID)
	})
}

// attachable checks that a policy ARN names a managed policy the caller's account can attach.
func (s *Service) attachable(ctx context.Context, caller Principal, policyARN string) error {
	named, err := checkPolicyARN("policyArn", policyARN)
	if err != nil {
		return err
	}
	if named.Account == "aws" {
		if awsManagedByARN[policyARN] == nil {
			return notAttachable(policyARN)
		}
		return nil
	}
	if _, err := s.customerPolicy(ctx, caller, named, policyARN); err != nil {
		var apiErr *apierr.Error
		if errors.As(err, &apiErr) && apiErr.Code == apierr.NoSuchEntity {
			return notAttachable(policyARN)
		}
		return err
	}
	return nil
}

// AttachUserPolicy and AttachRolePolicy attach a managed policy, at most ten per entity.
func (s *Service) AttachUserPolicy(ctx context.Context, caller Principal, user, policyARN string) error {
	return s.attach(ctx, caller, userOwner, user, policyARN)
}

func (s *Service) AttachRolePolicy(ctx context.Context, caller Principal, role, policyARN string) error {
	return s.attach(ctx, caller, roleOwner, role, policyARN)
}

func (s *Service) attach(ctx context.Context, caller Principal, o owner, ownerName, policyARN string) error {
	if err := s.ownerExists(ctx, caller, o, ownerName); err != nil {
		return err
	}
	if err := s.attachable(ctx, caller, policyARN); err != nil {
		return err
	}
	attached, err := s.store.ListAttachedPolicies(ctx, caller.AccountID, o.kind, ownerName)
	if err != nil {
		return fmt.Errorf("identity: list attached policies: %w", err)
	}
	for _, a := range attached {
		if a == policyARN {
			return nil
		}
	}
	if len(attached) >= limits.AttachedPoliciesMax {
		quota := "PoliciesPerUser"
		if o.kind == store.RolePolicy {
			quota = "PoliciesPerRole"
		}
		return apierr.New(apierr.LimitExceeded, "Cannot exceed quota for %s: %d", quota, limits.AttachedPoliciesMax)
	}
	if err := s.store.AttachPolicy(ctx, store.PolicyAttachment{AccountID: caller.AccountID, Kind: o.kind,
		Owner: ownerName, PolicyARN: policyARN}); err != nil {
		return fmt.Errorf("identity: attach policy: %w", err)
	}
	s.forgetPolicies(caller.AccountID)
	return nil
}

// DetachUserPolicy and DetachRolePolicy detach a managed policy.
func (s *Service) DetachUserPolicy(ctx context.Context, caller Principal, user, policyARN string) error {
	return s.detach(ctx, caller, userOwner, user, policyARN)
}

func (s *Service) DetachRolePolicy(ctx context.Context, caller Principal, role, policyARN string) error {
	return s.detach(ctx, caller, roleOwner, role, policyARN)
}

func (s *Service) detach(ctx context.Context, caller Principal, o owner, ownerName, policyARN string) error {
	if _, err := checkPolicyARN("policyArn", policyARN); err != nil {
		return err
	}
	if err := s.ownerExists(ctx, caller, o, ownerName); err != nil {
		return err
	}
	err := s.store.DetachPolicy(ctx, store.PolicyAttachment{AccountID: caller.AccountID, Kind: o.kind,
		Owner: ownerName, PolicyARN: policyARN})
	if errors.Is(err, store.ErrNotFound) {
		return noSuchPolicy(policyARN)
	}
	if err != nil {
		return fmt.Errorf("identity: detach policy: %w", err)
	}
	s.forgetPolicies(caller.AccountID)
	return nil
}

// ListAttachedUserPolicies and ListAttachedRolePolicies list an entity's managed policies.
func (s *Service) ListAttachedUserPolicies(ctx context.Context, caller Principal, user, pathPrefix, marker string, maxItems int) (Page[AttachedPolicy], error) {
	return s.listAttached(ctx, caller, userOwner, user, pathPrefix, marker, maxItems)
}

func (s *Service) ListAttachedRolePolicies(ctx context.Context, caller Principal, role, pathPrefix, marker string, maxItems int) (Page[AttachedPolicy], error) {
	return s.listAttached(ctx, caller, roleOwner, role, pathPrefix, marker, maxItems)
}

func (s *Service) listAttached(ctx context.Context, caller Principal, o owner, ownerName, pathPrefix, marker string, maxItems int) (Page[AttachedPolicy], error) {
	if err := s.ownerExists(ctx, caller, o, ownerName); err != nil {
		return Page[AttachedPolicy]{}, err
	}
	arns, err := s.store.ListAttachedPolicies(ctx, caller.AccountID, o.kind, ownerName)
	if err != nil {
		return Page[AttachedPolicy]{}, fmt.Errorf("identity: list attached policies: %w", err)
	}
	if pathPrefix == "" {
		pathPrefix = "/"
	}
	var all []AttachedPolicy
	for _, a := range arns {
		named, _ := arn.ParsePolicy(a)
		if strings.HasPrefix(named.Path, pathPrefix) {
			all = append(all, AttachedPolicy{Name: named.Name, ARN: a})
		}
	}
	return listPage(marker, maxItems, func(a AttachedPolicy) string { return a.ARN },
		func(pg store.Page) ([]AttachedPolicy, error) {
			var out []AttachedPolicy
			for _, a := range all {
				if a.ARN > pg.After && len(out) < pg.Limit {
					out = append(out, a)
				}
			}
			return out, nil
		}, func(a AttachedPolicy) AttachedPolicy { return a })
}

// PutUserPermissionsBoundary and PutRolePermissionsBoundary set an entity's permissions
// boundary: a managed policy that caps what its identity policies can allow.
func (s *Service) PutUserPermissionsBoundary(ctx context.Context, caller Principal, user, policyARN string) error {
	return s.putBoundary(ctx, caller, userOwner, user, policyARN)
}

func (s *Service) PutRolePermissionsBoundary(ctx context.Context, caller Principal, role, policyARN string) error {
	return s.putBoundary(ctx, caller, roleOwner, role, policyARN)
}

func (s *Service) putBoundary(ctx context.Context, caller Principal, o owner, ownerName, policyARN string) error {
	if _, err := checkPolicyARN("permissionsBoundary", policyARN); err != nil {
		return err
	}
	if err := s.ownerExists(ctx, caller, o, ownerName); err != nil {
		return err
	}
	if err := s.attachable(ctx, caller, policyARN); err != nil {
		return apierr.New(apierr.NoSuchEntity, "Scope ARN: %s does not exist or is not attachable.", policyARN)
	}
	if err := s.store.PutPermissionsBoundary(ctx, store.PolicyAttachment{AccountID: caller.AccountID, Kind: o.kind,
		Owner: ownerName, PolicyARN: policyARN}); err != nil {
		return fmt.Errorf("identity: put permissions boundary: %w", err)
	}
	s.forgetPolicies(caller.AccountID)
	return nil
}

// DeleteUserPermissionsBoundary and DeleteRolePermissionsBoundary remove it.
func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, caller Principal, user string) error {
	return s.deleteBoundary(ctx, caller, userOwner, user)
}

func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, caller Principal, role string) error {
	return s.deleteBoundary(ctx, caller, roleOwner, role)
}

func (s *Service) deleteBoundary(ctx context.Context, caller Principal, o owner, ownerName string) error {
	if err := s.ownerExists(ctx, caller, o, ownerName); err != nil {
		return err
	}
	err := s.store.DeletePermissionsBoundary(ctx, caller.AccountID, o.kind, ownerName)
	if errors.Is(err, store.ErrNotFound) {
		return apierr.New(apierr.NoSuchEntity, "The %s with name %s does not have a permissions boundary.", o.noun, ownerName)
	}
	if err != nil {
		return fmt.Errorf("identity: delete permissions boundary: %w", err)
	}
	s.forgetPolicies(caller.AccountID)
	return nil
}

// boundaryOf is an entity's permissions boundary ARN, "" for none.
func (s *Service) boundaryOf(ctx context.Context, accountID string, kind store.PolicyOwner, name string) (string, error) {
	b, err := s.store.GetPermissionsBoundary(ctx, accountID, kind, name)
	if err != nil {
		return "", fmt.Errorf("identity: get permissions boundary: %w", err)
	}
	return b, nil
}

// dropBoundary removes the boundary of an entity being deleted, so that one created later under
// the same name does not inherit it.
func (s *Service) dropBoundary(ctx context.Context, accountID string, kind store.PolicyOwner, name string) error {
	err := s.store.DeletePermissionsBoundary(ctx, accountID, kind, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("identity: delete permissions boundary: %w", err)
	}
	if err == nil {
		s.forgetPolicies(accountID)
	}
	return nil
}

// hasAttachedPolicies refuses the deletion of an entity that still has managed policies.
func (s *Service) hasAttachedPolicies(ctx context.Context, accountID string, kind store.PolicyOwner, name string) error {
	list, err := s.store.ListAttachedPolicies(ctx, accountID, kind, name)
	if err != nil {
		return fmt.Errorf("identity: list attached policies: %w", err)
	}
	if len(list) > 0 {
		return apierr.New(apierr.DeleteConflict, "Cannot delete entity, must detach all policies first.")
	}
	return nil
}

// managedDocument is the document in force of a managed policy an ARN names, for evaluation:
// nil when the policy no longer exists (a deleted policy grants nothing).
func (s *Service) managedDocument(ctx context.Context, accountID, policyARN string) (*iampolicy.Document, error) {
	if p := awsManagedByARN[policyARN]; p != nil {
		return p.doc, nil
	}
	named, ok := arn.ParsePolicy(policyARN)
	if !ok || named.Account != accountID {
		return nil, nil
	}
	p, err := s.store.GetManagedPolicy(ctx, accountID, named.Name)
	if errors.Is(err, store.ErrNotFound) || err == nil && p.Path != named.Path {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("identity: get policy %s: %w", policyARN, err)
	}
	for _, v := range p.Versions {
		if v.ID == p.DefaultVersion {
			doc, err := iampolicy.Parse(v.Document, iampolicy.Identity)
			if err != nil {
				return nil, fmt.Errorf("identity: stored policy %s %s: %w", policyARN, v.ID, err)
			}
			return doc, nil
		}
	}
	return nil, fmt.Errorf("identity: policy %s has no version %s", policyARN, p.DefaultVersion)
}
