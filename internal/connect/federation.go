package connect

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/token"
)

// Federation is what GetFederationToken hands out.
type Federation struct {
	AccessToken            string
	AccessTokenExpiration  time.Time
	RefreshToken           string
	RefreshTokenExpiration time.Time
	SignInURL              string
	UserARN                string
	UserID                 string
}

// SignInPath is where SignInUrl points, below Config.SignInBase.
const SignInPath = "/federation/signin"

// signInTTL is how long a SignInUrl can be opened: long enough to hand the link to a browser,
// short enough that a leaked link is soon worthless.
const signInTTL = 15 * time.Minute

// GetFederationToken mints tokens for the Connect user that corresponds to the caller: a role
// session's RoleSessionName, or an IAM user's name, matched exactly. Root is refused, as AWS
// refuses it, and so is an instance that does not federate through SAML.
//
// Once the instance and the user are cached this reads and writes nothing: deleting either goes
// through this Service, which drops them from the cache at once.
func (s *Service) GetFederationToken(ctx context.Context, c Caller, ref string) (Federation, error) {
	id, err := instanceRef(ref).resolve(c)
	if err != nil {
		return Federation{}, err
	}
	var username string
	switch p := c.Principal; p.Kind {
	case identity.Root:
		return Federation{}, apierr.New(apierr.InvalidRequest,
			"Provided identity: Principal: %s User: %s cannot be used for federation with Amazon Connect", p.ARN, p.AccountID)
	case identity.AssumedRole:
		username = p.SessionName
	case identity.IAMUser:
		username = p.UserName
	}
	inst, err := s.instance(ctx, c, instanceRef(id))
	if apierr.Is(err, apierr.ResourceNotFound) {
		return Federation{}, instanceNotFound(ref) // name it as the caller did, id or ARN
	}
	if err != nil {
		return Federation{}, err
	}
	if inst.IdentityManagementType != SAML {
		return Federation{}, apierr.New(apierr.InvalidRequest,
			"GetFederationToken is supported only for instances that use SAML for identity management; instance %s uses %s.",
			inst.ID, inst.IdentityManagementType)
	}
	u, err := s.userByName(ctx, inst.ID, username)
	if err != nil {
		return Federation{}, err
	}

	subject := token.Subject{AccountID: inst.AccountID, Region: inst.Region, InstanceID: inst.ID, UserID: u.ID,
		AccessKeyID: c.Principal.AccessKeyID}
	// The link carries a sign-in token of the pair's family, never the access token itself,
	// which would then sit in browser histories and proxy logs.
	pair, err := s.tokens.Federation(subject, s.cfg.AccessTokenTTL, s.cfg.RefreshTokenTTL, min(signInTTL, s.cfg.AccessTokenTTL))
	if err != nil {
		return Federation{}, fmt.Errorf("connect: mint tokens: %w", err)
	}
	return Federation{
		AccessToken:            pair.Access,
		AccessTokenExpiration:  pair.AccessClaims.ExpiresAt,
		RefreshToken:           pair.Refresh,
		RefreshTokenExpiration: pair.RefreshClaims.ExpiresAt,
		SignInURL:              s.cfg.SignInBase + SignInPath + "?token=" + url.QueryEscape(pair.SignIn),
		UserARN:                userARN(inst, u.ID),
		UserID:                 u.ID,
	}, nil
}

// userByName finds a user of an instance by its exact username, through the cache.
func (s *Service) userByName(ctx context.Context, instanceID, username string) (store.ConnectUser, error) {
	// No Connect user has an empty username: there is nothing to look up.
	if username == "" {
		return store.ConnectUser{}, apierr.New(apierr.UserNotFound, "No user with the specified credentials was found")
	}
	key := userKey{instanceID, username}
	now := s.now()
	if u, ok := s.users.Get(key, now); ok {
		return u, nil
	}
	version := s.users.Version()
	u, err := s.store.GetConnectUserByUsername(ctx, instanceID, username)
	if errors.Is(err, store.ErrNotFound) {
		return store.ConnectUser{}, apierr.New(apierr.UserNotFound, "No user with the specified credentials was found")
	}
	if err != nil {
		return store.ConnectUser{}, fmt.Errorf("connect: get user: %w", err)
	}
	u.Details, u.PasswordHash = nil, nil // the hot path needs only the id; keep the cache small
	s.users.Fill(version, key, u, now)
	return u, nil
}
