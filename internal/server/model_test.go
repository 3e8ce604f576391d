package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/connectfed/connectfed/internal/server/awsapi"
)

// serviceModel is the part of a Smithy-derived AWS service model (botocore's service-2.json)
// that says what an answer's body may hold.
type serviceModel struct {
	Operations map[string]struct {
		Output *struct {
			Shape string `json:"shape"`
		} `json:"output"`
	} `json:"operations"`
	Shapes map[string]modelShape `json:"shapes"`
}

type modelRef struct {
	Shape        string `json:"shape"`
	Location     string `json:"location"`
	LocationName string `json:"locationName"`
}

type modelShape struct {
	Type     string              `json:"type"`
	Members  map[string]modelRef `json:"members"`
	Member   modelRef            `json:"member"`
	Key      modelRef            `json:"key"`
	Value    modelRef            `json:"value"`
	Enum     []string            `json:"enum"`
	Required []string            `json:"required"`
}

// connectModel is the Connect service model botocore ships (the model the SDKs are generated
// from), found through a python3 that has boto3; the test skips without one.
func connectModel(t *testing.T) *serviceModel {
	t.Helper()
	python := boto3Python(t)
	out, err := exec.Command(python, "-c", "import botocore, os; print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		t.Skipf("botocore's location: %v", err)
	}
	versions, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "data", "connect", "*", "service-2.json*"))
	if len(versions) == 0 {
		t.Skip("botocore has no Connect model")
	}
	sort.Strings(versions)
	f, err := os.Open(versions[len(versions)-1])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(f.Name(), ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	var m serviceModel
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatalf("%s: %v", f.Name(), err)
	}
	return &m
}

// check compares a restJson1 answer's body with a shape, member by member: a member the shape
// lacks, a value of another type, an enum value the model does not list, a required member
// missing. It returns what it found, each at its path.
func (m *serviceModel) check(shapeName string, v any, path string) []string {
	s := m.Shapes[shapeName]
	bad := func(format string, args ...any) []string { return []string{path + ": " + fmt.Sprintf(format, args...)} }
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			return bad("%T, the model has structure %s", v, shapeName)
		}
		names := map[string]modelRef{}
		for name, ref := range s.Members {
			if ref.Location != "" {
				continue // a header or a status code, not the body
			}
			if ref.LocationName != "" {
				name = ref.LocationName
			}
			names[name] = ref
		}
		var found []string
		for k, val := range obj {
			ref, ok := names[k]
			if !ok {
				found = append(found, fmt.Sprintf("%s: member %s is not in %s", path, k, shapeName))
				continue
			}
			found = append(found, m.check(ref.Shape, val, path+"."+k)...)
		}
		for _, req := range s.Required {
			if ref, ok := s.Members[req]; ok && ref.Location == "" {
				if _, ok := obj[req]; !ok {
					found = append(found, fmt.Sprintf("%s: required member %s of %s is missing", path, req, shapeName))
				}
			}
		}
		return found
	case "list":
		list, ok := v.([]any)
		if !ok {
			return bad("%T, the model has list %s", v, shapeName)
		}
		var found []string
		for i, item := range list {
			found = append(found, m.check(s.Member.Shape, item, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return found
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			return bad("%T, the model has map %s", v, shapeName)
		}
		var found []string
		for k, val := range obj {
			found = append(found, m.check(s.Value.Shape, val, path+"["+k+"]")...)
		}
		return found
	case "string":
		str, ok := v.(string)
		if !ok {
			return bad("%T, the model has a string", v)
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			return bad("%q is not a value of %s %v", str, shapeName, s.Enum)
		}
	case "integer", "long":
		n, ok := v.(json.Number)
		if !ok || strings.ContainsAny(n.String(), ".eE") {
			return bad("%v, the model has an %s", v, s.Type)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return bad("%T, the model has a boolean", v)
		}
	case "timestamp", "double", "float":
		// restJson1 writes timestamps as epoch seconds unless the shape says otherwise.
		if _, ok := v.(json.Number); !ok {
			return bad("%v, the model has a number (%s)", v, s.Type)
		}
	case "":
		return bad("the model has no shape %s", shapeName)
	}
	return nil
}

