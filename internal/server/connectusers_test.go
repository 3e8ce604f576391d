package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
)

// Each field of a Connect user changes through its own update, DescribeUser shows it, and every
// update moves LastModifiedTime.
func TestConnectUserUpdates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.connect(e.root, "us-east-1")
	inst := newInstance(t, c, "acme", ctypes.DirectoryTypeSaml)
	user := newAgent(t, c, inst, "agent1")
	agentProfile, routing := profileIDs(t, c, inst, "Agent", "Basic Routing Profile")
	manager, _ := profileIDs(t, c, inst, "CallCenterManager", "Basic Routing Profile")
	describe := func() *ctypes.User {
		t.Helper()
		out, err := c.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(inst), UserId: aws.String(user)})
		if err != nil {
			t.Fatal(err)
		}
		return out.User
	}
	last := aws.ToTime(describe().LastModifiedTime)
	moved := func(what string) {
		t.Helper()
		now := aws.ToTime(describe().LastModifiedTime)
		if !now.After(last) {
			t.Errorf("%s: LastModifiedTime %v did not move past %v", what, now, last)
		}
		last = now
	}

	if _, err := c.UpdateUserIdentityInfo(ctx, &connect.UpdateUserIdentityInfoInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		IdentityInfo: &ctypes.UserIdentityInfo{FirstName: aws.String("Ada"), LastName: aws.String("Agent"),
			Email: aws.String("ada@example.com"), Mobile: aws.String("+14155550100")}}); err != nil {
		t.Fatal(err)
	}
	if got := describe().IdentityInfo; aws.ToString(got.FirstName) != "Ada" || aws.ToString(got.Mobile) != "+14155550100" {
		t.Errorf("IdentityInfo = %+v", got)
	}
	moved("UpdateUserIdentityInfo")

	if _, err := c.UpdateUserPhoneConfig(ctx, &connect.UpdateUserPhoneConfigInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		PhoneConfig: &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeDeskPhone, DeskPhoneNumber: aws.String("+14155550101"),
			AutoAccept: true, AfterContactWorkTimeLimit: 30}}); err != nil {
		t.Fatal(err)
	}
	if got := describe().PhoneConfig; got.PhoneType != ctypes.PhoneTypeDeskPhone || !got.AutoAccept || got.AfterContactWorkTimeLimit != 30 {
		t.Errorf("PhoneConfig = %+v", got)
	}
	moved("UpdateUserPhoneConfig")

	if _, err := c.UpdateUserSecurityProfiles(ctx, &connect.UpdateUserSecurityProfilesInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		SecurityProfileIds: []string{agentProfile, manager}}); err != nil {
		t.Fatal(err)
	}
	if got := describe().SecurityProfileIds; !slices.Equal(got, []string{agentProfile, manager}) {
		t.Errorf("SecurityProfileIds = %v", got)
	}
	moved("UpdateUserSecurityProfiles")

	if _, err := c.UpdateUserRoutingProfile(ctx, &connect.UpdateUserRoutingProfileInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		RoutingProfileId: aws.String(routing)}); err != nil {
		t.Fatal(err)
	}
	moved("UpdateUserRoutingProfile")

	// Updates of different fields at once all stand.
	var wg sync.WaitGroup
	wg.Go(func() {
		_, err := c.UpdateUserIdentityInfo(ctx, &connect.UpdateUserIdentityInfoInput{InstanceId: aws.String(inst), UserId: aws.String(user),
			IdentityInfo: &ctypes.UserIdentityInfo{FirstName: aws.String("Grace")}})
		if err != nil {
			t.Error(err)
		}
	})
	wg.Go(func() {
		_, err := c.UpdateUserSecurityProfiles(ctx, &connect.UpdateUserSecurityProfilesInput{InstanceId: aws.String(inst), UserId: aws.String(user),
			SecurityProfileIds: []string{manager}})
		if err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	if got := describe(); aws.ToString(got.IdentityInfo.FirstName) != "Grace" || !slices.Equal(got.SecurityProfileIds, []string{manager}) {
		t.Errorf("after concurrent updates: %+v, %v", got.IdentityInfo, got.SecurityProfileIds)
	}

	// The refusals.
	missing := "aaaaaaaa-0000-4000-8000-000000000000"
	_, err := c.UpdateUserIdentityInfo(ctx, &connect.UpdateUserIdentityInfoInput{InstanceId: aws.String(inst), UserId: aws.String(missing),
		IdentityInfo: &ctypes.UserIdentityInfo{FirstName: aws.String("x")}})
	wantAPIError(t, err, "ResourceNotFoundException", 404, missing)
	_, err = c.UpdateUserIdentityInfo(ctx, &connect.UpdateUserIdentityInfoInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		IdentityInfo: &ctypes.UserIdentityInfo{Mobile: aws.String("555")}})
	wantAPIError(t, err, "InvalidParameterException", 400, "identityInfo.mobile")
	_, err = c.UpdateUserPhoneConfig(ctx, &connect.UpdateUserPhoneConfigInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		PhoneConfig: &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeDeskPhone}})
	wantAPIError(t, err, "InvalidParameterException", 400, "DeskPhoneNumber is required")
	_, err = c.UpdateUserRoutingProfile(ctx, &connect.UpdateUserRoutingProfileInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		RoutingProfileId: aws.String(missing)})
	wantAPIError(t, err, "InvalidParameterException", 400, "no routing profile")
	_, err = c.UpdateUserSecurityProfiles(ctx, &connect.UpdateUserSecurityProfilesInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		SecurityProfileIds: []string{}})
	wantAPIError(t, err, "InvalidParameterException", 400, "greater than or equal to 1")
	_, err = c.UpdateUserSecurityProfiles(ctx, &connect.UpdateUserSecurityProfilesInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		SecurityProfileIds: []string{missing}})
	wantAPIError(t, err, "InvalidParameterException", 400, "no security profile")
	// What the SDK would not send: a body without the member.
	a := do(t, e.signedJSON(t, "POST", "/users/"+inst+"/"+user+"/identity-info", `{}`, e.root))
	if a.status != http.StatusBadRequest {
		t.Errorf("UpdateUserIdentityInfo without IdentityInfo: %d %s", a.status, a.body)
	}
}

