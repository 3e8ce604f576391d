package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// RunShared runs the cross-replica suite: what must hold when several replicas share one
// database, each through a connection pool of its own. newPair must return two separate
// handles (two pools, as two replicas have) on one new, empty database each time it is
// called; RunShared closes both when the subtest that asked for them ends, and fails if either
// Close fails. Races split their racers between the handles, and what one handle writes the
// other must read back at once: a store may not cache.
func RunShared(t *testing.T, newPair func(t *testing.T) (a, b store.Store)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, a, b store.Store)
	}{
		{"ReadBack", testSharedReadBack},
		{"CreateUser", testSharedCreateUser},
		{"CreateRole", testSharedCreateRole},
		{"CreateConnectUser", testSharedCreateConnectUser},
		{"MarkTokenUsed", testSharedMarkTokenUsed},
		{"UpdateAccessKey", testSharedUpdateAccessKey},
		{"RevokeFamily", testSharedRevokeFamily},
		{"CreateInstanceConcurrent", testCreateInstanceConcurrent},
		{"InstanceAllOrNothingVisible", testInstanceAllOrNothingVisible},
		{"CreateConnectUserDuringDeleteInstance", testCreateConnectUserDuringDeleteInstance},
		{"DeleteExpiredTokenRecordsConcurrent", testDeleteExpiredTokenRecordsConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newPair(t)
			t.Cleanup(func() {
				if err := errors.Join(a.Close(), b.Close()); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, a, b)
		})
	}
}

// spell returns name spelt as given, in lower case or in upper case, by i: IAM names that are
// one name to the store.
func spell(name string, i int) string {
	switch i % 3 {
	case 1:
		return strings.ToLower(name)
	case 2:
		return strings.ToUpper(name)
	}
	return name
}

