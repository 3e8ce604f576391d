package server_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// wantAPIError checks that err is the AWS error a client sees: its code, HTTP status and a
// message containing msg.
func wantAPIError(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s (%d), got success", code, status)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want API error %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Errorf("code = %q, want %q (message %q)", ae.ErrorCode(), code, ae.ErrorMessage())
	}
	if !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("message = %q, want it to contain %q", ae.ErrorMessage(), msg)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("no HTTP response in %v", err)
	}
	if re.HTTPStatusCode() != status {
		t.Errorf("status = %d, want %d", re.HTTPStatusCode(), status)
	}
	if re.ServiceRequestID() == "" {
		t.Errorf("no request id on the error answer")
	}
}

func TestIAMUsers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)

	out, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	u := out.User
	if got, want := aws.ToString(u.Arn), "arn:aws:iam::"+testAccount+":user/alice"; got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}
	if id := aws.ToString(u.UserId); !strings.HasPrefix(id, "AIDA") || len(id) != 21 {
		t.Errorf("UserId = %q, want AIDA and 17 more characters", id)
	}
	if aws.ToString(u.Path) != "/" || aws.ToString(u.UserName) != "alice" {
		t.Errorf("Path, UserName = %q, %q", aws.ToString(u.Path), aws.ToString(u.UserName))
	}
	if d := time.Since(aws.ToTime(u.CreateDate)); d < -time.Minute || d > time.Minute {
		t.Errorf("CreateDate = %v, want about now", u.CreateDate)
	}

	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")})
	wantAPIError(t, err, "EntityAlreadyExists", 409, "User with name ALICE already exists.")
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("no spaces")})
	wantAPIError(t, err, "ValidationError", 400, "at 'userName' failed to satisfy constraint")
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("pathed"), Path: aws.String("no-slash")})
	wantAPIError(t, err, "ValidationError", 400, "at 'path'")

	got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.User.UserId) != aws.ToString(u.UserId) {
		t.Errorf("GetUser id = %q, want %q", aws.ToString(got.User.UserId), aws.ToString(u.UserId))
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	wantAPIError(t, err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")

	self, err := c.GetUser(ctx, &iam.GetUserInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(self.User.Arn) != "arn:aws:iam::"+testAccount+":root" || aws.ToString(self.User.UserId) != testAccount {
		t.Errorf("root GetUser = %q %q", aws.ToString(self.User.Arn), aws.ToString(self.User.UserId))
	}

	for _, n := range []string{"bob", "carol", "dave", "erin"} {
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	var marker *string
	pages := 0
	for {
		page, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.Users) > 2 {
			t.Fatalf("page of %d users, want at most 2", len(page.Users))
		}
		for _, u := range page.Users {
			names = append(names, aws.ToString(u.UserName))
		}
		if !page.IsTruncated {
			if page.Marker != nil {
				t.Errorf("last page has a marker")
			}
			break
		}
		marker = page.Marker
	}
	if strings.Join(names, ",") != "alice,bob,carol,dave,erin" || pages != 3 {
		t.Errorf("paged through %v in %d pages", names, pages)
	}
	_, err = c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1001)})
	wantAPIError(t, err, "ValidationError", 400, "maxItems")
	_, err = c.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("!!not-a-marker")})
	wantAPIError(t, err, "ValidationError", 400, "Invalid Marker")

	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	wantAPIError(t, err, "NoSuchEntity", 404, "bob")
	// The SDK checks required members itself; the raw request shows what the server says.
	a := do(t, e.signed(t, "iam", "POST", "/", "Action=DeleteUser&Version=2010-05-08", e.root))
	if code, msg := a.queryError(t); a.status != 400 || code != "ValidationError" ||
		msg != "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null" {
		t.Errorf("DeleteUser without a name: %d %s %q", a.status, code, msg)
	}
}

