package policy

import "strings"

// Match is a statement that applied to a request.
type Match struct {
	// Policy names the policy the statement is in, and Source its kind, as the caller
	// labelled it.
	Policy, Source string
	Statement      *Statement
}

// Result is what one policy, or one kind of policy, says of a request.
type Result struct {
	// Allowed: a statement allowed it; Denied: a statement denied it (Denied wins).
	Allowed, Denied bool
	Matched         []Match
}

// Labelled is a document with the name a decision reports it by (a policy's ARN or an inline
// policy's name).
type Labelled struct {
	Name string
	Doc  *Document
	// Source is the kind of policy it is, as simulate-*-policy's SourcePolicyType names it
	// ("user", "role", "aws-managed", "user-managed", "none").
	Source string
}

// Evaluate runs every statement of the policies against the request.
func Evaluate(r *Request, policies ...Labelled) Result {
	var res Result
	for _, p := range policies {
		if p.Doc == nil {
			continue
		}
		for i := range p.Doc.Statements {
			s := &p.Doc.Statements[i]
			if !s.applies(r, p.Doc.Version) {
				continue
			}
			res.Matched = append(res.Matched, Match{Policy: p.Name, Source: p.Source, Statement: s})
			if s.Effect == Allow {
				res.Allowed = true
			} else {
				res.Denied = true
			}
		}
	}
	return res
}

// Decision is the outcome of a request over a set of policies.
type Decision int

const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
)

// String is the decision as simulate-*-policy's EvalDecision writes it.
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// By says which kind of policy decided a denial.
type By int

const (
	ByIdentity By = iota
	ByBoundary
	BySession
)

// Set is the policies a principal's request is evaluated under. A nil Boundary or Session means
// there is none, which restricts nothing; a present one must allow too.
type Set struct {
	Identity []Labelled
	Boundary []Labelled
	Session  []Labelled
}

// Outcome is a decision and why.
type Outcome struct {
	Decision Decision
	// By is the kind of policy that denied (for a denial).
	By      By
	Matched []Match
}

// Decide evaluates the request as AWS does within one account: an explicit Deny in any policy
// wins; otherwise the identity policies must allow, and so must the permissions boundary and
// the session policies where there are any.
func Decide(r *Request, set Set) Outcome {
	id := Evaluate(r, set.Identity...)
	boundary := Evaluate(r, set.Boundary...)
	session := Evaluate(r, set.Session...)
	matched := append(append(id.Matched, boundary.Matched...), session.Matched...)
	switch {
	case id.Denied:
		return Outcome{Decision: ExplicitDeny, By: ByIdentity, Matched: matched}
	case boundary.Denied:
		return Outcome{Decision: ExplicitDeny, By: ByBoundary, Matched: matched}
	case session.Denied:
		return Outcome{Decision: ExplicitDeny, By: BySession, Matched: matched}
	case !id.Allowed:
		return Outcome{Decision: ImplicitDeny, By: ByIdentity, Matched: matched}
	case set.Boundary != nil && !boundary.Allowed:
		return Outcome{Decision: ImplicitDeny, By: ByBoundary, Matched: matched}
	case set.Session != nil && !session.Allowed:
		return Outcome{Decision: ImplicitDeny, By: BySession, Matched: matched}
	}
	return Outcome{Decision: Allowed, Matched: matched}
}

// Reason is the end of AWS's denial sentence ("User: ARN is not authorized to perform: ACTION
// on resource: ARN " + Reason) for a denied outcome, "" for an allowed one.
func (o Outcome) Reason(action string) string {
	switch {
	case o.Decision == Allowed:
		return ""
	case o.Decision == ExplicitDeny && o.By == ByIdentity:
		return "with an explicit deny in an identity-based policy"
	case o.Decision == ExplicitDeny && o.By == ByBoundary:
		return "with an explicit deny in a permissions boundary"
	case o.Decision == ExplicitDeny && o.By == BySession:
		return "with an explicit deny in a session policy"
	case o.By == ByBoundary:
		return "because no permissions boundary allows the " + action + " action"
	case o.By == BySession:
		return "because no session policy allows the " + action + " action"
	}
	return "because no identity-based policy allows the " + action + " action"
}

// principalVariables are the variables whose value is fixed for one principal: a statement
// that uses no other, and no condition, decides a request by its action, its resource and who
// calls alone.
var principalVariables = map[string]bool{
	"aws:userid": true, "aws:username": true, "aws:principalaccount": true, "aws:principalarn": true,
	"aws:principaltype": true, "*": true, "?": true, "$": true,
}

// Static says whether the document's decision on a request depends only on the request's
// action and resource and on who the caller is (no condition, no variable but the caller's
// own): such decisions may be remembered per caller, action and resource.
func (d *Document) Static() bool {
	for i := range d.Statements {
		s := &d.Statements[i]
		if len(s.Conditions) > 0 || s.Principal != nil || s.NotPrincipal != nil {
			return false
		}
		for _, list := range [][]string{s.Action, s.NotAction, s.Resource, s.NotResource} {
			for _, p := range list {
				if !onlyPrincipalVariables(p, d.Version) {
					return false
				}
			}
		}
	}
	return true
}

// onlyPrincipalVariables says whether every ${...} in a pattern is a principal variable.
func onlyPrincipalVariables(p, version string) bool {
	if version != Version2012 {
		return true // nothing is a variable under 2008-10-17
	}
	for {
		start := strings.Index(p, "${")
		if start < 0 {
			return true
		}
		end := strings.IndexByte(p[start:], '}')
		if end < 0 {
			return true
		}
		name, _, _ := strings.Cut(p[start+2:start+end], ",")
		if !principalVariables[strings.ToLower(strings.TrimSpace(name))] {
			return false
		}
		p = p[start+end+1:]
	}
}

// Static says whether every policy of the set is static (see Document.Static).
func (s Set) Static() bool {
	for _, list := range [][]Labelled{s.Identity, s.Boundary, s.Session} {
		for _, l := range list {
			if l.Doc != nil && !l.Doc.Static() {
				return false
			}
		}
	}
	return true
}
