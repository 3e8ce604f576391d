package connect

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/store"
)

// Routing profiles (which queues' contacts an agent takes, on which channels, how many at
// once) and queues. A new instance has one queue, BasicQueue, and one routing profile, its
// default, that takes every channel from it, as a real instance does.

// The page sizes of ListRoutingProfileQueues.
var routingQueuePages = pageSize{max: 100, byDefault: 100}

// Queue is a queue as DescribeQueue shows it.
type Queue struct {
	ID, ARN, Name, Description string
	HoursOfOperationID         string
	MaxContacts                *int
	Status                     string
	OutboundCallerConfig       *OutboundCallerConfig
	Tags                       map[string]string
	LastModifiedTime           time.Time
	LastModifiedRegion         string
}

// QueueSummary is a queue as ListQueues shows it.
type QueueSummary struct {
	ProfileSummary
	QueueType string
}

// basicHoursID is the id of the hours of operation of an instance's BasicQueue ("Basic
// Hours"): derived from the instance's id, so that it needs no record of its own.
func basicHoursID(instanceID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("connectfed:basic-hours:"+instanceID)).String()
}

// defaultProfiles are the security profiles, routing profile and queue a new instance starts
// with.
func defaultProfiles(instanceID string, now time.Time) []store.Profile {
	profile := func(kind store.ProfileKind, name, description string, d profileDoc) store.Profile {
		return store.Profile{Kind: kind, InstanceID: instanceID, ID: uuid.NewString(), Name: name, Description: description,
			Details: encodeProfileDoc(d), CreatedAt: now, UpdatedAt: now}
	}
	var out []store.Profile
	for _, sp := range defaultSecurityProfiles {
		out = append(out, profile(store.SecurityProfiles, sp.name, "", profileDoc{Permissions: sp.permissions}))
	}
	queue := profile(store.Queues, "BasicQueue", "A simple, basic voice queue.",
		profileDoc{HoursOfOperationID: basicHoursID(instanceID), Status: "ENABLED"})
	var configs []QueueConfig
	for _, ch := range Channels {
		configs = append(configs, QueueConfig{QueueID: queue.ID, Channel: ch, Priority: 1, Delay: 0})
	}
	out = append(out, queue, profile(store.RoutingProfiles, "Basic Routing Profile", "Default routing profile", profileDoc{
		DefaultOutboundQueueID: queue.ID, QueueConfigs: configs, IsDefault: true,
		MediaConcurrencies: []MediaConcurrency{{Channel: "VOICE", Concurrency: 1}, {Channel: "CHAT", Concurrency: 2},
			{Channel: "TASK", Concurrency: 1}, {Channel: "EMAIL", Concurrency: 1}}}))
	return out
}

// RoutingProfileInput is what CreateRoutingProfile takes.
type RoutingProfileInput struct {
	Name, Description      string
	DefaultOutboundQueueID string
	MediaConcurrencies     []MediaConcurrency
	QueueConfigs           []QueueConfig
	Tags                   map[string]string
	AgentAvailabilityTimer string
}

// RoutingProfile is a routing profile as DescribeRoutingProfile shows it.
type RoutingProfile struct {
	ID, ARN, Name, Description, InstanceID string
	DefaultOutboundQueueID                 string
	MediaConcurrencies                     []MediaConcurrency
	AssociatedQueueIDs                     []string
	NumberOfAssociatedQueues               int
	NumberOfAssociatedUsers                int
	AgentAvailabilityTimer                 string
	IsDefault                              bool
	Tags                                   map[string]string
	LastModifiedTime                       time.Time
	LastModifiedRegion                     string
}

// RoutingQueue is a queue config of a routing profile as ListRoutingProfileQueues shows it.
type RoutingQueue struct {
	QueueConfig
	QueueARN, QueueName string
}

func checkChannel(member, ch string) error {
	if ch == "" {
		return missing(member)
	}
	if !slices.Contains(Channels, ch) {
		return invalid(member, ch, "Member must satisfy enum value set: [VOICE, CHAT, TASK, EMAIL]")
	}
	return nil
}

