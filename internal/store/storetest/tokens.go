package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// tokenID and familyID return distinct ids shaped like the real ones, 32 lowercase hex
// digits with letters in them; ids of a lower n sort first.
func tokenID(n int) string  { return fmt.Sprintf("7e%030x", n) }
func familyID(n int) string { return fmt.Sprintf("fa%030x", n) }

func checkRevokedFamily(t *testing.T, got, want store.RevokedFamily) {
	t.Helper()
	checkTime(t, "revoked family "+want.FamilyID+" RevokedAt", got.RevokedAt, want.RevokedAt)
	checkTime(t, "revoked family "+want.FamilyID+" Until", got.Until, want.Until)
	if got.FamilyID != want.FamilyID {
		t.Errorf("revoked family = %s, want %s", got.FamilyID, want.FamilyID)
	}
}

// checkRevokedFamilies checks ListRevokedFamilies(since) against want, in order.
func checkRevokedFamilies(t *testing.T, s store.Store, since time.Time, want ...store.RevokedFamily) {
	t.Helper()
	got, err := s.ListRevokedFamilies(t.Context(), since)
	must(t, fmt.Sprintf("ListRevokedFamilies since %v", since), err)
	if len(got) != len(want) {
		t.Fatalf("ListRevokedFamilies since %v = %+v, want %+v", since, got, want)
	}
	for i := range want {
		checkRevokedFamily(t, got[i], want[i])
	}
}

// checkFamilyRevoked checks FamilyRevoked: revoked since at, or not revoked when at is zero.
func checkFamilyRevoked(t *testing.T, s store.Store, family string, at time.Time) {
	t.Helper()
	revoked, got, err := s.FamilyRevoked(t.Context(), family)
	must(t, "FamilyRevoked "+family, err)
	switch {
	case at.IsZero() && (revoked || !got.IsZero()):
		t.Errorf("FamilyRevoked %s = %v since %v, want not revoked and the zero time", family, revoked, got)
	case !at.IsZero() && !revoked:
		t.Errorf("FamilyRevoked %s = false, want revoked since %v", family, at)
	case !at.IsZero():
		checkTime(t, "FamilyRevoked "+family+" at", got, at)
	}
}

func testMarkTokenUsed(t *testing.T, s store.Store) {
	ctx := t.Context()
	tok, fam := tokenID(1), familyID(1)
	checkTokenUsed(t, s, tok, false)
	must(t, "MarkTokenUsed first use", s.MarkTokenUsed(ctx, tok, fam, t0.Add(time.Hour)))
	checkTokenUsed(t, s, tok, true)
	checkTokenUsed(t, s, tokenID(2), false)
	checkErr(t, "MarkTokenUsed second use", s.MarkTokenUsed(ctx, tok, fam, t0.Add(time.Hour)), store.ErrAlreadyExists)
	// A replay is a replay whatever family or expiry it claims.
	checkErr(t, "MarkTokenUsed replay naming another family",
		s.MarkTokenUsed(ctx, tok, familyID(2), t0.Add(2*time.Hour)), store.ErrAlreadyExists)

	// Other tokens, of the same family or another, are not used yet. Ids compare exactly.
	must(t, "MarkTokenUsed of another token of the family", s.MarkTokenUsed(ctx, tokenID(2), fam, t0.Add(time.Hour)))
	must(t, "MarkTokenUsed of a token of another family", s.MarkTokenUsed(ctx, tokenID(3), familyID(2), t0.Add(time.Hour)))
	must(t, "MarkTokenUsed of the id in upper case", s.MarkTokenUsed(ctx, strings.ToUpper(tok), fam, t0.Add(time.Hour)))
	checkErr(t, "MarkTokenUsed of the other token again", s.MarkTokenUsed(ctx, tokenID(2), fam, t0.Add(time.Hour)), store.ErrAlreadyExists)

	// Using a token revokes nothing.
	checkFamilyRevoked(t, s, fam, time.Time{})
	checkRevokedFamilies(t, s, time.Time{})
}

func checkTokenUsed(t *testing.T, s store.Store, id string, want bool) {
	t.Helper()
	used, err := s.TokenUsed(t.Context(), id)
	if err != nil || used != want {
		t.Errorf("TokenUsed(%s) = %v, %v; want %v", id, used, err, want)
	}
}

