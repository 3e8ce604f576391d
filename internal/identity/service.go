package identity

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/cache"
	"github.com/connectfed/connectfed/internal/store"
)

// DefaultCacheTTL bounds how long a cached credential is trusted without reading the store
// again. Changes made through this Service invalidate the cache at once, and those other
// replicas make arrive through Forget; the TTL is the safety net for an announcement that is
// lost.
const DefaultCacheTTL = 15 * time.Second

// Service is the identity domain over a store.
type Service struct {
	store store.Store
	now   func() time.Time
	// credentials caches Lookup by access key id.
	credentials *cache.TTL[string, Credential]
	// policies caches the compiled policy sets of users, roles and sessions.
	policies *cache.TTL[policyOwner, *compiledSet]
	// saml reads identity providers' metadata and responses (SetSAMLVerifier).
	saml SAMLVerifier
	// enforcement and report are set by Enforce.
	enforcement Enforcement
	report      func(context.Context, Denial)
}

// Caches are the service's caches by name, for the metrics: each says its hits and misses.
func (s *Service) Caches() map[string]interface{ Stats() (hits, misses uint64) } {
	return map[string]interface{ Stats() (hits, misses uint64) }{"credentials": s.credentials, "policy_sets": s.policies}
}

// New returns a Service over s. now is the clock (time.Now when nil); cacheTTL is how long a
// credential is cached (DefaultCacheTTL when 0, never when negative). Secrets are kept as s
// keeps them: a server hands it a store/sealed store, which seals them at rest.
func New(s store.Store, now func() time.Time, cacheTTL time.Duration) *Service {
	if now == nil {
		now = time.Now
	}
	if cacheTTL == 0 {
		cacheTTL = DefaultCacheTTL
	}
	return &Service{store: s, now: now, credentials: cache.New[string, Credential](cacheTTL),
		policies: cache.New[policyOwner, *compiledSet](cacheTTL)}
}

// SetSAMLVerifier gives the service what reads SAML metadata and responses; without one, SAML
// providers and AssumeRoleWithSAML fail. Set it before serving.
func (s *Service) SetSAMLVerifier(v SAMLVerifier) { s.saml = v }

// Credential is what the SigV4 check needs for one access key: the secret to verify with, and
// once verified, the principal it stands for.
type Credential struct {
	Secret    string
	principal Principal
	// Session credentials only.
	tokenHash []byte
	expiresAt time.Time
}

// Lookup finds the credential of an access key. An unknown or inactive key is
// UnrecognizedClient, as AWS answers.
func (s *Service) Lookup(ctx context.Context, accessKeyID string) (Credential, error) {
	if !isAccessKeyID(accessKeyID) {
		return Credential{}, apierr.New(apierr.UnrecognizedClient, "")
	}
	now := s.now()
	if c, ok := s.credentials.Get(accessKeyID, now); ok {
		return c, nil
	}
	version := s.credentials.Version()
	cred, err := s.load(ctx, accessKeyID)
	if err != nil {
		return Credential{}, err
	}
	// Whose policies govern the principal is worked out once, not on every request.
	cred.principal.owner = ownerOf(cred.principal)
	s.credentials.Fill(version, accessKeyID, cred, now)
	return cred, nil
}

func (s *Service) forget(accessKeyID string) { s.credentials.Delete(accessKeyID) }

// forgetUser drops every cached credential of an IAM user, for changes (a deleted user) that
// touch keys the caller did not name.
func (s *Service) forgetUser(accountID, userName string) {
	s.credentials.DeleteFunc(func(_ string, c Credential) bool {
		p := c.principal
		return p.AccountID == accountID && p.Kind == IAMUser && strings.EqualFold(p.UserName, userName)
	})
}

