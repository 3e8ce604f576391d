package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/awsini"
	"github.com/connectfed/connectfed/internal/connect"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/server/demoidp"
	"github.com/connectfed/connectfed/internal/server/signin"
)

// The demo's fixtures.
const (
	demoUser            = "ops"
	demoRole            = "ConnectAgent"
	demoCredentialsFile = "demo-credentials"
	demoRegion          = "us-east-1"
	demoInstanceAlias   = "demo"
	demoAgent           = "agent1"
)

type demoFixtures struct {
	ops        awsini.Credential
	roleARN    string
	instanceID string
	// providerARN is the demo IdP's SAML provider.
	providerARN string
}

// demoProvider is the SAML provider the demo IdP is registered as.
const demoProvider = "DemoIdP"

// seedDemoIdP registers the demo IdP's metadata as a SAML provider (its key is new on every
// start, so the metadata is replaced), lets the demo role trust it as well as the account, and
// tells the IdP whom it signs in where.
func seedDemoIdP(ctx context.Context, ids *identity.Service, root identity.Principal, idp *demoidp.IdP, publicURL string, d *demoFixtures) error {
	metadata := idp.Metadata()
	p, err := ids.CreateSAMLProvider(ctx, root, demoProvider, metadata)
	if apierr.Is(err, apierr.EntityAlreadyExists) {
		p, err = ids.UpdateSAMLProvider(ctx, root, arn.SAMLProvider(root.AccountID, demoProvider), metadata)
	}
	if err != nil {
		return fmt.Errorf("register the demo IdP: %w", err)
	}
	d.providerARN = p.ARN
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[`+
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"},`+
		`{"Effect":"Allow","Principal":{"Federated":"%s"},"Action":"sts:AssumeRoleWithSAML",`+
		`"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`, root.AccountID, p.ARN)
	if err := ids.UpdateAssumeRolePolicy(ctx, root, demoRole, trust); err != nil {
		return err
	}
	idp.Configure(demoidp.Config{RoleARN: d.roleARN, ProviderARN: p.ARN, Users: []string{demoAgent},
		SAMLURL:    strings.TrimSuffix(publicURL, "/") + signin.SAMLPath,
		RelayState: "https://" + demoRegion + ".console.aws.amazon.com/connect/federate/" + d.instanceID})
	return nil
}

// seedDemo makes the demo user, its key, the demo role, a SAML instance and its agent exist; a
// second run changes nothing. The user's key is kept in <data-dir>/demo-credentials so later
// runs can print it again.
func seedDemo(ctx context.Context, ids *identity.Service, conn *connect.Service, o serveOptions, idp *demoidp.IdP, publicURL string) (demoFixtures, error) {
	root := identity.Principal{Kind: identity.Root, AccountID: o.accountID, ARN: arn.Root(o.accountID)}
	instanceID, err := seedDemoInstance(ctx, conn, connect.Caller{Principal: root, Region: demoRegion})
	if err != nil {
		return demoFixtures{}, err
	}
	if _, err := ids.CreateUser(ctx, root, demoUser, ""); err != nil && !apierr.Is(err, apierr.EntityAlreadyExists) {
		return demoFixtures{}, err
	}
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, o.accountID)
	role, err := ids.CreateRole(ctx, root, identity.RoleInput{Name: demoRole, TrustPolicy: trust,
		Description:        "connectfed demo: agents assume it, their session name is their Connect username",
		MaxSessionDuration: 43200})
	if apierr.Is(err, apierr.EntityAlreadyExists) {
		role, err = ids.GetRole(ctx, root, demoRole)
	}
	if err != nil {
		return demoFixtures{}, err
	}
	d := demoFixtures{roleARN: role.ARN, instanceID: instanceID}
	// The policies a real account would need for the printed commands: the role may get a
	// federation token for its own Connect user only, and ops may assume the role and read.
	// PutUserPolicy and PutRolePolicy replace a policy of the same name, so a rerun is a no-op.
	if err := ids.PutRolePolicy(ctx, root, demoRole, demoAgentPolicyName, demoAgentPolicy(instanceARN(o.accountID, instanceID))); err != nil {
		return demoFixtures{}, err
	}
	if err := ids.PutUserPolicy(ctx, root, demoUser, demoOpsPolicyName, demoOpsPolicy(role.ARN)); err != nil {
		return demoFixtures{}, err
	}
	if idp != nil {
		if err := seedDemoIdP(ctx, ids, root, idp, publicURL, &d); err != nil {
			return demoFixtures{}, err
		}
	}

	path := filepath.Join(o.dataDir, demoCredentialsFile)
	creds, err := awsini.ReadCredentials(path)
	if err == nil {
		if k, ok := creds[demoUser]; ok {
			if _, err := ids.Lookup(ctx, k.AccessKeyID); err == nil {
				d.ops = k
				return d, nil
			}
		}
		// The file names a key the store no longer has: replace both.
		if err := os.Remove(path); err != nil {
			return d, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return d, err
	}
	key, err := ids.CreateAccessKey(ctx, root, demoUser)
	if err != nil {
		return d, fmt.Errorf("create the %s user's key (delete one of its keys if it has two): %w", demoUser, err)
	}
	d.ops = awsini.Credential{AccessKeyID: key.ID, SecretAccessKey: key.Secret}
	return d, awsini.WriteCredentials(path, map[string]awsini.Credential{demoUser: d.ops})
}

// The demo's inline policies.
const (
	demoAgentPolicyName = "connect-federation"
	demoOpsPolicyName   = "demo-ops"
)

func instanceARN(accountID, instanceID string) string {
	return arn.Instance(demoRegion, accountID, instanceID)
}

