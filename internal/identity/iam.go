package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/limits"
	iampolicy "github.com/connectfed/connectfed/internal/policy"
	"github.com/connectfed/connectfed/internal/store"
)

// Page is one page of a listing: the items and, when more follow, the marker for the next.
type Page[T any] struct {
	Items      []T
	NextMarker string // "" when this is the last page
}

// listPage reads one page of records through list, IAM style, and returns their views:
// marker is the opaque value of a previous NextMarker, maxItems 1..1000 (0 means IAM's
// default of 100).
func listPage[T, V any](marker string, maxItems int, key func(T) string,
	list func(store.Page) ([]T, error), view func(T) V) (Page[V], error) {
	if maxItems == 0 {
		maxItems = 100
	}
	if maxItems < 1 || maxItems > 1000 {
		return Page[V]{}, validationError("maxItems", fmt.Sprint(maxItems), "Member must have value between 1 and 1000")
	}
	after := ""
	if marker != "" {
		b, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil || len(b) == 0 || !store.StorableText(string(b)) {
			return Page[V]{}, apierr.New(apierr.ValidationError, "Invalid Marker.")
		}
		after = string(b)
	}
	items, err := list(store.Page{After: after, Limit: maxItems + 1})
	if err != nil {
		return Page[V]{}, fmt.Errorf("identity: list: %w", err)
	}
	var p Page[V]
	if len(items) > maxItems {
		items = items[:maxItems]
		p.NextMarker = base64.RawURLEncoding.EncodeToString([]byte(key(items[maxItems-1])))
	}
	p.Items = make([]V, len(items))
	for i, item := range items {
		p.Items[i] = view(item)
	}
	return p, nil
}

func noSuchUser(name string) error {
	return apierr.New(apierr.NoSuchEntity, "The user with name %s cannot be found.", name)
}

func noSuchRole(name string) error {
	return apierr.New(apierr.NoSuchEntity, "The role with name %s cannot be found.", name)
}

func noSuchKey(id string) error {
	return apierr.New(apierr.NoSuchEntity, "The Access Key with id %s cannot be found.", id)
}

// CreateUser creates an IAM user in the caller's account.
func (s *Service) CreateUser(ctx context.Context, caller Principal, name, path string) (User, error) {
	if err := checkName("userName", name, 1, limits.UserNameMax); err != nil {
		return User{}, err
	}
	path, err := checkPath(path)
	if err != nil {
		return User{}, err
	}
	u := store.User{AccountID: caller.AccountID, Name: name, ID: newUserID(), Path: path, CreatedAt: s.now().UTC()}
	err = s.store.CreateUser(ctx, u)
	if errors.Is(err, store.ErrAlreadyExists) {
		return User{}, apierr.New(apierr.EntityAlreadyExists, "User with name %s already exists.", name)
	}
	if err != nil {
		return User{}, fmt.Errorf("identity: create user: %w", err)
	}
	return userOf(u), nil
}

// GetUser returns the named user, or with name "" the calling user. The root user answers for
// itself as IAM does: its ARN, and the account id as its id.
func (s *Service) GetUser(ctx context.Context, caller Principal, name string) (User, error) {
	if name == "" {
		switch caller.Kind {
		case Root:
			acct, err := s.store.GetAccount(ctx, caller.AccountID)
			if err != nil {
				return User{}, fmt.Errorf("identity: get account: %w", err)
			}
			return User{ID: acct.ID, ARN: caller.ARN, CreatedAt: acct.CreatedAt}, nil
		case AssumedRole:
			return User{}, apierr.New(apierr.ValidationError, "Must specify userName when calling with non-User credentials")
		}
		name = caller.UserName
	}
	u, err := s.user(ctx, caller.AccountID, name)
	if err != nil {
		return User{}, err
	}
	view := userOf(u)
	if view.PermissionsBoundary, err = s.boundaryOf(ctx, u.AccountID, store.UserPolicy, u.Name); err != nil {
		return User{}, err
	}
	return view, nil
}

func (s *Service) user(ctx context.Context, accountID, name string) (store.User, error) {
	if err := checkName("userName", name, 1, limits.UserNameLookupMax); err != nil {
		return store.User{}, err
	}
	u, err := s.store.GetUser(ctx, accountID, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, noSuchUser(name)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("identity: get user: %w", err)
	}
	return u, nil
}

