package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/limits"
	iampolicy "github.com/connectfed/connectfed/internal/policy"
	"github.com/connectfed/connectfed/internal/store"
)

// InlinePolicy is an inline policy as GetUserPolicy and GetRolePolicy show it: the document
// exactly as it was written.
type InlinePolicy struct {
	Owner, Name, Document string
}

// owner is an entity inline policies belong to: a user or a role.
type owner struct {
	kind store.PolicyOwner
	// member names the entity's parameter in validation messages ("userName", "roleName").
	member string
	// noun is how messages name it ("user", "role"); quota its policies' total size.
	noun  string
	quota int
}

var (
	userOwner = owner{store.UserPolicy, "userName", "user", limits.UserInlinePoliciesMax}
	roleOwner = owner{store.RolePolicy, "roleName", "role", limits.RoleInlinePoliciesMax}
)

// ownerExists checks the entity's name and that it exists, answering as IAM does when not.
func (s *Service) ownerExists(ctx context.Context, caller Principal, o owner, name string) error {
	if o.kind == store.UserPolicy {
		_, err := s.user(ctx, caller.AccountID, name)
		return err
	}
	if err := checkName(o.member, name, 1, limits.RoleNameMax); err != nil {
		return err
	}
	if _, err := s.store.GetRole(ctx, caller.AccountID, name); errors.Is(err, store.ErrNotFound) {
		return noSuchRole(name)
	} else if err != nil {
		return fmt.Errorf("identity: get role: %w", err)
	}
	return nil
}

func checkPolicyName(name string) error {
	return checkName("policyName", name, 1, limits.PolicyNameMax)
}

// policySize is a document's size as IAM counts it against its quotas: white space not counted.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// PutUserPolicy and PutRolePolicy add or replace an inline policy of a user or role.
func (s *Service) PutUserPolicy(ctx context.Context, caller Principal, user, name, document string) error {
	return s.putInline(ctx, caller, userOwner, user, name, document)
}

func (s *Service) PutRolePolicy(ctx context.Context, caller Principal, role, name, document string) error {
	return s.putInline(ctx, caller, roleOwner, role, name, document)
}

func (s *Service) putInline(ctx context.Context, caller Principal, o owner, ownerName, name, document string) error {
	if err := required(o.member, ownerName); err != nil {
		return err
	}
	if err := checkPolicyName(name); err != nil {
		return err
	}
	if err := checkDocument("policyDocument", document, iampolicy.Identity); err != nil {
		return err
	}
	if err := s.ownerExists(ctx, caller, o, ownerName); err != nil {
		return err
	}
	existing, err := s.store.ListInlinePolicies(ctx, caller.AccountID, o.kind, ownerName)
	if err != nil {
		return fmt.Errorf("identity: list inline policies: %w", err)
	}
	total := policySize(document)
	for _, p := range existing {
		if !strings.EqualFold(p.Name, name) {
			total += policySize(p.Document)
		}
	}
	if total > o.quota {
		return apierr.New(apierr.LimitExceeded, "Maximum policy size of %d bytes exceeded for %s %s", o.quota, o.noun, ownerName)
	}
	err = s.store.PutInlinePolicy(ctx, store.InlinePolicy{AccountID: caller.AccountID, Kind: o.kind, Owner: ownerName,
		Name: name, Document: document})
	if err != nil {
		return fmt.Errorf("identity: put inline policy: %w", err)
	}
	s.forgetPolicies(caller.AccountID)
	return nil
}

// malformedPolicy is a document the policy package refused, as IAM answers it.
func malformedPolicy(err error) error {
	var se *iampolicy.SyntaxError
	if errors.As(err, &se) {
		return apierr.New(apierr.MalformedPolicyDocument, "%s", se.Message)
	}
	return err
}

// GetUserPolicy and GetRolePolicy return an inline policy.
func (s *Service) GetUserPolicy(ctx context.Context, caller Principal, user, name string) (InlinePolicy, error) {
	return s.getInline(ctx, caller, userOwner, user, name)
}

func (s *Service) GetRolePolicy(ctx context.Context, caller Principal, role, name string) (InlinePolicy, error) {
	return s.getInline(ctx, caller, roleOwner, role, name)
}

