package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func (e *env) connect(c aws.Credentials, region string) *connect.Client {
	cfg := e.config(c)
	cfg.Region = region
	return connect.NewFromConfig(cfg)
}

// newInstance creates an instance and returns its id.
func newInstance(t testing.TB, c *connect.Client, alias string, kind ctypes.DirectoryType) string {
	t.Helper()
	out, err := c.CreateInstance(context.Background(), &connect.CreateInstanceInput{IdentityManagementType: kind,
		InstanceAlias: aws.String(alias), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Id)
}

// profileIDs returns the id of the security profile and routing profile with these names.
func profileIDs(t testing.TB, c *connect.Client, instance, security, routing string) (string, string) {
	t.Helper()
	ctx := context.Background()
	// One page of the largest size: tests that list many profiles look for these in it.
	sp, err := c.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: aws.String(instance), MaxResults: aws.Int32(1000)})
	if err != nil {
		t.Fatal(err)
	}
	rp, err := c.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: aws.String(instance), MaxResults: aws.Int32(1000)})
	if err != nil {
		t.Fatal(err)
	}
	var sid, rid string
	for _, p := range sp.SecurityProfileSummaryList {
		if aws.ToString(p.Name) == security {
			sid = aws.ToString(p.Id)
		}
	}
	for _, p := range rp.RoutingProfileSummaryList {
		if aws.ToString(p.Name) == routing {
			rid = aws.ToString(p.Id)
		}
	}
	if sid == "" || rid == "" {
		t.Fatalf("no security profile %q (%q) or routing profile %q (%q)", security, sid, routing, rid)
	}
	return sid, rid
}

func newAgent(t testing.TB, c *connect.Client, instance, username string) string {
	t.Helper()
	sid, rid := profileIDs(t, c, instance, "Agent", "Basic Routing Profile")
	out, err := c.CreateUser(context.Background(), &connect.CreateUserInput{InstanceId: aws.String(instance),
		Username: aws.String(username), SecurityProfileIds: []string{sid}, RoutingProfileId: aws.String(rid),
		PhoneConfig: &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.UserId)
}

func TestConnectInstances(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.connect(e.root, "us-east-1")

	out, err := c.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeSaml,
		InstanceAlias: aws.String("acme"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	id, arn := aws.ToString(out.Id), aws.ToString(out.Arn)
	if arn != "arn:aws:connect:us-east-1:"+testAccount+":instance/"+id || len(id) != 36 {
		t.Fatalf("Id %q, Arn %q", id, arn)
	}
	for _, ref := range []string{id, arn} {
		d, err := c.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(ref)})
		if err != nil {
			t.Fatalf("DescribeInstance(%s): %v", ref, err)
		}
		in := d.Instance
		if aws.ToString(in.Id) != id || aws.ToString(in.InstanceAlias) != "acme" || in.IdentityManagementType != ctypes.DirectoryTypeSaml ||
			in.InstanceStatus != ctypes.InstanceStatusActive || !aws.ToBool(in.InboundCallsEnabled) || aws.ToBool(in.OutboundCallsEnabled) {
			t.Errorf("instance = %+v", in)
		}
		if d := time.Since(aws.ToTime(in.CreatedTime)); d < -time.Minute || d > time.Minute {
			t.Errorf("CreatedTime = %v", in.CreatedTime)
		}
	}

	_, err = c.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeConnectManaged,
		InstanceAlias: aws.String("ACME"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	wantAPIError(t, err, "DuplicateResourceException", 409, "alias ACME already exists")
	_, err = c.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeSaml,
		InstanceAlias: aws.String("-bad"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	wantAPIError(t, err, "InvalidParameterException", 400, "at 'instanceAlias'")
	_, err = c.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeSaml,
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	wantAPIError(t, err, "InvalidRequestException", 400, "InstanceAlias is required")
	_, err = c.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeExistingDirectory,
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	wantAPIError(t, err, "InvalidRequestException", 400, "DirectoryId is required")
	_, err = c.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: "LDAP",
		InstanceAlias: aws.String("x"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	wantAPIError(t, err, "InvalidParameterException", 400, "at 'identityManagementType'")
	a := do(t, e.signedJSON(t, "PUT", "/instance", `{"IdentityManagementType":"SAML","InstanceAlias":"x"}`, e.root))
	if a.status != 400 || a.errorType != "InvalidParameterException" || !strings.Contains(a.jsonMessage(t), "'inboundCallsEnabled'") {
		t.Errorf("missing InboundCallsEnabled: %+v", a)
	}
	a = do(t, e.signedJSON(t, "PUT", "/instance", `{"IdentityManagementType":`, e.root))
	if a.status != 400 || a.errorType != "SerializationException" || !strings.Contains(a.jsonMessage(t), "not valid JSON") {
		t.Errorf("truncated JSON: %+v", a)
	}

	second := newInstance(t, c, "beta", ctypes.DirectoryTypeConnectManaged)
	first, err := c.ListInstances(ctx, &connect.ListInstancesInput{MaxResults: aws.Int32(1)})
	if err != nil || len(first.InstanceSummaryList) != 1 || first.NextToken == nil {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	rest, err := c.ListInstances(ctx, &connect.ListInstancesInput{NextToken: first.NextToken})
	if err != nil || len(rest.InstanceSummaryList) != 1 || rest.NextToken != nil {
		t.Fatalf("second page: %+v, %v", rest, err)
	}
	if got := aws.ToString(first.InstanceSummaryList[0].Id) + aws.ToString(rest.InstanceSummaryList[0].Id); !strings.Contains(got, id) || !strings.Contains(got, second) {
		t.Errorf("paging lost an instance")
	}
	_, err = c.ListInstances(ctx, &connect.ListInstancesInput{MaxResults: aws.Int32(11)})
	wantAPIError(t, err, "InvalidParameterException", 400, "at 'maxResults'")
	_, err = c.ListInstances(ctx, &connect.ListInstancesInput{NextToken: aws.String("%%%")})
	wantAPIError(t, err, "InvalidParameterException", 400, "NextToken")

	// Another region, or another account, sees nothing of it.
	west := e.connect(e.root, "us-west-2")
	_, err = west.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(id)})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "The specified instance was not found")
	_, err = c.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(strings.Replace(arn, "us-east-1", "us-west-2", 1))})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "not found")
	if l, err := west.ListInstances(ctx, &connect.ListInstancesInput{}); err != nil || len(l.InstanceSummaryList) != 0 {
		t.Errorf("us-west-2 lists %+v, %v", l, err)
	}
	other := e.connect(e.otherAccountRoot(), "us-east-1")
	_, err = other.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(id)})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "not found")
	_, err = other.DeleteInstance(ctx, &connect.DeleteInstanceInput{InstanceId: aws.String(id)})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "not found")

	if _, err := c.DeleteInstance(ctx, &connect.DeleteInstanceInput{InstanceId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(id)})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "not found")
	newInstance(t, c, "acme", ctypes.DirectoryTypeSaml) // the alias is free again
}

