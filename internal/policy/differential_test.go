package policy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The differential test: a corpus of policy sets and requests, evaluated by Decide and by an
// independent implementation, @cloud-copilot/iam-simulate (AGPL), which runs as a separate node
// process from testdata/oracle and is never linked, vendored or copied. Every disagreement is
// either fixed or listed in knownDisagreements with AWS's documented behaviour as the
// tie-breaker (docs/iam.md repeats the list).

const (
	diffAccount = "123456789012"
	instA       = "arn:aws:connect:us-east-1:123456789012:instance/11111111-aaaa-4aaa-8aaa-111111111111"
	instB       = "arn:aws:connect:us-east-1:123456789012:instance/22222222-bbbb-4bbb-8bbb-222222222222"
)

// diffCase is one (policy set, request) of the corpus, as both evaluators read it.
type diffCase struct {
	ID        string         `json:"id"`
	Identity  []string       `json:"identity"`
	Boundary  []string       `json:"boundary,omitempty"`
	Session   string         `json:"session,omitempty"`
	Principal string         `json:"principal"`
	Account   string         `json:"account"`
	Action    string         `json:"action"`
	Resource  string         `json:"resource"`
	Context   map[string]any `json:"context"`
	// note says what a documented case shows.
	note string
}

// knownDisagreements are the cases where the oracle and connectfed differ on purpose, by id,
// with why connectfed answers as it does. Empty: there are none.
var knownDisagreements = map[string]string{}

// principals are the callers requests come from: an IAM user and a role session.
var diffPrincipals = []struct {
	arn     string
	context map[string]any
}{
	{"arn:aws:iam::123456789012:user/alice", map[string]any{
		"aws:userid": "AIDAEXAMPLEALICE0001", "aws:username": "alice", "aws:PrincipalArn": "arn:aws:iam::123456789012:user/alice",
		"aws:PrincipalAccount": diffAccount, "aws:PrincipalType": "User"}},
	{"arn:aws:sts::123456789012:assumed-role/ConnectAgent/agent1", map[string]any{
		"aws:userid": "AROAEXAMPLEROLE00001:agent1", "aws:PrincipalArn": "arn:aws:iam::123456789012:role/ConnectAgent",
		"aws:PrincipalAccount": diffAccount, "aws:PrincipalType": "AssumedRole", "aws:MultiFactorAuthPresent": "false"}},
}

// diffRequest is an action on a resource; instance is its connect:InstanceId ("" for none) and
// perUser says the resource ends in the caller's aws:userid.
type diffRequest struct {
	action, resource, instance string
	perUser                    bool
}

var diffRequests = []diffRequest{
	{"connect:GetFederationToken", instA + "/user/", "11111111-aaaa-4aaa-8aaa-111111111111", true},
	{"connect:GetFederationToken", instB + "/user/", "22222222-bbbb-4bbb-8bbb-222222222222", true},
	{"connect:DescribeInstance", instA, "11111111-aaaa-4aaa-8aaa-111111111111", false},
	{"connect:DescribeInstance", instB, "22222222-bbbb-4bbb-8bbb-222222222222", false},
	{"connect:ListInstances", "*", "", false},
	{"iam:ListUsers", "*", "", false},
	{"iam:GetUser", "arn:aws:iam::123456789012:user/alice", "", false},
	{"iam:GetUser", "arn:aws:iam::123456789012:user/bob", "", false},
}