// ListUsers lists the users of the caller's account by name.
func (s *Service) ListUsers(ctx context.Context, caller Principal, marker string, maxItems int) (Page[User], error) {
	return listPage(marker, maxItems, func(u store.User) string { return u.Name },
		func(p store.Page) ([]store.User, error) { return s.store.ListUsers(ctx, caller.AccountID, p) }, userOf)
}

// DeleteUser deletes a user that has no access keys left, as IAM requires.
func (s *Service) DeleteUser(ctx context.Context, caller Principal, name string) error {
	u, err := s.user(ctx, caller.AccountID, name)
	if err != nil {
		return err
	}
	keys, err := s.store.ListAccessKeys(ctx, u.AccountID, u.Name)
	if err != nil {
		return fmt.Errorf("identity: list keys: %w", err)
	}
	if len(keys) > 0 {
		return apierr.New(apierr.DeleteConflict, "Cannot delete entity, must delete access keys first.")
	}
	if err := s.hasInlinePolicies(ctx, u.AccountID, store.UserPolicy, u.Name); err != nil {
		return err
	}
	if err := s.hasAttachedPolicies(ctx, u.AccountID, store.UserPolicy, u.Name); err != nil {
		return err
	}
	if err := s.dropBoundary(ctx, u.AccountID, store.UserPolicy, u.Name); err != nil {
		return err
	}
	defer s.forgetUser(u.AccountID, u.Name)
	if err := s.store.DeleteUser(ctx, u.AccountID, u.Name); errors.Is(err, store.ErrNotFound) {
		return noSuchUser(name)
	} else if err != nil {
		return fmt.Errorf("identity: delete user: %w", err)
	}
	return nil
}

// keyOwner resolves whose keys an access-key operation is about: the named user, or with no
// name the caller itself ("" for root). Role sessions must name a user, as in IAM.
func (s *Service) keyOwner(ctx context.Context, caller Principal, userName string) (string, error) {
	if userName != "" {
		u, err := s.user(ctx, caller.AccountID, userName)
		return u.Name, err
	}
	switch caller.Kind {
	case Root:
		return "", nil
	case IAMUser:
		return caller.UserName, nil
	}
	return "", apierr.New(apierr.ValidationError, "Must specify userName when calling with non-User credentials")
}

// CreateAccessKey creates a key for a user (or for the caller), at most two each.
func (s *Service) CreateAccessKey(ctx context.Context, caller Principal, userName string) (AccessKey, error) {
	owner, err := s.keyOwner(ctx, caller, userName)
	if err != nil {
		return AccessKey{}, err
	}
	keys, err := s.store.ListAccessKeys(ctx, caller.AccountID, owner)
	if err != nil {
		return AccessKey{}, fmt.Errorf("identity: list keys: %w", err)
	}
	if len(keys) >= limits.AccessKeysPerUser {
		return AccessKey{}, apierr.New(apierr.LimitExceeded, "Cannot exceed quota for AccessKeysPerUser: %d", limits.AccessKeysPerUser)
	}
	k := store.AccessKey{ID: newAccessKeyID(), Secret: newSecret(), AccountID: caller.AccountID,
		UserName: owner, Active: true, CreatedAt: s.now().UTC()}
	if err := s.store.CreateAccessKey(ctx, k); err != nil {
		return AccessKey{}, fmt.Errorf("identity: create key: %w", err)
	}
	view := accessKeyOf(k)
	view.Secret = k.Secret
	return view, nil
}

// ListAccessKeys lists a user's keys (or the caller's), without their secrets.
func (s *Service) ListAccessKeys(ctx context.Context, caller Principal, userName string) ([]AccessKey, error) {
	owner, err := s.keyOwner(ctx, caller, userName)
	if err != nil {
		return nil, err
	}
	keys, err := s.store.ListAccessKeys(ctx, caller.AccountID, owner)
	if err != nil {
		return nil, fmt.Errorf("identity: list keys: %w", err)
	}
	out := make([]AccessKey, len(keys))
	for i, k := range keys {
		out[i] = accessKeyOf(k)
	}
	return out, nil
}

