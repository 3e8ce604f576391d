package storetest

import (
	"bytes"
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

const (
	regionA = "us-east-1"
	regionB = "eu-west-2"
	// missingInstance is never created.
	missingInstance = "99999999-9999-4999-8999-999999999999"
)

// instanceID returns a distinct UUID-shaped instance id; ids of a lower n sort first.
func instanceID(n int) string { return fmt.Sprintf("%08x-0000-4000-8000-000000000000", n) }

// profileID returns a distinct UUID-shaped profile id; ids of a lower n sort first.
func profileID(n int) string { return fmt.Sprintf("%08x-1111-4111-8111-111111111111", n) }

func newInstance(account, region string, n int, alias string) store.Instance {
	return store.Instance{
		AccountID:              account,
		Region:                 region,
		ID:                     instanceID(n),
		Alias:                  alias,
		IdentityManagementType: "CONNECT_MANAGED",
		DirectoryID:            fmt.Sprintf("d-%010d", n),
		InboundCalls:           true,
		OutboundCalls:          false,
		CreatedAt:              t0.Add(-time.Duration(n) * time.Minute), // a later id is older
		ClientToken:            fmt.Sprintf("client-token-%d", n),
		Tags:                   map[string]string{"team": fmt.Sprint(n), "cost-centre/ünïcode": "a \"quoted\" value"},
	}
}

// newProfile returns a profile of no kind yet (profilesOf gives it one) whose Details hold a
// NUL and bytes that are not UTF-8, which text handling would mangle.
func newProfile(instance string, n int, name string) store.Profile {
	return store.Profile{InstanceID: instance, ID: profileID(n), Name: name, Description: "the " + name + " profile",
		Details:   []byte("{\"n\":" + strconv.Itoa(n) + "}\x00\xff"),
		CreatedAt: t0.Add(-time.Duration(n) * time.Second), // a later id is older
		UpdatedAt: t0.Add(time.Duration(n) * time.Second)}
}

// profilesOf is security and routing profiles as one list for CreateInstance, each given its
// kind.
func profilesOf(security, routing []store.Profile) []store.Profile {
	var all []store.Profile
	for _, p := range security {
		p.Kind = store.SecurityProfiles
		all = append(all, p)
	}
	for _, p := range routing {
		p.Kind = store.RoutingProfiles
		all = append(all, p)
	}
	return all
}

// newConnectUser returns a user whose Details hold a NUL and bytes that are not UTF-8, which
// text handling would mangle, around the JSON the connect domain would keep.
func newConnectUser(instance, id, username string) store.ConnectUser {
	return store.ConnectUser{
		InstanceID: instance,
		ID:         id,
		Username:   username,
		Details:    []byte("{\"name\":\"" + username + "\"}\x00\xff\xfe"),
		// Not a real hash: bytes a text column would mangle.
		PasswordHash: []byte("$argon2id$\x00\xff" + username),
		CreatedAt:    t0,
		UpdatedAt:    t0.Add(time.Hour),
	}
}

// checkInstance reads nil and empty Tags as the same: the contract lets either come back.
func checkInstance(t *testing.T, got, want store.Instance) {
	t.Helper()
	checkTime(t, "instance "+want.ID+" CreatedAt", got.CreatedAt, want.CreatedAt)
	got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
	if len(got.Tags) == 0 && len(want.Tags) == 0 {
		got.Tags, want.Tags = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("instance %s = %+v, want %+v", want.ID, got, want)
	}
}

// checkProfile compares Details with bytes.Equal: the contract lets a nil or empty Details
// come back as either.
func checkProfile(t *testing.T, got, want store.Profile) {
	t.Helper()
	what := string(want.Kind) + " " + want.ID
	checkTime(t, what+" UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if !bytes.Equal(got.Details, want.Details) {
		t.Errorf("%s Details = %q, want %q", what, got.Details, want.Details)
	}
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	got.Details, want.Details = nil, nil
	got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
	got.UpdatedAt, want.UpdatedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

// checkConnectUser compares Details with bytes.Equal: the contract lets a nil or empty
// Details come back as either.
func checkConnectUser(t *testing.T, got, want store.ConnectUser) {
	t.Helper()
	checkTime(t, "connect user "+want.Username+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "connect user "+want.Username+" UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if !bytes.Equal(got.Details, want.Details) {
		t.Errorf("connect user %s Details = %q, want %q", want.Username, got.Details, want.Details)
	}
	if !bytes.Equal(got.PasswordHash, want.PasswordHash) {
		t.Errorf("connect user %s PasswordHash = %q, want %q", want.Username, got.PasswordHash, want.PasswordHash)
	}
	got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
	got.UpdatedAt, want.UpdatedAt = time.Time{}, time.Time{}
	got.Details, want.Details = nil, nil
	got.PasswordHash, want.PasswordHash = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("connect user = %+v, want %+v", got, want)
	}
}

func checkSigningKey(t *testing.T, got, want store.SigningKey) {
	t.Helper()
	checkTime(t, "signing key "+want.ID+" CreatedAt", got.CreatedAt, want.CreatedAt)
	if got.ID != want.ID || !bytes.Equal(got.Secret, want.Secret) {
		t.Errorf("signing key = %s %x, want %s %x", got.ID, got.Secret, want.ID, want.Secret)
	}
}

func createInstance(t *testing.T, s store.Store, in store.Instance, security, routing []store.Profile) {
	t.Helper()
	must(t, "CreateInstance "+in.ID, s.CreateInstance(t.Context(), in, profilesOf(security, routing)))
}

// checkNoInstance fails unless the instance is gone with everything it had: Get finds none,
// and its profiles and users are neither listed nor found.
func checkNoInstance(t *testing.T, s store.Store, in store.Instance, what string) {
	t.Helper()
	ctx := t.Context()
	_, err := s.GetInstance(ctx, in.AccountID, in.Region, in.ID)
	checkErr(t, what+": GetInstance", err, store.ErrNotFound)
	for _, kind := range []store.ProfileKind{store.SecurityProfiles, store.RoutingProfiles, store.Queues} {
		left, err := s.ListProfiles(ctx, kind, in.ID, store.Page{})
		must(t, what+": ListProfiles "+string(kind), err)
		if len(left) != 0 {
			t.Errorf("%s: instance %s still has %ss %+v", what, in.ID, kind, left)
		}
	}
	users, err := s.ListConnectUsers(ctx, in.ID, store.Page{})
	must(t, what+": ListConnectUsers", err)
	if len(users) != 0 {
		t.Errorf("%s: instance %s still has users %+v", what, in.ID, users)
	}
}

func testInstance(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	in := newInstance(accountA, regionA, 1, "My-Alias")
	in.IdentityManagementType, in.DirectoryID = "SAML", "d-9067abcdef"
	other := newInstance(accountA, regionA, 2, "")
	other.IdentityManagementType, other.InboundCalls, other.OutboundCalls = "EXISTING_DIRECTORY", false, true
	other.ClientToken, other.Tags = "", nil // neither is required
	createInstance(t, s, in, nil, nil)
	createInstance(t, s, other, nil, nil)
	for _, want := range []store.Instance{in, other} {
		got, err := s.GetInstance(ctx, accountA, regionA, want.ID)
		must(t, "GetInstance "+want.ID, err)
		checkInstance(t, got, want) // the alias keeps the spelling it was created with
	}
	list, err := s.ListInstances(ctx, accountA, regionA, store.Page{})
	must(t, "ListInstances", err)
	if len(list) != 2 {
		t.Fatalf("ListInstances = %+v, want %s and %s", list, in.ID, other.ID)
	}
	checkInstance(t, list[0], in)
	checkInstance(t, list[1], other)

	// Profiles and users name their instance by id alone, so an id is unique everywhere,
	// not just in its account and region.
	for _, dup := range []store.Instance{newInstance(accountA, regionA, 1, "another-alias"), newInstance(accountA, regionB, 1, "another-alias")} {
		checkErr(t, "CreateInstance duplicate id in "+dup.Region, s.CreateInstance(ctx, dup, nil), store.ErrAlreadyExists)
	}
	got, err := s.GetInstance(ctx, accountA, regionA, in.ID)
	must(t, "GetInstance after duplicates", err)
	checkInstance(t, got, in)
	_, err = s.GetInstance(ctx, accountA, regionB, in.ID)
	checkErr(t, "GetInstance of the refused duplicate", err, store.ErrNotFound)

	_, err = s.GetInstance(ctx, accountA, regionA, missingInstance)
	checkErr(t, "GetInstance missing", err, store.ErrNotFound)
	orphan := newInstance(missingAccount, regionA, 3, "orphan")
	err = s.CreateInstance(ctx, orphan, profilesOf([]store.Profile{newProfile(orphan.ID, 1, "Admin")}, []store.Profile{newProfile(orphan.ID, 2, "Basic")}))
	checkErr(t, "CreateInstance in missing account", err, store.ErrNotFound)
	checkNoInstance(t, s, orphan, "after CreateInstance in missing account")

	must(t, "DeleteInstance", s.DeleteInstance(ctx, accountA, regionA, in.ID))
	checkNoInstance(t, s, in, "after DeleteInstance")
	checkErr(t, "DeleteInstance again", s.DeleteInstance(ctx, accountA, regionA, in.ID), store.ErrNotFound)
	checkErr(t, "DeleteInstance missing", s.DeleteInstance(ctx, accountA, regionA, missingInstance), store.ErrNotFound)
	got, err = s.GetInstance(ctx, accountA, regionA, other.ID)
	must(t, "GetInstance of the other instance", err)
	checkInstance(t, got, other)
}

func testInstanceAlias(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	in := newInstance(accountA, regionA, 1, "Support")
	createInstance(t, s, in, nil, nil)
	for i, alias := range []string{"Support", "support", "SUPPORT"} {
		dup := newInstance(accountA, regionA, 10+i, alias)
		checkErr(t, "CreateInstance duplicate alias "+alias, s.CreateInstance(ctx, dup, nil), store.ErrAlreadyExists)
		checkNoInstance(t, s, dup, "after CreateInstance duplicate alias "+alias)
	}
	// The alias is unique only within its account and region.
	elsewhere := []store.Instance{
		newInstance(accountA, regionB, 2, "support"),
		newInstance(accountB, regionA, 3, "SUPPORT"),
	}
	// Any number of instances may have no alias, in one account and region.
	none := []store.Instance{newInstance(accountA, regionA, 4, ""), newInstance(accountA, regionA, 5, "")}
	for i := range none {
		none[i].IdentityManagementType = "EXISTING_DIRECTORY"
	}
	created := slices.Concat(elsewhere, none)
	for _, c := range created {
		createInstance(t, s, c, nil, nil)
	}
	for _, want := range append(created, in) {
		got, err := s.GetInstance(ctx, want.AccountID, want.Region, want.ID)
		must(t, "GetInstance "+want.ID, err)
		checkInstance(t, got, want)
	}
	list, err := s.ListInstances(ctx, accountA, regionA, store.Page{})
	must(t, "ListInstances", err)
	if len(list) != 3 {
		t.Errorf("ListInstances in %s %s = %+v, want 3 instances", accountA, regionA, list)
	}
}

// A client token finds the instance created with it, in its own account and region only; the
// empty token finds nothing, though many instances have none.
func testInstanceByClientToken(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	in := newInstance(accountA, regionA, 1, "tokened")
	bare := newInstance(accountA, regionA, 2, "bare")
	bare.ClientToken = ""
	createInstance(t, s, in, nil, nil)
	createInstance(t, s, bare, nil, nil)
	got, err := s.GetInstanceByClientToken(ctx, accountA, regionA, in.ClientToken)
	must(t, "GetInstanceByClientToken", err)
	checkInstance(t, got, in)
	for _, c := range []struct{ account, region, token string }{
		{accountB, regionA, in.ClientToken}, {accountA, regionB, in.ClientToken},
		{accountA, regionA, "client-token-9"}, {accountA, regionA, ""},
	} {
		_, err := s.GetInstanceByClientToken(ctx, c.account, c.region, c.token)
		checkErr(t, "GetInstanceByClientToken "+c.account+" "+c.region+" "+c.token, err, store.ErrNotFound)
	}
	must(t, "DeleteInstance", s.DeleteInstance(ctx, accountA, regionA, in.ID))
	_, err = s.GetInstanceByClientToken(ctx, accountA, regionA, in.ClientToken)
	checkErr(t, "GetInstanceByClientToken after DeleteInstance", err, store.ErrNotFound)
}

func testInstanceIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	in := newInstance(accountA, regionA, 1, "isolated")
	createInstance(t, s, in, nil, nil)
	for _, place := range []struct{ account, region string }{
		{accountB, regionA},
		{accountA, regionB},
		{accountB, regionB},
		{missingAccount, regionA},
	} {
		where := place.account + " " + place.region
		_, err := s.GetInstance(ctx, place.account, place.region, in.ID)
		checkErr(t, "GetInstance from "+where, err, store.ErrNotFound)
		list, err := s.ListInstances(ctx, place.account, place.region, store.Page{})
		must(t, "ListInstances in "+where, err)
		if len(list) != 0 {
			t.Errorf("ListInstances in %s = %+v, want none", where, list)
		}
		checkErr(t, "DeleteInstance from "+where, s.DeleteInstance(ctx, place.account, place.region, in.ID), store.ErrNotFound)
	}
	got, err := s.GetInstance(ctx, accountA, regionA, in.ID)
	must(t, "GetInstance after foreign deletes", err)
	checkInstance(t, got, in)
}

func testInstancePaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	want := map[string]store.Instance{}
	var ids []string
	for _, n := range []int{4, 2, 5, 1, 3} {
		in := newInstance(accountA, regionA, n*100, fmt.Sprintf("alias-%d", n))
		createInstance(t, s, in, nil, nil)
		want[in.ID] = in
		ids = append(ids, in.ID)
	}
	slices.Sort(ids)
	// Sort before and between account A's instances in us-east-1, and must not appear in
	// its lists.
	createInstance(t, s, newInstance(accountB, regionA, 0, "b"), nil, nil)
	createInstance(t, s, newInstance(accountA, regionB, 150, "other-region"), nil, nil)

	testExactPaging(t, func(p store.Page) ([]store.Instance, error) { return s.ListInstances(ctx, accountA, regionA, p) },
		func(in store.Instance) string { return in.ID },
		func(got store.Instance) { checkInstance(t, got, want[got.ID]) },
		ids)
}

// testCreateInstanceAtomic checks that a CreateInstance that fails on its last profile
// leaves nothing behind: not the instance, not its alias, not the profiles before.
func testCreateInstanceAtomic(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	in := newInstance(accountA, regionA, 1, "atomic")
	sec := []store.Profile{newProfile(in.ID, 1, "Admin"), newProfile(in.ID, 2, "Agent")}
	rout := []store.Profile{newProfile(in.ID, 3, "Basic"), newProfile(in.ID, 4, "Sales")}

	dupSec := append(slices.Clone(sec), newProfile(in.ID, 1, "Admin again"))
	checkErr(t, "CreateInstance with a duplicate security profile", s.CreateInstance(ctx, in, profilesOf(dupSec, rout)), store.ErrAlreadyExists)
	checkNoInstance(t, s, in, "after a duplicate security profile")
	dupRout := append(slices.Clone(rout), newProfile(in.ID, 4, "Sales again"))
	checkErr(t, "CreateInstance with a duplicate routing profile", s.CreateInstance(ctx, in, profilesOf(sec, dupRout)), store.ErrAlreadyExists)
	checkNoInstance(t, s, in, "after a duplicate routing profile")
	list, err := s.ListInstances(ctx, accountA, regionA, store.Page{})
	must(t, "ListInstances after failed creates", err)
	if len(list) != 0 {
		t.Errorf("ListInstances after failed creates = %+v, want none", list)
	}

	// The same id and alias are free, and a security and a routing profile may share an id.
	rout[0].ID = sec[0].ID
	createInstance(t, s, in, sec, rout)
	got, err := s.GetInstance(ctx, accountA, regionA, in.ID)
	must(t, "GetInstance", err)
	checkInstance(t, got, in)
	checkProfiles(t, s, in.ID, sec, rout)

	// A create refused for its alias writes none of its profiles.
	taken := newInstance(accountA, regionA, 2, "ATOMIC")
	err = s.CreateInstance(ctx, taken, profilesOf([]store.Profile{newProfile(taken.ID, 5, "Admin")}, []store.Profile{newProfile(taken.ID, 6, "Basic")}))
	checkErr(t, "CreateInstance with a taken alias", err, store.ErrAlreadyExists)
	checkNoInstance(t, s, taken, "after a taken alias")
	checkProfiles(t, s, in.ID, sec, rout)
}

