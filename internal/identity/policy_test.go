package identity

import (
	"testing"

	"github.com/connectfed/connectfed/internal/arn"
)

func TestTrustPolicy(t *testing.T) {
	const acct = "123456789012"
	user := Principal{Kind: IAMUser, AccountID: acct, ARN: arn.User(acct, "/", "alice"), UserName: "alice"}
	session := Principal{Kind: AssumedRole, AccountID: acct, ARN: arn.AssumedRole(acct, "Agent", "s1"), RoleName: "Agent"}
	other := Principal{Kind: IAMUser, AccountID: "210987654321", ARN: arn.User("210987654321", "/", "alice")}

	cases := []struct {
		name   string
		doc    string
		caller Principal
		want   bool
	}{
		{"account root trusts its users", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}}`, user, true},
		{"bare account id", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`, session, true},
		{"another account is not trusted", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`, other, false},
		{"star principal", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, other, true},
		{"named user", `{"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/bob","arn:aws:iam::123456789012:user/alice"]},"Action":"sts:AssumeRole"}}`, user, true},
		{"another user", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"sts:AssumeRole"}}`, user, false},
		{"a session by its role's ARN", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/Agent"},"Action":"sts:AssumeRole"}}`, session, true},
		{"wildcard action", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:*"}}`, user, true},
		{"action case", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"STS:assumerole"}}`, user, true},
		{"other action", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithSAML"}}`, user, false},
		{"deny wins", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"*"}]}`, user, false},
		{"service principal only", `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`, user, false},
	}
	for _, c := range cases {
		p, err := parsePolicy(c.doc)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := p.allows(c.caller, "sts:AssumeRole"); got != c.want {
			t.Errorf("%s: allows = %v, want %v", c.name, got, c.want)
		}
	}

	for _, bad := range []string{`{`, `{"Statement":[]}`, `{"Statement":{"Effect":"Maybe","Principal":"*","Action":"a"}}`,
		`{"Statement":{"Effect":"Allow","Action":"a"}}`, `{"Statement":{"Effect":"Allow","Principal":"*"}}`,
		`{"Statement":{"Effect":"Allow","Principal":"someone","Action":"a"}}`} {
		if _, err := parsePolicy(bad); err == nil {
			t.Errorf("parsePolicy(%s) accepted a malformed policy", bad)
		}
	}
}