func checkConcurrencies(mc []MediaConcurrency) error {
	if mc == nil {
		return missing("mediaConcurrencies")
	}
	if len(mc) == 0 {
		return apierr.New(apierr.InvalidParameter, "MediaConcurrencies must name at least one channel.")
	}
	seen := map[string]bool{}
	for _, m := range mc {
		if err := checkChannel("mediaConcurrencies.member.channel", m.Channel); err != nil {
			return err
		}
		if seen[m.Channel] {
			return apierr.New(apierr.InvalidParameter, "MediaConcurrencies names the channel %s twice.", m.Channel)
		}
		seen[m.Channel] = true
		limit := 10 // an agent takes one call at a time, up to ten of the others
		if m.Channel == "VOICE" {
			limit = 1
		}
		if m.Concurrency < 1 || m.Concurrency > limit {
			return invalid("mediaConcurrencies.member.concurrency", fmt.Sprint(m.Concurrency),
				fmt.Sprintf("Member must have value between 1 and %d for channel %s", limit, m.Channel))
		}
		switch m.CrossChannelBehavior {
		case "", "ROUTE_CURRENT_CHANNEL_ONLY", "ROUTE_ANY_CHANNEL":
		default:
			return invalid("mediaConcurrencies.member.crossChannelBehavior.behaviorType", m.CrossChannelBehavior,
				"Member must satisfy enum value set: [ROUTE_CURRENT_CHANNEL_ONLY, ROUTE_ANY_CHANNEL]")
		}
	}
	return nil
}

func checkQueueConfigs(member string, configs []QueueConfig, withPriority bool) error {
	if len(configs) > 10 {
		return invalid(member, fmt.Sprint(len(configs)), "Member must have length less than or equal to 10")
	}
	for _, q := range configs {
		if q.QueueID == "" {
			return missing(member + ".member.queueReference.queueId")
		}
		if err := checkChannel(member+".member.queueReference.channel", q.Channel); err != nil {
			return err
		}
		if !withPriority {
			continue
		}
		if q.Priority < 1 || q.Priority > 99 {
			return invalid(member+".member.priority", fmt.Sprint(q.Priority), "Member must have value between 1 and 99")
		}
		if q.Delay < 0 || q.Delay > 9999 {
			return invalid(member+".member.delay", fmt.Sprint(q.Delay), "Member must have value between 0 and 9999")
		}
	}
	return nil
}

func checkAvailabilityTimer(t string) error {
	switch t {
	case "", "TIME_SINCE_LAST_ACTIVITY", "TIME_SINCE_LAST_INBOUND":
		return nil
	}
	return invalid("agentAvailabilityTimer", t, "Member must satisfy enum value set: [TIME_SINCE_LAST_ACTIVITY, TIME_SINCE_LAST_INBOUND]")
}

// checkQueues says whether the instance has each queue.
func (s *Service) checkQueues(ctx context.Context, instanceID string, ids ...string) error {
	for _, id := range ids {
		if _, _, err := s.profile(ctx, store.Queues, instanceID, id); err != nil {
			return err
		}
	}
	return nil
}

func queueIDs(configs []QueueConfig) []string {
	var ids []string
	for _, q := range configs {
		if !slices.Contains(ids, q.QueueID) {
			ids = append(ids, q.QueueID)
		}
	}
	return ids
}

// mergeQueueConfigs adds configs to a profile's, refusing a queue and channel it takes already.
func mergeQueueConfigs(have, add []QueueConfig) ([]QueueConfig, error) {
	out := slices.Clone(have)
	for _, q := range add {
		if slices.ContainsFunc(out, func(h QueueConfig) bool { return h.QueueID == q.QueueID && h.Channel == q.Channel }) {
			return nil, apierr.New(apierr.InvalidParameter, "The routing profile already takes %s contacts from queue %s.", q.Channel, q.QueueID)
		}
		out = append(out, q)
	}
	return out, nil
}

