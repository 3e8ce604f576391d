package policy

import (
	"strings"
	"testing"
)

func mustParse(t *testing.T, text string, kind Kind) *Document {
	t.Helper()
	d, err := Parse(text, kind)
	if err != nil {
		t.Fatalf("Parse(%s): %v", text, err)
	}
	return d
}

func identity(t *testing.T, docs ...string) []Labelled {
	t.Helper()
	var out []Labelled
	for i, d := range docs {
		out = append(out, Labelled{Name: "p" + string(rune('0'+i)), Doc: mustParse(t, d, Identity)})
	}
	return out
}

const (
	account  = "123456789012"
	instance = "arn:aws:connect:us-east-1:123456789012:instance/inst-1"
	other    = "arn:aws:connect:us-east-1:123456789012:instance/inst-2"
	// documented is AWS's policy for GetFederationToken, from its API reference.
	documented = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken",
		"Resource":"arn:aws:connect:us-east-1:123456789012:instance/inst-1/user/${aws:userid}"}]}`
)

// agentRequest is a role session agent1 asking for a token in an instance.
func agentRequest(inst string) *Request {
	r := &Request{Action: "connect:GetFederationToken", Resource: inst + "/user/AROAEXAMPLE:agent1",
		PrincipalARN: "arn:aws:sts::123456789012:assumed-role/ConnectAgent/agent1", PrincipalAccount: account}
	r.Set("aws:userid", "AROAEXAMPLE:agent1")
	r.Set("connect:InstanceId", strings.TrimPrefix(inst, "arn:aws:connect:us-east-1:123456789012:instance/"))
	return r
}

func TestDocumentedFederationPolicy(t *testing.T) {
	set := Set{Identity: identity(t, documented)}
	if o := Decide(agentRequest(instance), set); o.Decision != Allowed || len(o.Matched) != 1 {
		t.Errorf("own instance: %+v", o)
	}
	o := Decide(agentRequest(other), set)
	if o.Decision != ImplicitDeny || o.Reason("connect:GetFederationToken") != "because no identity-based policy allows the connect:GetFederationToken action" {
		t.Errorf("another instance: %+v %q", o, o.Reason("connect:GetFederationToken"))
	}
	// The resource names another session's user: ${aws:userid} is the caller's, so no match.
	r := agentRequest(instance)
	r.Resource = instance + "/user/AROAEXAMPLE:agent2"
	if o := Decide(r, set); o.Decision != ImplicitDeny {
		t.Errorf("another session's user: %v", o.Decision)
	}
	// Without aws:userid in the context the variable cannot be resolved: nothing matches.
	r = agentRequest(instance)
	r.Set("aws:userid")
	if o := Decide(r, set); o.Decision != ImplicitDeny {
		t.Errorf("an unresolved variable matched: %v", o.Decision)
	}
	// The condition form AWS documents too.
	cond := Set{Identity: identity(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"connect:GetFederationToken",
		"Resource":"*","Condition":{"StringEquals":{"connect:InstanceId":"inst-1"}}}}`)}
	if Decide(agentRequest(instance), cond).Decision != Allowed || Decide(agentRequest(other), cond).Decision != ImplicitDeny {
		t.Error("the connect:InstanceId condition")
	}
}

