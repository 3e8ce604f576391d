package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// testInlinePolicies: an owner's inline policies are kept exactly as written, replaced by name
// ignoring case, listed by name, and apart from other owners, kinds and accounts.
func testInlinePolicies(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	doc := "{\n  \"Version\": \"2012-10-17\",\t\"Statement\": [] , \"Id\": \"é日本\"\n}"
	put := func(p store.InlinePolicy) { must(t, "PutInlinePolicy "+p.Name, s.PutInlinePolicy(ctx, p)) }
	put(store.InlinePolicy{AccountID: accountA, Kind: store.UserPolicy, Owner: "Alice", Name: "Zeta", Document: doc})
	put(store.InlinePolicy{AccountID: accountA, Kind: store.UserPolicy, Owner: "alice", Name: "alpha", Document: "{}"})
	put(store.InlinePolicy{AccountID: accountA, Kind: store.RolePolicy, Owner: "alice", Name: "RoleOnly", Document: "{}"})
	put(store.InlinePolicy{AccountID: accountB, Kind: store.UserPolicy, Owner: "alice", Name: "Other", Document: "{}"})

	got, err := s.GetInlinePolicy(ctx, accountA, store.UserPolicy, "ALICE", "zeta")
	must(t, "GetInlinePolicy", err)
	if got.Name != "Zeta" || got.Document != doc {
		t.Errorf("GetInlinePolicy = %+v, want the document as written", got)
	}
	list, err := s.ListInlinePolicies(ctx, accountA, store.UserPolicy, "alice")
	must(t, "ListInlinePolicies", err)
	if len(list) != 2 || list[0].Name != "alpha" || list[1].Name != "Zeta" {
		t.Errorf("ListInlinePolicies = %+v, want alpha then Zeta", list)
	}
	// A put of the same name in another case replaces it, with the new spelling.
	put(store.InlinePolicy{AccountID: accountA, Kind: store.UserPolicy, Owner: "alice", Name: "ZETA", Document: `{"v":2}`})
	got, err = s.GetInlinePolicy(ctx, accountA, store.UserPolicy, "alice", "Zeta")
	must(t, "GetInlinePolicy after replace", err)
	if got.Name != "ZETA" || got.Document != `{"v":2}` {
		t.Errorf("after replace: %+v", got)
	}
	if list, _ := s.ListInlinePolicies(ctx, accountA, store.UserPolicy, "alice"); len(list) != 2 {
		t.Errorf("a replace added a policy: %+v", list)
	}
	for _, c := range []struct {
		account string
		kind    store.PolicyOwner
		owner   string
	}{{accountB, store.UserPolicy, "alice"}, {accountA, store.RolePolicy, "alice"}, {accountA, store.UserPolicy, "bob"}} {
		_, err := s.GetInlinePolicy(ctx, c.account, c.kind, c.owner, "alpha")
		checkErr(t, "GetInlinePolicy of another owner", err, store.ErrNotFound)
	}
	if list, _ := s.ListInlinePolicies(ctx, accountA, store.UserPolicy, "bob"); len(list) != 0 {
		t.Errorf("an owner without policies lists %+v", list)
	}
	must(t, "DeleteInlinePolicy", s.DeleteInlinePolicy(ctx, accountA, store.UserPolicy, "Alice", "ALPHA"))
	checkErr(t, "DeleteInlinePolicy again", s.DeleteInlinePolicy(ctx, accountA, store.UserPolicy, "alice", "alpha"), store.ErrNotFound)
	_, err = s.GetInlinePolicy(ctx, accountA, store.UserPolicy, "alice", "alpha")
	checkErr(t, "GetInlinePolicy after delete", err, store.ErrNotFound)
	if _, err := s.GetInlinePolicy(ctx, accountA, store.RolePolicy, "alice", "roleonly"); err != nil {
		t.Errorf("deleting a user's policy touched the role's: %v", err)
	}
	err = s.PutInlinePolicy(ctx, store.InlinePolicy{AccountID: missingAccount, Kind: store.UserPolicy, Owner: "x", Name: "p", Document: "{}"})
	checkErr(t, "PutInlinePolicy in a missing account", err, store.ErrNotFound)
}

