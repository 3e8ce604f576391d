package identity

import (
	iampolicy "github.com/connectfed/connectfed/internal/policy"
)

// trustAnswer is what a role's trust policy says of a caller.
type trustAnswer int

const (
	// trustNone: no statement allows the caller.
	trustNone trustAnswer = iota
	// trustDenies: a statement denies the caller, whatever else allows it.
	trustDenies
	// trustAccount: the policy allows the caller's account (its root ARN or id), which
	// delegates the decision to the account's identity policies.
	trustAccount
	// trustDirect: the policy allows the caller by name ("*", its own ARN, its role's), which
	// within one account is enough without an identity policy.
	trustDirect
)

// trustOf evaluates a trust policy for a request.
func trustOf(doc *iampolicy.Document, r iampolicy.Request) trustAnswer {
	trust := iampolicy.Labelled{Name: "trust policy", Doc: doc}
	res := iampolicy.Evaluate(&r, trust)
	switch {
	case res.Denied:
		return trustDenies
	case !res.Allowed:
		return trustNone
	}
	// Again without the account: what still matches named the caller itself.
	direct := r
	direct.PrincipalAccount = ""
	if iampolicy.Evaluate(&direct, trust).Allowed {
		return trustDirect
	}
	return trustAccount
}
