package awsapi

import (
	"context"
	"net/url"
	"strings"

	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/identity"
)

func (a *API) createIAMUser(r *Request) (any, error) {
	u, err := a.identity.CreateUser(r.Context(), r.Principal, r.Form.get("UserName"), r.Form.get("Path"))
	return userResult{User: xmlUserOf(u)}, err
}

func (a *API) getIAMUser(r *Request) (any, error) {
	u, err := a.identity.GetUser(r.Context(), r.Principal, r.Form.get("UserName"))
	return userResult{User: xmlUserOf(u)}, err
}

func (a *API) listIAMUsers(r *Request) (any, error) {
	max, err := r.Form.integer("MaxItems")
	if err != nil {
		return nil, err
	}
	page, err := a.identity.ListUsers(r.Context(), r.Principal, r.Form.get("Marker"), max)
	res := listUsersResult{Marker: page.NextMarker, IsTruncated: page.NextMarker != ""}
	for _, u := range page.Items {
		res.Users = append(res.Users, xmlUserOf(u))
	}
	return res, err
}

func (a *API) deleteIAMUser(r *Request) (any, error) {
	return nil, a.identity.DeleteUser(r.Context(), r.Principal, r.Form.get("UserName"))
}

func (a *API) createAccessKey(r *Request) (any, error) {
	k, err := a.identity.CreateAccessKey(r.Context(), r.Principal, r.Form.get("UserName"))
	return createAccessKeyResult{AccessKey: xmlAccessKey{
		UserName: k.UserName, AccessKeyID: k.ID, Status: k.Status,
		SecretAccessKey: k.Secret, CreateDate: awsproto.Timestamp(k.CreatedAt),
	}}, err
}

func (a *API) listAccessKeys(r *Request) (any, error) {
	keys, err := a.identity.ListAccessKeys(r.Context(), r.Principal, r.Form.get("UserName"))
	res := listAccessKeysResult{UserName: r.Form.get("UserName")}
	if res.UserName == "" {
		res.UserName = r.Principal.UserName
	}
	for _, k := range keys {
		res.AccessKeyMetadata = append(res.AccessKeyMetadata, xmlAccessKey{
			UserName: k.UserName, AccessKeyID: k.ID, Status: k.Status, CreateDate: awsproto.Timestamp(k.CreatedAt),
		})
	}
	return res, err
}

func (a *API) updateAccessKey(r *Request) (any, error) {
	return nil, a.identity.UpdateAccessKey(r.Context(), r.Principal, r.Form.get("UserName"), r.Form.get("AccessKeyId"), r.Form.get("Status"))
}

func (a *API) deleteAccessKey(r *Request) (any, error) {
	return nil, a.identity.DeleteAccessKey(r.Context(), r.Principal, r.Form.get("UserName"), r.Form.get("AccessKeyId"))
}

func (a *API) createRole(r *Request) (any, error) {
	max, err := r.Form.integer("MaxSessionDuration")
	if err != nil {
		return nil, err
	}
	role, err := a.identity.CreateRole(r.Context(), r.Principal, identity.RoleInput{
		Name: r.Form.get("RoleName"), Path: r.Form.get("Path"), TrustPolicy: r.Form.get("AssumeRolePolicyDocument"),
		Description: r.Form.get("Description"), MaxSessionDuration: max,
	})
	return roleResult{Role: xmlRoleOf(role)}, err
}

func (a *API) getRole(r *Request) (any, error) {
	role, err := a.identity.GetRole(r.Context(), r.Principal, r.Form.get("RoleName"))
	return roleResult{Role: xmlRoleOf(role)}, err
}

func (a *API) listRoles(r *Request) (any, error) {
	max, err := r.Form.integer("MaxItems")
	if err != nil {
		return nil, err
	}
	page, err := a.identity.ListRoles(r.Context(), r.Principal, r.Form.get("Marker"), max)
	res := listRolesResult{Marker: page.NextMarker, IsTruncated: page.NextMarker != ""}
	for _, r := range page.Items {
		res.Roles = append(res.Roles, xmlRoleOf(r))
	}
	return res, err
}

func (a *API) deleteRole(r *Request) (any, error) {
	return nil, a.identity.DeleteRole(r.Context(), r.Principal, r.Form.get("RoleName"))
}

// The XML shapes of IAM's results, members in the order IAM writes them.

