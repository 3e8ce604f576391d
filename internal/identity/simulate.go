package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	iampolicy "github.com/connectfed/connectfed/internal/policy"
	"github.com/connectfed/connectfed/internal/store"
)

// SimulationInput is what iam simulate-principal-policy and simulate-custom-policy take.
type SimulationInput struct {
	// PolicySourceARN is the user or role whose policies are simulated (principal policy);
	// "" simulates PolicyInputs alone (custom policy).
	PolicySourceARN string
	// PolicyInputs are identity policies added to the source's (custom: the only ones).
	PolicyInputs []string
	// BoundaryInputs, when given, are the permissions boundary in place of the source's.
	BoundaryInputs []string
	Actions        []string
	// Resources are the resource ARNs each action is simulated on; none means "*".
	Resources []string
	// CallerARN is the principal the request context speaks of, for a custom simulation.
	CallerARN string
	// Context are condition keys and their values (ContextEntries); they override what the
	// source principal implies.
	Context map[string][]string
}

// SimulationResult is the decision for one action on one resource.
type SimulationResult struct {
	Action, Resource string
	Decision         iampolicy.Decision
	Matched          []iampolicy.Match
	// Boundary is whether a permissions boundary applied, and AllowedByBoundary its answer.
	Boundary, AllowedByBoundary bool
}

// Simulate evaluates actions on resources under a principal's policies (and any given), with
// the evaluator enforcement uses: what it answers is what enforcement decides for the same
// request context.
func (s *Service) Simulate(ctx context.Context, caller Principal, in SimulationInput) ([]SimulationResult, error) {
	if len(in.Actions) == 0 {
		return nil, validationError("actionNames", "null", "Member must not be null")
	}
	for i, a := range in.Actions {
		if a == "" || len(a) > 128 {
			return nil, validationError(fmt.Sprintf("actionNames.%d.member", i+1), a, apierr.Length(len(a), 3, 128))
		}
	}
	if len(in.Resources) == 0 {
		in.Resources = []string{"*"}
	}
	var set iampolicy.Set
	r := iampolicy.Request{PrincipalAccount: caller.AccountID}
	r.Set("aws:PrincipalAccount", caller.AccountID)
	if in.PolicySourceARN != "" {
		var err error
		if set, err = s.sourcePolicies(ctx, caller, in.PolicySourceARN, &r); err != nil {
			return nil, err
		}
	} else if in.CallerARN != "" {
		r.PrincipalARN = in.CallerARN
		r.Set("aws:PrincipalArn", in.CallerARN)
	}
	for i, doc := range in.PolicyInputs {
		parsed, err := iampolicy.Parse(doc, iampolicy.Identity)
		if err != nil {
			return nil, malformedPolicy(err)
		}
		set.Identity = append(set.Identity, iampolicy.Labelled{Name: fmt.Sprintf("PolicyInputList.%d", i+1), Doc: parsed, Source: "none"})
	}
	if in.BoundaryInputs != nil {
		set.Boundary = []iampolicy.Labelled{}
		for i, doc := range in.BoundaryInputs {
			parsed, err := iampolicy.Parse(doc, iampolicy.Identity)
			if err != nil {
				return nil, malformedPolicy(err)
			}
			set.Boundary = append(set.Boundary, iampolicy.Labelled{Name: fmt.Sprintf("PermissionsBoundaryPolicyInputList.%d", i+1),
				Doc: parsed, Source: "none"})
		}
	}
	for k, v := range in.Context {
		r.Set(k, v...)
	}
	var out []SimulationResult
	for _, action := range in.Actions {
		for _, res := range in.Resources {
			r.Action, r.Resource = action, res
			o := iampolicy.Decide(&r, set)
			sr := SimulationResult{Action: action, Resource: res, Decision: o.Decision, Matched: o.Matched,
				Boundary: set.Boundary != nil}
			if sr.Boundary {
				b := iampolicy.Evaluate(&r, set.Boundary...)
				sr.AllowedByBoundary = b.Allowed && !b.Denied
			}
			out = append(out, sr)
		}
	}
	return out, nil
}

// sourcePolicies loads the policies of the user or role an ARN names, and fills in the request
// context that principal implies (its ARN, and for a user its name and id).
func (s *Service) sourcePolicies(ctx context.Context, caller Principal, source string, r *iampolicy.Request) (iampolicy.Set, error) {
	noSuch := apierr.New(apierr.NoSuchEntity, "No such entity found: %s", source)
	var key policyOwner
	if u, ok := arn.ParseUser(source); ok && u.Account == caller.AccountID {
		user, err := s.store.GetUser(ctx, u.Account, u.Name)
		if errors.Is(err, store.ErrNotFound) {
			return iampolicy.Set{}, noSuch
		} else if err != nil {
			return iampolicy.Set{}, fmt.Errorf("identity: get user: %w", err)
		}
		key = policyOwner{account: u.Account, kind: store.UserPolicy, name: strings.ToLower(user.Name)}
		r.PrincipalARN = arn.User(user.AccountID, user.Path, user.Name)
		r.Set("aws:username", user.Name)
		r.Set("aws:userid", user.ID)
		r.Set("aws:PrincipalType", "User")
	} else if ro, ok := arn.ParseRole(source); ok && ro.Account == caller.AccountID {
		role, err := s.store.GetRole(ctx, ro.Account, ro.Name)
		if errors.Is(err, store.ErrNotFound) {
			return iampolicy.Set{}, noSuch
		} else if err != nil {
			return iampolicy.Set{}, fmt.Errorf("identity: get role: %w", err)
		}
		key = policyOwner{account: ro.Account, kind: store.RolePolicy, name: strings.ToLower(role.Name)}
		r.PrincipalARN = arn.Role(role.AccountID, rolePath(role), role.Name)
		r.RoleARN = r.PrincipalARN
		r.Set("aws:PrincipalType", "AssumedRole")
	} else {
		return iampolicy.Set{}, apierr.New(apierr.InvalidInput, "Invalid ARN: %s. The policy source must be a user or role of this account.", source)
	}
	r.Set("aws:PrincipalArn", r.PrincipalARN)
	return s.loadPolicySet(ctx, key, nil)
}
