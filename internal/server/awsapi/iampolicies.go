package awsapi

import (
	"context"
	"strconv"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/identity"
)

// Managed policies, their versions and attachments, permissions boundaries and trust policies.

func (a *API) createPolicy(r *Request) (any, error) {
	p, err := a.identity.CreatePolicy(r.Context(), r.Principal, identity.PolicyInput{Name: r.Form.get("PolicyName"),
		Path: r.Form.get("Path"), Document: r.Form.get("PolicyDocument"), Description: r.Form.get("Description")})
	return policyResult{Policy: xmlPolicyOf(p)}, err
}

func (a *API) getPolicy(r *Request) (any, error) {
	p, err := a.identity.GetPolicy(r.Context(), r.Principal, r.Form.get("PolicyArn"))
	return policyResult{Policy: xmlPolicyOf(p)}, err
}

func (a *API) listPolicies(r *Request) (any, error) {
	max, err := r.Form.integer("MaxItems")
	if err != nil {
		return nil, err
	}
	onlyAttached, err := r.Form.boolean("OnlyAttached")
	if err != nil {
		return nil, err
	}
	page, err := a.identity.ListPolicies(r.Context(), r.Principal, identity.ListPoliciesInput{Scope: r.Form.get("Scope"),
		OnlyAttached: onlyAttached, PathPrefix: r.Form.get("PathPrefix"), Marker: r.Form.get("Marker"), MaxItems: max})
	res := listManagedPoliciesResult{IsTruncated: page.NextMarker != "", Marker: page.NextMarker}
	for _, p := range page.Items {
		x := xmlPolicyOf(p)
		x.Description = "" // ListPolicies leaves descriptions to GetPolicy, as IAM does
		res.Policies = append(res.Policies, x)
	}
	return res, err
}

func (a *API) deletePolicy(r *Request) (any, error) {
	return nil, a.identity.DeletePolicy(r.Context(), r.Principal, r.Form.get("PolicyArn"))
}

func (a *API) createPolicyVersion(r *Request) (any, error) {
	setDefault, err := r.Form.boolean("SetAsDefault")
	if err != nil {
		return nil, err
	}
	v, err := a.identity.CreatePolicyVersion(r.Context(), r.Principal, r.Form.get("PolicyArn"), r.Form.get("PolicyDocument"), setDefault)
	// CreatePolicyVersion's answer carries no document, as IAM's does not.
	return policyVersionResult{PolicyVersion: xmlPolicyVersion{VersionID: v.ID, IsDefaultVersion: v.Default,
		CreateDate: awsproto.Timestamp(v.CreatedAt)}}, err
}

func (a *API) getPolicyVersion(r *Request) (any, error) {
	v, err := a.identity.GetPolicyVersion(r.Context(), r.Principal, r.Form.get("PolicyArn"), r.Form.get("VersionId"))
	return policyVersionResult{PolicyVersion: xmlPolicyVersionOf(v)}, err
}

func (a *API) listPolicyVersions(r *Request) (any, error) {
	max, err := r.Form.integer("MaxItems")
	if err != nil {
		return nil, err
	}
	page, err := a.identity.ListPolicyVersions(r.Context(), r.Principal, r.Form.get("PolicyArn"), r.Form.get("Marker"), max)
	res := listPolicyVersionsResult{IsTruncated: page.NextMarker != "", Marker: page.NextMarker}
	for _, v := range page.Items {
		x := xmlPolicyVersionOf(v)
		x.Document = "" // listed without documents, as IAM does
		res.Versions = append(res.Versions, x)
	}
	return res, err
}

func (a *API) setDefaultPolicyVersion(r *Request) (any, error) {
	return nil, a.identity.SetDefaultPolicyVersion(r.Context(), r.Principal, r.Form.get("PolicyArn"), r.Form.get("VersionId"))
}

func (a *API) deletePolicyVersion(r *Request) (any, error) {
	return nil, a.identity.DeletePolicyVersion(r.Context(), r.Principal, r.Form.get("PolicyArn"), r.Form.get("VersionId"))
}

func (a *API) attachUserPolicy(r *Request) (any, error) {
	return nil, a.identity.AttachUserPolicy(r.Context(), r.Principal, r.Form.get("UserName"), r.Form.get("PolicyArn"))
}

func (a *API) attachRolePolicy(r *Request) (any, error) {
	return nil, a.identity.AttachRolePolicy(r.Context(), r.Principal, r.Form.get("RoleName"), r.Form.get("PolicyArn"))
}

func (a *API) detachUserPolicy(r *Request) (any, error) {
	return nil, a.identity.DetachUserPolicy(r.Context(), r.Principal, r.Form.get("UserName"), r.Form.get("PolicyArn"))
}

func (a *API) detachRolePolicy(r *Request) (any, error) {
	return nil, a.identity.DetachRolePolicy(r.Context(), r.Principal, r.Form.get("RoleName"), r.Form.get("PolicyArn"))
}

func (a *API) listAttachedUserPolicies(r *Request) (any, error) {
	return a.listAttached(r, "UserName", a.identity.ListAttachedUserPolicies)
}