// testSharedReadBack writes through one handle and reads through the other, in both
// directions, every kind of record: each read sees the write before it at once. Each record is
// read before it is written too, so that a store caching what it read (a record, or its
// absence) would return the stale answer.
func testSharedReadBack(t *testing.T, a, b store.Store) {
	ctx := t.Context()
	_, err := b.GetAccount(ctx, accountA)
	checkErr(t, "GetAccount before the create", err, store.ErrNotFound)
	createAccounts(t, a, accountA)
	got, err := b.GetAccount(ctx, accountA)
	must(t, "GetAccount on b", err)
	checkAccount(t, got, store.Account{ID: accountA, CreatedAt: t0})

	// A user deleted on one replica and created again, with other fields, on the other.
	u := store.User{AccountID: accountA, Name: "Alice", ID: "AIDASHARED000000001", Path: "/a/", CreatedAt: t0}
	_, err = b.GetUser(ctx, accountA, u.Name)
	checkErr(t, "GetUser before the create", err, store.ErrNotFound)
	must(t, "CreateUser on a", a.CreateUser(ctx, u))
	gotU, err := b.GetUser(ctx, accountA, "alice")
	must(t, "GetUser on b", err)
	checkUser(t, gotU, u)
	must(t, "DeleteUser on b", b.DeleteUser(ctx, accountA, "ALICE"))
	_, err = a.GetUser(ctx, accountA, u.Name)
	checkErr(t, "GetUser on a after the delete on b", err, store.ErrNotFound)
	u2 := store.User{AccountID: accountA, Name: "alice", ID: "AIDASHARED000000002", Path: "/b/", CreatedAt: t0.Add(time.Hour)}
	must(t, "CreateUser again on a", a.CreateUser(ctx, u2))
	gotU, err = b.GetUser(ctx, accountA, u.Name)
	must(t, "GetUser on b after the new create", err)
	checkUser(t, gotU, u2)

	r := store.Role{AccountID: accountA, Name: "Admin", ID: "AROASHARED000000001", TrustPolicy: "{}", MaxSessionDuration: 3600, CreatedAt: t0}
	_, err = a.GetRole(ctx, accountA, r.Name)
	checkErr(t, "GetRole before the create", err, store.ErrNotFound)
	must(t, "CreateRole on b", b.CreateRole(ctx, r))
	gotR, err := a.GetRole(ctx, accountA, r.Name)
	must(t, "GetRole on a", err)
	checkRole(t, gotR, r)
	must(t, "DeleteRole on a", a.DeleteRole(ctx, accountA, r.Name))
	_, err = b.GetRole(ctx, accountA, r.Name)
	checkErr(t, "GetRole on b after the delete on a", err, store.ErrNotFound)

	// An access key updated in turn on each replica.
	k := store.AccessKey{ID: "AKIASHARED000000001", Secret: "s0", AccountID: accountA, UserName: "Alice", Active: true, CreatedAt: t0}
	_, err = b.GetAccessKey(ctx, k.ID)
	checkErr(t, "GetAccessKey before the create", err, store.ErrNotFound)
	must(t, "CreateAccessKey on a", a.CreateAccessKey(ctx, k))
	for i := range 4 {
		w, rd := either(a, b)(i), either(a, b)(i+1)
		got, err := rd.GetAccessKey(ctx, k.ID)
		must(t, "GetAccessKey", err)
		checkAccessKey(t, got, k)
		k.Secret, k.Active = fmt.Sprintf("s%d", i+1), !k.Active
		must(t, "UpdateAccessKey", w.UpdateAccessKey(ctx, k.ID, func(old store.AccessKey) (store.AccessKey, error) {
			old.Secret, old.Active = k.Secret, k.Active
			return old, nil
		}))
		got, err = rd.GetAccessKey(ctx, k.ID)
		must(t, fmt.Sprintf("GetAccessKey after update %d", i+1), err)
		checkAccessKey(t, got, k)
	}
	must(t, "DeleteAccessKey on a", a.DeleteAccessKey(ctx, k.ID))
	_, err = b.GetAccessKey(ctx, k.ID)
	checkErr(t, "GetAccessKey on b after the delete on a", err, store.ErrNotFound)
	list, err := b.ListAccessKeys(ctx, accountA, k.UserName)
	must(t, "ListAccessKeys on b after the delete on a", err)
	if len(list) != 0 {
		t.Errorf("ListAccessKeys on b after the delete on a = %+v, want none", list)
	}

	sess := newSession("ASIASHARED000000001", accountA, t0, t0.Add(time.Hour))
	_, err = b.GetSession(ctx, sess.AccessKeyID)
	checkErr(t, "GetSession before the create", err, store.ErrNotFound)
	must(t, "CreateSession on a", a.CreateSession(ctx, sess))
	gotS, err := b.GetSession(ctx, sess.AccessKeyID)
	must(t, "GetSession on b", err)
	checkSession(t, gotS, sess)
	n, err := b.DeleteExpiredSessions(ctx, t0.Add(2*time.Hour))
	must(t, "DeleteExpiredSessions on b", err)
	if n != 1 {
		t.Errorf("DeleteExpiredSessions on b = %d, want 1", n)
	}
	_, err = a.GetSession(ctx, sess.AccessKeyID)
	checkErr(t, "GetSession on a after the purge on b", err, store.ErrNotFound)

	// An instance with its profiles and a user, created on one replica and deleted on the other.
	in := newInstance(accountA, regionA, 1, "shared")
	sec, rout := []store.Profile{newProfile(in.ID, 1, "Admin")}, []store.Profile{newProfile(in.ID, 2, "Basic")}
	_, err = b.GetInstance(ctx, accountA, regionA, in.ID)
	checkErr(t, "GetInstance before the create", err, store.ErrNotFound)
	checkProfiles(t, b, in.ID, nil, nil)
	createInstance(t, a, in, sec, rout)
	gotIn, err := b.GetInstance(ctx, accountA, regionA, in.ID)
	must(t, "GetInstance on b", err)
	checkInstance(t, gotIn, in)
	checkProfiles(t, b, in.ID, sec, rout)
	cu := newConnectUser(in.ID, "u-0001", "alice")
	_, err = a.GetConnectUserByUsername(ctx, in.ID, cu.Username)
	checkErr(t, "GetConnectUserByUsername before the create", err, store.ErrNotFound)
	must(t, "CreateConnectUser on b", b.CreateConnectUser(ctx, cu))
	gotCU, err := a.GetConnectUserByUsername(ctx, in.ID, cu.Username)
	must(t, "GetConnectUserByUsername on a", err)
	checkConnectUser(t, gotCU, cu)
	must(t, "DeleteConnectUser on a", a.DeleteConnectUser(ctx, in.ID, cu.ID))
	_, err = b.GetConnectUser(ctx, in.ID, cu.ID)
	checkErr(t, "GetConnectUser on b after the delete on a", err, store.ErrNotFound)
	must(t, "CreateConnectUser again on a", a.CreateConnectUser(ctx, cu))
	must(t, "DeleteInstance on b", b.DeleteInstance(ctx, accountA, regionA, in.ID))
	checkNoInstance(t, a, in, "on a after DeleteInstance on b")

	sk := store.SigningKey{ID: "k1", Secret: []byte("secret"), CreatedAt: t0}
	checkSigningKeyIDs(t, a, nil)
	must(t, "CreateSigningKey on b", b.CreateSigningKey(ctx, sk))
	checkSigningKeyIDs(t, a, []string{sk.ID})
	must(t, "DeleteSigningKey on a", a.DeleteSigningKey(ctx, sk.ID))
	checkSigningKeyIDs(t, b, nil)

	tok := tokenID(1)
	fam := store.RevokedFamily{FamilyID: familyID(1), RevokedAt: t0, Until: t0.Add(time.Hour)}
	checkTokenUsed(t, b, tok, false)
	must(t, "MarkTokenUsed on a", a.MarkTokenUsed(ctx, tok, fam.FamilyID, fam.Until))
	checkTokenUsed(t, b, tok, true)
	checkErr(t, "MarkTokenUsed again on b", b.MarkTokenUsed(ctx, tok, fam.FamilyID, fam.Until), store.ErrAlreadyExists)
	checkFamilyRevoked(t, b, fam.FamilyID, time.Time{})
	checkRevokedFamilies(t, b, time.Time{})
	must(t, "RevokeFamily on a", a.RevokeFamily(ctx, fam.FamilyID, fam.RevokedAt, fam.Until))
	checkFamilyRevoked(t, b, fam.FamilyID, fam.RevokedAt)
	checkRevokedFamilies(t, b, time.Time{}, fam)
	fam.RevokedAt = t0.Add(-time.Minute)
	must(t, "RevokeFamily earlier on b", b.RevokeFamily(ctx, fam.FamilyID, fam.RevokedAt, fam.Until))
	checkFamilyRevoked(t, a, fam.FamilyID, fam.RevokedAt)
	n, err = a.DeleteExpiredTokenRecords(ctx, t0.Add(2*time.Hour))
	must(t, "DeleteExpiredTokenRecords on a", err)
	if n != 2 {
		t.Errorf("DeleteExpiredTokenRecords on a = %d, want 2", n)
	}
	checkTokenUsed(t, b, tok, false)
	checkFamilyRevoked(t, b, fam.FamilyID, time.Time{})
}

