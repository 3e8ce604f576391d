// Package samltest is a SAML identity provider for tests (and the demo): a key and certificate,
// the metadata to register as an IAM SAML provider, and responses signed as a test asks, well
// formed or broken in one chosen way. It signs with crewjam/saml's types and goxmldsig, the
// libraries internal/saml verifies with.
package samltest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"math/big"
	"net/url"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// AWSSignIn is where IdPs post responses for AWS, their usual Recipient, Destination and
// audience.
const AWSSignIn = "https://signin.aws.amazon.com/saml"

// The attributes AWS reads.
const (
	RoleAttribute            = "https://aws.amazon.com/SAML/Attributes/Role"
	RoleSessionNameAttribute = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	SessionDurationAttribute = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
)

// IdP is an identity provider with its own key.
type IdP struct {
	EntityID string
	key      *rsa.PrivateKey
	cert     *x509.Certificate
}

// New makes an IdP with a fresh 2048-bit RSA key and a self-signed certificate.
func New(entityID string) (*IdP, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: entityID},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &IdP{EntityID: entityID, key: key, cert: cert}, nil
}

// Metadata is the IdP's metadata document, as CreateSAMLProvider takes it.
func (p *IdP) Metadata() string {
	ssoURL, _ := url.Parse(p.EntityID + "/sso")
	metaURL, _ := url.Parse(p.EntityID)
	idp := saml.IdentityProvider{Key: p.key, Certificate: p.cert, MetadataURL: *metaURL, SSOURL: *ssoURL}
	md := idp.Metadata()
	md.EntityID = p.EntityID
	// crewjam/saml's IdP says its metadata is valid for two days from now; a test IdP's is
	// valid as long as its certificate, and the same document each time it is asked.
	md.ValidUntil = p.cert.NotAfter.UTC()
	b, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		panic(err) // a struct of strings and times always marshals
	}
	return string(b)
}

// Assertion says what a response holds; the zero value of each field is AWS's usual.
type Assertion struct {
	// ID is the assertion's ID (a fresh one when empty).
	ID string
	// Roles are values of the Role attribute, "ROLE_ARN,PROVIDER_ARN"; none leaves it out.
	Roles []string
	// SessionName is the RoleSessionName attribute ("" leaves it out); SessionDuration the
	// SessionDuration attribute ("" leaves it out).
	SessionName, SessionDuration string
	// PrincipalTags become PrincipalTag:KEY attributes; TransitiveTagKeys the attribute of
	// that name.
	PrincipalTags     map[string]string
	TransitiveTagKeys []string
	// Subject is the NameID (default "agent1@example.com"), SubjectFormat its format
	// (default persistent).
	Subject, SubjectFormat string
	// Audience and Recipient default to AWSSignIn.
	Audience, Recipient string
	// IssuedAt defaults to now; Lifetime (default 5 minutes) is how long it stays valid.
	IssuedAt time.Time
	Lifetime time.Duration
	// Unsigned sends no signature; SignResponse signs the Response rather than the Assertion;
	// SignedBy signs with another IdP's key (a forgery).
	Unsigned, SignResponse bool
	SignedBy               *IdP
}

// Response is a base64 SAML response carrying one assertion, built and signed as a says.
func (p *IdP) Response(a Assertion) string {
	b, err := p.ResponseXML(a)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// ResponseXML is Response before base64.
func (p *IdP) ResponseXML(a Assertion) ([]byte, error) {
	if a.ID == "" {
		a.ID = newID()
	}
	if a.Subject == "" {
		a.Subject = "agent1@example.com"
	}
	if a.SubjectFormat == "" {
		a.SubjectFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	}
	if a.Audience == "" {
		a.Audience = AWSSignIn
	}
	if a.Recipient == "" {
		a.Recipient = AWSSignIn
	}
	if a.IssuedAt.IsZero() {
		a.IssuedAt = time.Now()
	}
	if a.Lifetime == 0 {
		a.Lifetime = 5 * time.Minute
	}
	issued := a.IssuedAt.UTC().Truncate(time.Second)
	until := issued.Add(a.Lifetime)
	var attrs []saml.Attribute
	add := func(name string, values ...string) {
		attr := saml.Attribute{Name: name, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"}
		for _, v := range values {
			attr.Values = append(attr.Values, saml.AttributeValue{Type: "xs:string", Value: v})
		}
		attrs = append(attrs, attr)
	}
	if len(a.Roles) > 0 {
		add(RoleAttribute, a.Roles...)
	}
	if a.SessionName != "" {
		add(RoleSessionNameAttribute, a.SessionName)
	}
	if a.SessionDuration != "" {
		add(SessionDurationAttribute, a.SessionDuration)
	}
	for k, v := range a.PrincipalTags {
		add("https://aws.amazon.com/SAML/Attributes/PrincipalTag:"+k, v)
	}
	if len(a.TransitiveTagKeys) > 0 {
		add("https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys", a.TransitiveTagKeys...)
	}
	assertion := &saml.Assertion{
		ID: a.ID, IssueInstant: issued, Version: "2.0",
		Issuer: saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: p.EntityID},
		Subject: &saml.Subject{
			NameID: &saml.NameID{Format: a.SubjectFormat, Value: a.Subject},
			SubjectConfirmations: []saml.SubjectConfirmation{{Method: "urn:oasis:names:tc:SAML:2.0:cm:bearer",
				SubjectConfirmationData: &saml.SubjectConfirmationData{NotOnOrAfter: until, Recipient: a.Recipient}}},
		},
		Conditions: &saml.Conditions{NotBefore: issued, NotOnOrAfter: until,
			AudienceRestrictions: []saml.AudienceRestriction{{Audience: saml.Audience{Value: a.Audience}}}},
		AuthnStatements: []saml.AuthnStatement{{AuthnInstant: issued, SessionIndex: a.ID,
			AuthnContext: saml.AuthnContext{AuthnContextClassRef: &saml.AuthnContextClassRef{
				Value: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"}}}},
		AttributeStatements: []saml.AttributeStatement{{Attributes: attrs}},
	}
	signer := p
	if a.SignedBy != nil {
		signer = a.SignedBy
	}
	if !a.Unsigned && !a.SignResponse {
		sig, err := signer.sign(assertion.Element())
		if err != nil {
			return nil, err
		}
		assertion.Signature = sig
	}
	response := &saml.Response{ID: newID(), Version: "2.0", IssueInstant: issued, Destination: a.Recipient,
		Issuer:    &saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: p.EntityID},
		Status:    saml.Status{StatusCode: saml.StatusCode{Value: saml.StatusSuccess}},
		Assertion: assertion}
	if !a.Unsigned && a.SignResponse {
		sig, err := signer.sign(response.Element())
		if err != nil {
			return nil, err
		}
		response.Signature = sig
	}
	doc := etree.NewDocument()
	doc.SetRoot(response.Element())
	return doc.WriteToBytes()
}

// sign makes the enveloped signature of el, which the caller puts in its place (after the
// Issuer), as crewjam/saml's own IdP does.
func (p *IdP) sign(el *etree.Element) (*etree.Element, error) {
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tls.Certificate{
		Certificate: [][]byte{p.cert.Raw}, PrivateKey: p.key, Leaf: p.cert}))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return nil, err
	}
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		return nil, err
	}
	sig, ok := signed.Child[len(signed.Child)-1].(*etree.Element)
	if !ok {
		return nil, fmt.Errorf("samltest: no signature element")
	}
	return sig, nil
}

func newID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "_" + hex.EncodeToString(b)
}