// testManagedPolicies: a managed policy keeps its versions exactly, names are unique per
// account ignoring case (whatever the path), listing pages by name, and updates are atomic.
func testManagedPolicies(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	doc := "{\n\t\"Version\": \"2012-10-17\", \"Statement\": [], \"Id\": \"é日本\"}"
	p := store.ManagedPolicy{AccountID: accountA, Name: "ConnectAgents", ID: "ANPACONNECTAGENTS0001", Path: "/team/",
		Description: "agents", DefaultVersion: "v1", NextVersion: 2,
		Versions:  []store.PolicyVersion{{ID: "v1", Document: doc, CreatedAt: t0}},
		CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
	must(t, "CreateManagedPolicy", s.CreateManagedPolicy(ctx, p))
	dup := p
	dup.Name, dup.Path, dup.ID = "connectagents", "/other/", "ANPADUPLICATE00000001"
	checkErr(t, "CreateManagedPolicy same name", s.CreateManagedPolicy(ctx, dup), store.ErrAlreadyExists)
	other := p
	other.AccountID = accountB
	must(t, "CreateManagedPolicy in another account", s.CreateManagedPolicy(ctx, other))
	missing := p
	missing.AccountID = missingAccount
	checkErr(t, "CreateManagedPolicy in a missing account", s.CreateManagedPolicy(ctx, missing), store.ErrNotFound)

	got, err := s.GetManagedPolicy(ctx, accountA, "CONNECTAGENTS")
	must(t, "GetManagedPolicy", err)
	checkManagedPolicy(t, got, p)

	for _, name := range []string{"b", "A", "c"} {
		q := p
		q.Name, q.ID = name, "ANPA"+name
		must(t, "CreateManagedPolicy "+name, s.CreateManagedPolicy(ctx, q))
	}
	page, err := s.ListManagedPolicies(ctx, accountA, store.Page{After: "a", Limit: 2})
	must(t, "ListManagedPolicies", err)
	if len(page) != 2 || page[0].Name != "b" || page[1].Name != "c" {
		t.Errorf("ListManagedPolicies after a = %v, want b, c", names(page))
	}

	err = s.UpdateManagedPolicy(ctx, accountA, "connectagents", func(p store.ManagedPolicy) (store.ManagedPolicy, error) {
		p.Versions = append(p.Versions, store.PolicyVersion{ID: "v2", Document: "{}", CreatedAt: t0.Add(time.Minute)})
		p.DefaultVersion, p.NextVersion, p.UpdatedAt = "v2", 3, t0.Add(time.Minute)
		return p, nil
	})
	must(t, "UpdateManagedPolicy", err)
	got, err = s.GetManagedPolicy(ctx, accountA, "ConnectAgents")
	must(t, "GetManagedPolicy after update", err)
	if got.DefaultVersion != "v2" || got.NextVersion != 3 || len(got.Versions) != 2 || got.Versions[0].Document != doc {
		t.Errorf("after update: %+v", got)
	}
	checkTime(t, "UpdatedAt", got.UpdatedAt, t0.Add(time.Minute))
	checkErr(t, "UpdateManagedPolicy of a missing policy", s.UpdateManagedPolicy(ctx, accountA, "nope",
		func(p store.ManagedPolicy) (store.ManagedPolicy, error) { return p, nil }), store.ErrNotFound)

	must(t, "DeleteManagedPolicy", s.DeleteManagedPolicy(ctx, accountA, "connectAGENTS"))
	checkErr(t, "DeleteManagedPolicy again", s.DeleteManagedPolicy(ctx, accountA, "ConnectAgents"), store.ErrNotFound)
	if _, err := s.GetManagedPolicy(ctx, accountB, "ConnectAgents"); err != nil {
		t.Errorf("deleting A's policy touched B's: %v", err)
	}
}

func names(ps []store.ManagedPolicy) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func checkManagedPolicy(t *testing.T, got, want store.ManagedPolicy) {
	t.Helper()
	checkTime(t, "policy CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "policy UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if len(got.Versions) != len(want.Versions) {
		t.Fatalf("policy versions = %+v, want %+v", got.Versions, want.Versions)
	}
	for i := range got.Versions {
		checkTime(t, "version CreatedAt", got.Versions[i].CreatedAt, want.Versions[i].CreatedAt)
		if got.Versions[i].ID != want.Versions[i].ID || got.Versions[i].Document != want.Versions[i].Document {
			t.Errorf("version %d = %+v, want %+v", i, got.Versions[i], want.Versions[i])
		}
	}
	got.CreatedAt, got.UpdatedAt, got.Versions = want.CreatedAt, want.UpdatedAt, want.Versions
	if got.AccountID != want.AccountID || got.Name != want.Name || got.ID != want.ID || got.Path != want.Path ||
		got.Description != want.Description || got.DefaultVersion != want.DefaultVersion || got.NextVersion != want.NextVersion {
		t.Errorf("policy = %+v, want %+v", got, want)
	}
}

// testUpdateManagedPolicyRefused: an update that fails writes nothing and returns its error.
func testUpdateManagedPolicyRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	p := store.ManagedPolicy{AccountID: accountA, Name: "P", ID: "ANPAP", Path: "/", DefaultVersion: "v1", NextVersion: 2,
		Versions: []store.PolicyVersion{{ID: "v1", Document: "{}", CreatedAt: t0}}, CreatedAt: t0, UpdatedAt: t0}
	must(t, "CreateManagedPolicy", s.CreateManagedPolicy(ctx, p))
	refused := errors.New("refused")
	err := s.UpdateManagedPolicy(ctx, accountA, "P", func(p store.ManagedPolicy) (store.ManagedPolicy, error) {
		p.DefaultVersion = "v9"
		return p, refused
	})
	checkErr(t, "UpdateManagedPolicy refused", err, refused)
	got, err := s.GetManagedPolicy(ctx, accountA, "P")
	must(t, "GetManagedPolicy", err)
	if got.DefaultVersion != "v1" {
		t.Errorf("a refused update was written: %+v", got)
	}
	// The row is not left locked.
	must(t, "UpdateManagedPolicy after a refusal", s.UpdateManagedPolicy(ctx, accountA, "P",
		func(p store.ManagedPolicy) (store.ManagedPolicy, error) { return p, nil }))
}

// testPolicyAttachments: attaching is idempotent, owners match ignoring case, and both
// directions list what was attached.
func testPolicyAttachments(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	const admin, mine = "arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::111111111111:policy/Mine"
	attach := func(kind store.PolicyOwner, owner, arn string) {
		must(t, "AttachPolicy", s.AttachPolicy(ctx, store.PolicyAttachment{AccountID: accountA, Kind: kind, Owner: owner, PolicyARN: arn}))
	}
	attach(store.RolePolicy, "Agent", mine)
	attach(store.RolePolicy, "agent", admin)
	attach(store.RolePolicy, "AGENT", mine) // again: no error, no second row
	attach(store.UserPolicy, "agent", mine)
	list, err := s.ListAttachedPolicies(ctx, accountA, store.RolePolicy, "Agent")
	must(t, "ListAttachedPolicies", err)
	if len(list) != 2 || list[0] != mine || list[1] != admin {
		t.Errorf("ListAttachedPolicies = %v, want [%s %s] (ARN order)", list, mine, admin)
	}
	if list, _ := s.ListAttachedPolicies(ctx, accountB, store.RolePolicy, "Agent"); len(list) != 0 {
		t.Errorf("another account lists %v", list)
	}
	who, err := s.ListPolicyAttachments(ctx, accountA, mine)
	must(t, "ListPolicyAttachments", err)
	if len(who) != 2 || who[0].Kind != store.RolePolicy || who[0].Owner != "agent" || who[1].Kind != store.UserPolicy {
		t.Errorf("ListPolicyAttachments = %+v, want the role then the user", who)
	}
	must(t, "DetachPolicy", s.DetachPolicy(ctx, store.PolicyAttachment{AccountID: accountA, Kind: store.RolePolicy, Owner: "agent", PolicyARN: mine}))
	checkErr(t, "DetachPolicy again", s.DetachPolicy(ctx, store.PolicyAttachment{AccountID: accountA, Kind: store.RolePolicy, Owner: "agent", PolicyARN: mine}), store.ErrNotFound)
	if who, _ := s.ListPolicyAttachments(ctx, accountA, mine); len(who) != 1 {
		t.Errorf("after detach: %+v", who)
	}
	err = s.AttachPolicy(ctx, store.PolicyAttachment{AccountID: missingAccount, Kind: store.UserPolicy, Owner: "x", PolicyARN: admin})
	checkErr(t, "AttachPolicy in a missing account", err, store.ErrNotFound)
}

// testPermissionsBoundaries: one boundary per owner, replaced by a put, "" when there is none.
func testPermissionsBoundaries(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	b, err := s.GetPermissionsBoundary(ctx, accountA, store.RolePolicy, "Agent")
	if err != nil || b != "" {
		t.Fatalf("GetPermissionsBoundary of none = %q, %v; want \"\", nil", b, err)
	}
	for _, arn := range []string{"arn:aws:iam::111111111111:policy/One", "arn:aws:iam::111111111111:policy/Two"} {
		must(t, "PutPermissionsBoundary", s.PutPermissionsBoundary(ctx, store.PolicyAttachment{AccountID: accountA, Kind: store.RolePolicy, Owner: "Agent", PolicyARN: arn}))
	}
	b, err = s.GetPermissionsBoundary(ctx, accountA, store.RolePolicy, "agent")
	must(t, "GetPermissionsBoundary", err)
	if b != "arn:aws:iam::111111111111:policy/Two" {
		t.Errorf("boundary = %q, want the second put", b)
	}
	if b, _ := s.GetPermissionsBoundary(ctx, accountA, store.UserPolicy, "agent"); b != "" {
		t.Errorf("the user of the same name has the role's boundary %q", b)
	}
	must(t, "DeletePermissionsBoundary", s.DeletePermissionsBoundary(ctx, accountA, store.RolePolicy, "AGENT"))
	checkErr(t, "DeletePermissionsBoundary again", s.DeletePermissionsBoundary(ctx, accountA, store.RolePolicy, "agent"), store.ErrNotFound)
}

// testSetRoleTrustPolicy: the new document is kept as written; a missing role is ErrNotFound.
func testSetRoleTrustPolicy(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA)
	must(t, "CreateRole", s.CreateRole(ctx, store.Role{AccountID: accountA, Name: "Agent", ID: "AROAAGENT", Path: "/",
		TrustPolicy: "{}", MaxSessionDuration: 3600, CreatedAt: t0}))
	doc := "{ \"Statement\" :\n[]}"
	must(t, "SetRoleTrustPolicy", s.SetRoleTrustPolicy(ctx, accountA, "agent", doc))
	r, err := s.GetRole(ctx, accountA, "Agent")
	must(t, "GetRole", err)
	if r.TrustPolicy != doc {
		t.Errorf("trust policy = %q, want %q", r.TrustPolicy, doc)
	}
	checkErr(t, "SetRoleTrustPolicy of a missing role", s.SetRoleTrustPolicy(ctx, accountA, "nobody", doc), store.ErrNotFound)
}
