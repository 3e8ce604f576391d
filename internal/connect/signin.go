package connect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/token"
)

// Session is a browser's sign-in session: what the signed-in page shows, and the session token
// the browser keeps in a cookie.
type Session struct {
	// Token is the session token (token.Session kind), for the cookie and nothing else.
	Token         string
	Username      string
	InstanceID    string
	InstanceAlias string
	UserARN       string
	// ExpiresAt is when the session ends: with the family it was signed in from.
	ExpiresAt time.Time
	// Permissions are what the user's security profiles grant together, sorted; the agent page
	// shows what they allow.
	Permissions []string
	// FrameAncestors are the instance's approved origins: the sites that may embed the agent
	// page.
	FrameAncestors []string
}

// HasPermission says whether the user's security profiles grant a permission.
func (s Session) HasPermission(p string) bool { return slices.Contains(s.Permissions, p) }

// agentView fills in what the agent page shows beyond who is signed in: the user's permissions
// and the sites that may frame the page.
func (s *Service) agentView(ctx context.Context, inst store.Instance, u store.ConnectUser, sess Session) (Session, error) {
	d, err := decodeDetails(u.Details)
	if err != nil {
		return Session{}, fmt.Errorf("connect: decode user %s: %w", u.ID, err)
	}
	if sess.Permissions, err = s.Permissions(ctx, inst.ID, d.SecurityProfileIDs); err != nil {
		return Session{}, err
	}
	for after := ""; ; {
		page, err := s.store.ListApprovedOrigins(ctx, inst.ID, store.Page{After: after, Limit: 100})
		if err != nil {
			return Session{}, fmt.Errorf("connect: list approved origins: %w", err)
		}
		sess.FrameAncestors = append(sess.FrameAncestors, page...)
		if len(page) < 100 {
			return sess, nil
		}
		after = page[len(page)-1]
	}
}

// minSession is the least a fresh session lives, so a link opened just before its family ends
// still lands on a page rather than on an already ended session.
const minSession = time.Minute

// SignIn trades the sign-in token of a SignInUrl for a browser session of the same family. A
// link works once: a link opened again answers TokenReused, but unlike a reused refresh token it
// does not revoke the family. A link is a URL, and URLs get opened twice innocently (a reload, a
// link checker, a second click), so a second opening must not log the user out of everything.
//
// The session lives as long as the family's refresh token (a browser session is no more than
// the API session it came from), and dies with the family: revoking any token of it, deleting
// the user or the instance, or deactivating the IAM key ends the session too.
func (s *Service) SignIn(ctx context.Context, signInToken string) (Session, error) {
	c, err := s.tokens.Verify(signInToken, token.SignIn)
	switch {
	case errors.Is(err, token.ErrExpired):
		return Session{}, apierr.New(apierr.TokenExpired, "This sign-in link has expired.")
	case err != nil:
		return Session{}, apierr.New(apierr.Unauthenticated, "This sign-in link is not valid.")
	}
	inst, u, err := s.standing(ctx, c)
	if err != nil {
		return Session{}, err
	}
	// Marked before the session is minted: of two openings racing, exactly one gets a session.
	err = s.store.MarkTokenUsed(ctx, c.ID, c.FamilyID, c.ExpiresAt)
	if errors.Is(err, store.ErrAlreadyExists) {
		return Session{}, apierr.New(apierr.TokenReused, "This sign-in link was already used.")
	}
	if err != nil {
		return Session{}, fmt.Errorf("connect: use sign-in token: %w", err)
	}
	// The sign-in token was issued with its pair, so its issue time starts the family.
	exp := c.IssuedAt.Add(s.cfg.RefreshTokenTTL)
	if earliest := s.now().Add(minSession); exp.Before(earliest) {
		exp = earliest
	}
	sc := c
	sc.Kind, sc.ID, sc.IssuedAt, sc.ExpiresAt = token.Session, "", time.Time{}, exp
	tok, err := s.tokens.Mint(sc)
	if err != nil {
		return Session{}, fmt.Errorf("connect: mint session token: %w", err)
	}
	return s.agentView(ctx, inst, u, Session{Token: tok, Username: u.Username, InstanceID: inst.ID, InstanceAlias: inst.Alias,
		UserARN: userARN(inst, u.ID), ExpiresAt: time.Unix(exp.Unix(), 0).UTC()})
}

// PasswordSignInKey stands in a password sign-in's claims where a federation's AWS access key
// id stands: no AWS key obtained the session, so none can end it. No access key id looks like it
// (they start AKIA or ASIA).
const PasswordSignInKey = "connect-password"

// errBadPassword answers every refused password sign-in alike, so that it tells no one which
// usernames exist.
func errBadPassword() error {
	return apierr.New(apierr.Unauthenticated, "The username or password is incorrect.")
}