// demoAgentPolicy is the policy AWS documents for GetFederationToken: a role session may get a
// token only for the Connect user whose id is its own ${aws:userid} (ROLE_ID:SESSION_NAME, which
// connectfed resolves to the Connect user named SESSION_NAME).
func demoAgentPolicy(instanceARN string) string {
	return `{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "FederateAsOwnConnectUser",
    "Effect": "Allow",
    "Action": "connect:GetFederationToken",
    "Resource": "` + instanceARN + `/user/${aws:userid}"
  }]
}`
}

// demoOpsPolicy lets ops assume the agent role and read IAM, Connect and the audit trail, which
// is what the printed commands do; anything else (iam create-user, say) is denied, as it would
// be in AWS.
func demoOpsPolicy(roleARN string) string {
	return `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AssumeAgentRole", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "` + roleARN + `"},
    {"Sid": "ReadOnly", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "connect:Describe*", "connect:List*", "cloudtrail:LookupEvents"], "Resource": "*"}
  ]
}`
}

// seedDemoInstance makes the SAML instance "demo" and its user "agent1" exist.
func seedDemoInstance(ctx context.Context, conn *connect.Service, c connect.Caller) (string, error) {
	var inst string
	for next := ""; inst == ""; {
		page, err := conn.ListInstances(ctx, c, next, 10)
		if err != nil {
			return "", err
		}
		for _, in := range page.Items {
			if in.Alias == demoInstanceAlias {
				inst = in.ID
			}
		}
		if next = page.NextToken; next == "" {
			break
		}
	}
	if inst == "" {
		yes := true
		in, err := conn.CreateInstance(ctx, c, connect.CreateInstanceInput{IdentityManagementType: connect.SAML,
			InstanceAlias: demoInstanceAlias, InboundCallsEnabled: &yes, OutboundCallsEnabled: &yes})
		if err != nil {
			return "", err
		}
		inst = in.ID
	}
	security, err := conn.ListSecurityProfiles(ctx, c, inst, "", 100)
	if err != nil {
		return "", err
	}
	routing, err := conn.ListRoutingProfiles(ctx, c, inst, "", 100)
	if err != nil {
		return "", err
	}
	in := connect.CreateUserInput{Username: demoAgent, IdentityInfo: &connect.IdentityInfo{FirstName: "Agent", LastName: "One"}}
	for _, p := range security.Items {
		if p.Name == "Agent" {
			in.SecurityProfileIDs = []string{p.ID}
		}
	}
	for _, p := range routing.Items {
		if p.Name == "Basic Routing Profile" {
			in.RoutingProfileID = p.ID
		}
	}
	if _, err := conn.CreateUser(ctx, c, inst, in); err != nil && !apierr.Is(err, apierr.DuplicateResource) {
		return "", err
	}
	return inst, nil
}

// caBundle, when not empty, is the self-signed certificate the commands must trust. Every aws
// command names the endpoint itself: AWS CLI v2 before 2.13 (Debian 12 ships 2.9) ignores
// AWS_ENDPOINT_URL and would call AWS.
func printDemo(w io.Writer, endpoint, accountID, caBundle string, d demoFixtures) {
	trust, cacert := "", ""
	if caBundle != "" {
		trust, cacert = "\n  export AWS_CA_BUNDLE="+shellQuote(caBundle), ` --cacert "$AWS_CA_BUNDLE"`
	}
	fmt.Fprintf(w, `
Demo: IAM user %[1]q (key below) and role %[2]q, which any principal of account %[3]s may assume
if its policies allow it. IAM policies are enforced: ops may assume the role and read IAM,
Connect and the audit trail; the role may get a federation token for its own Connect user only
(see docs/iam.md).
Paste these into another shell (they work with AWS CLI v1 and v2, v2 releases that ignore
AWS_ENDPOINT_URL included: each command names the endpoint):

  export AWS_ACCESS_KEY_ID=%[4]s
  export AWS_SECRET_ACCESS_KEY=%[5]s
  export AWS_DEFAULT_REGION=%[6]s
  export AWS_ENDPOINT_URL=%[7]s%[12]s

  aws --endpoint-url %[7]s sts get-caller-identity
  aws --endpoint-url %[7]s iam list-users
  aws --endpoint-url %[7]s sts assume-role --role-arn %[8]s --role-session-name agent1
  aws --endpoint-url %[7]s cloudtrail lookup-events --max-items 5

  curl%[13]s --aws-sigv4 "aws:amz:%[6]s:sts" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -d 'Action=GetCallerIdentity&Version=2011-06-15' %[7]s/

Get a federation token as the Connect user %[10]q of the SAML instance %[11]q (%[9]s):
assume the role with that username as session name, use the session, and ask.

  creds=$(aws --endpoint-url %[7]s sts assume-role --role-arn %[8]s --role-session-name %[10]s --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
  read AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN <<< "$creds"; export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
  aws --endpoint-url %[7]s connect get-federation-token --instance-id %[9]s

Or sign in as an agent through SAML, as your identity provider would: open %[7]s/demo-idp/
in a browser, choose %[10]s, Sign in, then Continue. The AWS CLI's way, with the same IdP:

  curl -s%[13]s -d username=%[10]s %[7]s/demo-idp/assertion > assertion.b64
  aws --endpoint-url %[7]s sts assume-role-with-saml --role-arn %[8]s --principal-arn %[14]s --saml-assertion file://assertion.b64

`, demoUser, demoRole, accountID, d.ops.AccessKeyID, d.ops.SecretAccessKey, demoRegion, endpoint, d.roleARN,
		d.instanceID, demoAgent, demoInstanceAlias, trust, cacert, d.providerARN)
}
