package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/store/storetest"
)

// The PostgreSQL side of Copy is tested through connectfed copy (internal/cli), with the real
// flavours this package cannot import.

// newMemStore is a Store on a private in-memory SQLite database. One connection: each new
// connection to :memory: would be another, empty database.
func newMemStore(t *testing.T) *Store {
	t.Helper()
	db, err := sql.Open("sqlite", "file::memory:?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	s, err := New(db, testFlavor)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The list Copy works from is every table the migrations create, in an order that fills a
// referenced table before the tables that refer to it.
func TestTablesMatchMigrations(t *testing.T) {
	s := newMemStore(t)
	created := slices.DeleteFunc(storetest.SQLiteTables(t, s.db), func(n string) bool { return n == "schema_version" })
	if listed := slices.Sorted(slices.Values(tables)); !slices.Equal(listed, created) {
		t.Fatalf("the migrations create tables %q, but Copy's list has %q: update tables in copy.go", created, listed)
	}
	for i, table := range tables {
		rows, err := s.db.Query(`SELECT "table" FROM pragma_foreign_key_list($1)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var parent string
			if err := rows.Scan(&parent); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(tables[:i], parent) {
				t.Errorf("tables lists %s before %s, which it references", table, parent)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
}

// fill gives every table rows, including the values a copy could lose: empty byte strings, a
// NULL (an instance without an alias), case-folded name keys, and a root access key.
func fill(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	const acct = "123456789012"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: at}))
	for i := range 5 {
		must(s.CreateUser(ctx, store.User{AccountID: acct, Name: fmt.Sprintf("User%d", i), ID: fmt.Sprintf("AIDA%d", i), Path: "/", CreatedAt: at}))
	}
	must(s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIAROOT", Secret: "s0", AccountID: acct, Active: true, CreatedAt: at}))
	must(s.CreateAccessKey(ctx, store.AccessKey{ID: "AKIAUSER", Secret: "s1", AccountID: acct, UserName: "User1", CreatedAt: at}))
	must(s.CreateRole(ctx, store.Role{AccountID: acct, Name: "Agent", ID: "AROA1", Path: "/", TrustPolicy: `{"Version":"2012-10-17"}`, MaxSessionDuration: 3600, CreatedAt: at}))
	must(s.PutInlinePolicy(ctx, store.InlinePolicy{AccountID: acct, Kind: store.RolePolicy, Owner: "Agent", Name: "Tokens", Document: "{\n \"Version\": \"2012-10-17\"}"}))
	must(s.CreateManagedPolicy(ctx, store.ManagedPolicy{AccountID: acct, Name: "Agents", ID: "ANPAAGENTS", Path: "/",
		DefaultVersion: "v1", NextVersion: 2, Versions: []store.PolicyVersion{{ID: "v1", Document: "{}", CreatedAt: at}},
		CreatedAt: at, UpdatedAt: at}))
	must(s.AttachPolicy(ctx, store.PolicyAttachment{AccountID: acct, Kind: store.RolePolicy, Owner: "Agent", PolicyARN: "arn:aws:iam::" + acct + ":policy/Agents"}))
	must(s.PutPermissionsBoundary(ctx, store.PolicyAttachment{AccountID: acct, Kind: store.RolePolicy, Owner: "Agent", PolicyARN: "arn:aws:iam::aws:policy/AmazonConnect_FullAccess"}))
	must(s.CreateSession(ctx, store.Session{AccessKeyID: "ASIA1", Secret: "s2", TokenHash: []byte{0, 1, 2, 0xff}, AccountID: acct,
		RoleName: "Agent", RoleID: "AROA1", SessionName: "x", SourceARN: "arn:aws:iam::123456789012:root", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}))
	for _, alias := range []string{"Main", ""} {
		id := "inst-" + alias
		must(s.CreateInstance(ctx, store.Instance{AccountID: acct, Region: "us-east-1", ID: id, Alias: alias, IdentityManagementType: "SAML", InboundCalls: true, CreatedAt: at},
			[]store.Profile{{Kind: store.SecurityProfiles, ID: "sp1", Name: "Agent", CreatedAt: at},
				{Kind: store.RoutingProfiles, ID: "rp1", Name: "Basic", Description: "d", CreatedAt: at},
				{Kind: store.Queues, ID: "q1", Name: "BasicQueue", Details: []byte(`{"Status":"ENABLED"}`), CreatedAt: at, UpdatedAt: at}}))
	}
	for i := range 7 {
		details := []byte(fmt.Sprintf(`{"n":%d,"bytes":"\u00e9\u0000"}`, i))
		if i == 3 {
			details = nil // kept as an empty byte string
		}
		must(s.CreateConnectUser(ctx, store.ConnectUser{InstanceID: "inst-Main", ID: fmt.Sprintf("u%d", i), Username: fmt.Sprintf("agent%d", i), Details: details, CreatedAt: at, UpdatedAt: at.Add(time.Second)}))
	}
	must(s.PutHierarchyStructure(ctx, "inst-Main", []store.HierarchyLevel{{InstanceID: "inst-Main", Level: 1, ID: "lvl1", Name: "Site", UpdatedAt: at}}))
	must(s.AddApprovedOrigin(ctx, "inst-Main", "https://agents.example.com"))
	must(s.CreateHierarchyGroup(ctx, store.HierarchyGroup{InstanceID: "inst-Main", ID: "grp1", Name: "Paris", Level: 1,
		Tags: map[string]string{"k": "v"}, CreatedAt: at, UpdatedAt: at}))
	must(s.CreateSigningKey(ctx, store.SigningKey{ID: "k1", Secret: []byte{9, 8, 7, 0}, CreatedAt: at}))
	must(s.CreateSAMLProvider(ctx, store.SAMLProvider{AccountID: acct, Name: "Okta", Metadata: "<EntityDescriptor>é</EntityDescriptor>",
		ValidUntil: at.AddDate(100, 0, 0), CreatedAt: at, UpdatedAt: at.Add(time.Minute)}))
	must(s.MarkTokenUsed(ctx, "tok1", "fam1", at.Add(time.Hour)))
	must(s.RevokeFamily(ctx, "fam2", at, at.Add(2*time.Hour)))
	must(s.AppendAuditEvents(ctx, []store.AuditEvent{{AccountID: acct, ID: "ev1", Time: at, Name: "GetFederationToken",
		Source: "connect.amazonaws.com", Username: "agent1", AccessKeyID: "ASIA1", Resources: []string{"arn:inst", "arn:inst/user"},
		Body: []byte(`{"eventName":"GetFederationToken"}`)}}))
}

func TestCopy(t *testing.T) {
	src, dst := newMemStore(t), newMemStore(t)
	fill(t, src)
	// Seven values at most per INSERT: every table with more than a row or two spans several.
	defer func(n int) { maxPlaceholders = n }(maxPlaceholders)
	maxPlaceholders = 7

	var reports []CopyProgress
	n, err := Copy(context.Background(), dst, src, func(p CopyProgress) { reports = append(reports, p) })
	if err != nil {
		t.Fatal(err)
	}
	want := storetest.DumpSQLite(t, src.db)
	got := storetest.DumpSQLite(t, dst.db)
	var rows int64
	for _, table := range tables {
		rows += int64(len(want[table]))
		if len(want[table]) == 0 {
			t.Errorf("fill left %s empty: the test proves nothing about it", table)
		}
	}
	for table, w := range want {
		if !slices.Equal(got[table], w) {
			t.Errorf("%s after the copy:\n%s\nwant:\n%s", table, strings.Join(got[table], "\n"), strings.Join(w, "\n"))
		}
	}
	if n != rows {
		t.Errorf("Copy says it copied %d rows, want %d", n, rows)
	}
	// An empty details document is still an empty byte string, not NULL: the column is
	// NOT NULL, so the insert would have failed, and the store reads it back as nil.
	u, err := dst.GetConnectUser(context.Background(), "inst-Main", "u3")
	if err != nil || u.Details != nil {
		t.Errorf("the connect user with empty details after the copy: %+v, %v", u, err)
	}

	// Progress: each table ends with one TableDone report, in the order of tables; counts only grow.
	var done []string
	var last CopyProgress
	for _, p := range reports {
		if p.Total != rows || p.Rows < last.Rows || p.TableRows > p.TableTotal {
			t.Errorf("progress report %+v after %+v (of %d rows)", p, last, rows)
		}
		if p.TableDone {
			done = append(done, p.Table)
			if p.TableRows != int64(len(want[p.Table])) {
				t.Errorf("%s done after %d rows, want %d", p.Table, p.TableRows, len(want[p.Table]))
			}
		}
		last = p
	}
	if !slices.Equal(done, tables) || last.Rows != rows {
		t.Errorf("tables reported done: %q ending at %d rows, want %q ending at %d", done, last.Rows, tables, rows)
	}
}

// A destination with any record is refused before anything is written, naming a table with rows.
func TestCopyRefusesNonEmptyDestination(t *testing.T) {
	src := newMemStore(t)
	fill(t, src)
	for _, c := range []struct {
		table string
		add   func(*Store) error
	}{
		{"accounts", func(s *Store) error { return s.CreateAccount(context.Background(), store.Account{ID: "999999999999"}) }},
		{"used_tokens", func(s *Store) error { return s.MarkTokenUsed(context.Background(), "t", "f", time.Now()) }},
	} {
		dst := newMemStore(t)
		if err := c.add(dst); err != nil {
			t.Fatal(err)
		}
		before := storetest.DumpSQLite(t, dst.db)
		_, err := Copy(context.Background(), dst, src, nil)
		var notEmpty *NotEmptyError
		if !errors.As(err, &notEmpty) || notEmpty.Table != c.table {
			t.Errorf("Copy into a store with a row in %s: %v, want a NotEmptyError naming it", c.table, err)
		}
		if after := storetest.DumpSQLite(t, dst.db); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("the refused copy changed the destination:\n%v\nwas:\n%v", after, before)
		}
	}
	if _, err := Copy(context.Background(), src, src, nil); err == nil || !strings.Contains(err.Error(), "same store") {
		t.Errorf("Copy of a store into itself: %v", err)
	}
}

// A copy that fails part way leaves the destination as empty as it was: the tables it had
// already filled are rolled back with the rest.
func TestCopyFailureLeavesDestinationEmpty(t *testing.T) {
	src, dst := newMemStore(t), newMemStore(t)
	fill(t, src)
	if _, err := dst.db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON signing_keys BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}
	_, err := Copy(context.Background(), dst, src, nil)
	if err == nil || !strings.Contains(err.Error(), "signing_keys") || !strings.Contains(err.Error(), "refused by the test") {
		t.Fatalf("Copy with a failing insert: %v, want the insert's error naming signing_keys", err)
	}
	for table, rows := range storetest.DumpSQLite(t, dst.db) {
		if table != "schema_version" && len(rows) > 0 {
			t.Errorf("after the failed copy, %s has %d rows", table, len(rows))
		}
	}
}
