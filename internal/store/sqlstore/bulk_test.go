package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/store/sqlite"
	"github.com/connectfed/connectfed/internal/store/sqlstore"
)

// The bulk methods must write exactly what their single-record methods write. These tests
// write the same records both ways, into two SQLite files, and compare what the store reads
// back and the raw rows of the tables.

const bulkAccount = "123456789012"

// bulkFixtures are records that exercise every column's conversion: mixed-case names (their
// case-folded keys), the root's key (no user), an inactive key, nil, empty and non-empty
// Details, the zero time and sub-microsecond digits (truncated).
func bulkFixtures(instanceID string) ([]store.User, []store.AccessKey, []store.ConnectUser) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.UTC)
	users := []store.User{
		{AccountID: bulkAccount, Name: "Alice", ID: "AIDAALICE000000000001", Path: "/", CreatedAt: t0},
		{AccountID: bulkAccount, Name: "bob", ID: "AIDABOB00000000000002", Path: "/ops/", CreatedAt: time.Time{}},
	}
	keys := []store.AccessKey{
		{ID: "AKIAALICE00000000001", Secret: "s1", AccountID: bulkAccount, UserName: "Alice", Active: true, CreatedAt: t0},
		{ID: "AKIAALICE00000000002", Secret: "s2", AccountID: bulkAccount, UserName: "Alice", Active: false, CreatedAt: t0.Add(time.Second)},
		{ID: "AKIAROOT000000000003", Secret: "s3", AccountID: bulkAccount, UserName: "", Active: true},
	}
	var cusers []store.ConnectUser
	for i, d := range [][]byte{nil, {}, []byte(`{"PhoneConfig":{"PhoneType":"SOFT_PHONE"}}`)} {
		cusers = append(cusers, store.ConnectUser{InstanceID: instanceID, ID: fmt.Sprintf("00000000-0000-0000-0000-00000000000%d", i),
			Username: fmt.Sprintf("Agent%d", i), Details: d, CreatedAt: t0.Add(time.Duration(i) * time.Nanosecond), UpdatedAt: t0})
	}
	return users, keys, cusers
}

// newBulkStore opens a SQLite file store with an account and an instance, and returns it
// with its path.
func newBulkStore(t *testing.T, name string) (*sqlstore.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if err := s.CreateAccount(ctx, store.Account{ID: bulkAccount}); err != nil {
		t.Fatal(err)
	}
	in := store.Instance{AccountID: bulkAccount, Region: "us-east-1", ID: "11111111-1111-1111-1111-111111111111",
		Alias: "bulk", IdentityManagementType: "SAML"}
	if err := s.CreateInstance(ctx, in, nil); err != nil {
		t.Fatal(err)
	}
	return s, path
}

// readBack is everything the store answers about the fixtures.
func readBack(t *testing.T, s store.Store, keys []store.AccessKey, cusers []store.ConnectUser) map[string]any {
	t.Helper()
	ctx := context.Background()
	got := map[string]any{}
	must := func(what string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got[what] = v
	}
	users, err := s.ListUsers(ctx, bulkAccount, store.Page{})
	must("ListUsers", users, err)
	u, err := s.GetUser(ctx, bulkAccount, "ALICE")
	must("GetUser(ALICE)", u, err)
	ks, err := s.ListAccessKeys(ctx, bulkAccount, "alice")
	must("ListAccessKeys(alice)", ks, err)
	ks, err = s.ListAccessKeys(ctx, bulkAccount, "")
	must("ListAccessKeys(root)", ks, err)
	for _, k := range keys {
		g, err := s.GetAccessKey(ctx, k.ID)
		must("GetAccessKey "+k.ID, g, err)
	}
	instanceID := cusers[0].InstanceID
	cs, err := s.ListConnectUsers(ctx, instanceID, store.Page{})
	must("ListConnectUsers", cs, err)
	for _, c := range cusers {
		g, err := s.GetConnectUser(ctx, instanceID, c.ID)
		must("GetConnectUser "+c.ID, g, err)
		g, err = s.GetConnectUserByUsername(ctx, instanceID, c.Username)
		must("GetConnectUserByUsername "+c.Username, g, err)
	}
	return got
}

// rawRows returns every row of the tables the bulk methods write, in key order.
func rawRows(t *testing.T, path string) map[string][][]any {
	t.Helper()
	db, err := sqlite.OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][][]any{}
	for table, order := range map[string]string{
		"iam_users":     "account_id, name_key",
		"access_keys":   "id",
		"connect_users": "instance_id, id",
	} {
		out[table] = queryAll(t, db, `SELECT * FROM `+table+` ORDER BY `+order)
	}
	return out
}