func (a *API) listAttachedRolePolicies(r *Request) (any, error) {
	return a.listAttached(r, "RoleName", a.identity.ListAttachedRolePolicies)
}

func (a *API) listAttached(r *Request, owner string,
	list func(context.Context, identity.Principal, string, string, string, int) (identity.Page[identity.AttachedPolicy], error)) (any, error) {
	max, err := r.Form.integer("MaxItems")
	if err != nil {
		return nil, err
	}
	page, err := list(r.Context(), r.Principal, r.Form.get(owner), r.Form.get("PathPrefix"), r.Form.get("Marker"), max)
	res := listAttachedResult{IsTruncated: page.NextMarker != "", Marker: page.NextMarker}
	for _, p := range page.Items {
		res.AttachedPolicies = append(res.AttachedPolicies, xmlAttachedPolicy{PolicyName: p.Name, PolicyArn: p.ARN})
	}
	return res, err
}

func (a *API) putUserPermissionsBoundary(r *Request) (any, error) {
	return nil, a.identity.PutUserPermissionsBoundary(r.Context(), r.Principal, r.Form.get("UserName"), r.Form.get("PermissionsBoundary"))
}

func (a *API) putRolePermissionsBoundary(r *Request) (any, error) {
	return nil, a.identity.PutRolePermissionsBoundary(r.Context(), r.Principal, r.Form.get("RoleName"), r.Form.get("PermissionsBoundary"))
}

func (a *API) deleteUserPermissionsBoundary(r *Request) (any, error) {
	return nil, a.identity.DeleteUserPermissionsBoundary(r.Context(), r.Principal, r.Form.get("UserName"))
}

func (a *API) deleteRolePermissionsBoundary(r *Request) (any, error) {
	return nil, a.identity.DeleteRolePermissionsBoundary(r.Context(), r.Principal, r.Form.get("RoleName"))
}

func (a *API) updateAssumeRolePolicy(r *Request) (any, error) {
	return nil, a.identity.UpdateAssumeRolePolicy(r.Context(), r.Principal, r.Form.get("RoleName"), r.Form.get("PolicyDocument"))
}

// boolean reads an optional boolean parameter ("true" or "false"); absent is false.
func (f Form) boolean(name string) (bool, error) {
	switch v := f.Values.Get(name); v {
	case "":
		return false, nil
	default:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, apierr.Validation(apierr.ValidationError, apierr.Invalid(name, v, "Member must be a boolean"))
		}
		return b, nil
	}
}

// The XML shapes, members in the order IAM writes them.

type xmlPolicy struct {
	PolicyName                    string `xml:"PolicyName"`
	PolicyID                      string `xml:"PolicyId"`
	Arn                           string `xml:"Arn"`
	Path                          string `xml:"Path"`
	DefaultVersionID              string `xml:"DefaultVersionId"`
	AttachmentCount               int    `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int    `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool   `xml:"IsAttachable"`
	Description                   string `xml:"Description,omitempty"`
	CreateDate                    string `xml:"CreateDate"`
	UpdateDate                    string `xml:"UpdateDate"`
}

func xmlPolicyOf(p identity.ManagedPolicy) xmlPolicy {
	return xmlPolicy{PolicyName: p.Name, PolicyID: p.ID, Arn: p.ARN, Path: p.Path, DefaultVersionID: p.DefaultVersion,
		AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.BoundaryUsageCount, IsAttachable: true,
		Description: p.Description, CreateDate: awsproto.Timestamp(p.CreatedAt), UpdateDate: awsproto.Timestamp(p.UpdatedAt)}
}

type policyResult struct {
	Policy xmlPolicy `xml:"Policy"`
}

type listManagedPoliciesResult struct {
	Policies    []xmlPolicy `xml:"Policies>member"`
	IsTruncated bool        `xml:"IsTruncated"`
	Marker      string      `xml:"Marker,omitempty"`
}

type xmlPolicyVersion struct {
	Document         string `xml:"Document,omitempty"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

func xmlPolicyVersionOf(v identity.PolicyVersion) xmlPolicyVersion {
	return xmlPolicyVersion{Document: encodeDocument(v.Document), VersionID: v.ID, IsDefaultVersion: v.Default,
		CreateDate: awsproto.Timestamp(v.CreatedAt)}
}

type policyVersionResult struct {
	PolicyVersion xmlPolicyVersion `xml:"PolicyVersion"`
}

type listPolicyVersionsResult struct {
	Versions    []xmlPolicyVersion `xml:"Versions>member"`
	IsTruncated bool               `xml:"IsTruncated"`
	Marker      string             `xml:"Marker,omitempty"`
}

type xmlAttachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type listAttachedResult struct {
	AttachedPolicies []xmlAttachedPolicy `xml:"AttachedPolicies>member"`
	IsTruncated      bool                `xml:"IsTruncated"`
	Marker           string              `xml:"Marker,omitempty"`
}

// xmlBoundary is a user's or role's permissions boundary in GetUser and GetRole.
type xmlBoundary struct {
	PermissionsBoundaryType string `xml:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn"`
}

func xmlBoundaryOf(policyARN string) *xmlBoundary {
	if policyARN == "" {
		return nil
	}
	return &xmlBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: policyARN}
}
