package connect

import (
	"context"
	"errors"
	"fmt"

	"github.com/connectfed/connectfed/internal/limits"
	"github.com/connectfed/connectfed/internal/store"
)

// The updates of a user's details. Each is one compare-and-swap in the store, so concurrent
// updates of different fields of one user (from any replica) all stand, and each bumps the
// user's LastModifiedTime.

// updateUser applies change to a user's details and bumps its LastModifiedTime. checks runs
// first, with the instance, for what needs the store (a profile that must exist).
func (s *Service) updateUser(ctx context.Context, c Caller, ref, userID string, checks func(store.Instance) error,
	change func(*UserDetails) error) error {
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
	if checks != nil {
		if err := checks(inst); err != nil {
			return err
		}
	}
	defer s.forgetUser(inst.ID, userID)
	err = s.store.UpdateConnectUser(ctx, inst.ID, userID, func(u store.ConnectUser) (store.ConnectUser, error) {
		d, err := decodeDetails(u.Details)
		if err != nil {
			return u, fmt.Errorf("connect: decode user %s: %w", u.ID, err)
		}
		if err := change(&d); err != nil {
			return u, err
		}
		if u.Details, err = encodeDetails(d); err != nil {
			return u, fmt.Errorf("connect: encode user: %w", err)
		}
		u.UpdatedAt = s.later(u.UpdatedAt)
		return u, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return userNotFound(userID)
	}
	return err
}

// UpdateUserIdentityInfo replaces a user's identity info.
func (s *Service) UpdateUserIdentityInfo(ctx context.Context, c Caller, ref, userID string, info *IdentityInfo) error {
	if info == nil {
		return missing("identityInfo")
	}
	if err := info.validate(); err != nil {
		return err
	}
	return s.updateUser(ctx, c, ref, userID, nil, func(d *UserDetails) error { v := *info; d.IdentityInfo = &v; return nil })
}

// UpdateUserPhoneConfig replaces a user's phone config.
func (s *Service) UpdateUserPhoneConfig(ctx context.Context, c Caller, ref, userID string, pc *PhoneConfig) error {
	if pc == nil {
		return missing("phoneConfig")
	}
	if err := pc.validate(); err != nil {
		return err
	}
	return s.updateUser(ctx, c, ref, userID, nil, func(d *UserDetails) error { d.PhoneConfig = *pc; return nil })
}

// UpdateUserRoutingProfile assigns a user a routing profile of its instance.
func (s *Service) UpdateUserRoutingProfile(ctx context.Context, c Caller, ref, userID, routingProfileID string) error {
	if routingProfileID == "" {
		return missing("routingProfileId")
	}
	return s.updateUser(ctx, c, ref, userID,
		func(inst store.Instance) error { return s.checkRoutingProfile(ctx, inst.ID, routingProfileID) },
		func(d *UserDetails) error { d.RoutingProfileID = routingProfileID; return nil })
}

// UpdateUserSecurityProfiles replaces a user's security profiles (1 to 10 of its instance's).
func (s *Service) UpdateUserSecurityProfiles(ctx context.Context, c Caller, ref, userID string, ids []string) error {
	if ids == nil {
		return missing("securityProfileIds")
	}
	if len(ids) == 0 {
		return invalid("securityProfileIds", "[]", "Member must have length greater than or equal to 1")
	}
	if len(ids) > limits.SecurityProfilesPerUser {
		return invalid("securityProfileIds", fmt.Sprint(ids), fmt.Sprintf("Member must have length less than or equal to %d", limits.SecurityProfilesPerUser))
	}
	return s.updateUser(ctx, c, ref, userID,
		func(inst store.Instance) error { return s.checkSecurityProfiles(ctx, inst.ID, ids) },
		func(d *UserDetails) error { d.SecurityProfileIDs = append([]string(nil), ids...); return nil })
}
