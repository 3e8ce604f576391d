package connect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/limits"
	"github.com/connectfed/connectfed/internal/store"
)

// Identity management types of an instance.
const (
	SAML              = "SAML"
	ConnectManaged    = "CONNECT_MANAGED"
	ExistingDirectory = "EXISTING_DIRECTORY"
)

// CreateInstanceInput is CreateInstance's request. The calls-enabled flags are pointers
// because the model requires them: absent is an error, not false.
type CreateInstanceInput struct {
	ClientToken            string
	IdentityManagementType string
	InstanceAlias          string
	DirectoryID            string
	InboundCallsEnabled    *bool
	OutboundCallsEnabled   *bool
	Tags                   map[string]string
}

// Instance is an instance as DescribeInstance and ListInstances show it.
type Instance struct {
	ID, ARN                string
	IdentityManagementType string
	Alias                  string
	CreatedTime            time.Time
	// ServiceRole is the service-linked role AWS gives every account that uses Connect.
	ServiceRole string
	// Status is always ACTIVE: connectfed creates an instance at once.
	Status                                    string
	InboundCallsEnabled, OutboundCallsEnabled bool
	// AccessURL is the instance's agent address, https://ALIAS.my.connect.aws/ (none without an
	// alias).
	AccessURL string
	Tags      map[string]string
}

// instanceOf is the view of a stored instance.
func instanceOf(in store.Instance) Instance {
	v := Instance{ID: in.ID, ARN: instanceARN(in), IdentityManagementType: in.IdentityManagementType,
		Alias: in.Alias, CreatedTime: in.CreatedAt,
		ServiceRole: arn.ServiceLinkedRole(in.AccountID, "connect.amazonaws.com", "AWSServiceRoleForAmazonConnect"),
		Status:      "ACTIVE", InboundCallsEnabled: in.InboundCalls, OutboundCallsEnabled: in.OutboundCalls,
		Tags: in.Tags}
	if in.Alias != "" {
		v.AccessURL = "https://" + in.Alias + ".my.connect.aws/"
	}
	return v
}

func (in CreateInstanceInput) validate() error {
	switch in.IdentityManagementType {
	case "":
		return missing("identityManagementType")
	case SAML, ConnectManaged, ExistingDirectory:
	default:
		return invalid("identityManagementType", in.IdentityManagementType,
			"Member must satisfy enum value set: [SAML, CONNECT_MANAGED, EXISTING_DIRECTORY]")
	}
	if in.InboundCallsEnabled == nil {
		return missing("inboundCallsEnabled")
	}
	if in.OutboundCallsEnabled == nil {
		return missing("outboundCallsEnabled")
	}
	if err := checkLength("clientToken", in.ClientToken, 0, limits.ClientTokenMax); err != nil {
		return err
	}
	if !store.StorableText(in.ClientToken) {
		return invalid("clientToken", in.ClientToken, "Member must be text without control characters")
	}
	if in.InstanceAlias != "" {
		if err := checkLength("instanceAlias", in.InstanceAlias, 1, 45); err != nil {
			return err
		}
		if !aliasPattern.MatchString(in.InstanceAlias) || strings.HasPrefix(in.InstanceAlias, "d-") {
			return invalid("instanceAlias", in.InstanceAlias,
				`Member must satisfy regular expression pattern: ^(?!d-)([\da-zA-Z]+)([-]*[\da-zA-Z])*$`)
		}
	}
	if in.DirectoryID != "" && !directoryPattern.MatchString(in.DirectoryID) {
		return invalid("directoryId", in.DirectoryID, "Member must satisfy regular expression pattern: ^d-[0-9a-f]{10}$")
	}
	switch {
	case in.IdentityManagementType == ExistingDirectory && in.DirectoryID == "":
		return apierr.New(apierr.InvalidRequest, "DirectoryId is required when IdentityManagementType is EXISTING_DIRECTORY.")
	case in.IdentityManagementType != ExistingDirectory && in.DirectoryID != "":
		return apierr.New(apierr.InvalidRequest, "DirectoryId is only valid when IdentityManagementType is EXISTING_DIRECTORY.")
	case in.IdentityManagementType != ExistingDirectory && in.InstanceAlias == "":
		return apierr.New(apierr.InvalidRequest, "InstanceAlias is required when IdentityManagementType is %s.", in.IdentityManagementType)
	}
	return checkTags(in.Tags)
}

func checkTags(tags map[string]string) error {
	if tags == nil {
		return nil
	}
	if len(tags) < 1 || len(tags) > 50 {
		return invalid("tags", fmt.Sprint(len(tags)), "Member must have between 1 and 50 entries")
	}
	for k, v := range tags {
		if err := checkLength("tags.key", k, 1, 128); err != nil {
			return err
		}
		if err := checkLength("tags.value", v, 0, 256); err != nil {
			return err
		}
	}
	return nil
}

