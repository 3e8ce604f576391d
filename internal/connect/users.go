package connect

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/limits"
	"github.com/connectfed/connectfed/internal/store"
)

var (
	// usernamePattern admits what Connect's identity types allow in usernames, including every
	// character of an STS RoleSessionName so that any session name can be a Connect username.
	usernamePattern = regexp.MustCompile(`^[a-zA-Z0-9_+=,.@-]+$`)
)

// Phone types.
const (
	SoftPhone = "SOFT_PHONE"
	DeskPhone = "DESK_PHONE"
)

// IdentityInfo is a user's name and contact details.
type IdentityInfo struct {
	FirstName, LastName, Email, SecondaryEmail, Mobile string
}

// PhoneConfig is a user's phone settings.
type PhoneConfig struct {
	PhoneType                 string
	AutoAccept                bool
	AfterContactWorkTimeLimit int
	DeskPhoneNumber           string
	PersistentConnection      bool
}

// UserDetails is everything about a user beyond its id and username.
type UserDetails struct {
	IdentityInfo       *IdentityInfo
	PhoneConfig        PhoneConfig
	DirectoryUserID    string
	SecurityProfileIDs []string
	RoutingProfileID   string
	HierarchyGroupID   string
	Tags               map[string]string
}

// CreateUserInput is what CreateUser takes.
type CreateUserInput struct {
	Username           string
	Password           string
	IdentityInfo       *IdentityInfo
	PhoneConfig        *PhoneConfig
	DirectoryUserID    string
	SecurityProfileIDs []string
	RoutingProfileID   string
	HierarchyGroupID   string
	Tags               map[string]string
}

// User is a Connect user as DescribeUser shows it.
type User struct {
	ID, ARN, Username string
	UserDetails
	LastModifiedTime   time.Time
	LastModifiedRegion string
}

func (in CreateUserInput) validate(inst store.Instance) error {
	if in.Username == "" {
		return missing("username")
	}
	if err := checkLength("username", in.Username, 1, limits.ConnectUsernameMax); err != nil {
		return err
	}
	if !usernamePattern.MatchString(in.Username) {
		return invalid("username", in.Username, "Member must satisfy regular expression pattern: [a-zA-Z0-9_+=,.@-]+")
	}
	if in.Password != "" {
		if !limits.ValidPassword(in.Password) {
			// Never echo a password.
			return apierr.New(apierr.InvalidParameter, "Password must be %s.", limits.PasswordRule)
		}
	}
	switch {
	case inst.IdentityManagementType == ConnectManaged && in.Password == "":
		return apierr.New(apierr.InvalidParameter, "Password is required for users of an instance with CONNECT_MANAGED identity management.")
	case inst.IdentityManagementType != ConnectManaged && in.Password != "":
		return apierr.New(apierr.InvalidParameter, "Password is only valid for users of an instance with CONNECT_MANAGED identity management; this instance uses %s.", inst.IdentityManagementType)
	}
	if len(in.SecurityProfileIDs) == 0 {
		return missing("securityProfileIds")
	}
	if len(in.SecurityProfileIDs) > limits.SecurityProfilesPerUser {
		return invalid("securityProfileIds", fmt.Sprint(in.SecurityProfileIDs), "Member must have length less than or equal to 10")
	}
	if in.RoutingProfileID == "" {
		return missing("routingProfileId")
	}
	if id := in.IdentityInfo; id != nil {
		if err := id.validate(); err != nil {
			return err
		}
	}
	if pc := in.PhoneConfig; pc != nil {
		if err := pc.validate(); err != nil {
			return err
		}
	}
	return checkTags(in.Tags)
}

// validate checks identity info as CreateUser and UpdateUserIdentityInfo do.
func (id *IdentityInfo) validate() error {
	if err := checkLength("identityInfo.firstName", id.FirstName, 0, 255); err != nil {
		return err
	}
	if err := checkLength("identityInfo.lastName", id.LastName, 0, 300); err != nil {
		return err
	}
	if id.Mobile != "" && !e164Pattern.MatchString(id.Mobile) {
		return invalid("identityInfo.mobile", id.Mobile, `Member must satisfy regular expression pattern: \+[1-9]\d{1,14}$`)
	}
	return nil
}