func TestIAMAccessKeys(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	k1, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	ak := k1.AccessKey
	if id := aws.ToString(ak.AccessKeyId); !strings.HasPrefix(id, "AKIA") || len(id) != 20 {
		t.Errorf("AccessKeyId = %q", id)
	}
	if len(aws.ToString(ak.SecretAccessKey)) != 40 || ak.Status != iamtypes.StatusTypeActive || aws.ToString(ak.UserName) != "alice" {
		t.Errorf("key = %+v", ak)
	}
	alice := aws.Credentials{AccessKeyID: aws.ToString(ak.AccessKeyId), SecretAccessKey: aws.ToString(ak.SecretAccessKey)}
	wantCaller(t, e, alice, "arn:aws:iam::"+testAccount+":user/alice")

	if _, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	wantAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})
	wantAPIError(t, err, "NoSuchEntity", 404, "nobody")

	list, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.AccessKeyMetadata) != 2 || aws.ToString(list.AccessKeyMetadata[0].AccessKeyId) != alice.AccessKeyID {
		t.Fatalf("ListAccessKeys = %+v", list.AccessKeyMetadata)
	}

	// A user manages its own keys without naming itself, with the policy AWS documents for it.
	_, err = e.iam(alice).ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	wantAPIError(t, err, "AccessDenied", 403, "User: arn:aws:iam::"+testAccount+":user/alice is not authorized to perform: iam:ListAccessKeys on resource: arn:aws:iam::"+testAccount+":user/alice because no identity-based policy allows the iam:ListAccessKeys action")
	e.grantUser("alice", "own-keys", allow("iam:*AccessKey*", "arn:aws:iam::*:user/${aws:username}"))
	own, err := e.iam(alice).ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil || len(own.AccessKeyMetadata) != 2 {
		t.Fatalf("alice's own keys: %v, %v", own, err)
	}

	setStatus := func(s iamtypes.StatusType) {
		t.Helper()
		if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"),
			AccessKeyId: aws.String(alice.AccessKeyID), Status: s}); err != nil {
			t.Fatal(err)
		}
	}
	setStatus(iamtypes.StatusTypeInactive)
	_, err = e.sts(alice).GetCallerIdentity(ctx, nil)
	wantAPIError(t, err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
	setStatus(iamtypes.StatusTypeActive)
	wantCaller(t, e, alice, "arn:aws:iam::"+testAccount+":user/alice")

	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"),
		AccessKeyId: aws.String(alice.AccessKeyID), Status: "Paused"})
	wantAPIError(t, err, "ValidationError", 400, "Active, Inactive")
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String(alice.AccessKeyID), Status: "Inactive"})
	wantAPIError(t, err, "NoSuchEntity", 404, "The Access Key with id "+alice.AccessKeyID+" cannot be found.")

	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantAPIError(t, err, "DeleteConflict", 409, "must delete access keys first")

	if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(alice.AccessKeyID)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.sts(alice).GetCallerIdentity(ctx, nil)
	wantAPIError(t, err, "InvalidClientTokenId", 403, "invalid")
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(alice.AccessKeyID)})
	wantAPIError(t, err, "NoSuchEntity", 404, alice.AccessKeyID)
}

