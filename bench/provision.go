package main

// Provisioning through the AWS SDK for Go v2, as any client of connectfed would: a SAML
// instance, the Connect user agent1 (security profile Agent, routing profile "Basic Routing
// Profile") and extra users so that ListUsers fills a page of 100, an IAM user with a key, a role
// the account trusts, and the role session agent1 whose requests the harness replays.

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const (
	region = "us-east-1"
	// agentName is the Connect user the session federates as: its RoleSessionName.
	agentName = "agent1"
	// extraUsers are created besides agent1, so that ListUsers' first page of 100 is full.
	extraUsers = 100
	// sessionSeconds is long enough for the longest run, seeding and -cli included.
	sessionSeconds = 12 * 3600
)

// userName is the name of the i-th generated Connect user (1-based); seed.go continues the
// sequence. They all sort after agent1.
func userName(i int) string { return fmt.Sprintf("bench-user-%07d", i) }

// fixture is what provisioning made and the load runs use.
type fixture struct {
	AccountID  string
	InstanceID string
	AgentID    string // agent1's UserId
	Session    aws.Credentials
}

func sdkConfig(endpoint string, c aws.Credentials) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.StaticCredentialsProvider{Value: c},
		BaseEndpoint: aws.String(endpoint),
	}
}

// provision creates the fixture on the server at endpoint as the account root, with extra
// Connect users besides agent1.
func provision(ctx context.Context, endpoint string, root aws.Credentials, extra int) (fixture, error) {
	var fx fixture
	rootCfg := sdkConfig(endpoint, root)
	who, err := sts.NewFromConfig(rootCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fx, fmt.Errorf("sts get-caller-identity as root: %w", err)
	}
	fx.AccountID = aws.ToString(who.Account)

	cc := connect.NewFromConfig(rootCfg)
	inst, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeSaml,
		InstanceAlias: aws.String("bench"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	if err != nil {
		return fx, fmt.Errorf("connect create-instance: %w", err)
	}
	fx.InstanceID = aws.ToString(inst.Id)
	security, routing, err := agentProfiles(ctx, cc, fx.InstanceID)
	if err != nil {
		return fx, err
	}
	newUser := func(name string) (string, error) {
		out, err := cc.CreateUser(ctx, &connect.CreateUserInput{InstanceId: aws.String(fx.InstanceID),
			Username: aws.String(name), SecurityProfileIds: []string{security}, RoutingProfileId: aws.String(routing),
			PhoneConfig:  &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone},
			IdentityInfo: &ctypes.UserIdentityInfo{FirstName: aws.String("Agent"), LastName: aws.String("One")}})
		if err != nil {
			return "", fmt.Errorf("connect create-user %s: %w", name, err)
		}
		return aws.ToString(out.UserId), nil
	}
	if fx.AgentID, err = newUser(agentName); err != nil {
		return fx, err
	}
	for i := 1; i <= extra; i++ {
		if _, err := newUser(userName(i)); err != nil {
			return fx, err
		}
	}

	ic := iam.NewFromConfig(rootCfg)
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bench-ops")}); err != nil {
		return fx, fmt.Errorf("iam create-user: %w", err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bench-ops")})
	if err != nil {
		return fx, fmt.Errorf("iam create-access-key: %w", err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
		fx.AccountID + `:root"},"Action":"sts:AssumeRole"}]}`
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ConnectAgent"),
		AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(sessionSeconds)})
	if err != nil {
		return fx, fmt.Errorf("iam create-role: %w", err)
	}

	// The policies a real account needs, so the benchmark measures enforcement as it runs: ops
	// may assume the role, and the role's sessions get tokens for their own Connect user only
	// (AWS's documented policy for GetFederationToken) and read the instance's users (the
	// DescribeUser and ListUsers scenarios) and the instance (DescribeInstance).
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bench-ops"), PolicyName: aws.String("assume-agent"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` +
			aws.ToString(role.Role.Arn) + `"}]}`)}); err != nil {
		return fx, fmt.Errorf("iam put-user-policy: %w", err)
	}
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ConnectAgent"), PolicyName: aws.String("connect-federation"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"` + aws.ToString(inst.Arn) + `/user/${aws:userid}"},` +
			`{"Effect":"Allow","Action":["connect:DescribeUser","connect:ListUsers","connect:DescribeInstance"],"Resource":["` +
			aws.ToString(inst.Arn) + `","` + aws.ToString(inst.Arn) + `/agent/*"]}]}`)}); err != nil {
		return fx, fmt.Errorf("iam put-role-policy: %w", err)
	}

	ops := aws.Credentials{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)}
	assumed, err := sts.NewFromConfig(sdkConfig(endpoint, ops)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: role.Role.Arn, RoleSessionName: aws.String(agentName), DurationSeconds: aws.Int32(sessionSeconds)})
	if err != nil {
		return fx, fmt.Errorf("sts assume-role: %w", err)
	}
	c := assumed.Credentials
	fx.Session = aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken)}
	return fx, nil
}

// agentProfiles finds the ids of the security profile Agent and the routing profile "Basic
// Routing Profile", which every new instance has.
func agentProfiles(ctx context.Context, cc *connect.Client, instanceID string) (security, routing string, err error) {
	sp, err := cc.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: aws.String(instanceID)})
	if err != nil {
		return "", "", fmt.Errorf("connect list-security-profiles: %w", err)
	}
	for _, p := range sp.SecurityProfileSummaryList {
		if aws.ToString(p.Name) == "Agent" {
			security = aws.ToString(p.Id)
		}
	}
	rp, err := cc.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: aws.String(instanceID)})
	if err != nil {
		return "", "", fmt.Errorf("connect list-routing-profiles: %w", err)
	}
	for _, p := range rp.RoutingProfileSummaryList {
		if aws.ToString(p.Name) == "Basic Routing Profile" {
			routing = aws.ToString(p.Id)
		}
	}
	if security == "" || routing == "" {
		return "", "", fmt.Errorf("instance %s has no security profile Agent (%q) or routing profile \"Basic Routing Profile\" (%q)", instanceID, security, routing)
	}
	return security, routing, nil
}
