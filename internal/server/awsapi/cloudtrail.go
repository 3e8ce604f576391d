package awsapi

import (
	"encoding/json"
	"errors"
	"math"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/audit"
)

// CloudTrail's LookupEvents over the audit trail, as the CloudTrail model shapes it.

// lookupAttributeKeys are the attributes LookupEvents may look up by.
var lookupAttributeKeys = map[string]bool{"EventId": true, "EventName": true, "ReadOnly": true, "Username": true,
	"ResourceName": true, "EventSource": true, "AccessKeyId": true}

// epochSeconds reads a JSON 1.1 timestamp: epoch seconds, possibly fractional.
type epochSeconds float64

func (e epochSeconds) time() time.Time {
	sec, frac := math.Modf(float64(e))
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

type lookupResource struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName"`
}

type lookupEvent struct {
	EventID         string           `json:"EventId"`
	EventName       string           `json:"EventName"`
	ReadOnly        string           `json:"ReadOnly"`
	AccessKeyID     string           `json:"AccessKeyId,omitempty"`
	EventTime       epoch            `json:"EventTime"`
	EventSource     string           `json:"EventSource"`
	Username        string           `json:"Username,omitempty"`
	Resources       []lookupResource `json:"Resources"`
	CloudTrailEvent string           `json:"CloudTrailEvent"`
}

func (a *API) lookupEvents(r *Request) (any, error) {
	var in struct {
		LookupAttributes []struct {
			AttributeKey   string `json:"AttributeKey"`
			AttributeValue string `json:"AttributeValue"`
		} `json:"LookupAttributes"`
		StartTime  *epochSeconds `json:"StartTime"`
		EndTime    *epochSeconds `json:"EndTime"`
		MaxResults *int          `json:"MaxResults"`
		NextToken  string        `json:"NextToken"`
	}
	if len(r.Payload) > 0 {
		if err := json.Unmarshal(r.Payload, &in); err != nil {
			return nil, apierr.New(apierr.SerializationError, "The request body is not valid JSON for LookupEvents.")
		}
	}
	l := audit.Lookup{AccountID: r.Principal.AccountID, NextToken: in.NextToken, MaxResults: 50}
	switch {
	case len(in.LookupAttributes) > 1:
		return nil, apierr.New(apierr.InvalidLookupAttributes, "You can only specify one lookup attribute.")
	case len(in.LookupAttributes) == 1:
		attr := in.LookupAttributes[0]
		if !lookupAttributeKeys[attr.AttributeKey] {
			return nil, apierr.New(apierr.InvalidLookupAttributes, "%s is not a lookup attribute connectfed serves: use EventId, EventName, ReadOnly, Username, ResourceName, EventSource or AccessKeyId.", attr.AttributeKey)
		}
		if attr.AttributeValue == "" {
			return nil, apierr.New(apierr.InvalidLookupAttributes, "The lookup attribute %s needs a value.", attr.AttributeKey)
		}
		l.Attribute, l.Value = attr.AttributeKey, attr.AttributeValue
	}
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return nil, apierr.New(apierr.InvalidMaxResults, "MaxResults must be 1 to 50.")
		}
		l.MaxResults = *in.MaxResults
	}
	if in.StartTime != nil {
		l.Start = in.StartTime.time()
	}
	if in.EndTime != nil {
		// EndTime is inclusive in CloudTrail; the trail's range is half-open.
		l.End = in.EndTime.time().Add(time.Second)
	}
	if !l.Start.IsZero() && !l.End.IsZero() && !l.Start.Before(l.End) {
		return nil, apierr.New(apierr.InvalidTimeRange, "The start time is after the end time.")
	}
	if a.cfg.Audit == nil {
		return struct {
			Events []lookupEvent `json:"Events"`
		}{[]lookupEvent{}}, nil // a server without a trail has recorded nothing
	}
	found, next, err := a.cfg.Audit.Find(r.Context(), l)
	if errors.Is(err, audit.ErrBadToken) {
		return nil, apierr.New(apierr.InvalidNextToken, "The NextToken is not valid.")
	}
	if err != nil {
		return nil, err
	}
	out := struct {
		Events    []lookupEvent `json:"Events"`
		NextToken string        `json:"NextToken,omitempty"`
	}{Events: make([]lookupEvent, len(found)), NextToken: next}
	for i, f := range found {
		readOnly := "false"
		if f.ReadOnly {
			readOnly = "true"
		}
		e := lookupEvent{EventID: f.ID, EventName: f.Name, ReadOnly: readOnly, AccessKeyID: f.AccessKeyID, EventTime: epoch(f.Time),
			EventSource: f.Source, Username: f.Username, Resources: []lookupResource{}, CloudTrailEvent: f.Record}
		for _, res := range f.Resources {
			e.Resources = append(e.Resources, lookupResource{ResourceType: res.Type, ResourceName: res.ARN})
		}
		out.Events[i] = e
	}
	return out, nil
}
