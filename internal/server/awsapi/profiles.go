package awsapi

import (
	"github.com/connectfed/connectfed/internal/connect"
)

// Security profiles, routing profiles, queues and instance attributes, as the Connect model
// shapes them (members in the model's order).

type profileSummary struct {
	ID                 string `json:"Id"`
	Arn                string `json:"Arn"`
	Name               string `json:"Name"`
	LastModifiedTime   epoch  `json:"LastModifiedTime"`
	LastModifiedRegion string `json:"LastModifiedRegion"`
}

func profileSummaryOf(p connect.ProfileSummary) profileSummary {
	return profileSummary{ID: p.ID, Arn: p.ARN, Name: p.Name, LastModifiedTime: epoch(p.LastModifiedTime), LastModifiedRegion: p.LastModifiedRegion}
}

func profileSummaries(items []connect.ProfileSummary) []profileSummary {
	out := make([]profileSummary, len(items))
	for i, p := range items {
		out[i] = profileSummaryOf(p)
	}
	return out
}

func (a *API) listSecurityProfiles(r *Request) (any, error) {
	next, max, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	page, err := a.connect.ListSecurityProfiles(r.Context(), r.caller(), r.Labels[0], next, max)
	return struct {
		SecurityProfileSummaryList []profileSummary `json:"SecurityProfileSummaryList"`
		NextToken                  string           `json:"NextToken,omitempty"`
	}{profileSummaries(page.Items), page.NextToken}, err
}

func (a *API) listRoutingProfiles(r *Request) (any, error) {
	next, max, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	page, err := a.connect.ListRoutingProfiles(r.Context(), r.caller(), r.Labels[0], next, max)
	return struct {
		RoutingProfileSummaryList []profileSummary `json:"RoutingProfileSummaryList"`
		NextToken                 string           `json:"NextToken,omitempty"`
	}{profileSummaries(page.Items), page.NextToken}, err
}

// securityProfileBody is CreateSecurityProfile's and UpdateSecurityProfile's body.
type securityProfileBody struct {
	SecurityProfileName                  string            `json:"SecurityProfileName"`
	Description                          *string           `json:"Description"`
	Permissions                          []string          `json:"Permissions"`
	Tags                                 map[string]string `json:"Tags"`
	AllowedAccessControlTags             map[string]string `json:"AllowedAccessControlTags"`
	TagRestrictedResources               []string          `json:"TagRestrictedResources"`
	HierarchyRestrictedResources         []string          `json:"HierarchyRestrictedResources"`
	AllowedAccessControlHierarchyGroupID *string           `json:"AllowedAccessControlHierarchyGroupId"`
}

func (b securityProfileBody) input() connect.SecurityProfileInput {
	return connect.SecurityProfileInput{Name: b.SecurityProfileName, Description: b.Description, Permissions: b.Permissions,
		Tags: b.Tags, AllowedAccessControlTags: b.AllowedAccessControlTags, TagRestrictedResources: b.TagRestrictedResources,
		HierarchyRestrictedResources: b.HierarchyRestrictedResources, AllowedAccessControlHierarchyGroupID: b.AllowedAccessControlHierarchyGroupID}
}

func (a *API) createSecurityProfile(r *Request) (any, error) {
	var body securityProfileBody
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	id, arn, err := a.connect.CreateSecurityProfile(r.Context(), r.caller(), r.Labels[0], body.input())
	return struct {
		SecurityProfileID  string `json:"SecurityProfileId"`
		SecurityProfileArn string `json:"SecurityProfileArn"`
	}{id, arn}, err
}

type securityProfileJSON struct {
	ID                                   string            `json:"Id"`
	OrganizationResourceID               string            `json:"OrganizationResourceId"`
	Arn                                  string            `json:"Arn"`
	SecurityProfileName                  string            `json:"SecurityProfileName"`
	Description                          string            `json:"Description,omitempty"`
	Tags                                 map[string]string `json:"Tags,omitempty"`
	AllowedAccessControlTags             map[string]string `json:"AllowedAccessControlTags,omitempty"`
	TagRestrictedResources               []string          `json:"TagRestrictedResources,omitempty"`
	LastModifiedTime                     epoch             `json:"LastModifiedTime"`
	LastModifiedRegion                   string            `json:"LastModifiedRegion"`
	HierarchyRestrictedResources         []string          `json:"HierarchyRestrictedResources,omitempty"`
	AllowedAccessControlHierarchyGroupID string            `json:"AllowedAccessControlHierarchyGroupId,omitempty"`
}