// checkProfiles fails unless the instance's profiles are exactly these, each found by Get
// and listed in id order.
func checkProfiles(t *testing.T, s store.Store, instanceID string, security, routing []store.Profile) {
	t.Helper()
	ctx := t.Context()
	for _, kind := range []struct {
		kind store.ProfileKind
		want []store.Profile
	}{{store.SecurityProfiles, security}, {store.RoutingProfiles, routing}} {
		want := slices.SortedFunc(slices.Values(kind.want), func(a, b store.Profile) int { return strings.Compare(a.ID, b.ID) })
		for i := range want {
			want[i].Kind = kind.kind
			got, err := s.GetProfile(ctx, kind.kind, instanceID, want[i].ID)
			must(t, "GetProfile "+string(kind.kind)+" "+want[i].ID, err)
			checkProfile(t, got, want[i])
		}
		got, err := s.ListProfiles(ctx, kind.kind, instanceID, store.Page{})
		must(t, "ListProfiles "+string(kind.kind), err)
		if len(got) != len(want) {
			t.Fatalf("%ss of %s = %+v, want %+v", kind.kind, instanceID, got, want)
		}
		for i := range want {
			checkProfile(t, got[i], want[i])
		}
	}
}

func testProfiles(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	in := newInstance(accountA, regionA, 1, "profiles")
	other := newInstance(accountA, regionA, 2, "other")
	// Created out of id order; another instance's profiles sort before and between them.
	var sec, rout []store.Profile
	for _, n := range []int{40, 20, 50, 10, 30} {
		sec = append(sec, newProfile(in.ID, n, fmt.Sprintf("Security %d", n)))
		rout = append(rout, newProfile(in.ID, n+1, fmt.Sprintf("Routing %d", n)))
	}
	otherSec := []store.Profile{newProfile(other.ID, 5, "Other admin"), newProfile(other.ID, 25, "Other agent")}
	otherRout := []store.Profile{newProfile(other.ID, 6, "Other basic"), newProfile(other.ID, 26, "Other sales")}
	createInstance(t, s, in, sec, rout)
	createInstance(t, s, other, otherSec, otherRout)
	checkProfiles(t, s, in.ID, sec, rout)
	checkProfiles(t, s, other.ID, otherSec, otherRout)

	// A profile is found only in its own instance, and only as its own kind.
	_, err := s.GetProfile(ctx, store.SecurityProfiles, other.ID, sec[0].ID)
	checkErr(t, "GetSecurityProfile of another instance's profile", err, store.ErrNotFound)
	_, err = s.GetProfile(ctx, store.RoutingProfiles, other.ID, rout[0].ID)
	checkErr(t, "GetRoutingProfile of another instance's profile", err, store.ErrNotFound)
	_, err = s.GetProfile(ctx, store.RoutingProfiles, in.ID, sec[0].ID)
	checkErr(t, "GetRoutingProfile of a security profile", err, store.ErrNotFound)
	_, err = s.GetProfile(ctx, store.SecurityProfiles, in.ID, rout[0].ID)
	checkErr(t, "GetSecurityProfile of a routing profile", err, store.ErrNotFound)
	_, err = s.GetProfile(ctx, store.SecurityProfiles, missingInstance, sec[0].ID)
	checkErr(t, "GetSecurityProfile in missing instance", err, store.ErrNotFound)
	list, err := s.ListProfiles(ctx, store.RoutingProfiles, missingInstance, store.Page{})
	must(t, "ListRoutingProfiles in missing instance", err)
	if len(list) != 0 {
		t.Errorf("ListRoutingProfiles in missing instance = %+v, want none", list)
	}

	for _, kind := range []struct {
		kind store.ProfileKind
		want []store.Profile
	}{{store.SecurityProfiles, sec}, {store.RoutingProfiles, rout}} {
		t.Run(string(kind.kind), func(t *testing.T) {
			byID := map[string]store.Profile{}
			var ids []string
			for _, p := range kind.want {
				p.Kind = kind.kind
				byID[p.ID] = p
				ids = append(ids, p.ID)
			}
			slices.Sort(ids)
			list := func(p store.Page) ([]store.Profile, error) { return s.ListProfiles(ctx, kind.kind, in.ID, p) }
			testExactPaging(t, list, func(p store.Profile) string { return p.ID },
				func(got store.Profile) { checkProfile(t, got, byID[got.ID]) }, ids)
		})
	}
}

func testConnectUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	in := newInstance(accountA, regionA, 1, "users")
	other := newInstance(accountA, regionA, 2, "other")
	createInstance(t, s, in, nil, nil)
	createInstance(t, s, other, nil, nil)

	u := newConnectUser(in.ID, "u-0001", "Alice")
	want := u
	want.Details = slices.Clone(u.Details)
	must(t, "CreateConnectUser", s.CreateConnectUser(ctx, u))
	u.Details[0] ^= 0xff // the store must have kept its own copy
	got, err := s.GetConnectUser(ctx, in.ID, want.ID)
	must(t, "GetConnectUser", err)
	checkConnectUser(t, got, want)
	got, err = s.GetConnectUserByUsername(ctx, in.ID, "Alice")
	must(t, "GetConnectUserByUsername", err)
	checkConnectUser(t, got, want)

	// Usernames are case-sensitive: other spellings are other users.
	for _, name := range []string{"alice", "ALICE"} {
		_, err := s.GetConnectUserByUsername(ctx, in.ID, name)
		checkErr(t, "GetConnectUserByUsername "+name, err, store.ErrNotFound)
	}
	lower := newConnectUser(in.ID, "u-0002", "alice")
	must(t, "CreateConnectUser differing in case", s.CreateConnectUser(ctx, lower))
	got, err = s.GetConnectUserByUsername(ctx, in.ID, "alice")
	must(t, "GetConnectUserByUsername alice", err)
	checkConnectUser(t, got, lower)
	got, err = s.GetConnectUserByUsername(ctx, in.ID, "Alice")
	must(t, "GetConnectUserByUsername Alice after alice", err)
	checkConnectUser(t, got, want)

	dupName := newConnectUser(in.ID, "u-0003", "Alice")
	checkErr(t, "CreateConnectUser duplicate username", s.CreateConnectUser(ctx, dupName), store.ErrAlreadyExists)
	_, err = s.GetConnectUser(ctx, in.ID, dupName.ID)
	checkErr(t, "GetConnectUser of the refused duplicate", err, store.ErrNotFound)
	dupID := newConnectUser(in.ID, want.ID, "Carol")
	checkErr(t, "CreateConnectUser duplicate id", s.CreateConnectUser(ctx, dupID), store.ErrAlreadyExists)
	_, err = s.GetConnectUserByUsername(ctx, in.ID, "Carol")
	checkErr(t, "GetConnectUserByUsername of the refused duplicate", err, store.ErrNotFound)
	got, err = s.GetConnectUser(ctx, in.ID, want.ID)
	must(t, "GetConnectUser after duplicates", err)
	checkConnectUser(t, got, want)

	// Username and id are unique per instance only.
	elsewhere := newConnectUser(other.ID, want.ID, "Alice")
	elsewhere.Details = []byte(`{"other":true}`)
	must(t, "CreateConnectUser same id and username in another instance", s.CreateConnectUser(ctx, elsewhere))
	got, err = s.GetConnectUser(ctx, other.ID, want.ID)
	must(t, "GetConnectUser in another instance", err)
	checkConnectUser(t, got, elsewhere)
	got, err = s.GetConnectUser(ctx, in.ID, want.ID)
	must(t, "GetConnectUser after the other instance's", err)
	checkConnectUser(t, got, want)

	_, err = s.GetConnectUser(ctx, other.ID, lower.ID)
	checkErr(t, "GetConnectUser of another instance's user", err, store.ErrNotFound)
	_, err = s.GetConnectUserByUsername(ctx, other.ID, "alice")
	checkErr(t, "GetConnectUserByUsername of another instance's user", err, store.ErrNotFound)
	checkErr(t, "DeleteConnectUser of another instance's user", s.DeleteConnectUser(ctx, other.ID, lower.ID), store.ErrNotFound)

	orphan := newConnectUser(missingInstance, "u-0009", "Orphan")
	checkErr(t, "CreateConnectUser in missing instance", s.CreateConnectUser(ctx, orphan), store.ErrNotFound)
	_, err = s.GetConnectUser(ctx, missingInstance, orphan.ID)
	checkErr(t, "GetConnectUser of refused user", err, store.ErrNotFound)

	must(t, "DeleteConnectUser", s.DeleteConnectUser(ctx, in.ID, want.ID))
	_, err = s.GetConnectUser(ctx, in.ID, want.ID)
	checkErr(t, "GetConnectUser after delete", err, store.ErrNotFound)
	_, err = s.GetConnectUserByUsername(ctx, in.ID, "Alice")
	checkErr(t, "GetConnectUserByUsername after delete", err, store.ErrNotFound)
	checkErr(t, "DeleteConnectUser again", s.DeleteConnectUser(ctx, in.ID, want.ID), store.ErrNotFound)
	for _, keep := range []store.ConnectUser{lower, elsewhere} {
		got, err := s.GetConnectUser(ctx, keep.InstanceID, keep.ID)
		must(t, "GetConnectUser of a kept user", err)
		checkConnectUser(t, got, keep)
	}

	// Deleting frees the username and the id.
	again := newConnectUser(in.ID, want.ID, "Alice")
	again.CreatedAt, again.UpdatedAt = t0.Add(2*time.Hour), t0.Add(3*time.Hour)
	must(t, "CreateConnectUser after delete", s.CreateConnectUser(ctx, again))
	got, err = s.GetConnectUserByUsername(ctx, in.ID, "Alice")
	must(t, "GetConnectUserByUsername recreated", err)
	checkConnectUser(t, got, again)
}