// Tags of instances and users through the SDK: added, replaced, listed, removed, with AWS's
// limits and errors.
func TestConnectTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.connect(e.root, "us-east-1")
	inst := newInstance(t, c, "acme", ctypes.DirectoryTypeSaml)
	user := newAgent(t, c, inst, "agent1")
	instARN := "arn:aws:connect:us-east-1:" + testAccount + ":instance/" + inst
	userARN := instARN + "/agent/" + user
	list := func(arn string) map[string]string {
		t.Helper()
		out, err := c.ListTagsForResource(ctx, &connect.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Tags
	}
	for _, arn := range []string{instARN, userARN} {
		if got := list(arn); len(got) != 0 {
			t.Errorf("%s starts with tags %v", arn, got)
		}
		if _, err := c.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"team": "tier1", "cost": "42"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"team": "tier2"}}); err != nil {
			t.Fatal(err)
		}
		if got := list(arn); len(got) != 2 || got["team"] != "tier2" || got["cost"] != "42" {
			t.Errorf("%s tags %v", arn, got)
		}
		if _, err := c.UntagResource(ctx, &connect.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"cost", "absent"}}); err != nil {
			t.Fatal(err)
		}
		if got := list(arn); len(got) != 1 || got["team"] != "tier2" {
			t.Errorf("%s tags after untag %v", arn, got)
		}
	}
	d, err := c.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(inst), UserId: aws.String(user)})
	if err != nil || d.User.Tags["team"] != "tier2" {
		t.Errorf("DescribeUser's tags: %v, %v", d, err)
	}
	in, err := c.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(inst)})
	if err != nil || in.Instance.Tags["team"] != "tier2" {
		t.Errorf("DescribeInstance's tags: %v, %v", in, err)
	}

	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprintf("k%02d", i)] = "v"
	}
	_, err = c.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String(instARN), Tags: many})
	wantAPIError(t, err, "InvalidParameterException", 400, "at most 50 tags")
	_, err = c.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String("arn:aws:connect:us-east-1:" + testAccount + ":instance/" + inst + "/contact-flow/q"),
		Tags: map[string]string{"a": "b"}})
	wantAPIError(t, err, "InvalidParameterException", 400, "not the ARN of an instance, a user")
	_, err = c.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String("arn:aws:connect:us-east-1:" + testAccount + ":instance/" + inst + "/queue/q"),
		Tags: map[string]string{"a": "b"}})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "The queue q was not found in this instance.")
	_, err = c.ListTagsForResource(ctx, &connect.ListTagsForResourceInput{ResourceArn: aws.String(instARN + "/agent/aaaaaaaa-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "")
	_, err = c.ListTagsForResource(ctx, &connect.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:connect:us-east-1:" + testAccount + ":instance/aaaaaaaa-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "")
}

// SearchUsers through the SDK: string conditions of each comparison, AND/OR, a tag filter, and
// the SDK's paginator over 260 users.
func TestConnectSearchUsers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.connect(e.root, "us-east-1")
	inst := newInstance(t, c, "acme", ctypes.DirectoryTypeSaml)
	sid, rid := profileIDs(t, c, inst, "Agent", "Basic Routing Profile")
	for i := range 260 {
		team := []string{"red", "blue"}[i%2]
		_, err := c.CreateUser(ctx, &connect.CreateUserInput{InstanceId: aws.String(inst), Username: aws.String(fmt.Sprintf("agent%03d", i)),
			SecurityProfileIds: []string{sid}, RoutingProfileId: aws.String(rid),
			PhoneConfig:  &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone},
			IdentityInfo: &ctypes.UserIdentityInfo{FirstName: aws.String([]string{"Ada", "Grace", "Alan"}[i%3]), LastName: aws.String("Agent")},
			Tags:         map[string]string{"team": team}})
		if err != nil {
			t.Fatal(err)
		}
	}
	search := func(criteria *ctypes.UserSearchCriteria, filter *ctypes.UserSearchFilter) ([]string, int) {
		t.Helper()
		var names []string
		total := 0
		p := connect.NewSearchUsersPaginator(c, &connect.SearchUsersInput{InstanceId: aws.String(inst), SearchCriteria: criteria,
			SearchFilter: filter, MaxResults: aws.Int32(100)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range page.Users {
				names = append(names, aws.ToString(u.Username))
			}
			total = int(aws.ToInt64(page.ApproximateTotalCount))
		}
		return names, total
	}
	str := func(field, value string, cmp ctypes.StringComparisonType) ctypes.UserSearchCriteria {
		return ctypes.UserSearchCriteria{StringCondition: &ctypes.StringCondition{FieldName: aws.String(field), Value: aws.String(value), ComparisonType: cmp}}
	}
	all, total := search(nil, nil)
	if len(all) != 260 || total != 260 || all[0] != "agent000" || all[259] != "agent259" {
		t.Errorf("every user: %d (total %d), first %q", len(all), total, all[0])
	}
	exact := str("Username", "agent042", ctypes.StringComparisonTypeExact)
	if got, _ := search(&exact, nil); len(got) != 1 || got[0] != "agent042" {
		t.Errorf("EXACT username: %v", got)
	}
	prefix := str("Username", "AGENT01", ctypes.StringComparisonTypeStartsWith)
	if got, _ := search(&prefix, nil); len(got) != 10 {
		t.Errorf("STARTS_WITH agent01 (any case): %v", got)
	}
	and := ctypes.UserSearchCriteria{AndConditions: []ctypes.UserSearchCriteria{prefix, str("FirstName", "ada", ctypes.StringComparisonTypeContains)}}
	if got, _ := search(&and, nil); len(got) != 3 { // agent012, 015, 018 are Ada (i%3 == 0)
		t.Errorf("AND: %v", got)
	}
	or := ctypes.UserSearchCriteria{OrConditions: []ctypes.UserSearchCriteria{exact, str("Username", "agent100", ctypes.StringComparisonTypeExact)}}
	if got, _ := search(&or, nil); len(got) != 2 {
		t.Errorf("OR: %v", got)
	}
	red := &ctypes.UserSearchFilter{TagFilter: &ctypes.ControlPlaneTagFilter{TagCondition: &ctypes.TagCondition{TagKey: aws.String("team"), TagValue: aws.String("red")}}}
	if got, total := search(&prefix, red); len(got) != 5 || total != 5 {
		t.Errorf("STARTS_WITH agent01 and team red: %v (%d)", got, total)
	}
	_, err := c.SearchUsers(ctx, &connect.SearchUsersInput{InstanceId: aws.String(inst), SearchCriteria: &ctypes.UserSearchCriteria{
		StringCondition: &ctypes.StringCondition{FieldName: aws.String("Email"), Value: aws.String("x"), ComparisonType: ctypes.StringComparisonTypeExact}}})
	wantAPIError(t, err, "InvalidParameterException", 400, "FieldName Email is not searchable")
	_, err = c.SearchUsers(ctx, &connect.SearchUsersInput{InstanceId: aws.String(inst), NextToken: aws.String("not-a-token!")})
	wantAPIError(t, err, "InvalidParameterException", 400, "NextToken")
}

// The tags a request asks for are in its policy context: aws:RequestTag/KEY and aws:TagKeys.
func TestConnectTagConditions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.connect(e.root, "us-east-1")
	inst := newInstance(t, admin, "acme", ctypes.DirectoryTypeSaml)
	instARN := "arn:aws:connect:us-east-1:" + testAccount + ":instance/" + inst
	tagger := e.newUser("tagger", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"connect:TagResource","Resource":"*",
		 "Condition":{"StringEquals":{"aws:RequestTag/team":["tier1","tier2"]},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}},
		{"Effect":"Allow","Action":"connect:UntagResource","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}]}`)
	c := e.connect(tagger, "us-east-1")
	tag := func(tags map[string]string) error {
		_, err := c.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String(instARN), Tags: tags})
		return err
	}
	if err := tag(map[string]string{"team": "tier2"}); err != nil {
		t.Errorf("a tag the policy allows: %v", err)
	}
	wantAPIError(t, tag(map[string]string{"team": "tier3"}), "AccessDeniedException", 403, "connect:TagResource")
	wantAPIError(t, tag(map[string]string{"team": "tier1", "cost": "42"}), "AccessDeniedException", 403, "connect:TagResource")
	if _, err := c.UntagResource(ctx, &connect.UntagResourceInput{ResourceArn: aws.String(instARN), TagKeys: []string{"team"}}); err != nil {
		t.Errorf("an untag the policy allows: %v", err)
	}
	_, err := c.UntagResource(ctx, &connect.UntagResourceInput{ResourceArn: aws.String(instARN), TagKeys: []string{"cost"}})
	wantAPIError(t, err, "AccessDeniedException", 403, "connect:UntagResource")
}