// CreateInstance creates an ACTIVE instance with the security profiles, routing profile and
// queue a new instance has. A ClientToken makes it idempotent: a retry with the token of an
// instance the caller's account created in the region returns that instance and creates
// nothing; the token with another identity management type, alias or directory is refused.
// A ClientToken makes it idempotent: a retry with the token of an instance the caller's account
// created in the region returns that instance, and creates nothing.
func (s *Service) CreateInstance(ctx context.Context, c Caller, in CreateInstanceInput) (Instance, error) {
	if err := in.validate(); err != nil {
		return Instance{}, err
	}
	if in.ClientToken != "" {
		done, err := s.store.GetInstanceByClientToken(ctx, c.Principal.AccountID, c.Region, in.ClientToken)
		if err == nil {
			// The same token for another instance is a mistake, not a retry. Only what cannot
			// change since is compared: flags and tags may have been updated in between.
			if done.IdentityManagementType != in.IdentityManagementType || done.Alias != in.InstanceAlias || done.DirectoryID != in.DirectoryID {
				return Instance{}, apierr.New(apierr.InvalidRequest,
					"The ClientToken was already used to create instance %s with other parameters.", done.ID)
			}
			return instanceOf(done), nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return Instance{}, fmt.Errorf("connect: get instance by client token: %w", err)
		}
	}
	now := s.now().UTC()
	inst := store.Instance{
		AccountID: c.Principal.AccountID, Region: c.Region, ID: uuid.NewString(),
		Alias: in.InstanceAlias, IdentityManagementType: in.IdentityManagementType, DirectoryID: in.DirectoryID,
		InboundCalls: *in.InboundCallsEnabled, OutboundCalls: *in.OutboundCallsEnabled, CreatedAt: now,
		ClientToken: in.ClientToken, Tags: in.Tags,
	}
	err := s.store.CreateInstance(ctx, inst, defaultProfiles(inst.ID, now))
	if errors.Is(err, store.ErrAlreadyExists) {
		return Instance{}, apierr.New(apierr.DuplicateResource,
			"An instance with the alias %s already exists in this account and region.", in.InstanceAlias)
	}
	if err != nil {
		return Instance{}, fmt.Errorf("connect: create instance: %w", err)
	}
	return instanceOf(inst), nil
}

// instance finds the instance a reference names, in the caller's account and region, through
// the cache.
func (s *Service) instance(ctx context.Context, c Caller, ref instanceRef) (store.Instance, error) {
	id, err := ref.resolve(c)
	if err != nil {
		return store.Instance{}, err
	}
	key := instanceKey{c.Principal.AccountID, c.Region, id}
	now := s.now()
	if in, ok := s.instances.Get(key, now); ok {
		return in, nil
	}
	version := s.instances.Version()
	in, err := s.store.GetInstance(ctx, key.account, key.region, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Instance{}, instanceNotFound(string(ref))
	}
	if err != nil {
		return store.Instance{}, fmt.Errorf("connect: get instance: %w", err)
	}
	s.instances.Fill(version, key, in, now)
	return in, nil
}

// DescribeInstance returns an instance of the caller's account and region.
func (s *Service) DescribeInstance(ctx context.Context, c Caller, ref string) (Instance, error) {
	in, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return Instance{}, err
	}
	return instanceOf(in), nil
}

// ListInstances lists the instances of the caller's account and region.
func (s *Service) ListInstances(ctx context.Context, c Caller, nextToken string, maxResults int) (Page[Instance], error) {
	p, err := pageRequest(nextToken, maxResults, 10, 10)
	if err != nil {
		return Page[Instance]{}, err
	}
	items, err := s.store.ListInstances(ctx, c.Principal.AccountID, c.Region, p)
	if err != nil {
		return Page[Instance]{}, fmt.Errorf("connect: list instances: %w", err)
	}
	return pageOf(items, p, func(in store.Instance) string { return in.ID }, instanceOf), nil
}

// DeleteInstance deletes an instance with its profiles and users.
func (s *Service) DeleteInstance(ctx context.Context, c Caller, ref string) error {
	in, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return err
	}
	defer s.forgetInstance(in)
	err = s.store.DeleteInstance(ctx, in.AccountID, in.Region, in.ID)
	if errors.Is(err, store.ErrNotFound) {
		return instanceNotFound(ref)
	}
	if err != nil {
		return fmt.Errorf("connect: delete instance: %w", err)
	}
	return nil
}

func (s *Service) forgetInstance(in store.Instance) {
	s.instances.Delete(instanceKey{in.AccountID, in.Region, in.ID})
	s.users.DeleteFunc(func(k userKey, _ store.ConnectUser) bool { return k.instanceID == in.ID })
	s.described.DeleteFunc(func(k describedKey, _ describedUser) bool { return k.instanceID == in.ID })
	s.forgetSummaries(in.ID)
}
