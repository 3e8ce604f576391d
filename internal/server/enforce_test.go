package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/connectfed/connectfed/internal/identity"
)

// notAuthorized is AWS's denial sentence.
func notAuthorized(caller, action, resource, why string) string {
	return "User: " + caller + " is not authorized to perform: " + action + " on resource: " + resource + " " + why
}

func noIdentityPolicy(action string) string {
	return "because no identity-based policy allows the " + action + " action"
}

// enforcement is two SAML instances with agent1 in each, and the ARNs tests name them by.
type enforcement struct {
	e          *env
	a, b       string // instance ids
	arnA, arnB string
}

func newEnforcement(t *testing.T) *enforcement {
	e := newEnv(t)
	admin := e.connect(e.root, "us-east-1")
	x := &enforcement{e: e}
	x.a = newInstance(t, admin, "alpha", ctypes.DirectoryTypeSaml)
	x.b = newInstance(t, admin, "beta", ctypes.DirectoryTypeSaml)
	newAgent(t, admin, x.a, "agent1")
	newAgent(t, admin, x.b, "agent1")
	x.arnA = "arn:aws:connect:us-east-1:" + testAccount + ":instance/" + x.a
	x.arnB = "arn:aws:connect:us-east-1:" + testAccount + ":instance/" + x.b
	return x
}

func (x *enforcement) federate(c aws.Credentials, instance string) (*connect.GetFederationTokenOutput, error) {
	return x.e.connect(c, "us-east-1").GetFederationToken(context.Background(), &connect.GetFederationTokenInput{InstanceId: aws.String(instance)})
}

// The first case: a role session whose only policy is the one AWS documents gets a
// token for its own Connect user in that instance, and AWS's AccessDeniedException for another
// instance, for DescribeInstance and for iam:CreateUser.
func TestEnforcementDocumentedPolicy(t *testing.T) {
	x := newEnforcement(t)
	e, ctx := x.e, context.Background()
	ops := e.newUser("ops", allow("sts:AssumeRole", "arn:aws:iam::"+testAccount+":role/ConnectAgent"))
	e.newRole("ConnectAgent", testAccount, 3600)
	e.grantRole("ConnectAgent", "connect-federation", documentedPolicy(x.arnA))
	session, out, err := assume(e, ops, "arn:aws:iam::"+testAccount+":role/ConnectAgent", "agent1", 0)
	if err != nil {
		t.Fatal(err)
	}
	me := aws.ToString(out.AssumedRoleUser.Arn)
	userid := aws.ToString(out.AssumedRoleUser.AssumedRoleId)

	if _, err := x.federate(session, x.a); err != nil {
		t.Fatalf("the documented policy's own instance: %v", err)
	}
	_, err = x.federate(session, x.b)
	wantAPIError(t, err, "AccessDeniedException", 403, notAuthorized(me, "connect:GetFederationToken",
		x.arnB+"/user/"+userid, noIdentityPolicy("connect:GetFederationToken")))
	_, err = e.connect(session, "us-east-1").DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(x.a)})
	wantAPIError(t, err, "AccessDeniedException", 403, notAuthorized(me, "connect:DescribeInstance", x.arnA, noIdentityPolicy("connect:DescribeInstance")))
	_, err = e.iam(session).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantAPIError(t, err, "AccessDenied", 403, notAuthorized(me, "iam:CreateUser", "arn:aws:iam::"+testAccount+":user/mallory", noIdentityPolicy("iam:CreateUser")))
	// What needs no permission still works.
	wantCaller(t, e, session, me)
}

