package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/internal/saml/samltest"
)

var (
	testIdPOnce        sync.Once
	testIdP, forgerIdP *samltest.IdP
)

// idps are made once per test binary: RSA keys are slow to make.
func idps(t testing.TB) (*samltest.IdP, *samltest.IdP) {
	testIdPOnce.Do(func() {
		var err error
		if testIdP, err = samltest.New("https://idp.example.com"); err != nil {
			panic(err)
		}
		if forgerIdP, err = samltest.New("https://idp.example.com"); err != nil {
			panic(err)
		}
	})
	return testIdP, forgerIdP
}

// samlSetup is an account with the test IdP registered as a SAML provider, a role that trusts
// it (with AWS's usual SAML:aud condition) and has the documented federation policy, and a
// SAML instance with the Connect user agent1.
type samlSetup struct {
	provider, role, instance string
}

func newSAMLSetup(t *testing.T, e *env) samlSetup {
	t.Helper()
	idp, _ := idps(t)
	return newSAMLSetupFor(t, e, idp.Metadata())
}

// newSAMLSetupFor is newSAMLSetup for the IdP of this metadata.
func newSAMLSetupFor(t *testing.T, e *env, metadata string) samlSetup {
	t.Helper()
	ctx := context.Background()
	p, err := e.iam(e.root).CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("TestIdP"),
		SAMLMetadataDocument: aws.String(metadata)})
	if err != nil {
		t.Fatal(err)
	}
	s := samlSetup{provider: aws.ToString(p.SAMLProviderArn)}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + s.provider + `"},` +
		`"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`
	role, err := e.iam(e.root).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ConnectAgent"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	s.role = aws.ToString(role.Role.Arn)
	e.grantRole("ConnectAgent", "connect-federation", documentedPolicy("arn:aws:connect:*:"+testAccount+":instance/*"))
	admin := e.connect(e.root, "us-east-1")
	s.instance = newInstance(t, admin, "acme", ctypes.DirectoryTypeSaml)
	newAgent(t, admin, s.instance, "agent1")
	return s
}

func (s samlSetup) assertion() samltest.Assertion {
	return samltest.Assertion{Roles: []string{s.role + "," + s.provider}, SessionName: "agent1"}
}

// assumeWithSAML calls AssumeRoleWithSAML through the SDK, unsigned as AWS serves it.
func (e *env) assumeWithSAML(role, provider, response string) (*sts.AssumeRoleWithSAMLOutput, error) {
	cfg := e.config(aws.Credentials{})
	cfg.Credentials = aws.AnonymousCredentials{}
	return sts.NewFromConfig(cfg).AssumeRoleWithSAML(context.Background(), &sts.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(role), PrincipalArn: aws.String(provider), SAMLAssertion: aws.String(response)})
}

// From a signed assertion to a federation token: the session is the role's, named by the
// assertion's RoleSessionName, and federates as the Connect user of that name.
func TestAssumeRoleWithSAML(t *testing.T) {
	e := newEnv(t)
	s := newSAMLSetup(t, e)
	idp, _ := idps(t)
	out, err := e.assumeWithSAML(s.role, s.provider, idp.Response(s.assertion()))
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Subject) != "agent1@example.com" || aws.ToString(out.SubjectType) != "persistent" ||
		aws.ToString(out.Issuer) != "https://idp.example.com" || aws.ToString(out.Audience) != samltest.AWSSignIn ||
		aws.ToString(out.NameQualifier) == "" {
		t.Errorf("AssumeRoleWithSAML = subject %q %q, issuer %q, audience %q, name qualifier %q", aws.ToString(out.Subject),
			aws.ToString(out.SubjectType), aws.ToString(out.Issuer), aws.ToString(out.Audience), aws.ToString(out.NameQualifier))
	}
	session := aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(out.Credentials.SessionToken)}
	wantCaller(t, e, session, "arn:aws:sts::"+testAccount+":assumed-role/ConnectAgent/agent1")
	tok, err := e.connect(session, "us-east-1").GetFederationToken(context.Background(), &connect.GetFederationTokenInput{InstanceId: aws.String(s.instance)})
	if err != nil {
		t.Fatalf("GetFederationToken with the SAML session: %v", err)
	}
	if aws.ToString(tok.Credentials.AccessToken) == "" {
		t.Error("no access token")
	}
}

