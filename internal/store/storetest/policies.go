package storetest

import (
	"testing"

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