// testCreateConnectUserConcurrent races creations of one username with different ids, as
// replicas serving two CreateUser requests at once would: one user is created, and every
// other request learns the username is taken.
func testCreateConnectUserConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	in := newInstance(accountA, regionA, 1, "race")
	createInstance(t, s, in, nil, nil)
	const rounds, racers = 3, 8
	for round := range rounds {
		username := fmt.Sprintf("racer%d", round)
		users := make([]store.ConnectUser, racers)
		for i := range users {
			users[i] = newConnectUser(in.ID, fmt.Sprintf("race-%d-%02d", round, i), username)
		}
		what := fmt.Sprintf("round %d: CreateConnectUser %s", round, username)
		winner := race(t, what, racers, func(i int) error { return s.CreateConnectUser(ctx, users[i]) })
		if winner < 0 {
			continue
		}
		got, err := s.GetConnectUserByUsername(ctx, in.ID, username)
		must(t, what+": GetConnectUserByUsername", err)
		checkConnectUser(t, got, users[winner])
		for i, u := range users {
			if i == winner {
				continue
			}
			_, err := s.GetConnectUser(ctx, in.ID, u.ID)
			checkErr(t, what+": GetConnectUser of a loser", err, store.ErrNotFound)
		}
	}
	list, err := s.ListConnectUsers(ctx, in.ID, store.Page{})
	must(t, "ListConnectUsers", err)
	if len(list) != rounds {
		t.Errorf("ListConnectUsers after the races = %d users, want %d", len(list), rounds)
	}
}

// Details is kept byte for byte, including when it is empty.
func testConnectUserDetails(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	in := newInstance(accountA, regionA, 1, "details")
	createInstance(t, s, in, nil, nil)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for i, details := range [][]byte{nil, {}, {0}, all, bytes.Repeat([]byte(`{"k":"v"}`), 10000)} {
		u := newConnectUser(in.ID, fmt.Sprintf("u-%04d", i), fmt.Sprintf("user%d", i))
		u.Details = details
		must(t, "CreateConnectUser "+u.Username, s.CreateConnectUser(ctx, u))
		got, err := s.GetConnectUser(ctx, in.ID, u.ID)
		must(t, "GetConnectUser "+u.Username, err)
		checkConnectUser(t, got, u)
		if len(got.Details) != len(details) {
			t.Errorf("user %s Details has %d bytes, want %d", u.Username, len(got.Details), len(details))
		}
	}
}

func testConnectUserPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	in := newInstance(accountA, regionA, 1, "paging")
	other := newInstance(accountA, regionA, 2, "other")
	createInstance(t, s, in, nil, nil)
	createInstance(t, s, other, nil, nil)
	// Created in neither order. Byte order puts capitals before lower case, "_" between them,
	// and a non-ASCII name last: no collation but bytewise gives this order.
	names := []string{"bob", "émile", "Alice", "carol", "Bob", "_svc", "alice", "Zed"}
	order := []string{"Alice", "Bob", "Zed", "_svc", "alice", "bob", "carol", "émile"}
	want := map[string]store.ConnectUser{}
	for i, name := range names {
		u := newConnectUser(in.ID, fmt.Sprintf("u-%04d", len(names)-i), name)
		must(t, "CreateConnectUser "+name, s.CreateConnectUser(ctx, u))
		want[name] = u
	}
	// Sort before and among the instance's users, and must not appear in its lists.
	for i, name := range []string{"AAA", "Bz", "b"} {
		must(t, "CreateConnectUser in other instance", s.CreateConnectUser(ctx, newConnectUser(other.ID, fmt.Sprintf("o-%04d", i), name)))
	}

	list := func(p store.Page) ([]store.ConnectUser, error) { return s.ListConnectUsers(ctx, in.ID, p) }
	name := func(u store.ConnectUser) string { return u.Username }
	testExactPaging(t, list, name, func(got store.ConnectUser) { checkConnectUser(t, got, want[got.Username]) }, order)
	// Summaries page the same way, and hold everything but the two documents.
	summaries := func(p store.Page) ([]store.ConnectUser, error) { return s.ListConnectUserSummaries(ctx, in.ID, p) }
	testExactPaging(t, summaries, name, func(got store.ConnectUser) {
		full := want[got.Username]
		if got.Details != nil || got.PasswordHash != nil {
			t.Errorf("summary of %s holds its details or password hash", got.Username)
		}
		full.Details, full.PasswordHash = nil, nil
		checkConnectUser(t, got, full)
	}, order)

	// After is compared byte for byte, not case-folded.
	for _, tc := range []struct {
		after string
		want  []string
	}{
		{"BOB", order[1:]}, // "BOB" < "Bob"
		{"Bob", order[2:]},
		{"bob", order[6:]},
		{"a", order[4:]},
		{"Alice", order[1:]},
		{"alice", order[5:]},
		{"é", order[7:]},
		{"émile", nil},
	} {
		page, err := list(store.Page{After: tc.after})
		must(t, fmt.Sprintf("ListConnectUsers after %q", tc.after), err)
		if got := keys(page, name); !slices.Equal(got, tc.want) {
			t.Errorf("ListConnectUsers after %q = %q, want %q", tc.after, got, tc.want)
		}
	}
}

func testDeleteInstanceCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	in := newInstance(accountA, regionA, 1, "doomed")
	kept := newInstance(accountA, regionA, 2, "kept")
	sec := []store.Profile{newProfile(in.ID, 1, "Admin")}
	rout := []store.Profile{newProfile(in.ID, 2, "Basic")}
	keptSec := []store.Profile{newProfile(kept.ID, 1, "Admin")}
	keptRout := []store.Profile{newProfile(kept.ID, 2, "Basic")}
	createInstance(t, s, in, sec, rout)
	createInstance(t, s, kept, keptSec, keptRout)
	users := []store.ConnectUser{newConnectUser(in.ID, "u-0001", "alice"), newConnectUser(in.ID, "u-0002", "bob")}
	keptUser := newConnectUser(kept.ID, "u-0001", "alice")
	for _, u := range append(slices.Clone(users), keptUser) {
		must(t, "CreateConnectUser "+u.InstanceID+" "+u.Username, s.CreateConnectUser(ctx, u))
	}

	must(t, "DeleteInstance", s.DeleteInstance(ctx, accountA, regionA, in.ID))
	checkNoInstance(t, s, in, "after DeleteInstance")
	for _, u := range users {
		_, err := s.GetConnectUser(ctx, in.ID, u.ID)
		checkErr(t, "GetConnectUser of deleted instance's user", err, store.ErrNotFound)
		_, err = s.GetConnectUserByUsername(ctx, in.ID, u.Username)
		checkErr(t, "GetConnectUserByUsername of deleted instance's user", err, store.ErrNotFound)
	}
	_, err := s.GetProfile(ctx, store.SecurityProfiles, in.ID, sec[0].ID)
	checkErr(t, "GetSecurityProfile of deleted instance", err, store.ErrNotFound)
	_, err = s.GetProfile(ctx, store.RoutingProfiles, in.ID, rout[0].ID)
	checkErr(t, "GetRoutingProfile of deleted instance", err, store.ErrNotFound)
	checkErr(t, "CreateConnectUser in deleted instance", s.CreateConnectUser(ctx, newConnectUser(in.ID, "u-0003", "carol")), store.ErrNotFound)

	// The other instance keeps everything.
	checkProfiles(t, s, kept.ID, keptSec, keptRout)
	got, err := s.GetConnectUser(ctx, kept.ID, keptUser.ID)
	must(t, "GetConnectUser of the kept instance", err)
	checkConnectUser(t, got, keptUser)

	// The alias is free again, and the id too: an instance created with both starts empty.
	for _, again := range []store.Instance{newInstance(accountA, regionA, 3, "DOOMED"), newInstance(accountA, regionA, 1, "doomed-too")} {
		createInstance(t, s, again, nil, nil)
		got, err := s.GetInstance(ctx, accountA, regionA, again.ID)
		must(t, "GetInstance recreated", err)
		checkInstance(t, got, again)
	}
	checkProfiles(t, s, in.ID, nil, nil)
	list, err := s.ListConnectUsers(ctx, in.ID, store.Page{})
	must(t, "ListConnectUsers of recreated instance", err)
	if len(list) != 0 {
		t.Errorf("ListConnectUsers of recreated instance = %+v, want none", list)
	}
	must(t, "CreateConnectUser with a deleted user's username", s.CreateConnectUser(ctx, users[0]))
}

func testSigningKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys of an empty store", err)
	if len(list) != 0 {
		t.Errorf("ListSigningKeys of an empty store = %+v, want none", list)
	}

	key := func(id string, created time.Time) store.SigningKey {
		secret := []byte("secret of " + id)
		secret[0], secret[1] = 0x00, 0xff // bytes text handling would mangle
		return store.SigningKey{ID: id, Secret: secret, CreatedAt: created}
	}
	// In their expected order: by creation time, then by id.
	want := []store.SigningKey{
		key("k3", t0.Add(-time.Hour)),
		key("k1", t0),
		key("k2", t0),
		key("k0", t0.Add(time.Microsecond)),
	}
	for _, i := range []int{3, 2, 0, 1} {
		k := want[i]
		k.Secret = slices.Clone(k.Secret)
		must(t, "CreateSigningKey "+k.ID, s.CreateSigningKey(ctx, k))
		k.Secret[2] ^= 0xff // the store must have kept its own copy
	}
	checkErr(t, "CreateSigningKey duplicate", s.CreateSigningKey(ctx, key("k1", t0.Add(time.Hour))), store.ErrAlreadyExists)

	list, err = s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	if len(list) != len(want) {
		t.Fatalf("ListSigningKeys = %+v, want %+v", list, want)
	}
	for i := range want {
		checkSigningKey(t, list[i], want[i])
	}

	must(t, "DeleteSigningKey "+want[0].ID, s.DeleteSigningKey(ctx, want[0].ID))
	checkErr(t, "DeleteSigningKey again", s.DeleteSigningKey(ctx, want[0].ID), store.ErrNotFound)
	list, err = s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys after a delete", err)
	if len(list) != len(want)-1 || list[0].ID != want[1].ID {
		t.Errorf("after deleting %s, ListSigningKeys = %v", want[0].ID, keys(list, func(k store.SigningKey) string { return k.ID }))
	}
}

