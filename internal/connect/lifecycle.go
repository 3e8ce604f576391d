package connect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/token"
)

// Credentials answers whether the access key behind a token still stands: identity.Service.
type Credentials interface {
	Lookup(ctx context.Context, accessKeyID string) (identity.Credential, error)
}

// TokenInfo is what introspection says of an active token.
type TokenInfo struct {
	Claims   token.Claims
	Username string
	UserARN  string
}

// Renewed is what a refresh hands out: a new access token and a new refresh token of the same
// family.
type Renewed struct {
	// Subject is whose token it was, once the token is known genuine: set even when the
	// refresh is refused, for the audit trail.
	Subject TokenSubject

	AccessToken            string
	AccessTokenExpiration  time.Time
	RefreshToken           string
	RefreshTokenExpiration time.Time
}

// verify checks a token's signature and expiry. A token that is not genuine is Unauthenticated,
// a genuine one past its time TokenExpired.
func (s *Service) verify(tok string, kind token.Kind) (token.Claims, error) {
	c, err := s.tokens.Verify(tok, kind)
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, token.ErrExpired):
		return c, apierr.New(apierr.TokenExpired, "The %s token has expired.", kind)
	}
	return c, apierr.New(apierr.Unauthenticated, "The token is not a valid connectfed %s token.", kindName(kind))
}

func kindName(k token.Kind) string {
	if k == token.AnyKind {
		return "federation"
	}
	return k.String()
}

// standing checks what can end a genuine token before its time: a revoked family, a deleted
// user or instance, an IAM key that was deactivated or deleted. It returns the user.
func (s *Service) standing(ctx context.Context, c token.Claims) (store.Instance, store.ConnectUser, error) {
	revoked, _, err := s.store.FamilyRevoked(ctx, c.FamilyID)
	if err != nil {
		return store.Instance{}, store.ConnectUser{}, fmt.Errorf("connect: read revocation: %w", err)
	}
	if revoked {
		return store.Instance{}, store.ConnectUser{}, apierr.New(apierr.TokenRevoked, "The token has been revoked.")
	}
	gone := apierr.New(apierr.TokenRevoked, "The Connect user this token was issued for no longer exists.")
	inst, err := s.store.GetInstance(ctx, c.AccountID, c.Region, c.InstanceID)
	if errors.Is(err, store.ErrNotFound) {
		return inst, store.ConnectUser{}, gone
	}
	if err != nil {
		return inst, store.ConnectUser{}, fmt.Errorf("connect: get instance: %w", err)
	}
	u, err := s.store.GetConnectUser(ctx, c.InstanceID, c.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return inst, u, gone
	}
	if err != nil {
		return inst, u, fmt.Errorf("connect: get user: %w", err)
	}
	if c.AccessKeyID == PasswordSignInKey {
		return inst, u, nil // no AWS key obtained it, so none can end it
	}
	if _, err := s.credentials.Lookup(ctx, c.AccessKeyID); apierr.Is(err, apierr.UnrecognizedClient) {
		return inst, u, apierr.New(apierr.TokenRevoked, "The AWS credentials that obtained this token are no longer valid.")
	} else if err != nil {
		return inst, u, err
	}
	return inst, u, nil
}