// CreateRoutingProfile creates a routing profile from queues the instance has.
func (s *Service) CreateRoutingProfile(ctx context.Context, c Caller, ref string, in RoutingProfileInput) (id, profileARN string, err error) {
	if err := checkName("name", in.Name, 127); err != nil {
		return "", "", err
	}
	if in.Description == "" {
		return "", "", missing("description")
	}
	if err := checkDescription("description", in.Description, 1); err != nil {
		return "", "", err
	}
	if in.DefaultOutboundQueueID == "" {
		return "", "", missing("defaultOutboundQueueId")
	}
	for _, check := range []func() error{
		func() error { return checkConcurrencies(in.MediaConcurrencies) },
		func() error { return checkQueueConfigs("queueConfigs", in.QueueConfigs, true) },
		func() error { return checkAvailabilityTimer(in.AgentAvailabilityTimer) },
		func() error { return checkTags(in.Tags) },
	} {
		if err := check(); err != nil {
			return "", "", err
		}
	}
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return "", "", err
	}
	if err := s.checkQueues(ctx, inst.ID, append([]string{in.DefaultOutboundQueueID}, queueIDs(in.QueueConfigs)...)...); err != nil {
		return "", "", err
	}
	configs, err := mergeQueueConfigs(nil, in.QueueConfigs)
	if err != nil {
		return "", "", err
	}
	p, err := s.createProfile(ctx, inst, store.RoutingProfiles, in.Name, in.Description, profileDoc{
		DefaultOutboundQueueID: in.DefaultOutboundQueueID, MediaConcurrencies: in.MediaConcurrencies,
		QueueConfigs: configs, Tags: in.Tags, AgentAvailabilityTimer: in.AgentAvailabilityTimer})
	if err != nil {
		return "", "", err
	}
	return p.ID, profileARNOf(inst, p), nil
}

// DescribeRoutingProfile returns a routing profile of an instance, with how many users hold
// it.
func (s *Service) DescribeRoutingProfile(ctx context.Context, c Caller, ref, id string) (RoutingProfile, error) {
	inst, p, d, err := s.instanceProfile(ctx, c, ref, store.RoutingProfiles, id)
	if err != nil {
		return RoutingProfile{}, err
	}
	users, err := s.SearchUsers(ctx, c, inst.ID, SearchUsersInput{MaxResults: 1,
		Criteria: &UserSearchCriteria{StringCondition: &StringCondition{FieldName: "routingProfileId", Value: id, ComparisonType: "EXACT"}}})
	if err != nil {
		return RoutingProfile{}, err
	}
	queues := queueIDs(d.QueueConfigs)
	return RoutingProfile{ID: p.ID, ARN: profileARNOf(inst, p), Name: p.Name, Description: p.Description, InstanceID: inst.ID,
		DefaultOutboundQueueID: d.DefaultOutboundQueueID, MediaConcurrencies: d.MediaConcurrencies,
		AssociatedQueueIDs: queues, NumberOfAssociatedQueues: len(queues), NumberOfAssociatedUsers: users.Total,
		AgentAvailabilityTimer: d.AgentAvailabilityTimer, IsDefault: d.IsDefault, Tags: d.Tags,
		LastModifiedTime: p.UpdatedAt, LastModifiedRegion: inst.Region}, nil
}

// UpdateRoutingProfileName renames a routing profile and/or changes its description.
func (s *Service) UpdateRoutingProfileName(ctx context.Context, c Caller, ref, id string, name, description *string) error {
	if name == nil && description == nil {
		return apierr.New(apierr.InvalidRequest, "Give the routing profile a Name or a Description to change.")
	}
	if name != nil {
		if err := checkName("name", *name, 127); err != nil {
			return err
		}
	}
	if description != nil {
		if err := checkDescription("description", *description, 1); err != nil {
			return err
		}
	}
	return s.updateProfile(ctx, c, ref, store.RoutingProfiles, id, func(p *store.Profile, _ *profileDoc) error {
		if name != nil {
			p.Name = *name
		}
		if description != nil {
			p.Description = *description
		}
		return nil
	})
}

// UpdateRoutingProfileConcurrency replaces a routing profile's media concurrencies.
func (s *Service) UpdateRoutingProfileConcurrency(ctx context.Context, c Caller, ref, id string, mc []MediaConcurrency) error {
	if err := checkConcurrencies(mc); err != nil {
		return err
	}
	return s.updateProfile(ctx, c, ref, store.RoutingProfiles, id, func(_ *store.Profile, d *profileDoc) error {
		d.MediaConcurrencies = mc
		return nil
	})
}

// UpdateRoutingProfileDefaultOutboundQueue sets the queue outbound calls go to.
func (s *Service) UpdateRoutingProfileDefaultOutboundQueue(ctx context.Context, c Caller, ref, id, queueID string) error {
	if queueID == "" {
		return missing("defaultOutboundQueueId")
	}
	return s.updateRoutingQueues(ctx, c, ref, id, []string{queueID}, func(d *profileDoc) error {
		d.DefaultOutboundQueueID = queueID
		return nil
	})
}

