// Package saml reads what SAML identity providers send, as AWS sign-in and STS do: an IdP's
// metadata (entity id, signing certificates) and the responses it posts (signature, audience,
// recipient, time window), turning them into identity.SAMLClaims or into AWS's errors. The
// XML and signature work is crewjam/saml's with russellhaering/goxmldsig (v1.6.1 and later fix
// a signature-wrapping flaw); this package only configures them as AWS behaves and maps their
// errors. Replays are identity's to refuse (it owns the store).
package saml

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/limits"
)

// The audiences AWS accepts, and its sign-in endpoint (a response's Recipient).
const (
	AWSSignIn   = "https://signin.aws.amazon.com/saml"
	AWSAudience = "urn:amazon:webservices"
)

// The attributes AWS reads.
const (
	roleAttribute            = "https://aws.amazon.com/SAML/Attributes/Role"
	roleSessionNameAttribute = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	sessionDurationAttribute = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	principalTagPrefix       = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
	transitiveTagsAttribute  = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
)

// regionalSignIn is a regional AWS sign-in endpoint, which IdPs may post to instead.
var regionalSignIn = regexp.MustCompile(`^https://[a-z0-9-]+\.signin\.aws\.amazon\.com/saml$`)

func init() {
	// STS accepts an assertion for five minutes after its issue ("Token must be redeemed
	// within 5 minutes of issuance"); crewjam/saml's default is 90 seconds.
	saml.MaxIssueDelay = limits.SAMLRedeemWithinSeconds * time.Second
}

// Verifier implements identity.SAMLVerifier.
type Verifier struct {
	// Recipients are the endpoints, besides AWS's sign-in, that responses may be addressed
	// to: connectfed's own /saml.
	Recipients []string
}

var _ identity.SAMLVerifier = Verifier{}

func invalidToken(format string, args ...any) error {
	return apierr.New(apierr.InvalidIdentityToken, format, args...)
}

// parseMetadata reads metadata and its signing certificates.
func parseMetadata(document string) (*saml.EntityDescriptor, error) {
	ed, err := entityDescriptor([]byte(document))
	if err != nil || ed.EntityID == "" || len(ed.IDPSSODescriptors) == 0 {
		return nil, apierr.New(apierr.InvalidInput, "Could not parse metadata")
	}
	certs := 0
	for _, d := range ed.IDPSSODescriptors {
		for _, k := range d.KeyDescriptors {
			if k.Use != "" && k.Use != "signing" {
				continue
			}
			for _, c := range k.KeyInfo.X509Data.X509Certificates {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Data), ""))
				if err != nil {
					return nil, apierr.New(apierr.InvalidInput, "Could not parse metadata")
				}
				if _, err := x509.ParseCertificate(der); err != nil {
					return nil, apierr.New(apierr.InvalidInput, "Could not parse metadata")
				}
				certs++
			}
		}
	}
	if certs == 0 {
		return nil, apierr.New(apierr.InvalidInput, "Could not parse metadata: no signing certificate")
	}
	return ed, nil
}

// entityDescriptor reads an EntityDescriptor, or the first IdP's of an EntitiesDescriptor.
func entityDescriptor(data []byte) (*saml.EntityDescriptor, error) {
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(data, &ed); err == nil {
		return &ed, nil
	}
	var eds saml.EntitiesDescriptor
	if err := xml.Unmarshal(data, &eds); err != nil {
		return nil, err
	}
	for i := range eds.EntityDescriptors {
		if len(eds.EntityDescriptors[i].IDPSSODescriptors) > 0 {
			return &eds.EntityDescriptors[i], nil
		}
	}
	return nil, errors.New("saml: no IdP in the metadata")
}

// ParseMetadata implements identity.SAMLVerifier.
func (Verifier) ParseMetadata(document string) (string, time.Time, error) {
	ed, err := parseMetadata(document)
	if err != nil {
		return "", time.Time{}, err
	}
	return ed.EntityID, ed.ValidUntil, nil
}

