// Package storetest owns the conformance suite of store.Store: the behaviour every backend
// must show, written once so that SQLite, PostgreSQL and any later backend are held to the
// same contract. A backend's test calls Run with a constructor of fresh, empty stores.
package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// Run runs the conformance suite. newStore must return a new, empty store each time it is
// called; Run closes it when the subtest that asked for it ends, and fails if Close fails.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
		{"Account", testAccount},
		{"User", testUser},
		{"CreateUserConcurrent", testCreateUserConcurrent},
		{"UserPaging", testUserPaging},
		{"Role", testRole},
		{"RolePaging", testRolePaging},
		{"AccessKey", testAccessKey},
		{"ListAccessKeys", testListAccessKeys},
		{"UpdateAccessKey", testUpdateAccessKey},
		{"UpdateAccessKeyConcurrent", testUpdateAccessKeyConcurrent},
		{"Session", testSession},
		{"DeleteExpiredSessions", testDeleteExpiredSessions},
		{"AccountIsolation", testAccountIsolation},
		{"Timestamps", testTimestamps},
		{"Instance", testInstance},
		{"InstanceAlias", testInstanceAlias},
		{"InstanceByClientToken", testInstanceByClientToken},
		{"InlinePolicies", testInlinePolicies},
		{"ManagedPolicies", testManagedPolicies},
		{"UpdateManagedPolicyRefused", testUpdateManagedPolicyRefused},
		{"PolicyAttachments", testPolicyAttachments},
		{"PermissionsBoundaries", testPermissionsBoundaries},
		{"SetRoleTrustPolicy", testSetRoleTrustPolicy},
		{"SAMLProviders", testSAMLProviders},
		{"InstanceIsolation", testInstanceIsolation},
		{"InstancePaging", testInstancePaging},
		{"CreateInstanceAtomic", testCreateInstanceAtomic},
		{"Profiles", testProfiles},
		{"ConnectUser", testConnectUser},
		{"CreateConnectUserConcurrent", testCreateConnectUserConcurrent},
		{"ConnectUserDetails", testConnectUserDetails},
		{"ConnectUserPaging", testConnectUserPaging},
		{"UpdateConnectUser", testUpdateConnectUser},
		{"UpdateInstance", testUpdateInstance},
		{"ProfileCRUD", testProfileCRUD},
		{"AuditEvents", testAuditEvents},
		{"Hierarchy", testHierarchy},
		{"ApprovedOrigins", testApprovedOrigins},
		{"DeleteInstanceCascades", testDeleteInstanceCascades},
		{"SigningKeys", testSigningKeys},
		{"MarkTokenUsed", testMarkTokenUsed},
		{"MarkTokenUsedConcurrent", testMarkTokenUsedConcurrent},
		{"RevokeFamily", testRevokeFamily},
		{"RevokeFamilyConcurrent", testRevokeFamilyConcurrent},
		{"ListRevokedFamilies", testListRevokedFamilies},
		{"DeleteExpiredTokenRecords", testDeleteExpiredTokenRecords},
		{"CreateInstanceTakenID", testCreateInstanceTakenID},
		{"CreateInstanceConcurrent", onOne(testCreateInstanceConcurrent)},
		{"InstanceAllOrNothingVisible", onOne(testInstanceAllOrNothingVisible)},
		{"CreateConnectUserDuringDeleteInstance", onOne(testCreateConnectUserDuringDeleteInstance)},
		{"UpdateAccessKeyRefusedReleases", testUpdateAccessKeyRefusedReleases},
		{"CancelledContext", testCancelledContext},
		{"DeleteExpiredTokenRecordsConcurrent", onOne(testDeleteExpiredTokenRecordsConcurrent)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

const (
	accountA = "111111111111"
	accountB = "222222222222"
	// missingAccount is never created.
	missingAccount = "999999999999"
)

// t0 has nanoseconds and a zone other than UTC, so the suite sees both the precision a
// backend keeps and that it returns UTC.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("UTC+2", 2*60*60))

// checkTime fails unless got is want to within a microsecond (the precision a backend must
// keep at least) and is in UTC.
func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s = %v: location %v, want UTC", what, got, got.Location())
	}
	if d := got.Sub(want); d <= -time.Microsecond || d >= time.Microsecond {
		t.Errorf("%s = %v, want %v (off by %v)", what, got, want, d)
	}
}

