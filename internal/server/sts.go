package server

import (
	"context"
	"net/http"

	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/identity"
)

func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request, c *call) {
	s.serveQuery(w, r, c, s.sts)
}

func (s *Server) stsService() queryService {
	id := s.identity
	return queryService{xmlns: awsproto.STSNamespace, version: "2011-06-15", actions: map[string]queryAction{
		"GetCallerIdentity": func(_ context.Context, c *call, _ form) (any, error) {
			p := c.principal
			return callerIdentityResult{Arn: p.ARN, UserID: p.UserID, Account: p.AccountID}, nil
		},
		"AssumeRole": func(ctx context.Context, c *call, in form) (any, error) {
			d, err := in.integer("DurationSeconds")
			if err != nil {
				return nil, err
			}
			cred, err := id.AssumeRole(ctx, c.principal, identity.AssumeRoleInput{
				RoleARN: in.get("RoleArn"), RoleSessionName: in.get("RoleSessionName"), DurationSeconds: d,
			})
			return assumeRoleResult{
				AssumedRoleUser: assumedRoleUser{AssumedRoleID: cred.AssumedRoleID, Arn: cred.ARN},
				Credentials: stsCredentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey,
					SessionToken: cred.SessionToken, Expiration: awsproto.Timestamp(cred.Expiration)},
			}, err
		},
	}}
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
}