// checkSigningKeyIDs fails unless s lists exactly the signing keys of these ids, in order.
func checkSigningKeyIDs(t *testing.T, s store.Store, want []string) {
	t.Helper()
	list, err := s.ListSigningKeys(t.Context())
	must(t, "ListSigningKeys", err)
	if got := keys(list, func(k store.SigningKey) string { return k.ID }); !slices.Equal(got, want) {
		t.Errorf("ListSigningKeys = %q, want %q", got, want)
	}
}

// testSharedCreateUser races creations of one user name, spelt in different cases, split
// between two replicas: exactly one user is created, every other racer gets
// ErrAlreadyExists, and both replicas read the winner back.
func testSharedCreateUser(t *testing.T, a, b store.Store) {
	ctx := t.Context()
	createAccounts(t, a, accountA)
	pick := either(a, b)
	const rounds, racers = 2, 8
	for round := range rounds {
		name := fmt.Sprintf("Shared%d", round)
		users := make([]store.User, racers)
		for i := range users {
			users[i] = store.User{AccountID: accountA, Name: spell(name, i), ID: fmt.Sprintf("AIDASHARED%02d%07d", round, i), Path: "/", CreatedAt: t0}
		}
		what := fmt.Sprintf("round %d: CreateUser %s", round, name)
		w := race(t, what, racers, func(i int) error { return pick(i).CreateUser(ctx, users[i]) })
		if w < 0 {
			continue
		}
		for _, s := range []store.Store{a, b} {
			got, err := s.GetUser(ctx, accountA, name)
			must(t, what+": GetUser", err)
			checkUser(t, got, users[w])
		}
	}
	for _, s := range []store.Store{a, b} {
		list, err := s.ListUsers(ctx, accountA, store.Page{})
		must(t, "ListUsers", err)
		if len(list) != rounds {
			t.Errorf("ListUsers after the races = %+v, want %d users", list, rounds)
		}
	}
}

