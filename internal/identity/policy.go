package identity

import (
	"encoding/json"
	"path"
	"strings"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
)

// policy is the part of an IAM policy document a trust policy needs. Conditions are not
// evaluated yet (IAM policies are not enforced; see the README).
type policy struct {
	Statements []statement
}

type statement struct {
	Effect     string
	Principals []string // the AWS principals; "*" for Principal: "*"
	Actions    []string
}

// stringList reads IAM's "a string or a list of strings".
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

type rawStatement struct {
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal"`
	Action    stringList      `json:"Action"`
}

func malformed(msg string) error {
	return &apierr.Error{Code: apierr.MalformedPolicyDocument, Message: msg}
}

// parsePolicy reads a trust policy document, refusing what IAM refuses at CreateRole.
func parsePolicy(doc string) (policy, error) {
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return policy{}, malformed("This policy contains invalid Json")
	}
	var stmts []rawStatement
	if len(raw.Statement) > 0 && raw.Statement[0] == '{' {
		var one rawStatement
		if err := json.Unmarshal(raw.Statement, &one); err != nil {
			return policy{}, malformed("Syntax errors in policy.")
		}
		stmts = []rawStatement{one}
	} else if err := json.Unmarshal(raw.Statement, &stmts); err != nil || len(stmts) == 0 {
		return policy{}, malformed("Syntax errors in policy.")
	}
	var p policy
	for _, rs := range stmts {
		if rs.Effect != "Allow" && rs.Effect != "Deny" {
			return policy{}, malformed("Syntax errors in policy.")
		}
		if len(rs.Action) == 0 {
			return policy{}, malformed("Missing required field Action")
		}
		principals, err := awsPrincipals(rs.Principal)
		if err != nil {
			return policy{}, err
		}
		p.Statements = append(p.Statements, statement{Effect: rs.Effect, Principals: principals, Actions: rs.Action})
	}
	return p, nil
}

func awsPrincipals(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, malformed("Missing required field Principal")
	}
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		if star != "*" {
			return nil, malformed("Invalid principal in policy")
		}
		return []string{"*"}, nil
	}
	var m map[string]stringList
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, malformed("Invalid principal in policy")
	}
	return m["AWS"], nil
}

// allows reports whether the policy lets caller perform action: an Allow that matches and no
// Deny that matches.
func (p policy) allows(caller Principal, action string) bool {
	allowed := false
	for _, s := range p.Statements {
		if !s.matchesAction(action) || !s.matchesPrincipal(caller) {
			continue
		}
		if s.Effect == "Deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func (s statement) matchesAction(action string) bool {
	for _, a := range s.Actions {
		// Actions match case-insensitively, with * and ? wildcards.
		if ok, _ := path.Match(strings.ToLower(a), strings.ToLower(action)); ok {
			return true
		}
	}
	return false
}

// matchesPrincipal: "*" is anyone; the account (its root ARN or bare id) is any principal of
// that account; otherwise the caller's own ARN, or for a role session its role's ARN.
func (s statement) matchesPrincipal(caller Principal) bool {
	for _, want := range s.Principals {
		switch want {
		case "*", caller.ARN, caller.AccountID, arn.Root(caller.AccountID):
			return true
		}
		if caller.Kind == AssumedRole && strings.HasPrefix(want, "arn:aws:iam::"+caller.AccountID+":role/") &&
			want[strings.LastIndexByte(want, '/')+1:] == caller.RoleName {
			return true
		}
	}
	return false
}