// testMarkTokenUsedConcurrent races many uses of one token, as replicas presenting a stolen
// refresh token at once would: exactly one may win, and every other must learn it is a replay.
func testMarkTokenUsedConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const rounds, racers = 4, 16
	for round := range rounds {
		tok := tokenID(100 + round)
		errs := make([]error, racers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				<-start
				errs[i] = s.MarkTokenUsed(ctx, tok, familyID(1), t0.Add(time.Hour))
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrAlreadyExists):
				t.Errorf("round %d, racer %d: MarkTokenUsed: %v, want nil or %v", round, i, err, store.ErrAlreadyExists)
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d of %d concurrent MarkTokenUsed calls succeeded, want exactly 1", round, won, racers)
		}
		checkErr(t, "MarkTokenUsed after the race", s.MarkTokenUsed(ctx, tok, familyID(1), t0.Add(time.Hour)), store.ErrAlreadyExists)
	}
}

func testRevokeFamily(t *testing.T, s store.Store) {
	ctx := t.Context()
	fam := familyID(1)
	checkFamilyRevoked(t, s, fam, time.Time{})

	revoke := func(what string, at, until time.Time, want store.RevokedFamily) {
		t.Helper()
		must(t, "RevokeFamily "+what, s.RevokeFamily(ctx, fam, at, until))
		checkFamilyRevoked(t, s, fam, want.RevokedAt)
		checkRevokedFamilies(t, s, time.Time{}, want)
	}
	revoke("first", t0, t0.Add(time.Hour), store.RevokedFamily{FamilyID: fam, RevokedAt: t0, Until: t0.Add(time.Hour)})
	revoke("again, identically", t0, t0.Add(time.Hour), store.RevokedFamily{FamilyID: fam, RevokedAt: t0, Until: t0.Add(time.Hour)})
	// A later revocation keeps the earlier time; an earlier until keeps the later one.
	revoke("later, with an earlier until", t0.Add(time.Minute), t0.Add(30*time.Minute),
		store.RevokedFamily{FamilyID: fam, RevokedAt: t0, Until: t0.Add(time.Hour)})
	// An earlier revocation moves the time back; a later until moves it on. Each moves on its
	// own: the time with the until kept, then the until with the time kept.
	revoke("earlier, with an earlier until", t0.Add(-time.Minute), t0,
		store.RevokedFamily{FamilyID: fam, RevokedAt: t0.Add(-time.Minute), Until: t0.Add(time.Hour)})
	revoke("later, with a later until", t0.Add(time.Hour), t0.Add(2*time.Hour),
		store.RevokedFamily{FamilyID: fam, RevokedAt: t0.Add(-time.Minute), Until: t0.Add(2 * time.Hour)})
	revoke("earlier, with a later until", t0.Add(-time.Hour), t0.Add(3*time.Hour),
		store.RevokedFamily{FamilyID: fam, RevokedAt: t0.Add(-time.Hour), Until: t0.Add(3 * time.Hour)})

	// Other families are not revoked. Ids compare exactly.
	checkFamilyRevoked(t, s, familyID(2), time.Time{})
	checkFamilyRevoked(t, s, strings.ToUpper(fam), time.Time{})
	// Revoking a family marks none of its tokens used: that is MarkTokenUsed's record.
	must(t, "MarkTokenUsed of a token of the revoked family", s.MarkTokenUsed(ctx, tokenID(1), fam, t0.Add(time.Hour)))
}