// validate checks a phone config as CreateUser and UpdateUserPhoneConfig do.
func (pc *PhoneConfig) validate() error {
	switch pc.PhoneType {
	case "":
		return missing("phoneConfig.phoneType")
	case SoftPhone:
	case DeskPhone:
		if pc.DeskPhoneNumber == "" {
			return apierr.New(apierr.InvalidParameter, "PhoneConfig.DeskPhoneNumber is required when PhoneType is DESK_PHONE.")
		}
	default:
		return invalid("phoneConfig.phoneType", pc.PhoneType, "Member must satisfy enum value set: [SOFT_PHONE, DESK_PHONE]")
	}
	if pc.DeskPhoneNumber != "" && !e164Pattern.MatchString(pc.DeskPhoneNumber) {
		return invalid("phoneConfig.deskPhoneNumber", pc.DeskPhoneNumber, `Member must satisfy regular expression pattern: \+[1-9]\d{1,14}$`)
	}
	if pc.AfterContactWorkTimeLimit < 0 {
		return invalid("phoneConfig.afterContactWorkTimeLimit", fmt.Sprint(pc.AfterContactWorkTimeLimit), "Member must have value greater than or equal to 0")
	}
	return nil
}

// CreateUser creates a user in an instance. The username is unique in the instance, exactly.
// A CONNECT_MANAGED user's password is kept as a salted hash (argon2id), never as given.
func (s *Service) CreateUser(ctx context.Context, c Caller, ref string, in CreateUserInput) (User, error) {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return User{}, err
	}
	if err := in.validate(inst); err != nil {
		return User{}, err
	}
	if err := s.checkSecurityProfiles(ctx, inst.ID, in.SecurityProfileIDs); err != nil {
		return User{}, err
	}
	if err := s.checkRoutingProfile(ctx, inst.ID, in.RoutingProfileID); err != nil {
		return User{}, err
	}

	d := UserDetails{IdentityInfo: in.IdentityInfo, PhoneConfig: PhoneConfig{PhoneType: SoftPhone},
		DirectoryUserID: in.DirectoryUserID, SecurityProfileIDs: in.SecurityProfileIDs,
		RoutingProfileID: in.RoutingProfileID, HierarchyGroupID: in.HierarchyGroupID, Tags: in.Tags}
	if in.PhoneConfig != nil {
		d.PhoneConfig = *in.PhoneConfig
	}
	details, err := encodeDetails(d)
	if err != nil {
		return User{}, fmt.Errorf("connect: encode user: %w", err)
	}
	var passwordHash []byte
	if in.Password != "" {
		if passwordHash, err = hashPassword(in.Password); err != nil {
			return User{}, err
		}
	}
	now := s.now().UTC()
	u := store.ConnectUser{InstanceID: inst.ID, ID: uuid.NewString(), Username: in.Username,
		Details: details, PasswordHash: passwordHash, CreatedAt: now, UpdatedAt: now}
	defer s.forgetSummaries(inst.ID)
	err = s.store.CreateConnectUser(ctx, u)
	if errors.Is(err, store.ErrAlreadyExists) {
		return User{}, apierr.New(apierr.DuplicateResource, "User %s already exists in the Amazon Connect instance %s.", in.Username, inst.ID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return User{}, instanceNotFound(ref)
	}
	if err != nil {
		return User{}, fmt.Errorf("connect: create user: %w", err)
	}
	return userOf(inst, u, d), nil
}