type xmlUser struct {
	Path       string `xml:"Path,omitempty"`
	UserName   string `xml:"UserName,omitempty"`
	UserID     string `xml:"UserId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
	// PermissionsBoundary is in GetUser's answer only.
	PermissionsBoundary *xmlBoundary `xml:"PermissionsBoundary,omitempty"`
}

func xmlUserOf(u identity.User) xmlUser {
	return xmlUser{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: u.ARN, CreateDate: awsproto.Timestamp(u.CreatedAt),
		PermissionsBoundary: xmlBoundaryOf(u.PermissionsBoundary)}
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
	// PermissionsBoundary is in GetRole's answer only.
	PermissionsBoundary *xmlBoundary `xml:"PermissionsBoundary,omitempty"`
}

// encodeDocument writes a policy document percent-encoded, as IAM returns every document (the
// AWS CLI decodes it; SDK users call url.QueryUnescape). Spaces become %20 so Python's unquote
// reads them back too.
func encodeDocument(doc string) string { return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20") }

func xmlRoleOf(r identity.Role) xmlRole {
	return xmlRole{Path: r.Path, RoleName: r.Name, RoleID: r.ID,
		Arn: r.ARN, CreateDate: awsproto.Timestamp(r.CreatedAt),
		AssumeRolePolicyDocument: encodeDocument(r.TrustPolicy),
		Description:              r.Description, MaxSessionDuration: r.MaxSessionDuration,
		PermissionsBoundary: xmlBoundaryOf(r.PermissionsBoundary)}
}

type roleResult struct {
	Role xmlRole `xml:"Role"`
}

type listRolesResult struct {
	Roles       []xmlRole `xml:"Roles>member"`
	IsTruncated bool      `xml:"IsTruncated"`
	Marker      string    `xml:"Marker,omitempty"`
}

// Inline policies.

func (a *API) putUserPolicy(r *Request) (any, error) {
	return nil, a.identity.PutUserPolicy(r.Context(), r.Principal, r.Form.get("UserName"), r.Form.get("PolicyName"), r.Form.get("PolicyDocument"))
}

func (a *API) putRolePolicy(r *Request) (any, error) {
	return nil, a.identity.PutRolePolicy(r.Context(), r.Principal, r.Form.get("RoleName"), r.Form.get("PolicyName"), r.Form.get("PolicyDocument"))
}

type userPolicyResult struct {
	UserName       string `xml:"UserName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type rolePolicyResult struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (a *API) getUserPolicy(r *Request) (any, error) {
	p, err := a.identity.GetUserPolicy(r.Context(), r.Principal, r.Form.get("UserName"), r.Form.get("PolicyName"))
	return userPolicyResult{p.Owner, p.Name, encodeDocument(p.Document)}, err
}

func (a *API) getRolePolicy(r *Request) (any, error) {
	p, err := a.identity.GetRolePolicy(r.Context(), r.Principal, r.Form.get("RoleName"), r.Form.get("PolicyName"))
	return rolePolicyResult{p.Owner, p.Name, encodeDocument(p.Document)}, err
}

type listPoliciesResult struct {
	PolicyNames []string `xml:"PolicyNames>member"`
	IsTruncated bool     `xml:"IsTruncated"`
	Marker      string   `xml:"Marker,omitempty"`
}

func (a *API) listUserPolicies(r *Request) (any, error) {
	return a.listInline(r, "UserName", a.identity.ListUserPolicies)
}

func (a *API) listRolePolicies(r *Request) (any, error) {
	return a.listInline(r, "RoleName", a.identity.ListRolePolicies)
}

func (a *API) listInline(r *Request, owner string,
	list func(context.Context, identity.Principal, string, string, int) (identity.Page[string], error)) (any, error) {
	max, err := r.Form.integer("MaxItems")
	if err != nil {
		return nil, err
	}
	page, err := list(r.Context(), r.Principal, r.Form.get(owner), r.Form.get("Marker"), max)
	return listPoliciesResult{PolicyNames: page.Items, IsTruncated: page.NextMarker != "", Marker: page.NextMarker}, err
}

func (a *API) deleteUserPolicy(r *Request) (any, error) {
	return nil, a.identity.DeleteUserPolicy(r.Context(), r.Principal, r.Form.get("UserName"), r.Form.get("PolicyName"))
}

func (a *API) deleteRolePolicy(r *Request) (any, error) {
	return nil, a.identity.DeleteRolePolicy(r.Context(), r.Principal, r.Form.get("RoleName"), r.Form.get("PolicyName"))
}
