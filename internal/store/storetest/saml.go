package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// SAML providers: kept as given, unique per account ignoring case, updated and deleted.
func testSAMLProviders(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccounts(t, s, accountA, accountB)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 123456000, time.UTC)
	metadata := "<EntityDescriptor entityID=\"https://idp.example.com/é\">\n  ...\n</EntityDescriptor>"
	p := store.SAMLProvider{AccountID: accountA, Name: "Okta", Metadata: metadata, ValidUntil: t0.AddDate(100, 0, 0), CreatedAt: t0, UpdatedAt: t0}
	must(t, "CreateSAMLProvider", s.CreateSAMLProvider(ctx, p))
	must(t, "CreateSAMLProvider same name in B", s.CreateSAMLProvider(ctx, store.SAMLProvider{AccountID: accountB, Name: "okta",
		Metadata: "<b/>", ValidUntil: t0, CreatedAt: t0, UpdatedAt: t0}))
	if err := s.CreateSAMLProvider(ctx, store.SAMLProvider{AccountID: accountA, Name: "OKTA", Metadata: "<x/>", CreatedAt: t0, UpdatedAt: t0}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("CreateSAMLProvider of a name taken in another case: %v, want ErrAlreadyExists", err)
	}
	if err := s.CreateSAMLProvider(ctx, store.SAMLProvider{AccountID: "000000000000", Name: "x", Metadata: "<x/>"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateSAMLProvider in no account: %v, want ErrNotFound", err)
	}
	got, err := s.GetSAMLProvider(ctx, accountA, "okta")
	must(t, "GetSAMLProvider", err)
	if got != p {
		t.Errorf("GetSAMLProvider = %+v, want %+v", got, p)
	}
	must(t, "CreateSAMLProvider Azure", s.CreateSAMLProvider(ctx, store.SAMLProvider{AccountID: accountA, Name: "azure", Metadata: "<a/>",
		ValidUntil: t0, CreatedAt: t0, UpdatedAt: t0}))
	list, err := s.ListSAMLProviders(ctx, accountA)
	must(t, "ListSAMLProviders", err)
	if len(list) != 2 || list[0].Name != "azure" || list[1].Name != "Okta" {
		t.Errorf("ListSAMLProviders = %+v, want azure then Okta", list)
	}

	p.Metadata, p.UpdatedAt, p.ValidUntil = "<new/>", t0.Add(time.Hour), t0.AddDate(1, 0, 0)
	must(t, "UpdateSAMLProvider", s.UpdateSAMLProvider(ctx, store.SAMLProvider{AccountID: accountA, Name: "OKTA",
		Metadata: p.Metadata, ValidUntil: p.ValidUntil, UpdatedAt: p.UpdatedAt}))
	if got, _ := s.GetSAMLProvider(ctx, accountA, "Okta"); got != p {
		t.Errorf("after the update: %+v, want %+v", got, p)
	}
	if err := s.UpdateSAMLProvider(ctx, store.SAMLProvider{AccountID: accountA, Name: "nope", Metadata: "<x/>"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateSAMLProvider of none: %v, want ErrNotFound", err)
	}
	must(t, "DeleteSAMLProvider", s.DeleteSAMLProvider(ctx, accountA, "OKTA"))
	if _, err := s.GetSAMLProvider(ctx, accountA, "Okta"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSAMLProvider after delete: %v", err)
	}
	if err := s.DeleteSAMLProvider(ctx, accountA, "Okta"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteSAMLProvider twice: %v", err)
	}
	if _, err := s.GetSAMLProvider(ctx, accountB, "OKTA"); err != nil {
		t.Errorf("B's provider went with A's: %v", err)
	}
}