// Every broken assertion is refused with STS's error, and creates nothing.
func TestAssumeRoleWithSAMLRefusals(t *testing.T) {
	e := newEnv(t)
	s := newSAMLSetup(t, e)
	idp, forger := idps(t)
	good := s.assertion()
	with := func(change func(*samltest.Assertion)) string {
		a := good
		change(&a)
		return idp.Response(a)
	}
	replayed := idp.Response(good)
	if _, err := e.assumeWithSAML(s.role, s.provider, replayed); err != nil {
		t.Fatal(err)
	}
	untrusting, err := e.iam(e.root).CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String("Other"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + testAccount + `"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	other := aws.ToString(untrusting.Role.Arn)
	for _, c := range []struct {
		name, role, provider, response string
		code                           string
		status                         int
		msg                            string
	}{
		{"replayed", s.role, s.provider, replayed, "InvalidIdentityToken", 400, "The SAML assertion has already been used"},
		{"unsigned", s.role, s.provider, with(func(a *samltest.Assertion) { a.Unsigned = true }), "InvalidIdentityToken", 400, "Response signature invalid"},
		{"signed by another key", s.role, s.provider, forger.Response(good), "InvalidIdentityToken", 400, "Response signature invalid"},
		{"expired", s.role, s.provider, with(func(a *samltest.Assertion) { a.IssuedAt = time.Now().Add(-time.Hour) }),
			"ExpiredTokenException", 400, "Token must be redeemed within 5 minutes of issuance"},
		{"wrong audience", s.role, s.provider, with(func(a *samltest.Assertion) { a.Audience = "https://app.example.com" }), "InvalidIdentityToken", 400, "Audience"},
		{"no Role attribute", s.role, s.provider, with(func(a *samltest.Assertion) { a.Roles = nil }), "AccessDenied", 403,
			"Not authorized to perform sts:AssumeRoleWithSAML"},
		{"a role the assertion does not name", other, s.provider, with(func(a *samltest.Assertion) {}), "AccessDenied", 403,
			"Not authorized to perform sts:AssumeRoleWithSAML"},
		{"a role that does not trust the provider", other, s.provider, with(func(a *samltest.Assertion) { a.Roles = []string{other + "," + s.provider} }),
			"AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML"},
		{"no RoleSessionName", s.role, s.provider, with(func(a *samltest.Assertion) { a.SessionName = "" }), "InvalidIdentityToken", 400,
			"RoleSessionName is required in AuthnResponse"},
		{"invalid RoleSessionName", s.role, s.provider, with(func(a *samltest.Assertion) { a.SessionName = "has space" }), "InvalidIdentityToken", 400,
			"RoleSessionName in AuthnResponse"},
		{"unknown provider", s.role, "arn:aws:iam::" + testAccount + ":saml-provider/Nope", with(func(a *samltest.Assertion) {}),
			"InvalidIdentityToken", 400, "Specified provider doesn't exist"},
		{"no assertion", s.role, s.provider, "", "ValidationError", 400, "sAMLAssertion"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := e.assumeWithSAML(c.role, c.provider, c.response)
			if out != nil && out.Credentials != nil {
				t.Fatalf("credentials handed out: %+v", out.AssumedRoleUser)
			}
			wantAPIError(t, err, c.code, c.status, c.msg)
		})
	}
	// The refused good-looking assertions were not used up: the last case's fresh assertion
	// still works once the role names are right.
	fresh := idp.Response(good)
	if _, err := e.assumeWithSAML(other, s.provider, fresh); err == nil {
		t.Fatal("a role that does not trust the provider was assumed")
	}
	if _, err := e.assumeWithSAML(s.role, s.provider, fresh); err != nil {
		t.Errorf("an assertion refused for another role could not be used for its own: %v", err)
	}
}

// SAML providers through the SDK: created from metadata, read back as given, listed, updated,
// deleted, with IAM's errors.
func TestIAMSAMLProviders(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	idp, forger := idps(t)
	metadata, forgerMetadata := idp.Metadata(), forger.Metadata()
	p, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Okta"), SAMLMetadataDocument: aws.String(metadata)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(p.SAMLProviderArn)
	if arn != "arn:aws:iam::"+testAccount+":saml-provider/Okta" {
		t.Errorf("SAMLProviderArn = %s", arn)
	}
	got, err := c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	if err != nil || aws.ToString(got.SAMLMetadataDocument) != metadata || got.ValidUntil == nil || got.CreateDate == nil {
		t.Fatalf("GetSAMLProvider = %+v, %v", got, err)
	}
	list, err := c.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})
	if err != nil || len(list.SAMLProviderList) != 1 || aws.ToString(list.SAMLProviderList[0].Arn) != arn {
		t.Fatalf("ListSAMLProviders = %+v, %v", list, err)
	}
	if _, err := c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(arn),
		SAMLMetadataDocument: aws.String(forgerMetadata)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)}); aws.ToString(got.SAMLMetadataDocument) != forgerMetadata {
		t.Error("UpdateSAMLProvider did not replace the metadata")
	}

	_, err = c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("okta"), SAMLMetadataDocument: aws.String(idp.Metadata())})
	wantAPIError(t, err, "EntityAlreadyExists", 409, "okta")
	_, err = c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Bad"), SAMLMetadataDocument: aws.String(strings.Repeat("<x/>", 300))})
	wantAPIError(t, err, "InvalidInput", 400, "Could not parse metadata")
	_, err = c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Short"), SAMLMetadataDocument: aws.String("<x/>")})
	wantAPIError(t, err, "ValidationError", 400, "greater than or equal to 1000")
	_, err = c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("has space"), SAMLMetadataDocument: aws.String(idp.Metadata())})
	wantAPIError(t, err, "ValidationError", 400, "'name'")
	missing := "arn:aws:iam::" + testAccount + ":saml-provider/Nope"
	_, err = c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(missing)})
	wantAPIError(t, err, "NoSuchEntity", 404, missing)
	_, err = c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String("arn:aws:iam::" + testAccount + ":role/NotAProvider")})
	wantAPIError(t, err, "InvalidInput", 400, "is not valid")

	if _, err := c.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	wantAPIError(t, err, "NoSuchEntity", 404, arn)
}

// postForm posts a form as a browser does, following redirects with its cookies.
func (b *browser) postForm(u string, form url.Values) webPage {
	b.t.Helper()
	return b.postFormFrom(u, form, "")
}

// An IdP's POST to /saml with a RelayState naming a Connect instance lands the agent signed
// in as the Connect user its session name names; several roles ask for a choice first.
func TestSAMLSignInToConnect(t *testing.T) {
	e := newEnv(t)
	s := newSAMLSetup(t, e)
	idp, _ := idps(t)
	relay := "https://us-east-1.console.aws.amazon.com/connect/federate/" + s.instance + "?destination=%2Fccp-v2"
	b := newBrowser(t, nil)
	page := b.postForm(e.url+"/saml", url.Values{"SAMLResponse": {idp.Response(s.assertion())}, "RelayState": {relay}})
	wantPage(t, "SAML sign-in", page, http.StatusOK, "agent1", "acme")
	if page.url.Path != "/federation/session" || b.session(e.url) == "" {
		t.Errorf("landed on %s, session cookie %q", page.url, b.session(e.url))
	}

	// Two roles: a chooser, then the chosen one.
	second, err := e.iam(e.root).CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String("Supervisor"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + s.provider +
			`"},"Action":"sts:AssumeRoleWithSAML"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	two := s.assertion()
	two.Roles = append(two.Roles, aws.ToString(second.Role.Arn)+","+s.provider)
	response := idp.Response(two)
	b = newBrowser(t, nil)
	page = b.postForm(e.url+"/saml", url.Values{"SAMLResponse": {response}, "RelayState": {relay}})
	wantPage(t, "role chooser", page, http.StatusOK, "Choose a role", s.role, aws.ToString(second.Role.Arn))
	page = b.postForm(e.url+"/saml", url.Values{"SAMLResponse": {response}, "RelayState": {relay}, "role": {"0"}})
	wantPage(t, "after choosing", page, http.StatusOK, "agent1")

	// Without a Connect RelayState the session is signed in to AWS and the page says how to land in Connect.
	page = newBrowser(t, nil).postForm(e.url+"/saml", url.Values{"SAMLResponse": {idp.Response(s.assertion())}})
	wantPage(t, "no RelayState", page, http.StatusOK, "assumed-role/ConnectAgent/agent1", "connect/federate/INSTANCE_ID")

	// A replayed response, an unknown Connect user, and a role without the federation policy
	// each end on an error page that says why.
	page = newBrowser(t, nil).postForm(e.url+"/saml", url.Values{"SAMLResponse": {response}, "RelayState": {relay}, "role": {"0"}})
	wantPage(t, "replayed", page, http.StatusBadRequest, "The SAML assertion has already been used")
	stranger := s.assertion()
	stranger.SessionName = "nobody"
	page = newBrowser(t, nil).postForm(e.url+"/saml", url.Values{"SAMLResponse": {idp.Response(stranger)}, "RelayState": {relay}})
	wantPage(t, "no such Connect user", page, http.StatusNotFound, "No user with the specified credentials was found")
	page = newBrowser(t, nil).postForm(e.url+"/saml", url.Values{"SAMLResponse": {idp.Response(two)}, "RelayState": {relay}, "role": {"1"}})
	wantPage(t, "role without the policy", page, http.StatusForbidden, "is not authorized to perform: connect:GetFederationToken")
	page = newBrowser(t, nil).get(e.url + "/saml")
	wantPage(t, "GET", page, http.StatusMethodNotAllowed, "post")
}

// PrincipalTag attributes become the session's tags, which policies read as aws:PrincipalTag/KEY;
// transitive ones pass on when the session assumes another role.
func TestSAMLSessionTags(t *testing.T) {
	e := newEnv(t)
	s := newSAMLSetup(t, e)
	idp, _ := idps(t)
	ctx := context.Background()
	e.grantRole("ConnectAgent", "tier2-reads", `{"Version":"2012-10-17","Statement":[`+
		`{"Effect":"Allow","Action":"connect:DescribeInstance","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"tier2"}}},`+
		`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	session := func(a samltest.Assertion) aws.Credentials {
		t.Helper()
		out, err := e.assumeWithSAML(s.role, s.provider, idp.Response(a))
		if err != nil {
			t.Fatal(err)
		}
		return aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
			SessionToken: aws.ToString(out.Credentials.SessionToken)}
	}
	describe := func(c aws.Credentials) error {
		_, err := e.connect(c, "us-east-1").DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(s.instance)})
		return err
	}
	tagged := s.assertion()
	tagged.PrincipalTags = map[string]string{"team": "tier2"}
	tagged.TransitiveTagKeys = []string{"team"}
	withTag := session(tagged)
	if err := describe(withTag); err != nil {
		t.Errorf("a session tagged team=tier2: %v", err)
	}
	wantAPIError(t, describe(session(s.assertion())), "AccessDeniedException", 403, "connect:DescribeInstance")

	// Role chaining keeps the transitive tag.
	helper := e.newRole("Helper", "arn:aws:iam::"+testAccount+":role/ConnectAgent", 3600)
	e.grantRole("Helper", "tier2-reads", `{"Version":"2012-10-17","Statement":[`+
		`{"Effect":"Allow","Action":"connect:DescribeInstance","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"tier2"}}}]}`)
	chained, _, err := assume(e, withTag, helper, "chained", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := describe(chained); err != nil {
		t.Errorf("a chained session with the transitive tag: %v", err)
	}

	bad := s.assertion()
	bad.PrincipalTags = map[string]string{"team": "tier2"}
	bad.TransitiveTagKeys = []string{"cost"}
	_, err = e.assumeWithSAML(s.role, s.provider, idp.Response(bad))
	wantAPIError(t, err, "InvalidIdentityToken", 400, `transitive tag key "cost"`)
}