// checkRecord compares two records of a comparable type: their CreatedAt within the store's
// precision, then every other field exactly.
func checkRecord[T comparable](t *testing.T, what string, got, want T, createdAt func(*T) *time.Time) {
	t.Helper()
	checkTime(t, what+" CreatedAt", *createdAt(&got), *createdAt(&want))
	*createdAt(&got), *createdAt(&want) = time.Time{}, time.Time{}
	if got != want {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

func checkAccount(t *testing.T, got, want store.Account) {
	t.Helper()
	checkRecord(t, "account "+want.ID, got, want, func(a *store.Account) *time.Time { return &a.CreatedAt })
}

func checkUser(t *testing.T, got, want store.User) {
	t.Helper()
	checkRecord(t, "user "+want.Name, got, want, func(u *store.User) *time.Time { return &u.CreatedAt })
}

func checkRole(t *testing.T, got, want store.Role) {
	t.Helper()
	checkRecord(t, "role "+want.Name, got, want, func(r *store.Role) *time.Time { return &r.CreatedAt })
}

func checkAccessKey(t *testing.T, got, want store.AccessKey) {
	t.Helper()
	checkRecord(t, "access key "+want.ID, got, want, func(k *store.AccessKey) *time.Time { return &k.CreatedAt })
}

func checkSession(t *testing.T, got, want store.Session) {
	t.Helper()
	checkTime(t, "session "+want.AccessKeyID+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "session "+want.AccessKeyID+" ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	if !bytes.Equal(got.TokenHash, want.TokenHash) {
		t.Errorf("session %s TokenHash = %x, want %x", want.AccessKeyID, got.TokenHash, want.TokenHash)
	}
	got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
	got.ExpiresAt, want.ExpiresAt = time.Time{}, time.Time{}
	got.TokenHash, want.TokenHash = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("session = %+v, want %+v", got, want)
	}
}

// checkErr fails the test now unless err is (or wraps) want.
func checkErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func createAccounts(t *testing.T, s store.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		must(t, "CreateAccount "+id, s.CreateAccount(t.Context(), store.Account{ID: id, CreatedAt: t0}))
	}
}

func testPing(t *testing.T, s store.Store) {
	must(t, "Ping", s.Ping(t.Context()))
}

func testAccount(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := store.Account{ID: accountA, CreatedAt: t0}
	must(t, "CreateAccount", s.CreateAccount(ctx, a))
	got, err := s.GetAccount(ctx, accountA)
	must(t, "GetAccount", err)
	checkAccount(t, got, a)

	err = s.CreateAccount(ctx, store.Account{ID: accountA, CreatedAt: t0.Add(time.Hour)})
	checkErr(t, "CreateAccount duplicate", err, store.ErrAlreadyExists)
	got, err = s.GetAccount(ctx, accountA)
	must(t, "GetAccount after duplicate", err)
	checkAccount(t, got, a)

	_, err = s.GetAccount(ctx, missingAccount)
	checkErr(t, "GetAccount missing", err, store.ErrNotFound)
}

func testUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	u := store.User{AccountID: accountA, Name: "Alice", ID: "AIDAALICE0000000001", Path: "/eng/", CreatedAt: t0}
	must(t, "CreateUser", s.CreateUser(ctx, u))
	for _, name := range []string{"Alice", "alice", "ALICE"} {
		got, err := s.GetUser(ctx, accountA, name)
		must(t, "GetUser "+name, err)
		checkUser(t, got, u) // keeps the spelling it was created with
	}

	for _, name := range []string{"Alice", "alice", "aLiCe"} {
		dup := store.User{AccountID: accountA, Name: name, ID: "AIDADUPLICATE000001", Path: "/", CreatedAt: t0}
		checkErr(t, "CreateUser duplicate "+name, s.CreateUser(ctx, dup), store.ErrAlreadyExists)
	}
	got, err := s.GetUser(ctx, accountA, "alice")
	must(t, "GetUser after duplicates", err)
	checkUser(t, got, u)

	_, err = s.GetUser(ctx, accountA, "bob")
	checkErr(t, "GetUser missing", err, store.ErrNotFound)
	_, err = s.GetUser(ctx, missingAccount, "Alice")
	checkErr(t, "GetUser in missing account", err, store.ErrNotFound)

	orphan := store.User{AccountID: missingAccount, Name: "Orphan", ID: "AIDAORPHAN000000001", Path: "/", CreatedAt: t0}
	checkErr(t, "CreateUser in missing account", s.CreateUser(ctx, orphan), store.ErrNotFound)
	_, err = s.GetUser(ctx, missingAccount, "Orphan")
	checkErr(t, "GetUser of refused user", err, store.ErrNotFound)

	users, err := s.ListUsers(ctx, accountA, store.Page{})
	must(t, "ListUsers", err)
	if len(users) != 1 {
		t.Fatalf("ListUsers = %+v, want just %s", users, u.Name)
	}
	checkUser(t, users[0], u)

	must(t, "DeleteUser", s.DeleteUser(ctx, accountA, "ALICE"))
	_, err = s.GetUser(ctx, accountA, "Alice")
	checkErr(t, "GetUser after delete", err, store.ErrNotFound)
	checkErr(t, "DeleteUser again", s.DeleteUser(ctx, accountA, "Alice"), store.ErrNotFound)
	checkErr(t, "DeleteUser in missing account", s.DeleteUser(ctx, missingAccount, "Alice"), store.ErrNotFound)
	users, err = s.ListUsers(ctx, accountA, store.Page{})
	must(t, "ListUsers after delete", err)
	if len(users) != 0 {
		t.Errorf("ListUsers after delete = %+v, want none", users)
	}

	// Deleting frees the name.
	again := store.User{AccountID: accountA, Name: "alice", ID: "AIDAALICE0000000002", Path: "/", CreatedAt: t0.Add(time.Hour)}
	must(t, "CreateUser after delete", s.CreateUser(ctx, again))
	got, err = s.GetUser(ctx, accountA, "Alice")
	must(t, "GetUser recreated", err)
	checkUser(t, got, again)
}

