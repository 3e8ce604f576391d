package apply

import (
	"errors"
	"strings"
	"testing"
)

func TestParseValidFile(t *testing.T) {
	f, err := Parse("ok.yaml", []byte(`version: 1
region: eu-west-2
iam:
  users:
    - name: ops
      accessKeys: 2
    - name: auditor
  roles:
    - name: ConnectAgent
      trust: ["123456789012"]
    - name: Policy
      trustPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: "*"}
            Action: sts:AssumeRole
connect:
  instances:
    - alias: demo
      identityManagement: SAML
    - alias: managed
      identityManagement: CONNECT_MANAGED
      users: []
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := *f.IAM.Users[0].AccessKeys; got != 2 {
		t.Errorf("accessKeys = %d", got)
	}
	if f.IAM.Users[1].AccessKeys != nil {
		t.Error("an absent accessKeys must stay unset: it leaves the user's keys alone")
	}
	if want := `{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"123456789012"}}`; !strings.Contains(f.IAM.Roles[0].policy, want) {
		t.Errorf("trust policy = %s", f.IAM.Roles[0].policy)
	}
	if !samePolicy(f.IAM.Roles[1].policy, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`) {
		t.Errorf("YAML trustPolicy = %s", f.IAM.Roles[1].policy)
	}
	// "users: []" declares an empty collection (prune owns it); no key leaves it alone.
	if f.Connect.Instances[0].Users != nil || f.Connect.Instances[1].Users == nil {
		t.Errorf("users lists: %#v, %#v", f.Connect.Instances[0].Users, f.Connect.Instances[1].Users)
	}
}

// Every problem is reported with its line, all at once, before any request.
func TestParseNamesTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"unknown key", "version: 1\niam:\n  users:\n    - name: ops\n      acessKeys: 1\n",
			[]string{`bad.yaml:5: unknown key "acessKeys" in an IAM user (known keys: name, accessKeys, policies, managedPolicies)`}},
		{"unknown top-level key", "version: 1\nregoin: us-east-1\n",
			[]string{`bad.yaml:2: unknown key "regoin" in the file`}},
		{"wrong type", "version: 1\niam:\n  users:\n    - name: ops\n      accessKeys: many\n",
			[]string{"bad.yaml:5: cannot unmarshal"}},
		{"syntax", "version: 1\niam: [\n", []string{"bad.yaml:"}},
		{"no version", "region: us-east-1\n", []string{"bad.yaml:1: version is required"}},
		{"future version", "version: 2\n", []string{"bad.yaml:1: version 2 is not supported"}},
		{"empty", "", []string{"bad.yaml: the file is empty"}},
		{"two documents", "version: 1\n---\nversion: 1\n", []string{"one YAML document"}},
		{"duplicate key", "version: 1\nversion: 1\n", []string{"bad.yaml:2: mapping key \"version\" already defined at line 1"}},
		{"bad region", "version: 1\nregion: Mars\n", []string{`bad.yaml:2: region "Mars"`}},
		{"duplicate users", "version: 1\niam:\n  users:\n    - name: ops\n    - name: OPS\n",
			[]string{`bad.yaml:5: IAM user "OPS" is declared twice (first at line 4`}},
		{"too many keys", "version: 1\niam:\n  users:\n    - name: ops\n      accessKeys: 3\n",
			[]string{"bad.yaml:5: IAM user \"ops\": accessKeys is 3"}},
		{"bad user name", "version: 1\niam:\n  users:\n    - name: a b\n", []string{`bad.yaml:4: an IAM user name "a b"`}},
		{"role without trust", "version: 1\niam:\n  roles:\n    - name: r\n      maxSessionDuration: 60\n",
			[]string{"bad.yaml:4: IAM role \"r\" needs trust", "bad.yaml:5: IAM role \"r\": maxSessionDuration 60"}},
		{"bad principal", "version: 1\niam:\n  roles:\n    - name: r\n      trust:\n        - alice\n",
			[]string{`bad.yaml:6: IAM role "r": trust principal "alice"`}},
		{"bad policy JSON", "version: 1\niam:\n  roles:\n    - name: r\n      trustPolicy: '{nope'\n",
			[]string{`bad.yaml:5: IAM role "r": trustPolicy: not a JSON object`}},
		{"bad alias", "version: 1\nconnect:\n  instances:\n    - alias: -x\n      identityManagement: SAML\n",
			[]string{`bad.yaml:4: Connect instance alias "-x"`}},
		{"duplicate alias", "version: 1\nconnect:\n  instances:\n    - alias: a\n      identityManagement: SAML\n    - alias: A\n      identityManagement: SAML\n",
			[]string{`bad.yaml:6: Connect instance "A" is declared twice (first at line 4)`}},
		{"no identity management", "version: 1\nconnect:\n  instances:\n    - alias: a\n",
			[]string{`bad.yaml:4: Connect instance "a" needs identityManagement`}},
		{"missing routing profile", "version: 1\nconnect:\n  instances:\n    - alias: a\n      identityManagement: SAML\n      users:\n        - username: agent1\n          securityProfiles: [Agent]\n",
			[]string{"bad.yaml:7: Connect user a/agent1 needs a routingProfile"}},
		{"user problems", `version: 1
connect:
  instances:
    - alias: a
      identityManagement: SAML
      users:
        - username: agent1
          securityProfiles: [Agent, Agent]
          routingProfile: Basic Routing Profile
          phoneType: DESK_PHONE
          mobile: "555"
          password: Secret123
        - username: agent1
          securityProfiles: []
          routingProfile: Basic Routing Profile
`, []string{
			`bad.yaml:8: Connect user a/agent1: security profile "Agent" is listed twice`,
			"bad.yaml:10: Connect user a/agent1: phoneType DESK_PHONE needs a deskPhoneNumber",
			`bad.yaml:11: Connect user a/agent1: mobile "555"`,
			"bad.yaml:12: Connect user a/agent1: a password is for users of CONNECT_MANAGED instances only",
			"bad.yaml:13: Connect user a/agent1 is declared twice (first at line 7)",
			"bad.yaml:14: Connect user a/agent1 needs securityProfiles"}},
		{"managed user without password", "version: 1\nconnect:\n  instances:\n    - alias: a\n      identityManagement: CONNECT_MANAGED\n      users:\n        - username: u\n          securityProfiles: [Agent]\n          routingProfile: R\n",
			[]string{"bad.yaml:7: Connect user a/u needs a password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.file))
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FileError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if len(fe.Problems) < len(tc.want) {
				t.Errorf("%d problems, want %d:\n%v", len(fe.Problems), len(tc.want), err)
			}
		})
	}
}

