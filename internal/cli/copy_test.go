package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/store/sqlite"
	"github.com/connectfed/connectfed/internal/store/storetest"
)

// populate gives every table of the store rows, through the store's own methods, with the
// values a copy could get wrong: mixed-case names (and their folded keys), the account root's
// access key (no user), an inactive key, byte strings with zero and high bytes, an empty
// details document, an instance without an alias (a NULL key), non-ASCII text.
func populate(t testing.TB, st store.Store) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2025, 1, 2, 3, 4, 5, 678901000, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, acct := range []string{"111111111111", "222222222222"} {
		must(st.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: at}))
		must(st.CreateAccessKey(ctx, store.AccessKey{ID: "AKIAROOT" + acct, Secret: "root/secret+" + acct, AccountID: acct, Active: true, CreatedAt: at}))
		for i, name := range []string{"Alice", "bob", "Zoë-ops"} {
			must(st.CreateUser(ctx, store.User{AccountID: acct, Name: name, ID: fmt.Sprintf("AIDA%s%d", acct, i), Path: "/team/", CreatedAt: at.Add(time.Duration(i) * time.Second)}))
			must(st.CreateAccessKey(ctx, store.AccessKey{ID: fmt.Sprintf("AKIA%s%d", acct, i), Secret: "s/" + name, AccountID: acct, UserName: name, Active: i != 1, CreatedAt: at}))
		}
		must(st.CreateRole(ctx, store.Role{AccountID: acct, Name: "ConnectAgent", ID: "AROA" + acct, Path: "/",
			TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`,
			Description: "agents — all of them", MaxSessionDuration: 43200, CreatedAt: at}))
		must(st.PutInlinePolicy(ctx, store.InlinePolicy{AccountID: acct, Kind: store.RolePolicy, Owner: "ConnectAgent", Name: "Tokens",
			Document: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"*"}}`}))
		must(st.CreateManagedPolicy(ctx, store.ManagedPolicy{AccountID: acct, Name: "AgentBoundary", ID: "ANPA" + acct, Path: "/agents/",
			Description: "what agents may ever do", DefaultVersion: "v2", NextVersion: 3, CreatedAt: at, UpdatedAt: at.Add(time.Minute),
			Versions: []store.PolicyVersion{
				{ID: "v1", Document: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"connect:*","Resource":"*"}}`, CreatedAt: at},
				{ID: "v2", Document: "{\n \"Version\": \"2012-10-17\",\n \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"connect:Get*\", \"Resource\": \"*\"}}", CreatedAt: at.Add(time.Minute)},
			}}))
		must(st.CreateSAMLProvider(ctx, store.SAMLProvider{AccountID: acct, Name: "Okta", Metadata: "<EntityDescriptor entityID=\"https://idp\"/>",
			ValidUntil: at.AddDate(100, 0, 0), CreatedAt: at, UpdatedAt: at}))
		policyARN := "arn:aws:iam::" + acct + ":policy/agents/AgentBoundary"
		must(st.AttachPolicy(ctx, store.PolicyAttachment{AccountID: acct, Kind: store.RolePolicy, Owner: "ConnectAgent", PolicyARN: "arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess"}))
		must(st.PutPermissionsBoundary(ctx, store.PolicyAttachment{AccountID: acct, Kind: store.RolePolicy, Owner: "ConnectAgent", PolicyARN: policyARN}))
		must(st.CreateSession(ctx, store.Session{AccessKeyID: "ASIA" + acct, Secret: "session/secret", TokenHash: []byte{0, 0xff, 0x10, 0, 7},
			AccountID: acct, RoleName: "ConnectAgent", RoleID: "AROA" + acct, SessionName: "agent1",
			SourceARN: "arn:aws:iam::" + acct + ":user/Alice", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}))
		for i, alias := range []string{"Demo", ""} {
			id := fmt.Sprintf("%s-instance-%d", acct, i)
			mgmt := "SAML"
			if alias == "" {
				mgmt = "EXISTING_DIRECTORY"
			}
			must(st.CreateInstance(ctx, store.Instance{AccountID: acct, Region: "us-east-1", ID: id, Alias: alias, IdentityManagementType: mgmt,
				DirectoryID: "d-123", InboundCalls: true, OutboundCalls: i == 0, CreatedAt: at},
				[]store.Profile{{Kind: store.SecurityProfiles, ID: id + "-sp-agent", Name: "Agent", CreatedAt: at},
					{Kind: store.SecurityProfiles, ID: id + "-sp-admin", Name: "Admin", Description: "everything", CreatedAt: at},
					{Kind: store.RoutingProfiles, ID: id + "-rp", Name: "Basic Routing Profile", CreatedAt: at},
					{Kind: store.Queues, ID: id + "-q", Name: "BasicQueue", Details: []byte(`{"Status":"ENABLED"}`), CreatedAt: at}}))
			for u := range 4 {
				details := []byte(fmt.Sprintf(`{"IdentityInfo":{"FirstName":"Agént","LastName":"%d"},"PhoneConfig":{"PhoneType":"SOFT_PHONE"},"SecurityProfileIds":["%s-sp-agent"],"RoutingProfileId":"%s-rp"}`, u, id, id))
				if u == 2 {
					details = nil
				}
				must(st.CreateConnectUser(ctx, store.ConnectUser{InstanceID: id, ID: fmt.Sprintf("%s-user-%d", id, u),
					Username: fmt.Sprintf("Agent%d", u), Details: details, CreatedAt: at, UpdatedAt: at.Add(time.Minute)}))
			}
			must(st.PutHierarchyStructure(ctx, id, []store.HierarchyLevel{{InstanceID: id, Level: 1, ID: id + "-l1", Name: "Site", UpdatedAt: at}}))
			must(st.AddApprovedOrigin(ctx, id, "https://agents.example.com"))
			must(st.CreateHierarchyGroup(ctx, store.HierarchyGroup{InstanceID: id, ID: id + "-g1", Name: "Paris", Level: 1, CreatedAt: at, UpdatedAt: at}))
		}
	}
	must(st.CreateSigningKey(ctx, store.SigningKey{ID: "key-1", Secret: []byte("cfk1\x00\x01sealed\xfe\xff"), CreatedAt: at}))
	must(st.CreateSigningKey(ctx, store.SigningKey{ID: "key-2", Secret: []byte("cfk1\x02sealed"), CreatedAt: at.Add(time.Hour)}))
	must(st.MarkTokenUsed(ctx, "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210", at.Add(2*time.Hour)))
	must(st.MarkTokenUsed(ctx, "1123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210", at.Add(3*time.Hour)))
	must(st.RevokeFamily(ctx, "aedcba9876543210fedcba9876543210", at, at.Add(4*time.Hour)))
	must(st.AppendAuditEvents(ctx, []store.AuditEvent{{AccountID: "111111111111", ID: "audit-1", Time: at, Name: "GetFederationToken",
		Source: "connect.amazonaws.com", Username: "agent1", AccessKeyID: "ASIA1", Resources: []string{"arn:aws:connect:us-east-1:111111111111:instance/i"},
		Body: []byte(`{"eventName":"GetFederationToken","é":"\u0000"}`)}}))
}

// dumpSQLiteFile is storetest.DumpSQLite of a SQLite database file.
func dumpSQLiteFile(t testing.TB, path string) map[string][]string {
	t.Helper()
	db, err := sqlite.OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return storetest.DumpSQLite(t, db)
}

// newStoreFile is a SQLite store file, populated or only migrated, closed for a command to open.
func newStoreFile(t testing.TB, populated bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "connectfed.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if populated {
		populate(t, st)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// withPassword puts a password in a PostgreSQL URL that has none (a trusting server ignores
// it), and returns the URL and its password, which no output may show.
func withPassword(t *testing.T, raw string) (string, string) {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if pw, ok := u.User.Password(); ok {
		return raw, pw
	}
	const pw = "cf-test-password-7f3a"
	u.User = url.UserPassword(u.User.Username(), pw)
	return u.String(), pw
}

var copySummary = regexp.MustCompile(`(?m)^copied (\d+) rows from (\S+) to (\S+) in \S+$`)

// A store goes SQLite -> PostgreSQL -> SQLite (and SQLite -> SQLite -> SQLite, which needs no
// server) through connectfed copy, and comes back byte for byte: every row of every table.
func TestCopyRoundTrip(t *testing.T) {
	first := newStoreFile(t, true)
	want := dumpSQLiteFile(t, first)
	var rows int
	for table, r := range want {
		if table != "schema_version" && len(r) == 0 {
			t.Errorf("populate left %s empty: the round trip proves nothing about it", table)
		}
		rows += len(r)
	}
	rows -= len(want["schema_version"])

	for _, via := range []struct {
		name string
		url  func(t *testing.T) (string, string) // the middle store, and a secret no output may show
	}{
		{"sqlite", func(t *testing.T) (string, string) { return "sqlite:" + filepath.Join(t.TempDir(), "middle.db"), "" }},
		{"postgres", func(t *testing.T) (string, string) { return withPassword(t, postgresURL(t)) }},
	} {
		t.Run(via.name, func(t *testing.T) {
			middle, secret := via.url(t)
			last := t.TempDir() + string(filepath.Separator) // a data directory: last/connectfed.db
			for _, hop := range [][2]string{{first, middle}, {middle, last}} {
				r := runMain("copy", "--from", hop[0], "--to", hop[1])
				if r.code != 0 {
					t.Fatalf("connectfed copy --from %s --to %s: exit %d\n%s%s", hop[0], hop[1], r.code, r.stdout, r.stderr)
				}
				if secret != "" && strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("copy shows the password:\n%s%s", r.stdout, r.stderr)
				}
				for table, tableRows := range want {
					if line := fmt.Sprintf("copied %d %s\n", len(tableRows), table); table != "schema_version" && !strings.Contains(r.stdout, line) {
						t.Errorf("copy's output lacks %q:\n%s", line, r.stdout)
					}
				}
				if m := copySummary.FindStringSubmatch(r.stdout); m == nil || m[1] != strconv.Itoa(rows) {
					t.Errorf("copy's summary, want %d rows:\n%s", rows, r.stdout)
				}
				if !strings.Contains(r.stdout, "master key") {
					t.Errorf("copy does not say the copy needs the source's master key:\n%s", r.stdout)
				}
			}
			got := dumpSQLiteFile(t, filepath.Join(last, "connectfed.db"))
			for table, w := range want {
				if !slices.Equal(got[table], w) {
					t.Errorf("%s after the round trip:\n%s\nwant:\n%s", table, strings.Join(got[table], "\n"), strings.Join(w, "\n"))
				}
			}
			if len(got) != len(want) {
				t.Errorf("the round trip's end has %d tables, want %d", len(got), len(want))
			}
		})
	}
}

// A destination with records is refused, saying which table has rows, and left as it was.
func TestCopyRefusesNonEmptyDestination(t *testing.T) {
	src, dst := newStoreFile(t, true), newStoreFile(t, false)
	st, err := sqlite.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccount(t.Context(), store.Account{ID: "333333333333"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	before := dumpSQLiteFile(t, dst)
	r := runMain("copy", "--from", src, "--to", "sqlite:"+dst)
	want := "--to sqlite:" + dst + " is not empty: its table accounts has rows"
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("copy into a store with an account: exit %d\n%s%s\nwant exit 1 and %q", r.code, r.stdout, r.stderr, want)
	}
	if after := dumpSQLiteFile(t, dst); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the refused copy changed the destination:\n%v\nwas:\n%v", after, before)
	}
}

// Bad --from and --to values fail with exit 1 and a message that says what is wrong, never
// showing a password, and create nothing.
func TestCopyBadLocations(t *testing.T) {
	src := newStoreFile(t, false)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing", "connectfed.db")
	dst := filepath.Join(dir, "new.db")
	const pw = "hunter2-not-shown"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", dst}, "copy needs --from SRC and --to DST"},
		{[]string{"--from", missing, "--to", dst}, "--from: no SQLite database at " + missing},
		{[]string{"--from", "sqlite:", "--to", dst}, "--from: sqlite: needs a PATH"},
		{[]string{"--from", "mysql://root:" + pw + "@db/connectfed", "--to", dst}, "--from: want a postgres:// URL, sqlite:PATH or a PATH"},
		{[]string{"--from", src, "--to", "sqlite:" + src}, "--from and --to both name sqlite:" + src},
		{[]string{"--from", src, "--to", "postgres://connectfed:" + pw + "@127.0.0.1:notaport/db"}, "--to postgres://connectfed:xxxxx@127.0.0.1:notaport/db: store: open postgres"},
		{[]string{"--from", "postgres://connectfed@127.0.0.1:1/db?sslmode=disable&password=" + pw, "--to", dst}, "database unreachable"},
		{[]string{"--from", src, "--to", "postgresql://connectfed:" + pw + "@127.0.0.1:1/db?sslmode=disable"}, "--to postgresql://connectfed:xxxxx@127.0.0.1:1/db?sslmode=disable: store: open postgres connectfed@127.0.0.1:1/db: database unreachable"},
	} {
		r := runMain(append([]string{"copy"}, c.args...)...)
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, c.want) {
			t.Errorf("copy %q: exit %d\n%s%s\nwant exit 1 and %q", c.args, r.code, r.stdout, r.stderr, c.want)
		}
		if strings.Contains(r.stderr, pw) {
			t.Errorf("copy %q shows the password: %s", c.args, r.stderr)
		}
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("a failed copy created the destination %s (%v)", dst, err)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Errorf("copy from a missing source created %s (%v)", filepath.Dir(missing), err)
	}
}

// BenchmarkCopyToPostgres copies a SQLite store of 100,000 Connect users (and their instance)
// to PostgreSQL with connectfed copy, as an operator moving to PostgreSQL would; each
// iteration fills a new schema.
func BenchmarkCopyToPostgres(b *testing.B) {
	const users = 100_000
	src := newStoreFile(b, false)
	st, err := sqlite.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := st.CreateAccount(ctx, store.Account{ID: "111111111111"}); err != nil {
		b.Fatal(err)
	}
	if err := st.CreateInstance(ctx, store.Instance{AccountID: "111111111111", Region: "us-east-1", ID: "bench-instance", Alias: "bench", IdentityManagementType: "SAML"},
		[]store.Profile{{Kind: store.SecurityProfiles, ID: "sp", Name: "Agent"}, {Kind: store.RoutingProfiles, ID: "rp", Name: "Basic Routing Profile"}}); err != nil {
		b.Fatal(err)
	}
	st.Close()
	// The users go in with one statement: through CreateConnectUser, each would be a commit
	// of its own, and filling would take longer than copying.
	db, err := sqlite.OpenDB(src)
	if err != nil {
		b.Fatal(err)
	}
	_, err = db.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
		INSERT INTO connect_users (instance_id, id, username, details, created_at, updated_at)
		SELECT 'bench-instance', printf('8d4c2a1e-0000-4000-8000-%012d', i), printf('agent%06d', i),
			CAST(printf('{"IdentityInfo":{"FirstName":"Agent","LastName":"%d","Email":"agent%d@example.com"},"PhoneConfig":{"PhoneType":"SOFT_PHONE","AutoAccept":false,"AfterContactWorkTimeLimit":0},"SecurityProfileIds":["sp"],"RoutingProfileId":"rp"}', i, i) AS BLOB),
			1735689600000000 + i, 1735689600000000 + i
		FROM n`, users)
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	total := users + 1 + 1 + 2 // users, the account, the instance, its two profiles
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dst := postgresURL(b)
		b.StartTimer()
		r := runMain("copy", "--from", src, "--to", dst)
		if m := copySummary.FindStringSubmatch(r.stdout); r.code != 0 || m == nil || m[1] != strconv.Itoa(total) {
			b.Fatalf("copy: exit %d, want %d rows\n%s%s", r.code, total, r.stdout, r.stderr)
		}
	}
	b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// Every place a PostgreSQL URL may carry a password is masked, in URLs that parse and in
// those that do not.
func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"postgres://cf:pw@db:5432/cf?sslmode=disable":       "postgres://cf:xxxxx@db:5432/cf?sslmode=disable",
		"postgresql://cf@db/cf?password=pw&sslpassword=pw2": "postgresql://cf@db/cf?password=xxxxx&sslpassword=xxxxx",
		"postgres://db/cf":                                         "postgres://db/cf",
		"postgres://cf:pw@db:notaport/cf":                          "postgres://cf:xxxxx@db:notaport/cf",
		"postgres://cf:p/w@db/cf":                                  "postgres://cf:xxxxx@db/cf",
		"postgres://cf@db:notaport/cf?PassWord=pw&sslmode=disable": "postgres://cf@db:notaport/cf?PassWord=xxxxx&sslmode=disable",
	} {
		if got := redactURL(raw); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", raw, got, want)
		}
	}
}