// The other form AWS documents: any resource, with a condition on connect:InstanceId.
func TestEnforcementInstanceCondition(t *testing.T) {
	x := newEnforcement(t)
	e := x.e
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"*",
		"Condition":{"StringEquals":{"connect:InstanceId":"` + x.a + `"}}}]}`
	agent := e.newUser("agent1x", doc)
	admin := e.connect(e.root, "us-east-1")
	newAgent(t, admin, x.a, "agent1x")
	newAgent(t, admin, x.b, "agent1x")
	if _, err := x.federate(agent, x.a); err != nil {
		t.Fatalf("the condition's instance: %v", err)
	}
	// By ARN too: the condition key is the instance's id either way.
	if _, err := x.federate(agent, x.arnA); err != nil {
		t.Fatalf("the condition's instance by ARN: %v", err)
	}
	_, err := x.federate(agent, x.b)
	wantAPIError(t, err, "AccessDeniedException", 403, noIdentityPolicy("connect:GetFederationToken"))

	// SearchUsers names its instance in its body: the key is read from there.
	searcher := e.newUser("searcher", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:SearchUsers",
		"Resource":"*","Condition":{"StringEquals":{"connect:InstanceId":"`+x.a+`"}}}]}`)
	search := func(inst string) error {
		_, err := e.connect(searcher, "us-east-1").SearchUsers(context.Background(), &connect.SearchUsersInput{InstanceId: aws.String(inst)})
		return err
	}
	if err := search(x.a); err != nil {
		t.Errorf("SearchUsers in the condition's instance: %v", err)
	}
	if err := search(x.arnA); err != nil {
		t.Errorf("SearchUsers in the condition's instance by ARN: %v", err)
	}
	wantAPIError(t, search(x.b), "AccessDeniedException", 403, noIdentityPolicy("connect:SearchUsers"))
}

// An IAM user without a policy may call nothing but what needs no permission.
func TestEnforcementNoPolicy(t *testing.T) {
	x := newEnforcement(t)
	e, ctx := x.e, context.Background()
	bob := e.newUser("bob")
	me := "arn:aws:iam::" + testAccount + ":user/bob"
	wantCaller(t, e, bob, me)
	_, err := e.iam(bob).ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", 403, notAuthorized(me, "iam:ListUsers", "*", noIdentityPolicy("iam:ListUsers")))
	_, err = e.iam(bob).GetUser(ctx, &iam.GetUserInput{})
	wantAPIError(t, err, "AccessDenied", 403, notAuthorized(me, "iam:GetUser", me, noIdentityPolicy("iam:GetUser")))
	_, err = e.connect(bob, "us-east-1").ListInstances(ctx, &connect.ListInstancesInput{})
	wantAPIError(t, err, "AccessDeniedException", 403, notAuthorized(me, "connect:ListInstances", "*", noIdentityPolicy("connect:ListInstances")))
	_, err = x.federate(bob, x.a)
	wantAPIError(t, err, "AccessDeniedException", 403, "connect:GetFederationToken")
	role := e.newRole("Agent", testAccount, 3600)
	_, _, err = assume(e, bob, role, "s1", 0)
	wantAPIError(t, err, "AccessDenied", 403, notAuthorized(me, "sts:AssumeRole", role, noIdentityPolicy("sts:AssumeRole")))
}

// An explicit Deny beats any Allow, in an inline or an attached policy.
func TestEnforcementExplicitDeny(t *testing.T) {
	x := newEnforcement(t)
	e, ctx := x.e, context.Background()
	carol := e.newUser("carol", allow("connect:*", "*"))
	me := "arn:aws:iam::" + testAccount + ":user/carol"
	describe := func() error {
		_, err := e.connect(carol, "us-east-1").DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(x.b)})
		return err
	}
	if err := describe(); err != nil {
		t.Fatal(err)
	}
	p, err := e.iam(e.root).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("NoBeta"),
		PolicyDocument: aws.String(deny("connect:Describe*", x.arnB))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam(e.root).AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: p.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, describe(), "AccessDeniedException", 403,
		notAuthorized(me, "connect:DescribeInstance", x.arnB, "with an explicit deny in an identity-based policy"))
	// Detached, the Allow stands again: every policy write reaches the cache.
	if _, err := e.iam(e.root).DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: p.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	if err := describe(); err != nil {
		t.Fatalf("after the detach: %v", err)
	}
}

