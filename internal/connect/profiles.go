package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/store"
)

// Security profiles, routing profiles and queues: named records of an instance, each kept as a
// store.Profile whose Details is a profileDoc. What the kinds share (a name, a description,
// tags, the time of the last change) is handled once here; each kind's operations are in its
// own file.

// profileDoc is the document of a profile of any kind (store.Profile.Details); a kind uses
// the members it has. Its member names are fixed by the rows already written: change them
// only with a migration that rewrites them.
type profileDoc struct {
	Tags map[string]string `json:"Tags,omitempty"`

	// Security profiles.
	Permissions                          []string          `json:"Permissions,omitempty"`
	AllowedAccessControlTags             map[string]string `json:"AllowedAccessControlTags,omitempty"`
	TagRestrictedResources               []string          `json:"TagRestrictedResources,omitempty"`
	HierarchyRestrictedResources         []string          `json:"HierarchyRestrictedResources,omitempty"`
	AllowedAccessControlHierarchyGroupID string            `json:"AllowedAccessControlHierarchyGroupId,omitempty"`

	// Routing profiles.
	DefaultOutboundQueueID string             `json:"DefaultOutboundQueueId,omitempty"`
	MediaConcurrencies     []MediaConcurrency `json:"MediaConcurrencies,omitempty"`
	QueueConfigs           []QueueConfig      `json:"QueueConfigs,omitempty"`
	AgentAvailabilityTimer string             `json:"AgentAvailabilityTimer,omitempty"`
	IsDefault              bool               `json:"IsDefault,omitempty"`

	// Queues.
	HoursOfOperationID   string                `json:"HoursOfOperationId,omitempty"`
	MaxContacts          *int                  `json:"MaxContacts,omitempty"`
	Status               string                `json:"Status,omitempty"`
	OutboundCallerConfig *OutboundCallerConfig `json:"OutboundCallerConfig,omitempty"`
}

// MediaConcurrency is how many contacts of a channel an agent of a routing profile takes at
// once.
type MediaConcurrency struct {
	Channel              string `json:"Channel"`
	Concurrency          int    `json:"Concurrency"`
	CrossChannelBehavior string `json:"CrossChannelBehavior,omitempty"`
}

// QueueConfig is a queue a routing profile takes contacts of one channel from, with the
// priority and delay it gives them.
type QueueConfig struct {
	QueueID  string `json:"QueueId"`
	Channel  string `json:"Channel"`
	Priority int    `json:"Priority"`
	Delay    int    `json:"Delay"`
}

// OutboundCallerConfig is a queue's outbound caller id.
type OutboundCallerConfig struct {
	OutboundCallerIDName     string `json:"OutboundCallerIdName,omitempty"`
	OutboundCallerIDNumberID string `json:"OutboundCallerIdNumberId,omitempty"`
	OutboundFlowID           string `json:"OutboundFlowId,omitempty"`
}

// Channels are the media channels of routing (Channel in the model).
var Channels = []string{"VOICE", "CHAT", "TASK", "EMAIL"}

func decodeProfileDoc(p store.Profile) (profileDoc, error) {
	var d profileDoc
	if len(p.Details) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(p.Details, &d); err != nil {
		return d, fmt.Errorf("connect: decode %s %s: %w", p.Kind, p.ID, err)
	}
	return d, nil
}

func encodeProfileDoc(d profileDoc) []byte {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // strings, ints and maps of strings always marshal
	}
	return b
}

// profileKinds are what the kinds are called in messages and ARNs.
var profileKinds = map[store.ProfileKind]struct {
	// noun names one in a message: "The security profile X was not found".
	noun string
	arn  func(region, account, instanceID, id string) string
}{
	store.SecurityProfiles: {"security profile", arn.SecurityProfile},
	store.RoutingProfiles:  {"routing profile", arn.RoutingProfile},
	store.Queues:           {"queue", arn.Queue},
}

func profileNotFound(kind store.ProfileKind, id string) error {
	return apierr.New(apierr.ResourceNotFound, "The %s %s was not found in this instance.", profileKinds[kind].noun, id)
}

