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
	iampolicy "github.com/connectfed/connectfed/internal/policy"
	"github.com/connectfed/connectfed/internal/store"
)

// AssumeRoleInput is what AssumeRole takes.
type AssumeRoleInput struct {
	RoleARN         string
	RoleSessionName string
	DurationSeconds int // 0 means limits.SessionDurationDefault
	// Policy and PolicyARNs are session policies: the session may do only what they and the
	// role's policies both allow.
	Policy     string
	PolicyARNs []string
	// SourceIP and SecureTransport describe the request, for the policies' conditions.
	SourceIP        string
	SecureTransport bool
	Region          string
}

// SessionCredentials are the temporary credentials AssumeRole hands out, and who they are.
type SessionCredentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
	// AssumedRoleID is ROLEID:SESSION; ARN the assumed-role ARN.
	AssumedRoleID, ARN string
	// PackedPolicySize is the session policies' share of what a session may carry, in
	// percent; 0 without session policies.
	PackedPolicySize int
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
	packed, err := checkSessionPolicies(in.Policy, in.PolicyARNs)
	if err != nil {
		return SessionCredentials{}, err
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
	if err := s.mayAssume(ctx, caller, role, in); err != nil {
		return SessionCredentials{}, err
	}
	if caller.Kind == AssumedRole && in.DurationSeconds > limits.ChainedSessionMax {
		return SessionCredentials{}, apierr.New(apierr.ValidationError,
			"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if in.DurationSeconds > role.MaxSessionDuration {
		return SessionCredentials{}, apierr.New(apierr.ValidationError,
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	// Role chaining passes the caller's transitive session tags on.
	var tags sessionTags
	if caller.Kind == AssumedRole && len(caller.transitive) > 0 {
		tags = sessionTags{values: map[string]string{}, transitive: caller.transitive}
		for _, k := range caller.transitive {
			tags.values[k] = caller.tags[k]
		}
	}
	return s.issueSession(ctx, role, in.RoleSessionName, in.DurationSeconds, caller.ARN, in.Policy, in.PolicyARNs, packed, tags)
}

// sessionTags are a session's tags and which of them are transitive.
type sessionTags struct {
	values     map[string]string
	transitive []string
}

// issueSession creates a session of a role and hands out its credentials. source is who
// assumed the role (a principal's ARN, or a SAML provider's).
func (s *Service) issueSession(ctx context.Context, role store.Role, sessionName string, seconds int, source, policy string,
	policyARNs []string, packed int, tags sessionTags) (SessionCredentials, error) {
	now := s.now().UTC()
	token := newSessionToken()
	sum := sha256.Sum256([]byte(token))
	sess := store.Session{
		AccessKeyID: newSessionKeyID(), Secret: newSecret(), TokenHash: sum[:],
		AccountID: role.AccountID, RoleName: role.Name, RoleID: role.ID, RolePath: rolePath(role), SessionName: sessionName,
		SourceARN: source, CreatedAt: now, ExpiresAt: now.Add(time.Duration(seconds) * time.Second),
		Policy: policy, PolicyARNs: policyARNs, Tags: tags.values, TransitiveTagKeys: tags.transitive,
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return SessionCredentials{}, fmt.Errorf("identity: create session: %w", err)
	}
	return SessionCredentials{
		AccessKeyID: sess.AccessKeyID, SecretAccessKey: sess.Secret, SessionToken: token,
		Expiration:       sess.ExpiresAt,
		AssumedRoleID:    role.ID + ":" + sessionName,
		ARN:              arn.AssumedRole(role.AccountID, role.Name, sessionName),
		PackedPolicySize: packed,
	}, nil
}

// mayAssume decides AssumeRole as IAM does within one account: the trust policy must not deny
// the caller and must allow it; a trust policy that names the caller itself is enough, one that
// names the caller's account needs the caller's own policies to allow sts:AssumeRole on the
// role too.
func (s *Service) mayAssume(ctx context.Context, caller Principal, role store.Role, in AssumeRoleInput) error {
	roleARN := arn.Role(role.AccountID, rolePath(role), role.Name)
	trustDoc, err := iampolicy.Parse(role.TrustPolicy, iampolicy.Trust)
	if err != nil {
		// CreateRole and UpdateAssumeRolePolicy check the document: one that no longer parses
		// trusts nobody.
		trustDoc = nil
	}
	a := Access{Action: "sts:AssumeRole", Resources: []string{roleARN}, SourceIP: in.SourceIP,
		SecureTransport: in.SecureTransport, Region: in.Region,
		Keys: []ContextKey{{Name: "sts:RoleSessionName", Value: in.RoleSessionName}}}
	r := requestContext(caller, a, s.now())
	r.Resource = roleARN
	trust := trustNone
	if trustDoc != nil && caller.AccountID == role.AccountID {
		trust = trustOf(trustDoc, r)
	}
	if trust == trustNone || trust == trustDenies {
		d := Denial{Caller: caller, Action: a.Action, Enforced: true, ByTrust: true,
			Verdict: Verdict{Outcome: iampolicy.Outcome{Decision: iampolicy.ImplicitDeny}, Resource: roleARN}}
		if trust == trustDenies {
			d.Verdict.Decision = iampolicy.ExplicitDeny
		}
		if s.report != nil {
			s.report(ctx, d)
		}
		return apierr.New(apierr.AccessDenied, "%s", d.Message())
	}
	if s.enforcement == EnforceOff {
		return nil
	}
	cs, err := s.policySet(ctx, caller)
	if err != nil {
		return err
	}
	out := iampolicy.Decide(&r, cs.set)
	if trust == trustDirect && out.Decision == iampolicy.ImplicitDeny && (caller.Kind == IAMUser || out.By == iampolicy.ByIdentity) {
		// Granted by name: the identity policies need not allow. A role session granted
		// through its role's ARN is still bounded by its boundary and session policies.
		out.Decision = iampolicy.Allowed
	}
	return s.settle(ctx, Denial{Caller: caller, Action: a.Action, Verdict: Verdict{Outcome: out, Resource: roleARN}})
}

// checkSessionPolicies checks AssumeRole's Policy and PolicyArns and says how much of a
// session's room they take, in percent, as PackedPolicySize reports it.
func checkSessionPolicies(policy string, arns []string) (int, error) {
	if policy != "" {
		if err := checkLength("policy", policy, 1, limits.SessionPolicyMax); err != nil {
			return 0, err
		}
		if err := checkDocument("policy", policy, iampolicy.Identity); err != nil {
			return 0, err
		}
	}
	if len(arns) > limits.SessionPolicyARNsMax {
		return 0, validationError("policyArns", "...", fmt.Sprintf("Member must have length less than or equal to %d", limits.SessionPolicyARNsMax))
	}
	size := policySize(policy)
	for _, a := range arns {
		if _, err := checkPolicyARN("policyArns.member.arn", a); err != nil {
			return 0, err
		}
		size += len(a)
	}
	if size == 0 {
		return 0, nil
	}
	return (size*100 + limits.SessionPolicyMax - 1) / limits.SessionPolicyMax, nil
}

// rolePath is a role's path; a role stored without one has IAM's default, "/".
func rolePath(r store.Role) string {
	if r.Path == "" {
		return "/"
	}
	return r.Path
}
