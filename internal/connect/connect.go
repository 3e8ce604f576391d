// Package connect owns Amazon Connect's side of connectfed: instances with their security and
// routing profiles, Connect users, and GetFederationToken, which maps the calling IAM principal
// to a Connect user and mints that user's tokens. Resources belong to an account and a region;
// nothing here knows about HTTP or the wire format. Errors a caller may see are *apierr.Error.
package connect

import (
	"time"

	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/cache"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/token"
)

// DefaultCacheTTL bounds how long a cached instance or user is trusted without reading the
// store again. Changes made through this Service invalidate the caches at once, and those other
// replicas make arrive through Forget; the TTL is the safety net for an announcement that is
// lost.
const DefaultCacheTTL = 15 * time.Second

// Config is what federation needs besides the store.
type Config struct {
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	// SignInBase is the server's public URL; SignInUrl points below it.
	SignInBase string
	// CacheTTL is how long instances and users are cached (DefaultCacheTTL when 0, never when
	// negative).
	CacheTTL time.Duration
}

// Service is the Connect domain over a store.
type Service struct {
	store       store.Store
	tokens      *token.Issuer
	credentials Credentials
	cfg         Config
	now         func() time.Time

	instances *cache.TTL[instanceKey, store.Instance]
	users     *cache.TTL[userKey, store.ConnectUser]
	// described are users as DescribeUser reads them, by id, their details decoded (shared:
	// read, never written).
	described *cache.TTL[describedKey, describedUser]
	// summaries are ListUsers' pages, by instance and page (shared: read, never written); any
	// change to a user of the instance, its creation included, forgets them all.
	summaries *cache.TTL[summaryKey, Page[UserSummary]]
}

type instanceKey struct{ account, region, id string }

type userKey struct{ instanceID, username string }

type describedKey struct{ instanceID, userID string }

type summaryKey struct {
	instanceID string
	page       store.Page
}

// maxCachedSummaryPages bounds the ListUsers pages kept (of 100 users, ~20 KB each): the
// first pages are what loops ask for again; a paginator walking a million users would
// otherwise fill the cache with pages asked for once.
const maxCachedSummaryPages = 256

type describedUser struct {
	user    store.ConnectUser // without its Details and PasswordHash
	details UserDetails
}

// New returns a Service. creds says whether the AWS key behind a token still stands; now is
// the clock (time.Now when nil).
func New(s store.Store, tokens *token.Issuer, creds Credentials, cfg Config, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if cfg.AccessTokenTTL == 0 {
		cfg.AccessTokenTTL = time.Hour
	}
	if cfg.RefreshTokenTTL == 0 {
		cfg.RefreshTokenTTL = 12 * time.Hour
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	return &Service{store: s, tokens: tokens, credentials: creds, cfg: cfg, now: now,
		instances: cache.New[instanceKey, store.Instance](cfg.CacheTTL),
		users:     cache.New[userKey, store.ConnectUser](cfg.CacheTTL),
		described: cache.New[describedKey, describedUser](cfg.CacheTTL),
		summaries: cache.New[summaryKey, Page[UserSummary]](cfg.CacheTTL)}
}

// Caches are the service's caches by name, for the metrics: each says its hits and misses.
func (s *Service) Caches() map[string]interface{ Stats() (hits, misses uint64) } {
	return map[string]interface{ Stats() (hits, misses uint64) }{"instances": s.instances, "connect_users": s.users,
		"described_users": s.described, "user_summaries": s.summaries}
}

// Forget drops what the caches hold of the record a change names: for changes another process
// made, heard through a store.Watcher.
func (s *Service) Forget(c store.Change) {
	switch c.Kind {
	case store.ChangedInstance:
		s.forgetInstance(store.Instance{AccountID: c.AccountID, Region: c.Region, ID: c.ID})
	case store.ChangedConnectUser:
		s.forgetUser(c.InstanceID, c.ID)
	case store.ChangesMissed:
		s.instances.Clear()
		s.users.Clear()
		s.described.Clear()
		s.summaries.Clear()
	}
}

// Caller is who calls a Connect operation, and where: the region is the credential scope's.
type Caller struct {
	Principal identity.Principal
	Region    string
}

// Prune drops cache entries past their TTL.
func (s *Service) Prune() {
	now := s.now()
	s.instances.Prune(now)
	s.users.Prune(now)
	s.described.Prune(now)
	s.summaries.Prune(now)
}

// instanceARN is the ARN of an instance.
func instanceARN(in store.Instance) string { return arn.Instance(in.Region, in.AccountID, in.ID) }

// userARN is the ARN of a user of an instance.
func userARN(in store.Instance, userID string) string {
	return arn.ConnectUser(in.Region, in.AccountID, in.ID, userID)
}
