package connect

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/store/sealed"
	"github.com/connectfed/connectfed/internal/store/sqlite"
	"github.com/connectfed/connectfed/internal/token"
)

const testAccount = "123456789012"

// countingStore counts the user lookups that reach the store; during, when set, runs inside
// each lookup by id, as a change made while it reads.
type countingStore struct {
	store.Store
	byUsername, byID, listed atomic.Int64
	during                   func()
}

func (c *countingStore) ListConnectUserSummaries(ctx context.Context, instanceID string, p store.Page) ([]store.ConnectUser, error) {
	c.listed.Add(1)
	us, err := c.Store.ListConnectUserSummaries(ctx, instanceID, p)
	if c.during != nil {
		c.during()
	}
	return us, err
}

func (c *countingStore) GetConnectUser(ctx context.Context, instanceID, id string) (store.ConnectUser, error) {
	c.byID.Add(1)
	u, err := c.Store.GetConnectUser(ctx, instanceID, id)
	if c.during != nil {
		c.during()
	}
	return u, err
}

func (c *countingStore) GetConnectUserByUsername(ctx context.Context, instanceID, username string) (store.ConnectUser, error) {
	c.byUsername.Add(1)
	return c.Store.GetConnectUserByUsername(ctx, instanceID, username)
}

type fixture struct {
	svc    *Service
	store  *countingStore
	caller Caller
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "connect.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := t.Context()
	ids := identity.New(st, nil, 0)
	if err := ids.EnsureAccount(ctx, testAccount); err != nil {
		t.Fatal(err)
	}
	sealer, err := secrets.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := token.NewIssuer(ctx, sealed.Wrap(st, sealer), nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st}
	root := identity.Principal{Kind: identity.Root, AccountID: testAccount, UserID: testAccount}
	return fixture{svc: New(cs, tokens, ids, Config{SignInBase: "http://connectfed.test"}, nil), store: cs,
		caller: Caller{Principal: root, Region: "us-east-1"}}
}