func TestDenyWinsAndNarrowing(t *testing.T) {
	all := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	deny := `{"Version":"2012-10-17","Statement":{"Sid":"NoTokens","Effect":"Deny","Action":"connect:Get*","Resource":"*"}}`
	r := agentRequest(instance)
	o := Decide(r, Set{Identity: identity(t, all, deny)})
	if o.Decision != ExplicitDeny || o.Reason(r.Action) != "with an explicit deny in an identity-based policy" || len(o.Matched) != 2 {
		t.Errorf("deny beside allow: %+v", o)
	}
	// A boundary and a session policy each narrow what the identity policy allows.
	onlyIAM := identity(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}`)
	if o := Decide(r, Set{Identity: identity(t, all), Boundary: onlyIAM}); o.Decision != ImplicitDeny || o.By != ByBoundary ||
		o.Reason(r.Action) != "because no permissions boundary allows the connect:GetFederationToken action" {
		t.Errorf("boundary: %+v", o)
	}
	if o := Decide(r, Set{Identity: identity(t, all), Session: onlyIAM}); o.Decision != ImplicitDeny || o.By != BySession ||
		o.Reason(r.Action) != "because no session policy allows the connect:GetFederationToken action" {
		t.Errorf("session: %+v", o)
	}
	if o := Decide(r, Set{Identity: identity(t, all), Session: identity(t, deny)}); o.Decision != ExplicitDeny || o.By != BySession ||
		o.Reason(r.Action) != "with an explicit deny in a session policy" {
		t.Errorf("session deny: %+v", o)
	}
	// A boundary alone grants nothing.
	if o := Decide(r, Set{Boundary: identity(t, all)}); o.Decision != ImplicitDeny || o.By != ByIdentity {
		t.Errorf("boundary without identity policy: %+v", o)
	}
	if o := Decide(r, Set{Identity: identity(t, all), Boundary: identity(t, all), Session: identity(t, all)}); o.Decision != Allowed {
		t.Errorf("all three allow: %+v", o)
	}
}

func TestActionsAndResources(t *testing.T) {
	for _, c := range []struct {
		doc, action, resource string
		want                  Decision
	}{
		{`"Action":"CONNECT:getfederationtoken","Resource":"*"`, "connect:GetFederationToken", instance, Allowed},
		{`"Action":"connect:Describe?nstance","Resource":"*"`, "connect:DescribeInstance", instance, Allowed},
		{`"Action":"connect:*","Resource":"arn:aws:connect:us-east-1:123456789012:INSTANCE/*"`, "connect:DescribeInstance", instance, ImplicitDeny},
		{`"Action":"connect:*","Resource":"arn:aws:connect:*:*:instance/*"`, "connect:DescribeInstance", instance, Allowed},
		{`"NotAction":"iam:*","Resource":"*"`, "connect:DescribeInstance", instance, Allowed},
		{`"NotAction":"connect:*","Resource":"*"`, "connect:DescribeInstance", instance, ImplicitDeny},
		{`"Action":"*","NotResource":"` + other + `"`, "connect:DescribeInstance", instance, Allowed},
		{`"Action":"*","NotResource":"` + instance + `"`, "connect:DescribeInstance", instance, ImplicitDeny},
		{`"Action":["iam:GetUser","connect:DescribeInstance"],"Resource":["` + other + `","` + instance + `"]`, "connect:DescribeInstance", instance, Allowed},
	} {
		d := `{"Version":"2012-10-17","Statement":{"Effect":"Allow",` + c.doc + `}}`
		r := &Request{Action: c.action, Resource: c.resource}
		if got := Decide(r, Set{Identity: identity(t, d)}).Decision; got != c.want {
			t.Errorf("%s on %s %s: %v, want %v", c.doc, c.action, c.resource, got, c.want)
		}
	}
}

func TestConditions(t *testing.T) {
	r := &Request{Action: "iam:CreateUser", Resource: "arn:aws:iam::123456789012:user/alice"}
	r.Set("aws:SourceIp", "203.0.113.7")
	r.Set("aws:CurrentTime", "2026-12-04T10:00:00Z")
	r.Set("aws:EpochTime", "1796378400")
	r.Set("aws:SecureTransport", "true")
	r.Set("aws:username", "alice")
	r.Set("aws:PrincipalTag/team", "support")
	r.Set("aws:TagKeys", "team", "env")
	r.Set("aws:PrincipalArn", "arn:aws:iam::123456789012:user/ops/alice")
	for _, c := range []struct {
		cond string
		want bool
	}{
		{`{"StringEquals":{"aws:username":"alice"}}`, true},
		{`{"StringEquals":{"AWS:UserName":["bob","alice"]}}`, true},
		{`{"StringEquals":{"aws:username":"Alice"}}`, false},
		{`{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, true},
		{`{"StringNotEquals":{"aws:username":"bob"}}`, true},
		{`{"StringNotEquals":{"aws:missing":"bob"}}`, true},
		{`{"StringEquals":{"aws:missing":"bob"}}`, false},
		{`{"StringEqualsIfExists":{"aws:missing":"bob"}}`, true},
		{`{"StringEqualsIfExists":{"aws:username":"bob"}}`, false},
		{`{"StringLike":{"aws:username":"al*"}}`, true},
		{`{"StringNotLike":{"aws:username":"al*"}}`, false},
		{`{"StringEquals":{"aws:username":"${aws:PrincipalTag/team}"}}`, false},
		{`{"StringEquals":{"aws:PrincipalTag/team":"${aws:PrincipalTag/team}"}}`, true},
		{`{"StringEquals":{"aws:username":"${aws:missing, 'alice'}"}}`, true},
		{`{"Bool":{"aws:SecureTransport":"true"}}`, true},
		{`{"Bool":{"aws:SecureTransport":false}}`, false},
		{`{"Null":{"aws:missing":"true"}}`, true},
		{`{"Null":{"aws:username":"true"}}`, false},
		{`{"Null":{"aws:username":"false"}}`, true},
		{`{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, true},
		{`{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","198.51.100.1"]}}`, false},
		{`{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, true},
		{`{"DateLessThan":{"aws:CurrentTime":"2026-12-05T00:00:00Z"}}`, true},
		{`{"DateGreaterThan":{"aws:CurrentTime":"2026-12-05"}}`, false},
		{`{"DateLessThan":{"aws:CurrentTime":"1796421600"}}`, true},
		{`{"NumericLessThan":{"aws:EpochTime":1796378401}}`, true},
		{`{"NumericGreaterThanEquals":{"aws:EpochTime":"1796378400"}}`, true},
		{`{"NumericEquals":{"aws:EpochTime":"x"}}`, false},
		{`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/ops/*"}}`, true},
		{`{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/alice"}}`, false},
		{`{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}`, true},
		{`{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","cost"]}}`, true},
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["env","cost"]}}`, false},
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team","cost"]}}`, true},
		{`{"ForAllValues:StringEquals":{"aws:missing":["x"]}}`, true},
		{`{"ForAnyValue:StringEquals":{"aws:missing":["x"]}}`, false},
		// Keys of one operator, and operators, must all hold.
		{`{"StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"sales"}}`, false},
		{`{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}`, true},
	} {
		d := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":` + c.cond + `}}`
		if got := Decide(r, Set{Identity: identity(t, d)}).Decision == Allowed; got != c.want {
			t.Errorf("%s: holds %v, want %v", c.cond, got, c.want)
		}
	}
}

func TestVariables(t *testing.T) {
	r := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/*/alice"}
	r.Set("aws:username", "alice")
	for _, c := range []struct {
		version, resource string
		want              Decision
	}{
		{Version2012, "arn:aws:s3:::bucket/${*}/${aws:username}", Allowed},
		// ${*} is a literal *: it does not match "x".
		{Version2012, "arn:aws:s3:::bucket/x${*}/${aws:username}", ImplicitDeny},
		// Under 2008-10-17 nothing is a variable: "${aws:username}" is literal text.
		{Version2008, "arn:aws:s3:::bucket/*/${aws:username}", ImplicitDeny},
		{Version2012, "arn:aws:s3:::bucket/*/${aws:nope}", ImplicitDeny},
	} {
		d := `{"Version":"` + c.version + `","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"` + c.resource + `"}}`
		if got := Decide(r, Set{Identity: identity(t, d)}).Decision; got != c.want {
			t.Errorf("%s %s: %v, want %v", c.version, c.resource, got, c.want)
		}
	}
	// A variable's value is literal: a * in it matches only a *.
	r2 := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/home/bob"}
	r2.Set("aws:username", "*")
	d := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/home/${aws:username}"}}`
	if got := Decide(r2, Set{Identity: identity(t, d)}).Decision; got != ImplicitDeny {
		t.Errorf("a * in a variable's value matched as a wildcard: %v", got)
	}
}

func TestTrustPolicyPrincipals(t *testing.T) {
	r := &Request{Action: "sts:AssumeRole", PrincipalARN: "arn:aws:iam::123456789012:user/alice", PrincipalAccount: account}
	for _, c := range []struct {
		principal string
		want      bool
	}{
		{`"*"`, true},
		{`{"AWS":"*"}`, true},
		{`{"AWS":"123456789012"}`, true},
		{`{"AWS":"arn:aws:iam::123456789012:root"}`, true},
		{`{"AWS":["arn:aws:iam::123456789012:user/bob","arn:aws:iam::123456789012:user/alice"]}`, true},
		{`{"AWS":"arn:aws:iam::210987654321:root"}`, false},
		{`{"Service":"connect.amazonaws.com"}`, false},
	} {
		d := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":`+c.principal+`,"Action":"sts:AssumeRole"}}`, Trust)
		if got := Evaluate(r, Labelled{Doc: d}).Allowed; got != c.want {
			t.Errorf("Principal %s: %v, want %v", c.principal, got, c.want)
		}
	}
	d := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"}}`, Trust)
	if Evaluate(r, Labelled{Doc: d}).Denied {
		t.Error("NotPrincipal naming the caller denied it")
	}
}

func TestMalformedDocuments(t *testing.T) {
	for _, c := range []struct {
		doc  string
		kind Kind
		want string
	}{
		{`not json`, Identity, "Syntax errors in policy."},
		{`[]`, Identity, "Syntax errors in policy."},
		{`{"Version":"2012-10-17"}`, Identity, "Syntax errors in policy."},
		{`{"Version":"2012-10-17","Statement":[]}`, Identity, "Syntax errors in policy."},
		{`{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Identity, "The policy must contain a valid version string"},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}}`, Identity, "Invalid effect: Maybe"},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}`, Identity, "Policy statement must contain actions."},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*"}}`, Identity, "Policy statement must contain resources."},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"GetUser","Resource":"*"}}`, Identity, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"bucket"}}`, Identity, `Resource bucket must be in ARN format or "*".`},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, Identity, "Policy document should not specify a principal."},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringSortOf":{"a":"b"}}}}`, Identity, "Syntax errors in policy."},
		{`{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"*","Resource":"*"}]}`, Identity, "Statement IDs (SID) in a single policy must be unique."},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}}`, Trust, "Has prohibited field Resource"},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`, Trust, "Has prohibited field Principal"},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Extra":1}}`, Identity, "Syntax errors in policy."},
	} {
		_, err := Parse(c.doc, c.kind)
		se, ok := err.(*SyntaxError)
		if !ok || se.Message != c.want {
			t.Errorf("Parse(%s) = %v, want %q", c.doc, err, c.want)
		}
	}
	d := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Identity)
	if d.Version != Version2008 {
		t.Errorf("a document without Version is %s, want 2008-10-17", d.Version)
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*a", "*ba", true}, {"a*", "a", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"arn:*:agent/*", "arn:aws:x:agent/*", true}, {"*", "", true}, {"", "x", false},
		{"x" + string(literal) + "*", "x*", true}, {"x" + string(literal) + "*", "xy", false},
	} {
		if got := glob(c.pattern, c.s, false); got != c.want {
			t.Errorf("glob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// A pattern of many stars against a long value takes linear time, not exponential.
func BenchmarkGlobAdversarial(b *testing.B) {
	pattern := strings.Repeat("*a", 50) + "b"
	s := strings.Repeat("a", 2000)
	for b.Loop() {
		if glob(pattern, s, false) {
			b.Fatal("matched")
		}
	}
}

// The documented policy on the hot path.
func BenchmarkDecideDocumented(b *testing.B) {
	d, err := Parse(documented, Identity)
	if err != nil {
		b.Fatal(err)
	}
	set := Set{Identity: []Labelled{{Name: "p", Doc: d}}}
	r := agentRequest(instance)
	b.ReportAllocs()
	for b.Loop() {
		if Decide(r, set).Decision != Allowed {
			b.Fatal("denied")
		}
	}
}

// A document is static when its decision rests on the action, the resource and the caller
// alone: conditions and variables other than the caller's own make it not so.
func TestStatic(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"arn:aws:connect:*:1:instance/i/user/${aws:userid}"}}`:             true,
		`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:user/${aws:username}"}}`:                                           true,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team}"}}`:                                             false,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:SourceIp}"}}`:                                                      false,
		`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:SourceIp}"}}`:                                                      true,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"connect:*","Resource":"*","Condition":{"StringEquals":{"connect:InstanceId":"i"}}}}`:                      false,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:*","Resource":"*"},{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::*:user/a${?}"}]}`: true,
	} {
		d, err := Parse(doc, Identity)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if got := d.Static(); got != want {
			t.Errorf("Static() = %t for %s", got, doc)
		}
		if got := (Set{Identity: []Labelled{{Doc: d}}}).Static(); got != want {
			t.Errorf("Set.Static() = %t for %s", got, doc)
		}
	}
}