// The statement pools the generated cases draw from.
var (
	diffActions = []string{"connect:GetFederationToken", "connect:DescribeInstance", "connect:ListInstances", "connect:*",
		"connect:Describe*", "CONNECT:getfederationtoken", "connect:Describe?nstance", "iam:*", "iam:Get*", "*", "iam:ListUsers"}
	diffResources = []string{"*", instA, instB, instA + "/user/${aws:userid}", instB + "/user/${aws:userid}",
		"arn:aws:connect:*:123456789012:instance/*", "arn:aws:connect:us-east-1:123456789012:instance/1111*",
		"arn:aws:iam::123456789012:user/${aws:username}", "arn:aws:iam::*:user/*", "arn:aws:connect:us-east-1:123456789012:instance/11111111-AAAA-4AAA-8AAA-111111111111",
		instA + "/user/*", "arn:aws:connect:us-east-1:123456789012:instance/????????-aaaa-4aaa-8aaa-111111111111"}
	diffConditions = []string{
		`{"StringEquals":{"connect:InstanceId":"11111111-aaaa-4aaa-8aaa-111111111111"}}`,
		`{"StringNotEquals":{"connect:InstanceId":"11111111-aaaa-4aaa-8aaa-111111111111"}}`,
		`{"StringLike":{"aws:userid":"AROA*:agent*"}}`,
		`{"StringNotLike":{"aws:userid":"AIDA*"}}`,
		`{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`,
		`{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","172.16.0.0/12"]}}`,
		`{"Bool":{"aws:SecureTransport":"true"}}`,
		`{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`,
		`{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`,
		`{"DateLessThan":{"aws:CurrentTime":"2021-01-01T00:00:00Z"}}`,
		`{"NumericLessThan":{"aws:EpochTime":"2000000000"}}`,
		`{"Null":{"aws:username":"true"}}`,
		`{"Null":{"aws:username":"false"}}`,
		`{"StringEqualsIfExists":{"aws:username":"alice"}}`,
		`{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`,
		`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/Connect*"}}`,
		`{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/alice"}}`,
		`{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}`,
		`{"ForAllValues:StringEquals":{"aws:TagKeys":["team","cost"]}}`,
		`{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-2"]}}`,
		`{"StringEquals":{"aws:PrincipalType":"User"},"Bool":{"aws:SecureTransport":"false"}}`,
	}
)

// documentedCases are AWS's documentation examples, as requests that each should decide.
func documentedCases() []diffCase {
	user, role := diffPrincipals[0], diffPrincipals[1]
	mk := func(note string, p struct {
		arn     string
		context map[string]any
	}, action, resource string, extra map[string]any, identity ...string) diffCase {
		ctx := map[string]any{}
		for k, v := range p.context {
			ctx[k] = v
		}
		for k, v := range extra {
			ctx[k] = v
		}
		return diffCase{Identity: identity, Principal: p.arn, Account: diffAccount, Action: action, Resource: resource, Context: ctx, note: note}
	}
	documented := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"` + instA + `/user/${aws:userid}"}]}`
	byCondition := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"*",` +
		`"Condition":{"StringEquals":{"connect:InstanceId":"11111111-aaaa-4aaa-8aaa-111111111111"}}}]}`
	ownKeys := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*AccessKey*","iam:GetUser"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`
	denyOutsideIP := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},` +
		`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}}]}`
	readOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["connect:Describe*","connect:Get*","connect:List*"],"Resource":"*"},` +
		`{"Effect":"Deny","Action":"connect:GetFederationToken","Resource":"*"}]}`
	notAction := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`
	timeWindow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:*","Resource":"*",` +
		`"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2030-06-30T23:59:59Z"}}}]}`
	gft := func(inst string, p struct {
		arn     string
		context map[string]any
	}) string {
		return inst + "/user/" + p.context["aws:userid"].(string)
	}
	return []diffCase{
		mk("the documented policy, own user", role, "connect:GetFederationToken", gft(instA, role), map[string]any{"connect:InstanceId": "11111111-aaaa-4aaa-8aaa-111111111111"}, documented),
		mk("the documented policy, another instance", role, "connect:GetFederationToken", gft(instB, role), map[string]any{"connect:InstanceId": "22222222-bbbb-4bbb-8bbb-222222222222"}, documented),
		mk("the documented policy, another user's id", role, "connect:GetFederationToken", instA+"/user/AROAEXAMPLEROLE00001:agent2", nil, documented),
		mk("the documented policy, an IAM user", user, "connect:GetFederationToken", gft(instA, user), nil, documented),
		mk("by condition, the instance", role, "connect:GetFederationToken", gft(instA, role), map[string]any{"connect:InstanceId": "11111111-aaaa-4aaa-8aaa-111111111111"}, byCondition),
		mk("by condition, another instance", role, "connect:GetFederationToken", gft(instB, role), map[string]any{"connect:InstanceId": "22222222-bbbb-4bbb-8bbb-222222222222"}, byCondition),
		mk("own access keys", user, "iam:ListAccessKeys", "arn:aws:iam::123456789012:user/alice", nil, ownKeys),
		mk("another user's keys", user, "iam:ListAccessKeys", "arn:aws:iam::123456789012:user/bob", nil, ownKeys),
		mk("a role session has no aws:username", role, "iam:GetUser", "arn:aws:iam::123456789012:user/agent1", nil, ownKeys),
		mk("deny outside the corporate network, inside", user, "connect:ListInstances", "*", map[string]any{"aws:SourceIp": "192.0.2.10"}, denyOutsideIP),
		mk("deny outside the corporate network, outside", user, "connect:ListInstances", "*", map[string]any{"aws:SourceIp": "198.51.100.7"}, denyOutsideIP),
		mk("AmazonConnectReadOnlyAccess reads", role, "connect:DescribeInstance", instA, nil, readOnly),
		mk("AmazonConnectReadOnlyAccess denies federation", role, "connect:GetFederationToken", gft(instA, role), nil, readOnly, documented),
		mk("NotAction allows other services", user, "connect:ListInstances", "*", nil, notAction),
		mk("NotAction does not allow iam", user, "iam:ListUsers", "*", nil, notAction),
		mk("a time window, inside", user, "connect:ListInstances", "*", map[string]any{"aws:CurrentTime": "2024-06-01T00:00:00Z"}, timeWindow),
		mk("a time window, after", user, "connect:ListInstances", "*", map[string]any{"aws:CurrentTime": "2031-01-01T00:00:00Z"}, timeWindow),
	}
}

