package storetest

// The transaction suite: every operation that writes more than one record, or reads a record
// to write it back, is all or nothing and isolated, and a write that fails (a conflict, a
// refused update, a cancelled context) leaves nothing behind. The tests that race take two
// handles: Run gives them one store twice, RunShared two replicas of one database.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// onOne runs a test of two handles with one store as both.
func onOne(fn func(t *testing.T, a, b store.Store)) func(t *testing.T, s store.Store) {
	return func(t *testing.T, s store.Store) { fn(t, s, s) }
}

// either returns a for an even i and b for an odd one: how racers are split between handles.
func either(a, b store.Store) func(i int) store.Store {
	return func(i int) store.Store {
		if i%2 == 0 {
			return a
		}
		return b
	}
}

// testCreateInstanceTakenID checks that a CreateInstance refused because its id is taken, in
// the same place or in another account or region, writes none of its profiles (neither new
// ones nor ones that would overwrite the existing instance's) and does not take its alias.
func testCreateInstanceTakenID(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	in := newInstance(accountA, regionA, 1, "first")
	sec := []store.Profile{newProfile(in.ID, 1, "Admin")}
	rout := []store.Profile{newProfile(in.ID, 2, "Basic")}
	createInstance(t, s, in, sec, rout)

	places := []struct{ account, region string }{{accountA, regionA}, {accountA, regionB}, {accountB, regionA}}
	for i, p := range places {
		where := p.account + " " + p.region
		dup := newInstance(p.account, p.region, 1, "second")
		dupSec := []store.Profile{newProfile(in.ID, 10+i, "New admin"), newProfile(in.ID, 1, "Overwritten admin")}
		dupRout := []store.Profile{newProfile(in.ID, 20+i, "New basic"), newProfile(in.ID, 2, "Overwritten basic")}
		checkErr(t, "CreateInstance with a taken id in "+where, s.CreateInstance(ctx, dup, profilesOf(dupSec, dupRout)), store.ErrAlreadyExists)
		checkProfiles(t, s, in.ID, sec, rout)
		got, err := s.GetInstance(ctx, accountA, regionA, in.ID)
		must(t, "GetInstance after a taken id in "+where, err)
		checkInstance(t, got, in)
		list, err := s.ListInstances(ctx, p.account, p.region, store.Page{})
		must(t, "ListInstances in "+where, err)
		want := []string{in.ID} // only the first place holds the instance
		if i > 0 {
			want = nil
		}
		if got := keys(list, func(in store.Instance) string { return in.ID }); !slices.Equal(got, want) {
			t.Errorf("ListInstances in %s after a taken id = %q, want %q", where, got, want)
		}
	}
	// The refused creates took no alias: each is free in the place it was refused in.
	for i, p := range places {
		other := newInstance(p.account, p.region, 100+i, "SECOND")
		createInstance(t, s, other, []store.Profile{newProfile(other.ID, 1, "Admin")}, nil)
	}
	checkProfiles(t, s, in.ID, sec, rout)
}