// modelChecker checks every answer a client receives against the model.
type modelChecker struct {
	model *serviceModel
	mu    sync.Mutex
	// checked counts the answers checked by operation; findings are what did not match.
	checked  map[string]int
	findings []string
}

// addTo puts the checker in a client's stack, beneath the SDK's deserializer: it reads the
// body first and hands the deserializer a copy.
func (mc *modelChecker) addTo(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("checkAgainstTheModel",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			resp, ok := out.RawResponse.(*smithyhttp.Response)
			if err != nil || !ok || resp.StatusCode >= 300 {
				return out, md, err
			}
			body, rerr := io.ReadAll(resp.Body)
			if rerr != nil {
				return out, md, rerr
			}
			resp.Body = io.NopCloser(bytes.NewReader(body))
			mc.check(awsmiddleware.GetOperationName(ctx), body)
			return out, md, err
		}), middleware.After)
}

func (mc *modelChecker) check(op string, body []byte) {
	var found []string
	o, ok := mc.model.Operations[op]
	switch {
	case !ok:
		found = []string{op + ": the model has no such operation"}
	case o.Output == nil:
		if len(bytes.TrimSpace(body)) > 0 && string(bytes.TrimSpace(body)) != "{}" {
			found = []string{op + ": the model has no output, the answer has " + string(body)}
		}
	default:
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			found = []string{op + ": not JSON: " + err.Error()}
		} else {
			found = mc.model.check(o.Output.Shape, v, op)
		}
	}
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if mc.checked == nil {
		mc.checked = map[string]int{}
	}
	mc.checked[op]++
	mc.findings = append(mc.findings, found...)
}

// The checker finds what it is for: each body below breaks the model once, and a body that
// keeps to it passes.
func TestModelCheckerFindsDefects(t *testing.T) {
	mc := &modelChecker{model: connectModel(t)}
	for op, body := range map[string]string{
		"DescribeUser":             `{"User":{"Id":"u","Nickname":"x"}}`,
		"ListUsers":                `{"UserSummaryList":{"Id":"u"}}`,
		"DescribeQueue":            `{"Queue":{"QueueId":"q","Status":"PAUSED"}}`,
		"DescribeRoutingProfile":   `{"RoutingProfile":{"NumberOfAssociatedUsers":"3"}}`,
		"DescribeInstance":         `{"Instance":{"CreatedTime":"2026-12-06T00:00:00Z"}}`,
		"ListRoutingProfileQueues": `{"RoutingProfileQueueConfigSummaryList":[{"QueueId":"q"}]}`,
		"DescribeSecurityProfile":  `{"SecurityProfile":{"Id":"s","Tags":{"k":1}}}`,
	} {
		before := len(mc.findings)
		mc.check(op, []byte(body))
		if len(mc.findings) == before {
			t.Errorf("%s %s: no finding", op, body)
		}
	}
	good := &modelChecker{model: mc.model}
	good.check("DescribeQueue", []byte(`{"Queue":{"QueueId":"q","Status":"ENABLED","MaxContacts":3,"LastModifiedTime":1.5,"Tags":{"a":"b"}}}`))
	if len(good.findings) > 0 {
		t.Errorf("false findings: %v", good.findings)
	}
}

