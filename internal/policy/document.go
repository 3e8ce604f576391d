// Package policy owns IAM policy documents as AWS evaluates them: parsing (with AWS's
// MalformedPolicyDocument messages), matching actions, resources and principals with their
// wildcards, policy variables, the condition operators, and the decision over a set of policies
// (identity policies, a permissions boundary, session policies): an explicit Deny wins, then an
// Allow is needed where each kind of policy is present, else the request is implicitly denied.
// It knows nothing of HTTP, the store or where the request context comes from.
package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Kind says what a document is for, which decides the elements it must and must not have.
type Kind int

const (
	// Identity is a policy attached to a user or role, a permissions boundary or a session
	// policy: no Principal, a Resource.
	Identity Kind = iota
	// Trust is a role's trust policy (a resource-based policy on the role): a Principal, no
	// Resource.
	Trust
)

// Effect is a statement's effect.
type Effect bool

const (
	Deny  Effect = false
	Allow Effect = true
)

func (e Effect) String() string {
	if e == Allow {
		return "Allow"
	}
	return "Deny"
}

// Document is a parsed policy. Text is the document exactly as written.
type Document struct {
	Text       string
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement of a document.
type Statement struct {
	// Index is the statement's position in its document, from 0; Sid its Sid when it has one.
	Index  int
	Sid    string
	Effect Effect
	// Principal and NotPrincipal (trust policies) map a principal type ("AWS", "Federated",
	// "Service", or "*" for the bare "*") to its values; nil when absent.
	Principal, NotPrincipal map[string][]string
	// Action or NotAction (one of them), Resource or NotResource (one of them, or neither in a
	// trust policy).
	Action, NotAction     []string
	Resource, NotResource []string
	Conditions            []Condition
}

// SyntaxError is a document AWS would refuse with MalformedPolicyDocument; its text is AWS's.
type SyntaxError struct{ Message string }

func (e *SyntaxError) Error() string { return e.Message }

func malformed(format string, args ...any) error {
	return &SyntaxError{Message: fmt.Sprintf(format, args...)}
}

// Versions a document may declare. 2008-10-17 predates policy variables: they are taken
// literally under it.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Parse reads a document of the kind. Every refusal is a *SyntaxError with AWS's wording.
func Parse(text string, kind Kind) (*Document, error) {
	var top map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil || top == nil || dec.More() {
		return nil, malformed("Syntax errors in policy.")
	}
	d := &Document{Text: text, Version: Version2008}
	for key, raw := range top {
		switch key {
		case "Version":
			if err := json.Unmarshal(raw, &d.Version); err != nil {
				return nil, malformed("Syntax errors in policy.")
			}
			if d.Version != Version2012 && d.Version != Version2008 {
				return nil, malformed("The policy must contain a valid version string")
			}
		case "Id":
			if err := json.Unmarshal(raw, &d.ID); err != nil {
				return nil, malformed("Syntax errors in policy.")
			}
		case "Statement":
		default:
			return nil, malformed("Syntax errors in policy.")
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, malformed("Syntax errors in policy.")
	}
	var list []json.RawMessage
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '{' {
		list = []json.RawMessage{raw}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, malformed("Syntax errors in policy.")
	}
	if len(list) == 0 {
		return nil, malformed("Syntax errors in policy.")
	}
	sids := map[string]bool{}
	for i, r := range list {
		s, err := parseStatement(r, kind)
		if err != nil {
			return nil, err
		}
		if s.Sid != "" {
			if sids[s.Sid] {
				return nil, malformed("Statement IDs (SID) in a single policy must be unique.")
			}
			sids[s.Sid] = true
		}
		s.Index = i
		d.Statements = append(d.Statements, s)
	}
	return d, nil
}

func parseStatement(raw json.RawMessage, kind Kind) (Statement, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return Statement{}, malformed("Syntax errors in policy.")
	}
	var s Statement
	var effect string
	for key, v := range fields {
		var err error
		switch key {
		case "Sid":
			err = json.Unmarshal(v, &s.Sid)
		case "Effect":
			err = json.Unmarshal(v, &effect)
		case "Action":
			s.Action, err = stringList(v)
		case "NotAction":
			s.NotAction, err = stringList(v)
		case "Resource":
			s.Resource, err = stringList(v)
		case "NotResource":
			s.NotResource, err = stringList(v)
		case "Principal":
			s.Principal, err = principals(v)
		case "NotPrincipal":
			s.NotPrincipal, err = principals(v)
		case "Condition":
			s.Conditions, err = conditions(v)
		default:
			return Statement{}, malformed("Syntax errors in policy.")
		}
		if err != nil {
			if _, ok := err.(*SyntaxError); ok {
				return Statement{}, err
			}
			return Statement{}, malformed("Syntax errors in policy.")
		}
	}
	switch effect {
	case "Allow":
		s.Effect = Allow
	case "Deny":
		s.Effect = Deny
	case "":
		return Statement{}, malformed("Syntax errors in policy.")
	default:
		return Statement{}, malformed("Invalid effect: %s", effect)
	}
	_, hasAction := fields["Action"]
	_, hasNotAction := fields["NotAction"]
	if hasAction == hasNotAction {
		if hasAction {
			return Statement{}, malformed("Syntax errors in policy.")
		}
		return Statement{}, malformed("Policy statement must contain actions.")
	}
	for _, a := range append(append([]string{}, s.Action...), s.NotAction...) {
		if a != "*" && !strings.Contains(a, ":") {
			return Statement{}, malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
		}
	}
	_, hasResource := fields["Resource"]
	_, hasNotResource := fields["NotResource"]
	_, hasPrincipal := fields["Principal"]
	_, hasNotPrincipal := fields["NotPrincipal"]
	switch kind {
	case Identity:
		if hasPrincipal || hasNotPrincipal {
			return Statement{}, malformed("Policy document should not specify a principal.")
		}
		if !hasResource && !hasNotResource {
			return Statement{}, malformed("Policy statement must contain resources.")
		}
	case Trust:
		if hasResource || hasNotResource {
			return Statement{}, malformed("Has prohibited field Resource")
		}
		if !hasPrincipal && !hasNotPrincipal {
			return Statement{}, malformed("Has prohibited field Principal")
		}
	}
	if hasResource && hasNotResource || hasPrincipal && hasNotPrincipal {
		return Statement{}, malformed("Syntax errors in policy.")
	}
	for _, r := range append(append([]string{}, s.Resource...), s.NotResource...) {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return Statement{}, malformed("Resource %s must be in ARN format or \"*\".", r)
		}
	}
	return s, nil
}

// stringList reads a string or a non-empty list of strings.
func stringList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
		return nil, malformed("Syntax errors in policy.")
	}
	return list, nil
}

// principals reads "*" or {"AWS": ..., "Federated": ..., "Service": ...}.
func principals(raw json.RawMessage) (map[string][]string, error) {
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		if star != "*" {
			return nil, malformed("Invalid principal in policy: %q", star)
		}
		return map[string][]string{"*": {"*"}}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return nil, malformed("Syntax errors in policy.")
	}
	out := map[string][]string{}
	for typ, v := range m {
		switch typ {
		case "AWS", "Federated", "Service", "CanonicalUser":
		default:
			return nil, malformed("Invalid principal in policy: %q", typ)
		}
		list, err := stringList(v)
		if err != nil {
			return nil, err
		}
		out[typ] = list
	}
	return out, nil
}
