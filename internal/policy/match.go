package policy

import "strings"

// Request is what a policy is evaluated against: the action, the resource, and the request
// context's condition keys (aws:userid, aws:PrincipalArn, connect:InstanceId, ...), each with
// one or more values. Keys match case-insensitively.
type Request struct {
	Action   string
	Resource string
	// PrincipalARN and PrincipalAccount are the caller, for Principal elements (trust
	// policies). RoleARN is a role session's role, which a Principal naming the role matches.
	PrincipalARN, PrincipalAccount, RoleARN string
	context                                 map[string][]string
}

// Set gives a context key its values (replacing any it had).
func (r *Request) Set(key string, values ...string) {
	if r.context == nil {
		r.context = map[string][]string{}
	}
	r.context[strings.ToLower(key)] = values
}

func (r *Request) value(key string) ([]string, bool) {
	v, ok := r.context[strings.ToLower(key)]
	return v, ok && len(v) > 0
}

// literal marks the byte after it as a literal in a glob pattern: substitute writes it before
// the characters of ${*}, ${?} and of variables' values, which match only themselves.
const literal = '\x01'

// glob matches s against pattern, where * is any run of characters and ? any one; with fold,
// case-insensitively (actions).
func glob(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	// Iterative matching with one backtrack point: linear in practice, never exponential.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		// A * is a wildcard before it is a character: "*a" matches "*ba".
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p+1 < len(pattern) && pattern[p] == literal && pattern[p+1] == s[i]:
			p += 2
			i++
		case p < len(pattern) && pattern[p] != literal && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// substitute replaces the policy variables in s (${aws:userid}, ${aws:PrincipalTag/team}, and
// the escapes ${*}, ${?}, ${$}) with the request's values. A variable the request has no single
// value for makes ok false: the element it is in matches nothing. Under the 2008-10-17 version
// nothing is a variable. With forGlob, what is substituted is marked literal, so a * it brings
// matches only a *.
func substitute(s string, r *Request, version string, forGlob bool) (out string, ok bool) {
	if version != Version2012 || !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		end := strings.IndexByte(s[start:], '}')
		if end < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:start])
		name := strings.TrimSpace(s[start+2 : start+end])
		def, hasDefault := "", false
		if n, d, found := strings.Cut(name, ","); found {
			name, def, hasDefault = strings.TrimSpace(n), strings.Trim(strings.TrimSpace(d), "'"), true
		}
		var value string
		switch name {
		case "*", "?", "$":
			value = name // the escapes: the character itself
		default:
			v, present := r.value(name)
			switch {
			case present && len(v) == 1:
				value = v[0]
			case hasDefault:
				value = def
			default:
				return "", false
			}
		}
		if forGlob {
			for i := 0; i < len(value); i++ {
				b.WriteByte(literal)
				b.WriteByte(value[i])
			}
		} else {
			b.WriteString(value)
		}
		s = s[start+end+1:]
	}
}

// matchesAny says whether value matches any pattern (after substitution).
func matchesAny(patterns []string, value string, fold bool, r *Request, version string) bool {
	for _, p := range patterns {
		q, ok := substitute(p, r, version, true)
		if ok && glob(q, value, fold) {
			return true
		}
	}
	return false
}

// applies says whether the statement covers the request: its action, resource, principal and
// conditions all match.
func (s *Statement) applies(r *Request, version string) bool {
	if s.Action != nil && !matchesAny(s.Action, r.Action, true, r, version) ||
		s.NotAction != nil && matchesAny(s.NotAction, r.Action, true, r, version) {
		return false
	}
	if s.Resource != nil && !matchesAny(s.Resource, r.Resource, false, r, version) ||
		s.NotResource != nil && matchesAny(s.NotResource, r.Resource, false, r, version) {
		return false
	}
	if s.Principal != nil && !principalMatches(s.Principal, r) ||
		s.NotPrincipal != nil && principalMatches(s.NotPrincipal, r) {
		return false
	}
	for _, c := range s.Conditions {
		if !c.holds(r, version) {
			return false
		}
	}
	return true
}

// principalMatches says whether the caller is one of the principals: "*", its ARN, its account
// (as the 12 digits or arn:aws:iam::ACCOUNT:root), or a Federated/Service name the request
// carries as its principal ARN.
func principalMatches(p map[string][]string, r *Request) bool {
	if _, ok := p["*"]; ok {
		return true
	}
	for typ, values := range p {
		for _, v := range values {
			switch {
			case v == "*" && typ == "AWS":
				return true
			case v == r.PrincipalARN, typ == "AWS" && r.RoleARN != "" && v == r.RoleARN:
				return true
			case typ == "AWS" && r.PrincipalAccount != "" &&
				(v == r.PrincipalAccount || v == "arn:aws:iam::"+r.PrincipalAccount+":root"):
				return true
			}
		}
	}
	return false
}
