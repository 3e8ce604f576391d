package identity

import (
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/arn"
	iampolicy "github.com/connectfed/connectfed/internal/policy"
)

func TestTrustPolicy(t *testing.T) {
	const acct = "123456789012"
	user := Principal{Kind: IAMUser, AccountID: acct, ARN: arn.User(acct, "/", "alice"), UserName: "alice"}
	session := Principal{Kind: AssumedRole, AccountID: acct, ARN: arn.AssumedRole(acct, "Agent", "s1"), RoleName: "Agent", RolePath: "/"}
	other := Principal{Kind: IAMUser, AccountID: "210987654321", ARN: arn.User("210987654321", "/", "alice")}

	// want is the trust policy's answer: none, denies, account (identity policies decide),
	// direct (the caller is named).
	cases := []struct {
		name   string
		doc    string
		caller Principal
		want   trustAnswer
	}{
		{"account root trusts its users", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}}`, user, trustAccount},
		{"bare account id", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`, session, trustAccount},
		{"another account is not trusted", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`, other, trustNone},
		{"star principal", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, other, trustDirect},
		{"named user", `{"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/bob","arn:aws:iam::123456789012:user/alice"]},"Action":"sts:AssumeRole"}}`, user, trustDirect},
		{"another user", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"sts:AssumeRole"}}`, user, trustNone},
		{"a session by its role's ARN", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/Agent"},"Action":"sts:AssumeRole"}}`, session, trustDirect},
		{"wildcard action", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:*"}}`, user, trustDirect},
		{"action case", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"STS:assumerole"}}`, user, trustDirect},
		{"other action", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithSAML"}}`, user, trustNone},
		{"deny wins", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"*"}]}`, user, trustDenies},
		{"service principal only", `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`, user, trustNone},
	}
	for _, c := range cases {
		doc, err := iampolicy.Parse(c.doc, iampolicy.Trust)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		roleARN := arn.Role(acct, "/", "Target")
		r := requestContext(c.caller, Access{Action: "sts:AssumeRole", Resources: []string{roleARN}}, time.Now())
		r.Resource = roleARN
		if got := trustOf(doc, r); got != c.want {
			t.Errorf("%s: trust = %v, want %v", c.name, got, c.want)
		}
	}

	for _, bad := range []string{`{`, `{"Statement":[]}`, `{"Statement":{"Effect":"Maybe","Principal":"*","Action":"a"}}`,
		`{"Statement":{"Effect":"Allow","Action":"a"}}`, `{"Statement":{"Effect":"Allow","Principal":"*"}}`,
		`{"Statement":{"Effect":"Allow","Principal":"someone","Action":"a"}}`} {
		if err := checkTrustPolicy("policyDocument", bad); err == nil {
			t.Errorf("checkTrustPolicy(%s) accepted a malformed policy", bad)
		}
	}
}