// Verify implements identity.SAMLVerifier.
func (v Verifier) Verify(response, metadata string, now time.Time) (identity.SAMLClaims, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(response), ""))
	if err != nil {
		return identity.SAMLClaims{}, invalidToken("Invalid base64 SAMLResponse")
	}
	ed, err := parseMetadata(metadata)
	if err != nil {
		// The provider's metadata was checked when it was stored.
		return identity.SAMLClaims{}, invalidToken("Specified provider doesn't exist")
	}
	var assertion *saml.Assertion
	for _, recipient := range v.recipients(raw) {
		acs, _ := url.Parse(recipient)
		sp := saml.ServiceProvider{
			EntityID: AWSSignIn, AcsURL: *acs, IDPMetadata: ed, AllowIDPInitiated: true,
			Clock: dsig.NewFakeClockAt(now),
			// AWS accepts either audience, and ignores the certificate's validity dates.
			ValidateAudienceRestriction: awsAudience,
			IgnoreCertificateExpiry:     true,
		}
		assertion, err = sp.ParseXMLResponse(raw, nil, *acs)
		if err == nil || !errors.Is(privateErr(err), saml.ErrDestinationMismatch) {
			break
		}
	}
	if err != nil {
		return identity.SAMLClaims{}, mapError(err)
	}
	return claimsOf(assertion, now)
}

// UnverifiedRoles implements identity.SAMLVerifier: the Role attribute's values, read from the
// XML as it stands.
func (Verifier) UnverifiedRoles(response string) []identity.SAMLRole {
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(response), ""))
	if err != nil {
		return nil
	}
	doc := etree.NewDocument()
	if doc.ReadFromBytes(raw) != nil || doc.Root() == nil {
		return nil
	}
	var out []identity.SAMLRole
	for _, attr := range doc.Root().FindElements("//Attribute[@Name='" + roleAttribute + "']") {
		for _, v := range attr.ChildElements() {
			if r, ok := roleValue(v.Text()); ok {
				out = append(out, r)
			}
		}
	}
	return out
}

// recipients are the endpoints a response may be addressed to: AWS's sign-in, the regional
// one the response names, and connectfed's own.
func (v Verifier) recipients(raw []byte) []string {
	out := append([]string{AWSSignIn}, v.Recipients...)
	doc := etree.NewDocument()
	if doc.ReadFromBytes(raw) == nil && doc.Root() != nil {
		if d := doc.Root().SelectAttrValue("Destination", ""); regionalSignIn.MatchString(d) {
			out = append(out, d)
		}
	}
	return out
}

// awsAudience accepts an assertion whose every AudienceRestriction lists one of AWS's audiences.
func awsAudience(a *saml.Assertion) error {
	if a.Conditions == nil || len(a.Conditions.AudienceRestrictions) == 0 {
		return saml.ErrAudienceMismatch
	}
	for i := range a.Conditions.AudienceRestrictions {
		ok := false
		for _, aud := range a.Conditions.AudienceRestrictions[i].AllAudiences() {
			if aud.Value == AWSSignIn || aud.Value == AWSAudience || regionalSignIn.MatchString(aud.Value) {
				ok = true
			}
		}
		if !ok {
			return saml.ErrAudienceMismatch
		}
	}
	return nil
}

func privateErr(err error) error {
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) {
		return ire.PrivateErr
	}
	return err
}

