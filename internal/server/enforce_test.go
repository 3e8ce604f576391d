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

			wantDenials := 0
			if mode == identity.EnforceLog {
				wantDenials = 2
			}
			if len(denials) != wantDenials {
				t.Fatalf("%d would-be denials reported, want %d: %+v", len(denials), wantDenials, denials)
			}
			if wantDenials > 0 && denials[0].Message() != notAuthorized("arn:aws:iam::"+testAccount+":user/bob", "iam:ListUsers", "*", noIdentityPolicy("iam:ListUsers")) {
				t.Errorf("first would-be denial: %q", denials[0].Message())
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
