package signin

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/connect"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/server/httpx"
)

// SAMLPath is where identity providers post their responses, as they post to AWS sign-in's
// https://signin.aws.amazon.com/saml.
const SAMLPath = "/saml"

// maxSAMLForm bounds the posted form: a response of STS's largest assertion, base64, and a
// RelayState.
const maxSAMLForm = 256 << 10

// connectRelay is the RelayState that lands an agent in Connect:
// https://REGION.console.aws.amazon.com/connect/federate/INSTANCE_ID[?destination=...], or the
// same path on this server.
var connectRelay = regexp.MustCompile(`^(?:https://([a-z0-9-]+)\.console\.aws\.amazon\.com)?/connect/federate/([^/?#]+)`)

// ServeSAML takes an identity provider's POST to /saml: SAMLResponse and RelayState, as AWS
// sign-in does. The response is verified; with several roles the agent chooses one; the role
// is assumed (which uses the assertion up); and a RelayState naming a Connect instance lands
// the agent on the sign-in page as the Connect user its session name names.
func (p *Pages) ServeSAML(w http.ResponseWriter, r *http.Request) {
	ri := httpx.From(r.Context())
	ri.Service, ri.Operation = Service, "SAMLSignIn"
	const title = "SAML sign-in failed"
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		p.errorPage(w, r, http.StatusMethodNotAllowed, "Method not allowed",
			"Identity providers post their SAML response here (the HTTP-POST binding).", "")
		return
	}
	if p.identity == nil {
		p.FailPage(w, r, title, "", apierr.New(apierr.ServiceUnavailable, ""))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSAMLForm)
	if err := r.ParseForm(); err != nil {
		ri.ErrorCode = apierr.Lookup(apierr.NativeValidation).JSONType
		p.errorPage(w, r, http.StatusBadRequest, title, "The request is not a form with a SAMLResponse.", "")
		return
	}
	response, relay := r.PostForm.Get("SAMLResponse"), r.PostForm.Get("RelayState")
	if response == "" {
		ri.ErrorCode = apierr.Lookup(apierr.NativeValidation).JSONType
		p.errorPage(w, r, http.StatusBadRequest, title, "The form has no SAMLResponse.", "")
		return
	}
	claims, err := p.identity.SAMLSignIn(r.Context(), response)
	if err != nil {
		p.FailPage(w, r, title, "Ask your identity provider to sign you in again.", err)
		return
	}
	var chosen identity.SAMLRole
	switch choice := r.PostForm.Get("role"); {
	case len(claims.Roles) == 1:
		chosen = claims.Roles[0]
	case choice != "":
		i, err := strconv.Atoi(choice)
		if err != nil || i < 0 || i >= len(claims.Roles) {
			p.errorPage(w, r, http.StatusBadRequest, title, "The role chosen is not one the SAML response offers.", "")
			return
		}
		chosen = claims.Roles[i]
	default:
		p.render(w, r, http.StatusOK, "choose-role", pageData{Title: "Choose a role", SAMLResponse: response,
			RelayState: relay, Roles: claims.Roles})
		return
	}
	cred, err := p.identity.AssumeRoleWithSAML(r.Context(), identity.AssumeRoleWithSAMLInput{
		RoleARN: chosen.RoleARN, PrincipalARN: chosen.ProviderARN, SAMLAssertion: response, DurationSeconds: claims.SessionDuration,
		SourceIP: httpx.SourceIP(r), SecureTransport: r.TLS != nil})
	if err != nil {
		p.FailPage(w, r, title, "", err)
		return
	}
	ri.Principal = cred.ARN
	if a, err := arn.Parse(cred.ARN); err == nil {
		ri.Account = a.Account
		ri.Username = a.Resource[strings.LastIndex(a.Resource, "/")+1:] // the session name
	}
	m := connectRelay.FindStringSubmatch(relay)
	if m == nil {
		p.render(w, r, http.StatusOK, "aws-session", pageData{Title: "Signed in to AWS", SessionARN: cred.ARN,
			Ends: cred.Expiration.UTC().Format("2006-01-02T15:04:05Z"), RelayState: relay})
		return
	}
	region, instance := m[1], m[2]
	if region == "" {
		region = defaultRegion
	}
	if id, err := url.PathUnescape(instance); err == nil {
		instance = id
	}
	link, err := p.federate(r, cred, region, instance)
	if err != nil {
		p.FailPage(w, r, "Connect sign-in failed", "The role's session is signed in to AWS; Connect refused it.", err)
		return
	}
	p.redirect(w, r, link)
}

// federate asks for a federation token as the role session, as the console's
// /connect/federate does, under the session's policies, and returns the sign-in link.
func (p *Pages) federate(r *http.Request, cred identity.SAMLSessionCredentials, region, instance string) (string, error) {
	c, err := p.identity.Lookup(r.Context(), cred.AccessKeyID)
	if err != nil {
		return "", err
	}
	principal, err := c.Admit(cred.SessionToken, p.now())
	if err != nil {
		return "", err
	}
	// The resource and key as the operation table's GetFederationToken row builds them.
	in := arn.ResolveInstance(instance, region, principal.AccountID)
	access := identity.Access{Action: "connect:GetFederationToken",
		Resources: []string{arn.FederatedUser(in.Region, in.Account, in.ID, principal.UserID)},
		SourceIP:  httpx.SourceIP(r), SecureTransport: r.TLS != nil, Region: region,
		Keys: []identity.ContextKey{{Name: "connect:InstanceId", Value: in.ID}}}
	if err := p.identity.Check(r.Context(), principal, access); err != nil {
		return "", err
	}
	fed, err := p.connect.GetFederationToken(r.Context(), connect.Caller{Principal: principal, Region: region}, instance)
	if err != nil {
		return "", err
	}
	if fed.SignInURL == "" {
		return "", errors.New("signin: no sign-in link")
	}
	return fed.SignInURL, nil
}

// defaultRegion is the region of a RelayState that names none (this server's own path).
const defaultRegion = "us-east-1"
