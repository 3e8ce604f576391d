package identity

import (
	"context"
	"fmt"

	"github.com/connectfed/connectfed/internal/apierr"
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
}

// Message is AWS's sentence for the denial.
func (d Denial) Message() string { return d.Verdict.Message(d.Caller, d.Action) }

// Enforce sets what a policy denial does; under EnforceLog, wouldDeny hears every request that
// EnforceOn would have refused. The default is EnforceOn. Set it before serving.
func (s *Service) Enforce(mode Enforcement, wouldDeny func(context.Context, Denial)) {
	s.enforcement, s.wouldDeny = mode, wouldDeny
}

// Check authorizes a request under the enforcement mode: nil when it may go ahead, and
// AccessDenied with AWS's sentence when it may not.
func (s *Service) Check(ctx context.Context, caller Principal, a Access) error {
	if s.enforcement == EnforceOff {
		return nil
	}
	v, err := s.Authorize(ctx, caller, a)
	if err != nil {
		return err
	}
	return s.settle(ctx, Denial{Caller: caller, Action: a.Action, Verdict: v})
}

// settle turns a verdict into the answer the enforcement mode gives.
func (s *Service) settle(ctx context.Context, d Denial) error {
	if d.Verdict.Allowed() || s.enforcement == EnforceOff {
		return nil
	}
	if s.enforcement == EnforceLog {
		if s.wouldDeny != nil {
			s.wouldDeny(ctx, d)
		}
		return nil
	}
	return apierr.New(apierr.AccessDenied, "%s", d.Message())
}
