package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func wantCaller(t testing.TB, e *env, c aws.Credentials, arn string) *sts.GetCallerIdentityOutput {
	t.Helper()
	out, err := e.sts(c).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity as %s: %v", arn, err)
	}
	if aws.ToString(out.Arn) != arn || aws.ToString(out.Account) != testAccount {
		t.Fatalf("GetCallerIdentity = %s in %s, want %s", aws.ToString(out.Arn), aws.ToString(out.Account), arn)
	}
	return out
}

// newUser creates an IAM user with a key and the inline policies given (named policy1,
// policy2, ...) and returns its credentials. Without a policy the user may call nothing but
// what needs no permission, as in AWS.
func (e *env) newUser(name string, policies ...string) aws.Credentials {
	e.t.Helper()
	ctx := context.Background()
	c := e.iam(e.root)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		e.t.Fatal(err)
	}
	for i, doc := range policies {
		e.grantUser(name, fmt.Sprintf("policy%d", i+1), doc)
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}
}

// newRole creates a role trusting principal ("*", an account or an ARN).
func (e *env) newRole(name, principal string, maxSession int32) string {
	e.t.Helper()
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"sts:AssumeRole"}}`
	out, err := e.iam(e.root).CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name),
		AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(maxSession)})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.Role.Arn)
}

// newAgentUser is an IAM user whose policies allow it to assume every role of the account (a
// role that trusts the account leaves the decision to the caller's own policies) and to get a
// federation token as the Connect user of its own ${aws:userid}: what most tests' callers need.
func (e *env) newAgentUser(name string) aws.Credentials {
	e.t.Helper()
	return e.newUser(name, allow("sts:AssumeRole", "arn:aws:iam::"+testAccount+":role/*"),
		documentedPolicy("arn:aws:connect:*:"+testAccount+":instance/*"))
}

// newAgentRole creates the role ConnectAgent, which the account's principals may assume, with
// the policy AWS documents for GetFederationToken: a session may get a token for the Connect
// user that its own ${aws:userid} names, in any instance of the account.
func (e *env) newAgentRole() string {
	e.t.Helper()
	role := e.newRole("ConnectAgent", testAccount, 3600)
	e.grantRole("ConnectAgent", "connect-federation", documentedPolicy("arn:aws:connect:*:"+testAccount+":instance/*"))
	return role
}

// documentedPolicy is the policy AWS documents for GetFederationToken, on instanceARN.
func documentedPolicy(instanceARN string) string {
	return allow("connect:GetFederationToken", instanceARN+"/user/${aws:userid}")
}

// allow is a policy document with one statement allowing action on resources.
func allow(action string, resources ...string) string {
	return statement("Allow", action, resources...)
}

// deny is a policy document with one statement denying action on resources.
func deny(action string, resources ...string) string {
	return statement("Deny", action, resources...)
}

func statement(effect, action string, resources ...string) string {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{
		{"Effect": effect, "Action": action, "Resource": resources}}})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// grantUser puts an inline policy on an IAM user, as the account root.
func (e *env) grantUser(user, name, doc string) {
	e.t.Helper()
	if _, err := e.iam(e.root).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{
		UserName: aws.String(user), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
		e.t.Fatal(err)
	}
}

// grantRole puts an inline policy on a role, as the account root.
func (e *env) grantRole(role, name, doc string) {
	e.t.Helper()
	if _, err := e.iam(e.root).PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{
		RoleName: aws.String(role), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
		e.t.Fatal(err)
	}
}

func assume(e *env, as aws.Credentials, roleARN, session string, seconds int32) (aws.Credentials, *sts.AssumeRoleOutput, error) {
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)}
	if seconds != 0 {
		in.DurationSeconds = aws.Int32(seconds)
	}
	out, err := e.sts(as).AssumeRole(context.Background(), in)
	if err != nil {
		return aws.Credentials{}, nil, err
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken)}, out, nil
}

func TestSTSCallerIdentity(t *testing.T) {
	e := newEnv(t)
	root := wantCaller(t, e, e.root, "arn:aws:iam::"+testAccount+":root")
	if aws.ToString(root.UserId) != testAccount {
		t.Errorf("root UserId = %q", aws.ToString(root.UserId))
	}
	alice := e.newUser("alice")
	out := wantCaller(t, e, alice, "arn:aws:iam::"+testAccount+":user/alice")
	if !strings.HasPrefix(aws.ToString(out.UserId), "AIDA") {
		t.Errorf("user UserId = %q", aws.ToString(out.UserId))
	}
}

func TestSTSAssumeRole(t *testing.T) {
	e := newEnv(t)
	alice := e.newUser("alice")
	bob := e.newUser("bob")
	agent := e.newRole("ConnectAgent", "arn:aws:iam::"+testAccount+":root", 7200)

	// A trust policy naming the account leaves the decision to the caller's own policies.
	_, _, err := assume(e, alice, agent, "agent.one@example.com", 0)
	wantAPIError(t, err, "AccessDenied", 403, "User: arn:aws:iam::"+testAccount+":user/alice is not authorized to perform: sts:AssumeRole on resource: "+agent+" because no identity-based policy allows the sts:AssumeRole action")
	e.grantUser("alice", "assume", allow("sts:AssumeRole", agent))
	// Role chaining needs the role's own permission to assume.
	e.grantRole("ConnectAgent", "chain", allow("sts:AssumeRole", agent))

	sess, out, err := assume(e, alice, agent, "agent.one@example.com", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sess.AccessKeyID, "ASIA") || sess.SessionToken == "" || len(sess.SecretAccessKey) != 40 {
		t.Errorf("credentials = %s / token %d bytes", sess.AccessKeyID, len(sess.SessionToken))
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("Expiration in %v, want about an hour", d)
	}
	wantARN := "arn:aws:sts::" + testAccount + ":assumed-role/ConnectAgent/agent.one@example.com"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantARN {
		t.Errorf("AssumedRoleUser.Arn = %q", aws.ToString(out.AssumedRoleUser.Arn))
	}
	id := aws.ToString(out.AssumedRoleUser.AssumedRoleId)
	if !strings.HasPrefix(id, "AROA") || !strings.HasSuffix(id, ":agent.one@example.com") {
		t.Errorf("AssumedRoleId = %q", id)
	}
	caller := wantCaller(t, e, sess, wantARN)
	if aws.ToString(caller.UserId) != id {
		t.Errorf("session UserId = %q, want %q", aws.ToString(caller.UserId), id)
	}

	// The session may assume again (role chaining), for at most an hour.
	if _, _, err := assume(e, sess, agent, "chained", 3600); err != nil {
		t.Errorf("role chaining: %v", err)
	}
	_, _, err = assume(e, sess, agent, "chained", 3601)
	wantAPIError(t, err, "ValidationError", 400, "1 hour session limit")

	_, _, err = assume(e, e.root, agent, "rootsession", 0)
	wantAPIError(t, err, "AccessDenied", 403, "Roles may not be assumed by root accounts.")

	// A trust policy naming the caller itself is enough, without an identity policy.
	aliceOnly := e.newRole("AliceOnly", "arn:aws:iam::"+testAccount+":user/alice", 3600)
	if _, _, err := assume(e, alice, aliceOnly, "s1", 0); err != nil {
		t.Errorf("alice on a role trusting her: %v", err)
	}
	// ... unless an identity policy denies it.
	e.grantUser("alice", "no-alice-only", deny("sts:AssumeRole", aliceOnly))
	_, _, err = assume(e, alice, aliceOnly, "s1", 0)
	wantAPIError(t, err, "AccessDenied", 403, "on resource: "+aliceOnly+" with an explicit deny in an identity-based policy")
	_, _, err = assume(e, bob, aliceOnly, "s1", 0)
	wantAPIError(t, err, "AccessDenied", 403, "User: arn:aws:iam::"+testAccount+":user/bob is not authorized to perform: sts:AssumeRole on resource: "+aliceOnly)
	_, _, err = assume(e, bob, "arn:aws:iam::"+testAccount+":role/Missing", "s1", 0)
	wantAPIError(t, err, "AccessDenied", 403, "not authorized to perform: sts:AssumeRole")

	anyone := e.newRole("Anyone", "*", 3600)
	if _, _, err := assume(e, bob, anyone, "s1", 900); err != nil {
		t.Errorf("a role trusting *: %v", err)
	}

	_, _, err = assume(e, alice, agent, "x", 0)
	wantAPIError(t, err, "ValidationError", 400, "Member must have length greater than or equal to 2")
	_, _, err = assume(e, alice, agent, "has space", 0)
	wantAPIError(t, err, "ValidationError", 400, "roleSessionName")
	_, _, err = assume(e, alice, agent, "s1", 7201)
	wantAPIError(t, err, "ValidationError", 400, "exceeds the MaxSessionDuration set for this role")
	_, _, err = assume(e, alice, agent, "s1", 899)
	wantAPIError(t, err, "ValidationError", 400, "greater than or equal to 900")
	_, _, err = assume(e, alice, "not-an-arn-but-long-enough", "s1", 0)
	wantAPIError(t, err, "ValidationError", 400, "is invalid")
}

func TestSTSSessionTokens(t *testing.T) {
	e := newEnvWith(t, 48*time.Hour)
	alice := e.newAgentUser("alice")
	agent := e.newRole("ConnectAgent", testAccount, 3600)
	sess, _, err := assume(e, alice, agent, "agent1", 900)
	if err != nil {
		t.Fatal(err)
	}

	noToken := sess
	noToken.SessionToken = ""
	_, err = e.sts(noToken).GetCallerIdentity(context.Background(), nil)
	wantAPIError(t, err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")

	wrong := sess
	wrong.SessionToken = sess.SessionToken[:len(sess.SessionToken)-4] + "AAAA"
	_, err = e.sts(wrong).GetCallerIdentity(context.Background(), nil)
	wantAPIError(t, err, "InvalidClientTokenId", 403, "invalid")

	// A long-term key does not carry a session token.
	withToken := alice
	withToken.SessionToken = sess.SessionToken
	_, err = e.sts(withToken).GetCallerIdentity(context.Background(), nil)
	wantAPIError(t, err, "InvalidClientTokenId", 403, "invalid")

	e.clock.Advance(901 * time.Second)
	_, err = e.sts(sess).GetCallerIdentity(context.Background(), nil)
	wantAPIError(t, err, "ExpiredToken", 403, "The security token included in the request is expired")
}

// A role ARN is the role's whole name, path included: one with another path names no role,
// and is refused as a missing role is (AccessDenied), not assumed.
func TestSTSAssumeRoleARNPathMustMatch(t *testing.T) {
	e := newEnv(t)
	alice := e.newAgentUser("alice")
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + testAccount + `"},"Action":"sts:AssumeRole"}}`
	out, err := e.iam(e.root).CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String("Agent"),
		Path: aws.String("/agents/"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.Role.Arn), "arn:aws:iam::"+testAccount+":role/agents/Agent"; got != want {
		t.Fatalf("role ARN %s, want %s", got, want)
	}
	if _, _, err := assume(e, alice, aws.ToString(out.Role.Arn), "s1", 0); err != nil {
		t.Fatalf("assume with the role's own ARN: %v", err)
	}
	for _, wrong := range []string{"arn:aws:iam::" + testAccount + ":role/Agent", "arn:aws:iam::" + testAccount + ":role/wrong/path/Agent"} {
		_, _, err := assume(e, alice, wrong, "s1", 0)
		wantAPIError(t, err, "AccessDenied", 403, "User: arn:aws:iam::"+testAccount+":user/alice is not authorized to perform: sts:AssumeRole on resource: "+wrong)
	}
}

// RoleArn has the model's length bounds, 20..2048, each with its own message.
func TestSTSAssumeRoleARNLength(t *testing.T) {
	e := newEnv(t)
	alice := e.newUser("alice")
	long := "arn:aws:iam::" + testAccount + ":role/" + strings.Repeat("a", 2049)
	_, _, err := assume(e, alice, long, "s1", 0)
	wantAPIError(t, err, "ValidationError", 400, "at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 2048")
	_, _, err = assume(e, alice, "arn:aws:iam::1:r", "s1", 0)
	wantAPIError(t, err, "ValidationError", 400, "at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20")
}
