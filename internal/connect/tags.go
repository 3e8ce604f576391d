package connect

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/limits"
	"github.com/connectfed/connectfed/internal/store"
)

// Tags of instances, users, hierarchy groups, profiles and queues, named by ARN as Connect's
// TagResource, UntagResource and ListTagsForResource name them.

// taggable is the resource an ARN names: an instance, or below it a user (userID), a hierarchy
// group (groupID) or a profile of a kind (kind and profileID).
type taggable struct {
	inst      store.Instance
	userID    string
	groupID   string
	kind      store.ProfileKind
	profileID string
}

// profileWords are the kinds of profile by the word their ARNs name them with
// (INSTANCE_ARN/WORD/ID); users are "agent", hierarchy groups "agent-group".
var profileWords = map[string]store.ProfileKind{
	"security-profile": store.SecurityProfiles,
	"routing-profile":  store.RoutingProfiles,
	"queue":            store.Queues,
}

func invalidTagARN(resourceARN string) error {
	return apierr.New(apierr.InvalidParameter,
		"The resource ARN %s is not the ARN of an instance, a user, a hierarchy group, a security or routing profile, or a queue.", resourceARN)
}

// resource finds what an ARN names, in the caller's account and region.
func (s *Service) resource(ctx context.Context, c Caller, resourceARN string) (taggable, error) {
	if resourceARN == "" {
		return taggable{}, missing("resourceArn")
	}
	a, err := arn.Parse(resourceARN)
	if err != nil || a.Service != "connect" {
		return taggable{}, invalidTagARN(resourceARN)
	}
	rest, ok := strings.CutPrefix(a.Resource, "instance/")
	if !ok || rest == "" {
		return taggable{}, invalidTagARN(resourceARN)
	}
	parts := strings.Split(rest, "/")
	var r taggable
	switch len(parts) {
	case 1:
	case 3:
		word, id := parts[1], parts[2]
		switch {
		case id == "":
			return taggable{}, invalidTagARN(resourceARN)
		case word == "agent":
			r.userID = id
		case word == "agent-group":
			r.groupID = id
		case profileWords[word] != "":
			r.kind, r.profileID = profileWords[word], id
		default:
			return taggable{}, invalidTagARN(resourceARN)
		}
	default:
		return taggable{}, invalidTagARN(resourceARN)
	}
	if a.Account != c.Principal.AccountID || a.Region != c.Region {
		return taggable{}, apierr.New(apierr.ResourceNotFound, "The resource %s was not found.", resourceARN)
	}
	inst, err := s.instance(ctx, c, instanceRef(parts[0]))
	if err != nil {
		return taggable{}, err
	}
	r.inst = inst
	switch {
	case r.kind != "":
		if _, _, err := s.profile(ctx, r.kind, inst.ID, r.profileID); err != nil {
			return taggable{}, err
		}
	case r.groupID != "":
		if _, err := s.group(ctx, inst.ID, r.groupID); err != nil {
			return taggable{}, err
		}
	}
	return r, nil
}

// TagResource adds tags to an instance or a user, replacing the values of keys it has.
func (s *Service) TagResource(ctx context.Context, c Caller, resourceARN string, tags map[string]string) error {
	if tags == nil {
		return missing("tags")
	}
	if err := checkTags(tags); err != nil {
		return err
	}
	r, err := s.resource(ctx, c, resourceARN)
	if err != nil {
		return err
	}
	return s.retag(ctx, c, r, func(old map[string]string) (map[string]string, error) {
		merged := maps.Clone(old)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, tags)
		if len(merged) > limits.TagsMax {
			return nil, apierr.New(apierr.InvalidParameter, "A resource can have at most %d tags; this would give it %d.", limits.TagsMax, len(merged))
		}
		return merged, nil
	})
}

// UntagResource removes tags by key; keys it does not have are not an error.
func (s *Service) UntagResource(ctx context.Context, c Caller, resourceARN string, keys []string) error {
	if len(keys) == 0 {
		return missing("tagKeys")
	}
	if len(keys) > limits.TagsMax {
		return invalid("tagKeys", fmt.Sprint(len(keys)), fmt.Sprintf("Member must have length less than or equal to %d", limits.TagsMax))
	}
	r, err := s.resource(ctx, c, resourceARN)
	if err != nil {
		return err
	}
	return s.retag(ctx, c, r, func(old map[string]string) (map[string]string, error) {
		out := maps.Clone(old)
		for _, k := range keys {
			delete(out, k)
		}
		return out, nil
	})
}

// ListTagsForResource returns the tags of an instance or a user.
func (s *Service) ListTagsForResource(ctx context.Context, c Caller, resourceARN string) (map[string]string, error) {
	r, err := s.resource(ctx, c, resourceARN)
	if err != nil {
		return nil, err
	}
	switch {
	case r.userID != "":
		u, err := s.DescribeUser(ctx, c, r.inst.ID, r.userID)
		if err != nil {
			return nil, err
		}
		return u.Tags, nil
	case r.kind != "":
		_, d, err := s.profile(ctx, r.kind, r.inst.ID, r.profileID)
		return d.Tags, err
	case r.groupID != "":
		g, err := s.group(ctx, r.inst.ID, r.groupID)
		return g.Tags, err
	}
	return r.inst.Tags, nil
}

// ResourceTags are the tags of the resource an ARN names, for the policy condition key
// aws:ResourceTag: none for an ARN that names nothing which exists and keeps tags (a pattern,
// a resource of another kind), which the operation itself then refuses or creates.
func (s *Service) ResourceTags(ctx context.Context, c Caller, resourceARN string) (map[string]string, error) {
	tags, err := s.ListTagsForResource(ctx, c, resourceARN)
	if err != nil && apierr.Of(err).Spec().Status < 500 {
		return nil, nil
	}
	return tags, err
}

// retag changes a resource's tags atomically.
func (s *Service) retag(ctx context.Context, c Caller, r taggable, change func(map[string]string) (map[string]string, error)) error {
	switch {
	case r.userID != "":
		return s.updateUser(ctx, c, r.inst.ID, r.userID, nil, func(d *UserDetails) error {
			tags, err := change(d.Tags)
			d.Tags = tags
			return err
		})
	case r.kind != "":
		return s.updateProfile(ctx, c, r.inst.ID, r.kind, r.profileID, func(_ *store.Profile, d *profileDoc) error {
			tags, err := change(d.Tags)
			d.Tags = tags
			return err
		})
	case r.groupID != "":
		err := s.store.UpdateHierarchyGroup(ctx, r.inst.ID, r.groupID, func(g store.HierarchyGroup) (store.HierarchyGroup, error) {
			tags, err := change(g.Tags)
			g.Tags, g.UpdatedAt = tags, s.later(g.UpdatedAt)
			return g, err
		})
		if errors.Is(err, store.ErrNotFound) {
			return groupNotFound(r.groupID)
		}
		return err
	}
	defer s.forgetInstance(r.inst)
	err := s.store.UpdateInstance(ctx, r.inst.AccountID, r.inst.Region, r.inst.ID, func(in store.Instance) (store.Instance, error) {
		tags, err := change(in.Tags)
		in.Tags = tags
		return in, err
	})
	if errors.Is(err, store.ErrNotFound) {
		return instanceNotFound(r.inst.ID)
	}
	return err
}