// ownedKey finds a key that belongs to owner in the caller's account. Anyone else's key is
// reported missing, so ids of other principals cannot be probed.
func (s *Service) ownedKey(ctx context.Context, caller Principal, owner, id string) (store.AccessKey, error) {
	if err := required("accessKeyId", id); err != nil {
		return store.AccessKey{}, err
	}
	if !isAccessKeyID(id) {
		return store.AccessKey{}, validationError("accessKeyId", id, `Member must satisfy regular expression pattern: [\w]+`)
	}
	k, err := s.store.GetAccessKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && (k.AccountID != caller.AccountID || !strings.EqualFold(k.UserName, owner)) {
		return store.AccessKey{}, noSuchKey(id)
	}
	if err != nil {
		return store.AccessKey{}, fmt.Errorf("identity: get key: %w", err)
	}
	return k, nil
}

// UpdateAccessKey sets a key's status: "Active" or "Inactive".
func (s *Service) UpdateAccessKey(ctx context.Context, caller Principal, userName, id, status string) error {
	if err := required("status", status); err != nil {
		return err
	}
	if status != KeyActive && status != KeyInactive {
		return validationError("status", status, "Member must satisfy enum value set: [Active, Inactive]")
	}
	owner, err := s.keyOwner(ctx, caller, userName)
	if err != nil {
		return err
	}
	if _, err := s.ownedKey(ctx, caller, owner, id); err != nil {
		return err
	}
	defer s.forget(id)
	err = s.store.UpdateAccessKey(ctx, id, func(k store.AccessKey) (store.AccessKey, error) {
		k.Active = status == KeyActive
		return k, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return noSuchKey(id)
	}
	return err
}

// DeleteAccessKey deletes a key of a user (or of the caller).
func (s *Service) DeleteAccessKey(ctx context.Context, caller Principal, userName, id string) error {
	owner, err := s.keyOwner(ctx, caller, userName)
	if err != nil {
		return err
	}
	if _, err := s.ownedKey(ctx, caller, owner, id); err != nil {
		return err
	}
	defer s.forget(id)
	if err := s.store.DeleteAccessKey(ctx, id); errors.Is(err, store.ErrNotFound) {
		return noSuchKey(id)
	} else if err != nil {
		return fmt.Errorf("identity: delete key: %w", err)
	}
	return nil
}

// RoleInput is what CreateRole takes.
type RoleInput struct {
	Name               string
	Path               string
	TrustPolicy        string
	Description        string
	MaxSessionDuration int // seconds; 0 means limits.RoleMaxSessionDefault
}

// CreateRole creates a role with its trust policy.
func (s *Service) CreateRole(ctx context.Context, caller Principal, in RoleInput) (Role, error) {
	if err := checkName("roleName", in.Name, 1, limits.RoleNameMax); err != nil {
		return Role{}, err
	}
	path, err := checkPath(in.Path)
	if err != nil {
		return Role{}, err
	}
	if err := checkTrustPolicy("assumeRolePolicyDocument", in.TrustPolicy); err != nil {
		return Role{}, err
	}
	if len(in.Description) > limits.DescriptionMax {
		return Role{}, validationError("description", in.Description, apierr.Length(len(in.Description), 0, limits.DescriptionMax))
	}
	if !store.StorableText(in.Description) {
		return Role{}, validationError("description", in.Description, `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)
	}
	if in.MaxSessionDuration == 0 {
		in.MaxSessionDuration = limits.RoleMaxSessionDefault
	}
	if in.MaxSessionDuration < limits.RoleMaxSessionMin || in.MaxSessionDuration > limits.RoleMaxSessionMax {
		return Role{}, validationError("maxSessionDuration", fmt.Sprint(in.MaxSessionDuration),
			fmt.Sprintf("Member must have value between %d and %d", limits.RoleMaxSessionMin, limits.RoleMaxSessionMax))
	}
	r := store.Role{AccountID: caller.AccountID, Name: in.Name, ID: newRoleID(), Path: path,
		TrustPolicy: in.TrustPolicy, Description: in.Description,
		MaxSessionDuration: in.MaxSessionDuration, CreatedAt: s.now().UTC()}
	err = s.store.CreateRole(ctx, r)
	if errors.Is(err, store.ErrAlreadyExists) {
		return Role{}, apierr.New(apierr.EntityAlreadyExists, "Role with name %s already exists.", in.Name)
	}
	if err != nil {
		return Role{}, fmt.Errorf("identity: create role: %w", err)
	}
	return roleOf(r), nil
}

// GetRole returns a role of the caller's account.
func (s *Service) GetRole(ctx context.Context, caller Principal, name string) (Role, error) {
	if err := checkName("roleName", name, 1, limits.RoleNameMax); err != nil {
		return Role{}, err
	}
	r, err := s.store.GetRole(ctx, caller.AccountID, name)
	if errors.Is(err, store.ErrNotFound) {
		return Role{}, noSuchRole(name)
	}
	if err != nil {
		return Role{}, fmt.Errorf("identity: get role: %w", err)
	}
	view := roleOf(r)
	if view.PermissionsBoundary, err = s.boundaryOf(ctx, r.AccountID, store.RolePolicy, r.Name); err != nil {
		return Role{}, err
	}
	return view, nil
}

// UpdateAssumeRolePolicy replaces a role's trust policy. Sessions already issued keep working.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, caller Principal, name, document string) error {
	if err := checkName("roleName", name, 1, limits.RoleNameMax); err != nil {
		return err
	}
	if err := checkTrustPolicy("policyDocument", document); err != nil {
		return err
	}
	err := s.store.SetRoleTrustPolicy(ctx, caller.AccountID, name, document)
	if errors.Is(err, store.ErrNotFound) {
		return noSuchRole(name)
	}
	if err != nil {
		return fmt.Errorf("identity: update assume role policy: %w", err)
	}
	return nil
}

// checkTrustPolicy checks a trust policy document as CreateRole and UpdateAssumeRolePolicy do.
func checkTrustPolicy(member, document string) error {
	return checkDocument(member, document, iampolicy.Trust)
}

// checkDocument checks a policy document parameter: present, within the model's length, of the
// characters it allows, and a policy of its kind (AWS's MalformedPolicyDocument when not).
func checkDocument(member, document string, kind iampolicy.Kind) error {
	if err := required(member, document); err != nil {
		return err
	}
	if len(document) > limits.PolicyDocumentMax {
		return validationError(member, "...", apierr.Length(len(document), 1, limits.PolicyDocumentMax))
	}
	if !store.StorableText(document) {
		return validationError(member, "...", `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
	}
	if kind == iampolicy.Trust && !json.Valid([]byte(document)) {
		// CreateRole and UpdateAssumeRolePolicy word a document that is not JSON their own way;
		// the policy operations say "Syntax errors in policy." as Parse does.
		return apierr.New(apierr.MalformedPolicyDocument, "This policy contains invalid Json")
	}
	if _, err := iampolicy.Parse(document, kind); err != nil {
		return malformedPolicy(err)
	}
	return nil
}

// ListRoles lists the roles of the caller's account by name.
func (s *Service) ListRoles(ctx context.Context, caller Principal, marker string, maxItems int) (Page[Role], error) {
	return listPage(marker, maxItems, func(r store.Role) string { return r.Name },
		func(p store.Page) ([]store.Role, error) { return s.store.ListRoles(ctx, caller.AccountID, p) }, roleOf)
}

// DeleteRole deletes a role without inline or attached policies, as IAM requires; its
// permissions boundary goes with it. Sessions already issued keep working until they expire,
// as in AWS where a deleted role's sessions lose their permissions but not their identity.
func (s *Service) DeleteRole(ctx context.Context, caller Principal, name string) error {
	if err := checkName("roleName", name, 1, limits.RoleNameMax); err != nil {
		return err
	}
	if _, err := s.store.GetRole(ctx, caller.AccountID, name); errors.Is(err, store.ErrNotFound) {
		return noSuchRole(name)
	} else if err != nil {
		return fmt.Errorf("identity: get role: %w", err)
	}
	if err := s.hasInlinePolicies(ctx, caller.AccountID, store.RolePolicy, name); err != nil {
		return err
	}
	if err := s.hasAttachedPolicies(ctx, caller.AccountID, store.RolePolicy, name); err != nil {
		return err
	}
	if err := s.dropBoundary(ctx, caller.AccountID, store.RolePolicy, name); err != nil {
		return err
	}
	err := s.store.DeleteRole(ctx, caller.AccountID, name)
	if errors.Is(err, store.ErrNotFound) {
		return noSuchRole(name)
	}
	if err != nil {
		return fmt.Errorf("identity: delete role: %w", err)
	}
	return nil
}