// testCreateInstanceConcurrent races CreateInstance calls that conflict, each with profiles of
// its own, as replicas serving two CreateInstance requests at once would: on one alias (spelt
// in different cases), then on one id (in different regions). Exactly one creates its
// instance, every other gets ErrAlreadyExists, and no loser leaves its instance or a single
// profile behind, not even under the winner's id.
func testCreateInstanceConcurrent(t *testing.T, a, b store.Store) {
	ctx := t.Context()
	createAccounts(t, a, accountA)
	pick := either(a, b)
	regions := []string{"us-east-1", "us-west-2", "eu-west-1", "eu-west-2", "ap-south-1", "sa-east-1"}
	const racers = 6
	type racer struct {
		in        store.Instance
		sec, rout []store.Profile
	}
	for round, sameID := range []bool{false, true} {
		what := fmt.Sprintf("round %d: CreateInstance on one alias", round)
		if sameID {
			what = fmt.Sprintf("round %d: CreateInstance on one id", round)
		}
		rs := make([]racer, racers)
		for i := range rs {
			n := 100*(round+1) + i
			in := newInstance(accountA, regionA, n, []string{"Race", "race", "RACE"}[i%3])
			if sameID {
				in.ID, in.Region, in.Alias = instanceID(100*(round+1)), regions[i], fmt.Sprintf("race-%d", i)
			}
			rs[i] = racer{in,
				[]store.Profile{newProfile(in.ID, 10*n, "Admin"), newProfile(in.ID, 10*n+1, "Agent")},
				[]store.Profile{newProfile(in.ID, 10*n+2, "Basic")}}
		}
		w := race(t, what, racers, func(i int) error { return pick(i).CreateInstance(ctx, rs[i].in, profilesOf(rs[i].sec, rs[i].rout)) })
		if w < 0 {
			continue
		}
		// Read back through the handle the winner did not write on.
		other := pick(w + 1)
		got, err := other.GetInstance(ctx, accountA, rs[w].in.Region, rs[w].in.ID)
		must(t, what+": GetInstance of the winner", err)
		checkInstance(t, got, rs[w].in)
		checkProfiles(t, other, rs[w].in.ID, rs[w].sec, rs[w].rout)
		for i, r := range rs {
			switch {
			case i == w:
			case sameID: // the id is the winner's: its profiles, checked above, are exactly the winner's
				_, err := a.GetInstance(ctx, accountA, r.in.Region, r.in.ID)
				checkErr(t, what+": GetInstance of a loser", err, store.ErrNotFound)
			default:
				checkNoInstance(t, other, r.in, what+": loser")
			}
		}
	}
	total := 0
	for _, region := range regions {
		list, err := b.ListInstances(ctx, accountA, region, store.Page{})
		must(t, "ListInstances in "+region, err)
		total += len(list)
	}
	if total != 2 {
		t.Errorf("after 2 races, %d instances exist, want 2", total)
	}
}

