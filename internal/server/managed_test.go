package server_test

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Managed policies through the SDK: created with v1 as default, read back as written, versioned
// up to IAM's five, attached and detached, in the way of deleting what uses them, and listed
// next to AWS's own.
func TestIAMManagedPolicies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"connect:Describe*\", \"Resource\": \"*\"}]\n}"
	created, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Describe"), Path: aws.String("/team/"),
		PolicyDocument: aws.String(doc), Description: aws.String("read instances")})
	if err != nil {
		t.Fatal(err)
	}
	p := created.Policy
	policyARN := "arn:aws:iam::" + testAccount + ":policy/team/Describe"
	if aws.ToString(p.Arn) != policyARN || aws.ToString(p.DefaultVersionId) != "v1" || aws.ToInt32(p.AttachmentCount) != 0 ||
		aws.ToString(p.Path) != "/team/" || !p.IsAttachable || len(aws.ToString(p.PolicyId)) != 21 {
		t.Errorf("CreatePolicy = %+v", p)
	}
	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("describe"), PolicyDocument: aws.String(doc)})
	wantAPIError(t, err, "EntityAlreadyExists", 409, "A policy called describe already exists. Duplicate names are not allowed.")
	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Bad"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:*"}]}`)})
	wantAPIError(t, err, "MalformedPolicyDocument", 400, "Policy statement must contain resources.")

	got, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
	if err != nil || aws.ToString(got.Policy.Description) != "read instances" {
		t.Fatalf("GetPolicy = %+v, %v", got, err)
	}
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + testAccount + ":policy/Nope")})
	wantAPIError(t, err, "NoSuchEntity", 404, "Policy arn:aws:iam::"+testAccount+":policy/Nope was not found.")
	v1, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := url.QueryUnescape(aws.ToString(v1.PolicyVersion.Document)); err != nil || d != doc || !v1.PolicyVersion.IsDefaultVersion {
		t.Errorf("GetPolicyVersion v1 = %q (%v), default %t; want the document as written", d, err, v1.PolicyVersion.IsDefaultVersion)
	}

	// Versions: up to five, the default among them.
	for i := 2; i <= 5; i++ {
		if _, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(policyARN), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatalf("version %d: %v", i, err)
		}
	}
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(policyARN), PolicyDocument: aws.String(doc)})
	wantAPIError(t, err, "LimitExceeded", 409, "5 versions")
	versions, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(policyARN)})
	if err != nil || len(versions.Versions) != 5 {
		t.Fatalf("ListPolicyVersions = %+v, %v", versions, err)
	}
	_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: aws.String("v1")})
	wantAPIError(t, err, "DeleteConflict", 409, "Cannot delete the default version of a policy.")
	if _, err := c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: aws.String("v3")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: aws.String("v1")})
	wantAPIError(t, err, "NoSuchEntity", 404, "v1")

	// Attachments, and what they hold up.
	if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(policyARN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	wantAPIError(t, err, "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.")
	attached, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range attached.AttachedPolicies {
		names = append(names, aws.ToString(a.PolicyName))
	}
	if !slices.Equal(names, []string{"ReadOnlyAccess", "Describe"}) && !slices.Equal(names, []string{"Describe", "ReadOnlyAccess"}) {
		t.Errorf("ListAttachedUserPolicies = %v", names)
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(policyARN)})
	wantAPIError(t, err, "DeleteConflict", 409, "Cannot delete a policy attached to entities.")
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantAPIError(t, err, "DeleteConflict", 409, "must detach all policies first")

	listed, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	if err != nil || len(listed.Policies) != 1 || aws.ToInt32(listed.Policies[0].AttachmentCount) != 1 {
		t.Errorf("ListPolicies Local = %+v, %v", listed, err)
	}
	awsOnes, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, OnlyAttached: true})
	if err != nil || len(awsOnes.Policies) != 1 || aws.ToString(awsOnes.Policies[0].PolicyName) != "ReadOnlyAccess" {
		t.Errorf("ListPolicies AWS, attached only = %+v, %v", awsOnes, err)
	}

	for _, arn := range []string{policyARN, "arn:aws:iam::aws:policy/ReadOnlyAccess"} {
		if _, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(policyARN)})
	wantAPIError(t, err, "NoSuchEntity", 404, policyARN)
	if _, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(policyARN)}); err == nil {
		t.Error("DeletePolicy with versions other than the default succeeded; IAM refuses it")
	}
}

// Permissions boundaries of users, and trust policies replaced in place.
func TestIAMBoundariesAndTrust(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	e.newUser("alice")
	boundary := "arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess"
	if _, err := c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"),
		PermissionsBoundary: aws.String(boundary)}); err != nil {
		t.Fatal(err)
	}
	u, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	if err != nil || u.User.PermissionsBoundary == nil || aws.ToString(u.User.PermissionsBoundary.PermissionsBoundaryArn) != boundary {
		t.Fatalf("GetUser's boundary: %+v, %v", u, err)
	}
	if _, err := c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	u, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	if err != nil || u.User.PermissionsBoundary != nil {
		t.Errorf("GetUser after the boundary's removal: %+v, %v", u, err)
	}
	_, err = c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("nobody"),
		PermissionsBoundary: aws.String(boundary)})
	wantAPIError(t, err, "NoSuchEntity", 404, "nobody")

	role := e.newRole("Agent", "arn:aws:iam::"+testAccount+":user/bob", 3600)
	alice := e.newUser("alice2")
	_, _, err = assume(e, alice, role, "s1", 0)
	wantAPIError(t, err, "AccessDenied", 403, "sts:AssumeRole on resource: "+role)
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/alice2"},"Action":"sts:AssumeRole"}}`
	if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Agent"), PolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := assume(e, alice, role, "s1", 0); err != nil {
		t.Errorf("after UpdateAssumeRolePolicy names alice2: %v", err)
	}
	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Agent"), PolicyDocument: aws.String("{nope")})
	wantAPIError(t, err, "MalformedPolicyDocument", 400, "This policy contains invalid Json")
	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Nope"), PolicyDocument: aws.String(trust)})
	wantAPIError(t, err, "NoSuchEntity", 404, "The role with name Nope cannot be found.")
}
