package apply

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
)

func mustParse(t *testing.T, s string) *File {
	t.Helper()
	f, err := Parse("test.yaml", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func planLines(t *testing.T, p *plan) string {
	t.Helper()
	var b strings.Builder
	p.print(&b)
	return b.String()
}

// A server's state as the planner sees it: the caller is the IAM user "me", which has a key
// of its own; there is a stray user with a key, a service-linked role, and an instance with
// an agent the file does not declare.
func testState() *state {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	demo := &instance{id: "i-1", alias: "demo", identityManagement: "SAML", inbound: true, outbound: true,
		security: map[string]string{"Agent": "sp-agent", "Admin": "sp-admin"}, routing: map[string]string{"Basic Routing Profile": "rp-1"},
		users: map[string]*connectUser{
			"agent1": {id: "u-1", username: "agent1", described: &ctypes.User{SecurityProfileIds: []string{"sp-agent"},
				RoutingProfileId: aws.String("rp-1"), PhoneConfig: &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone}}},
			"stray": {id: "u-2", username: "stray"},
		}}
	return &state{
		caller: caller{account: "123456789012", userName: "me", keyID: "AKIAME"},
		users: map[string]*iamUser{
			"me":    {name: "me", keys: []iamKey{{id: "AKIAME", active: true, created: t0}}},
			"ops":   {name: "ops", keys: []iamKey{{id: "AKIAOLD", active: true, created: t0}, {id: "AKIANEW", active: true, created: t0.Add(time.Hour)}}},
			"stray": {name: "stray", keys: []iamKey{{id: "AKIASTRAY", active: true, created: t0}}},
		},
		roles: map[string]*iamRole{
			"connectagent": {name: "ConnectAgent", path: "/", policy: trustPolicy([]string{"123456789012"}), maxSession: 3600},
			"awsserviceroleforamazonconnect": {name: "AWSServiceRoleForAmazonConnect", path: "/aws-service-role/connect.amazonaws.com/",
				policy: "{}", maxSession: 3600},
		},
		instances: map[string]*instance{"demo": demo},
	}
}

const testFile = `version: 1
iam:
  users:
    - name: ops
      accessKeys: 1
    - name: new
      accessKeys: 1
  roles:
    - name: ConnectAgent
      trust: ["123456789012"]
      maxSessionDuration: 43200
connect:
  instances:
    - alias: demo
      identityManagement: SAML
      inboundCalls: true
      outboundCalls: true
      users:
        - username: agent1
          securityProfiles: [Agent]
          routingProfile: Basic Routing Profile
        - username: agent2
          securityProfiles: [Agent, Admin]
          routingProfile: Basic Routing Profile
`

func TestPlanWithoutPruneKeepsWhatIsNotDeclared(t *testing.T) {
	p, err := buildPlan(mustParse(t, testFile), testState(), false)
	if err != nil {
		t.Fatal(err)
	}
	want := `create  iam user new
create  iam access key for user new
replace iam role ConnectAgent (maxSessionDuration 3600 → 43200)
create  connect user demo/agent2
`
	if got := planLines(t, p); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	// ops (1 of its 2 keys), the instance, agent1.
	if p.unchanged != 4 {
		t.Errorf("unchanged = %d, want 4", p.unchanged)
	}
	for _, k := range []string{"iam user stray", "connect user demo/stray", "1 of the 2 access keys of iam user ops"} {
		if !strings.Contains(strings.Join(p.kept, "\n"), k) {
			t.Errorf("kept %v lacks %q", p.kept, k)
		}
	}
}

func TestPlanPruneSparesTheCaller(t *testing.T) {
	p, err := buildPlan(mustParse(t, testFile), testState(), true)
	if err != nil {
		t.Fatal(err)
	}
	got := planLines(t, p)
	for _, want := range []string{
		"delete  iam user stray\n",
		"delete  iam access key AKIASTRAY of user stray\n",
		// The older of ops's two keys goes.
		"delete  iam access key AKIAOLD of user ops\n",
		"delete  connect user demo/stray\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	for _, never := range []string{"user me", "AKIAME", "AKIANEW", "AWSServiceRole"} {
		if strings.Contains(got, never) {
			t.Errorf("prune touches %s:\n%s", never, got)
		}
	}
	if !strings.Contains(strings.Join(p.protected, "\n"), "iam user me (the caller)") {
		t.Errorf("protected = %v", p.protected)
	}
	// Stable: every kind in order, keys of a user together.
	lines := strings.Split(strings.TrimSpace(got), "\n")
	order := []string{"iam user", "iam access key", "iam role", "connect instance", "connect user"}
	last := 0
	for _, l := range lines {
		for i, k := range order {
			if strings.Contains(l, " "+k+" ") {
				if i < last {
					t.Errorf("%q out of order:\n%s", l, got)
				}
				last = i
			}
		}
	}
}

func TestPlanRefusesAReplaceThatLosesUsers(t *testing.T) {
	f := mustParse(t, strings.Replace(testFile, "identityManagement: SAML", "identityManagement: EXISTING_DIRECTORY\n      directoryId: d-0123456789", 1))
	_, err := buildPlan(f, testState(), false)
	if err == nil || !strings.Contains(err.Error(), "test.yaml:14: connect instance demo: identityManagement SAML → EXISTING_DIRECTORY needs a replace") ||
		!strings.Contains(err.Error(), "1 user the file does not declare (stray)") {
		t.Fatalf("err = %v", err)
	}
	p, err := buildPlan(f, testState(), true)
	if err != nil {
		t.Fatalf("with --prune owning the users: %v", err)
	}
	got := planLines(t, p)
	if !strings.Contains(got, "replace connect instance demo (identityManagement SAML → EXISTING_DIRECTORY; deletes its 2 users, recreates the 2 declared)") ||
		!strings.Contains(got, "create  connect user demo/agent1") || strings.Contains(got, "demo/stray") {
		t.Errorf("plan:\n%s", got)
	}
}

// The calls-enabled flags change in place: no replace, the users stay.
func TestPlanUpdatesFlagsInPlace(t *testing.T) {
	f := mustParse(t, strings.Replace(testFile, "inboundCalls: true", "inboundCalls: false", 1))
	p, err := buildPlan(f, testState(), false)
	if err != nil {
		t.Fatal(err)
	}
	got := planLines(t, p)
	if !strings.Contains(got, "update  connect instance attribute demo/INBOUND_CALLS (true → false)\n") || strings.Contains(got, "replace connect instance") ||
		strings.Contains(got, "connect user demo/agent1") {
		t.Errorf("plan:\n%s", got)
	}
}

func TestPlanNamesUnknownProfiles(t *testing.T) {
	f := mustParse(t, strings.Replace(testFile, "[Agent, Admin]", "[Agnet]", 1))
	_, err := buildPlan(f, testState(), false)
	if err == nil || !strings.Contains(err.Error(), `test.yaml:22: connect user demo/agent2: instance demo has no security profile "Agnet" (it has "Admin", "Agent")`) {
		t.Fatalf("err = %v", err)
	}
}

func TestSecretsFileAppendsAndNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets")
	earlier := "[ops]\naws_access_key_id = AKIAEARLIER\naws_secret_access_key = earlier"
	if err := os.WriteFile(path, []byte(earlier), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := openSecrets(path)
	if err != nil {
		t.Fatal(err)
	}
	names, err := s.write([]createdKey{{"ops", "AKIA2", "s2"}, {"alice", "AKIA3", "s3"}, {"ops", "AKIA4", "s4"}})
	s.close()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names, " "); got != "[alice] [ops-2] [ops-3]" {
		t.Errorf("profiles %s", got)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), earlier+"\n") {
		t.Errorf("the earlier secret was not kept as it was:\n%s", data)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	profiles := profileNames(string(data))
	for _, p := range []string{"ops", "ops-2", "ops-3", "alice"} {
		if !profiles[p] {
			t.Errorf("no profile [%s] in:\n%s", p, data)
		}
	}

	// A file this run created and did not need is not left behind.
	unused := filepath.Join(t.TempDir(), "unused")
	s, err = openSecrets(unused)
	if err != nil {
		t.Fatal(err)
	}
	s.close()
	if _, err := os.Stat(unused); !os.IsNotExist(err) {
		t.Errorf("an empty secrets file was left behind: %v", err)
	}
}