// testInstanceAllOrNothingVisible creates and deletes one instance over and over on one
// handle while another lists its security profiles, routing profiles and users, one list
// after the other, forwards and backwards in turn. Each list of profiles has all of them or
// none. While a round creates the instance, which adds all its profiles in one step, a list
// read later cannot have fewer profiles than one read before it; while the round deletes it,
// which removes profiles and users in one step, a list read later cannot have more. A
// CreateInstance or DeleteInstance that wrote part by part, outside one transaction, would
// show a part, or one kind of record without the other in one of the two reading orders.
func testInstanceAllOrNothingVisible(t *testing.T, a, b store.Store) {
	ctx := t.Context()
	createAccounts(t, a, accountA)
	const rounds, n = 12, 4
	in := newInstance(accountA, regionA, 1, "flicker")
	var (
		sec, rout []store.Profile
		users     []store.ConnectUser
	)
	for i := range n {
		sec = append(sec, newProfile(in.ID, 10+i, fmt.Sprintf("Security %d", i)))
		rout = append(rout, newProfile(in.ID, 20+i, fmt.Sprintf("Routing %d", i)))
		users = append(users, newConnectUser(in.ID, fmt.Sprintf("u-%04d", i), fmt.Sprintf("user%d", i)))
	}
	lists := []struct {
		name string
		len  func() (int, error)
	}{
		{"security profiles", func() (int, error) {
			l, err := b.ListProfiles(ctx, store.SecurityProfiles, in.ID, store.Page{})
			return len(l), err
		}},
		{"routing profiles", func() (int, error) {
			l, err := b.ListProfiles(ctx, store.RoutingProfiles, in.ID, store.Page{})
			return len(l), err
		}},
		{"users", func() (int, error) { l, err := b.ListConnectUsers(ctx, in.ID, store.Page{}); return len(l), err }},
	}

	// phase is 2r+1 from when round r's users are all created until its DeleteInstance
	// returned (the deletion), and even from then until the next round's users are all
	// created (the creation).
	var (
		phase atomic.Int64
		reads int
		wg    sync.WaitGroup
	)
	done := make(chan struct{})
	stop := sync.OnceFunc(func() { close(done); wg.Wait() })
	defer stop()
	wg.Go(func() {
		for i := 0; ; i++ {
			order := []int{0, 1, 2}
			if i%2 == 1 {
				order = []int{2, 1, 0}
			}
			var names []string
			var seen []int // in reading order
			p1 := phase.Load()
			for _, j := range order {
				c, err := lists[j].len()
				if err != nil {
					t.Errorf("reader: list %s: %v", lists[j].name, err)
					return
				}
				names, seen = append(names, lists[j].name), append(seen, c)
			}
			p2 := phase.Load()
			reads++
			deleting := p1 == p2 && p1%2 == 1
			creating := p1 == p2 && p1%2 == 0
			bad := false
			for k, c := range seen {
				profiles := names[k] != "users"
				if (profiles || deleting) && c != 0 && c != n {
					bad = true // a part
				}
				for j := range k {
					if deleting && c > seen[j] || creating && profiles && names[j] != "users" && c < seen[j] {
						bad = true // a part of the change was visible before another
					}
				}
			}
			if bad {
				t.Errorf("reader listed %q in this order and saw %v records (phase %d to %d): "+
					"want all %d or none, and every kind appearing at once and going at once", names, seen, p1, p2, n)
				return
			}
			select {
			case <-done:
				return
			default:
			}
		}
	})
	for r := range int64(rounds) {
		createInstance(t, a, in, sec, rout)
		for _, u := range users {
			must(t, "CreateConnectUser "+u.Username, a.CreateConnectUser(ctx, u))
		}
		phase.Store(2*r + 1)
		must(t, "DeleteInstance", a.DeleteInstance(ctx, accountA, regionA, in.ID))
		phase.Store(2*r + 2)
	}
	stop()
	t.Logf("%d reads during %d creations and deletions", reads, rounds)
	checkNoInstance(t, b, in, "after the last round")
}

// testCreateConnectUserDuringDeleteInstance races CreateConnectUser calls against the
// DeleteInstance of their instance. The delete succeeds, and no user outlives the instance:
// each create either failed with ErrNotFound or made a user the delete removed. A user
// committed after the delete removed the instance's users would be an orphan, listed under
// the id of an instance that is gone.
func testCreateConnectUserDuringDeleteInstance(t *testing.T, a, b store.Store) {
	ctx := t.Context()
	createAccounts(t, a, accountA)
	pick := either(a, b)
	const rounds, racers = 4, 6
	created := 0
	for round := range rounds {
		what := fmt.Sprintf("round %d", round)
		in := newInstance(accountA, regionA, 1, "doomed") // the same id each round: the delete frees it
		createInstance(t, pick(round), in, []store.Profile{newProfile(in.ID, 1, "Admin")}, nil)
		users := make([]store.ConnectUser, racers)
		errs := make([]error, racers)
		var delErr error
		// Half the creates start first, half as the delete starts, so that some are likely
		// to land before it and some during or after it.
		start, deleting := make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		for i := range users {
			users[i] = newConnectUser(in.ID, fmt.Sprintf("u-%d-%02d", round, i), fmt.Sprintf("user%d", i))
			wg.Go(func() {
				if i < racers/2 {
					<-start
				} else {
					<-deleting
				}
				errs[i] = pick(i).CreateConnectUser(ctx, users[i])
			})
		}
		wg.Go(func() {
			<-start
			close(deleting)
			delErr = pick(round+1).DeleteInstance(ctx, accountA, regionA, in.ID)
		})
		close(start)
		wg.Wait()
		must(t, what+": DeleteInstance", delErr)
		for i, err := range errs {
			switch {
			case err == nil:
				created++
			case !errors.Is(err, store.ErrNotFound):
				t.Errorf("%s: CreateConnectUser %d racing DeleteInstance: %v, want nil or %v", what, i, err, store.ErrNotFound)
			}
		}
		checkNoInstance(t, a, in, what+": after the race")
		checkNoInstance(t, b, in, what+": after the race")
		for _, u := range users {
			_, err := b.GetConnectUserByUsername(ctx, in.ID, u.Username)
			checkErr(t, what+": GetConnectUserByUsername "+u.Username, err, store.ErrNotFound)
		}
	}
	t.Logf("%d of %d creates came before the delete", created, rounds*racers)
}