// checkSecurityProfiles says whether the instance has each security profile.
func (s *Service) checkSecurityProfiles(ctx context.Context, instanceID string, ids []string) error {
	for _, id := range ids {
		if _, _, err := s.profile(ctx, store.SecurityProfiles, instanceID, id); apierr.Is(err, apierr.ResourceNotFound) {
			return apierr.New(apierr.InvalidParameter, "SecurityProfileIds: the instance has no security profile %s.", id)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// checkRoutingProfile says whether the instance has the routing profile.
func (s *Service) checkRoutingProfile(ctx context.Context, instanceID, id string) error {
	if _, _, err := s.profile(ctx, store.RoutingProfiles, instanceID, id); apierr.Is(err, apierr.ResourceNotFound) {
		return apierr.New(apierr.InvalidParameter, "RoutingProfileId: the instance has no routing profile %s.", id)
	} else if err != nil {
		return err
	}
	return nil
}

func userOf(inst store.Instance, u store.ConnectUser, d UserDetails) User {
	return User{ID: u.ID, ARN: userARN(inst, u.ID), Username: u.Username, UserDetails: d,
		LastModifiedTime: u.UpdatedAt, LastModifiedRegion: inst.Region}
}

func userNotFound(id string) error {
	return apierr.New(apierr.ResourceNotFound, "The user %s was not found in this instance.", id)
}

// DescribeUser returns a user of an instance.
func (s *Service) DescribeUser(ctx context.Context, c Caller, ref, userID string) (User, error) {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return User{}, err
	}
	if userID == "" {
		return User{}, missing("userId")
	}
	if !isID(userID) { // no user has such an id; the store need not be asked
		return User{}, userNotFound(userID)
	}
	key, now := describedKey{inst.ID, userID}, s.now()
	if c, ok := s.described.Get(key, now); ok {
		return userOf(inst, c.user, c.details), nil
	}
	version := s.described.Version()
	u, err := s.store.GetConnectUser(ctx, inst.ID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return User{}, userNotFound(userID)
	}
	if err != nil {
		return User{}, fmt.Errorf("connect: get user: %w", err)
	}
	d, err := decodeDetails(u.Details)
	if err != nil {
		return User{}, fmt.Errorf("connect: decode user %s: %w", u.ID, err)
	}
	u.Details, u.PasswordHash = nil, nil
	s.described.Fill(version, key, describedUser{u, d}, now)
	return userOf(inst, u, d), nil
}

// UserSummary is a user as ListUsers shows it.
type UserSummary struct {
	ID, ARN, Username  string
	LastModifiedTime   time.Time
	LastModifiedRegion string
}

// ListUsers lists an instance's users by username.
func (s *Service) ListUsers(ctx context.Context, c Caller, ref, nextToken string, maxResults int) (Page[UserSummary], error) {
	inst, p, err := s.instancePage(ctx, c, ref, nextToken, maxResults, summaryPages)
	if err != nil {
		return Page[UserSummary]{}, err
	}
	key, now := summaryKey{inst.ID, p}, s.now()
	if page, ok := s.summaries.Get(key, now); ok {
		return page, nil
	}
	version := s.summaries.Version()
	items, err := s.store.ListConnectUserSummaries(ctx, inst.ID, p)
	if err != nil {
		return Page[UserSummary]{}, fmt.Errorf("connect: list users: %w", err)
	}
	page := pageOf(items, p, func(u store.ConnectUser) string { return u.Username }, func(u store.ConnectUser) UserSummary {
		return UserSummary{ID: u.ID, ARN: userARN(inst, u.ID), Username: u.Username, LastModifiedTime: u.UpdatedAt, LastModifiedRegion: inst.Region}
	})
	if s.summaries.Len() < maxCachedSummaryPages {
		s.summaries.Fill(version, key, page, now)
	}
	return page, nil
}

// forgetSummaries drops the cached ListUsers pages of an instance.
func (s *Service) forgetSummaries(instanceID string) {
	s.summaries.DeleteFunc(func(k summaryKey, _ Page[UserSummary]) bool { return k.instanceID == instanceID })
}

func (s *Service) forgetUser(instanceID, userID string) {
	s.described.Delete(describedKey{instanceID, userID})
	s.forgetSummaries(instanceID)
	s.users.DeleteFunc(func(k userKey, u store.ConnectUser) bool { return k.instanceID == instanceID && u.ID == userID })
}

// DeleteUser deletes a user; the next federation as that user is refused, cached or not.
func (s *Service) DeleteUser(ctx context.Context, c Caller, ref, userID string) error {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return err
	}
	if userID == "" {
		return missing("userId")
	}
	if !isID(userID) {
		return userNotFound(userID)
	}
	defer s.forgetUser(inst.ID, userID)
	err = s.store.DeleteConnectUser(ctx, inst.ID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return userNotFound(userID)
	}
	if err != nil {
		return fmt.Errorf("connect: delete user: %w", err)
	}
	return nil
}