func (s *Service) getInline(ctx context.Context, caller Principal, o owner, ownerName, name string) (InlinePolicy, error) {
	if err := checkPolicyName(name); err != nil {
		return InlinePolicy{}, err
	}
	if err := s.ownerExists(ctx, caller, o, ownerName); err != nil {
		return InlinePolicy{}, err
	}
	p, err := s.store.GetInlinePolicy(ctx, caller.AccountID, o.kind, ownerName, name)
	if errors.Is(err, store.ErrNotFound) {
		return InlinePolicy{}, apierr.New(apierr.NoSuchEntity, "The %s policy with name %s cannot be found.", o.noun, name)
	}
	if err != nil {
		return InlinePolicy{}, fmt.Errorf("identity: get inline policy: %w", err)
	}
	return InlinePolicy{Owner: ownerName, Name: p.Name, Document: p.Document}, nil
}

// ListUserPolicies and ListRolePolicies list the names of an entity's inline policies, IAM
// style: Marker from a previous page, MaxItems 1..1000 (0: 100).
func (s *Service) ListUserPolicies(ctx context.Context, caller Principal, user, marker string, maxItems int) (Page[string], error) {
	return s.listInline(ctx, caller, userOwner, user, marker, maxItems)
}

func (s *Service) ListRolePolicies(ctx context.Context, caller Principal, role, marker string, maxItems int) (Page[string], error) {
	return s.listInline(ctx, caller, roleOwner, role, marker, maxItems)
}

func (s *Service) listInline(ctx context.Context, caller Principal, o owner, ownerName, marker string, maxItems int) (Page[string], error) {
	if err := s.ownerExists(ctx, caller, o, ownerName); err != nil {
		return Page[string]{}, err
	}
	// An entity's inline policies are few (their total size is capped at a few KB): they are
	// read whole and paged here.
	all, err := s.store.ListInlinePolicies(ctx, caller.AccountID, o.kind, ownerName)
	if err != nil {
		return Page[string]{}, fmt.Errorf("identity: list inline policies: %w", err)
	}
	return listPage(marker, maxItems, func(p store.InlinePolicy) string { return strings.ToLower(p.Name) },
		func(p store.Page) ([]store.InlinePolicy, error) {
			var out []store.InlinePolicy
			for _, ip := range all {
				if strings.ToLower(ip.Name) > p.After && len(out) < p.Limit {
					out = append(out, ip)
				}
			}
			return out, nil
		}, func(p store.InlinePolicy) string { return p.Name })
}

// DeleteUserPolicy and DeleteRolePolicy delete an inline policy.
func (s *Service) DeleteUserPolicy(ctx context.Context, caller Principal, user, name string) error {
	return s.deleteInline(ctx, caller, userOwner, user, name)
}

func (s *Service) DeleteRolePolicy(ctx context.Context, caller Principal, role, name string) error {
	return s.deleteInline(ctx, caller, roleOwner, role, name)
}

func (s *Service) deleteInline(ctx context.Context, caller Principal, o owner, ownerName, name string) error {
	if err := checkPolicyName(name); err != nil {
		return err
	}
	if err := s.ownerExists(ctx, caller, o, ownerName); err != nil {
		return err
	}
	err := s.store.DeleteInlinePolicy(ctx, caller.AccountID, o.kind, ownerName, name)
	if errors.Is(err, store.ErrNotFound) {
		return apierr.New(apierr.NoSuchEntity, "The %s policy with name %s cannot be found.", o.noun, name)
	}
	if err != nil {
		return fmt.Errorf("identity: delete inline policy: %w", err)
	}
	s.forgetPolicies(caller.AccountID)
	return nil
}

// hasInlinePolicies refuses the deletion of an entity that still has inline policies.
func (s *Service) hasInlinePolicies(ctx context.Context, accountID string, kind store.PolicyOwner, name string) error {
	list, err := s.store.ListInlinePolicies(ctx, accountID, kind, name)
	if err != nil {
		return fmt.Errorf("identity: list inline policies: %w", err)
	}
	if len(list) > 0 {
		return apierr.New(apierr.DeleteConflict, "Cannot delete entity, must delete policies first.")
	}
	return nil
}