// testUpdateAccessKeyRefusedReleases checks what refused updates leave. An update that moves
// the key to another id while changing its other fields writes none of them. And neither that
// refusal, a failing update func nor a missing key leaves anything locked: the next update and
// a delete of the key go through at once. A refusal that forgot to end its transaction would
// hold the row (PostgreSQL) or the database (SQLite) until the deadline below.
func testUpdateAccessKeyRefusedReleases(t *testing.T, s store.Store) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	createAccounts(t, s, accountA)
	k := store.AccessKey{ID: "AKIAREFUSED00000001", Secret: "s1", AccountID: accountA, UserName: "Alice", Active: true, CreatedAt: t0}
	must(t, "CreateAccessKey", s.CreateAccessKey(ctx, k))

	const moved = "AKIAMOVED0000000002"
	err := s.UpdateAccessKey(ctx, k.ID, func(got store.AccessKey) (store.AccessKey, error) {
		got.ID, got.Secret, got.Active, got.UserName = moved, "must not be written", false, "Mallory"
		return got, nil
	})
	if err == nil {
		t.Errorf("UpdateAccessKey changing the id and every other field succeeded, want an error")
	}
	got, err := s.GetAccessKey(ctx, k.ID)
	must(t, "GetAccessKey after the id change", err)
	checkAccessKey(t, got, k)
	_, err = s.GetAccessKey(ctx, moved)
	checkErr(t, "GetAccessKey of the changed id", err, store.ErrNotFound)
	mallory, err := s.ListAccessKeys(ctx, accountA, "Mallory")
	must(t, "ListAccessKeys of the changed user", err)
	if len(mallory) != 0 {
		t.Errorf("ListAccessKeys of the changed user = %+v, want none", mallory)
	}

	errAbort := errors.New("update refused")
	err = s.UpdateAccessKey(ctx, k.ID, func(got store.AccessKey) (store.AccessKey, error) {
		got.Secret = "must not be written either"
		return got, errAbort
	})
	if err != errAbort {
		t.Errorf("UpdateAccessKey with failing update: error %v, want %v itself", err, errAbort)
	}
	err = s.UpdateAccessKey(ctx, "AKIAMISSING00000001", func(got store.AccessKey) (store.AccessKey, error) { return got, nil })
	checkErr(t, "UpdateAccessKey missing", err, store.ErrNotFound)

	want := k
	want.Secret = "s2"
	must(t, "UpdateAccessKey after the refusals", s.UpdateAccessKey(ctx, k.ID, func(got store.AccessKey) (store.AccessKey, error) {
		got.Secret = want.Secret
		return got, nil
	}))
	got, err = s.GetAccessKey(ctx, k.ID)
	must(t, "GetAccessKey after the update", err)
	checkAccessKey(t, got, want)
	must(t, "DeleteAccessKey after the refusals", s.DeleteAccessKey(ctx, k.ID))
	_, err = s.GetAccessKey(ctx, k.ID)
	checkErr(t, "GetAccessKey after the delete", err, store.ErrNotFound)
}