// A permissions boundary narrows what a role's policies allow; its sessions are refused what
// the boundary does not allow, with AWS's boundary sentence.
func TestEnforcementPermissionsBoundary(t *testing.T) {
	x := newEnforcement(t)
	e, ctx := x.e, context.Background()
	ops := e.newUser("ops", allow("sts:AssumeRole", "*"))
	role := e.newRole("Supervisor", testAccount, 3600)
	e.grantRole("Supervisor", "everything-connect", allow("connect:*", "*"))
	b, err := e.iam(e.root).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("OnlyFederation"),
		PolicyDocument: aws.String(allow("connect:GetFederationToken", "*"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam(e.root).PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("Supervisor"),
		PermissionsBoundary: b.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	got, err := e.iam(e.root).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Supervisor")})
	if err != nil || got.Role.PermissionsBoundary == nil || aws.ToString(got.Role.PermissionsBoundary.PermissionsBoundaryArn) != aws.ToString(b.Policy.Arn) ||
		got.Role.PermissionsBoundary.PermissionsBoundaryType != "PermissionsBoundaryPolicy" {
		t.Fatalf("GetRole's boundary: %+v, %v", got.Role.PermissionsBoundary, err)
	}
	session, out, err := assume(e, ops, role, "agent1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.federate(session, x.a); err != nil {
		t.Fatalf("what both allow: %v", err)
	}
	_, err = e.connect(session, "us-east-1").DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(x.a)})
	wantAPIError(t, err, "AccessDeniedException", 403, notAuthorized(aws.ToString(out.AssumedRoleUser.Arn), "connect:DescribeInstance", x.arnA,
		"because no permissions boundary allows the connect:DescribeInstance action"))

	// Without the boundary the role's own policy decides again.
	if _, err := e.iam(e.root).DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("Supervisor")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.connect(session, "us-east-1").DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(x.a)}); err != nil {
		t.Errorf("without the boundary: %v", err)
	}
}

// Session policies (AssumeRole's Policy and PolicyArns) narrow one session and not the role.
func TestEnforcementSessionPolicy(t *testing.T) {
	x := newEnforcement(t)
	e, ctx := x.e, context.Background()
	ops := e.newUser("ops", allow("sts:AssumeRole", "*"))
	role := e.newRole("Supervisor", testAccount, 3600)
	e.grantRole("Supervisor", "everything-connect", allow("connect:*", "*"))
	out, err := e.sts(ops).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("agent1"),
		Policy: aws.String(documentedPolicy(x.arnA))})
	if err != nil {
		t.Fatal(err)
	}
	if out.PackedPolicySize == nil || *out.PackedPolicySize <= 0 {
		t.Errorf("PackedPolicySize = %v, want a percentage", out.PackedPolicySize)
	}
	narrow := aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(out.Credentials.SessionToken)}
	me := aws.ToString(out.AssumedRoleUser.Arn)
	if _, err := x.federate(narrow, x.a); err != nil {
		t.Fatalf("what the session policy allows: %v", err)
	}
	_, err = x.federate(narrow, x.b)
	wantAPIError(t, err, "AccessDeniedException", 403, notAuthorized(me, "connect:GetFederationToken",
		x.arnB+"/user/"+aws.ToString(out.AssumedRoleUser.AssumedRoleId), "because no session policy allows the connect:GetFederationToken action"))

	// A managed policy as a session policy, by ARN.
	managed, err := e.iam(e.root).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("DescribeOnly"),
		PolicyDocument: aws.String(allow("connect:DescribeInstance", "*"))})
	if err != nil {
		t.Fatal(err)
	}
	out, err = e.sts(ops).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("agent1"),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: managed.Policy.Arn}}})
	if err != nil {
		t.Fatal(err)
	}
	byARN := aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(out.Credentials.SessionToken)}
	if _, err := e.connect(byARN, "us-east-1").DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(x.b)}); err != nil {
		t.Errorf("what the managed session policy allows: %v", err)
	}
	_, err = x.federate(byARN, x.a)
	wantAPIError(t, err, "AccessDeniedException", 403, "because no session policy allows the connect:GetFederationToken action")

	// A session without session policies has the role's whole policy.
	wide, _, err := assume(e, ops, role, "agent1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.federate(wide, x.b); err != nil {
		t.Errorf("the role's own session: %v", err)
	}
}

