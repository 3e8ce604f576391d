package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/store"
)

func (s *Server) serveIAM(w http.ResponseWriter, r *http.Request, c *call) {
	s.serveQuery(w, r, c, s.iam)
}

func (s *Server) iamService() queryService {
	id := s.identity
	return queryService{xmlns: awsproto.IAMNamespace, version: "2010-05-08", actions: map[string]queryAction{
		"CreateUser": func(ctx context.Context, c *call, in form) (any, error) {
			u, err := id.CreateUser(ctx, c.principal, in.get("UserName"), in.get("Path"))
			return userResult{User: xmlUserOf(u)}, err
		},
		"GetUser": func(ctx context.Context, c *call, in form) (any, error) {
			u, arn, err := id.GetUser(ctx, c.principal, in.get("UserName"))
			x := xmlUserOf(u)
			x.Arn = arn
			return userResult{User: x}, err
		},
		"ListUsers": func(ctx context.Context, c *call, in form) (any, error) {
			max, err := in.integer("MaxItems")
			if err != nil {
				return nil, err
			}
			page, err := id.ListUsers(ctx, c.principal, in.get("Marker"), max)
			res := listUsersResult{Marker: page.NextMarker, IsTruncated: page.NextMarker != ""}
			for _, u := range page.Items {
				res.Users = append(res.Users, xmlUserOf(u))
			}
			return res, err
		},
		"DeleteUser": func(ctx context.Context, c *call, in form) (any, error) {
			return nil, id.DeleteUser(ctx, c.principal, in.get("UserName"))
		},
		"CreateAccessKey": func(ctx context.Context, c *call, in form) (any, error) {
			k, err := id.CreateAccessKey(ctx, c.principal, in.get("UserName"))
			return createAccessKeyResult{AccessKey: xmlAccessKey{
				UserName: k.UserName, AccessKeyID: k.ID, Status: keyStatus(k),
				SecretAccessKey: k.Secret, CreateDate: awsproto.Timestamp(k.CreatedAt),
			}}, err
		},
		"ListAccessKeys": func(ctx context.Context, c *call, in form) (any, error) {
			keys, err := id.ListAccessKeys(ctx, c.principal, in.get("UserName"))
			res := listAccessKeysResult{UserName: in.get("UserName")}
			if res.UserName == "" {
				res.UserName = c.principal.UserName
			}
			for _, k := range keys {
				res.AccessKeyMetadata = append(res.AccessKeyMetadata, xmlAccessKey{
					UserName: k.UserName, AccessKeyID: k.ID, Status: keyStatus(k), CreateDate: awsproto.Timestamp(k.CreatedAt),
				})
			}
			return res, err
		},
		"UpdateAccessKey": func(ctx context.Context, c *call, in form) (any, error) {
			return nil, id.UpdateAccessKey(ctx, c.principal, in.get("UserName"), in.get("AccessKeyId"), in.get("Status"))
		},
		"DeleteAccessKey": func(ctx context.Context, c *call, in form) (any, error) {
			return nil, id.DeleteAccessKey(ctx, c.principal, in.get("UserName"), in.get("AccessKeyId"))
		},
		"CreateRole": func(ctx context.Context, c *call, in form) (any, error) {
			max, err := in.integer("MaxSessionDuration")
			if err != nil {
				return nil, err
			}
			role, err := id.CreateRole(ctx, c.principal, identity.RoleInput{
				Name: in.get("RoleName"), Path: in.get("Path"), TrustPolicy: in.get("AssumeRolePolicyDocument"),
				Description: in.get("Description"), MaxSessionDuration: max,
			})
			return roleResult{Role: xmlRoleOf(role)}, err
		},
		"GetRole": func(ctx context.Context, c *call, in form) (any, error) {
			role, err := id.GetRole(ctx, c.principal, in.get("RoleName"))
			return roleResult{Role: xmlRoleOf(role)}, err
		},
		"ListRoles": func(ctx context.Context, c *call, in form) (any, error) {
			max, err := in.integer("MaxItems")
			if err != nil {
				return nil, err
			}
			page, err := id.ListRoles(ctx, c.principal, in.get("Marker"), max)
			res := listRolesResult{Marker: page.NextMarker, IsTruncated: page.NextMarker != ""}
			for _, r := range page.Items {
				res.Roles = append(res.Roles, xmlRoleOf(r))
			}
			return res, err
		},
		"DeleteRole": func(ctx context.Context, c *call, in form) (any, error) {
			return nil, id.DeleteRole(ctx, c.principal, in.get("RoleName"))
		},
	}}
}

// The XML shapes of IAM's results, members in the order IAM writes them.

type xmlUser struct {
	Path       string `xml:"Path,omitempty"`
	UserName   string `xml:"UserName,omitempty"`
	UserID     string `xml:"UserId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

func xmlUserOf(u store.User) xmlUser {
	return xmlUser{Path: u.Path, UserName: u.Name, UserID: u.ID,
		Arn: identity.UserARN(u.AccountID, u.Path, u.Name), CreateDate: awsproto.Timestamp(u.CreatedAt)}
}

type userResult struct {
	User xmlUser `xml:"User"`
}

type listUsersResult struct {
	Users       []xmlUser `xml:"Users>member"`
	IsTruncated bool      `xml:"IsTruncated"`
	Marker      string    `xml:"Marker,omitempty"`
}

type xmlAccessKey struct {
	UserName        string `xml:"UserName,omitempty"`
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string `xml:"Status"`
	SecretAccessKey string `xml:"SecretAccessKey,omitempty"`
	CreateDate      string `xml:"CreateDate"`
}

func keyStatus(k store.AccessKey) string {
	if k.Active {
		return "Active"
	}
	return "Inactive"
}

type createAccessKeyResult struct {
	AccessKey xmlAccessKey `xml:"AccessKey"`
}

type listAccessKeysResult struct {
	UserName          string         `xml:"UserName,omitempty"`
	AccessKeyMetadata []xmlAccessKey `xml:"AccessKeyMetadata>member"`
	IsTruncated       bool           `xml:"IsTruncated"`
}

type xmlRole struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleID                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	Description              string `xml:"Description,omitempty"`
	MaxSessionDuration       int    `xml:"MaxSessionDuration"`
}

// xmlRoleOf writes the trust policy percent-encoded, as IAM does (the AWS CLI decodes it; SDK
// users call url.QueryUnescape). Spaces become %20 so Python's unquote reads them back too.
func xmlRoleOf(r store.Role) xmlRole {
	return xmlRole{Path: r.Path, RoleName: r.Name, RoleID: r.ID,
		Arn: identity.RoleARN(r.AccountID, r.Path, r.Name), CreateDate: awsproto.Timestamp(r.CreatedAt),
		AssumeRolePolicyDocument: strings.ReplaceAll(url.QueryEscape(r.TrustPolicy), "+", "%20"),
		Description:              r.Description, MaxSessionDuration: r.MaxSessionDuration}
}

type roleResult struct {
	Role xmlRole `xml:"Role"`
}

type listRolesResult struct {
	Roles       []xmlRole `xml:"Roles>member"`
	IsTruncated bool      `xml:"IsTruncated"`
	Marker      string    `xml:"Marker,omitempty"`
}