// mapError turns crewjam/saml's refusal into STS's error. The library's detail never reaches
// the caller: it may quote the response.
func mapError(err error) error {
	e := privateErr(err)
	switch {
	case errors.Is(e, saml.ErrInvalidSignature), errors.Is(e, saml.ErrUntrustedCertificate), errors.Is(e, saml.ErrCertificateNotValidNow),
		// An unsigned response: the library says so in words only.
		e != nil && strings.Contains(e.Error(), "signature element not present"):
		return invalidToken("Response signature invalid")
	case errors.Is(e, saml.ErrExpired):
		return apierr.New(apierr.ExpiredAssertion, "Token must be redeemed within 5 minutes of issuance")
	case errors.Is(e, saml.ErrNotYetValid):
		return invalidToken("Response is not yet valid")
	case errors.Is(e, saml.ErrAudienceMismatch):
		return invalidToken("Audience of the SAML assertion is not %s or %s", AWSSignIn, AWSAudience)
	case errors.Is(e, saml.ErrDestinationMismatch):
		return invalidToken("Recipient of the SAML response is not %s", AWSSignIn)
	case errors.Is(e, saml.ErrIssuerMismatch):
		return invalidToken("Issuer of the SAML response is not the provider's entity id")
	}
	var status saml.ErrBadStatus
	if errors.As(e, &status) {
		return invalidToken("The SAML response reports a failure: %s", status.Status)
	}
	return invalidToken("The SAML response is not a valid signed response")
}

// claimsOf reads the attributes AWS reads from a verified assertion.
func claimsOf(a *saml.Assertion, now time.Time) (identity.SAMLClaims, error) {
	c := identity.SAMLClaims{AssertionID: a.ID, Issuer: a.Issuer.Value, Expires: now.Add(limits.SAMLRedeemWithinSeconds * time.Second)}
	if a.Conditions != nil && !a.Conditions.NotOnOrAfter.IsZero() && a.Conditions.NotOnOrAfter.Before(c.Expires) {
		c.Expires = a.Conditions.NotOnOrAfter
	}
	if a.Subject != nil && a.Subject.NameID != nil {
		c.Subject = a.Subject.NameID.Value
		c.SubjectType = subjectType(a.Subject.NameID.Format)
	}
	c.Audience = AWSSignIn
	if a.Conditions != nil && len(a.Conditions.AudienceRestrictions) > 0 {
		c.Audience = a.Conditions.AudienceRestrictions[0].Audience.Value
	}
	for _, st := range a.AttributeStatements {
		for _, attr := range st.Attributes {
			if key, ok := strings.CutPrefix(attr.Name, principalTagPrefix); ok && len(attr.Values) > 0 {
				if c.PrincipalTags == nil {
					c.PrincipalTags = map[string]string{}
				}
				c.PrincipalTags[key] = attr.Values[0].Value
				continue
			}
			switch attr.Name {
			case roleAttribute:
				for _, v := range attr.Values {
					if r, ok := roleValue(v.Value); ok {
						c.Roles = append(c.Roles, r)
					}
				}
			case roleSessionNameAttribute:
				if len(attr.Values) > 0 {
					c.RoleSessionName = strings.TrimSpace(attr.Values[0].Value)
				}
			case transitiveTagsAttribute:
				for _, v := range attr.Values {
					c.TransitiveTagKeys = append(c.TransitiveTagKeys, strings.TrimSpace(v.Value))
				}
			case sessionDurationAttribute:
				if len(attr.Values) > 0 {
					d, err := strconv.Atoi(strings.TrimSpace(attr.Values[0].Value))
					if err != nil {
						return identity.SAMLClaims{}, invalidToken("SessionDuration is not a number of seconds")
					}
					c.SessionDuration = d
				}
			}
		}
	}
	return c, nil
}

// roleValue reads "ROLE_ARN,PROVIDER_ARN" in either order.
func roleValue(v string) (identity.SAMLRole, bool) {
	a, b, ok := strings.Cut(strings.TrimSpace(v), ",")
	if !ok {
		return identity.SAMLRole{}, false
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if strings.Contains(a, ":saml-provider/") {
		a, b = b, a
	}
	if !strings.Contains(a, ":role/") || !strings.Contains(b, ":saml-provider/") {
		return identity.SAMLRole{}, false
	}
	return identity.SAMLRole{RoleARN: a, ProviderARN: b}, true
}

// subjectType is AssumeRoleWithSAML's SubjectType: persistent, transient, or the format URI.
func subjectType(format string) string {
	switch format {
	case "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent":
		return "persistent"
	case "urn:oasis:names:tc:SAML:2.0:nameid-format:transient":
		return "transient"
	}
	return format
}