// updateRoutingQueues changes a routing profile once the queues it names are found.
func (s *Service) updateRoutingQueues(ctx context.Context, c Caller, ref, id string, queues []string, change func(*profileDoc) error) error {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return err
	}
	if err := s.checkQueues(ctx, inst.ID, queues...); err != nil {
		return err
	}
	return s.updateProfile(ctx, c, ref, store.RoutingProfiles, id, func(_ *store.Profile, d *profileDoc) error { return change(d) })
}

// AssociateRoutingProfileQueues adds queue configs to a routing profile.
func (s *Service) AssociateRoutingProfileQueues(ctx context.Context, c Caller, ref, id string, configs []QueueConfig) error {
	if err := checkQueueConfigs("queueConfigs", configs, true); err != nil {
		return err
	}
	return s.updateRoutingQueues(ctx, c, ref, id, queueIDs(configs), func(d *profileDoc) error {
		merged, err := mergeQueueConfigs(d.QueueConfigs, configs)
		d.QueueConfigs = merged
		return err
	})
}

// UpdateRoutingProfileQueues changes the priority and delay of queue configs the routing
// profile has.
func (s *Service) UpdateRoutingProfileQueues(ctx context.Context, c Caller, ref, id string, configs []QueueConfig) error {
	if len(configs) == 0 {
		return missing("queueConfigs")
	}
	if err := checkQueueConfigs("queueConfigs", configs, true); err != nil {
		return err
	}
	return s.updateRoutingQueues(ctx, c, ref, id, nil, func(d *profileDoc) error {
		for _, q := range configs {
			i := slices.IndexFunc(d.QueueConfigs, func(h QueueConfig) bool { return h.QueueID == q.QueueID && h.Channel == q.Channel })
			if i < 0 {
				return apierr.New(apierr.InvalidParameter, "The routing profile takes no %s contacts from queue %s.", q.Channel, q.QueueID)
			}
			d.QueueConfigs[i] = q
		}
		return nil
	})
}

// DisassociateRoutingProfileQueues removes queue configs from a routing profile.
func (s *Service) DisassociateRoutingProfileQueues(ctx context.Context, c Caller, ref, id string, refs []QueueConfig) error {
	if err := checkQueueConfigs("queueReferences", refs, false); err != nil {
		return err
	}
	return s.updateRoutingQueues(ctx, c, ref, id, nil, func(d *profileDoc) error {
		for _, q := range refs {
			i := slices.IndexFunc(d.QueueConfigs, func(h QueueConfig) bool { return h.QueueID == q.QueueID && h.Channel == q.Channel })
			if i < 0 {
				return apierr.New(apierr.InvalidParameter, "The routing profile takes no %s contacts from queue %s.", q.Channel, q.QueueID)
			}
			d.QueueConfigs = slices.Delete(d.QueueConfigs, i, i+1)
		}
		return nil
	})
}

// RoutingQueuesPage is a page of a routing profile's queue configs.
type RoutingQueuesPage struct {
	Page[RoutingQueue]
	LastModifiedTime   time.Time
	LastModifiedRegion string
}

// ListRoutingProfileQueues lists a routing profile's queue configs, with each queue's name.
func (s *Service) ListRoutingProfileQueues(ctx context.Context, c Caller, ref, id, nextToken string, maxResults int) (RoutingQueuesPage, error) {
	inst, p, d, err := s.instanceProfile(ctx, c, ref, store.RoutingProfiles, id)
	if err != nil {
		return RoutingQueuesPage{}, err
	}
	page, err := pageList(d.QueueConfigs, nextToken, maxResults, routingQueuePages)
	if err != nil {
		return RoutingQueuesPage{}, err
	}
	out := RoutingQueuesPage{Page: Page[RoutingQueue]{NextToken: page.NextToken}, LastModifiedTime: p.UpdatedAt, LastModifiedRegion: inst.Region}
	for _, q := range page.Items {
		rq := RoutingQueue{QueueConfig: q, QueueARN: profileARN(inst, store.Queues, q.QueueID)}
		// A queue deleted since keeps its config, as a name-less entry.
		if queue, _, err := s.profile(ctx, store.Queues, inst.ID, q.QueueID); err == nil {
			rq.QueueName = queue.Name
		} else if !apierr.Is(err, apierr.ResourceNotFound) {
			return RoutingQueuesPage{}, err
		}
		out.Items = append(out.Items, rq)
	}
	return out, nil
}