// testRevokeFamilyConcurrent races revocations of one family with different times: the
// record must end with the earliest time and the latest until of them all, whatever order
// they were applied in.
func testRevokeFamilyConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const racers = 16
	fam := familyID(1)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		// Racer 5 has the earliest time and racer 11 the latest until; neither is first or last.
		at := t0.Add(time.Duration((i+racers-5)%racers) * time.Second)
		until := t0.Add(time.Hour - time.Duration((i+racers-11)%racers)*time.Second)
		wg.Go(func() {
			<-start
			if err := s.RevokeFamily(ctx, fam, at, until); err != nil {
				t.Errorf("racer %d: RevokeFamily: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	checkRevokedFamilies(t, s, time.Time{}, store.RevokedFamily{FamilyID: fam, RevokedAt: t0, Until: t0.Add(time.Hour)})
}

func testListRevokedFamilies(t *testing.T, s store.Store) {
	ctx := t.Context()
	checkRevokedFamilies(t, s, time.Time{})

	rf := func(n int, at time.Time) store.RevokedFamily {
		return store.RevokedFamily{FamilyID: familyID(n), RevokedAt: at, Until: at.Add(time.Duration(n+1) * time.Hour)}
	}
	// In their expected order: by revocation time, then by family id.
	want := []store.RevokedFamily{
		rf(3, t0.Add(-time.Hour)),
		rf(1, t0),
		rf(2, t0),
		rf(0, t0.Add(time.Microsecond)),
		rf(4, t0.Add(time.Hour)),
	}
	// Revoked out of every order the list could fall back on.
	for _, i := range []int{3, 2, 0, 4, 1} {
		f := want[i]
		must(t, "RevokeFamily "+f.FamilyID, s.RevokeFamily(ctx, f.FamilyID, f.RevokedAt, f.Until))
	}

	checkRevokedFamilies(t, s, time.Time{}, want...)
	checkRevokedFamilies(t, s, t0.Add(-2*time.Hour), want...)
	checkRevokedFamilies(t, s, t0.Add(-time.Hour), want...) // since is inclusive
	checkRevokedFamilies(t, s, t0.Add(-time.Hour+time.Microsecond), want[1:]...)
	checkRevokedFamilies(t, s, t0, want[1:]...)
	checkRevokedFamilies(t, s, t0.Add(time.Microsecond), want[3:]...)
	checkRevokedFamilies(t, s, t0.Add(time.Hour), want[4:]...)
	checkRevokedFamilies(t, s, t0.Add(time.Hour+time.Microsecond))

	// A family revoked again keeps its earliest time, so a poll since then does not see it
	// again; its until moves on all the same.
	must(t, "RevokeFamily again", s.RevokeFamily(ctx, want[0].FamilyID, t0.Add(2*time.Hour), want[0].Until.Add(time.Hour)))
	want[0].Until = want[0].Until.Add(time.Hour)
	checkRevokedFamilies(t, s, t0.Add(time.Hour), want[4:]...)
	checkRevokedFamilies(t, s, time.Time{}, want...)
}

func testDeleteExpiredTokenRecords(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := t0
	n, err := s.DeleteExpiredTokenRecords(ctx, now)
	must(t, "DeleteExpiredTokenRecords of an empty store", err)
	if n != 0 {
		t.Errorf("DeleteExpiredTokenRecords of an empty store = %d, want 0", n)
	}

	// Records long expired, expired a microsecond ago, expiring now (not before now, so
	// kept), and live; used tokens and revoked families alike.
	untils := []time.Time{now.Add(-2 * time.Hour), now.Add(-time.Microsecond), now, now.Add(time.Hour)}
	var families []store.RevokedFamily
	for i, until := range untils {
		must(t, "MarkTokenUsed", s.MarkTokenUsed(ctx, tokenID(i), familyID(i), until))
		f := store.RevokedFamily{FamilyID: familyID(i), RevokedAt: now.Add(-3*time.Hour + time.Duration(i)*time.Minute), Until: until}
		must(t, "RevokeFamily", s.RevokeFamily(ctx, f.FamilyID, f.RevokedAt, f.Until))
		families = append(families, f)
	}

	n, err = s.DeleteExpiredTokenRecords(ctx, now)
	must(t, "DeleteExpiredTokenRecords", err)
	if n != 4 {
		t.Errorf("DeleteExpiredTokenRecords = %d, want 4 (2 used tokens, 2 revoked families)", n)
	}
	for i := 2; i < 4; i++ {
		checkErr(t, "MarkTokenUsed of kept "+tokenID(i), s.MarkTokenUsed(ctx, tokenID(i), familyID(i), untils[i]), store.ErrAlreadyExists)
		checkFamilyRevoked(t, s, familyID(i), families[i].RevokedAt)
	}
	for i := range 2 {
		checkFamilyRevoked(t, s, familyID(i), time.Time{})
	}
	checkRevokedFamilies(t, s, time.Time{}, families[2:]...)

	n, err = s.DeleteExpiredTokenRecords(ctx, now)
	must(t, "DeleteExpiredTokenRecords again", err)
	if n != 0 {
		t.Errorf("DeleteExpiredTokenRecords again = %d, want 0", n)
	}

	// The purged tokens' records are gone: marking them is a first use again. These new
	// records outlive the next purge.
	for i := range 2 {
		must(t, "MarkTokenUsed of purged "+tokenID(i), s.MarkTokenUsed(ctx, tokenID(i), familyID(i), now.Add(3*time.Hour)))
	}
	n, err = s.DeleteExpiredTokenRecords(ctx, now.Add(2*time.Hour))
	must(t, "DeleteExpiredTokenRecords later", err)
	if n != 4 {
		t.Errorf("DeleteExpiredTokenRecords later = %d, want 4 (2 used tokens, 2 revoked families)", n)
	}
	for i := range 2 {
		checkErr(t, "MarkTokenUsed of re-marked "+tokenID(i), s.MarkTokenUsed(ctx, tokenID(i), familyID(i), now), store.ErrAlreadyExists)
	}
	for i := 2; i < 4; i++ {
		must(t, "MarkTokenUsed of purged "+tokenID(i), s.MarkTokenUsed(ctx, tokenID(i), familyID(i), now))
	}
	checkRevokedFamilies(t, s, time.Time{})
}