// generatedCases draws policy sets from the pools and evaluates each against every request,
// for each principal: a deterministic corpus (the seed is fixed).
func generatedCases(sets int) []diffCase {
	rng := rand.New(rand.NewPCG(14, 2026))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	statement := func() string {
		effect := "Allow"
		if rng.IntN(4) == 0 {
			effect = "Deny"
		}
		actionKey, resourceKey := "Action", "Resource"
		if rng.IntN(8) == 0 {
			actionKey = "NotAction"
		}
		if rng.IntN(8) == 0 {
			resourceKey = "NotResource"
		}
		s := fmt.Sprintf(`{"Effect":%q,%q:[%q,%q],%q:%q`, effect, actionKey, pick(diffActions), pick(diffActions), resourceKey, pick(diffResources))
		if rng.IntN(3) == 0 {
			s += `,"Condition":` + pick(diffConditions)
		}
		return s + "}"
	}
	document := func(n int) string {
		var st []string
		for range n {
			st = append(st, statement())
		}
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(st, ",") + `]}`
	}
	var out []diffCase
	for i := range sets {
		var identity []string
		for range 1 + rng.IntN(2) {
			identity = append(identity, document(1+rng.IntN(3)))
		}
		var boundary []string
		if rng.IntN(5) == 0 {
			boundary = []string{document(1 + rng.IntN(2))}
		}
		session := ""
		if rng.IntN(6) == 0 {
			session = document(1)
		}
		p := diffPrincipals[i%len(diffPrincipals)]
		for _, req := range diffRequests {
			ctx := map[string]any{
				"aws:SourceIp": []string{"10.1.2.3", "192.168.1.1", "172.16.5.4"}[rng.IntN(3)], "aws:SecureTransport": []string{"true", "false"}[rng.IntN(2)],
				"aws:CurrentTime": "2024-06-01T00:00:00Z", "aws:EpochTime": "1717200000", "aws:RequestedRegion": "us-east-1",
			}
			for k, v := range p.context {
				ctx[k] = v
			}
			switch rng.IntN(3) {
			case 0:
				ctx["aws:TagKeys"] = []string{"team"}
			case 1:
				ctx["aws:TagKeys"] = []string{"team", "owner"}
			}
			if req.instance != "" {
				ctx["connect:InstanceId"] = req.instance
			}
			resource := req.resource
			if req.perUser {
				resource += p.context["aws:userid"].(string)
			}
			c := diffCase{Identity: identity, Boundary: boundary, Session: session, Principal: p.arn, Account: diffAccount,
				Action: req.action, Resource: resource, Context: ctx}
			if session != "" && !strings.Contains(p.arn, ":assumed-role/") {
				c.Session = "" // session policies belong to sessions
			}
			out = append(out, c)
		}
	}
	return out
}