func TestConnectUsers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.connect(e.root, "us-east-1")
	inst := newInstance(t, c, "acme", ctypes.DirectoryTypeSaml)

	sp, err := c.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: aws.String(inst)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range sp.SecurityProfileSummaryList {
		names = append(names, aws.ToString(p.Name))
		if !strings.HasPrefix(aws.ToString(p.Arn), "arn:aws:connect:us-east-1:"+testAccount+":instance/"+inst+"/security-profile/") {
			t.Errorf("security profile ARN %q", aws.ToString(p.Arn))
		}
	}
	for _, want := range []string{"Admin", "Agent", "CallCenterManager", "QualityAnalyst"} {
		if !strings.Contains(strings.Join(names, ","), want) {
			t.Errorf("security profiles %v lack %s", names, want)
		}
	}
	sid, rid := profileIDs(t, c, inst, "Agent", "Basic Routing Profile")

	out, err := c.CreateUser(ctx, &connect.CreateUserInput{InstanceId: aws.String(inst), Username: aws.String("agent1"),
		SecurityProfileIds: []string{sid}, RoutingProfileId: aws.String(rid),
		IdentityInfo: &ctypes.UserIdentityInfo{FirstName: aws.String("Ada"), LastName: aws.String("Lovelace"), Email: aws.String("ada@example.com")},
		PhoneConfig:  &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeDeskPhone, DeskPhoneNumber: aws.String("+14155550100"), AfterContactWorkTimeLimit: 30},
		Tags:         map[string]string{"team": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	uid := aws.ToString(out.UserId)
	if aws.ToString(out.UserArn) != "arn:aws:connect:us-east-1:"+testAccount+":instance/"+inst+"/agent/"+uid {
		t.Errorf("UserArn %q", aws.ToString(out.UserArn))
	}
	d, err := c.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(inst), UserId: aws.String(uid)})
	if err != nil {
		t.Fatal(err)
	}
	u := d.User
	if aws.ToString(u.Username) != "agent1" || aws.ToString(u.IdentityInfo.FirstName) != "Ada" || u.PhoneConfig.PhoneType != ctypes.PhoneTypeDeskPhone ||
		aws.ToString(u.PhoneConfig.DeskPhoneNumber) != "+14155550100" || u.PhoneConfig.AfterContactWorkTimeLimit != 30 ||
		len(u.SecurityProfileIds) != 1 || u.SecurityProfileIds[0] != sid || aws.ToString(u.RoutingProfileId) != rid ||
		u.Tags["team"] != "blue" || aws.ToString(u.LastModifiedRegion) != "us-east-1" {
		t.Errorf("DescribeUser = %+v", u)
	}

	create := func(username string, mod func(*connect.CreateUserInput)) error {
		in := &connect.CreateUserInput{InstanceId: aws.String(inst), Username: aws.String(username),
			SecurityProfileIds: []string{sid}, RoutingProfileId: aws.String(rid)}
		if mod != nil {
			mod(in)
		}
		_, err := c.CreateUser(ctx, in)
		return err
	}
	wantAPIError(t, create("agent1", nil), "DuplicateResourceException", 409, "User agent1 already exists")
	if err := create("Agent1", nil); err != nil {
		t.Errorf("usernames are case-sensitive: %v", err)
	}
	wantAPIError(t, create("has space", nil), "InvalidParameterException", 400, "at 'username'")
	wantAPIError(t, create(strings.Repeat("a", 101), nil), "InvalidParameterException", 400, "less than or equal to 100")
	wantAPIError(t, create("bob", func(in *connect.CreateUserInput) { in.SecurityProfileIds = []string{"nope"} }),
		"InvalidParameterException", 400, "SecurityProfileIds")
	wantAPIError(t, create("bob", func(in *connect.CreateUserInput) { in.RoutingProfileId = aws.String("nope") }),
		"InvalidParameterException", 400, "RoutingProfileId")
	wantAPIError(t, create("bob", func(in *connect.CreateUserInput) { in.Password = aws.String("Passw0rdPassw0rd") }),
		"InvalidParameterException", 400, "Password is only valid")
	wantAPIError(t, create("bob", func(in *connect.CreateUserInput) {
		in.PhoneConfig = &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeDeskPhone}
	}), "InvalidParameterException", 400, "DeskPhoneNumber is required")
	wantAPIError(t, create("bob", func(in *connect.CreateUserInput) {
		in.PhoneConfig = &ctypes.UserPhoneConfig{PhoneType: "CARRIER_PIGEON"}
	}), "InvalidParameterException", 400, "at 'phoneConfig.phoneType'")
	wantAPIError(t, create("bob", func(in *connect.CreateUserInput) {
		in.IdentityInfo = &ctypes.UserIdentityInfo{Mobile: aws.String("555")}
	}), "InvalidParameterException", 400, "at 'identityInfo.mobile'")
	a := do(t, e.signedJSON(t, "PUT", "/users/"+inst, `{"Username":"bob","RoutingProfileId":"`+rid+`"}`, e.root))
	if a.status != 400 || a.errorType != "InvalidParameterException" || !strings.Contains(a.jsonMessage(t), "'securityProfileIds'") {
		t.Errorf("missing SecurityProfileIds: %+v", a)
	}

	managed := newInstance(t, c, "managed", ctypes.DirectoryTypeConnectManaged)
	msid, mrid := profileIDs(t, c, managed, "Agent", "Basic Routing Profile")
	mcreate := func(password *string) error {
		_, err := c.CreateUser(ctx, &connect.CreateUserInput{InstanceId: aws.String(managed), Username: aws.String("carol"),
			Password: password, SecurityProfileIds: []string{msid}, RoutingProfileId: aws.String(mrid)})
		return err
	}
	wantAPIError(t, mcreate(nil), "InvalidParameterException", 400, "Password is required")
	err = mcreate(aws.String("weakpassword"))
	wantAPIError(t, err, "InvalidParameterException", 400, "Password must be")
	if strings.Contains(err.Error(), "weakpassword") {
		t.Errorf("the error echoes the password: %v", err)
	}
	if err := mcreate(aws.String("Str0ngPassword")); err != nil {
		t.Errorf("a good password on a CONNECT_MANAGED instance: %v", err)
	}

	// Users page in username order: "Agent1" sorts before "agent1".
	var got []string
	var next *string
	for {
		page, err := c.ListUsers(ctx, &connect.ListUsersInput{InstanceId: aws.String(inst), MaxResults: aws.Int32(1), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.UserSummaryList {
			got = append(got, aws.ToString(u.Username))
		}
		if next = page.NextToken; next == nil {
			break
		}
	}
	if strings.Join(got, ",") != "Agent1,agent1" {
		t.Errorf("ListUsers paged %v", got)
	}
	_, err = c.ListUsers(ctx, &connect.ListUsersInput{InstanceId: aws.String(inst), MaxResults: aws.Int32(1001)})
	wantAPIError(t, err, "InvalidParameterException", 400, "less than or equal to 1000")

	if _, err := c.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: aws.String(inst), UserId: aws.String(uid)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(inst), UserId: aws.String(uid)})
	wantAPIError(t, err, "ResourceNotFoundException", 404, uid)
	_, err = c.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: aws.String(inst), UserId: aws.String(uid)})
	wantAPIError(t, err, "ResourceNotFoundException", 404, uid)
	_, err = c.ListUsers(ctx, &connect.ListUsersInput{InstanceId: aws.String("00000000-0000-0000-0000-000000000000")})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "not found")
}

func TestGetFederationToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.connect(e.root, "us-east-1")
	inst := newInstance(t, admin, "acme", ctypes.DirectoryTypeSaml)
	agentID := newAgent(t, admin, inst, "agent1")
	aliceID := newAgent(t, admin, inst, "alice")
	managed := newInstance(t, admin, "managed", ctypes.DirectoryTypeConnectManaged)

	alice := e.newAgentUser("alice")
	role := e.newAgentRole()
	session, _, err := assume(e, alice, role, "agent1", 0)
	if err != nil {
		t.Fatal(err)
	}
	federate := func(c aws.Credentials, ref string) (*connect.GetFederationTokenOutput, error) {
		return e.connect(c, "us-east-1").GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(ref)})
	}

	out, err := federate(session, inst)
	if err != nil {
		t.Fatal(err)
	}
	cr := out.Credentials
	if aws.ToString(cr.AccessToken) == "" || aws.ToString(cr.RefreshToken) == "" || aws.ToString(cr.AccessToken) == aws.ToString(cr.RefreshToken) {
		t.Errorf("credentials = %+v", cr)
	}
	if d := time.Until(aws.ToTime(cr.AccessTokenExpiration)); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("access token expires in %v, want the default hour", d)
	}
	if d := time.Until(aws.ToTime(cr.RefreshTokenExpiration)); d < 11*time.Hour || d > 13*time.Hour {
		t.Errorf("refresh token expires in %v, want the default 12 hours", d)
	}
	if aws.ToString(out.UserId) != agentID || aws.ToString(out.UserArn) != "arn:aws:connect:us-east-1:"+testAccount+":instance/"+inst+"/agent/"+agentID {
		t.Errorf("UserId %q, UserArn %q", aws.ToString(out.UserId), aws.ToString(out.UserArn))
	}
	if link := aws.ToString(out.SignInUrl); !strings.HasPrefix(link, e.url+"/federation/signin?token=cfs1_") ||
		strings.Contains(link, aws.ToString(cr.AccessToken)) {
		t.Errorf("SignInUrl %q: want a sign-in token, never the access token", link)
	}
	again, err := federate(session, "arn:aws:connect:us-east-1:"+testAccount+":instance/"+inst)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(again.Credentials.AccessToken) == aws.ToString(cr.AccessToken) || aws.ToString(again.Credentials.RefreshToken) == aws.ToString(cr.RefreshToken) {
		t.Errorf("two calls returned the same token")
	}
	if byUser, err := federate(alice, inst); err != nil || aws.ToString(byUser.UserId) != aliceID {
		t.Errorf("IAM user alice federates as Connect user alice: %v, %v", byUser, err)
	}

	// The error table of GetFederationToken.
	_, err = federate(e.root, inst)
	wantAPIError(t, err, "InvalidRequestException", 400,
		"Provided identity: Principal: arn:aws:iam::"+testAccount+":root User: "+testAccount+" cannot be used for federation with Amazon Connect")
	wrongCase, _, err := assume(e, alice, role, "Agent1", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = federate(wrongCase, inst)
	wantAPIError(t, err, "UserNotFoundException", 404, "No user with the specified credentials was found")
	_, err = federate(session, "00000000-0000-0000-0000-000000000000")
	wantAPIError(t, err, "ResourceNotFoundException", 404, "The specified instance was not found")
	_, err = federate(session, strings.Repeat("a", 101))
	wantAPIError(t, err, "InvalidParameterException", 400, "Member must have length less than or equal to 100")
	_, err = federate(session, "abc$def")
	wantAPIError(t, err, "InvalidParameterException", 400, "at 'instanceId'")
	_, err = federate(session, managed)
	wantAPIError(t, err, "InvalidRequestException", 400, "only for instances that use SAML")
	_, err = federate(session, "arn:aws:connect:eu-west-1:"+testAccount+":instance/"+inst)
	wantAPIError(t, err, "ResourceNotFoundException", 404, "not found")
	_, err = e.connect(session, "eu-west-1").GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(inst)})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "not found")
	a := do(t, e.signedJSON(t, "GET", "/user/federate/", "", session))
	if a.status != 400 || a.errorType != "InvalidParameterException" {
		t.Errorf("empty InstanceId: %+v", a)
	}
}

