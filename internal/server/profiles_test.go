package server_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
)

// basicQueue is the id of the BasicQueue every new instance has.
func basicQueue(t *testing.T, c *connect.Client, inst string) string {
	t.Helper()
	out, err := c.ListQueues(context.Background(), &connect.ListQueuesInput{InstanceId: aws.String(inst)})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range out.QueueSummaryList {
		if aws.ToString(q.Name) == "BasicQueue" {
			return aws.ToString(q.Id)
		}
	}
	t.Fatalf("no BasicQueue in %+v", out.QueueSummaryList)
	return ""
}

// A security profile's life through the SDK: created with permissions and tags, described,
// its permissions listed, updated, refused deletion while a user holds it, deleted.
func TestConnectSecurityProfiles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.connect(e.root, "us-east-1")
	inst := newInstance(t, c, "acme", ctypes.DirectoryTypeSaml)

	created, err := c.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: aws.String(inst),
		SecurityProfileName: aws.String("Tier 2"), Description: aws.String("escalations"),
		Permissions: []string{"BasicAgentAccess", "OutboundCallAccess", "BasicAgentAccess"}, Tags: map[string]string{"team": "t2"}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.SecurityProfileId)
	if want := "arn:aws:connect:us-east-1:" + testAccount + ":instance/" + inst + "/security-profile/" + id; aws.ToString(created.SecurityProfileArn) != want {
		t.Errorf("SecurityProfileArn = %s, want %s", aws.ToString(created.SecurityProfileArn), want)
	}
	got, err := c.DescribeSecurityProfile(ctx, &connect.DescribeSecurityProfileInput{InstanceId: aws.String(inst), SecurityProfileId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	sp := got.SecurityProfile
	if aws.ToString(sp.SecurityProfileName) != "Tier 2" || aws.ToString(sp.Description) != "escalations" || sp.Tags["team"] != "t2" ||
		aws.ToString(sp.OrganizationResourceId) != inst || sp.LastModifiedTime == nil || aws.ToString(sp.LastModifiedRegion) != "us-east-1" {
		t.Errorf("DescribeSecurityProfile = %+v", sp)
	}
	perms, err := c.ListSecurityProfilePermissions(ctx, &connect.ListSecurityProfilePermissionsInput{InstanceId: aws.String(inst),
		SecurityProfileId: aws.String(id)})
	if err != nil || !slices.Equal(perms.Permissions, []string{"BasicAgentAccess", "OutboundCallAccess"}) {
		t.Errorf("ListSecurityProfilePermissions = %v, %v", perms, err)
	}
	if _, err := c.UpdateSecurityProfile(ctx, &connect.UpdateSecurityProfileInput{InstanceId: aws.String(inst), SecurityProfileId: aws.String(id),
		Permissions: []string{"AccessMetrics"}}); err != nil {
		t.Fatal(err)
	}
	again, _ := c.DescribeSecurityProfile(ctx, &connect.DescribeSecurityProfileInput{InstanceId: aws.String(inst), SecurityProfileId: aws.String(id)})
	if !again.SecurityProfile.LastModifiedTime.After(*sp.LastModifiedTime) || aws.ToString(again.SecurityProfile.Description) != "escalations" {
		t.Errorf("after UpdateSecurityProfile: %+v (the description must stay, the time move)", again.SecurityProfile)
	}
	perms, _ = c.ListSecurityProfilePermissions(ctx, &connect.ListSecurityProfilePermissionsInput{InstanceId: aws.String(inst), SecurityProfileId: aws.String(id)})
	if !slices.Equal(perms.Permissions, []string{"AccessMetrics"}) {
		t.Errorf("permissions after update = %v", perms.Permissions)
	}

	// The refusals.
	_, err = c.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: aws.String(inst), SecurityProfileName: aws.String("Tier 2")})
	wantAPIError(t, err, "DuplicateResourceException", 409, "A security profile named Tier 2 already exists in this instance.")
	_, err = c.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: aws.String(inst), SecurityProfileName: aws.String("Agent")})
	wantAPIError(t, err, "DuplicateResourceException", 409, "A security profile named Agent already exists")
	_, err = c.DescribeSecurityProfile(ctx, &connect.DescribeSecurityProfileInput{InstanceId: aws.String(inst),
		SecurityProfileId: aws.String("aaaaaaaa-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "The security profile aaaaaaaa-0000-4000-8000-000000000000 was not found in this instance.")
	_, err = c.UpdateSecurityProfile(ctx, &connect.UpdateSecurityProfileInput{InstanceId: aws.String(inst), SecurityProfileId: aws.String(id),
		Permissions: []string{""}})
	wantAPIError(t, err, "InvalidParameterException", 400, "'permissions.member' failed to satisfy constraint: Member must have length greater than or equal to 1")
	_, err = c.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: aws.String(inst),
		SecurityProfileName: aws.String("Five tags"), AllowedAccessControlTags: map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}})
	wantAPIError(t, err, "InvalidParameterException", 400, "allowedAccessControlTags")

	user := newAgent(t, c, inst, "agent1")
	if _, err := c.UpdateUserSecurityProfiles(ctx, &connect.UpdateUserSecurityProfilesInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		SecurityProfileIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteSecurityProfile(ctx, &connect.DeleteSecurityProfileInput{InstanceId: aws.String(inst), SecurityProfileId: aws.String(id)})
	wantAPIError(t, err, "ResourceInUseException", 409, "is assigned to 1 users")
	agent, _ := profileIDs(t, c, inst, "Agent", "Basic Routing Profile")
	if _, err := c.UpdateUserSecurityProfiles(ctx, &connect.UpdateUserSecurityProfilesInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		SecurityProfileIds: []string{agent}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteSecurityProfile(ctx, &connect.DeleteSecurityProfileInput{InstanceId: aws.String(inst), SecurityProfileId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteSecurityProfile(ctx, &connect.DeleteSecurityProfileInput{InstanceId: aws.String(inst), SecurityProfileId: aws.String(id)})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "was not found")
}

// A routing profile's life through the SDK, on the instance's BasicQueue and a new queue.
func TestConnectRoutingProfilesAndQueues(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.connect(e.root, "us-east-1")
	inst := newInstance(t, c, "acme", ctypes.DirectoryTypeSaml)
	basic := basicQueue(t, c, inst)

	bq, err := c.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: aws.String(inst), QueueId: aws.String(basic)})
	if err != nil {
		t.Fatal(err)
	}
	if bq.Queue.Status != ctypes.QueueStatusEnabled || aws.ToString(bq.Queue.HoursOfOperationId) == "" {
		t.Errorf("BasicQueue = %+v", bq.Queue)
	}
	made, err := c.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: aws.String(inst), Name: aws.String("Sales"),
		HoursOfOperationId: bq.Queue.HoursOfOperationId, MaxContacts: aws.Int32(20), Tags: map[string]string{"line": "sales"}})
	if err != nil {
		t.Fatal(err)
	}
	sales := aws.ToString(made.QueueId)
	_, err = c.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: aws.String(inst), Name: aws.String("Nowhere"),
		HoursOfOperationId: aws.String("aaaaaaaa-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "The hours of operation aaaaaaaa-0000-4000-8000-000000000000 were not found")
	_, err = c.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: aws.String(inst), Name: aws.String("Sales"), HoursOfOperationId: bq.Queue.HoursOfOperationId})
	wantAPIError(t, err, "DuplicateResourceException", 409, "A queue named Sales already exists")

	voice := []ctypes.MediaConcurrency{{Channel: ctypes.ChannelVoice, Concurrency: aws.Int32(1)}}
	rp, err := c.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: aws.String(inst), Name: aws.String("Sales"),
		Description: aws.String("sales agents"), DefaultOutboundQueueId: aws.String(sales), MediaConcurrencies: voice,
		QueueConfigs: []ctypes.RoutingProfileQueueConfig{{QueueReference: &ctypes.RoutingProfileQueueReference{QueueId: aws.String(sales),
			Channel: ctypes.ChannelVoice}, Priority: aws.Int32(1), Delay: aws.Int32(0)}}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(rp.RoutingProfileId)
	describe := func() *ctypes.RoutingProfile {
		t.Helper()
		out, err := c.DescribeRoutingProfile(ctx, &connect.DescribeRoutingProfileInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		return out.RoutingProfile
	}
	if p := describe(); aws.ToString(p.Name) != "Sales" || aws.ToInt64(p.NumberOfAssociatedQueues) != 1 || aws.ToInt64(p.NumberOfAssociatedUsers) != 0 ||
		p.IsDefault || aws.ToString(p.DefaultOutboundQueueId) != sales {
		t.Errorf("DescribeRoutingProfile = %+v", p)
	}

	if _, err := c.AssociateRoutingProfileQueues(ctx, &connect.AssociateRoutingProfileQueuesInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id),
		QueueConfigs: []ctypes.RoutingProfileQueueConfig{{QueueReference: &ctypes.RoutingProfileQueueReference{QueueId: aws.String(basic),
			Channel: ctypes.ChannelChat}, Priority: aws.Int32(2), Delay: aws.Int32(5)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateRoutingProfileQueues(ctx, &connect.UpdateRoutingProfileQueuesInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id),
		QueueConfigs: []ctypes.RoutingProfileQueueConfig{{QueueReference: &ctypes.RoutingProfileQueueReference{QueueId: aws.String(basic),
			Channel: ctypes.ChannelChat}, Priority: aws.Int32(3), Delay: aws.Int32(7)}}}); err != nil {
		t.Fatal(err)
	}
	queues, err := c.ListRoutingProfileQueues(ctx, &connect.ListRoutingProfileQueuesInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if len(queues.RoutingProfileQueueConfigSummaryList) != 2 {
		t.Fatalf("ListRoutingProfileQueues = %+v", queues.RoutingProfileQueueConfigSummaryList)
	}
	if q := queues.RoutingProfileQueueConfigSummaryList[1]; aws.ToString(q.QueueName) != "BasicQueue" || q.Priority == nil || *q.Priority != 3 ||
		q.Delay != 7 || q.Channel != ctypes.ChannelChat {
		t.Errorf("the chat queue = %+v", q)
	}
	if _, err := c.UpdateRoutingProfileConcurrency(ctx, &connect.UpdateRoutingProfileConcurrencyInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id),
		MediaConcurrencies: append(voice, ctypes.MediaConcurrency{Channel: ctypes.ChannelChat, Concurrency: aws.Int32(3)})}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateRoutingProfileDefaultOutboundQueue(ctx, &connect.UpdateRoutingProfileDefaultOutboundQueueInput{InstanceId: aws.String(inst),
		RoutingProfileId: aws.String(id), DefaultOutboundQueueId: aws.String(basic)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateRoutingProfileName(ctx, &connect.UpdateRoutingProfileNameInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id),
		Name: aws.String("Sales EMEA")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DisassociateRoutingProfileQueues(ctx, &connect.DisassociateRoutingProfileQueuesInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id),
		QueueReferences: []ctypes.RoutingProfileQueueReference{{QueueId: aws.String(sales), Channel: ctypes.ChannelVoice}}}); err != nil {
		t.Fatal(err)
	}
	p := describe()
	if aws.ToString(p.Name) != "Sales EMEA" || aws.ToString(p.DefaultOutboundQueueId) != basic || len(p.MediaConcurrencies) != 2 ||
		!slices.Equal(p.AssociatedQueueIds, []string{basic}) || aws.ToString(p.Description) != "sales agents" {
		t.Errorf("after the updates: %+v", p)
	}

	// The refusals.
	ref := func(q string, ch ctypes.Channel) []ctypes.RoutingProfileQueueConfig {
		return []ctypes.RoutingProfileQueueConfig{{QueueReference: &ctypes.RoutingProfileQueueReference{QueueId: aws.String(q), Channel: ch},
			Priority: aws.Int32(1), Delay: aws.Int32(0)}}
	}
	_, err = c.AssociateRoutingProfileQueues(ctx, &connect.AssociateRoutingProfileQueuesInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id),
		QueueConfigs: ref(basic, ctypes.ChannelChat)})
	wantAPIError(t, err, "InvalidParameterException", 400, "already takes CHAT contacts from queue "+basic)
	_, err = c.AssociateRoutingProfileQueues(ctx, &connect.AssociateRoutingProfileQueuesInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id),
		QueueConfigs: ref("aaaaaaaa-0000-4000-8000-000000000000", ctypes.ChannelVoice)})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "The queue aaaaaaaa-0000-4000-8000-000000000000 was not found")
	_, err = c.DisassociateRoutingProfileQueues(ctx, &connect.DisassociateRoutingProfileQueuesInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id),
		QueueReferences: []ctypes.RoutingProfileQueueReference{{QueueId: aws.String(sales), Channel: ctypes.ChannelVoice}}})
	wantAPIError(t, err, "InvalidParameterException", 400, "takes no VOICE contacts from queue "+sales)
	_, err = c.UpdateRoutingProfileConcurrency(ctx, &connect.UpdateRoutingProfileConcurrencyInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id),
		MediaConcurrencies: []ctypes.MediaConcurrency{{Channel: ctypes.ChannelVoice, Concurrency: aws.Int32(2)}}})
	wantAPIError(t, err, "InvalidParameterException", 400, "Member must have value between 1 and 1 for channel VOICE")
	_, err = c.UpdateRoutingProfileName(ctx, &connect.UpdateRoutingProfileNameInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id)})
	wantAPIError(t, err, "InvalidRequestException", 400, "Give the routing profile a Name or a Description")
	_, err = c.UpdateRoutingProfileName(ctx, &connect.UpdateRoutingProfileNameInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id),
		Name: aws.String("Basic Routing Profile")})
	wantAPIError(t, err, "DuplicateResourceException", 409, "A routing profile named Basic Routing Profile already exists")
	_, err = c.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: aws.String(inst), Name: aws.String("No media"),
		Description: aws.String("d"), DefaultOutboundQueueId: aws.String(basic), MediaConcurrencies: []ctypes.MediaConcurrency{}})
	wantAPIError(t, err, "InvalidParameterException", 400, "MediaConcurrencies must name at least one channel.")
	_, err = c.UpdateRoutingProfileDefaultOutboundQueue(ctx, &connect.UpdateRoutingProfileDefaultOutboundQueueInput{InstanceId: aws.String(inst),
		RoutingProfileId: aws.String(id), DefaultOutboundQueueId: aws.String("aaaaaaaa-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "The queue aaaaaaaa-0000-4000-8000-000000000000 was not found")
	_, err = c.ListQueues(ctx, &connect.ListQueuesInput{InstanceId: aws.String(inst), QueueTypes: []ctypes.QueueType{"PERSONAL"}})
	wantAPIError(t, err, "InvalidParameterException", 400, "Member must satisfy enum value set: [STANDARD, AGENT]")
	agentQueues, err := c.ListQueues(ctx, &connect.ListQueuesInput{InstanceId: aws.String(inst), QueueTypes: []ctypes.QueueType{ctypes.QueueTypeAgent}})
	if err != nil || len(agentQueues.QueueSummaryList) != 0 {
		t.Errorf("ListQueues of AGENT queues = %+v, %v; connectfed keeps none", agentQueues, err)
	}

	// A routing profile a user holds stays; the default one always does.
	user := newAgent(t, c, inst, "agent1")
	if _, err := c.UpdateUserRoutingProfile(ctx, &connect.UpdateUserRoutingProfileInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		RoutingProfileId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	if n := aws.ToInt64(describe().NumberOfAssociatedUsers); n != 1 {
		t.Errorf("NumberOfAssociatedUsers = %d, want 1", n)
	}
	_, err = c.DeleteRoutingProfile(ctx, &connect.DeleteRoutingProfileInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id)})
	wantAPIError(t, err, "ResourceInUseException", 409, "is assigned to 1 users")
	_, basicProfile := profileIDs(t, c, inst, "Agent", "Basic Routing Profile")
	_, err = c.DeleteRoutingProfile(ctx, &connect.DeleteRoutingProfileInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(basicProfile)})
	wantAPIError(t, err, "InvalidRequestException", 400, "The default routing profile of an instance cannot be deleted.")
	if _, err := c.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: aws.String(inst), UserId: aws.String(user)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRoutingProfile(ctx, &connect.DeleteRoutingProfileInput{InstanceId: aws.String(inst), RoutingProfileId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}

	// Tags on a queue, by its ARN.
	queueARN := aws.ToString(made.QueueArn)
	if _, err := c.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String(queueARN), Tags: map[string]string{"tier": "1"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &connect.ListTagsForResourceInput{ResourceArn: aws.String(queueARN)})
	if err != nil || tags.Tags["tier"] != "1" || tags.Tags["line"] != "sales" {
		t.Errorf("the queue's tags = %v, %v", tags, err)
	}
}

// Instance attributes: the calls-enabled flags CreateInstance set, the rest false until set.
func TestConnectInstanceAttributes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.connect(e.root, "us-east-1")
	inst := newInstance(t, c, "acme", ctypes.DirectoryTypeSaml)

	value := func(ty ctypes.InstanceAttributeType) string {
		t.Helper()
		out, err := c.DescribeInstanceAttribute(ctx, &connect.DescribeInstanceAttributeInput{InstanceId: aws.String(inst), AttributeType: ty})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Attribute.Value)
	}
	if got := value(ctypes.InstanceAttributeTypeInboundCalls); got != "true" {
		t.Errorf("INBOUND_CALLS = %s, want true (newInstance enables inbound calls)", got)
	}
	if got := value(ctypes.InstanceAttributeTypeContactLens); got != "false" {
		t.Errorf("CONTACT_LENS = %s, want false", got)
	}
	for _, set := range []struct {
		ty    ctypes.InstanceAttributeType
		value string
	}{{ctypes.InstanceAttributeTypeContactLens, "true"}, {ctypes.InstanceAttributeTypeInboundCalls, "false"}} {
		if _, err := c.UpdateInstanceAttribute(ctx, &connect.UpdateInstanceAttributeInput{InstanceId: aws.String(inst), AttributeType: set.ty,
			Value: aws.String(set.value), ClientToken: aws.String("retry-1")}); err != nil {
			t.Fatal(err)
		}
		if got := value(set.ty); got != set.value {
			t.Errorf("%s = %s after setting %s", set.ty, got, set.value)
		}
	}
	in, err := c.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(inst)})
	if err != nil || aws.ToBool(in.Instance.InboundCallsEnabled) {
		t.Errorf("DescribeInstance after INBOUND_CALLS=false: %+v, %v", in, err)
	}

	var all []ctypes.Attribute
	for p := connect.NewListInstanceAttributesPaginator(c, &connect.ListInstanceAttributesInput{InstanceId: aws.String(inst)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Attributes) > 7 {
			t.Errorf("a page of %d attributes, above the model's 7", len(page.Attributes))
		}
		all = append(all, page.Attributes...)
	}
	if len(all) != len(ctypes.InstanceAttributeType("").Values()) {
		t.Errorf("ListInstanceAttributes gave %d attributes, the model has %d", len(all), len(ctypes.InstanceAttributeType("").Values()))
	}

	_, err = c.UpdateInstanceAttribute(ctx, &connect.UpdateInstanceAttributeInput{InstanceId: aws.String(inst),
		AttributeType: ctypes.InstanceAttributeTypeEarlyMedia, Value: aws.String("yes")})
	wantAPIError(t, err, "InvalidParameterException", 400, "The value of the attribute EARLY_MEDIA must be true or false.")
	_, err = c.DescribeInstanceAttribute(ctx, &connect.DescribeInstanceAttributeInput{InstanceId: aws.String(inst), AttributeType: "NO_SUCH"})
	wantAPIError(t, err, "InvalidParameterException", 400, "Member must satisfy enum value set: [INBOUND_CALLS")
	_, err = c.DescribeInstanceAttribute(ctx, &connect.DescribeInstanceAttributeInput{InstanceId: aws.String("aaaaaaaa-0000-4000-8000-000000000000"),
		AttributeType: ctypes.InstanceAttributeTypeEarlyMedia})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "The specified instance was not found")
}
