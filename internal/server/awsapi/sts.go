package awsapi

import (
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/server/httpx"
)

func (a *API) getCallerIdentity(r *Request) (any, error) {
	p := r.Principal
	return callerIdentityResult{Arn: p.ARN, UserID: p.UserID, Account: p.AccountID}, nil
}

func (a *API) assumeRole(r *Request) (any, error) {
	d, err := r.Form.integer("DurationSeconds")
	if err != nil {
		return nil, err
	}
	cred, err := a.identity.AssumeRole(r.Context(), r.Principal, identity.AssumeRoleInput{
		RoleARN: r.Form.get("RoleArn"), RoleSessionName: r.Form.get("RoleSessionName"), DurationSeconds: d,
		Policy: r.Form.get("Policy"), PolicyARNs: r.Form.list("PolicyArns", "arn"),
		SourceIP: httpx.SourceIP(r.Request), SecureTransport: r.TLS != nil, Region: r.Region,
	})
	return assumeRoleResult{
		AssumedRoleUser: assumedRoleUser{AssumedRoleID: cred.AssumedRoleID, Arn: cred.ARN},
		Credentials: stsCredentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey,
			SessionToken: cred.SessionToken, Expiration: awsproto.Timestamp(cred.Expiration)},
		PackedPolicySize: cred.PackedPolicySize,
	}, err
}

type callerIdentityResult struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

type assumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumeRoleResult struct {
	AssumedRoleUser assumedRoleUser `xml:"AssumedRoleUser"`
	Credentials     stsCredentials  `xml:"Credentials"`
	// PackedPolicySize is there only with session policies.
	PackedPolicySize int `xml:"PackedPolicySize,omitempty"`
}