// The user hierarchy through the SDK: a structure, groups under one another with their path, a
// user put in a group and found by it, the refusals of a level without name, a taken name, a
// group in use and a level in use.
func TestConnectHierarchy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.connect(e.root, "us-east-1")
	inst := newInstance(t, c, "acme", ctypes.DirectoryTypeSaml)
	user := newAgent(t, c, inst, "agent1")

	_, err := c.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: aws.String(inst), Name: aws.String("Paris")})
	wantAPIError(t, err, "InvalidRequestException", 400, "has no level 1")
	_, err = c.UpdateUserHierarchyStructure(ctx, &connect.UpdateUserHierarchyStructureInput{InstanceId: aws.String(inst),
		HierarchyStructure: &ctypes.HierarchyStructureUpdate{LevelTwo: &ctypes.HierarchyLevelUpdate{Name: aws.String("Team")}}})
	wantAPIError(t, err, "InvalidParameterException", 400, "without gaps")
	if _, err := c.UpdateUserHierarchyStructure(ctx, &connect.UpdateUserHierarchyStructureInput{InstanceId: aws.String(inst),
		HierarchyStructure: &ctypes.HierarchyStructureUpdate{LevelOne: &ctypes.HierarchyLevelUpdate{Name: aws.String("Site")},
			LevelTwo: &ctypes.HierarchyLevelUpdate{Name: aws.String("Team")}}}); err != nil {
		t.Fatal(err)
	}
	structure, err := c.DescribeUserHierarchyStructure(ctx, &connect.DescribeUserHierarchyStructureInput{InstanceId: aws.String(inst)})
	if err != nil || aws.ToString(structure.HierarchyStructure.LevelOne.Name) != "Site" || aws.ToString(structure.HierarchyStructure.LevelTwo.Name) != "Team" ||
		structure.HierarchyStructure.LevelThree != nil {
		t.Fatalf("DescribeUserHierarchyStructure = %+v, %v", structure, err)
	}

	paris, err := c.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: aws.String(inst), Name: aws.String("Paris")})
	if err != nil {
		t.Fatal(err)
	}
	tier1, err := c.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: aws.String(inst), Name: aws.String("Tier 1"),
		ParentGroupId: paris.HierarchyGroupId, Tags: map[string]string{"cost": "42"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: aws.String(inst), Name: aws.String("Deeper"),
		ParentGroupId: tier1.HierarchyGroupId})
	wantAPIError(t, err, "InvalidRequestException", 400, "has no level 3")
	_, err = c.CreateUserHierarchyGroup(ctx, &connect.CreateUserHierarchyGroupInput{InstanceId: aws.String(inst), Name: aws.String("Paris")})
	wantAPIError(t, err, "DuplicateResourceException", 409, "Paris")
	g, err := c.DescribeUserHierarchyGroup(ctx, &connect.DescribeUserHierarchyGroupInput{InstanceId: aws.String(inst), HierarchyGroupId: tier1.HierarchyGroupId})
	if err != nil {
		t.Fatal(err)
	}
	hg := g.HierarchyGroup
	if aws.ToString(hg.LevelId) != "2" || aws.ToString(hg.HierarchyPath.LevelOne.Name) != "Paris" || aws.ToString(hg.HierarchyPath.LevelTwo.Name) != "Tier 1" ||
		hg.Tags["cost"] != "42" || aws.ToString(hg.Arn) != aws.ToString(tier1.HierarchyGroupArn) {
		t.Errorf("DescribeUserHierarchyGroup = %+v", hg)
	}
	groups, err := c.ListUserHierarchyGroups(ctx, &connect.ListUserHierarchyGroupsInput{InstanceId: aws.String(inst)})
	if err != nil || len(groups.UserHierarchyGroupSummaryList) != 2 {
		t.Errorf("ListUserHierarchyGroups = %+v, %v", groups, err)
	}
	if _, err := c.UpdateUserHierarchyGroupName(ctx, &connect.UpdateUserHierarchyGroupNameInput{InstanceId: aws.String(inst),
		HierarchyGroupId: tier1.HierarchyGroupId, Name: aws.String("Tier One")}); err != nil {
		t.Fatal(err)
	}
	// The group's tags, by its ARN, keep the ones it was created with.
	if _, err := c.TagResource(ctx, &connect.TagResourceInput{ResourceArn: tier1.HierarchyGroupArn, Tags: map[string]string{"site": "paris"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &connect.UntagResourceInput{ResourceArn: tier1.HierarchyGroupArn, TagKeys: []string{"cost"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &connect.ListTagsForResourceInput{ResourceArn: tier1.HierarchyGroupArn})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["site"] != "paris" {
		t.Errorf("the group's tags: %v, %v", tags, err)
	}
	if g, _ := c.DescribeUserHierarchyGroup(ctx, &connect.DescribeUserHierarchyGroupInput{InstanceId: aws.String(inst),
		HierarchyGroupId: tier1.HierarchyGroupId}); aws.ToString(g.HierarchyGroup.Name) != "Tier One" || g.HierarchyGroup.Tags["site"] != "paris" {
		t.Errorf("after the rename and the tags: %+v", g.HierarchyGroup)
	}
	_, err = c.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String(aws.ToString(paris.HierarchyGroupArn) + "x"), Tags: map[string]string{"a": "b"}})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "hierarchy group")

	// A user in the group: found by it, and the group is in use.
	if _, err := c.UpdateUserHierarchy(ctx, &connect.UpdateUserHierarchyInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		HierarchyGroupId: tier1.HierarchyGroupId}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(inst), UserId: aws.String(user)})
	if err != nil || aws.ToString(d.User.HierarchyGroupId) != aws.ToString(tier1.HierarchyGroupId) {
		t.Errorf("the user's group: %v, %v", d, err)
	}
	found, err := c.SearchUsers(ctx, &connect.SearchUsersInput{InstanceId: aws.String(inst), SearchCriteria: &ctypes.UserSearchCriteria{
		HierarchyGroupCondition: &ctypes.HierarchyGroupCondition{Value: tier1.HierarchyGroupId, HierarchyGroupMatchType: ctypes.HierarchyGroupMatchTypeExact}}})
	if err != nil || len(found.Users) != 1 {
		t.Errorf("SearchUsers by group: %+v, %v", found, err)
	}
	// The user is under Paris: found by it with its child groups, not by it exactly.
	for match, want := range map[ctypes.HierarchyGroupMatchType]int{ctypes.HierarchyGroupMatchTypeWithChildGroups: 1, ctypes.HierarchyGroupMatchTypeExact: 0} {
		found, err := c.SearchUsers(ctx, &connect.SearchUsersInput{InstanceId: aws.String(inst), SearchCriteria: &ctypes.UserSearchCriteria{
			OrConditions: []ctypes.UserSearchCriteria{{HierarchyGroupCondition: &ctypes.HierarchyGroupCondition{Value: paris.HierarchyGroupId,
				HierarchyGroupMatchType: match}}}}})
		if err != nil || len(found.Users) != want {
			t.Errorf("SearchUsers under Paris, %s: %+v, %v; want %d users", match, found, err, want)
		}
	}
	_, err = c.DeleteUserHierarchyGroup(ctx, &connect.DeleteUserHierarchyGroupInput{InstanceId: aws.String(inst), HierarchyGroupId: tier1.HierarchyGroupId})
	wantAPIError(t, err, "ResourceInUseException", 409, "has 1 users")
	_, err = c.DeleteUserHierarchyGroup(ctx, &connect.DeleteUserHierarchyGroupInput{InstanceId: aws.String(inst), HierarchyGroupId: paris.HierarchyGroupId})
	wantAPIError(t, err, "ResourceInUseException", 409, "child groups")
	_, err = c.UpdateUserHierarchyStructure(ctx, &connect.UpdateUserHierarchyStructureInput{InstanceId: aws.String(inst),
		HierarchyStructure: &ctypes.HierarchyStructureUpdate{LevelOne: &ctypes.HierarchyLevelUpdate{Name: aws.String("Site")}}})
	wantAPIError(t, err, "ResourceInUseException", 409, "Level 2")
	_, err = c.UpdateUserHierarchy(ctx, &connect.UpdateUserHierarchyInput{InstanceId: aws.String(inst), UserId: aws.String(user),
		HierarchyGroupId: aws.String("aaaaaaaa-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "hierarchy group")

	// Out of the group, the group goes, then its parent.
	if _, err := c.UpdateUserHierarchy(ctx, &connect.UpdateUserHierarchyInput{InstanceId: aws.String(inst), UserId: aws.String(user)}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []*string{tier1.HierarchyGroupId, paris.HierarchyGroupId} {
		if _, err := c.DeleteUserHierarchyGroup(ctx, &connect.DeleteUserHierarchyGroupInput{InstanceId: aws.String(inst), HierarchyGroupId: id}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.DescribeUserHierarchyGroup(ctx, &connect.DescribeUserHierarchyGroupInput{InstanceId: aws.String(inst), HierarchyGroupId: paris.HierarchyGroupId})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "hierarchy group")
}

// Approved origins through the SDK: approved, listed by the SDK's paginator, withdrawn, with the
// refusals of a taken, a malformed and an unknown origin.
func TestConnectApprovedOrigins(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.connect(e.root, "us-east-1")
	inst := newInstance(t, c, "acme", ctypes.DirectoryTypeSaml)
	var want []string
	for i := range 30 {
		o := fmt.Sprintf("https://agents%02d.example.com", i)
		want = append(want, o)
		if _, err := c.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: aws.String(inst), Origin: aws.String(o)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	pages := 0
	p := connect.NewListApprovedOriginsPaginator(c, &connect.ListApprovedOriginsInput{InstanceId: aws.String(inst)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, page.Origins...)
	}
	if !slices.Equal(got, want) || pages != 2 {
		t.Errorf("%d pages of %v", pages, got)
	}
	_, err := c.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: aws.String(inst), Origin: aws.String(want[0])})
	wantAPIError(t, err, "ResourceConflictException", 409, "already approved")
	_, err = c.AssociateApprovedOrigin(ctx, &connect.AssociateApprovedOriginInput{InstanceId: aws.String(inst), Origin: aws.String("https://agents.example.com/ccp")})
	wantAPIError(t, err, "InvalidParameterException", 400, "is not an origin")
	if _, err := c.DisassociateApprovedOrigin(ctx, &connect.DisassociateApprovedOriginInput{InstanceId: aws.String(inst), Origin: aws.String(want[0])}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DisassociateApprovedOrigin(ctx, &connect.DisassociateApprovedOriginInput{InstanceId: aws.String(inst), Origin: aws.String(want[0])})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "not approved")
}
