package saml_test

import (
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/saml"
	"github.com/connectfed/connectfed/internal/saml/samltest"
)

const (
	roleARN     = "arn:aws:iam::123456789012:role/ConnectAgent"
	providerARN = "arn:aws:iam::123456789012:saml-provider/TestIdP"
)

var (
	idpOnce       sync.Once
	idp, otherIdP *samltest.IdP
)

// testIdPs are made once: RSA keys are slow to generate.
func testIdPs(t *testing.T) (*samltest.IdP, *samltest.IdP) {
	idpOnce.Do(func() {
		var err error
		if idp, err = samltest.New("https://idp.example.com"); err != nil {
			panic(err)
		}
		if otherIdP, err = samltest.New("https://evil.example.com"); err != nil {
			panic(err)
		}
	})
	return idp, otherIdP
}

func TestVerifyGoodResponse(t *testing.T) {
	idp, _ := testIdPs(t)
	v := saml.Verifier{}
	for name, a := range map[string]samltest.Assertion{
		"assertion signed": {Roles: []string{roleARN + "," + providerARN}, SessionName: "agent1", SessionDuration: "7200"},
		"response signed":  {Roles: []string{providerARN + "," + roleARN}, SessionName: "agent1", SignResponse: true},
		"urn audience":     {Roles: []string{roleARN + "," + providerARN}, SessionName: "agent1", Audience: saml.AWSAudience},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := v.Verify(idp.Response(a), idp.Metadata(), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Roles) != 1 || c.Roles[0].RoleARN != roleARN || c.Roles[0].ProviderARN != providerARN ||
				c.RoleSessionName != "agent1" || c.Issuer != "https://idp.example.com" ||
				c.Subject != "agent1@example.com" || c.SubjectType != "persistent" || c.AssertionID == "" {
				t.Errorf("claims = %+v", c)
			}
			if a.SessionDuration != "" && c.SessionDuration != 7200 {
				t.Errorf("SessionDuration = %d", c.SessionDuration)
			}
		})
	}
}

// Each broken response is refused with STS's error, and never with the library's detail.
func TestVerifyRefusals(t *testing.T) {
	idp, other := testIdPs(t)
	good := samltest.Assertion{Roles: []string{roleARN + "," + providerARN}, SessionName: "agent1"}
	with := func(change func(*samltest.Assertion)) string {
		a := good
		change(&a)
		return idp.Response(a)
	}
	wrapped := func() string {
		// Signature wrapping: a second, unsigned assertion put before the signed one.
		raw, err := idp.ResponseXML(good)
		if err != nil {
			t.Fatal(err)
		}
		// The response as built verifies, so its refusal below is the forgery's.
		if _, err := (saml.Verifier{}).Verify(base64.StdEncoding.EncodeToString(raw), idp.Metadata(), time.Now()); err != nil {
			t.Fatalf("the response before the forgery: %v", err)
		}
		s := string(raw)
		i := strings.Index(s, "<saml:Assertion")
		forged := strings.Replace(s[i:strings.Index(s, "</saml:Assertion>")+len("</saml:Assertion>")], "agent1", "admin", -1)
		forged = forged[:strings.Index(forged, "<ds:Signature")] + forged[strings.Index(forged, "</ds:Signature>")+len("</ds:Signature>"):]
		forged = strings.Replace(forged, `ID="`, `ID="x`, 1)
		return base64.StdEncoding.EncodeToString([]byte(s[:i] + forged + s[i:]))
	}
	for _, c := range []struct {
		name, response string
		code           apierr.Code
		msg            string
	}{
		{"unsigned", with(func(a *samltest.Assertion) { a.Unsigned = true }), apierr.InvalidIdentityToken, "Response signature invalid"},
		{"signed by another key", with(func(a *samltest.Assertion) { a.SignedBy = other }), apierr.InvalidIdentityToken, "Response signature invalid"},
		{"wrapped", wrapped(), apierr.InvalidIdentityToken, ""},
		{"wrong audience", with(func(a *samltest.Assertion) { a.Audience = "https://app.example.com" }), apierr.InvalidIdentityToken, "Audience"},
		{"wrong recipient", with(func(a *samltest.Assertion) { a.Recipient = "https://app.example.com/acs" }), apierr.InvalidIdentityToken, "Recipient"},
		{"expired", with(func(a *samltest.Assertion) { a.IssuedAt = time.Now().Add(-time.Hour) }), apierr.ExpiredAssertion, "Token must be redeemed within 5 minutes of issuance"},
		{"issued long ago, still valid", with(func(a *samltest.Assertion) { a.IssuedAt = time.Now().Add(-10 * time.Minute); a.Lifetime = time.Hour }),
			apierr.ExpiredAssertion, "5 minutes"},
		{"not base64", "%%%", apierr.InvalidIdentityToken, "Invalid base64 SAMLResponse"},
		{"not XML", base64.StdEncoding.EncodeToString([]byte("<nope")), apierr.InvalidIdentityToken, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := saml.Verifier{}.Verify(c.response, idp.Metadata(), time.Now())
			e := apierr.Of(err)
			if err == nil || e.Code != c.code || !strings.Contains(e.Text(), c.msg) {
				t.Fatalf("err = %v, want code %d with %q", err, c.code, c.msg)
			}
			if strings.Contains(e.Text(), "saml:") || strings.Contains(e.Text(), "<") {
				t.Errorf("the message carries the library's detail or the response: %q", e.Text())
			}
		})
	}
}

// A response to connectfed's own /saml is accepted once the server names it a recipient.
func TestVerifyOwnRecipient(t *testing.T) {
	idp, _ := testIdPs(t)
	own := "http://127.0.0.1:8080/saml"
	r := idp.Response(samltest.Assertion{Roles: []string{roleARN + "," + providerARN}, SessionName: "agent1", Recipient: own})
	if _, err := (saml.Verifier{}).Verify(r, idp.Metadata(), time.Now()); err == nil {
		t.Error("a response to another endpoint was accepted")
	}
	if _, err := (saml.Verifier{Recipients: []string{own}}).Verify(r, idp.Metadata(), time.Now()); err != nil {
		t.Errorf("a response to connectfed's own endpoint: %v", err)
	}
}

func TestParseMetadata(t *testing.T) {
	idp, _ := testIdPs(t)
	id, _, err := saml.Verifier{}.ParseMetadata(idp.Metadata())
	if err != nil || id != "https://idp.example.com" {
		t.Fatalf("ParseMetadata = %q, %v", id, err)
	}
	for _, bad := range []string{"<nope/>", strings.Repeat("x", 2000),
		strings.Replace(idp.Metadata(), "X509Certificate>", "X509CertificateX>", -1)} {
		if _, _, err := (saml.Verifier{}).ParseMetadata(bad); err == nil || apierr.Of(err).Code != apierr.InvalidInput {
			t.Errorf("ParseMetadata(%.40q) = %v, want InvalidInput", bad, err)
		}
	}
}