// Every Connect operation connectfed serves answers, through aws-sdk-go-v2, a body that matches
// the Connect model's output shape member by member.
func TestConnectAnswersMatchTheModel(t *testing.T) {
	mc := &modelChecker{model: connectModel(t)}
	e := newEnv(t)
	ctx := context.Background()
	cfg := e.config(e.root)
	cfg.Region = "us-east-1"
	cfg.APIOptions = append(cfg.APIOptions, mc.addTo)
	c := connect.NewFromConfig(cfg)
	do := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	in := newInstance(t, c, "model", ctypes.DirectoryTypeSaml)
	inst := aws.String(in)
	instanceARN := "arn:aws:connect:us-east-1:" + testAccount + ":instance/" + in
	do(c.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: inst}))
	do(c.ListInstances(ctx, &connect.ListInstancesInput{}))
	do(c.DescribeInstanceAttribute(ctx, &connect.DescribeInstanceAttributeInput{InstanceId: inst, AttributeType: ctypes.InstanceAttributeTypeContactLens}))
	do(c.UpdateInstanceAttribute(ctx, &connect.UpdateInstanceAttributeInput{InstanceId: inst, AttributeType: ctypes.InstanceAttributeTypeContactLens, Value: aws.String("true")}))
	do(c.ListInstanceAttributes(ctx, &connect.ListInstanceAttributesInput{InstanceId: inst}))
	do(c.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: inst, Origin: aws.String("https://crm.example.com")}))
	do(c.ListApprovedOrigins(ctx, &connect.ListApprovedOriginsInput{InstanceId: inst}))
	do(c.DisassociateApprovedOrigin(ctx, &connect.DisassociateApprovedOriginInput{InstanceId: inst, Origin: aws.String("https://crm.example.com")}))

	sp, err := c.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: inst, SecurityProfileName: aws.String("Tier2"),
		Description: aws.String("d"), Permissions: []string{"BasicAgentAccess"}, Tags: map[string]string{"a": "b"},
		AllowedAccessControlTags: map[string]string{"team": "x"}})
	do(sp, err)
	do(c.DescribeSecurityProfile(ctx, &connect.DescribeSecurityProfileInput{InstanceId: inst, SecurityProfileId: sp.SecurityProfileId}))
	do(c.UpdateSecurityProfile(ctx, &connect.UpdateSecurityProfileInput{InstanceId: inst, SecurityProfileId: sp.SecurityProfileId, Permissions: []string{"AccessMetrics"}}))
	do(c.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: inst}))
	do(c.ListSecurityProfilePermissions(ctx, &connect.ListSecurityProfilePermissionsInput{InstanceId: inst, SecurityProfileId: sp.SecurityProfileId}))

	queues, err := c.ListQueues(ctx, &connect.ListQueuesInput{InstanceId: inst})
	do(queues, err)
	basic := queues.QueueSummaryList[0].Id
	bq, err := c.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: inst, QueueId: basic})
	do(bq, err)
	q, err := c.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: inst, Name: aws.String("Sales"), Description: aws.String("d"),
		HoursOfOperationId: bq.Queue.HoursOfOperationId, MaxContacts: aws.Int32(3), Tags: map[string]string{"a": "b"},
		OutboundCallerConfig: &ctypes.OutboundCallerConfig{OutboundCallerIdName: aws.String("Sales")}})
	do(q, err)
	do(c.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: inst, QueueId: q.QueueId}))
	config := func(id *string, ch ctypes.Channel) []ctypes.RoutingProfileQueueConfig {
		return []ctypes.RoutingProfileQueueConfig{{QueueReference: &ctypes.RoutingProfileQueueReference{QueueId: id, Channel: ch},
			Priority: aws.Int32(1), Delay: aws.Int32(0)}}
	}
	rp, err := c.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: inst, Name: aws.String("Sales"), Description: aws.String("d"),
		DefaultOutboundQueueId: q.QueueId, QueueConfigs: config(q.QueueId, ctypes.ChannelVoice), Tags: map[string]string{"a": "b"},
		AgentAvailabilityTimer: ctypes.AgentAvailabilityTimerTimeSinceLastActivity,
		MediaConcurrencies: []ctypes.MediaConcurrency{{Channel: ctypes.ChannelVoice, Concurrency: aws.Int32(1)},
			{Channel: ctypes.ChannelChat, Concurrency: aws.Int32(2), CrossChannelBehavior: &ctypes.CrossChannelBehavior{BehaviorType: ctypes.BehaviorTypeRouteAnyChannel}}}})
	do(rp, err)
	rid := rp.RoutingProfileId
	do(c.DescribeRoutingProfile(ctx, &connect.DescribeRoutingProfileInput{InstanceId: inst, RoutingProfileId: rid}))
	do(c.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: inst}))
	do(c.AssociateRoutingProfileQueues(ctx, &connect.AssociateRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: rid, QueueConfigs: config(basic, ctypes.ChannelChat)}))
	do(c.UpdateRoutingProfileQueues(ctx, &connect.UpdateRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: rid, QueueConfigs: config(basic, ctypes.ChannelChat)}))
	do(c.ListRoutingProfileQueues(ctx, &connect.ListRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: rid}))
	do(c.DisassociateRoutingProfileQueues(ctx, &connect.DisassociateRoutingProfileQueuesInput{InstanceId: inst, RoutingProfileId: rid,
		QueueReferences: []ctypes.RoutingProfileQueueReference{{QueueId: basic, Channel: ctypes.ChannelChat}}}))
	do(c.UpdateRoutingProfileName(ctx, &connect.UpdateRoutingProfileNameInput{InstanceId: inst, RoutingProfileId: rid, Name: aws.String("Sales 2")}))
	do(c.UpdateRoutingProfileConcurrency(ctx, &connect.UpdateRoutingProfileConcurrencyInput{InstanceId: inst, RoutingProfileId: rid,
		MediaConcurrencies: []ctypes.MediaConcurrency{{Channel: ctypes.ChannelVoice, Concurrency: aws.Int32(1)}}}))
	do(c.UpdateRoutingProfileDefaultOutboundQueue(ctx, &connect.UpdateRoutingProfileDefaultOutboundQueueInput{InstanceId: inst, RoutingProfileId: rid, DefaultOutboundQueueId: basic}))

	do(c.UpdateUserHierarchyStructure(ctx, &connect.UpdateUserHierarchyStructureInput{InstanceId: inst,
		HierarchyStructure: &ctypes.HierarchyStructureUpdate{LevelOne: &ctypes.HierarchyLevelUpdate{Name: aws.String("Site")},
			LevelTwo: &ctypes.HierarchyLevelUpdate{Name: aws.String("Team")}}}))
	do(c.DescribeUserHierarchyStructure(ctx, &connect.DescribeUserHierarchyStructureInput{InstanceId: inst}))
	site, err := c.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: inst, Name: aws.String("Lisbon"), Tags: map[string]string{"a": "b"}})
	do(site, err)
	team, err := c.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: inst, Name: aws.String("Billing"), ParentGroupId: site.HierarchyGroupId})
	do(team, err)
	do(c.DescribeUserHierarchyGroup(ctx, &connect.DescribeUserHierarchyGroupInput{InstanceId: inst, HierarchyGroupId: team.HierarchyGroupId}))
	do(c.ListUserHierarchyGroups(ctx, &connect.ListUserHierarchyGroupsInput{InstanceId: inst}))
	do(c.UpdateUserHierarchyGroupName(ctx, &connect.UpdateUserHierarchyGroupNameInput{InstanceId: inst, HierarchyGroupId: team.HierarchyGroupId, Name: aws.String("Billing 2")}))

	agent, routing := profileIDs(t, c, in, "Agent", "Basic Routing Profile")
	u, err := c.CreateUser(ctx, &connect.CreateUserInput{InstanceId: inst, Username: aws.String("agent1"), SecurityProfileIds: []string{agent},
		RoutingProfileId: aws.String(routing), HierarchyGroupId: team.HierarchyGroupId, Tags: map[string]string{"a": "b"},
		PhoneConfig: &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeDeskPhone, DeskPhoneNumber: aws.String("+14155550100"), AutoAccept: true},
		IdentityInfo: &ctypes.UserIdentityInfo{FirstName: aws.String("Ada"), LastName: aws.String("L"), Email: aws.String("ada@example.com"),
			SecondaryEmail: aws.String("a2@example.com"), Mobile: aws.String("+14155550101")}})
	do(u, err)
	user := u.UserId
	do(c.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: inst, UserId: user}))
	do(c.ListUsers(ctx, &connect.ListUsersInput{InstanceId: inst}))
	do(c.UpdateUserIdentityInfo(ctx, &connect.UpdateUserIdentityInfoInput{InstanceId: inst, UserId: user, IdentityInfo: &ctypes.UserIdentityInfo{FirstName: aws.String("Grace")}}))
	do(c.UpdateUserPhoneConfig(ctx, &connect.UpdateUserPhoneConfigInput{InstanceId: inst, UserId: user, PhoneConfig: &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone}}))
	do(c.UpdateUserRoutingProfile(ctx, &connect.UpdateUserRoutingProfileInput{InstanceId: inst, UserId: user, RoutingProfileId: rid}))
	do(c.UpdateUserSecurityProfiles(ctx, &connect.UpdateUserSecurityProfilesInput{InstanceId: inst, UserId: user, SecurityProfileIds: []string{agent, aws.ToString(sp.SecurityProfileId)}}))
	do(c.UpdateUserHierarchy(ctx, &connect.UpdateUserHierarchyInput{InstanceId: inst, UserId: user, HierarchyGroupId: site.HierarchyGroupId}))
	do(c.SearchUsers(ctx, &connect.SearchUsersInput{InstanceId: inst, SearchCriteria: &ctypes.UserSearchCriteria{StringCondition: &ctypes.StringCondition{
		FieldName: aws.String("Username"), Value: aws.String("agent"), ComparisonType: ctypes.StringComparisonTypeStartsWith}}}))
	do(c.TagResource(ctx, &connect.TagResourceInput{ResourceArn: u.UserArn, Tags: map[string]string{"c": "d"}}))
	do(c.ListTagsForResource(ctx, &connect.ListTagsForResourceInput{ResourceArn: u.UserArn}))
	do(c.UntagResource(ctx, &connect.UntagResourceInput{ResourceArn: u.UserArn, TagKeys: []string{"c"}}))

	do(c.UpdateUserHierarchy(ctx, &connect.UpdateUserHierarchyInput{InstanceId: inst, UserId: user}))
	do(c.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: inst, UserId: user}))
	do(c.DeleteUserHierarchyGroup(ctx, &connect.DeleteUserHierarchyGroupInput{InstanceId: inst, HierarchyGroupId: team.HierarchyGroupId}))
	do(c.DeleteRoutingProfile(ctx, &connect.DeleteRoutingProfileInput{InstanceId: inst, RoutingProfileId: rid}))
	do(c.DeleteSecurityProfile(ctx, &connect.DeleteSecurityProfileInput{InstanceId: inst, SecurityProfileId: sp.SecurityProfileId}))
	do(c.DeleteInstance(ctx, &connect.DeleteInstanceInput{InstanceId: aws.String(instanceARN)}))

	// GetFederationToken, as a role session, through its hand-written encoder.
	f := newFederated(t, e)
	fcfg := e.config(f.session)
	fcfg.Region = "us-east-1"
	fcfg.APIOptions = append(fcfg.APIOptions, mc.addTo)
	do(connect.NewFromConfig(fcfg).GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instance)}))

	for _, f := range mc.findings {
		t.Error(f)
	}
	// Every Connect operation of the table was checked.
	for _, op := range awsapi.Operations() {
		if op.Service == "connect" && mc.checked[op.Name] == 0 {
			t.Errorf("no answer of %s was checked against the model", op.Name)
		}
	}
}