// Warm caches must not let a deleted user or a deactivated key through.
func TestFederationRefusesWhatWasRemovedWhileWarm(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.connect(e.root, "us-east-1")
	inst := newInstance(t, admin, "acme", ctypes.DirectoryTypeSaml)
	agentID := newAgent(t, admin, inst, "agent1")
	newAgent(t, admin, inst, "alice")
	alice := e.newAgentUser("alice")
	role := e.newAgentRole()
	session, _, err := assume(e, alice, role, "agent1", 0)
	if err != nil {
		t.Fatal(err)
	}
	federate := func(c aws.Credentials) error {
		_, err := e.connect(c, "us-east-1").GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(inst)})
		return err
	}
	for i := 0; i < 2; i++ { // warm
		if err := federate(session); err != nil {
			t.Fatal(err)
		}
		if err := federate(alice); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: aws.String(inst), UserId: aws.String(agentID)}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, federate(session), "UserNotFoundException", 404, "No user with the specified credentials was found")

	if _, err := e.iam(e.root).UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"),
		AccessKeyId: aws.String(alice.AccessKeyID), Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, federate(alice), "UnrecognizedClientException", 403, "The security token included in the request is invalid.")

	if _, err := admin.DeleteInstance(ctx, &connect.DeleteInstanceInput{InstanceId: aws.String(inst)}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, federate(session), "ResourceNotFoundException", 404, "not found")
}

