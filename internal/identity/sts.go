package identity

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/store"
)

// chainedSessionLimit is AWS's cap on a session assumed with role-session credentials.
const chainedSessionLimit = 3600

// AssumeRoleInput is what AssumeRole takes.
type AssumeRoleInput struct {
	RoleARN         string
	RoleSessionName string
	DurationSeconds int // 0 means 3600
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
	if n := len(in.RoleARN); n < 20 || n > 2048 {
		return SessionCredentials{}, validationError("roleArn", in.RoleARN, "Member must have length greater than or equal to 20")
	}
	if err := checkName("roleSessionName", in.RoleSessionName, 2, 64); err != nil {
		return SessionCredentials{}, err
	}
	if in.DurationSeconds == 0 {
		in.DurationSeconds = 3600
	}
	if in.DurationSeconds < 900 || in.DurationSeconds > 43200 {
		c := "Member must have value greater than or equal to 900"
		if in.DurationSeconds > 43200 {
			c = "Member must have value less than or equal to 43200"
		}
		return SessionCredentials{}, validationError("durationSeconds", fmt.Sprint(in.DurationSeconds), c)
	}
	if caller.Kind == Root {
		return SessionCredentials{}, apierr.New(apierr.AccessDenied, "Roles may not be assumed by root accounts.")
	}
	denied := apierr.New(apierr.AccessDenied, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s",
		caller.ARN, in.RoleARN)
	accountID, roleName, ok := parseRoleARN(in.RoleARN)
	if !ok {
		return SessionCredentials{}, apierr.New(apierr.ValidationError, "%s is invalid", in.RoleARN)
	}
	// A missing role is refused like a forbidden one, as AWS does, so role names cannot be probed.
	role, err := s.store.GetRole(ctx, accountID, roleName)
	if errors.Is(err, store.ErrNotFound) {
		return SessionCredentials{}, denied
	}
	if err != nil {
		return SessionCredentials{}, fmt.Errorf("identity: get role: %w", err)
	}
	trust, err := parsePolicy(role.TrustPolicy)
	if err != nil || !trust.allows(caller, "sts:AssumeRole") {
		return SessionCredentials{}, denied
	}
	if caller.Kind == AssumedRole && in.DurationSeconds > chainedSessionLimit {
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
		ARN:           AssumedRoleARN(role.AccountID, role.Name, in.RoleSessionName),
	}, nil
}

// parseRoleARN reads arn:aws:iam::ACCOUNT:role/PATH/NAME.
func parseRoleARN(arn string) (accountID, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !ValidAccountID(parts[4]) ||
		!strings.HasPrefix(parts[5], "role/") {
		return "", "", false
	}
	name = parts[5][strings.LastIndexByte(parts[5], '/')+1:]
	return parts[4], name, name != ""
}
