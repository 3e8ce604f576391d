package identity

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/limits"
	"github.com/connectfed/connectfed/internal/store"
)

// SAMLVerifier reads what identity providers send: their metadata, and the responses they post.
// internal/saml implements it with a maintained SAML library, which identity does not import
// (it brings net/http with it). Its errors are *apierr.Error with AWS's codes and messages.
type SAMLVerifier interface {
	// ParseMetadata checks an IdP's metadata document: an entity id and at least one
	// signing certificate. validUntil is the metadata's own, or zero when it sets none.
	ParseMetadata(document string) (entityID string, validUntil time.Time, err error)
	// Verify checks a base64 SAML response against the metadata of the provider it names:
	// well-formed, signed (response or assertion) by a certificate of the metadata, for AWS's
	// audience, within its time window as of now. It does not check replays.
	Verify(response, metadata string, now time.Time) (SAMLClaims, error)
	// UnverifiedRoles reads a response's Role attribute without verifying anything: only to
	// learn which provider's metadata to verify it with.
	UnverifiedRoles(response string) []SAMLRole
}

// SAMLClaims are what a verified SAML response says.
type SAMLClaims struct {
	// AssertionID is the assertion's ID, for replay detection; Expires is when it stops being
	// acceptable.
	AssertionID string
	Expires     time.Time
	Issuer      string
	// Subject is the NameID, SubjectType its format ("persistent", "transient" or the URI).
	Subject, SubjectType string
	Audience             string
	// Roles are the Role attribute's values: a role ARN and a provider ARN each.
	Roles []SAMLRole
	// RoleSessionName and SessionDuration (0 when absent) are the attributes of those names.
	RoleSessionName string
	SessionDuration int
	// PrincipalTags are the PrincipalTag:KEY attributes, TransitiveTagKeys the
	// TransitiveTagKeys attribute's values.
	PrincipalTags     map[string]string
	TransitiveTagKeys []string
}

// SAMLRole is one value of the Role attribute.
type SAMLRole struct{ RoleARN, ProviderARN string }

// SAMLProvider is an IAM SAML provider as the IAM API shows it.
type SAMLProvider struct {
	ARN, Name, Metadata   string
	ValidUntil, CreatedAt time.Time
}

// samlProviderName is CreateSAMLProvider's Name pattern.
var samlProviderName = regexp.MustCompile(`^[\w._-]+$`)

// defaultValidity is how long a provider is valid when its metadata sets no validUntil.
const defaultValidity = 100 * 365 * 24 * time.Hour

func noSuchSAMLProvider(providerARN string) error {
	return apierr.New(apierr.NoSuchEntity, "SAMLProvider %s does not exist.", providerARN)
}

// checkMetadata checks a SAMLMetadataDocument parameter and reads its validUntil.
func (s *Service) checkMetadata(document string) (time.Time, error) {
	if err := required("sAMLMetadataDocument", document); err != nil {
		return time.Time{}, err
	}
	if err := checkLength("sAMLMetadataDocument", document, limits.SAMLMetadataMin, limits.SAMLMetadataMax); err != nil {
		return time.Time{}, err
	}
	if s.saml == nil {
		return time.Time{}, errors.New("identity: no SAML verifier")
	}
	_, validUntil, err := s.saml.ParseMetadata(document)
	return validUntil, err
}

// CreateSAMLProvider registers an identity provider by its metadata.
func (s *Service) CreateSAMLProvider(ctx context.Context, caller Principal, name, metadata string) (SAMLProvider, error) {
	if err := checkLength("name", name, 1, limits.SAMLProviderNameMax); err != nil {
		return SAMLProvider{}, err
	}
	if !samlProviderName.MatchString(name) {
		return SAMLProvider{}, validationError("name", name, `Member must satisfy regular expression pattern: [\w._-]+`)
	}
	validUntil, err := s.checkMetadata(metadata)
	if err != nil {
		return SAMLProvider{}, err
	}
	now := s.now().UTC()
	if validUntil.IsZero() {
		validUntil = now.Add(defaultValidity)
	}
	p := store.SAMLProvider{AccountID: caller.AccountID, Name: name, Metadata: metadata, ValidUntil: validUntil, CreatedAt: now, UpdatedAt: now}
	err = s.store.CreateSAMLProvider(ctx, p)
	if errors.Is(err, store.ErrAlreadyExists) {
		return SAMLProvider{}, apierr.New(apierr.EntityAlreadyExists, "SAMLProvider %s already exists.", name)
	}
	if err != nil {
		return SAMLProvider{}, fmt.Errorf("identity: create saml provider: %w", err)
	}
	return samlProviderOf(p), nil
}