// A password is a secret: a message about it never repeats it.
func TestParseNeverEchoesAPassword(t *testing.T) {
	_, err := Parse("bad.yaml", []byte("version: 1\nconnect:\n  instances:\n    - alias: a\n      identityManagement: CONNECT_MANAGED\n      users:\n        - username: u\n          password: tooweak\n          securityProfiles: [Agent]\n          routingProfile: R\n"))
	if err == nil || strings.Contains(err.Error(), "tooweak") || !strings.Contains(err.Error(), "bad.yaml:8:") {
		t.Errorf("err = %v", err)
	}
}

// The instance parts of a file are checked before any request: each mistake at its line.
func TestParseInstancePartsProblems(t *testing.T) {
	_, err := Parse("parts.yaml", []byte(`version: 1
connect:
  instances:
    - alias: demo
      identityManagement: SAML
      attributes:
        CONTACT_LENZ: true
        INBOUND_CALLS: false
      approvedOrigins: ["https://ok.example.com", "https://bad.example.com;script-src"]
      securityProfiles:
        - name: Tier2
        - name: Tier2
      queues:
        - name: Sales
          maxContacts: -1
      routingProfiles:
        - name: Sales
          mediaConcurrencies: {VOICE: 2, FAX: 1}
          queues:
            - {queue: Sales, channel: VOICE, priority: 0}
      hierarchy:
        levels: [Site]
        groups:
          - name: Lisbon
          - name: Billing
            parent: Lisbon
          - name: Orphan
            parent: Nowhere
`))
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a *FileError", err)
	}
	for _, want := range []string{
		`parts.yaml:7: Connect instance "demo": "CONTACT_LENZ" is not an instance attribute`,
		`parts.yaml:7: Connect instance "demo": set INBOUND_CALLS with inboundCalls or outboundCalls`,
		`parts.yaml:9: Connect instance "demo": approved origin "https://bad.example.com;script-src" is not a scheme, a host and an optional port`,
		`parts.yaml:12: Connect instance "demo": security profile "Tier2" is declared twice (first at line 11)`,
		`parts.yaml:14: Connect instance "demo": queue "Sales": maxContacts is negative`,
		`parts.yaml:17: Connect instance "demo": routing profile "Sales" needs a description of 1 to 250 characters`,
		`parts.yaml:17: Connect instance "demo": routing profile "Sales" needs a defaultOutboundQueue`,
		`parts.yaml:17: Connect instance "demo": routing profile "Sales": VOICE concurrency 2 is not 1 to 1`,
		`parts.yaml:17: Connect instance "demo": routing profile "Sales": "FAX" is not a channel`,
		`parts.yaml:17: Connect instance "demo": routing profile "Sales": queue Sales: priority is 1 to 99`,
		`parts.yaml:25: Connect instance "demo": hierarchy group "Billing" would be at level 2; the hierarchy has 1 levels`,
		`parts.yaml:27: Connect instance "demo": hierarchy group "Orphan": its parent "Nowhere" is not declared before it`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
}
