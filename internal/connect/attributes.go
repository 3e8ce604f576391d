package connect

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/store"
)

// Instance attributes: the instance's feature switches, each "true" or "false". Two are the
// calls-enabled flags CreateInstance sets; the rest start false.

// InstanceAttributeTypes are the attribute types, in the model's order (InstanceAttributeType).
var InstanceAttributeTypes = []string{"INBOUND_CALLS", "OUTBOUND_CALLS", "CONTACTFLOW_LOGS", "CONTACT_LENS",
	"AUTO_RESOLVE_BEST_VOICES", "USE_CUSTOM_TTS_VOICES", "EARLY_MEDIA", "MULTI_PARTY_CONFERENCE", "HIGH_VOLUME_OUTBOUND",
	"ENHANCED_CONTACT_MONITORING", "ENHANCED_CHAT_MONITORING", "MULTI_PARTY_CHAT_CONFERENCE", "MESSAGE_STREAMING"}

// The page sizes of ListInstanceAttributes.
var attributePages = pageSize{max: 7, byDefault: 7}

// InstanceAttribute is one attribute and its value.
type InstanceAttribute struct{ Type, Value string }

func checkAttributeType(t string) error {
	if t == "" {
		return missing("attributeType")
	}
	if !slices.Contains(InstanceAttributeTypes, t) {
		return invalid("attributeType", t, "Member must satisfy enum value set: [INBOUND_CALLS, OUTBOUND_CALLS, CONTACTFLOW_LOGS, "+
			"CONTACT_LENS, AUTO_RESOLVE_BEST_VOICES, USE_CUSTOM_TTS_VOICES, EARLY_MEDIA, MULTI_PARTY_CONFERENCE, HIGH_VOLUME_OUTBOUND, "+
			"ENHANCED_CONTACT_MONITORING, ENHANCED_CHAT_MONITORING, MULTI_PARTY_CHAT_CONFERENCE, MESSAGE_STREAMING]")
	}
	return nil
}

// attributeOf is an attribute's value on an instance.
func attributeOf(in store.Instance, t string) string {
	on := false
	switch t {
	case "INBOUND_CALLS":
		on = in.InboundCalls
	case "OUTBOUND_CALLS":
		on = in.OutboundCalls
	default:
		on = in.Attributes[t] == "true"
	}
	if on {
		return "true"
	}
	return "false"
}

// DescribeInstanceAttribute returns one attribute of an instance.
func (s *Service) DescribeInstanceAttribute(ctx context.Context, c Caller, ref, attributeType string) (InstanceAttribute, error) {
	if err := checkAttributeType(attributeType); err != nil {
		return InstanceAttribute{}, err
	}
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return InstanceAttribute{}, err
	}
	return InstanceAttribute{attributeType, attributeOf(inst, attributeType)}, nil
}

// ListInstanceAttributes lists an instance's attributes, in the model's order.
func (s *Service) ListInstanceAttributes(ctx context.Context, c Caller, ref, nextToken string, maxResults int) (Page[InstanceAttribute], error) {
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return Page[InstanceAttribute]{}, err
	}
	all := make([]InstanceAttribute, len(InstanceAttributeTypes))
	for i, t := range InstanceAttributeTypes {
		all[i] = InstanceAttribute{t, attributeOf(inst, t)}
	}
	return pageList(all, nextToken, maxResults, attributePages)
}

// UpdateInstanceAttribute sets one attribute to "true" or "false". Setting a value is
// idempotent by nature, so a ClientToken has nothing more to make so; it is checked and
// otherwise ignored.
func (s *Service) UpdateInstanceAttribute(ctx context.Context, c Caller, ref, attributeType, value, clientToken string) error {
	if err := checkAttributeType(attributeType); err != nil {
		return err
	}
	if value == "" {
		return missing("value")
	}
	if err := checkLength("value", value, 1, 100); err != nil {
		return err
	}
	if value != "true" && value != "false" {
		return apierr.New(apierr.InvalidParameter, "The value of the attribute %s must be true or false.", attributeType)
	}
	if err := checkLength("clientToken", clientToken, 0, 500); err != nil {
		return err
	}
	inst, err := s.instance(ctx, c, instanceRef(ref))
	if err != nil {
		return err
	}
	defer s.forgetInstance(inst)
	err = s.store.UpdateInstance(ctx, inst.AccountID, inst.Region, inst.ID, func(in store.Instance) (store.Instance, error) {
		switch attributeType {
		case "INBOUND_CALLS":
			in.InboundCalls = value == "true"
		case "OUTBOUND_CALLS":
			in.OutboundCalls = value == "true"
		default:
			in.Attributes = maps.Clone(in.Attributes)
			if in.Attributes == nil {
				in.Attributes = map[string]string{}
			}
			in.Attributes[attributeType] = value
		}
		return in, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return instanceNotFound(ref)
	}
	return err
}