// testSharedCreateRole is testSharedCreateUser for roles.
func testSharedCreateRole(t *testing.T, a, b store.Store) {
	ctx := t.Context()
	createAccounts(t, a, accountA)
	pick := either(a, b)
	const rounds, racers = 2, 8
	for round := range rounds {
		name := fmt.Sprintf("SharedRole%d", round)
		roles := make([]store.Role, racers)
		for i := range roles {
			roles[i] = store.Role{AccountID: accountA, Name: spell(name, i), ID: fmt.Sprintf("AROASHARED%02d%07d", round, i),
				Path: "/", TrustPolicy: fmt.Sprintf(`{"racer":%d}`, i), MaxSessionDuration: 3600 + i, CreatedAt: t0}
		}
		what := fmt.Sprintf("round %d: CreateRole %s", round, name)
		w := race(t, what, racers, func(i int) error { return pick(i).CreateRole(ctx, roles[i]) })
		if w < 0 {
			continue
		}
		for _, s := range []store.Store{a, b} {
			got, err := s.GetRole(ctx, accountA, name)
			must(t, what+": GetRole", err)
			checkRole(t, got, roles[w])
		}
	}
	for _, s := range []store.Store{a, b} {
		list, err := s.ListRoles(ctx, accountA, store.Page{})
		must(t, "ListRoles", err)
		if len(list) != rounds {
			t.Errorf("ListRoles after the races = %+v, want %d roles", list, rounds)
		}
	}
}

// testSharedCreateConnectUser races creations of one Connect username in one instance, with
// different ids, split between two replicas: exactly one user is created, every other racer
// gets ErrAlreadyExists and leaves no user, and both replicas read the winner back.
func testSharedCreateConnectUser(t *testing.T, a, b store.Store) {
	ctx := t.Context()
	createAccounts(t, a, accountA)
	in := newInstance(accountA, regionA, 1, "shared")
	createInstance(t, a, in, nil, nil)
	pick := either(a, b)
	const rounds, racers = 2, 8
	for round := range rounds {
		username := fmt.Sprintf("racer%d", round)
		users := make([]store.ConnectUser, racers)
		for i := range users {
			users[i] = newConnectUser(in.ID, fmt.Sprintf("shared-%d-%02d", round, i), username)
		}
		what := fmt.Sprintf("round %d: CreateConnectUser %s", round, username)
		w := race(t, what, racers, func(i int) error { return pick(i).CreateConnectUser(ctx, users[i]) })
		if w < 0 {
			continue
		}
		for _, s := range []store.Store{a, b} {
			got, err := s.GetConnectUserByUsername(ctx, in.ID, username)
			must(t, what+": GetConnectUserByUsername", err)
			checkConnectUser(t, got, users[w])
		}
		for i, u := range users {
			if i != w {
				_, err := pick(i+1).GetConnectUser(ctx, in.ID, u.ID)
				checkErr(t, what+": GetConnectUser of a loser", err, store.ErrNotFound)
			}
		}
	}
	list, err := b.ListConnectUsers(ctx, in.ID, store.Page{})
	must(t, "ListConnectUsers", err)
	if len(list) != rounds {
		t.Errorf("ListConnectUsers after the races = %d users, want %d", len(list), rounds)
	}
}

