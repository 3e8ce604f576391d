package identity

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/limits"
	"github.com/connectfed/connectfed/internal/store"
)

// AssumeRoleInput is what AssumeRole takes.
type AssumeRoleInput struct {
	RoleARN         string
	RoleSessionName string
	DurationSeconds int // 0 means limits.SessionDurationDefault
}

// SessionCredentials are the temporary credentials AssumeRole hands out, and who they are.
type SessionCredentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
	// AssumedRoleID is ROLEID:SESSION; ARN the assumed-role ARN.
	AssumedRoleID, ARN string
}

// AssumeRole issues session credentials for a role whose trust policy allows the caller.
func (s *Service) AssumeRole(ctx context.Context, caller Principal, in AssumeRoleInput) (SessionCredentials, error) {
	if err := required("roleArn", in.RoleARN); err != nil {
		return SessionCredentials{}, err
	}
	if err := checkLength("roleArn", in.RoleARN, limits.RoleARNMin, limits.RoleARNMax); err != nil {
		return SessionCredentials{}, err
	}
	if err := checkName("roleSessionName", in.RoleSessionName, limits.RoleSessionNameMin, limits.RoleSessionNameMax); err != nil {
		return SessionCredentials{}, err
	}
	if in.DurationSeconds == 0 {
		in.DurationSeconds = limits.SessionDurationDefault
	}
	if c := apierr.Range(in.DurationSeconds, limits.SessionDurationMin, limits.SessionDurationMax); c != "" {
		return SessionCredentials{}, validationError("durationSeconds", fmt.Sprint(in.DurationSeconds), c)
	}
	if caller.Kind == Root {
		return SessionCredentials{}, apierr.New(apierr.AccessDenied, "Roles may not be assumed by root accounts.")
	}
	denied := apierr.New(apierr.AccessDenied, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s",
		caller.ARN, in.RoleARN)
	named, ok := arn.ParseRole(in.RoleARN)
	if !ok || !ValidAccountID(named.Account) {
		return SessionCredentials{}, apierr.New(apierr.ValidationError, "%s is invalid", in.RoleARN)
	}
	// A missing role is refused like a forbidden one, as AWS does, so role names cannot be
	// probed; an ARN with another path than the role's names no role.
	role, err := s.store.GetRole(ctx, named.Account, named.Name)
	if errors.Is(err, store.ErrNotFound) || err == nil && rolePath(role) != named.Path {
		return SessionCredentials{}, denied
	}
	if err != nil {
		return SessionCredentials{}, fmt.Errorf("identity: get role: %w", err)
	}
	trust, err := parsePolicy(role.TrustPolicy)
	if err != nil || !trust.allows(caller, "sts:AssumeRole") {
		return SessionCredentials{}, denied
	}
	if caller.Kind == AssumedRole && in.DurationSeconds > limits.ChainedSessionMax {
		return SessionCredentials{}, apierr.New(apierr.ValidationError,
			"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if in.DurationSeconds > role.MaxSessionDuration {
		return SessionCredentials{}, apierr.New(apierr.ValidationError,
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	now := s.now().UTC()
	token := newSessionToken()
	sum := sha256.Sum256([]byte(token))
	sess := store.Session{
		AccessKeyID: newSessionKeyID(), Secret: newSecret(), TokenHash: sum[:],
		AccountID: role.AccountID, RoleName: role.Name, RoleID: role.ID, SessionName: in.RoleSessionName,
		SourceARN: caller.ARN, CreatedAt: now, ExpiresAt: now.Add(time.Duration(in.DurationSeconds) * time.Second),
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return SessionCredentials{}, fmt.Errorf("identity: create session: %w", err)
	}
	return SessionCredentials{
		AccessKeyID: sess.AccessKeyID, SecretAccessKey: sess.Secret, SessionToken: token,
		Expiration:    sess.ExpiresAt,
		AssumedRoleID: role.ID + ":" + in.RoleSessionName,
		ARN:           arn.AssumedRole(role.AccountID, role.Name, in.RoleSessionName),
	}, nil
}

// rolePath is a role's path; a role stored without one has IAM's default, "/".
func rolePath(r store.Role) string {
	if r.Path == "" {
		return "/"
	}
	return r.Path
}