// DeleteRoutingProfile deletes a routing profile no user holds.
func (s *Service) DeleteRoutingProfile(ctx context.Context, c Caller, ref, id string) error {
	return s.deleteProfile(ctx, c, ref, store.RoutingProfiles, id, "routingProfileId")
}

// ListQueues lists an instance's queues of the types asked for (none: all). Every queue
// connectfed holds is STANDARD: it keeps no agent queues.
func (s *Service) ListQueues(ctx context.Context, c Caller, ref string, types []string, nextToken string, maxResults int) (Page[QueueSummary], error) {
	for _, t := range types {
		if t != "STANDARD" && t != "AGENT" {
			return Page[QueueSummary]{}, invalid("queueTypes.member", t, "Member must satisfy enum value set: [STANDARD, AGENT]")
		}
	}
	if len(types) > 2 {
		return Page[QueueSummary]{}, invalid("queueTypes", fmt.Sprint(len(types)), "Member must have length less than or equal to 2")
	}
	page, err := s.listProfiles(ctx, c, ref, nextToken, maxResults, summaryPages, store.Queues)
	if err != nil {
		return Page[QueueSummary]{}, err
	}
	out := Page[QueueSummary]{NextToken: page.NextToken, Items: []QueueSummary{}}
	if len(types) > 0 && !slices.Contains(types, "STANDARD") {
		out.NextToken = ""
		return out, nil
	}
	for _, p := range page.Items {
		out.Items = append(out.Items, QueueSummary{ProfileSummary: p, QueueType: "STANDARD"})
	}
	return out, nil
}

// DescribeQueue returns a queue of an instance.
func (s *Service) DescribeQueue(ctx context.Context, c Caller, ref, id string) (Queue, error) {
	inst, p, d, err := s.instanceProfile(ctx, c, ref, store.Queues, id)
	if err != nil {
		return Queue{}, err
	}
	return Queue{ID: p.ID, ARN: profileARNOf(inst, p), Name: p.Name, Description: p.Description,
		HoursOfOperationID: d.HoursOfOperationID, MaxContacts: d.MaxContacts, Status: d.Status,
		OutboundCallerConfig: d.OutboundCallerConfig, Tags: d.Tags,
		LastModifiedTime: p.UpdatedAt, LastModifiedRegion: inst.Region}, nil
}

// QueueInput is what CreateQueue takes.
type QueueInput struct {
	Name, Description    string
	HoursOfOperationID   string
	MaxContacts          *int
	OutboundCallerConfig *OutboundCallerConfig
	Tags                 map[string]string
}

// CreateQueue creates a queue on the instance's Basic Hours, the only hours of operation
// connectfed keeps.
func (s *Service) CreateQueue(ctx context.Context, c Caller, ref string, in QueueInput) (id, queueARN string, err error) {
	if err := checkName("name", in.Name, 127); err != nil {
		return "", "", err
	}
	if err := checkDescription("description", in.Description, 0); err != nil {
		return "", "", err
	}
	if in.HoursOfOperationID == "" {
		return "", "", missing("hoursOfOperationId")
	}
	if in.MaxContacts != nil && *in.MaxContacts < 0 {
		return "", "", invalid("maxContacts", fmt.Sprint(*in.MaxContacts), "Member must have value greater than or equal to 0")
	}
	if err := checkTags(in.Tags); err != nil {
		return "", "", err
	}
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return "", "", err
	}
	if in.HoursOfOperationID != basicHoursID(inst.ID) {
		return "", "", apierr.New(apierr.ResourceNotFound, "The hours of operation %s were not found in this instance.", in.HoursOfOperationID)
	}
	p, err := s.createProfile(ctx, inst, store.Queues, in.Name, in.Description, profileDoc{
		HoursOfOperationID: in.HoursOfOperationID, MaxContacts: in.MaxContacts, Status: "ENABLED",
		OutboundCallerConfig: in.OutboundCallerConfig, Tags: in.Tags})
	if err != nil {
		return "", "", err
	}
	return p.ID, profileARNOf(inst, p), nil
}