// An AWS managed policy attached to a user grants (and denies) what its documented statements
// do, and a new default version of a customer managed policy takes effect at once.
func TestEnforcementManagedPolicies(t *testing.T) {
	x := newEnforcement(t)
	e, ctx := x.e, context.Background()
	dave := e.newUser("dave")
	if _, err := e.iam(e.root).AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("dave"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.connect(dave, "us-east-1").ListInstances(ctx, &connect.ListInstancesInput{}); err != nil {
		t.Errorf("AmazonConnectReadOnlyAccess lists instances: %v", err)
	}
	_, err := e.connect(dave, "us-east-1").CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeSaml,
		InstanceAlias: aws.String("gamma"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	wantAPIError(t, err, "AccessDeniedException", 403, noIdentityPolicy("connect:CreateInstance"))

	p, err := e.iam(e.root).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Federation"),
		PolicyDocument: aws.String(documentedPolicy(x.arnA))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam(e.root).AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("dave"), PolicyArn: p.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	newAgent(t, e.connect(e.root, "us-east-1"), x.a, "dave")
	newAgent(t, e.connect(e.root, "us-east-1"), x.b, "dave")
	// AmazonConnectReadOnlyAccess denies connect:GetFederationToken outright, as AWS's does:
	// the Allow of the other policy does not help.
	_, err = x.federate(dave, x.a)
	wantAPIError(t, err, "AccessDeniedException", 403, "with an explicit deny in an identity-based policy")
	if _, err := e.iam(e.root).DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("dave"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := x.federate(dave, x.a); err != nil {
		t.Fatalf("the Federation policy alone: %v", err)
	}
	_, err = x.federate(dave, x.b)
	wantAPIError(t, err, "AccessDeniedException", 403, noIdentityPolicy("connect:GetFederationToken"))
	if _, err := e.iam(e.root).CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: p.Policy.Arn,
		PolicyDocument: aws.String(documentedPolicy("arn:aws:connect:us-east-1:" + testAccount + ":instance/*")), SetAsDefault: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := x.federate(dave, x.b); err != nil {
		t.Errorf("after the new default version: %v", err)
	}
}

// --iam-enforcement log allows what on would refuse and logs it with AWS's sentence; off
// evaluates nothing. Trust policies hold in both.
func TestEnforcementModes(t *testing.T) {
	for _, mode := range []identity.Enforcement{identity.EnforceLog, identity.EnforceOff} {
		t.Run(mode.String(), func(t *testing.T) {
			var logged bytes.Buffer
			e, closeStore := newEnvLogged(t, &logged)
			defer closeStore()
			var denials []identity.Denial
			e.ids.Enforce(mode, func(_ context.Context, d identity.Denial) { denials = append(denials, d) })
			ctx := context.Background()
			bob := e.newUser("bob")
			if _, err := e.iam(bob).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
				t.Errorf("ListUsers without a policy under %s: %v", mode, err)
			}
			role := e.newRole("Agent", testAccount, 3600)
			if _, _, err := assume(e, bob, role, "s1", 0); err != nil {
				t.Errorf("AssumeRole on a role trusting the account under %s: %v", mode, err)
			}
			nobody := e.newRole("Nobody", "arn:aws:iam::"+testAccount+":user/alice", 3600)
			_, _, err := assume(e, bob, nobody, "s1", 0)
			wantAPIError(t, err, "AccessDenied", 403, "sts:AssumeRole on resource: "+nobody)

			// The trust policy's refusal is reported, as enforced, in every mode; the policies'
			// would-be denials only under log.
			var wouldDeny []identity.Denial
			trustRefusals := 0
			for _, d := range denials {
				switch {
				case d.ByTrust && d.Enforced && d.DecidedBy() == "role trust policy" && d.Verdict.Resource == nobody:
					trustRefusals++
				case !d.Enforced:
					wouldDeny = append(wouldDeny, d)
				default:
					t.Errorf("unexpected report: %+v", d)
				}
			}
			if trustRefusals != 1 {
				t.Errorf("%d trust refusals reported, want 1", trustRefusals)
			}
			wantDenials := 0
			if mode == identity.EnforceLog {
				wantDenials = 2
			}
			if len(wouldDeny) != wantDenials {
				t.Fatalf("%d would-be denials reported, want %d: %+v", len(wouldDeny), wantDenials, wouldDeny)
			}
			if wantDenials > 0 && wouldDeny[0].Message() != notAuthorized("arn:aws:iam::"+testAccount+":user/bob", "iam:ListUsers", "*", noIdentityPolicy("iam:ListUsers")) {
				t.Errorf("first would-be denial: %q", wouldDeny[0].Message())
			}
		})
	}
}

// A denial names no secret: the message and the log carry ARNs, never a key's secret or a
// session token.
func TestEnforcementDenialCarriesNoSecret(t *testing.T) {
	var logged bytes.Buffer
	e, closeStore := newEnvLogged(t, &logged)
	defer closeStore()
	bob := e.newUser("bob")
	_, err := e.iam(bob).ListUsers(context.Background(), &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", 403, "iam:ListUsers")
	b, _ := json.Marshal(err.Error())
	for _, secret := range []string{bob.SecretAccessKey} {
		if strings.Contains(string(b), secret) || strings.Contains(logged.String(), secret) {
			t.Errorf("a denial carried a secret")
		}
	}
}

// simulate-principal-policy answers what enforcement does: for several principals and calls,
// the decision of the call made and the EvalDecision of its simulation agree, explicit and
// implicit denials included.
func TestSimulationAgreesWithEnforcement(t *testing.T) {
	x := newEnforcement(t)
	e, ctx := x.e, context.Background()
	admin := e.connect(e.root, "us-east-1")
	boundary, err := e.iam(e.root).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("OnlyFederation"),
		PolicyDocument: aws.String(allow("connect:GetFederationToken", "*"))})
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]aws.Credentials{
		"documented": e.newUser("documented", documentedPolicy(x.arnA)),
		"denyBeta":   e.newUser("denyBeta", allow("connect:*", "*"), deny("connect:DescribeInstance", x.arnB)),
		"readOnly":   e.newUser("readOnly"),
		"nothing":    e.newUser("nothing"),
		"bounded":    e.newUser("bounded", allow("connect:*", "*"), allow("iam:List*", "*")),
	}
	if _, err := e.iam(e.root).AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("readOnly"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam(e.root).PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"),
		PermissionsBoundary: boundary.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	for name := range users {
		newAgent(t, admin, x.a, name)
		newAgent(t, admin, x.b, name)
	}
	type call struct {
		action, resource, instance string
		do                         func(aws.Credentials) error
	}
	var calls []call
	for _, inst := range []struct{ id, arn string }{{x.a, x.arnA}, {x.b, x.arnB}} {
		calls = append(calls,
			call{"connect:GetFederationToken", inst.arn + "/user/", inst.id, func(c aws.Credentials) error {
				_, err := x.federate(c, inst.id)
				return err
			}},
			call{"connect:DescribeInstance", inst.arn, inst.id, func(c aws.Credentials) error {
				_, err := e.connect(c, "us-east-1").DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(inst.id)})
				return err
			}})
	}
	calls = append(calls, call{"iam:ListUsers", "*", "", func(c aws.Credentials) error {
		_, err := e.iam(c).ListUsers(ctx, &iam.ListUsersInput{})
		return err
	}})
	checked := map[string]int{}
	for name, creds := range users {
		who, err := e.iam(e.root).GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range calls {
			resource := c.resource
			if strings.HasSuffix(resource, "/user/") {
				resource += aws.ToString(who.User.UserId)
			}
			in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: who.User.Arn, ActionNames: []string{c.action}, ResourceArns: []string{resource}}
			if c.instance != "" {
				in.ContextEntries = []iamtypes.ContextEntry{{ContextKeyName: aws.String("connect:InstanceId"),
					ContextKeyValues: []string{c.instance}, ContextKeyType: iamtypes.ContextKeyTypeEnumString}}
			}
			sim, err := e.iam(e.root).SimulatePrincipalPolicy(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(sim.EvaluationResults) != 1 {
				t.Fatalf("%d results for one action on one resource", len(sim.EvaluationResults))
			}
			decision := string(sim.EvaluationResults[0].EvalDecision)
			callErr := c.do(creds)
			var enforced string
			switch {
			case callErr == nil:
				enforced = "allowed"
			case strings.Contains(callErr.Error(), "with an explicit deny"):
				enforced = "explicitDeny"
			case strings.Contains(callErr.Error(), "is not authorized to perform"):
				enforced = "implicitDeny"
			default:
				t.Fatalf("%s %s on %s: %v", name, c.action, resource, callErr)
			}
			if decision != enforced {
				t.Errorf("%s %s on %s: simulated %s, enforced %s (%v)", name, c.action, resource, decision, enforced, callErr)
			}
			checked[decision]++
		}
	}
	// The cases reach every decision, so agreement means something.
	for _, d := range []string{"allowed", "explicitDeny", "implicitDeny"} {
		if checked[d] == 0 {
			t.Errorf("no case was %s: %v", d, checked)
		}
	}
	t.Logf("decisions compared: %v", checked)
}