// signedJSON is a restJson1 request signed for connect by the SDK's signer, for bodies the
// SDK's own validation would not send.
func (e *env) signedJSON(t *testing.T, method, path, body string, c aws.Credentials) *http.Request {
	t.Helper()
	return e.signed(t, "connect", method, path, body, c)
}

// CreateInstance keeps what it is given: a retry with its ClientToken returns the instance the
// first call created, and DescribeInstance shows the tags.
func TestConnectCreateInstanceIdempotentWithTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.connect(e.root, "us-east-1")
	in := &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeSaml, ClientToken: aws.String("retry-me"),
		InstanceAlias: aws.String("tagged"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true),
		Tags: map[string]string{"team": "support", "env": "ci"}}
	first, err := c.CreateInstance(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateInstance(ctx, in)
	if err != nil || aws.ToString(again.Id) != aws.ToString(first.Id) || aws.ToString(again.Arn) != aws.ToString(first.Arn) {
		t.Fatalf("the retry made %v (%v), want %s", again, err, aws.ToString(first.Id))
	}
	d, err := c.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: first.Id})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Instance.Tags; len(got) != 2 || got["team"] != "support" || got["env"] != "ci" {
		t.Errorf("Tags = %v", got)
	}
	list, err := c.ListInstances(ctx, &connect.ListInstancesInput{})
	if err != nil || len(list.InstanceSummaryList) != 1 {
		t.Fatalf("ListInstances: %+v, %v (the retry must not make a second instance)", list, err)
	}
	// The token with other parameters is a mistake, not a retry.
	other := *in
	other.InstanceAlias = aws.String("another")
	_, err = c.CreateInstance(ctx, &other)
	wantAPIError(t, err, "InvalidRequestException", 400, "The ClientToken was already used to create instance "+aws.ToString(first.Id)+" with other parameters.")
}