// Refresh trades a refresh token for a new access token and a new refresh token of the same
// family (rotation). A refresh token works once: presenting it again revokes the whole family
// and answers TokenReused, since one of the two presenters must be a thief. The family's life is
// not extended: the new refresh token expires when the old one did.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (Renewed, error) {
	c, err := s.verify(refreshToken, token.Refresh)
	if err != nil {
		return Renewed{}, err
	}
	who := Renewed{Subject: subjectOf(c)}
	if _, _, err := s.standing(ctx, c); err != nil {
		return who, err
	}
	err = s.store.MarkTokenUsed(ctx, c.ID, c.FamilyID, c.ExpiresAt)
	if errors.Is(err, store.ErrAlreadyExists) {
		if err := s.store.RevokeFamily(ctx, c.FamilyID, s.now().UTC(), c.ExpiresAt); err != nil {
			return who, fmt.Errorf("connect: revoke a reused family: %w", err)
		}
		return who, apierr.New(apierr.TokenReused, "")
	}
	if err != nil {
		return who, fmt.Errorf("connect: use refresh token: %w", err)
	}
	// Tokens count whole seconds from the second they are issued in.
	left := c.ExpiresAt.Sub(time.Unix(s.now().Unix(), 0))
	if left < time.Second {
		return who, apierr.New(apierr.TokenExpired, "The refresh token has expired.")
	}
	pair, err := s.tokens.Renew(c, min(s.cfg.AccessTokenTTL, left), left)
	if err != nil {
		return who, fmt.Errorf("connect: renew: %w", err)
	}
	return Renewed{Subject: who.Subject, AccessToken: pair.Access, AccessTokenExpiration: pair.AccessClaims.ExpiresAt,
		RefreshToken: pair.Refresh, RefreshTokenExpiration: pair.RefreshClaims.ExpiresAt}, nil
}

// TokenSubject is whom a genuine token was issued for, for the audit trail.
type TokenSubject struct {
	AccountID, Region, UserID, UserARN string
}

func subjectOf(c token.Claims) TokenSubject {
	return TokenSubject{AccountID: c.AccountID, Region: c.Region, UserID: c.UserID,
		UserARN: arn.ConnectUser(c.Region, c.AccountID, c.InstanceID, c.UserID)}
}

// Introspect reports whether a token is active, and whose it is, to a principal of the token's
// account. Any other answer is "inactive", with no reason: introspection must not help anyone
// probe tokens they do not own.
func (s *Service) Introspect(ctx context.Context, caller identity.Principal, tok string) (TokenInfo, bool, error) {
	c, err := s.tokens.Verify(tok, token.AnyKind)
	if err != nil || c.AccountID != caller.AccountID {
		return TokenInfo{}, false, nil
	}
	inst, u, err := s.standing(ctx, c)
	if apierr.Is(err, apierr.TokenRevoked) {
		return TokenInfo{}, false, nil
	}
	if err != nil {
		return TokenInfo{}, false, err
	}
	if c.Kind != token.Access {
		// A refresh token or a sign-in link works once; once used it is spent.
		used, err := s.store.TokenUsed(ctx, c.ID)
		if err != nil {
			return TokenInfo{}, false, fmt.Errorf("connect: read token use: %w", err)
		}
		if used {
			return TokenInfo{}, false, nil
		}
	}
	return TokenInfo{Claims: c, Username: u.Username, UserARN: userARN(inst, u.ID)}, true, nil
}

// Revoke ends every token of a token's family. The holder of any token of the family may revoke
// it (caller nil); a SigV4 principal may revoke only tokens of its own account. Revoking an
// expired or already revoked token succeeds: the outcome is the same.
func (s *Service) Revoke(ctx context.Context, caller *identity.Principal, tok string) (TokenSubject, error) {
	c, err := s.tokens.Verify(tok, token.AnyKind)
	if errors.Is(err, token.ErrExpired) {
		return TokenSubject{}, nil // nothing left to end
	}
	if err != nil {
		return TokenSubject{}, apierr.New(apierr.Unauthenticated, "The token is not a valid connectfed federation token.")
	}
	who := subjectOf(c)
	if caller != nil && caller.AccountID != c.AccountID {
		return TokenSubject{}, apierr.New(apierr.Forbidden, "%s may not revoke tokens of another account.", caller.ARN)
	}
	until := c.IssuedAt.Add(s.cfg.RefreshTokenTTL)
	if c.ExpiresAt.After(until) {
		until = c.ExpiresAt
	}
	if err := s.store.RevokeFamily(ctx, c.FamilyID, s.now().UTC(), until); err != nil {
		return who, fmt.Errorf("connect: revoke: %w", err)
	}
	return who, nil
}

// PurgeTokenRecords removes records of used tokens and revoked families whose tokens have all
// expired: they can no longer matter.
func (s *Service) PurgeTokenRecords(ctx context.Context) (int, error) {
	return s.store.DeleteExpiredTokenRecords(ctx, s.now().UTC())
}