// testCancelledContext makes every kind of write with a context already cancelled. Each
// fails, with an error that is not a store sentinel (every record it names exists or not as
// the sentinel would deny: a cancelled create must not pass for a taken name, nor a cancelled
// delete for a missing record), and writes nothing, which the checks read back with a live
// context. Last, a context cancelled inside UpdateAccessKey's update func, after the read and
// before the write: whatever the call returns, the record must agree with it.
func testCancelledContext(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	user := store.User{AccountID: accountA, Name: "Alice", ID: "AIDACANCEL000000001", Path: "/", CreatedAt: t0}
	role := store.Role{AccountID: accountA, Name: "Admin", ID: "AROACANCEL000000001", TrustPolicy: "{}", MaxSessionDuration: 3600, CreatedAt: t0}
	key := store.AccessKey{ID: "AKIACANCEL000000001", Secret: "s1", AccountID: accountA, UserName: "Alice", Active: true, CreatedAt: t0}
	sess := newSession("ASIACANCEL000000001", accountA, t0.Add(-2*time.Hour), t0.Add(-time.Hour)) // expired
	in := newInstance(accountA, regionA, 1, "kept")
	sec, rout := []store.Profile{newProfile(in.ID, 1, "Admin")}, []store.Profile{newProfile(in.ID, 2, "Basic")}
	cu := newConnectUser(in.ID, "u-0001", "alice")
	sk := store.SigningKey{ID: "k1", Secret: []byte("secret"), CreatedAt: t0}
	fam := store.RevokedFamily{FamilyID: familyID(1), RevokedAt: t0.Add(-2 * time.Hour), Until: t0.Add(-time.Hour)} // expired
	for i, err := range []error{
		s.CreateUser(ctx, user),
		s.CreateRole(ctx, role),
		s.CreateAccessKey(ctx, key),
		s.CreateSession(ctx, sess),
		s.CreateInstance(ctx, in, profilesOf(sec, rout)),
		s.CreateConnectUser(ctx, cu),
		s.CreateSigningKey(ctx, sk),
		s.MarkTokenUsed(ctx, tokenID(1), fam.FamilyID, t0.Add(-time.Hour)), // expired
		s.RevokeFamily(ctx, fam.FamilyID, fam.RevokedAt, fam.Until),
	} {
		must(t, fmt.Sprintf("seed %d", i), err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	later := t0.Add(24 * time.Hour)
	refused := newInstance(accountA, regionA, 2, "refused")
	for _, w := range []struct {
		name  string
		write func(ctx context.Context) error
	}{
		{"CreateAccount", func(c context.Context) error { return s.CreateAccount(c, store.Account{ID: accountB, CreatedAt: t0}) }},
		{"CreateUser", func(c context.Context) error {
			return s.CreateUser(c, store.User{AccountID: accountA, Name: "Bob", ID: "AIDACANCEL000000002", Path: "/", CreatedAt: t0})
		}},
		{"DeleteUser", func(c context.Context) error { return s.DeleteUser(c, accountA, user.Name) }},
		{"CreateRole", func(c context.Context) error {
			r := role
			r.Name, r.ID = "Ops", "AROACANCEL000000002"
			return s.CreateRole(c, r)
		}},
		{"DeleteRole", func(c context.Context) error { return s.DeleteRole(c, accountA, role.Name) }},
		{"CreateAccessKey", func(c context.Context) error {
			k := key
			k.ID = "AKIACANCEL000000002"
			return s.CreateAccessKey(c, k)
		}},
		{"UpdateAccessKey", func(c context.Context) error {
			return s.UpdateAccessKey(c, key.ID, func(k store.AccessKey) (store.AccessKey, error) {
				k.Secret, k.Active = "must not be written", false
				return k, nil
			})
		}},
		{"DeleteAccessKey", func(c context.Context) error { return s.DeleteAccessKey(c, key.ID) }},
		{"CreateSession", func(c context.Context) error {
			return s.CreateSession(c, newSession("ASIACANCEL000000002", accountA, t0, later))
		}},
		{"DeleteExpiredSessions", func(c context.Context) error { _, err := s.DeleteExpiredSessions(c, later); return err }},
		{"CreateInstance", func(c context.Context) error {
			return s.CreateInstance(c, refused, profilesOf([]store.Profile{newProfile(refused.ID, 1, "Admin")}, []store.Profile{newProfile(refused.ID, 2, "Basic")}))
		}},
		{"DeleteInstance", func(c context.Context) error { return s.DeleteInstance(c, accountA, regionA, in.ID) }},
		{"CreateConnectUser", func(c context.Context) error { return s.CreateConnectUser(c, newConnectUser(in.ID, "u-0002", "bob")) }},
		{"DeleteConnectUser", func(c context.Context) error { return s.DeleteConnectUser(c, in.ID, cu.ID) }},
		{"CreateSigningKey", func(c context.Context) error {
			return s.CreateSigningKey(c, store.SigningKey{ID: "k2", Secret: []byte("other"), CreatedAt: t0})
		}},
		{"DeleteSigningKey", func(c context.Context) error { return s.DeleteSigningKey(c, sk.ID) }},
		{"MarkTokenUsed", func(c context.Context) error { return s.MarkTokenUsed(c, tokenID(2), fam.FamilyID, later) }},
		{"RevokeFamily new", func(c context.Context) error { return s.RevokeFamily(c, familyID(2), t0, later) }},
		{"RevokeFamily again", func(c context.Context) error {
			return s.RevokeFamily(c, fam.FamilyID, fam.RevokedAt.Add(-time.Hour), later)
		}},
		{"DeleteExpiredTokenRecords", func(c context.Context) error { _, err := s.DeleteExpiredTokenRecords(c, later); return err }},
	} {
		err := w.write(cancelled)
		if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyExists) {
			t.Errorf("%s with a cancelled context: error %v, want one that is not a store sentinel", w.name, err)
		}
	}

	// Nothing changed.
	_, err := s.GetAccount(ctx, accountB)
	checkErr(t, "GetAccount of the cancelled create", err, store.ErrNotFound)
	users, err := s.ListUsers(ctx, accountA, store.Page{})
	must(t, "ListUsers", err)
	if len(users) != 1 {
		t.Fatalf("ListUsers = %+v, want just %s", users, user.Name)
	}
	checkUser(t, users[0], user)
	roles, err := s.ListRoles(ctx, accountA, store.Page{})
	must(t, "ListRoles", err)
	if len(roles) != 1 {
		t.Fatalf("ListRoles = %+v, want just %s", roles, role.Name)
	}
	checkRole(t, roles[0], role)
	ks, err := s.ListAccessKeys(ctx, accountA, key.UserName)
	must(t, "ListAccessKeys", err)
	if len(ks) != 1 {
		t.Fatalf("ListAccessKeys = %+v, want just %s", ks, key.ID)
	}
	checkAccessKey(t, ks[0], key)
	got, err := s.GetSession(ctx, sess.AccessKeyID)
	must(t, "GetSession of the expired session", err)
	checkSession(t, got, sess)
	_, err = s.GetSession(ctx, "ASIACANCEL000000002")
	checkErr(t, "GetSession of the cancelled create", err, store.ErrNotFound)
	checkNoInstance(t, s, refused, "after the cancelled CreateInstance")
	gotIn, err := s.GetInstance(ctx, accountA, regionA, in.ID)
	must(t, "GetInstance after the cancelled DeleteInstance", err)
	checkInstance(t, gotIn, in)
	checkProfiles(t, s, in.ID, sec, rout)
	cus, err := s.ListConnectUsers(ctx, in.ID, store.Page{})
	must(t, "ListConnectUsers", err)
	if len(cus) != 1 {
		t.Fatalf("ListConnectUsers = %+v, want just %s", cus, cu.Username)
	}
	checkConnectUser(t, cus[0], cu)
	sks, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	if len(sks) != 1 {
		t.Fatalf("ListSigningKeys = %+v, want just %s", sks, sk.ID)
	}
	checkSigningKey(t, sks[0], sk)
	checkTokenUsed(t, s, tokenID(1), true)
	checkTokenUsed(t, s, tokenID(2), false)
	checkRevokedFamilies(t, s, time.Time{}, fam)

	// Cancelled between UpdateAccessKey's read and its write.
	mid, cancelMid := context.WithCancel(ctx)
	defer cancelMid()
	err = s.UpdateAccessKey(mid, key.ID, func(k store.AccessKey) (store.AccessKey, error) {
		cancelMid()
		k.Secret = "s3"
		return k, nil
	})
	gotKey, gerr := s.GetAccessKey(ctx, key.ID)
	must(t, "GetAccessKey after the update cancelled midway", gerr)
	switch {
	case err == nil && gotKey.Secret != "s3":
		t.Errorf("UpdateAccessKey cancelled midway returned nil, but the key's secret is %q, want the update's", gotKey.Secret)
	case err != nil && gotKey.Secret != key.Secret:
		t.Errorf("UpdateAccessKey cancelled midway failed (%v), but wrote the secret %q", err, gotKey.Secret)
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyExists):
		t.Errorf("UpdateAccessKey cancelled midway: error %v, want one that is not a store sentinel", err)
	}
}