// decideCase is connectfed's answer for a case, in the oracle's words.
func decideCase(t *testing.T, c diffCase) string {
	parse := func(docs []string) []Labelled {
		var out []Labelled
		for _, d := range docs {
			doc, err := Parse(d, Identity)
			if err != nil {
				t.Fatalf("case %s: %v in %s", c.ID, err, d)
			}
			out = append(out, Labelled{Name: "p", Doc: doc})
		}
		return out
	}
	set := Set{Identity: parse(c.Identity)}
	if c.Boundary != nil {
		set.Boundary = parse(c.Boundary)
	}
	if c.Session != "" {
		set.Session = parse([]string{c.Session})
	}
	r := Request{Action: c.Action, Resource: c.Resource, PrincipalARN: c.Principal, PrincipalAccount: c.Account}
	for k, v := range c.Context {
		switch v := v.(type) {
		case string:
			r.Set(k, v)
		case []string:
			r.Set(k, v...)
		}
	}
	switch Decide(&r, set).Decision {
	case Allowed:
		return "Allowed"
	case ExplicitDeny:
		return "ExplicitlyDenied"
	}
	return "ImplicitlyDenied"
}

func TestDifferentialAgainstIAMSimulate(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the differential test needs it to run @cloud-copilot/iam-simulate (.ci/run installs it)")
	}
	oracleDir, _ := filepath.Abs(filepath.Join("testdata", "oracle"))
	if _, err := os.Stat(filepath.Join(oracleDir, "node_modules", "@cloud-copilot", "iam-simulate")); err != nil {
		t.Skip("the oracle is not installed: run `npm ci` in internal/policy/testdata/oracle (.ci/run does)")
	}
	cases := append(documentedCases(), generatedCases(40)...)
	for i := range cases {
		if cases[i].ID == "" {
			cases[i].ID = fmt.Sprintf("c%03d", i+1)
		}
	}
	input := filepath.Join(t.TempDir(), "cases.json")
	b, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(input, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(oracleDir, "oracle.mjs"), input)
	cmd.Dir = oracleDir
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("the oracle failed: %v", err)
	}
	var answers []struct{ ID, Decision, Error string }
	if err := json.Unmarshal(raw, &answers); err != nil {
		t.Fatalf("the oracle's answer: %v", err)
	}
	byID := map[string]diffCase{}
	for _, c := range cases {
		byID[c.ID] = c
	}
	compared, refused := 0, 0
	counts := map[string]int{}
	var disagreements []string
	for _, a := range answers {
		c := byID[a.ID]
		if a.Error != "" {
			refused++
			t.Logf("the oracle refused case %s (%s on %s): %s", a.ID, c.Action, c.Resource, a.Error)
			continue
		}
		compared++
		ours := decideCase(t, c)
		counts[ours]++
		if ours == a.Decision {
			continue
		}
		why, known := knownDisagreements[a.ID]
		line := fmt.Sprintf("%s %s: connectfed %s, iam-simulate %s (%s on %s as %s; context %v; identity %v; boundary %v; session %s)",
			a.ID, c.note, ours, a.Decision, c.Action, c.Resource, c.Principal, c.Context, c.Identity, c.Boundary, c.Session)
		if known {
			t.Logf("known: %s; %s", line, why)
			continue
		}
		disagreements = append(disagreements, line)
	}
	sort.Strings(disagreements)
	for _, d := range disagreements {
		t.Error(d)
	}
	t.Logf("differential: %d cases compared (%v), %d refused by the oracle, %d disagreements (%d known)",
		compared, counts, refused, len(disagreements), len(knownDisagreements))
	if compared < 300 {
		t.Errorf("only %d cases compared; the corpus must hold at least 300", compared)
	}
	for _, d := range []string{"Allowed", "ExplicitlyDenied", "ImplicitlyDenied"} {
		if counts[d] == 0 {
			t.Errorf("no case decided %s: the corpus does not exercise it", d)
		}
	}
}