func (a *API) describeSecurityProfile(r *Request) (any, error) {
	p, err := a.connect.DescribeSecurityProfile(r.Context(), r.caller(), r.Labels[0], r.Labels[1])
	return struct {
		SecurityProfile securityProfileJSON `json:"SecurityProfile"`
	}{securityProfileJSON{ID: p.ID, OrganizationResourceID: p.OrganizationResourceID, Arn: p.ARN, SecurityProfileName: p.Name,
		Description: p.Description, Tags: p.Tags, AllowedAccessControlTags: p.AllowedAccessControlTags,
		TagRestrictedResources: p.TagRestrictedResources, LastModifiedTime: epoch(p.LastModifiedTime),
		LastModifiedRegion: p.LastModifiedRegion, HierarchyRestrictedResources: p.HierarchyRestrictedResources,
		AllowedAccessControlHierarchyGroupID: p.AllowedAccessControlHierarchyGroupID}}, err
}

func (a *API) updateSecurityProfile(r *Request) (any, error) {
	var body securityProfileBody
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	return struct{}{}, a.connect.UpdateSecurityProfile(r.Context(), r.caller(), r.Labels[0], r.Labels[1], body.input())
}

func (a *API) deleteSecurityProfile(r *Request) (any, error) {
	return struct{}{}, a.connect.DeleteSecurityProfile(r.Context(), r.caller(), r.Labels[0], r.Labels[1])
}

func (a *API) listSecurityProfilePermissions(r *Request) (any, error) {
	next, max, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	page, err := a.connect.ListSecurityProfilePermissions(r.Context(), r.caller(), r.Labels[0], r.Labels[1], next, max)
	return struct {
		Permissions        []string `json:"Permissions"`
		NextToken          string   `json:"NextToken,omitempty"`
		LastModifiedTime   epoch    `json:"LastModifiedTime"`
		LastModifiedRegion string   `json:"LastModifiedRegion"`
	}{nonNil(page.Items), page.NextToken, epoch(page.LastModifiedTime), page.LastModifiedRegion}, err
}

// nonNil is a list that encodes as [] when empty: AWS answers an empty list, not null.
func nonNil[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}

// Routing profiles.

type crossChannelJSON struct {
	BehaviorType string `json:"BehaviorType"`
}

type mediaConcurrencyJSON struct {
	Channel              string            `json:"Channel"`
	Concurrency          int               `json:"Concurrency"`
	CrossChannelBehavior *crossChannelJSON `json:"CrossChannelBehavior,omitempty"`
}

func (m mediaConcurrencyJSON) domain() connect.MediaConcurrency {
	out := connect.MediaConcurrency{Channel: m.Channel, Concurrency: m.Concurrency}
	if m.CrossChannelBehavior != nil {
		out.CrossChannelBehavior = m.CrossChannelBehavior.BehaviorType
	}
	return out
}

func concurrenciesIn(in []mediaConcurrencyJSON) []connect.MediaConcurrency {
	if in == nil {
		return nil
	}
	out := make([]connect.MediaConcurrency, len(in))
	for i, m := range in {
		out[i] = m.domain()
	}
	return out
}

func concurrenciesOut(in []connect.MediaConcurrency) []mediaConcurrencyJSON {
	out := make([]mediaConcurrencyJSON, len(in))
	for i, m := range in {
		out[i] = mediaConcurrencyJSON{Channel: m.Channel, Concurrency: m.Concurrency}
		if m.CrossChannelBehavior != "" {
			out[i].CrossChannelBehavior = &crossChannelJSON{m.CrossChannelBehavior}
		}
	}
	return out
}

type queueReferenceJSON struct {
	QueueID string `json:"QueueId"`
	Channel string `json:"Channel"`
}

type queueConfigJSON struct {
	QueueReference queueReferenceJSON `json:"QueueReference"`
	Priority       int                `json:"Priority"`
	Delay          int                `json:"Delay"`
}

func queueConfigsIn(in []queueConfigJSON) []connect.QueueConfig {
	out := make([]connect.QueueConfig, len(in))
	for i, q := range in {
		out[i] = connect.QueueConfig{QueueID: q.QueueReference.QueueID, Channel: q.QueueReference.Channel, Priority: q.Priority, Delay: q.Delay}
	}
	return out
}