// simulate-custom-policy evaluates the given policies alone, and names the statements that
// matched.
func TestSimulateCustomPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	out, err := e.iam(e.root).SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{allow("connect:*", "*"), deny("connect:DeleteInstance", "*")},
		ActionNames:     []string{"connect:DescribeInstance", "connect:DeleteInstance", "iam:CreateUser"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"connect:DescribeInstance": "allowed", "connect:DeleteInstance": "explicitDeny", "iam:CreateUser": "implicitDeny"}
	if len(out.EvaluationResults) != 3 {
		t.Fatalf("%d results", len(out.EvaluationResults))
	}
	for _, r := range out.EvaluationResults {
		if got := string(r.EvalDecision); got != want[aws.ToString(r.EvalActionName)] || aws.ToString(r.EvalResourceName) != "*" {
			t.Errorf("%s on %s: %s", aws.ToString(r.EvalActionName), aws.ToString(r.EvalResourceName), got)
		}
		if aws.ToString(r.EvalActionName) == "connect:DeleteInstance" &&
			(len(r.MatchedStatements) != 2 || aws.ToString(r.MatchedStatements[1].SourcePolicyId) != "PolicyInputList.2") {
			t.Errorf("DeleteInstance's matched statements: %+v", r.MatchedStatements)
		}
	}
	_, err = e.iam(e.root).SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{"{"}, ActionNames: []string{"connect:ListInstances"}})
	wantAPIError(t, err, "MalformedPolicyDocument", 400, "Syntax errors in policy.")
	_, err = e.iam(e.root).SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + testAccount + ":user/nobody"), ActionNames: []string{"connect:ListInstances"}})
	wantAPIError(t, err, "NoSuchEntity", 404, "nobody")
}

