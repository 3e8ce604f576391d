package saml_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/saml"
	"github.com/connectfed/connectfed/internal/saml/samltest"
)

// FuzzVerify feeds the response parser arbitrary XML: it never panics, and refuses what it
// cannot verify with an STS error of its own (never an internal failure).
func FuzzVerify(f *testing.F) {
	idp, err := samltest.New("https://idp.example.com")
	if err != nil {
		f.Fatal(err)
	}
	good, err := idp.ResponseXML(samltest.Assertion{Roles: []string{roleARN + "," + providerARN}, SessionName: "agent1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`))
	f.Add([]byte("<"))
	metadata := idp.Metadata()
	f.Fuzz(func(t *testing.T, xml []byte) {
		c, err := saml.Verifier{}.Verify(base64.StdEncoding.EncodeToString(xml), metadata, time.Now())
		if err == nil {
			if c.AssertionID == "" {
				t.Errorf("accepted a response without an assertion id")
			}
			return
		}
		if e := apierr.Of(err); e.Code == apierr.InternalFailure {
			t.Errorf("an internal failure for bad input: %v", err)
		}
	})
}