// race runs create(0) ... create(n-1) at once, released together, and checks that exactly one
// succeeded and every other failed with store.ErrAlreadyExists, as racing replicas creating
// one record must. It returns the index of the winner (-1 if none won).
func race(t *testing.T, what string, n int, create func(i int) error) (winner int) {
	t.Helper()
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = create(i)
		})
	}
	close(start)
	wg.Wait()
	winner = -1
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
			winner = i
		case !errors.Is(err, store.ErrAlreadyExists):
			t.Errorf("%s, racer %d: %v, want nil or %v", what, i, err, store.ErrAlreadyExists)
		}
	}
	if won != 1 {
		t.Errorf("%s: %d of %d concurrent calls succeeded, want exactly 1", what, won, n)
	}
	return winner
}

// testCreateUserConcurrent races creations of one user name, spelt in different cases, as
// replicas serving two CreateUser requests at once would: one user is created, and every
// other request learns the name is taken.
func testCreateUserConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	const rounds, racers = 3, 8
	for round := range rounds {
		name := fmt.Sprintf("Racer%d", round)
		users := make([]store.User, racers)
		for i := range users {
			spelling := name
			if i%2 == 1 {
				spelling = strings.ToLower(name)
			}
			users[i] = store.User{AccountID: accountA, Name: spelling, ID: fmt.Sprintf("AIDARACE%02d%09d", round, i), Path: "/", CreatedAt: t0}
		}
		what := fmt.Sprintf("round %d: CreateUser %s", round, name)
		winner := race(t, what, racers, func(i int) error { return s.CreateUser(ctx, users[i]) })
		if winner < 0 {
			continue
		}
		got, err := s.GetUser(ctx, accountA, name)
		must(t, what+": GetUser", err)
		checkUser(t, got, users[winner])
	}
	list, err := s.ListUsers(ctx, accountA, store.Page{})
	must(t, "ListUsers", err)
	if len(list) != rounds {
		t.Errorf("ListUsers after the races = %+v, want %d users", list, rounds)
	}
}