// testDeleteExpiredTokenRecordsConcurrent purges expired token records, over and over, while
// used tokens and revoked families, live, expiring right at the purge time and expired, are
// being recorded through both handles. No live record is lost, every expired one is gone,
// and the counts the purges returned add up to exactly the expired records: each deleted once.
func testDeleteExpiredTokenRecordsConcurrent(t *testing.T, a, b store.Store) {
	ctx := t.Context()
	pick := either(a, b)
	now := t0
	const perMarker = 24
	// Of every three records, one expires after now, one at now (kept) and one before now.
	untilOf := func(id int) time.Time { return now.Add(time.Duration(1-id%3) * time.Hour) }
	expired := func(id int) bool { return id%3 == 2 }
	atOf := func(id int) time.Time { return now.Add(-time.Duration(id) * time.Minute) }

	var marking sync.WaitGroup
	for m, s := range []store.Store{a, b} {
		marking.Go(func() {
			for i := range perMarker {
				id := m*perMarker + i
				if err := s.MarkTokenUsed(ctx, tokenID(id), familyID(id), untilOf(id)); err != nil {
					t.Errorf("MarkTokenUsed %d: %v", id, err)
				}
				if err := s.RevokeFamily(ctx, familyID(id), atOf(id), untilOf(id)); err != nil {
					t.Errorf("RevokeFamily %d: %v", id, err)
				}
			}
		})
	}
	markingDone := make(chan struct{})
	go func() { marking.Wait(); close(markingDone) }()
	purged, purges := 0, 0
	for finished := false; !finished; purges++ {
		select {
		case <-markingDone:
			finished = true // one more purge, after every record was written
		default:
		}
		n, err := pick(purges).DeleteExpiredTokenRecords(ctx, now)
		must(t, "DeleteExpiredTokenRecords", err)
		purged += n
	}

	wantPurged, live := 0, 0
	for id := range 2 * perMarker {
		if expired(id) {
			wantPurged += 2 // a used token and a revoked family
			checkTokenUsed(t, b, tokenID(id), false)
			checkFamilyRevoked(t, a, familyID(id), time.Time{})
			continue
		}
		live++
		checkTokenUsed(t, b, tokenID(id), true)
		checkFamilyRevoked(t, a, familyID(id), atOf(id))
	}
	if purged != wantPurged {
		t.Errorf("%d purges deleted %d records in all, want %d", purges, purged, wantPurged)
	}
	list, err := b.ListRevokedFamilies(ctx, time.Time{})
	must(t, "ListRevokedFamilies", err)
	if len(list) != live {
		t.Errorf("ListRevokedFamilies lists %d families, want the %d live ones", len(list), live)
	}
}