func (a *API) createRoutingProfile(r *Request) (any, error) {
	var body struct {
		Name                   string                 `json:"Name"`
		Description            string                 `json:"Description"`
		DefaultOutboundQueueID string                 `json:"DefaultOutboundQueueId"`
		QueueConfigs           []queueConfigJSON      `json:"QueueConfigs"`
		MediaConcurrencies     []mediaConcurrencyJSON `json:"MediaConcurrencies"`
		Tags                   map[string]string      `json:"Tags"`
		AgentAvailabilityTimer string                 `json:"AgentAvailabilityTimer"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	id, arn, err := a.connect.CreateRoutingProfile(r.Context(), r.caller(), r.Labels[0], connect.RoutingProfileInput{
		Name: body.Name, Description: body.Description, DefaultOutboundQueueID: body.DefaultOutboundQueueID,
		MediaConcurrencies: concurrenciesIn(body.MediaConcurrencies), QueueConfigs: queueConfigsIn(body.QueueConfigs),
		Tags: body.Tags, AgentAvailabilityTimer: body.AgentAvailabilityTimer})
	return struct {
		RoutingProfileArn string `json:"RoutingProfileArn"`
		RoutingProfileID  string `json:"RoutingProfileId"`
	}{arn, id}, err
}

type routingProfileJSON struct {
	InstanceID               string                 `json:"InstanceId"`
	Name                     string                 `json:"Name"`
	RoutingProfileArn        string                 `json:"RoutingProfileArn"`
	RoutingProfileID         string                 `json:"RoutingProfileId"`
	Description              string                 `json:"Description"`
	MediaConcurrencies       []mediaConcurrencyJSON `json:"MediaConcurrencies"`
	DefaultOutboundQueueID   string                 `json:"DefaultOutboundQueueId"`
	Tags                     map[string]string      `json:"Tags,omitempty"`
	NumberOfAssociatedQueues int                    `json:"NumberOfAssociatedQueues"`
	NumberOfAssociatedUsers  int                    `json:"NumberOfAssociatedUsers"`
	AgentAvailabilityTimer   string                 `json:"AgentAvailabilityTimer,omitempty"`
	LastModifiedTime         epoch                  `json:"LastModifiedTime"`
	LastModifiedRegion       string                 `json:"LastModifiedRegion"`
	IsDefault                bool                   `json:"IsDefault"`
	AssociatedQueueIDs       []string               `json:"AssociatedQueueIds"`
}

func (a *API) describeRoutingProfile(r *Request) (any, error) {
	p, err := a.connect.DescribeRoutingProfile(r.Context(), r.caller(), r.Labels[0], r.Labels[1])
	return struct {
		RoutingProfile routingProfileJSON `json:"RoutingProfile"`
	}{routingProfileJSON{InstanceID: p.InstanceID, Name: p.Name, RoutingProfileArn: p.ARN, RoutingProfileID: p.ID,
		Description: p.Description, MediaConcurrencies: concurrenciesOut(p.MediaConcurrencies),
		DefaultOutboundQueueID: p.DefaultOutboundQueueID, Tags: p.Tags, NumberOfAssociatedQueues: p.NumberOfAssociatedQueues,
		NumberOfAssociatedUsers: p.NumberOfAssociatedUsers, AgentAvailabilityTimer: p.AgentAvailabilityTimer,
		LastModifiedTime: epoch(p.LastModifiedTime), LastModifiedRegion: p.LastModifiedRegion, IsDefault: p.IsDefault,
		AssociatedQueueIDs: nonNil(p.AssociatedQueueIDs)}}, err
}

func (a *API) updateRoutingProfileName(r *Request) (any, error) {
	var body struct {
		Name        *string `json:"Name"`
		Description *string `json:"Description"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	return struct{}{}, a.connect.UpdateRoutingProfileName(r.Context(), r.caller(), r.Labels[0], r.Labels[1], body.Name, body.Description)
}

func (a *API) updateRoutingProfileConcurrency(r *Request) (any, error) {
	var body struct {
		MediaConcurrencies []mediaConcurrencyJSON `json:"MediaConcurrencies"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	return struct{}{}, a.connect.UpdateRoutingProfileConcurrency(r.Context(), r.caller(), r.Labels[0], r.Labels[1],
		concurrenciesIn(body.MediaConcurrencies))
}

func (a *API) updateRoutingProfileDefaultOutboundQueue(r *Request) (any, error) {
	var body struct {
		DefaultOutboundQueueID string `json:"DefaultOutboundQueueId"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	return struct{}{}, a.connect.UpdateRoutingProfileDefaultOutboundQueue(r.Context(), r.caller(), r.Labels[0], r.Labels[1],
		body.DefaultOutboundQueueID)
}

// routingQueuesBody is the body of the operations that change a routing profile's queues.
type routingQueuesBody struct {
	QueueConfigs    []queueConfigJSON    `json:"QueueConfigs"`
	QueueReferences []queueReferenceJSON `json:"QueueReferences"`
}

func (a *API) routingQueues(r *Request, change func(c *connect.Service, ref, id string, configs []connect.QueueConfig) error) (any, error) {
	var body routingQueuesBody
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	configs := queueConfigsIn(body.QueueConfigs)
	for _, q := range body.QueueReferences {
		configs = append(configs, connect.QueueConfig{QueueID: q.QueueID, Channel: q.Channel})
	}
	return struct{}{}, change(a.connect, r.Labels[0], r.Labels[1], configs)
}

func (a *API) associateRoutingProfileQueues(r *Request) (any, error) {
	return a.routingQueues(r, func(c *connect.Service, ref, id string, configs []connect.QueueConfig) error {
		return c.AssociateRoutingProfileQueues(r.Context(), r.caller(), ref, id, configs)
	})
}

func (a *API) updateRoutingProfileQueues(r *Request) (any, error) {
	return a.routingQueues(r, func(c *connect.Service, ref, id string, configs []connect.QueueConfig) error {
		return c.UpdateRoutingProfileQueues(r.Context(), r.caller(), ref, id, configs)
	})
}

func (a *API) disassociateRoutingProfileQueues(r *Request) (any, error) {
	return a.routingQueues(r, func(c *connect.Service, ref, id string, configs []connect.QueueConfig) error {
		return c.DisassociateRoutingProfileQueues(r.Context(), r.caller(), ref, id, configs)
	})
}

type routingQueueJSON struct {
	QueueID   string `json:"QueueId"`
	QueueArn  string `json:"QueueArn"`
	QueueName string `json:"QueueName"`
	Priority  int    `json:"Priority"`
	Delay     int    `json:"Delay"`
	Channel   string `json:"Channel"`
}

func (a *API) listRoutingProfileQueues(r *Request) (any, error) {
	next, max, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	page, err := a.connect.ListRoutingProfileQueues(r.Context(), r.caller(), r.Labels[0], r.Labels[1], next, max)
	out := struct {
		NextToken                            string             `json:"NextToken,omitempty"`
		RoutingProfileQueueConfigSummaryList []routingQueueJSON `json:"RoutingProfileQueueConfigSummaryList"`
		LastModifiedTime                     epoch              `json:"LastModifiedTime"`
		LastModifiedRegion                   string             `json:"LastModifiedRegion"`
	}{NextToken: page.NextToken, RoutingProfileQueueConfigSummaryList: make([]routingQueueJSON, len(page.Items)),
		LastModifiedTime: epoch(page.LastModifiedTime), LastModifiedRegion: page.LastModifiedRegion}
	for i, q := range page.Items {
		out.RoutingProfileQueueConfigSummaryList[i] = routingQueueJSON{QueueID: q.QueueID, QueueArn: q.QueueARN,
			QueueName: q.QueueName, Priority: q.Priority, Delay: q.Delay, Channel: q.Channel}
	}
	return out, err
}

func (a *API) deleteRoutingProfile(r *Request) (any, error) {
	return struct{}{}, a.connect.DeleteRoutingProfile(r.Context(), r.caller(), r.Labels[0], r.Labels[1])
}

// Queues.

type outboundCallerJSON struct {
	OutboundCallerIDName     string `json:"OutboundCallerIdName,omitempty"`
	OutboundCallerIDNumberID string `json:"OutboundCallerIdNumberId,omitempty"`
	OutboundFlowID           string `json:"OutboundFlowId,omitempty"`
}

func (a *API) createQueue(r *Request) (any, error) {
	var body struct {
		Name                 string              `json:"Name"`
		Description          string              `json:"Description"`
		OutboundCallerConfig *outboundCallerJSON `json:"OutboundCallerConfig"`
		HoursOfOperationID   string              `json:"HoursOfOperationId"`
		MaxContacts          *int                `json:"MaxContacts"`
		Tags                 map[string]string   `json:"Tags"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	in := connect.QueueInput{Name: body.Name, Description: body.Description, HoursOfOperationID: body.HoursOfOperationID,
		MaxContacts: body.MaxContacts, Tags: body.Tags}
	if body.OutboundCallerConfig != nil {
		c := connect.OutboundCallerConfig(*body.OutboundCallerConfig)
		in.OutboundCallerConfig = &c
	}
	id, arn, err := a.connect.CreateQueue(r.Context(), r.caller(), r.Labels[0], in)
	return struct {
		QueueArn string `json:"QueueArn"`
		QueueID  string `json:"QueueId"`
	}{arn, id}, err
}

type queueSummaryJSON struct {
	ID                 string `json:"Id"`
	Arn                string `json:"Arn"`
	Name               string `json:"Name"`
	QueueType          string `json:"QueueType"`
	LastModifiedTime   epoch  `json:"LastModifiedTime"`
	LastModifiedRegion string `json:"LastModifiedRegion"`
}

func (a *API) listQueues(r *Request) (any, error) {
	next, max, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	page, err := a.connect.ListQueues(r.Context(), r.caller(), r.Labels[0], r.URL.Query()["queueTypes"], next, max)
	out := struct {
		QueueSummaryList []queueSummaryJSON `json:"QueueSummaryList"`
		NextToken        string             `json:"NextToken,omitempty"`
	}{make([]queueSummaryJSON, len(page.Items)), page.NextToken}
	for i, q := range page.Items {
		out.QueueSummaryList[i] = queueSummaryJSON{ID: q.ID, Arn: q.ARN, Name: q.Name, QueueType: q.QueueType,
			LastModifiedTime: epoch(q.LastModifiedTime), LastModifiedRegion: q.LastModifiedRegion}
	}
	return out, err
}

type queueJSON struct {
	Name                 string              `json:"Name"`
	QueueArn             string              `json:"QueueArn"`
	QueueID              string              `json:"QueueId"`
	Description          string              `json:"Description,omitempty"`
	OutboundCallerConfig *outboundCallerJSON `json:"OutboundCallerConfig,omitempty"`
	HoursOfOperationID   string              `json:"HoursOfOperationId"`
	MaxContacts          *int                `json:"MaxContacts,omitempty"`
	Status               string              `json:"Status"`
	Tags                 map[string]string   `json:"Tags,omitempty"`
	LastModifiedTime     epoch               `json:"LastModifiedTime"`
	LastModifiedRegion   string              `json:"LastModifiedRegion"`
}

func (a *API) describeQueue(r *Request) (any, error) {
	q, err := a.connect.DescribeQueue(r.Context(), r.caller(), r.Labels[0], r.Labels[1])
	out := queueJSON{Name: q.Name, QueueArn: q.ARN, QueueID: q.ID, Description: q.Description,
		HoursOfOperationID: q.HoursOfOperationID, MaxContacts: q.MaxContacts, Status: q.Status, Tags: q.Tags,
		LastModifiedTime: epoch(q.LastModifiedTime), LastModifiedRegion: q.LastModifiedRegion}
	if q.OutboundCallerConfig != nil {
		c := outboundCallerJSON(*q.OutboundCallerConfig)
		out.OutboundCallerConfig = &c
	}
	return struct {
		Queue queueJSON `json:"Queue"`
	}{out}, err
}

// Instance attributes.

type attributeJSON struct {
	AttributeType string `json:"AttributeType"`
	Value         string `json:"Value"`
}

func (a *API) describeInstanceAttribute(r *Request) (any, error) {
	attr, err := a.connect.DescribeInstanceAttribute(r.Context(), r.caller(), r.Labels[0], r.Labels[1])
	return struct {
		Attribute attributeJSON `json:"Attribute"`
	}{attributeJSON{attr.Type, attr.Value}}, err
}

func (a *API) updateInstanceAttribute(r *Request) (any, error) {
	var body struct {
		Value       string `json:"Value"`
		ClientToken string `json:"ClientToken"`
	}
	if err := decodeBody(r.Payload, &body); err != nil {
		return nil, err
	}
	return struct{}{}, a.connect.UpdateInstanceAttribute(r.Context(), r.caller(), r.Labels[0], r.Labels[1], body.Value, body.ClientToken)
}

func (a *API) listInstanceAttributes(r *Request) (any, error) {
	next, max, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	page, err := a.connect.ListInstanceAttributes(r.Context(), r.caller(), r.Labels[0], next, max)
	out := struct {
		Attributes []attributeJSON `json:"Attributes"`
		NextToken  string          `json:"NextToken,omitempty"`
	}{make([]attributeJSON, len(page.Items)), page.NextToken}
	for i, attr := range page.Items {
		out.Attributes[i] = attributeJSON{attr.Type, attr.Value}
	}
	return out, err
}