func TestIAMRoles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Agent"), AssumeRolePolicyDocument: aws.String(trust),
		MaxSessionDuration: aws.Int32(7200), Description: aws.String("agents + supervisors")})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Role
	if aws.ToString(r.Arn) != "arn:aws:iam::"+testAccount+":role/Agent" || !strings.HasPrefix(aws.ToString(r.RoleId), "AROA") ||
		aws.ToInt32(r.MaxSessionDuration) != 7200 || aws.ToString(r.Description) != "agents + supervisors" {
		t.Errorf("role = %+v", r)
	}
	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("agent")})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
	if err != nil || doc != trust {
		t.Errorf("trust policy came back as %q (%v)", doc, err)
	}

	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("AGENT"), AssumeRolePolicyDocument: aws.String(trust)})
	wantAPIError(t, err, "EntityAlreadyExists", 409, "Role with name AGENT already exists.")
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Broken"), AssumeRolePolicyDocument: aws.String("{not json")})
	wantAPIError(t, err, "MalformedPolicyDocument", 400, "invalid Json")
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Short"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(60)})
	wantAPIError(t, err, "ValidationError", 400, "between 3600 and 43200")
	a := do(t, e.signed(t, "iam", "POST", "/", "Action=CreateRole&Version=2010-05-08&RoleName=NoTrust", e.root))
	if code, msg := a.queryError(t); a.status != 400 || code != "ValidationError" || !strings.Contains(msg, "'assumeRolePolicyDocument'") {
		t.Errorf("CreateRole without a trust policy: %d %s %q", a.status, code, msg)
	}

	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Backup"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Roles) != 1 || aws.ToString(list.Roles[0].RoleName) != "Agent" || !list.IsTruncated {
		t.Fatalf("first page = %+v", list)
	}
	next, err := c.ListRoles(ctx, &iam.ListRolesInput{Marker: list.Marker})
	if err != nil || len(next.Roles) != 1 || aws.ToString(next.Roles[0].RoleName) != "Backup" || next.IsTruncated {
		t.Fatalf("second page = %+v, %v", next, err)
	}

	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Backup")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Backup")})
	wantAPIError(t, err, "NoSuchEntity", 404, "The role with name Backup cannot be found.")
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Backup")})
	wantAPIError(t, err, "NoSuchEntity", 404, "Backup")
}

// Inline policies of users and roles through the SDK: kept exactly as written and returned
// URL-encoded, replaced by name, listed, size-capped, refused when malformed, and in the way of
// deleting their owner.
func TestIAMInlinePolicies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	e.newUser("alice")
	e.newRole("Agent", testAccount, 3600)
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"connect:GetFederationToken\",\n" +
		"    \"Resource\": \"arn:aws:connect:us-east-1:123456789012:instance/i-1/user/${aws:userid}\"}\n}"
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Agent"), PolicyName: aws.String("Tokens"),
		PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("agent"), PolicyName: aws.String("tokens")})
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := url.QueryUnescape(aws.ToString(got.PolicyDocument))
	if err != nil || decoded != doc || aws.ToString(got.PolicyName) != "Tokens" {
		t.Fatalf("GetRolePolicy = %q (%v), name %q; want the document as written", decoded, err, aws.ToString(got.PolicyName))
	}
	for _, name := range []string{"b", "a", "c"} {
		if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String(name),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}}`)}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("alice"), MaxItems: aws.Int32(2)})
	if err != nil || strings.Join(page.PolicyNames, ",") != "a,b" || !page.IsTruncated {
		t.Fatalf("ListUserPolicies page 1: %+v, %v", page, err)
	}
	page, err = c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("alice"), Marker: page.Marker})
	if err != nil || strings.Join(page.PolicyNames, ",") != "c" || page.IsTruncated {
		t.Fatalf("ListUserPolicies page 2: %+v, %v", page, err)
	}

	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("bad"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*"}}`)})
	wantAPIError(t, err, "MalformedPolicyDocument", 400, "Policy statement must contain resources.")
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("big"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:user/` +
			strings.Repeat("x", 2000) + `"}}`)})
	wantAPIError(t, err, "LimitExceeded", 409, "Maximum policy size of 2048 bytes exceeded for user alice")
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}}`)})
	wantAPIError(t, err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")
	_, err = c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("zzz")})
	wantAPIError(t, err, "NoSuchEntity", 404, "The user policy with name zzz cannot be found.")
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Agent"), PolicyName: aws.String("bad name!"),
		PolicyDocument: aws.String(doc)})
	wantAPIError(t, err, "ValidationError", 400, "at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern")

	// A role with a policy cannot be deleted until the policy is.
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Agent")})
	wantAPIError(t, err, "DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
	if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("Agent"), PolicyName: aws.String("TOKENS")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Agent")}); err != nil {
		t.Errorf("DeleteRole once its policy is gone: %v", err)
	}
}