// A team's provisioning, as examples/boto3/provision.py does it, through aws-sdk-go-v2 with
// every answer checked against the model: an instance, a hierarchy, a security profile, a queue
// and a routing profile, 20 users with every field changed, tags, searches by username, tag and
// hierarchy group combined with AND/OR, and deletion.
func TestProvisioningThroughTheGoSDK(t *testing.T) {
	mc := &modelChecker{model: connectModel(t)}
	e := newEnv(t)
	ctx := context.Background()
	cfg := e.config(e.root)
	cfg.Region = "us-east-1"
	cfg.APIOptions = append(cfg.APIOptions, mc.addTo)
	c := connect.NewFromConfig(cfg)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	created, err := c.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeConnectManaged,
		InstanceAlias: aws.String("provisioned"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	must(created, err)
	inst := created.Id

	must(c.UpdateUserHierarchyStructure(ctx, &connect.UpdateUserHierarchyStructureInput{InstanceId: inst, HierarchyStructure: &ctypes.HierarchyStructureUpdate{
		LevelOne: &ctypes.HierarchyLevelUpdate{Name: aws.String("Site")}, LevelTwo: &ctypes.HierarchyLevelUpdate{Name: aws.String("Team")}}}))
	site, err := c.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: inst, Name: aws.String("Lisbon")})
	must(site, err)
	var teams []*string
	for _, name := range []string{"Billing", "Support"} {
		g, err := c.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: inst, Name: aws.String(name), ParentGroupId: site.HierarchyGroupId})
		must(g, err)
		teams = append(teams, g.HierarchyGroupId)
	}
	agentSP, basicRP := profileIDs(t, c, aws.ToString(inst), "Agent", "Basic Routing Profile")
	tier2, err := c.CreateSecurityProfile(ctx, &connect.CreateSecurityProfileInput{InstanceId: inst, SecurityProfileName: aws.String("Tier 2"),
		Permissions: []string{"BasicAgentAccess", "OutboundCallAccess"}})
	must(tier2, err)
	basic := basicQueue(t, c, aws.ToString(inst))
	hours, err := c.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: inst, QueueId: aws.String(basic)})
	must(hours, err)
	queue, err := c.CreateQueue(ctx, &connect.CreateQueueInput{InstanceId: inst, Name: aws.String("Escalations"), HoursOfOperationId: hours.Queue.HoursOfOperationId})
	must(queue, err)
	rp, err := c.CreateRoutingProfile(ctx, &connect.CreateRoutingProfileInput{InstanceId: inst, Name: aws.String("Escalations"), Description: aws.String("tier 2"),
		DefaultOutboundQueueId: queue.QueueId, MediaConcurrencies: []ctypes.MediaConcurrency{{Channel: ctypes.ChannelVoice, Concurrency: aws.Int32(1)}},
		QueueConfigs: []ctypes.RoutingProfileQueueConfig{{QueueReference: &ctypes.RoutingProfileQueueReference{QueueId: queue.QueueId, Channel: ctypes.ChannelVoice},
			Priority: aws.Int32(1), Delay: aws.Int32(0)}}})
	must(rp, err)

	const n = 20
	var users []*string
	for i := range n {
		u, err := c.CreateUser(ctx, &connect.CreateUserInput{InstanceId: inst, Username: aws.String(fmt.Sprintf("agent%02d", i)),
			Password: aws.String("Passw0rd-go-sdk"), SecurityProfileIds: []string{agentSP}, RoutingProfileId: aws.String(basicRP),
			PhoneConfig: &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone}})
		must(u, err)
		users = append(users, u.UserId)
	}
	for i, u := range users {
		before, err := c.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: inst, UserId: u})
		must(before, err)
		first := "Grace"
		if i%2 == 1 {
			first = "Ada"
		}
		must(c.UpdateUserIdentityInfo(ctx, &connect.UpdateUserIdentityInfoInput{InstanceId: inst, UserId: u, IdentityInfo: &ctypes.UserIdentityInfo{
			FirstName: aws.String(first), LastName: aws.String(fmt.Sprintf("Agent%02d", i)), Email: aws.String(fmt.Sprintf("agent%02d@example.com", i))}}))
		must(c.UpdateUserPhoneConfig(ctx, &connect.UpdateUserPhoneConfigInput{InstanceId: inst, UserId: u, PhoneConfig: &ctypes.UserPhoneConfig{
			PhoneType: ctypes.PhoneTypeDeskPhone, DeskPhoneNumber: aws.String("+14155550100"), AutoAccept: true, AfterContactWorkTimeLimit: 30}}))
		must(c.UpdateUserRoutingProfile(ctx, &connect.UpdateUserRoutingProfileInput{InstanceId: inst, UserId: u, RoutingProfileId: rp.RoutingProfileId}))
		must(c.UpdateUserSecurityProfiles(ctx, &connect.UpdateUserSecurityProfilesInput{InstanceId: inst, UserId: u,
			SecurityProfileIds: []string{agentSP, aws.ToString(tier2.SecurityProfileId)}}))
		must(c.UpdateUserHierarchy(ctx, &connect.UpdateUserHierarchyInput{InstanceId: inst, UserId: u, HierarchyGroupId: teams[i%2]}))
		shift, team := "day", "support"
		if i%4 == 0 {
			shift = "night"
		}
		if i%2 == 0 {
			team = "billing"
		}
		must(c.TagResource(ctx, &connect.TagResourceInput{ResourceArn: before.User.Arn, Tags: map[string]string{"shift": shift, "team": team}}))
		after, err := c.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: inst, UserId: u})
		must(after, err)
		got := after.User
		if aws.ToString(got.IdentityInfo.Email) != fmt.Sprintf("agent%02d@example.com", i) || got.PhoneConfig.PhoneType != ctypes.PhoneTypeDeskPhone ||
			aws.ToString(got.RoutingProfileId) != aws.ToString(rp.RoutingProfileId) || len(got.SecurityProfileIds) != 2 ||
			aws.ToString(got.HierarchyGroupId) != aws.ToString(teams[i%2]) || got.Tags["shift"] != shift ||
			!got.LastModifiedTime.After(aws.ToTime(before.User.LastModifiedTime)) {
			t.Errorf("user %d after its changes: %+v", i, got)
		}
	}

	search := func(what string, want int, in *connect.SearchUsersInput) {
		t.Helper()
		in.InstanceId = inst
		out, err := c.SearchUsers(ctx, in)
		if err != nil || len(out.Users) != want || aws.ToInt64(out.ApproximateTotalCount) != int64(want) {
			t.Errorf("search %s: %d users (total %d), %v; want %d", what, len(out.Users), aws.ToInt64(out.ApproximateTotalCount), err, want)
		}
	}
	exact := func(field, value string) *ctypes.UserSearchCriteria {
		return &ctypes.UserSearchCriteria{StringCondition: &ctypes.StringCondition{FieldName: aws.String(field), Value: aws.String(value),
			ComparisonType: ctypes.StringComparisonTypeExact}}
	}
	group := func(id *string, match ctypes.HierarchyGroupMatchType) *ctypes.UserSearchCriteria {
		return &ctypes.UserSearchCriteria{HierarchyGroupCondition: &ctypes.HierarchyGroupCondition{Value: id, HierarchyGroupMatchType: match}}
	}
	search("by username", 1, &connect.SearchUsersInput{SearchCriteria: exact("Username", "agent07")})
	search("by tag", (n+3)/4, &connect.SearchUsersInput{SearchFilter: &ctypes.UserSearchFilter{TagFilter: &ctypes.ControlPlaneTagFilter{
		TagCondition: &ctypes.TagCondition{TagKey: aws.String("shift"), TagValue: aws.String("night")}}}})
	search("by hierarchy group", n/2, &connect.SearchUsersInput{SearchCriteria: group(teams[0], ctypes.HierarchyGroupMatchTypeExact)})
	search("below the site", n, &connect.SearchUsersInput{SearchCriteria: group(site.HierarchyGroupId, ctypes.HierarchyGroupMatchTypeWithChildGroups)})
	search("AND of a name and a group", n/2, &connect.SearchUsersInput{SearchCriteria: &ctypes.UserSearchCriteria{AndConditions: []ctypes.UserSearchCriteria{
		{StringCondition: &ctypes.StringCondition{FieldName: aws.String("FirstName"), Value: aws.String("ada"), ComparisonType: ctypes.StringComparisonTypeContains}},
		*group(teams[1], ctypes.HierarchyGroupMatchTypeExact)}}})
	search("OR of two usernames within an OR of tags", 2, &connect.SearchUsersInput{
		SearchCriteria: &ctypes.UserSearchCriteria{OrConditions: []ctypes.UserSearchCriteria{*exact("Username", "agent00"), *exact("Username", "agent01")}},
		SearchFilter: &ctypes.UserSearchFilter{TagFilter: &ctypes.ControlPlaneTagFilter{OrConditions: [][]ctypes.TagCondition{
			{{TagKey: aws.String("team"), TagValue: aws.String("billing")}}, {{TagKey: aws.String("team"), TagValue: aws.String("support")}}}}}})

	for _, u := range users {
		must(c.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: inst, UserId: u}))
	}
	must(c.DeleteRoutingProfile(ctx, &connect.DeleteRoutingProfileInput{InstanceId: inst, RoutingProfileId: rp.RoutingProfileId}))
	must(c.DeleteSecurityProfile(ctx, &connect.DeleteSecurityProfileInput{InstanceId: inst, SecurityProfileId: tier2.SecurityProfileId}))
	for _, g := range append(teams, site.HierarchyGroupId) {
		must(c.DeleteUserHierarchyGroup(ctx, &connect.DeleteUserHierarchyGroupInput{InstanceId: inst, HierarchyGroupId: g}))
	}
	must(c.DeleteInstance(ctx, &connect.DeleteInstanceInput{InstanceId: inst}))
	for _, f := range mc.findings {
		t.Error(f)
	}
	if mc.checked["DescribeUser"] != 2*n || mc.checked["SearchUsers"] != 6 {
		t.Errorf("checked %v", mc.checked)
	}
}