func profileARN(inst store.Instance, kind store.ProfileKind, id string) string {
	return profileKinds[kind].arn(inst.Region, inst.AccountID, inst.ID, id)
}

// profile finds a profile of an instance; ResourceNotFound when it has none by that id. An id
// no profile can have is not looked up: PostgreSQL refuses text that is not UTF-8 or holds a
// NUL (a 500), where SQLite finds nothing.
func (s *Service) profile(ctx context.Context, kind store.ProfileKind, instanceID, id string) (store.Profile, profileDoc, error) {
	if !isID(id) {
		return store.Profile{}, profileDoc{}, profileNotFound(kind, id)
	}
	p, err := s.store.GetProfile(ctx, kind, instanceID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Profile{}, profileDoc{}, profileNotFound(kind, id)
	}
	if err != nil {
		return store.Profile{}, profileDoc{}, fmt.Errorf("connect: get %s: %w", kind, err)
	}
	d, err := decodeProfileDoc(p)
	return p, d, err
}

// instanceProfile finds an instance by reference and a profile of it.
func (s *Service) instanceProfile(ctx context.Context, c Caller, ref string, kind store.ProfileKind, id string) (store.Instance, store.Profile, profileDoc, error) {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return store.Instance{}, store.Profile{}, profileDoc{}, err
	}
	if id == "" {
		return store.Instance{}, store.Profile{}, profileDoc{}, missing(lowerFirst(string(kindIDMember[kind])))
	}
	p, d, err := s.profile(ctx, kind, inst.ID, id)
	return inst, p, d, err
}