// PasswordSignIn signs a user of a CONNECT_MANAGED instance in with its password, as Connect's
// own login page does: a browser session of a family of its own, which lives as long as a
// refresh token would. The instance is named by its ARN (the page has no account or region of
// its own to resolve an id in).
func (s *Service) PasswordSignIn(ctx context.Context, instanceARN, username, password string) (Session, error) {
	ref, ok := arn.ParseInstance(instanceARN)
	if !ok || !isID(ref.ID) {
		return Session{}, apierr.New(apierr.InvalidRequest, "The sign-in page names no instance: open it with ?instance= and the instance's ARN.")
	}
	inst, err := s.store.GetInstance(ctx, ref.Account, ref.Region, ref.ID)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, instanceNotFound(instanceARN)
	}
	if err != nil {
		return Session{}, fmt.Errorf("connect: get instance: %w", err)
	}
	if inst.IdentityManagementType != ConnectManaged {
		return Session{}, apierr.New(apierr.InvalidRequest,
			"Instance %s signs its agents in through %s, not with a password.", inst.ID, inst.IdentityManagementType)
	}
	u, err := s.store.GetConnectUserByUsername(ctx, inst.ID, username)
	switch {
	case errors.Is(err, store.ErrNotFound) || username == "":
		// The same work as a wrong password: the answer's time tells no one the user is missing.
		passwordMatches(decoyHash(), password)
		return Session{}, errBadPassword()
	case err != nil:
		return Session{}, fmt.Errorf("connect: get user: %w", err)
	case !passwordMatches(u.PasswordHash, password):
		return Session{}, errBadPassword()
	}
	var fam [16]byte
	if _, err := rand.Read(fam[:]); err != nil {
		return Session{}, fmt.Errorf("connect: session family: %w", err)
	}
	exp := s.now().Add(s.cfg.RefreshTokenTTL)
	tok, err := s.tokens.Mint(token.Claims{Kind: token.Session, FamilyID: hex.EncodeToString(fam[:]), AccountID: inst.AccountID,
		Region: inst.Region, InstanceID: inst.ID, UserID: u.ID, AccessKeyID: PasswordSignInKey, ExpiresAt: exp})
	if err != nil {
		return Session{}, fmt.Errorf("connect: mint session token: %w", err)
	}
	return s.agentView(ctx, inst, u, Session{Token: tok, Username: u.Username, InstanceID: inst.ID, InstanceAlias: inst.Alias,
		UserARN: userARN(inst, u.ID), ExpiresAt: time.Unix(exp.Unix(), 0).UTC()})
}

// decoyHash is a password hash no password matches in practice, hashed against when a sign-in
// names no user, so that it costs what a wrong password does. Made on first use: hashing costs
// every process that never signs anyone in 20 ms.
var decoyHash = sync.OnceValue(func() []byte {
	h, err := hashPassword("connectfed decoy: no user has this password")
	if err != nil {
		panic(err) // crypto/rand failed: nothing can be signed in
	}
	return h
})

// CurrentSession answers whose browser session a session token is, if it still stands: genuine,
// not past its time, its family not revoked, its user, instance and IAM key still there, and not
// signed out.
func (s *Service) CurrentSession(ctx context.Context, sessionToken string) (Session, error) {
	c, err := s.tokens.Verify(sessionToken, token.Session)
	switch {
	case errors.Is(err, token.ErrExpired):
		return Session{}, apierr.New(apierr.TokenExpired, "Your session has ended.")
	case err != nil:
		return Session{}, apierr.New(apierr.Unauthenticated, "There is no valid session in this browser.")
	}
	inst, u, err := s.standing(ctx, c)
	if err != nil {
		return Session{}, err
	}
	out, err := s.store.TokenUsed(ctx, c.ID)
	if err != nil {
		return Session{}, fmt.Errorf("connect: read session sign-out: %w", err)
	}
	if out {
		return Session{}, apierr.New(apierr.Unauthenticated, "You have signed out.")
	}
	return s.agentView(ctx, inst, u, Session{Token: sessionToken, Username: u.Username, InstanceID: inst.ID,
		InstanceAlias: inst.Alias, UserARN: userARN(inst, u.ID), ExpiresAt: c.ExpiresAt})
}

// SignOut ends a browser session, and only it: the API tokens of its family keep working, as
// signing out of a web page should not break the tools that use them (revoking the family is
// what /federation/v1/revoke is for). The session token is spent the way a used sign-in link
// is, so a copy of the cookie stops working too. Signing out of a session that is not genuine,
// has ended or was signed out already succeeds: nothing is left to end.
func (s *Service) SignOut(ctx context.Context, sessionToken string) error {
	c, err := s.tokens.Verify(sessionToken, token.Session)
	if err != nil {
		return nil
	}
	err = s.store.MarkTokenUsed(ctx, c.ID, c.FamilyID, c.ExpiresAt)
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("connect: sign out: %w", err)
	}
	return nil
}