func keys[T any](recs []T, key func(T) string) []string {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, key(r))
	}
	return out
}

// testExactPaging checks a list of records whose keys, compared byte for byte, are order:
// unlimited lists, a walk with Limit 2 where each After is the previous page's last key, and
// After at every key.
func testExactPaging[T any](t *testing.T, list func(store.Page) ([]T, error), key func(T) string, check func(T), order []string) {
	t.Helper()
	for _, limit := range []int{0, -1, len(order), 100} {
		all, err := list(store.Page{Limit: limit})
		must(t, fmt.Sprintf("list with Limit %d", limit), err)
		if got := keys(all, key); !slices.Equal(got, order) {
			t.Errorf("list with Limit %d = %q, want %q", limit, got, order)
		}
		for _, r := range all {
			check(r)
		}
	}

	var (
		walked    []string
		sizes     []int
		wantSizes []int
		after     string
	)
	for n := len(order); n > 0; n -= 2 {
		wantSizes = append(wantSizes, min(n, 2))
	}
	wantSizes = append(wantSizes, 0)
	for range len(order) + 2 { // bounded, in case After were ignored
		page, err := list(store.Page{After: after, Limit: 2})
		must(t, fmt.Sprintf("list after %q", after), err)
		sizes = append(sizes, len(page))
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			check(r)
		}
		walked = append(walked, keys(page, key)...)
		after = key(page[len(page)-1])
	}
	if !slices.Equal(walked, order) || !slices.Equal(sizes, wantSizes) {
		t.Errorf("paging by 2 gave %q in pages of %v, want %q in pages of %v", walked, sizes, order, wantSizes)
	}

	for i, after := range order {
		page, err := list(store.Page{After: after, Limit: 1})
		must(t, fmt.Sprintf("list after %q", after), err)
		want := order[i+1 : min(i+2, len(order))]
		if got := keys(page, key); !slices.Equal(got, want) {
			t.Errorf("list after %q with Limit 1 = %q, want %q", after, got, want)
		}
	}
}

// UpdateConnectUser is a compare-and-swap: concurrent updates of one user, from any number of
// handles on the store, each see the last one's result, so none is lost; a refused update
// writes nothing; the username and id cannot change.
func testUpdateConnectUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	in := newInstance(accountA, regionA, 1, "updates")
	createInstance(t, s, in, nil, nil)
	u := newConnectUser(in.ID, "upd-1", "agent1")
	u.Details = []byte(`0`)
	must(t, "CreateConnectUser", s.CreateConnectUser(ctx, u))

	const racers = 8
	var wg sync.WaitGroup
	for range racers {
		wg.Go(func() {
			err := s.UpdateConnectUser(ctx, in.ID, u.ID, func(cur store.ConnectUser) (store.ConnectUser, error) {
				n, err := strconv.Atoi(string(cur.Details))
				if err != nil {
					return cur, err
				}
				cur.Details = []byte(strconv.Itoa(n + 1))
				cur.UpdatedAt = cur.UpdatedAt.Add(time.Second)
				return cur, nil
			})
			if err != nil {
				t.Errorf("UpdateConnectUser: %v", err)
			}
		})
	}
	wg.Wait()
	got, err := s.GetConnectUser(ctx, in.ID, u.ID)
	must(t, "GetConnectUser", err)
	if string(got.Details) != strconv.Itoa(racers) {
		t.Errorf("after %d concurrent increments Details = %q: an update was lost", racers, got.Details)
	}
	checkTime(t, "UpdatedAt", got.UpdatedAt, u.UpdatedAt.Add(racers*time.Second))

	refused := errors.New("refused")
	err = s.UpdateConnectUser(ctx, in.ID, u.ID, func(cur store.ConnectUser) (store.ConnectUser, error) {
		cur.Details = []byte("lost")
		return cur, refused
	})
	checkErr(t, "a refused update", err, refused)
	if again, _ := s.GetConnectUser(ctx, in.ID, u.ID); string(again.Details) != strconv.Itoa(racers) {
		t.Errorf("a refused update wrote %q", again.Details)
	}
	err = s.UpdateConnectUser(ctx, in.ID, u.ID, func(cur store.ConnectUser) (store.ConnectUser, error) {
		cur.Username = "renamed"
		return cur, nil
	})
	if err == nil {
		t.Error("an update that renamed the user was accepted")
	}
	err = s.UpdateConnectUser(ctx, in.ID, "no-such-user", func(cur store.ConnectUser) (store.ConnectUser, error) { return cur, nil })
	checkErr(t, "UpdateConnectUser of none", err, store.ErrNotFound)
}

