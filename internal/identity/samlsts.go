package identity

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/limits"
	iampolicy "github.com/connectfed/connectfed/internal/policy"
	"github.com/connectfed/connectfed/internal/store"
)

// AssumeRoleWithSAMLInput is what AssumeRoleWithSAML takes: no caller, since the assertion is
// the credential.
type AssumeRoleWithSAMLInput struct {
	RoleARN, PrincipalARN, SAMLAssertion string
	DurationSeconds                      int // 0 means limits.SessionDurationDefault
	Policy                               string
	PolicyARNs                           []string
	SourceIP                             string
	SecureTransport                      bool
	Region                               string
}

// SAMLSessionCredentials are AssumeRoleWithSAML's answer: the session, and what the assertion
// said of whom.
type SAMLSessionCredentials struct {
	SessionCredentials
	Subject, SubjectType, Issuer, Audience string
	// NameQualifier is base64(SHA-1(Issuer + account id + "/" + provider name)), as AWS computes
	// it: with Subject it names a federated user uniquely.
	NameQualifier string
}

// samlReplayFamily is the family assertion ids are recorded under in the used-token records.
const samlReplayFamily = "saml-assertion"

func notAuthorizedForSAML() error {
	return apierr.New(apierr.AccessDenied, "Not authorized to perform sts:AssumeRoleWithSAML")
}

