package arn

import "testing"

func TestBuild(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Root("123456789012"), "arn:aws:iam::123456789012:root"},
		{User("123456789012", "/", "alice"), "arn:aws:iam::123456789012:user/alice"},
		{User("123456789012", "", "alice"), "arn:aws:iam::123456789012:user/alice"},
		{User("123456789012", "/ops/eu/", "alice"), "arn:aws:iam::123456789012:user/ops/eu/alice"},
		{Role("123456789012", "/agents/", "Agent"), "arn:aws:iam::123456789012:role/agents/Agent"},
		{Policy("aws", "/", "AdministratorAccess"), "arn:aws:iam::aws:policy/AdministratorAccess"},
		{SAMLProvider("123456789012", "Okta"), "arn:aws:iam::123456789012:saml-provider/Okta"},
		{AssumedRole("123456789012", "Agent", "agent1"), "arn:aws:sts::123456789012:assumed-role/Agent/agent1"},
		{ServiceLinkedRole("123456789012", "connect.amazonaws.com", "AWSServiceRoleForAmazonConnect"),
			"arn:aws:iam::123456789012:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect"},
		{Instance("us-east-1", "123456789012", "i-1"), "arn:aws:connect:us-east-1:123456789012:instance/i-1"},
		{ConnectUser("us-east-1", "123456789012", "i-1", "u-1"), "arn:aws:connect:us-east-1:123456789012:instance/i-1/agent/u-1"},
		{SecurityProfile("us-east-1", "123456789012", "i-1", "p"), "arn:aws:connect:us-east-1:123456789012:instance/i-1/security-profile/p"},
		{RoutingProfile("us-east-1", "123456789012", "i-1", "p"), "arn:aws:connect:us-east-1:123456789012:instance/i-1/routing-profile/p"},
		{AgentGroup("us-east-1", "123456789012", "i-1", "g"), "arn:aws:connect:us-east-1:123456789012:instance/i-1/agent-group/g"},
		{FederatedUser("us-east-1", "123456789012", "i-1", "AROA1:agent1"), "arn:aws:connect:us-east-1:123456789012:instance/i-1/user/AROA1:agent1"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

func TestParseRoleKeepsPath(t *testing.T) {
	for in, want := range map[string]Named{
		"arn:aws:iam::123456789012:role/Agent":            {"123456789012", "/", "Agent"},
		"arn:aws:iam::123456789012:role/wrong/path/Agent": {"123456789012", "/wrong/path/", "Agent"},
	} {
		got, ok := ParseRole(in)
		if !ok || got != want {
			t.Errorf("ParseRole(%q) = %+v, %v; want %+v", in, got, ok, want)
		}
		if back := Role(got.Account, got.Path, got.Name); back != in {
			t.Errorf("Role(ParseRole(%q)) = %q", in, back)
		}
	}
	for _, bad := range []string{
		"", "arn:aws:iam::123456789012:role/", "arn:aws:iam::123456789012:user/Agent",
		"arn:aws:sts::123456789012:role/Agent", "arn:aws:iam:us-east-1:123456789012:role/Agent",
		"arn:aws:iam:::role/Agent", "arn:aws:iam::123456789012:role//Agent", "nope:aws:iam::1:role/A",
	} {
		if got, ok := ParseRole(bad); ok {
			t.Errorf("ParseRole(%q) = %+v, want refused", bad, got)
		}
	}
	if u, ok := ParseUser("arn:aws:iam::123456789012:user/ops/alice"); !ok || u.Path != "/ops/" || u.Name != "alice" {
		t.Errorf("ParseUser: %+v %v", u, ok)
	}
	if p, ok := ParsePolicy("arn:aws:iam::aws:policy/ReadOnlyAccess"); !ok || p.Account != "aws" {
		t.Errorf("ParsePolicy: %+v %v", p, ok)
	}
}

func TestParseInstance(t *testing.T) {
	got, ok := ParseInstance("arn:aws:connect:eu-west-2:123456789012:instance/abc-1")
	if !ok || got != (InstanceRef{"eu-west-2", "123456789012", "abc-1"}) {
		t.Errorf("ParseInstance: %+v %v", got, ok)
	}
	for _, bad := range []string{"abc-1", "arn:aws:connect:eu-west-2:123456789012:instance/",
		"arn:aws:connect:eu-west-2:123456789012:instance/a/agent/b", "arn:aws:iam::123456789012:instance/a",
		"arn:aws:connect:eu-west-2:123456789012:queue/a"} {
		if got, ok := ParseInstance(bad); ok {
			t.Errorf("ParseInstance(%q) = %+v, want refused", bad, got)
		}
	}
}

func TestResolveInstance(t *testing.T) {
	byARN := ResolveInstance("arn:aws:connect:eu-west-2:210987654321:instance/abc-1", "us-east-1", "123456789012")
	if byARN != (InstanceRef{"eu-west-2", "210987654321", "abc-1"}) {
		t.Errorf("by ARN: %+v, want the ARN's region and account", byARN)
	}
	byID := ResolveInstance("abc-1", "us-east-1", "123456789012")
	if byID != (InstanceRef{"us-east-1", "123456789012", "abc-1"}) {
		t.Errorf("by id: %+v, want the caller's region and account", byID)
	}
}

func TestParseRoundTrip(t *testing.T) {
	s := "arn:aws:connect:us-east-1:123456789012:instance/i-1/user/AROA1:agent1"
	a, err := Parse(s)
	if err != nil || a.Resource != "instance/i-1/user/AROA1:agent1" || a.String() != s {
		t.Errorf("Parse(%q) = %+v, %v", s, a, err)
	}
	if _, err := Parse("arn:aws:iam"); err != ErrMalformed {
		t.Errorf("Parse of a short ARN: %v", err)
	}
}