func testRole(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	r := store.Role{
		AccountID:          accountA,
		Name:               "DeployAdmin",
		ID:                 "AROADEPLOY000000001",
		Path:               "/service-role/",
		TrustPolicy:        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`,
		Description:        "deploys things; ünïcode and 'quotes'",
		MaxSessionDuration: 43200,
		CreatedAt:          t0,
	}
	must(t, "CreateRole", s.CreateRole(ctx, r))
	for _, name := range []string{"DeployAdmin", "deployadmin", "DEPLOYADMIN"} {
		got, err := s.GetRole(ctx, accountA, name)
		must(t, "GetRole "+name, err)
		checkRole(t, got, r)
	}

	for _, name := range []string{"DeployAdmin", "deployADMIN"} {
		dup := r
		dup.Name, dup.ID = name, "AROADUPLICATE000001"
		checkErr(t, "CreateRole duplicate "+name, s.CreateRole(ctx, dup), store.ErrAlreadyExists)
	}
	got, err := s.GetRole(ctx, accountA, "DeployAdmin")
	must(t, "GetRole after duplicates", err)
	checkRole(t, got, r)

	_, err = s.GetRole(ctx, accountA, "Other")
	checkErr(t, "GetRole missing", err, store.ErrNotFound)
	orphan := r
	orphan.AccountID = missingAccount
	checkErr(t, "CreateRole in missing account", s.CreateRole(ctx, orphan), store.ErrNotFound)
	_, err = s.GetRole(ctx, missingAccount, r.Name)
	checkErr(t, "GetRole of refused role", err, store.ErrNotFound)

	roles, err := s.ListRoles(ctx, accountA, store.Page{})
	must(t, "ListRoles", err)
	if len(roles) != 1 {
		t.Fatalf("ListRoles = %+v, want just %s", roles, r.Name)
	}
	checkRole(t, roles[0], r)

	must(t, "DeleteRole", s.DeleteRole(ctx, accountA, "deployadmin"))
	_, err = s.GetRole(ctx, accountA, r.Name)
	checkErr(t, "GetRole after delete", err, store.ErrNotFound)
	checkErr(t, "DeleteRole again", s.DeleteRole(ctx, accountA, r.Name), store.ErrNotFound)
	roles, err = s.ListRoles(ctx, accountA, store.Page{})
	must(t, "ListRoles after delete", err)
	if len(roles) != 0 {
		t.Errorf("ListRoles after delete = %+v, want none", roles)
	}
}

// pagingNames are created in this order, which is neither their order nor their byte order:
// lower-cased order puts "Alice" first and "Eve" last, byte order would put capitals first.
var (
	pagingNames = []string{"dave", "Eve", "carol", "Alice", "bob"}
	pagingOrder = []string{"Alice", "bob", "carol", "dave", "Eve"}
)

func testUserPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	want := map[string]store.User{}
	for i, name := range pagingNames {
		u := store.User{AccountID: accountA, Name: name, ID: fmt.Sprintf("AIDAPAGING%09d", i), Path: "/p/", CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
		must(t, "CreateUser "+name, s.CreateUser(ctx, u))
		want[name] = u
	}
	// Sorts before all of account A's users, and must not appear in its lists.
	must(t, "CreateUser in other account", s.CreateUser(ctx, store.User{AccountID: accountB, Name: "Aaron", ID: "AIDAOTHER0000000001", CreatedAt: t0}))

	testPaging(t, func(p store.Page) ([]store.User, error) { return s.ListUsers(ctx, accountA, p) },
		func(u store.User) string { return u.Name },
		func(got store.User) { checkUser(t, got, want[got.Name]) })
}

func testRolePaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	want := map[string]store.Role{}
	for i, name := range pagingNames {
		r := store.Role{AccountID: accountA, Name: name, ID: fmt.Sprintf("AROAPAGING%09d", i), Path: "/", TrustPolicy: "{}", MaxSessionDuration: 3600 + i, CreatedAt: t0}
		must(t, "CreateRole "+name, s.CreateRole(ctx, r))
		want[name] = r
	}
	must(t, "CreateRole in other account", s.CreateRole(ctx, store.Role{AccountID: accountB, Name: "Aaron", ID: "AROAOTHER0000000001", TrustPolicy: "{}", CreatedAt: t0}))

	testPaging(t, func(p store.Page) ([]store.Role, error) { return s.ListRoles(ctx, accountA, p) },
		func(r store.Role) string { return r.Name },
		func(got store.Role) { checkRole(t, got, want[got.Name]) })
}

// testPaging checks a list of the records named pagingNames: unlimited lists, a walk with
// Limit 2 where each After is the previous page's last name, and After in another case.
func testPaging[T any](t *testing.T, list func(store.Page) ([]T, error), name func(T) string, check func(T)) {
	t.Helper()
	names := func(recs []T) []string {
		out := make([]string, 0, len(recs))
		for _, r := range recs {
			out = append(out, name(r))
		}
		return out
	}

	for _, limit := range []int{0, -1, len(pagingOrder), 100} {
		all, err := list(store.Page{Limit: limit})
		must(t, fmt.Sprintf("list with Limit %d", limit), err)
		if got := names(all); !slices.Equal(got, pagingOrder) {
			t.Errorf("list with Limit %d = %q, want %q", limit, got, pagingOrder)
		}
		for _, r := range all {
			check(r)
		}
	}

	var (
		walked []string
		sizes  []int
		after  string
	)
	for range len(pagingOrder) + 2 { // bounded, in case After were ignored
		page, err := list(store.Page{After: after, Limit: 2})
		must(t, fmt.Sprintf("list after %q", after), err)
		sizes = append(sizes, len(page))
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			check(r)
		}
		walked = append(walked, names(page)...)
		after = name(page[len(page)-1])
	}
	if !slices.Equal(walked, pagingOrder) || !slices.Equal(sizes, []int{2, 2, 1, 0}) {
		t.Errorf("paging by 2 gave %q in pages of %v, want %q in pages of [2 2 1 0]", walked, sizes, pagingOrder)
	}

	// After is compared ignoring case, and need not be an existing name.
	for _, tc := range []struct {
		after string
		want  []string
	}{
		{"BOB", []string{"carol", "dave", "Eve"}},
		{"bob", []string{"carol", "dave", "Eve"}},
		{"c", []string{"carol", "dave", "Eve"}},
		{"EVE", nil},
		{"", pagingOrder},
	} {
		page, err := list(store.Page{After: tc.after})
		must(t, fmt.Sprintf("list after %q", tc.after), err)
		if got := names(page); !slices.Equal(got, tc.want) {
			t.Errorf("list after %q = %q, want %q", tc.after, got, tc.want)
		}
	}
}

func testAccessKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	keys := []store.AccessKey{
		{ID: "AKIAALICE0000000001", Secret: "alice-secret/+=", AccountID: accountA, UserName: "Alice", Active: true, CreatedAt: t0},
		{ID: "AKIAALICE0000000002", Secret: "alice-secret-2", AccountID: accountA, UserName: "Alice", Active: false, CreatedAt: t0.Add(time.Second)},
		{ID: "AKIAROOT00000000001", Secret: "root-secret", AccountID: accountA, UserName: "", Active: true, CreatedAt: t0},
	}
	for _, k := range keys {
		must(t, "CreateAccessKey "+k.ID, s.CreateAccessKey(ctx, k))
	}
	for _, k := range keys {
		got, err := s.GetAccessKey(ctx, k.ID)
		must(t, "GetAccessKey "+k.ID, err)
		checkAccessKey(t, got, k)
	}

	// Ids are unique across accounts and users.
	dup := keys[0]
	dup.AccountID, dup.UserName, dup.Secret = accountB, "Bob", "other"
	checkErr(t, "CreateAccessKey duplicate id", s.CreateAccessKey(ctx, dup), store.ErrAlreadyExists)
	got, err := s.GetAccessKey(ctx, keys[0].ID)
	must(t, "GetAccessKey after duplicate", err)
	checkAccessKey(t, got, keys[0])

	orphan := store.AccessKey{ID: "AKIAORPHAN000000001", Secret: "x", AccountID: missingAccount, UserName: "Alice", Active: true, CreatedAt: t0}
	checkErr(t, "CreateAccessKey in missing account", s.CreateAccessKey(ctx, orphan), store.ErrNotFound)
	_, err = s.GetAccessKey(ctx, orphan.ID)
	checkErr(t, "GetAccessKey of refused key", err, store.ErrNotFound)
	_, err = s.GetAccessKey(ctx, "AKIAMISSING00000001")
	checkErr(t, "GetAccessKey missing", err, store.ErrNotFound)

	must(t, "DeleteAccessKey", s.DeleteAccessKey(ctx, keys[0].ID))
	_, err = s.GetAccessKey(ctx, keys[0].ID)
	checkErr(t, "GetAccessKey after delete", err, store.ErrNotFound)
	checkErr(t, "DeleteAccessKey again", s.DeleteAccessKey(ctx, keys[0].ID), store.ErrNotFound)
	got, err = s.GetAccessKey(ctx, keys[1].ID)
	must(t, "GetAccessKey of the other key", err)
	checkAccessKey(t, got, keys[1])
}

func testListAccessKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	key := func(id, user string, created time.Time) store.AccessKey {
		return store.AccessKey{ID: id, Secret: "secret-" + id, AccountID: accountA, UserName: user, Active: true, CreatedAt: created}
	}
	// Alice's keys in their expected order: by creation time, then by id.
	alice := []store.AccessKey{
		key("AKIA3", "Alice", t0),
		key("AKIA1", "Alice", t0.Add(time.Hour)),
		key("AKIA2", "Alice", t0.Add(2*time.Hour)),
		key("AKIA4", "Alice", t0.Add(3*time.Hour)),
		key("AKIA5", "Alice", t0.Add(3*time.Hour)),
	}
	root := []store.AccessKey{key("AKIAR2", "", t0), key("AKIAR1", "", t0.Add(time.Minute))}
	others := []store.AccessKey{
		key("AKIAB1", "Bob", t0),
		{ID: "AKIAX1", Secret: "x", AccountID: accountB, UserName: "Alice", Active: true, CreatedAt: t0},
	}
	// Created out of every order the list could fall back on.
	for _, i := range []int{2, 4, 0, 1, 3} {
		must(t, "CreateAccessKey "+alice[i].ID, s.CreateAccessKey(ctx, alice[i]))
	}
	for _, k := range append(slices.Clone(root), others...) {
		must(t, "CreateAccessKey "+k.ID, s.CreateAccessKey(ctx, k))
	}

	check := func(user string, want []store.AccessKey) {
		t.Helper()
		got, err := s.ListAccessKeys(ctx, accountA, user)
		must(t, "ListAccessKeys "+user, err)
		if len(got) != len(want) {
			t.Fatalf("ListAccessKeys(%q) = %+v, want %+v", user, got, want)
		}
		for i := range want {
			checkAccessKey(t, got[i], want[i])
		}
	}
	check("Alice", alice)
	check("alice", alice) // user names match ignoring case
	check("", root)
	check("Carol", nil)
}

func testUpdateAccessKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	k := store.AccessKey{ID: "AKIAUPDATE000000001", Secret: "s1", AccountID: accountA, UserName: "Alice", Active: true, CreatedAt: t0}
	must(t, "CreateAccessKey", s.CreateAccessKey(ctx, k))

	want := k
	want.Active, want.Secret = false, "s2"
	calls := 0
	must(t, "UpdateAccessKey", s.UpdateAccessKey(ctx, k.ID, func(got store.AccessKey) (store.AccessKey, error) {
		calls++
		checkAccessKey(t, got, k)
		got.Active, got.Secret = false, "s2"
		return got, nil
	}))
	if calls != 1 {
		t.Errorf("update called %d times, want 1", calls)
	}
	got, err := s.GetAccessKey(ctx, k.ID)
	must(t, "GetAccessKey after update", err)
	checkAccessKey(t, got, want)

	// An update that fails aborts: its error comes back as is, and nothing changes.
	errAbort := errors.New("update refused")
	err = s.UpdateAccessKey(ctx, k.ID, func(got store.AccessKey) (store.AccessKey, error) {
		got.Active, got.Secret = true, "must not be written"
		return got, errAbort
	})
	if err != errAbort {
		t.Errorf("UpdateAccessKey with failing update: error %v, want %v itself", err, errAbort)
	}
	got, err = s.GetAccessKey(ctx, k.ID)
	must(t, "GetAccessKey after aborted update", err)
	checkAccessKey(t, got, want)

	// An update may not move the record to another id.
	err = s.UpdateAccessKey(ctx, k.ID, func(got store.AccessKey) (store.AccessKey, error) {
		got.ID = "AKIAMOVED0000000001"
		return got, nil
	})
	if err == nil {
		t.Errorf("UpdateAccessKey changing the id succeeded, want an error")
	}
	_, err = s.GetAccessKey(ctx, "AKIAMOVED0000000001")
	checkErr(t, "GetAccessKey of the changed id", err, store.ErrNotFound)
	got, err = s.GetAccessKey(ctx, k.ID)
	must(t, "GetAccessKey after id change", err)
	checkAccessKey(t, got, want)

	called := false
	err = s.UpdateAccessKey(ctx, "AKIAMISSING00000001", func(got store.AccessKey) (store.AccessKey, error) {
		called = true
		return got, nil
	})
	checkErr(t, "UpdateAccessKey missing", err, store.ErrNotFound)
	if called {
		t.Errorf("UpdateAccessKey called update for a missing key")
	}
}

// testUpdateAccessKeyConcurrent runs many updates at once. Each increments a counter kept in
// Secret and sets Active to the counter's parity: a lost or doubled update shows in the final
// count, and an update that saw a half-written record shows as a parity mismatch.
func testUpdateAccessKeyConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	const id = "AKIACONCURRENT00001"
	must(t, "CreateAccessKey", s.CreateAccessKey(ctx, store.AccessKey{ID: id, Secret: "0", AccountID: accountA, Active: true, CreatedAt: t0}))

	const workers, perWorker = 10, 5
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				err := s.UpdateAccessKey(ctx, id, func(k store.AccessKey) (store.AccessKey, error) {
					n, err := strconv.Atoi(k.Secret)
					if err != nil {
						return k, fmt.Errorf("counter %q: %w", k.Secret, err)
					}
					if k.Active != (n%2 == 0) {
						return k, fmt.Errorf("inconsistent record: counter %d, active %v", n, k.Active)
					}
					k.Secret, k.Active = strconv.Itoa(n+1), (n+1)%2 == 0
					return k, nil
				})
				if err != nil {
					t.Errorf("worker %d update %d: %v", w, i, err)
				}
			}
		})
	}
	wg.Wait()
	got, err := s.GetAccessKey(ctx, id)
	must(t, "GetAccessKey", err)
	if want := strconv.Itoa(workers * perWorker); got.Secret != want || got.Active != true {
		t.Errorf("after %d updates: counter %s, active %v; want %s, true", workers*perWorker, got.Secret, got.Active, want)
	}
}

func newSession(id, account string, created, expires time.Time) store.Session {
	h := sha256.Sum256([]byte("token of " + id))
	h[0], h[1] = 0x00, 0xff // a NUL and a non-UTF-8 byte, which text handling would mangle
	return store.Session{
		AccessKeyID: id,
		Secret:      "secret-" + id,
		TokenHash:   h[:],
		AccountID:   account,
		RoleName:    "DeployAdmin",
		RoleID:      "AROADEPLOY000000001",
		SessionName: "alice@example.com",
		RolePath:    "/deploy/",
		SourceARN:   "arn:aws:iam::" + account + ":user/alice",
		Policy:      "{\n \"Version\": \"2012-10-17\", \"Statement\": []}",
		PolicyARNs:  []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::" + account + ":policy/p/Narrow"},
		Tags:        map[string]string{"team": "Tier 2", "Cost-Center": "é42"},
		// TransitiveTagKeys keeps its order.
		TransitiveTagKeys: []string{"team", "Cost-Center"},
		CreatedAt:         created,
		ExpiresAt:         expires,
	}
}

func testSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	sess := newSession("ASIASESSION00000001", accountA, t0, t0.Add(time.Hour))
	want := sess
	want.TokenHash = slices.Clone(sess.TokenHash)
	must(t, "CreateSession", s.CreateSession(ctx, sess))
	sess.TokenHash[2] ^= 0xff // the store must have kept its own copy
	got, err := s.GetSession(ctx, want.AccessKeyID)
	must(t, "GetSession", err)
	checkSession(t, got, want)
	if len(got.TokenHash) != sha256.Size {
		t.Errorf("TokenHash has %d bytes, want %d", len(got.TokenHash), sha256.Size)
	}

	dup := newSession(want.AccessKeyID, accountB, t0, t0.Add(2*time.Hour))
	checkErr(t, "CreateSession duplicate", s.CreateSession(ctx, dup), store.ErrAlreadyExists)
	got, err = s.GetSession(ctx, want.AccessKeyID)
	must(t, "GetSession after duplicate", err)
	checkSession(t, got, want)

	orphan := newSession("ASIAORPHAN000000001", missingAccount, t0, t0.Add(time.Hour))
	checkErr(t, "CreateSession in missing account", s.CreateSession(ctx, orphan), store.ErrNotFound)
	_, err = s.GetSession(ctx, orphan.AccessKeyID)
	checkErr(t, "GetSession of refused session", err, store.ErrNotFound)
	_, err = s.GetSession(ctx, "ASIAMISSING00000001")
	checkErr(t, "GetSession missing", err, store.ErrNotFound)
}

func testDeleteExpiredSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	now := t0
	long := newSession("ASIAEXPIREDLONG0001", accountA, now.Add(-3*time.Hour), now.Add(-2*time.Hour))
	just := newSession("ASIAEXPIREDJUST0001", accountA, now.Add(-time.Hour), now.Add(-time.Millisecond))
	edge := newSession("ASIAEXPIRESNOW00001", accountA, now.Add(-time.Hour), now) // not before now
	live := newSession("ASIALIVE00000000001", accountA, now, now.Add(time.Hour))
	for _, sess := range []store.Session{long, just, edge, live} {
		must(t, "CreateSession "+sess.AccessKeyID, s.CreateSession(ctx, sess))
	}

	n, err := s.DeleteExpiredSessions(ctx, now)
	must(t, "DeleteExpiredSessions", err)
	if n != 2 {
		t.Errorf("DeleteExpiredSessions = %d, want 2", n)
	}
	for _, sess := range []store.Session{long, just} {
		_, err := s.GetSession(ctx, sess.AccessKeyID)
		checkErr(t, "GetSession of expired "+sess.AccessKeyID, err, store.ErrNotFound)
	}
	for _, sess := range []store.Session{edge, live} {
		got, err := s.GetSession(ctx, sess.AccessKeyID)
		must(t, "GetSession of kept "+sess.AccessKeyID, err)
		checkSession(t, got, sess)
	}

	n, err = s.DeleteExpiredSessions(ctx, now)
	must(t, "DeleteExpiredSessions again", err)
	if n != 0 {
		t.Errorf("DeleteExpiredSessions again = %d, want 0", n)
	}
	n, err = s.DeleteExpiredSessions(ctx, now.Add(2*time.Hour))
	must(t, "DeleteExpiredSessions later", err)
	if n != 2 {
		t.Errorf("DeleteExpiredSessions later = %d, want 2", n)
	}
}

func testAccountIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	ua := store.User{AccountID: accountA, Name: "alice", ID: "AIDAINACCOUNTA00001", Path: "/a/", CreatedAt: t0}
	ub := store.User{AccountID: accountB, Name: "Alice", ID: "AIDAINACCOUNTB00001", Path: "/b/", CreatedAt: t0.Add(time.Hour)}
	ra := store.Role{AccountID: accountA, Name: "Admin", ID: "AROAINACCOUNTA00001", TrustPolicy: "{}", MaxSessionDuration: 3600, CreatedAt: t0}
	rb := store.Role{AccountID: accountB, Name: "admin", ID: "AROAINACCOUNTB00001", TrustPolicy: "{}", MaxSessionDuration: 7200, CreatedAt: t0}
	must(t, "CreateUser in A", s.CreateUser(ctx, ua))
	must(t, "CreateUser same name in B", s.CreateUser(ctx, ub))
	must(t, "CreateRole in A", s.CreateRole(ctx, ra))
	must(t, "CreateRole same name in B", s.CreateRole(ctx, rb))

	for _, want := range []store.User{ua, ub} {
		got, err := s.GetUser(ctx, want.AccountID, "ALICE")
		must(t, "GetUser in "+want.AccountID, err)
		checkUser(t, got, want)
		list, err := s.ListUsers(ctx, want.AccountID, store.Page{})
		must(t, "ListUsers in "+want.AccountID, err)
		if len(list) != 1 {
			t.Fatalf("ListUsers in %s = %+v, want just %+v", want.AccountID, list, want)
		}
		checkUser(t, list[0], want)
	}
	for _, want := range []store.Role{ra, rb} {
		got, err := s.GetRole(ctx, want.AccountID, "ADMIN")
		must(t, "GetRole in "+want.AccountID, err)
		checkRole(t, got, want)
		list, err := s.ListRoles(ctx, want.AccountID, store.Page{})
		must(t, "ListRoles in "+want.AccountID, err)
		if len(list) != 1 {
			t.Fatalf("ListRoles in %s = %+v, want just %+v", want.AccountID, list, want)
		}
		checkRole(t, list[0], want)
	}

	must(t, "DeleteUser in A", s.DeleteUser(ctx, accountA, "alice"))
	must(t, "DeleteRole in A", s.DeleteRole(ctx, accountA, "admin"))
	got, err := s.GetUser(ctx, accountB, "alice")
	must(t, "GetUser in B after deleting A's", err)
	checkUser(t, got, ub)
	gotRole, err := s.GetRole(ctx, accountB, "admin")
	must(t, "GetRole in B after deleting A's", err)
	checkRole(t, gotRole, rb)
}

// testTimestamps checks times far from t0: the zero time, times before 1970 and after 2262
// (where unix nanoseconds overflow), and a whole-microsecond time, which must come back exact.
func testTimestamps(t *testing.T, s store.Store) {
	ctx := t.Context()
	times := []time.Time{
		{},
		time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(2300, 6, 1, 12, 0, 0, 1000, time.FixedZone("UTC-7", -7*60*60)),
		time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.Local),
	}
	for i, ts := range times {
		a := store.Account{ID: fmt.Sprintf("%012d", 500000000000+i), CreatedAt: ts}
		must(t, "CreateAccount", s.CreateAccount(ctx, a))
		got, err := s.GetAccount(ctx, a.ID)
		must(t, "GetAccount", err)
		checkAccount(t, got, a)
		if !got.CreatedAt.Equal(ts) {
			t.Errorf("CreatedAt %v came back as %v", ts, got.CreatedAt)
		}
	}
}