// aws:ResourceTag: a policy that allows what carries a tag allows a tagged user and refuses
// one tagged otherwise; a tag change takes effect at once.
func TestEnforcementResourceTag(t *testing.T) {
	x := newEnforcement(t)
	e, ctx := x.e, context.Background()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:DescribeUser","Resource":"*",
		"Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}`
	viewer := e.newUser("viewer", doc)
	admin := e.connect(e.root, "us-east-1")
	blue, red := newAgent(t, admin, x.a, "blue1"), newAgent(t, admin, x.a, "red1")
	userARN := func(id string) string {
		return "arn:aws:connect:us-east-1:" + testAccount + ":instance/" + x.a + "/agent/" + id
	}
	for id, team := range map[string]string{blue: "blue", red: "red"} {
		if _, err := admin.TagResource(ctx, &connect.TagResourceInput{ResourceArn: aws.String(userARN(id)), Tags: map[string]string{"team": team}}); err != nil {
			t.Fatal(err)
		}
	}
	describe := func(id string) error {
		_, err := e.connect(viewer, "us-east-1").DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(x.a), UserId: aws.String(id)})
		return err
	}
	if err := describe(blue); err != nil {
		t.Errorf("a user tagged team=blue: %v", err)
	}
	me := "arn:aws:iam::" + testAccount + ":user/viewer"
	wantAPIError(t, describe(red), "AccessDeniedException", 403, notAuthorized(me, "connect:DescribeUser", userARN(red), noIdentityPolicy("connect:DescribeUser")))
	if _, err := admin.UntagResource(ctx, &connect.UntagResourceInput{ResourceArn: aws.String(userARN(blue)), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, describe(blue), "AccessDeniedException", 403, "connect:DescribeUser")
	// A user that does not exist has no tags: refused like any other, not answered as missing.
	wantAPIError(t, describe("aaaaaaaa-0000-4000-8000-000000000000"), "AccessDeniedException", 403, "connect:DescribeUser")
}