// UpdateInstance: the flags, attributes and tags as the update leaves them, atomically; none
// is none; the rest of the instance stays as it was.
func testUpdateInstance(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	in := newInstance(accountA, regionA, 1, "tagged")
	createInstance(t, s, in, nil, nil)
	update := func(what string, change func(*store.Instance)) store.Instance {
		t.Helper()
		must(t, "UpdateInstance "+what, s.UpdateInstance(ctx, accountA, regionA, in.ID, func(old store.Instance) (store.Instance, error) {
			change(&old)
			return old, nil
		}))
		got, err := s.GetInstance(ctx, accountA, regionA, in.ID)
		must(t, "GetInstance after "+what, err)
		return got
	}
	want := in
	want.Tags = map[string]string{"team": "Tier 2", "é": ""}
	want.Attributes = map[string]string{"CONTACT_LENS": "true", "EARLY_MEDIA": "false"}
	want.InboundCalls, want.OutboundCalls = false, true
	got := update("setting", func(i *store.Instance) {
		i.Tags, i.Attributes = want.Tags, want.Attributes
		i.InboundCalls, i.OutboundCalls = false, true
	})
	checkInstance(t, got, want)
	got = update("adding", func(i *store.Instance) { i.Tags["cost"] = "42"; i.Attributes["CONTACTFLOW_LOGS"] = "true" })
	if len(got.Tags) != 3 || got.Tags["cost"] != "42" || len(got.Attributes) != 3 || got.Attributes["CONTACTFLOW_LOGS"] != "true" {
		t.Errorf("after adding: tags %v, attributes %v", got.Tags, got.Attributes)
	}
	got = update("removing", func(i *store.Instance) { i.Tags, i.Attributes = nil, map[string]string{} })
	if len(got.Tags) != 0 || len(got.Attributes) != 0 {
		t.Errorf("after removing every tag and attribute: tags %v, attributes %v", got.Tags, got.Attributes)
	}
	refused := errors.New("refused")
	err := s.UpdateInstance(ctx, accountA, regionA, in.ID, func(old store.Instance) (store.Instance, error) {
		old.Tags = map[string]string{"lost": "yes"}
		return old, refused
	})
	checkErr(t, "UpdateInstance refused by its update", err, refused)
	if got, _ := s.GetInstance(ctx, accountA, regionA, in.ID); len(got.Tags) != 0 {
		t.Errorf("a refused update wrote tags %v", got.Tags)
	}
	err = s.UpdateInstance(ctx, accountA, regionB, in.ID, func(old store.Instance) (store.Instance, error) { return old, nil })
	checkErr(t, "UpdateInstance in another region", err, store.ErrNotFound)
}

// ProfileCRUD: a profile of each kind is created, found, renamed and changed atomically,
// and deleted; names are unique per instance and kind, exactly.
func testProfileCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	in := newInstance(accountA, regionA, 1, "crud")
	other := newInstance(accountA, regionA, 2, "crud-other")
	createInstance(t, s, in, nil, nil)
	createInstance(t, s, other, nil, nil)
	for i, kind := range []store.ProfileKind{store.SecurityProfiles, store.RoutingProfiles, store.Queues} {
		t.Run(string(kind), func(t *testing.T) {
			p := newProfile(in.ID, 10*i+1, "Sales")
			p.Kind = kind
			must(t, "CreateProfile", s.CreateProfile(ctx, p))
			got, err := s.GetProfile(ctx, kind, in.ID, p.ID)
			must(t, "GetProfile", err)
			checkProfile(t, got, p)

			dupID := newProfile(in.ID, 10*i+1, "Another name")
			dupID.Kind = kind
			checkErr(t, "CreateProfile with a taken id", s.CreateProfile(ctx, dupID), store.ErrAlreadyExists)
			dupName := newProfile(in.ID, 10*i+2, "Sales")
			dupName.Kind = kind
			checkErr(t, "CreateProfile with a taken name", s.CreateProfile(ctx, dupName), store.ErrAlreadyExists)
			// Names compare exactly, and only within the instance.
			second := newProfile(in.ID, 10*i+3, "sales")
			second.Kind = kind
			must(t, "CreateProfile with the name in another case", s.CreateProfile(ctx, second))
			elsewhere := newProfile(other.ID, 10*i+4, "Sales")
			elsewhere.Kind = kind
			must(t, "CreateProfile with the name in another instance", s.CreateProfile(ctx, elsewhere))
			orphan := newProfile(missingInstance, 10*i+5, "Orphan")
			orphan.Kind = kind
			checkErr(t, "CreateProfile in a missing instance", s.CreateProfile(ctx, orphan), store.ErrNotFound)

			want := p
			want.Name, want.Description, want.Details = "Sales EMEA", "", []byte(`{"changed":true}`)
			want.UpdatedAt = t0.Add(time.Hour)
			must(t, "UpdateProfile", s.UpdateProfile(ctx, kind, in.ID, p.ID, func(old store.Profile) (store.Profile, error) {
				checkProfile(t, old, p)
				old.Name, old.Description, old.Details, old.UpdatedAt = want.Name, want.Description, want.Details, want.UpdatedAt
				return old, nil
			}))
			got, err = s.GetProfile(ctx, kind, in.ID, p.ID)
			must(t, "GetProfile after UpdateProfile", err)
			checkProfile(t, got, want)
			err = s.UpdateProfile(ctx, kind, in.ID, p.ID, func(old store.Profile) (store.Profile, error) {
				old.Name = second.Name
				return old, nil
			})
			checkErr(t, "UpdateProfile to a taken name", err, store.ErrAlreadyExists)
			err = s.UpdateProfile(ctx, kind, other.ID, p.ID, func(old store.Profile) (store.Profile, error) { return old, nil })
			checkErr(t, "UpdateProfile in another instance", err, store.ErrNotFound)
			got, err = s.GetProfile(ctx, kind, in.ID, p.ID)
			must(t, "GetProfile after refused updates", err)
			checkProfile(t, got, want)

			must(t, "DeleteProfile", s.DeleteProfile(ctx, kind, in.ID, p.ID))
			_, err = s.GetProfile(ctx, kind, in.ID, p.ID)
			checkErr(t, "GetProfile after DeleteProfile", err, store.ErrNotFound)
			checkErr(t, "DeleteProfile again", s.DeleteProfile(ctx, kind, in.ID, p.ID), store.ErrNotFound)
			// The name is free again.
			must(t, "CreateProfile with a deleted profile's name", s.CreateProfile(ctx, dupName))
		})
	}
	// Each kind is its own namespace: every kind holds "Sales" above, and one kind's id is not
	// another's.
	_, err := s.GetProfile(ctx, store.Queues, in.ID, profileID(2))
	checkErr(t, "GetProfile of a security profile's id as a queue", err, store.ErrNotFound)
	// Deleting the instance deletes its queues too.
	must(t, "DeleteInstance", s.DeleteInstance(ctx, accountA, regionA, in.ID))
	checkNoInstance(t, s, in, "after DeleteInstance")
}