func (f fixture) instance(t *testing.T, kind, alias string) Instance {
	t.Helper()
	yes := true
	in, err := f.svc.CreateInstance(t.Context(), f.caller, CreateInstanceInput{IdentityManagementType: kind,
		InstanceAlias: alias, InboundCallsEnabled: &yes, OutboundCallsEnabled: &yes})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// user creates a user of the instance with its default security and routing profiles (and a
// password, for a CONNECT_MANAGED instance, unless it is "").
func (f fixture) user(t *testing.T, instanceID, username, password string) User {
	t.Helper()
	ctx := t.Context()
	sec, err := f.svc.ListSecurityProfiles(ctx, f.caller, instanceID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	rout, err := f.svc.ListRoutingProfiles(ctx, f.caller, instanceID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.svc.CreateUser(ctx, f.caller, instanceID, CreateUserInput{Username: username, Password: password,
		SecurityProfileIDs: []string{sec.Items[0].ID}, RoutingProfileID: rout.Items[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// A principal with no username to federate as is refused before the store is asked.
func TestFederationWithoutUsernameAsksNoStore(t *testing.T) {
	f := newFixture(t)
	in := f.instance(t, SAML, "fed")
	nameless := Caller{Principal: identity.Principal{Kind: identity.IAMUser, AccountID: testAccount}, Region: "us-east-1"}
	_, err := f.svc.GetFederationToken(t.Context(), nameless, in.ID)
	if !apierr.Is(err, apierr.UserNotFound) {
		t.Fatalf("GetFederationToken without a username: %v", err)
	}
	if n := f.store.byUsername.Load(); n != 0 {
		t.Errorf("the store was asked for the empty username %d times", n)
	}
}

// A retried CreateInstance with its ClientToken returns the instance the first call made;
// another token makes another instance. Tags are kept and described.
func TestCreateInstanceClientTokenAndTags(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	yes := true
	in := CreateInstanceInput{ClientToken: "retry-1", IdentityManagementType: SAML, InstanceAlias: "idem",
		InboundCallsEnabled: &yes, OutboundCallsEnabled: &yes, Tags: map[string]string{"team": "support"}}
	first, err := f.svc.CreateInstance(ctx, f.caller, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.CreateInstance(ctx, f.caller, in)
	if err != nil || again.ID != first.ID {
		t.Fatalf("retry with the same ClientToken: %+v, %v; want instance %s", again, err, first.ID)
	}
	got, err := f.svc.DescribeInstance(ctx, f.caller, first.ID)
	if err != nil || got.Tags["team"] != "support" || len(got.Tags) != 1 {
		t.Fatalf("DescribeInstance tags %v, %v", got.Tags, err)
	}
	in.ClientToken = "retry-2"
	if _, err := f.svc.CreateInstance(ctx, f.caller, in); !apierr.Is(err, apierr.DuplicateResource) {
		t.Errorf("a new ClientToken with a taken alias: %v, want DuplicateResource", err)
	}
	// Another region is another place: the token names nothing there.
	elsewhere := Caller{Principal: f.caller.Principal, Region: "eu-west-2"}
	other, err := f.svc.CreateInstance(ctx, elsewhere, CreateInstanceInput{ClientToken: "retry-1",
		IdentityManagementType: SAML, InstanceAlias: "idem", InboundCallsEnabled: &yes, OutboundCallsEnabled: &yes})
	if err != nil || other.ID == first.ID {
		t.Errorf("the token in another region: %+v, %v", other, err)
	}
	in.ClientToken = "bad\x00token"
	if _, err := f.svc.CreateInstance(ctx, f.caller, in); !apierr.Is(err, apierr.InvalidParameter) {
		t.Errorf("a ClientToken with a NUL: %v, want InvalidParameter", err)
	}
}

// A CONNECT_MANAGED user's password is kept as an argon2id hash that matches it and nothing
// else; the password itself is stored nowhere.
func TestCreateUserKeepsPasswordHash(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	in := f.instance(t, ConnectManaged, "managed")
	const password = "Corr3ct-Horse"
	u := f.user(t, in.ID, "agent1", password)
	rec, err := f.store.GetConnectUser(ctx, in.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(rec.PasswordHash, []byte("$argon2id$v=19$")) || bytes.Contains(rec.PasswordHash, []byte(password)) ||
		bytes.Contains(rec.Details, []byte(password)) {
		t.Fatalf("stored password hash %q, details %q", rec.PasswordHash, rec.Details)
	}
	if !passwordMatches(rec.PasswordHash, password) {
		t.Error("the hash does not match its password")
	}
	for _, wrong := range []string{"", "corr3ct-Horse", password + " "} {
		if passwordMatches(rec.PasswordHash, wrong) {
			t.Errorf("the hash matches %q", wrong)
		}
	}
}

func TestPasswordHashIsSaltedAndStrict(t *testing.T) {
	a, err := hashPassword("Passw0rd")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := hashPassword("Passw0rd")
	if bytes.Equal(a, b) {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=0,t=2,p=1$AAAA$AAAA", "$argon2i$v=19$m=19456,t=2,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$AAAA", string(a[:len(a)-4])} {
		if passwordMatches([]byte(bad), "Passw0rd") {
			t.Errorf("the malformed hash %q matches", bad)
		}
	}
}

func TestInstanceRefResolve(t *testing.T) {
	c := Caller{Principal: identity.Principal{AccountID: testAccount}, Region: "us-east-1"}
	for ref, want := range map[string]string{
		"abc-1": "abc-1",
		"arn:aws:connect:us-east-1:123456789012:instance/abc-1": "abc-1",
	} {
		if got, err := instanceRef(ref).resolve(c); err != nil || got != want {
			t.Errorf("resolve(%q) = %q, %v", ref, got, err)
		}
	}
	for ref, code := range map[string]apierr.Code{
		"":    apierr.InvalidParameter,
		"a/b": apierr.InvalidParameter,
		"arn:aws:connect:us-east-1:123456789012:queue/abc-1":                           apierr.InvalidParameter,
		"arn:aws:connect:us-east-1:123456789012:instance/a_b":                          apierr.InvalidParameter,
		"arn:aws:connect:eu-west-2:123456789012:instance/abc-1":                        apierr.ResourceNotFound,
		"arn:aws:connect:us-east-1:210987654321:instance/abc-1":                        apierr.ResourceNotFound,
		"arn:aws:connect:us-east-1:123456789012:instance/" + string(make([]byte, 100)): apierr.InvalidParameter,
	} {
		if _, err := instanceRef(ref).resolve(c); !apierr.Is(err, code) {
			t.Errorf("resolve(%q): %v, want %s", ref, err, apierr.Lookup(code).JSONType)
		}
	}
}

// LastModifiedTime moves on every update as a client reads it: to the millisecond (the wire's
// resolution), even when the clock stands still or has moved by less.
func TestLaterMovesAMillisecondOnTheWire(t *testing.T) {
	clock := time.Date(2026, 12, 6, 8, 0, 35, 315_200_000, time.UTC)
	s := &Service{now: func() time.Time { return clock }}
	for _, c := range []struct {
		name       string
		last, want time.Time
	}{
		{"the clock is past last", clock.Add(-time.Second), clock},
		{"same instant", clock, clock.Truncate(time.Millisecond).Add(time.Millisecond)},
		{"same millisecond, earlier", clock.Add(-100 * time.Microsecond), clock.Truncate(time.Millisecond).Add(time.Millisecond)},
		{"last ahead of the clock", clock.Add(5 * time.Millisecond), clock.Truncate(time.Millisecond).Add(6 * time.Millisecond)},
	} {
		got := s.later(c.last)
		if !got.Equal(c.want) {
			t.Errorf("%s: later(%s) = %s, want %s", c.name, c.last.Format(time.StampMicro), got.Format(time.StampMicro), c.want.Format(time.StampMicro))
		}
		if got.UnixMilli() <= c.last.UnixMilli() {
			t.Errorf("%s: %d ms is not past %d ms", c.name, got.UnixMilli(), c.last.UnixMilli())
		}
	}
}

// DescribeUser is answered from its cache until the user changes: here, through the service,
// through a change another replica announces, or while the read itself ran (then what it read
// is answered and not kept).
func TestDescribeUserCache(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	in := f.instance(t, "CONNECT_MANAGED", "described")
	u := f.user(t, in.ID, "agent1", "Corr3ct-Horse")
	describe := func() User {
		t.Helper()
		got, err := f.svc.DescribeUser(ctx, f.caller, in.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	reads := func(want int64, when string) {
		t.Helper()
		if got := f.store.byID.Swap(0); got != want {
			t.Errorf("%s: %d reads of the store, want %d", when, got, want)
		}
	}
	f.store.byID.Store(0)
	describe()
	describe()
	reads(1, "two describes")

	if err := f.svc.UpdateUserIdentityInfo(ctx, f.caller, in.ID, u.ID, &IdentityInfo{FirstName: "Ada"}); err != nil {
		t.Fatal(err)
	}
	f.store.byID.Store(0)
	if got := describe(); got.IdentityInfo == nil || got.IdentityInfo.FirstName != "Ada" {
		t.Errorf("after an update: IdentityInfo %+v", got.IdentityInfo)
	}
	describe()
	reads(1, "describes after an update")

	f.svc.Forget(store.Change{Kind: store.ChangedConnectUser, InstanceID: in.ID, ID: u.ID})
	describe()
	reads(1, "a describe after another replica's change")

	f.svc.Forget(store.Change{Kind: store.ChangedConnectUser, InstanceID: in.ID, ID: u.ID})
	f.store.during = func() { f.svc.forgetUser(in.ID, u.ID) }
	describe()
	f.store.during = nil
	describe()
	reads(2, "a read a change raced, then another")
}

// ListUsers' pages come from the cache until a user of the instance is created, changed or
// deleted, here or (announced) on another replica; a page read while a change raced it is
// answered but not kept.
func TestListUsersCache(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	in := f.instance(t, "SAML", "listed")
	other := f.instance(t, "SAML", "other")
	list := func(ref string) []string {
		t.Helper()
		page, err := f.svc.ListUsers(ctx, f.caller, ref, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range page.Items {
			names = append(names, u.Username+"@"+u.LastModifiedTime.Format(time.RFC3339Nano))
		}
		return names
	}
	reads := func(want int64, when string) {
		t.Helper()
		if got := f.store.listed.Swap(0); got != want {
			t.Errorf("%s: %d reads of the store, want %d", when, got, want)
		}
	}
	a := f.user(t, in.ID, "agent-a", "")
	f.store.listed.Store(0)
	first := list(in.ID)
	if again := list(in.ID); !slices.Equal(again, first) || len(first) != 1 {
		t.Errorf("listed %q, then %q: want agent-a twice", first, again)
	}
	reads(1, "two listings")

	f.user(t, in.ID, "agent-b", "")
	if got := list(in.ID); len(got) != 2 {
		t.Errorf("after a creation: %q", got)
	}
	list(in.ID)
	reads(1, "listings after a creation")

	f.user(t, other.ID, "elsewhere", "") // another instance's change keeps this one's pages
	list(in.ID)
	reads(0, "a listing after another instance's creation")

	before := list(in.ID)
	f.store.listed.Store(0)
	if err := f.svc.UpdateUserIdentityInfo(ctx, f.caller, in.ID, a.ID, &IdentityInfo{FirstName: "Ada"}); err != nil {
		t.Fatal(err)
	}
	if after := list(in.ID); slices.Equal(after, before) {
		t.Errorf("after an update the listing still says %q (LastModifiedTime unchanged)", after)
	}
	reads(1, "a listing after an update")

	if err := f.svc.DeleteUser(ctx, f.caller, in.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := list(in.ID); len(got) != 1 {
		t.Errorf("after a deletion: %q", got)
	}
	reads(1, "a listing after a deletion")

	f.svc.Forget(store.Change{Kind: store.ChangedConnectUser, InstanceID: in.ID, ID: "created-elsewhere"})
	list(in.ID)
	reads(1, "a listing after another replica's change")

	f.svc.Forget(store.Change{Kind: store.ChangedConnectUser, InstanceID: in.ID})
	f.store.during = func() { f.svc.forgetSummaries(in.ID) }
	list(in.ID)
	f.store.during = nil
	list(in.ID)
	reads(2, "a listing a change raced, then another")
}