func (s *Service) load(ctx context.Context, accessKeyID string) (Credential, error) {
	if strings.HasPrefix(accessKeyID, prefixSession) {
		sess, err := s.store.GetSession(ctx, accessKeyID)
		if errors.Is(err, store.ErrNotFound) {
			return Credential{}, apierr.New(apierr.UnrecognizedClient, "")
		}
		if err != nil {
			return Credential{}, fmt.Errorf("identity: lookup session: %w", err)
		}
		var policies *sessionPolicies
		if sess.Policy != "" || len(sess.PolicyARNs) > 0 {
			policies = &sessionPolicies{document: sess.Policy, arns: sess.PolicyARNs}
		}
		return Credential{
			Secret: sess.Secret,
			principal: Principal{
				Kind:        AssumedRole,
				AccountID:   sess.AccountID,
				ARN:         arn.AssumedRole(sess.AccountID, sess.RoleName, sess.SessionName),
				UserID:      sess.RoleID + ":" + sess.SessionName,
				RoleName:    sess.RoleName,
				RoleARN:     arn.Role(sess.AccountID, sess.RolePath, sess.RoleName),
				RoleID:      sess.RoleID,
				RolePath:    sess.RolePath,
				SessionName: sess.SessionName,
				AccessKeyID: accessKeyID,
				session:     policies,
				tags:        sess.Tags,
				transitive:  sess.TransitiveTagKeys,
			},
			tokenHash: sess.TokenHash,
			expiresAt: sess.ExpiresAt,
		}, nil
	}
	key, err := s.store.GetAccessKey(ctx, accessKeyID)
	if errors.Is(err, store.ErrNotFound) {
		return Credential{}, apierr.New(apierr.UnrecognizedClient, "")
	}
	if err != nil {
		return Credential{}, fmt.Errorf("identity: lookup access key: %w", err)
	}
	if !key.Active {
		return Credential{}, apierr.New(apierr.UnrecognizedClient, "")
	}
	if key.UserName == "" {
		return Credential{Secret: key.Secret, principal: Principal{
			Kind: Root, AccountID: key.AccountID, ARN: arn.Root(key.AccountID),
			UserID: key.AccountID, AccessKeyID: accessKeyID,
		}}, nil
	}
	u, err := s.store.GetUser(ctx, key.AccountID, key.UserName)
	if errors.Is(err, store.ErrNotFound) {
		return Credential{}, apierr.New(apierr.UnrecognizedClient, "")
	}
	if err != nil {
		return Credential{}, fmt.Errorf("identity: lookup key owner: %w", err)
	}
	return Credential{Secret: key.Secret, principal: Principal{
		Kind: IAMUser, AccountID: key.AccountID, ARN: arn.User(key.AccountID, u.Path, u.Name),
		UserID: u.ID, UserName: u.Name, AccessKeyID: accessKeyID,
	}}, nil
}

// Admit is called once the signature has been verified with c.Secret: it checks the session
// token a request carried and says who the caller is. Session credentials need their exact
// token and must not have expired; long-term keys must not carry one.
func (c Credential) Admit(sessionToken string, now time.Time) (Principal, error) {
	if c.tokenHash == nil {
		if sessionToken != "" {
			return Principal{}, apierr.New(apierr.UnrecognizedClient, "")
		}
		return c.principal, nil
	}
	sum := sha256.Sum256([]byte(sessionToken))
	if sessionToken == "" || subtle.ConstantTimeCompare(sum[:], c.tokenHash) != 1 {
		return Principal{}, apierr.New(apierr.UnrecognizedClient, "")
	}
	if !now.Before(c.expiresAt) {
		return Principal{}, apierr.New(apierr.ExpiredToken, "")
	}
	return c.principal, nil
}

// Forget drops what the cache holds of the record a change names: for changes another process
// made, heard through a store.Watcher.
func (s *Service) Forget(c store.Change) {
	switch c.Kind {
	case store.ChangedAccessKey:
		s.forget(c.ID)
	case store.ChangedIAMUser:
		s.forgetUser(c.AccountID, c.Name)
	case store.ChangedPolicies:
		s.forgetPolicies(c.AccountID)
	case store.ChangesMissed:
		s.credentials.Clear()
		s.policies.Clear()
	}
}

// Prune drops cached credentials and policy sets past their TTL.
func (s *Service) Prune() {
	now := s.now()
	s.credentials.Prune(now)
	s.policies.Prune(now)
}

// Ready reports whether the store answers.
func (s *Service) Ready(ctx context.Context) error { return s.store.Ping(ctx) }

// PurgeExpiredSessions removes sessions that expired more than grace ago.
func (s *Service) PurgeExpiredSessions(ctx context.Context, grace time.Duration) (int, error) {
	return s.store.DeleteExpiredSessions(ctx, s.now().Add(-grace))
}