func samlProviderOf(p store.SAMLProvider) SAMLProvider {
	return SAMLProvider{ARN: arn.SAMLProvider(p.AccountID, p.Name), Name: p.Name, Metadata: p.Metadata,
		ValidUntil: p.ValidUntil, CreatedAt: p.CreatedAt}
}

// samlProvider finds the provider an ARN names in the caller's account.
func (s *Service) samlProvider(ctx context.Context, caller Principal, providerARN string) (store.SAMLProvider, error) {
	if err := required("sAMLProviderArn", providerARN); err != nil {
		return store.SAMLProvider{}, err
	}
	if err := checkLength("sAMLProviderArn", providerARN, limits.PolicyARNMin, limits.PolicyARNMax); err != nil {
		return store.SAMLProvider{}, err
	}
	account, name, ok := arn.ParseSAMLProvider(providerARN)
	if !ok {
		return store.SAMLProvider{}, apierr.New(apierr.InvalidInput, "ARN %s is not valid.", providerARN)
	}
	if account != caller.AccountID {
		return store.SAMLProvider{}, noSuchSAMLProvider(providerARN)
	}
	p, err := s.store.GetSAMLProvider(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.SAMLProvider{}, noSuchSAMLProvider(providerARN)
	}
	if err != nil {
		return store.SAMLProvider{}, fmt.Errorf("identity: get saml provider: %w", err)
	}
	return p, nil
}

// GetSAMLProvider returns a provider with its metadata.
func (s *Service) GetSAMLProvider(ctx context.Context, caller Principal, providerARN string) (SAMLProvider, error) {
	p, err := s.samlProvider(ctx, caller, providerARN)
	if err != nil {
		return SAMLProvider{}, err
	}
	return samlProviderOf(p), nil
}

// ListSAMLProviders lists the account's providers by name.
func (s *Service) ListSAMLProviders(ctx context.Context, caller Principal) ([]SAMLProvider, error) {
	list, err := s.store.ListSAMLProviders(ctx, caller.AccountID)
	if err != nil {
		return nil, fmt.Errorf("identity: list saml providers: %w", err)
	}
	out := make([]SAMLProvider, 0, len(list))
	for _, p := range list {
		out = append(out, samlProviderOf(p))
	}
	return out, nil
}

// UpdateSAMLProvider replaces a provider's metadata (a new signing certificate, say).
func (s *Service) UpdateSAMLProvider(ctx context.Context, caller Principal, providerARN, metadata string) (SAMLProvider, error) {
	p, err := s.samlProvider(ctx, caller, providerARN)
	if err != nil {
		return SAMLProvider{}, err
	}
	validUntil, err := s.checkMetadata(metadata)
	if err != nil {
		return SAMLProvider{}, err
	}
	now := s.now().UTC()
	if validUntil.IsZero() {
		validUntil = now.Add(defaultValidity)
	}
	p.Metadata, p.ValidUntil, p.UpdatedAt = metadata, validUntil, now
	err = s.store.UpdateSAMLProvider(ctx, p)
	if errors.Is(err, store.ErrNotFound) {
		return SAMLProvider{}, noSuchSAMLProvider(providerARN)
	}
	if err != nil {
		return SAMLProvider{}, fmt.Errorf("identity: update saml provider: %w", err)
	}
	return samlProviderOf(p), nil
}

// DeleteSAMLProvider deletes a provider; roles that trust it trust nobody through it.
func (s *Service) DeleteSAMLProvider(ctx context.Context, caller Principal, providerARN string) error {
	p, err := s.samlProvider(ctx, caller, providerARN)
	if err != nil {
		return err
	}
	err = s.store.DeleteSAMLProvider(ctx, p.AccountID, p.Name)
	if errors.Is(err, store.ErrNotFound) {
		return noSuchSAMLProvider(providerARN)
	}
	if err != nil {
		return fmt.Errorf("identity: delete saml provider: %w", err)
	}
	return nil
}