// AssumeRoleWithSAML exchanges a SAML response, signed by a registered provider, for a session
// of a role its Role attribute names and whose trust policy trusts the provider. The session
// is named by the RoleSessionName attribute, and an assertion is accepted once, on every
// replica.
func (s *Service) AssumeRoleWithSAML(ctx context.Context, in AssumeRoleWithSAMLInput) (SAMLSessionCredentials, error) {
	for _, f := range []struct{ member, value string }{{"roleArn", in.RoleARN}, {"principalArn", in.PrincipalARN}} {
		if err := required(f.member, f.value); err != nil {
			return SAMLSessionCredentials{}, err
		}
		if err := checkLength(f.member, f.value, limits.RoleARNMin, limits.RoleARNMax); err != nil {
			return SAMLSessionCredentials{}, err
		}
	}
	if err := required("sAMLAssertion", in.SAMLAssertion); err != nil {
		return SAMLSessionCredentials{}, err
	}
	if err := checkLength("sAMLAssertion", in.SAMLAssertion, 4, limits.SAMLAssertionMax); err != nil {
		return SAMLSessionCredentials{}, err
	}
	if in.DurationSeconds == 0 {
		in.DurationSeconds = limits.SessionDurationDefault
	}
	if c := apierr.Range(in.DurationSeconds, limits.SessionDurationMin, limits.SessionDurationMax); c != "" {
		return SAMLSessionCredentials{}, validationError("durationSeconds", fmt.Sprint(in.DurationSeconds), c)
	}
	packed, err := checkSessionPolicies(in.Policy, in.PolicyARNs)
	if err != nil {
		return SAMLSessionCredentials{}, err
	}
	if s.saml == nil {
		return SAMLSessionCredentials{}, errors.New("identity: no SAML verifier")
	}

	account, providerName, ok := arn.ParseSAMLProvider(in.PrincipalARN)
	if !ok {
		return SAMLSessionCredentials{}, apierr.New(apierr.InvalidIdentityToken, "Specified provider doesn't exist")
	}
	provider, err := s.store.GetSAMLProvider(ctx, account, providerName)
	if errors.Is(err, store.ErrNotFound) {
		return SAMLSessionCredentials{}, apierr.New(apierr.InvalidIdentityToken, "Specified provider doesn't exist")
	}
	if err != nil {
		return SAMLSessionCredentials{}, fmt.Errorf("identity: get saml provider: %w", err)
	}
	now := s.now()
	claims, err := s.saml.Verify(in.SAMLAssertion, provider.Metadata, now)
	if err != nil {
		return SAMLSessionCredentials{}, err
	}
	if claims.RoleSessionName == "" {
		return SAMLSessionCredentials{}, apierr.New(apierr.InvalidIdentityToken, "RoleSessionName is required in AuthnResponse")
	}
	if checkName("roleSessionName", claims.RoleSessionName, limits.RoleSessionNameMin, limits.RoleSessionNameMax) != nil {
		return SAMLSessionCredentials{}, apierr.New(apierr.InvalidIdentityToken,
			"RoleSessionName in AuthnResponse must be 2 to 64 of letters, digits and +=,.@_-")
	}
	if err := checkSAMLTags(claims); err != nil {
		return SAMLSessionCredentials{}, err
	}
	if claims.SessionDuration != 0 {
		if c := apierr.Range(claims.SessionDuration, limits.SessionDurationMin, limits.SessionDurationMax); c != "" {
			return SAMLSessionCredentials{}, apierr.New(apierr.InvalidIdentityToken,
				"SessionDuration in AuthnResponse must be between %d and %d seconds", limits.SessionDurationMin, limits.SessionDurationMax)
		}
	}
	// The assertion must name the pair asked for, and the role must trust the provider.
	named := false
	for _, r := range claims.Roles {
		if r.RoleARN == in.RoleARN && r.ProviderARN == in.PrincipalARN {
			named = true
		}
	}
	roleRef, ok := arn.ParseRole(in.RoleARN)
	if !named || !ok || roleRef.Account != account {
		return SAMLSessionCredentials{}, notAuthorizedForSAML()
	}
	role, err := s.store.GetRole(ctx, roleRef.Account, roleRef.Name)
	if errors.Is(err, store.ErrNotFound) || err == nil && rolePath(role) != roleRef.Path {
		return SAMLSessionCredentials{}, notAuthorizedForSAML()
	}
	if err != nil {
		return SAMLSessionCredentials{}, fmt.Errorf("identity: get role: %w", err)
	}
	nameQualifier := samlNameQualifier(claims.Issuer, account, providerName)
	if !s.trustsSAML(role, in, claims, nameQualifier) {
		return SAMLSessionCredentials{}, notAuthorizedForSAML()
	}
	if in.DurationSeconds > role.MaxSessionDuration {
		return SAMLSessionCredentials{}, apierr.New(apierr.ValidationError,
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	// Last, so that a refused assertion is not used up: the record is atomic across replicas.
	err = s.store.MarkTokenUsed(ctx, "saml:"+provider.AccountID+":"+claims.AssertionID, samlReplayFamily, claims.Expires)
	if errors.Is(err, store.ErrAlreadyExists) {
		return SAMLSessionCredentials{}, apierr.New(apierr.InvalidIdentityToken, "The SAML assertion has already been used")
	}
	if err != nil {
		return SAMLSessionCredentials{}, fmt.Errorf("identity: record saml assertion: %w", err)
	}
	cred, err := s.issueSession(ctx, role, claims.RoleSessionName, in.DurationSeconds, in.PrincipalARN, in.Policy, in.PolicyARNs, packed,
		sessionTags{values: claims.PrincipalTags, transitive: claims.TransitiveTagKeys})
	if err != nil {
		return SAMLSessionCredentials{}, err
	}
	return SAMLSessionCredentials{SessionCredentials: cred, Subject: claims.Subject, SubjectType: claims.SubjectType,
		Issuer: claims.Issuer, Audience: claims.Audience, NameQualifier: nameQualifier}, nil
}

// trustsSAML evaluates the role's trust policy for the provider: sts:AssumeRoleWithSAML by the
// Federated principal, with the SAML:* keys for its conditions.
func (s *Service) trustsSAML(role store.Role, in AssumeRoleWithSAMLInput, c SAMLClaims, nameQualifier string) bool {
	doc, err := iampolicy.Parse(role.TrustPolicy, iampolicy.Trust)
	if err != nil {
		return false
	}
	r := requestKeys(Access{Action: "sts:AssumeRoleWithSAML", SourceIP: in.SourceIP, SecureTransport: in.SecureTransport,
		Region: in.Region}, s.now())
	// The Federated principal is the provider; there is no account principal to match.
	r.Resource, r.PrincipalARN = arn.Role(role.AccountID, rolePath(role), role.Name), in.PrincipalARN
	r.Set("SAML:aud", c.Audience)
	r.Set("SAML:sub", c.Subject)
	r.Set("SAML:sub_type", c.SubjectType)
	r.Set("SAML:iss", c.Issuer)
	r.Set("SAML:namequalifier", nameQualifier)
	res := iampolicy.Evaluate(&r, iampolicy.Labelled{Name: "trust policy", Doc: doc})
	return res.Allowed && !res.Denied
}

// samlNameQualifier is AWS's NameQualifier.
func samlNameQualifier(issuer, accountID, providerName string) string {
	sum := sha1.Sum([]byte(issuer + accountID + "/" + providerName))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// SAMLSignIn verifies a response posted to the sign-in endpoint, without using it up, and says
// what it holds: the roles it offers (to choose from) and its session duration. The provider
// is the one its Role attribute names.
func (s *Service) SAMLSignIn(ctx context.Context, response string) (SAMLClaims, error) {
	if s.saml == nil {
		return SAMLClaims{}, errors.New("identity: no SAML verifier")
	}
	if err := checkLength("SAMLResponse", response, 4, limits.SAMLAssertionMax); err != nil {
		return SAMLClaims{}, err
	}
	roles := s.saml.UnverifiedRoles(response)
	if len(roles) == 0 {
		return SAMLClaims{}, apierr.New(apierr.InvalidIdentityToken,
			"The SAML response names no role: it needs the attribute https://aws.amazon.com/SAML/Attributes/Role")
	}
	account, name, ok := arn.ParseSAMLProvider(roles[0].ProviderARN)
	if !ok {
		return SAMLClaims{}, apierr.New(apierr.InvalidIdentityToken, "Specified provider doesn't exist")
	}
	provider, err := s.store.GetSAMLProvider(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) {
		return SAMLClaims{}, apierr.New(apierr.InvalidIdentityToken, "Specified provider doesn't exist")
	}
	if err != nil {
		return SAMLClaims{}, fmt.Errorf("identity: get saml provider: %w", err)
	}
	return s.saml.Verify(response, provider.Metadata, s.now())
}

// checkSAMLTags checks the session tags an assertion carries, with STS's limits: at most 50,
// keys of 1 to 128 characters unique ignoring case, values of at most 256, and transitive
// keys among them.
func checkSAMLTags(c SAMLClaims) error {
	if len(c.PrincipalTags) > limits.SessionTagsMax {
		return apierr.New(apierr.InvalidIdentityToken, "The SAML assertion carries more than %d session tags", limits.SessionTagsMax)
	}
	seen := map[string]bool{}
	for k, v := range c.PrincipalTags {
		if k == "" || len(k) > limits.TagKeyMax || len(v) > limits.TagValueMax || seen[strings.ToLower(k)] {
			return apierr.New(apierr.InvalidIdentityToken, "The session tag %q of the SAML assertion is not valid", k)
		}
		seen[strings.ToLower(k)] = true
	}
	for _, k := range c.TransitiveTagKeys {
		if _, ok := c.PrincipalTags[k]; !ok {
			return apierr.New(apierr.InvalidIdentityToken, "The transitive tag key %q of the SAML assertion is not a session tag", k)
		}
	}
	return nil
}