func queryAll(t *testing.T, db *sql.DB, q string) [][]any {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var all [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		all = append(all, append([]any{cols}, vals...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return all
}

func TestBulkWritesWhatSingleMethodsWrite(t *testing.T) {
	ctx := context.Background()
	single, singlePath := newBulkStore(t, "single.db")
	bulk, bulkPath := newBulkStore(t, "bulk.db")
	users, keys, cusers := bulkFixtures("11111111-1111-1111-1111-111111111111")

	for _, u := range users {
		if err := single.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		if err := single.CreateAccessKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cusers {
		if err := single.CreateConnectUser(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := bulk.CreateUsers(ctx, users); err != nil {
		t.Fatal(err)
	}
	if err := bulk.CreateAccessKeys(ctx, keys); err != nil {
		t.Fatal(err)
	}
	if err := bulk.CreateConnectUsers(ctx, cusers); err != nil {
		t.Fatal(err)
	}

	want, got := readBack(t, single, keys, cusers), readBack(t, bulk, keys, cusers)
	for what := range want {
		if !reflect.DeepEqual(got[what], want[what]) {
			t.Errorf("%s: bulk wrote\n  %+v\nsingle wrote\n  %+v", what, got[what], want[what])
		}
	}
	single.Close()
	bulk.Close()
	wantRows, gotRows := rawRows(t, singlePath), rawRows(t, bulkPath)
	for table := range wantRows {
		if len(wantRows[table]) == 0 {
			t.Errorf("%s: no rows written", table)
		}
		if !reflect.DeepEqual(gotRows[table], wantRows[table]) {
			t.Errorf("table %s: bulk rows\n  %v\nsingle rows\n  %v", table, gotRows[table], wantRows[table])
		}
	}
}

// A batch is one transaction: a conflict anywhere in it, or a missing owner, writes nothing
// and answers the single methods' sentinel.
func TestBulkAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := newBulkStore(t, "s.db")
	users, keys, cusers := bulkFixtures("11111111-1111-1111-1111-111111111111")

	dupName := append(append([]store.User{}, users...), store.User{AccountID: bulkAccount, Name: "ALICE", ID: "AIDAOTHER"})
	if err := s.CreateUsers(ctx, dupName); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("CreateUsers with a name twice: %v, want ErrAlreadyExists", err)
	}
	noAccount := []store.User{{AccountID: "999999999999", Name: "x", ID: "AIDAX"}}
	if err := s.CreateUsers(ctx, noAccount); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateUsers in a missing account: %v, want ErrNotFound", err)
	}
	if err := s.CreateAccessKey(ctx, keys[2]); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccessKeys(ctx, keys); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("CreateAccessKeys with a taken id: %v, want ErrAlreadyExists", err)
	}
	elsewhere := append([]store.ConnectUser{}, cusers...)
	elsewhere[2].InstanceID = "22222222-2222-2222-2222-222222222222"
	if err := s.CreateConnectUsers(ctx, elsewhere); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateConnectUsers in a missing instance: %v, want ErrNotFound", err)
	}
	if err := s.CreateUsers(ctx, nil); err != nil {
		t.Errorf("CreateUsers(nil): %v", err)
	}

	if got, err := s.ListUsers(ctx, bulkAccount, store.Page{}); err != nil || len(got) != 0 {
		t.Errorf("users after failed batches: %v, %v", got, err)
	}
	if got, err := s.ListAccessKeys(ctx, bulkAccount, "alice"); err != nil || len(got) != 0 {
		t.Errorf("alice's keys after a failed batch: %v, %v", got, err)
	}
	if got, err := s.ListConnectUsers(ctx, cusers[0].InstanceID, store.Page{}); err != nil || len(got) != 0 {
		t.Errorf("connect users after a failed batch: %v, %v", got, err)
	}
}

// BenchmarkCreateConnectUsers seeds 10,000 Connect users per operation, in one batch.
func BenchmarkCreateConnectUsers(b *testing.B) {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.CreateAccount(ctx, store.Account{ID: bulkAccount}); err != nil {
		b.Fatal(err)
	}
	details := []byte(`{"PhoneConfig":{"PhoneType":"SOFT_PHONE"},"SecurityProfileIds":["x"],"RoutingProfileId":"y"}`)
	const perOp = 10000
	round := 0
	for b.Loop() {
		in := store.Instance{AccountID: bulkAccount, Region: "us-east-1", ID: fmt.Sprintf("instance-%d", round),
			IdentityManagementType: "SAML", Alias: fmt.Sprintf("bench%d", round)}
		if err := s.CreateInstance(ctx, in, nil); err != nil {
			b.Fatal(err)
		}
		users := make([]store.ConnectUser, perOp)
		for i := range users {
			users[i] = store.ConnectUser{InstanceID: in.ID, ID: fmt.Sprintf("u%07d", i), Username: fmt.Sprintf("user%07d", i), Details: details}
		}
		if err := s.CreateConnectUsers(ctx, users); err != nil {
			b.Fatal(err)
		}
		round++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(round*perOp), "ns/user")
}
