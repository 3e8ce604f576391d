package awsapi

import (
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/server/httpx"
)

// SAML providers (IAM) and AssumeRoleWithSAML (STS).

func (a *API) createSAMLProvider(r *Request) (any, error) {
	p, err := a.identity.CreateSAMLProvider(r.Context(), r.Principal, r.Form.get("Name"), r.Form.get("SAMLMetadataDocument"))
	return samlProviderARNResult{SAMLProviderArn: p.ARN}, err
}

func (a *API) getSAMLProvider(r *Request) (any, error) {
	p, err := a.identity.GetSAMLProvider(r.Context(), r.Principal, r.Form.get("SAMLProviderArn"))
	return getSAMLProviderResult{SAMLMetadataDocument: p.Metadata, CreateDate: awsproto.Timestamp(p.CreatedAt),
		ValidUntil: awsproto.Timestamp(p.ValidUntil)}, err
}

func (a *API) listSAMLProviders(r *Request) (any, error) {
	list, err := a.identity.ListSAMLProviders(r.Context(), r.Principal)
	res := listSAMLProvidersResult{}
	for _, p := range list {
		res.SAMLProviderList = append(res.SAMLProviderList, xmlSAMLProviderEntry{Arn: p.ARN,
			ValidUntil: awsproto.Timestamp(p.ValidUntil), CreateDate: awsproto.Timestamp(p.CreatedAt)})
	}
	return res, err
}

func (a *API) updateSAMLProvider(r *Request) (any, error) {
	p, err := a.identity.UpdateSAMLProvider(r.Context(), r.Principal, r.Form.get("SAMLProviderArn"), r.Form.get("SAMLMetadataDocument"))
	return samlProviderARNResult{SAMLProviderArn: p.ARN}, err
}

func (a *API) deleteSAMLProvider(r *Request) (any, error) {
	return nil, a.identity.DeleteSAMLProvider(r.Context(), r.Principal, r.Form.get("SAMLProviderArn"))
}

// assumeRoleWithSAML is unsigned, as in AWS: the assertion is the credential.
func (a *API) assumeRoleWithSAML(r *Request) (any, error) {
	d, err := r.Form.integer("DurationSeconds")
	if err != nil {
		return nil, err
	}
	cred, err := a.identity.AssumeRoleWithSAML(r.Context(), identity.AssumeRoleWithSAMLInput{
		RoleARN: r.Form.get("RoleArn"), PrincipalARN: r.Form.get("PrincipalArn"), SAMLAssertion: r.Form.get("SAMLAssertion"),
		DurationSeconds: d, Policy: r.Form.get("Policy"), PolicyARNs: r.Form.list("PolicyArns", "arn"),
		SourceIP: httpx.SourceIP(r.Request), SecureTransport: r.TLS != nil, Region: r.Region,
	})
	if err != nil {
		return nil, err
	}
	return assumeRoleWithSAMLResult{
		Credentials: stsCredentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey,
			SessionToken: cred.SessionToken, Expiration: awsproto.Timestamp(cred.Expiration)},
		AssumedRoleUser:  assumedRoleUser{AssumedRoleID: cred.AssumedRoleID, Arn: cred.ARN},
		PackedPolicySize: cred.PackedPolicySize,
		Subject:          cred.Subject, SubjectType: cred.SubjectType, Issuer: cred.Issuer, Audience: cred.Audience,
		NameQualifier: cred.NameQualifier,
	}, nil
}

// unsignedOperation is the operation an unsigned request asks for, when AWS serves it
// unsigned: a query-protocol STS call whose Action is such a row.
func unsignedOperation(req *Request) (*Operation, bool) {
	svc := services["sts"]
	op, err := svc.routeQuery(req)
	if err != nil || !op.Unsigned {
		return nil, false
	}
	return op, true
}

type samlProviderARNResult struct {
	SAMLProviderArn string `xml:"SAMLProviderArn"`
}

type getSAMLProviderResult struct {
	SAMLMetadataDocument string `xml:"SAMLMetadataDocument"`
	CreateDate           string `xml:"CreateDate"`
	ValidUntil           string `xml:"ValidUntil"`
}

type xmlSAMLProviderEntry struct {
	Arn        string `xml:"Arn"`
	ValidUntil string `xml:"ValidUntil"`
	CreateDate string `xml:"CreateDate"`
}

type listSAMLProvidersResult struct {
	SAMLProviderList []xmlSAMLProviderEntry `xml:"SAMLProviderList>member"`
}

type assumeRoleWithSAMLResult struct {
	Credentials      stsCredentials  `xml:"Credentials"`
	AssumedRoleUser  assumedRoleUser `xml:"AssumedRoleUser"`
	PackedPolicySize int             `xml:"PackedPolicySize,omitempty"`
	Subject          string          `xml:"Subject"`
	SubjectType      string          `xml:"SubjectType"`
	Issuer           string          `xml:"Issuer"`
	Audience         string          `xml:"Audience"`
	NameQualifier    string          `xml:"NameQualifier"`
}