// kindIDMember is the member that names a profile of each kind in a request.
var kindIDMember = map[store.ProfileKind]string{
	store.SecurityProfiles: "SecurityProfileId",
	store.RoutingProfiles:  "RoutingProfileId",
	store.Queues:           "QueueId",
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

// createProfile stores a new profile of an instance; DuplicateResource when its name is taken.
func (s *Service) createProfile(ctx context.Context, inst store.Instance, kind store.ProfileKind, name, description string, d profileDoc) (store.Profile, error) {
	now := s.now().UTC()
	p := store.Profile{Kind: kind, InstanceID: inst.ID, ID: uuid.NewString(), Name: name, Description: description,
		Details: encodeProfileDoc(d), CreatedAt: now, UpdatedAt: now}
	err := s.store.CreateProfile(ctx, p)
	if errors.Is(err, store.ErrAlreadyExists) {
		return store.Profile{}, duplicateProfileName(kind, name)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.Profile{}, instanceNotFound(inst.ID)
	}
	if err != nil {
		return store.Profile{}, fmt.Errorf("connect: create %s: %w", kind, err)
	}
	return p, nil
}

func duplicateProfileName(kind store.ProfileKind, name string) error {
	return apierr.New(apierr.DuplicateResource, "A %s named %s already exists in this instance.", profileKinds[kind].noun, name)
}

// profileChange is a change of a profile: of its document, and of its name and description
// when the change sets them.
type profileChange func(p *store.Profile, d *profileDoc) error

// updateProfile applies change to a profile atomically and bumps its LastModifiedTime.
func (s *Service) updateProfile(ctx context.Context, c Caller, ref string, kind store.ProfileKind, id string, change profileChange) error {
	inst, _, _, err := s.instanceProfile(ctx, c, ref, kind, id)
	if err != nil {
		return err
	}
	var name string
	err = s.store.UpdateProfile(ctx, kind, inst.ID, id, func(p store.Profile) (store.Profile, error) {
		d, err := decodeProfileDoc(p)
		if err != nil {
			return p, err
		}
		if err := change(&p, &d); err != nil {
			return p, err
		}
		name = p.Name
		p.Details = encodeProfileDoc(d)
		p.UpdatedAt = s.later(p.UpdatedAt)
		return p, nil
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return profileNotFound(kind, id)
	case errors.Is(err, store.ErrAlreadyExists):
		return duplicateProfileName(kind, name)
	}
	return err
}

// later is now, or the millisecond after last's when the clock has not moved a millisecond
// past it: LastModifiedTime moves on every update as a client sees it, even two updates within
// one millisecond (restJson1 carries timestamps to the millisecond, see awsproto.AppendEpoch).
func (s *Service) later(last time.Time) time.Time {
	now := s.now().UTC()
	if next := last.Truncate(time.Millisecond).Add(time.Millisecond); now.Before(next) {
		now = next
	}
	return now
}

// deleteProfile deletes a profile no user holds: users names the field of a user that holds
// one (a SearchUsers field), ResourceInUse when any user does.
func (s *Service) deleteProfile(ctx context.Context, c Caller, ref string, kind store.ProfileKind, id, usersField string) error {
	inst, _, d, err := s.instanceProfile(ctx, c, ref, kind, id)
	if err != nil {
		return err
	}
	if d.IsDefault {
		return apierr.New(apierr.InvalidRequest, "The default %s of an instance cannot be deleted.", profileKinds[kind].noun)
	}
	if usersField != "" {
		inUse, err := s.SearchUsers(ctx, c, inst.ID, SearchUsersInput{MaxResults: 1,
			Criteria: &UserSearchCriteria{StringCondition: &StringCondition{FieldName: usersField, Value: id, ComparisonType: "EXACT"}}})
		if err != nil {
			return err
		}
		if inUse.Total > 0 {
			return apierr.New(apierr.ResourceInUse, "The %s %s is assigned to %d users: assign them another first.",
				profileKinds[kind].noun, id, inUse.Total)
		}
	}
	err = s.store.DeleteProfile(ctx, kind, inst.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return profileNotFound(kind, id)
	}
	if err != nil {
		return fmt.Errorf("connect: delete %s: %w", kind, err)
	}
	return nil
}

// ProfileSummary is a profile of any kind as the List operations show it.
type ProfileSummary struct {
	ID, ARN, Name      string
	LastModifiedTime   time.Time
	LastModifiedRegion string
}

// listProfiles lists one page of an instance's profiles of a kind.
func (s *Service) listProfiles(ctx context.Context, c Caller, ref, nextToken string, maxResults int, size pageSize, kind store.ProfileKind) (Page[ProfileSummary], error) {
	list := func(ctx context.Context, instanceID string, p store.Page) ([]store.Profile, error) {
		return s.store.ListProfiles(ctx, kind, instanceID, p)
	}
	return listInstancePage(ctx, s, c, ref, nextToken, maxResults, size, string(kind)+"s", list,
		func(p store.Profile) string { return p.ID },
		func(in store.Instance, p store.Profile) ProfileSummary {
			return ProfileSummary{ID: p.ID, ARN: profileARN(in, kind, p.ID), Name: p.Name,
				LastModifiedTime: p.UpdatedAt, LastModifiedRegion: in.Region}
		})
}

// ListSecurityProfiles lists an instance's security profiles.
func (s *Service) ListSecurityProfiles(ctx context.Context, c Caller, ref, nextToken string, maxResults int) (Page[ProfileSummary], error) {
	return s.listProfiles(ctx, c, ref, nextToken, maxResults, summaryPages, store.SecurityProfiles)
}

// ListRoutingProfiles lists an instance's routing profiles.
func (s *Service) ListRoutingProfiles(ctx context.Context, c Caller, ref, nextToken string, maxResults int) (Page[ProfileSummary], error) {
	return s.listProfiles(ctx, c, ref, nextToken, maxResults, summaryPages, store.RoutingProfiles)
}

// checkName checks a profile's name and description as a request gives them.
func checkName(member, name string, maxLen int) error {
	if name == "" {
		return missing(member)
	}
	if err := checkLength(member, name, 1, maxLen); err != nil {
		return err
	}
	if !store.StorableText(name) {
		return invalid(member, name, "Member must be text without control characters")
	}
	return nil
}

func checkDescription(member, description string, minLen int) error {
	if err := checkLength(member, description, minLen, 250); err != nil {
		return err
	}
	if !store.StorableText(description) {
		return invalid(member, description, "Member must be text without control characters")
	}
	return nil
}
