package identity

import (
	"context"
	"fmt"

	"github.com/connectfed/connectfed/internal/apierr"
	iampolicy "github.com/connectfed/connectfed/internal/policy"
)

// Enforcement says what a denial by IAM policies does. Trust policies (who may assume a
// role) and what AWS forbids whatever the policies say (root assuming a role, root asking for a
// federation token) are enforced in every mode.
type Enforcement int

const (
	// EnforceOn refuses what the caller's policies do not allow, as AWS does.
	EnforceOn Enforcement = iota
	// EnforceLog allows it, and reports it as a denial that would have been: for moving a
	// test suite written before enforcement onto it.
	EnforceLog
	// EnforceOff evaluates nothing: every authenticated caller may call every operation.
	EnforceOff
)

func (e Enforcement) String() string {
	switch e {
	case EnforceLog:
		return "log"
	case EnforceOff:
		return "off"
	}
	return "on"
}

// ParseEnforcement reads "on", "log" or "off".
func ParseEnforcement(s string) (Enforcement, error) {
	for _, e := range []Enforcement{EnforceOn, EnforceLog, EnforceOff} {
		if s == e.String() {
			return e, nil
		}
	}
	return EnforceOn, fmt.Errorf("IAM enforcement %q: want on, log or off", s)
}

// Denial is a request that the caller's policies do not allow.
type Denial struct {
	Caller  Principal
	Action  string
	Verdict Verdict
	// Enforced says the request was refused (EnforceOn); under EnforceLog it went ahead.
	Enforced bool
	// ByTrust says a role's trust policy refused AssumeRole (in every mode).
	ByTrust bool
}

// Message is AWS's sentence for the denial; a trust policy's refusal gives no reason.
func (d Denial) Message() string {
	if d.ByTrust {
		return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", d.Caller.ARN, d.Action, d.Verdict.Resource)
	}
	return d.Verdict.Message(d.Caller, d.Action)
}

// DecidedBy names the kind of policy that refused: "identity-based policy", "permissions
// boundary", "session policy" or "role trust policy".
func (d Denial) DecidedBy() string {
	if d.ByTrust {
		return "role trust policy"
	}
	switch d.Verdict.By {
	case iampolicy.ByBoundary:
		return "permissions boundary"
	case iampolicy.BySession:
		return "session policy"
	}
	return "identity-based policy"
}

// Statements describes each statement that applied to the request, as
// "POLICY (TYPE) statement N[ SID]: EFFECT", N counting from 1: for an explicit deny the Deny
// statements are among them; for an implicit deny, the Allows of the other kinds of policy.
func (d Denial) Statements() []string {
	var out []string
	for _, m := range d.Verdict.Matched {
		line := fmt.Sprintf("%s (%s) statement %d", m.Policy, m.Source, m.Statement.Index+1)
		if m.Statement.Sid != "" {
			line += " " + m.Statement.Sid
		}
		out = append(out, line+": "+m.Statement.Effect.String())
	}
	return out
}

// Enforce sets what a policy denial does; report, when not nil, hears every denial (refused
// under EnforceOn, let through under EnforceLog). The default is EnforceOn. Set it before
// serving.
func (s *Service) Enforce(mode Enforcement, report func(context.Context, Denial)) {
	s.enforcement, s.report = mode, report
}

// Enforcing says whether requests are evaluated at all (any mode but EnforceOff), so a caller
// can skip building what Check would not read.
func (s *Service) Enforcing() bool { return s.enforcement != EnforceOff }

// Check authorizes a request under the enforcement mode: nil when it may go ahead, and
// AccessDenied with AWS's sentence when it may not.
func (s *Service) Check(ctx context.Context, caller Principal, a Access) error {
	if s.enforcement == EnforceOff {
		return nil
	}
	v, err := s.Authorize(ctx, caller, a)
	if err != nil || v.Allowed() {
		return err
	}
	return s.settle(ctx, Denial{Caller: caller, Action: a.Action, Verdict: v})
}

// settle turns a verdict into the answer the enforcement mode gives.
func (s *Service) settle(ctx context.Context, d Denial) error {
	if d.Verdict.Allowed() || s.enforcement == EnforceOff {
		return nil
	}
	d.Enforced = s.enforcement == EnforceOn
	if s.report != nil {
		s.report(ctx, d)
	}
	if !d.Enforced {
		return nil
	}
	return apierr.New(apierr.AccessDenied, "%s", d.Message())
}