// testSharedMarkTokenUsed races uses of one token split between two replicas, as a stolen
// refresh token presented to both at once: exactly one use wins, every other is told it is a
// replay, and both replicas see the token used.
func testSharedMarkTokenUsed(t *testing.T, a, b store.Store) {
	ctx := t.Context()
	pick := either(a, b)
	const rounds, racers = 3, 8
	for round := range rounds {
		tok := tokenID(100 + round)
		what := fmt.Sprintf("round %d: MarkTokenUsed", round)
		race(t, what, racers, func(i int) error { return pick(i).MarkTokenUsed(ctx, tok, familyID(1), t0.Add(time.Hour)) })
		for _, s := range []store.Store{a, b} {
			checkTokenUsed(t, s, tok, true)
			checkErr(t, what+": after the race", s.MarkTokenUsed(ctx, tok, familyID(1), t0.Add(time.Hour)), store.ErrAlreadyExists)
		}
	}
}

// testSharedUpdateAccessKey runs updates of one key from both replicas at once. Each appends
// its own tag to the Secret and flips Active: the final Secret must hold every tag exactly
// once (a lost update drops one, a doubled one repeats it), and Active must match the number
// of tags (an update that read a stale or half-written record would break the parity).
func testSharedUpdateAccessKey(t *testing.T, a, b store.Store) {
	ctx := t.Context()
	createAccounts(t, a, accountA)
	const id = "AKIASHAREDUPDATE001"
	must(t, "CreateAccessKey", a.CreateAccessKey(ctx, store.AccessKey{ID: id, Secret: "", AccountID: accountA, Active: true, CreatedAt: t0}))
	pick := either(a, b)
	const workers, perWorker = 6, 5
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			for i := range perWorker {
				tag := fmt.Sprintf("w%d.%d", w, i)
				err := pick(w).UpdateAccessKey(ctx, id, func(k store.AccessKey) (store.AccessKey, error) {
					n := len(strings.Fields(k.Secret))
					if k.Active != (n%2 == 0) {
						return k, fmt.Errorf("inconsistent record: %d tags, active %v", n, k.Active)
					}
					k.Secret, k.Active = strings.TrimSpace(k.Secret+" "+tag), !k.Active
					return k, nil
				})
				if err != nil {
					t.Errorf("worker %d update %d: %v", w, i, err)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	var want []string
	for w := range workers {
		for i := range perWorker {
			want = append(want, fmt.Sprintf("w%d.%d", w, i))
		}
	}
	for _, s := range []store.Store{a, b} {
		got, err := s.GetAccessKey(ctx, id)
		must(t, "GetAccessKey", err)
		tags := strings.Fields(got.Secret)
		slices.Sort(tags)
		if !slices.Equal(tags, slices.Sorted(slices.Values(want))) || got.Active != (len(tags)%2 == 0) {
			t.Errorf("after %d updates: tags %q, active %v; want each of %q once, active %v", len(want), tags, got.Active, want, len(want)%2 == 0)
		}
	}
}

// testSharedRevokeFamily races revocations of one family with different times, split between
// two replicas: the record ends with the earliest time and the latest until of them all, as
// both replicas read it.
func testSharedRevokeFamily(t *testing.T, a, b store.Store) {
	ctx := t.Context()
	pick := either(a, b)
	const racers = 12
	fam := familyID(1)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		// Racer 5 has the earliest time and racer 8 the latest until, on different replicas.
		at := t0.Add(time.Duration((i+racers-5)%racers) * time.Second)
		until := t0.Add(time.Hour - time.Duration((i+racers-8)%racers)*time.Second)
		wg.Go(func() {
			<-start
			if err := pick(i).RevokeFamily(ctx, fam, at, until); err != nil {
				t.Errorf("racer %d: RevokeFamily: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	for _, s := range []store.Store{a, b} {
		checkRevokedFamilies(t, s, time.Time{}, store.RevokedFamily{FamilyID: fam, RevokedAt: t0, Until: t0.Add(time.Hour)})
		checkFamilyRevoked(t, s, fam, t0)
	}
}
