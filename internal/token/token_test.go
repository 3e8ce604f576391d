package token

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

func fullClaims(kind Kind) Claims {
	return Claims{
		Kind:        kind,
		ID:          "0123456789abcdef0123456789abcdef",
		FamilyID:    "fedcba9876543210fedcba9876543210",
		AccountID:   testSubject.AccountID,
		Region:      testSubject.Region,
		InstanceID:  testSubject.InstanceID,
		UserID:      testSubject.UserID,
		AccessKeyID: "ASIAQ3EGUWSAEXAMPLE1", // a role session's key, unlike testSubject's
		IssuedAt:    t0.Add(-time.Minute),
		ExpiresAt:   t0.Add(time.Hour),
	}
}

func TestRoundTripEveryClaim(t *testing.T) {
	iss, _, _ := newTestIssuer(t)
	for _, kind := range []Kind{Access, Refresh, SignIn, Session} {
		want := fullClaims(kind)
		tok, err := iss.Mint(want)
		if err != nil {
			t.Fatalf("Mint(%v): %v", kind, err)
		}
		if !strings.HasPrefix(tok, kind.Prefix()) {
			t.Errorf("%v token %q lacks prefix %q", kind, tok, kind.Prefix())
		}
		for _, w := range []Kind{AnyKind, kind} {
			got, err := iss.Verify(tok, w)
			if err != nil {
				t.Fatalf("Verify(%v token, %v): %v", kind, w, err)
			}
			if got != want {
				t.Errorf("Verify(%v token, %v):\n got %+v\nwant %+v", kind, w, got, want)
			}
			if got.AccessKeyID != "ASIAQ3EGUWSAEXAMPLE1" {
				t.Errorf("Verify(%v token, %v): access key id %q", kind, w, got.AccessKeyID)
			}
		}
	}

	// Pair's claims are exactly what Verify reads back.
	p, err := iss.Pair(testSubject, 5*time.Minute, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tok  string
		want Claims
	}{{p.Access, p.AccessClaims}, {p.Refresh, p.RefreshClaims}} {
		got, err := iss.Verify(c.tok, c.want.Kind)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("pair token:\n got %+v\nwant %+v", got, c.want)
		}
		if got.Subject() != testSubject {
			t.Errorf("subject %+v, want %+v", got.Subject(), testSubject)
		}
		if got.AccessKeyID != testSubject.AccessKeyID {
			t.Errorf("pair %v token: access key id %q, want %q", got.Kind, got.AccessKeyID, testSubject.AccessKeyID)
		}
	}
	if p.AccessClaims.Kind != Access || p.RefreshClaims.Kind != Refresh {
		t.Errorf("pair kinds %v, %v", p.AccessClaims.Kind, p.RefreshClaims.Kind)
	}
	if !p.AccessClaims.IssuedAt.Equal(t0) || !p.AccessClaims.ExpiresAt.Equal(t0.Add(5*time.Minute)) ||
		!p.RefreshClaims.ExpiresAt.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("pair times %+v / %+v", p.AccessClaims, p.RefreshClaims)
	}
}

func TestRoundTripTruncatesToSeconds(t *testing.T) {
	iss, _, _ := newTestIssuer(t)
	c := fullClaims(Access)
	c.IssuedAt = t0.Add(900 * time.Millisecond)
	c.ExpiresAt = t0.Add(time.Minute + 999*time.Millisecond)
	tok, err := iss.Mint(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := iss.Verify(tok, Access)
	if err != nil {
		t.Fatal(err)
	}
	if !got.IssuedAt.Equal(t0) || !got.ExpiresAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("times %v, %v; want %v, %v", got.IssuedAt, got.ExpiresAt, t0, t0.Add(time.Minute))
	}
}

func TestLongestToken(t *testing.T) {
	long := strings.Repeat("x", MaxFieldLen)
	ks := &memKeys{keys: []store.SigningKey{{ID: strings.Repeat("k", MaxFieldLen), Secret: secretOf(9), CreatedAt: t0}}}
	iss, err := NewIssuer(context.Background(), ks, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	c := Claims{Kind: Refresh, ID: NewID(), FamilyID: NewID(), AccountID: long, Region: long,
		InstanceID: long, UserID: long, AccessKeyID: long, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	tok, err := iss.Mint(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != MaxLen || MaxLen != 1148 {
		t.Errorf("longest token is %d bytes, MaxLen is %d, the documentation says 1148", len(tok), MaxLen)
	}
	if got, err := iss.Verify(tok, Refresh); err != nil || got != c {
		t.Errorf("Verify longest: %+v, %v", got, err)
	}
	for _, edit := range []func(*Claims){
		func(c *Claims) { c.UserID += "x" },
		func(c *Claims) { c.AccessKeyID += "x" },
	} {
		c := c
		edit(&c)
		if _, err := iss.Mint(c); !errors.Is(err, ErrInvalidClaims) {
			t.Errorf("Mint with a %d-byte field: %v, want ErrInvalidClaims", MaxFieldLen+1, err)
		}
	}
}

func TestDistinctTokensAndIDs(t *testing.T) {
	iss, _, _ := newTestIssuer(t)
	tokens, ids, families := map[string]bool{}, map[string]bool{}, map[string]bool{}
	add := func(m map[string]bool, what, v string) {
		t.Helper()
		if m[v] {
			t.Fatalf("%s %q returned twice", what, v)
		}
		m[v] = true
	}
	for range 200 {
		p, err := iss.Pair(testSubject, time.Minute, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		add(tokens, "token", p.Access)
		add(tokens, "token", p.Refresh)
		add(ids, "id", p.AccessClaims.ID)
		add(ids, "id", p.RefreshClaims.ID)
		add(families, "family id", p.AccessClaims.FamilyID)
	}
	// Mint with no id makes a new one every time, even for otherwise identical claims.
	c := fullClaims(Access)
	c.ID = ""
	for range 200 {
		tok, err := iss.Mint(c)
		if err != nil {
			t.Fatal(err)
		}
		add(tokens, "token", tok)
		got, err := iss.Verify(tok, Access)
		if err != nil {
			t.Fatal(err)
		}
		var raw [idLen]byte
		if !parseID(got.ID, &raw) {
			t.Fatalf("minted id %q is not 32 lowercase hex digits", got.ID)
		}
		add(ids, "id", got.ID)
	}
	if id := NewID(); !parseID(id, new([idLen]byte)) || ids[id] {
		t.Errorf("NewID() = %q", id)
	}
}

func TestFamilies(t *testing.T) {
	iss, _, clk := newTestIssuer(t)
	p1, err := iss.Pair(testSubject, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := iss.Pair(testSubject, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if p1.AccessClaims.FamilyID != p1.RefreshClaims.FamilyID {
		t.Errorf("one pair, two families: %q, %q", p1.AccessClaims.FamilyID, p1.RefreshClaims.FamilyID)
	}
	if p1.AccessClaims.FamilyID == p2.AccessClaims.FamilyID {
		t.Errorf("two pairs share family %q", p1.AccessClaims.FamilyID)
	}
	if p1.AccessClaims.ID == p1.RefreshClaims.ID {
		t.Errorf("access and refresh share id %q", p1.AccessClaims.ID)
	}

	// Renewing keeps the family and the subject, and makes new ids and times.
	clk.t = t0.Add(10 * time.Minute)
	old, err := iss.Verify(p1.Refresh, Refresh)
	if err != nil {
		t.Fatal(err)
	}
	r, err := iss.Renew(old, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{r.Access, r.Refresh} {
		c, err := iss.Verify(tok, AnyKind)
		if err != nil {
			t.Fatal(err)
		}
		if c.FamilyID != old.FamilyID || c.Subject() != old.Subject() {
			t.Errorf("renewed %+v, old %+v", c, old)
		}
		if c.AccessKeyID != testSubject.AccessKeyID {
			t.Errorf("renewed access key id %q, want the old %q", c.AccessKeyID, testSubject.AccessKeyID)
		}
		if c.ID == old.ID || c.ID == p1.AccessClaims.ID || !c.IssuedAt.Equal(clk.t) {
			t.Errorf("renewed %+v: want new id, issued %v", c, clk.t)
		}
	}
	if _, err := iss.Renew(p1.AccessClaims, time.Minute, time.Hour); !errors.Is(err, ErrWrongKind) {
		t.Errorf("Renew from an access token: %v, want ErrWrongKind", err)
	}
	bad := old
	bad.FamilyID = strings.ToUpper(bad.FamilyID)
	if _, err := iss.Renew(bad, time.Minute, time.Hour); !errors.Is(err, ErrInvalidClaims) {
		t.Errorf("Renew with family %q: %v, want ErrInvalidClaims", bad.FamilyID, err)
	}
}

// Federation mints a new family's pair and a sign-in token of the same family and subject,
// issued with them, with an id of its own and the lifetime asked; it refuses a sign-in
// lifetime under a second. Pair mints no sign-in token.
func TestFederationMintsASignInTokenOfThePairsFamily(t *testing.T) {
	iss, _, _ := newTestIssuer(t)
	p, err := iss.Federation(testSubject, 5*time.Minute, time.Hour, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c, err := iss.Verify(p.SignIn, SignIn)
	if err != nil {
		t.Fatal(err)
	}
	if c.FamilyID != p.AccessClaims.FamilyID || c.Subject() != testSubject || !c.IssuedAt.Equal(t0) ||
		!c.ExpiresAt.Equal(t0.Add(90*time.Second)) {
		t.Errorf("sign-in claims %+v, pair's access claims %+v", c, p.AccessClaims)
	}
	if c.ID == p.AccessClaims.ID || c.ID == p.RefreshClaims.ID || p.AccessClaims.ID == p.RefreshClaims.ID {
		t.Errorf("ids: sign-in %q, access %q, refresh %q", c.ID, p.AccessClaims.ID, p.RefreshClaims.ID)
	}
	for tok, kind := range map[string]Kind{p.Access: Access, p.Refresh: Refresh} {
		got, err := iss.Verify(tok, kind)
		if err != nil || got.FamilyID != c.FamilyID {
			t.Errorf("%v token: %+v, %v", kind, got, err)
		}
	}
	if _, err := iss.Federation(testSubject, 5*time.Minute, time.Hour, time.Second-1); !errors.Is(err, ErrInvalidClaims) {
		t.Errorf("a sign-in lifetime under a second: %v, want ErrInvalidClaims", err)
	}
	if p, err := iss.Pair(testSubject, time.Minute, time.Hour); err != nil || p.SignIn != "" {
		t.Errorf("Pair: sign-in token %q, %v", p.SignIn, err)
	}
}

func TestExpiryBoundary(t *testing.T) {
	iss, _, clk := newTestIssuer(t)
	clk.t = t0.Add(700 * time.Millisecond) // issued-at truncates to t0
	p, err := iss.Pair(testSubject, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !p.AccessClaims.ExpiresAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("access expires %v, want %v", p.AccessClaims.ExpiresAt, t0.Add(time.Minute))
	}
	exp := t0.Add(time.Minute)
	for _, c := range []struct {
		at      time.Time
		wantErr error
	}{
		{t0, nil},
		{exp.Add(-time.Second), nil},
		{exp.Add(-time.Nanosecond), nil},
		{exp, ErrExpired},
		{exp.Add(time.Nanosecond), ErrExpired},
		{exp.Add(time.Hour), ErrExpired},
	} {
		clk.t = c.at
		_, err := iss.Verify(p.Access, Access)
		if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
			t.Errorf("at exp%+v: %v, want %v", c.at.Sub(exp), err, c.wantErr)
		}
	}
	// The refresh token has its own, later expiry.
	clk.t = exp
	if _, err := iss.Verify(p.Refresh, Refresh); err != nil {
		t.Errorf("refresh at access expiry: %v", err)
	}
	clk.t = t0.Add(time.Hour)
	if _, err := iss.Verify(p.Refresh, Refresh); !errors.Is(err, ErrExpired) {
		t.Errorf("refresh at its expiry: %v, want ErrExpired", err)
	}
	// A token from the future (another instance's clock ahead) still verifies.
	clk.t = t0.Add(-time.Minute)
	if _, err := iss.Verify(p.Access, Access); err != nil {
		t.Errorf("before issued-at: %v", err)
	}
}

func TestUnknownKeyAndForeignSecret(t *testing.T) {
	iss, _, _ := newTestIssuer(t)
	other, err := NewIssuer(context.Background(), &memKeys{}, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	p, err := other.Pair(testSubject, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(p.Access, Access); err != nil {
		t.Fatalf("own token: %v", err)
	}
	if _, err := iss.Verify(p.Access, Access); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("token of another key: %v, want ErrUnknownKey", err)
	}

	// Same key id, different secret: the id is known, the MAC is wrong.
	impostor, err := NewIssuer(context.Background(),
		&memKeys{keys: []store.SigningKey{{ID: testKey.ID, Secret: secretOf(2), CreatedAt: t0}}},
		func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	tok, err := impostor.Mint(fullClaims(Access))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Verify(tok, Access); !errors.Is(err, ErrBadSignature) {
		t.Errorf("token of another secret under our key id: %v, want ErrBadSignature", err)
	}
}

func TestReloadAddsAndRemovesKeys(t *testing.T) {
	ctx := context.Background()
	iss, ks, _ := newTestIssuer(t)
	oldTok, err := iss.Mint(fullClaims(Access))
	if err != nil {
		t.Fatal(err)
	}
	k2 := NewSigningKey(t0)
	if err := ks.CreateSigningKey(ctx, k2); err != nil {
		t.Fatal(err)
	}
	if got := iss.SigningKeyID(); got != testKey.ID {
		t.Fatalf("before Reload, signing key %q, want %q", got, testKey.ID)
	}
	if err := iss.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := iss.SigningKeyID(); got != k2.ID {
		t.Fatalf("after Reload, signing key %q, want %q", got, k2.ID)
	}
	newTok, err := iss.Mint(fullClaims(Access))
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{oldTok, newTok} {
		if _, err := iss.Verify(tok, Access); err != nil {
			t.Errorf("after Reload: %v", err)
		}
	}
	// The new token really is signed by k2: an issuer holding only k1 does not know it, and
	// one holding only k2 verifies it.
	onlyK1, _, _ := newTestIssuer(t)
	if _, err := onlyK1.Verify(newTok, Access); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("new token on an issuer without k2: %v, want ErrUnknownKey", err)
	}
	onlyK2, err := NewIssuer(ctx, &memKeys{keys: []store.SigningKey{k2}}, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := onlyK2.Verify(newTok, Access); err != nil {
		t.Errorf("new token on an issuer with k2: %v", err)
	}

	// Deleting k1 from the store and reloading revokes the tokens it signed.
	ks.remove(testKey.ID)
	if err := iss.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Verify(oldTok, Access); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("token of a deleted key: %v, want ErrUnknownKey", err)
	}
	if _, err := iss.Verify(newTok, Access); err != nil {
		t.Errorf("token of the kept key: %v", err)
	}

	// A key whose secret changed in the store under the same id is a new key: the tokens of
	// the old secret no longer verify.
	ks.mu.Lock()
	ks.keys[0].Secret = secretOf(42)
	ks.mu.Unlock()
	if err := iss.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Verify(newTok, Access); !errors.Is(err, ErrBadSignature) {
		t.Errorf("token of a replaced secret: %v, want ErrBadSignature", err)
	}
	ks.mu.Lock()
	ks.keys[0].Secret = k2.Secret
	ks.mu.Unlock()
	if err := iss.Reload(ctx); err != nil {
		t.Fatal(err)
	}

	// A failed Reload keeps the keys loaded before.
	ks.listErr = errors.New("db down")
	if err := iss.Reload(ctx); err == nil {
		t.Error("Reload with a failing store: no error")
	}
	ks.listErr = nil
	ks.remove(k2.ID)
	if err := iss.Reload(ctx); err == nil {
		t.Error("Reload of an empty store: no error")
	}
	if _, err := iss.Verify(newTok, Access); err != nil {
		t.Errorf("after failed Reloads: %v", err)
	}
}

func TestNewIssuerKeyCreation(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return t0 }

	empty := &memKeys{}
	iss, err := NewIssuer(ctx, empty, now)
	if err != nil {
		t.Fatal(err)
	}
	if empty.creates != 1 || len(empty.keys) != 1 {
		t.Fatalf("empty store: %d creates, %d keys; want 1, 1", empty.creates, len(empty.keys))
	}
	k := empty.keys[0]
	if len(k.Secret) != MinSecretLen || bytes.Equal(k.Secret, make([]byte, MinSecretLen)) || k.ID == "" ||
		!k.CreatedAt.Equal(t0) {
		t.Errorf("created key %+v", k)
	}
	if iss.SigningKeyID() != k.ID {
		t.Errorf("signing key %q, want the created %q", iss.SigningKeyID(), k.ID)
	}
	// A second start on the same store creates nothing.
	if _, err := NewIssuer(ctx, empty, now); err != nil || empty.creates != 1 {
		t.Errorf("restart: %v, %d creates; want 1", err, empty.creates)
	}

	older := store.SigningKey{ID: "old", Secret: secretOf(3), CreatedAt: t0.Add(-2 * time.Hour)}
	newer := store.SigningKey{ID: "new", Secret: secretOf(4), CreatedAt: t0.Add(-time.Hour)}
	// Listed newest first on purpose: the newest by CreatedAt signs, whatever the order.
	some := &memKeys{keys: []store.SigningKey{newer, older}}
	iss, err = NewIssuer(ctx, some, now)
	if err != nil {
		t.Fatal(err)
	}
	if some.creates != 0 || len(some.keys) != 2 {
		t.Errorf("store with keys: %d creates, %d keys; want 0, 2", some.creates, len(some.keys))
	}
	if iss.SigningKeyID() != "new" {
		t.Errorf("signing key %q, want the newest", iss.SigningKeyID())
	}
	// On a CreatedAt tie, the later in the (oldest-first) listing signs.
	tie := &memKeys{keys: []store.SigningKey{
		{ID: "a", Secret: secretOf(5), CreatedAt: t0}, {ID: "b", Secret: secretOf(6), CreatedAt: t0}}}
	if iss, err := NewIssuer(ctx, tie, now); err != nil || iss.SigningKeyID() != "b" {
		t.Errorf("tie: %v, signing key %q; want b", err, iss.SigningKeyID())
	}

	for name, ks := range map[string]*memKeys{
		"list fails":   {listErr: errors.New("db down")},
		"short secret": {keys: []store.SigningKey{{ID: "s", Secret: secretOf(7)[:MinSecretLen-1]}}},
		"empty id":     {keys: []store.SigningKey{{ID: "", Secret: secretOf(7)}}},
		"long id":      {keys: []store.SigningKey{{ID: strings.Repeat("i", MaxFieldLen+1), Secret: secretOf(7)}}},
		"duplicate id": {keys: []store.SigningKey{{ID: "d", Secret: secretOf(7)}, {ID: "d", Secret: secretOf(8)}}},
	} {
		if _, err := NewIssuer(ctx, ks, now); err == nil {
			t.Errorf("%s: NewIssuer succeeded", name)
		}
		if ks.creates != 0 {
			t.Errorf("%s: created a key", name)
		}
	}
	if _, err := NewIssuer(ctx, nil, now); err == nil {
		t.Error("nil store: NewIssuer succeeded")
	}
}

func TestZeroIssuer(t *testing.T) {
	var iss Issuer
	if _, err := iss.Verify("cfa1_x.y", AnyKind); err == nil {
		t.Error("zero Issuer verified")
	}
	if _, err := iss.Mint(fullClaims(Access)); err == nil {
		t.Error("zero Issuer minted")
	}
	if _, err := iss.Pair(testSubject, time.Minute, time.Hour); err == nil {
		t.Error("zero Issuer made a pair")
	}
}

// TestEveryChangeIsRefused changes each character of a token, by each single-bit flip and by
// each character a token may contain: no change may verify, or panic.
func TestEveryChangeIsRefused(t *testing.T) {
	iss, _, _ := newTestIssuer(t)
	p, err := iss.Pair(testSubject, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const tokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
	for _, tok := range []string{p.Access, p.Refresh} {
		tried := 0
		try := func(b []byte) {
			t.Helper()
			tried++
			if c, err := iss.Verify(string(b), AnyKind); err == nil {
				t.Fatalf("changed token %q verified as %+v", b, c)
			} else if !isSentinel(err) {
				t.Fatalf("changed token %q: undocumented error %v", b, err)
			}
		}
		for i := range len(tok) {
			for bit := range 8 {
				b := []byte(tok)
				b[i] ^= 1 << bit
				try(b)
			}
			for j := range len(tokenChars) {
				if tokenChars[j] != tok[i] {
					b := []byte(tok)
					b[i] = tokenChars[j]
					try(b)
				}
			}
			// Dropping or doubling a character is a change too.
			try([]byte(tok[:i] + tok[i+1:]))
			try([]byte(tok[:i] + tok[i:i+1] + tok[i:]))
		}
		if tried < len(tok)*70 {
			t.Fatalf("tried only %d changes", tried)
		}
		if _, err := iss.Verify(tok, AnyKind); err != nil {
			t.Fatalf("the unchanged token: %v", err)
		}
	}
}

func TestKindConfusion(t *testing.T) {
	iss, _, _ := newTestIssuer(t)
	p, err := iss.Pair(testSubject, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Verify(p.Access, Refresh); !errors.Is(err, ErrWrongKind) {
		t.Errorf("access as refresh: %v, want ErrWrongKind", err)
	}
	if _, err := iss.Verify(p.Refresh, Access); !errors.Is(err, ErrWrongKind) {
		t.Errorf("refresh as access: %v, want ErrWrongKind", err)
	}
	if _, err := iss.Verify(p.Access, Kind(7)); !errors.Is(err, ErrWrongKind) {
		t.Errorf("asked for an unknown kind: %v, want ErrWrongKind", err)
	}
	signIn := p.AccessClaims
	signIn.Kind, signIn.ID = SignIn, ""
	link, err := iss.Mint(signIn)
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []Kind{Access, Refresh, Session} {
		if _, err := iss.Verify(link, other); !errors.Is(err, ErrWrongKind) {
			t.Errorf("sign-in as %v: %v, want ErrWrongKind", other, err)
		}
	}
	if _, err := iss.Verify(p.Access, SignIn); !errors.Is(err, ErrWrongKind) {
		t.Errorf("access as sign-in: %v, want ErrWrongKind", err)
	}
	// A browser session is its own kind: a spent sign-in link cannot stand in for one, and a
	// session cookie cannot be replayed as a link or as API credentials.
	session := p.AccessClaims
	session.Kind, session.ID = Session, ""
	cookie, err := iss.Mint(session)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cookie, SessionPrefix) {
		t.Errorf("session token %q lacks prefix %q", cookie, SessionPrefix)
	}
	for _, other := range []Kind{Access, Refresh, SignIn} {
		if _, err := iss.Verify(cookie, other); !errors.Is(err, ErrWrongKind) {
			t.Errorf("session as %v: %v, want ErrWrongKind", other, err)
		}
	}
	for _, tok := range []string{p.Access, p.Refresh, link} {
		if _, err := iss.Verify(tok, Session); !errors.Is(err, ErrWrongKind) {
			t.Errorf("%.5s... as session: %v, want ErrWrongKind", tok, err)
		}
	}
	// The sign-in link relabelled as a session, keeping its MAC: the prefix is MAC'd.
	linkPayload := decodedPayload(t, link)
	linkPayload[1] = byte(Session)
	_, linkMAC, _ := strings.Cut(link, ".")
	if _, err := iss.Verify(SessionPrefix+b64.EncodeToString(linkPayload)+"."+linkMAC, Session); !errors.Is(err, ErrBadSignature) {
		t.Errorf("sign-in MAC on a session payload: %v, want ErrBadSignature", err)
	}

	// Relabelling the prefix alone: the payload's kind disagrees.
	relabelled := RefreshPrefix + strings.TrimPrefix(p.Access, AccessPrefix)
	for _, want := range []Kind{AnyKind, Access, Refresh} {
		if _, err := iss.Verify(relabelled, want); err == nil {
			t.Errorf("access token relabelled as refresh verified (want %v)", want)
		}
	}
	// Relabelling prefix and payload kind, keeping the MAC: the prefix is MAC'd, so it fails
	// the signature, not merely the parse.
	payloadText, mac, _ := strings.Cut(strings.TrimPrefix(p.Access, AccessPrefix), ".")
	payload, err := b64.DecodeString(payloadText)
	if err != nil {
		t.Fatal(err)
	}
	payload[1] = byte(Refresh)
	forged := RefreshPrefix + b64.EncodeToString(payload) + "." + mac
	if _, err := iss.Verify(forged, Refresh); !errors.Is(err, ErrBadSignature) {
		t.Errorf("access MAC on a refresh payload: %v, want ErrBadSignature", err)
	}
	// The MAC is computed as documented, over prefix and payload text: an independent
	// implementation of the format (signRaw) makes the very same token.
	if again := signRaw(AccessPrefix, decodedPayload(t, p.Access), testKey.Secret); again != p.Access {
		t.Errorf("minted %q\nthe format says %q", p.Access, again)
	}
}

// decodedPayload returns the decoded payload of tok.
func decodedPayload(t *testing.T, tok string) []byte {
	t.Helper()
	text, _, _ := strings.Cut(tok[prefixLen:], ".")
	b, err := b64.DecodeString(text)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMalformed(t *testing.T) {
	iss, _, _ := newTestIssuer(t)
	p, err := iss.Pair(testSubject, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	good := p.Access
	dot := strings.IndexByte(good, '.')
	sig43 := strings.Repeat("A", macText)

	// signed(r) is a token of payload r with a valid MAC by the issuer's key: the parser
	// alone must refuse it. The control case proves the construction verifies.
	signed := func(edit func(*rawPayload)) string {
		r := goodRaw()
		edit(&r)
		return signRaw(AccessPrefix, r.bytes(), testKey.Secret)
	}
	if _, err := iss.Verify(signed(func(*rawPayload) {}), Access); err != nil {
		t.Fatalf("control: a well-formed signed payload does not verify: %v", err)
	}

	cases := map[string]string{
		"empty":                "",
		"only access prefix":   AccessPrefix,
		"only refresh prefix":  RefreshPrefix,
		"prefix and dot":       AccessPrefix + ".",
		"no dot":               AccessPrefix + strings.Repeat("A", 100),
		"unknown prefix":       "cfx1_" + good[prefixLen:],
		"old version prefix":   "cfa0_" + good[prefixLen:],
		"upper-case prefix":    "CFA1_" + good[prefixLen:],
		"no prefix":            good[prefixLen:],
		"leading space":        " " + good,
		"huge":                 AccessPrefix + strings.Repeat("A", 1<<20) + "." + sig43,
		"one over MaxLen":      AccessPrefix + strings.Repeat("A", MaxLen-prefixLen-macText-1+1) + "." + sig43,
		"non-base64 payload":   AccessPrefix + "!!!!$$$$" + "." + sig43,
		"non-base64 signature": good[:dot+1] + strings.Repeat("*", macText),
		"std base64 payload":   AccessPrefix + "ab+/" + good[prefixLen+4:],
		"padded signature":     good[:len(good)-1] + "=",
		"extra dot at end":     good + ".",
		"extra dot and more":   good + ".AAAA",
		"dot inside payload":   good[:prefixLen+10] + "." + good[prefixLen+10:],
		"two signatures":       good + "." + good[dot+1:],
		"trailing garbage":     good + "A",
		"trailing newline":     good + "\n",
		"newline inside":       good[:prefixLen+8] + "\n" + good[prefixLen+8:],
		"CR inside signature":  good[:dot+5] + "\r" + good[dot+5:len(good)-1],
		"truncated signature":  good[:len(good)-1],
		"truncated payload":    good[:dot-4] + good[dot:],
		"no payload":           AccessPrefix + "." + good[dot+1:],
		"short payload":        AccessPrefix + b64.EncodeToString([]byte{payloadVersion, byte(Access), 'x'}) + "." + sig43,
		"payload length 4n+1":  AccessPrefix + "AAAAA." + sig43,
		"non-canonical sig":    good[:len(good)-1] + nudgeLowBits(good[len(good)-1]),
		"signed trailing byte": signed(func(r *rawPayload) { r.trailer = []byte{0} }),
		"signed version 0":     signed(func(r *rawPayload) { r.version = 0 }),
		"signed version 2":     signed(func(r *rawPayload) { r.version = 2 }),
		"signed kind 0":        signed(func(r *rawPayload) { r.kind = 0 }),
		"signed kind 5":        signed(func(r *rawPayload) { r.kind = 5 }),
		"signed kind mismatch": signed(func(r *rawPayload) { r.kind = byte(Refresh) }),
		"signed exp == iat":    signed(func(r *rawPayload) { r.exp = r.iat }),
		"signed exp < iat":     signed(func(r *rawPayload) { r.exp = r.iat - 1 }),
		"signed empty field":   signed(func(r *rawPayload) { r.strs[strRegion] = "" }),
		"signed long field":    signed(func(r *rawPayload) { r.strs[strUser] = strings.Repeat("u", MaxFieldLen+1) }),
		"signed no access key": signed(func(r *rawPayload) { r.strs[strAccessKey] = "" }),
		"signed long access key": signed(func(r *rawPayload) {
			r.strs[strAccessKey] = strings.Repeat("A", MaxFieldLen+1)
		}),
		"signed four strings":   signed(func(r *rawPayload) { r.strs = r.strs[:4] }),
		"signed five strings":   signed(func(r *rawPayload) { r.strs = r.strs[:5] }),
		"signed seven strings":  signed(func(r *rawPayload) { r.strs = append(r.strs, "x") }),
		"signed length overrun": signed(func(r *rawPayload) { r.strs[strAccessKey] = ""; r.trailer = []byte("abc") }),
	}
	// The length byte of the last string claims more than remains.
	overrun := goodRaw().bytes()
	overrun[len(overrun)-len(testSubject.AccessKeyID)-1]++
	cases["signed last length too big"] = signRaw(AccessPrefix, overrun, testKey.Secret)
	cases["signed fixed part only"] = signRaw(AccessPrefix, goodRaw().bytes()[:fixedLen], testKey.Secret)

	// Over-long input is refused before it is read.
	if _, err := iss.Verify(cases["huge"], AnyKind); err != errTooLong {
		t.Errorf("huge: %v, want %v", err, errTooLong)
	}
	if _, err := iss.Verify(cases["one over MaxLen"], AnyKind); err != errTooLong {
		t.Errorf("one over MaxLen (%d bytes): %v, want %v", len(cases["one over MaxLen"]), err, errTooLong)
	}

	for name, tok := range cases {
		if c, err := iss.Verify(tok, AnyKind); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Verify = %+v, %v; want ErrMalformed", name, c, err)
		} else if c != (Claims{}) {
			t.Errorf("%s: claims %+v with an error", name, c)
		}
	}
}

// nudgeLowBits returns the base64url character whose value differs from c's in the lowest
// bit: in the last character of a 32-byte MAC that bit belongs to no byte.
func nudgeLowBits(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return string(alphabet[strings.IndexByte(alphabet, c)^1])
}

func TestNonCanonicalSignatureWouldDecodeLoosely(t *testing.T) {
	// Guards nudgeLowBits: the lenient standard decoder reads the nudged signature as the
	// same bytes, so only strict decoding refuses it.
	iss, _, _ := newTestIssuer(t)
	tok, err := iss.Mint(fullClaims(Access))
	if err != nil {
		t.Fatal(err)
	}
	sig := tok[strings.IndexByte(tok, '.')+1:]
	nudged := sig[:len(sig)-1] + nudgeLowBits(sig[len(sig)-1])
	a, err1 := base64.RawURLEncoding.DecodeString(sig)
	b, err2 := base64.RawURLEncoding.DecodeString(nudged)
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Fatalf("nudged signature decodes differently: %v %v", err1, err2)
	}
}

func TestMintInvalidClaims(t *testing.T) {
	iss, _, _ := newTestIssuer(t)
	for name, edit := range map[string]func(*Claims){
		"no kind":           func(c *Claims) { c.Kind = AnyKind },
		"kind 5":            func(c *Claims) { c.Kind = 5 },
		"short id":          func(c *Claims) { c.ID = "abc" },
		"upper-case id":     func(c *Claims) { c.ID = strings.ToUpper(c.ID) },
		"non-hex id":        func(c *Claims) { c.ID = strings.Repeat("g", 32) },
		"no family":         func(c *Claims) { c.FamilyID = "" },
		"bad family":        func(c *Claims) { c.FamilyID = c.FamilyID + "0" },
		"no expiry":         func(c *Claims) { c.ExpiresAt = time.Time{} },
		"expiry at issue":   func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(999 * time.Millisecond) },
		"expiry before":     func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(-time.Hour) },
		"no account":        func(c *Claims) { c.AccountID = "" },
		"no region":         func(c *Claims) { c.Region = "" },
		"no instance":       func(c *Claims) { c.InstanceID = "" },
		"no user":           func(c *Claims) { c.UserID = "" },
		"no access key":     func(c *Claims) { c.AccessKeyID = "" },
		"long instance":     func(c *Claims) { c.InstanceID = strings.Repeat("i", MaxFieldLen+1) },
		"long access key":   func(c *Claims) { c.AccessKeyID = strings.Repeat("A", MaxFieldLen+1) },
		"zero issue, past":  func(c *Claims) { c.IssuedAt = time.Time{}; c.ExpiresAt = t0 },
		"zero issue, early": func(c *Claims) { c.IssuedAt = time.Time{}; c.ExpiresAt = t0.Add(-time.Second) },
	} {
		c := fullClaims(Access)
		edit(&c)
		if tok, err := iss.Mint(c); !errors.Is(err, ErrInvalidClaims) {
			t.Errorf("%s: Mint = %q, %v; want ErrInvalidClaims", name, tok, err)
		}
	}
	// A zero IssuedAt means now.
	c := fullClaims(Refresh)
	c.IssuedAt = time.Time{}
	tok, err := iss.Mint(c)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := iss.Verify(tok, Refresh); err != nil || !got.IssuedAt.Equal(t0) {
		t.Errorf("zero IssuedAt: %+v, %v; want issued at %v", got, err, t0)
	}

	for name, sub := range map[string]Subject{
		"no account":      {Region: "r", InstanceID: "i", UserID: "u", AccessKeyID: "k"},
		"no region":       {AccountID: "a", InstanceID: "i", UserID: "u", AccessKeyID: "k"},
		"no instance":     {AccountID: "a", Region: "r", UserID: "u", AccessKeyID: "k"},
		"no user":         {AccountID: "a", Region: "r", InstanceID: "i", AccessKeyID: "k"},
		"no access key":   {AccountID: "a", Region: "r", InstanceID: "i", UserID: "u"},
		"long user":       {AccountID: "a", Region: "r", InstanceID: "i", UserID: strings.Repeat("u", MaxFieldLen+1), AccessKeyID: "k"},
		"long access key": {AccountID: "a", Region: "r", InstanceID: "i", UserID: "u", AccessKeyID: strings.Repeat("A", MaxFieldLen+1)},
	} {
		if _, err := iss.Pair(sub, time.Minute, time.Hour); !errors.Is(err, ErrInvalidClaims) {
			t.Errorf("Pair %s: %v, want ErrInvalidClaims", name, err)
		}
	}
	for _, ttl := range [][2]time.Duration{{0, time.Hour}, {time.Minute, 0}, {999 * time.Millisecond, time.Hour}, {-time.Minute, time.Hour}} {
		if _, err := iss.Pair(testSubject, ttl[0], ttl[1]); !errors.Is(err, ErrInvalidClaims) {
			t.Errorf("Pair with ttls %v: %v, want ErrInvalidClaims", ttl, err)
		}
	}
}

func TestHash(t *testing.T) {
	iss, _, _ := newTestIssuer(t)
	p, err := iss.Pair(testSubject, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte(p.Access))
	if h := Hash(p.Access); !bytes.Equal(h, want[:]) {
		t.Errorf("Hash = %x, want %x", h, want)
	}
	if bytes.Equal(Hash(p.Access), Hash(p.Refresh)) {
		t.Error("two tokens, one hash")
	}
}

func TestKindStrings(t *testing.T) {
	for k, want := range map[Kind][2]string{
		AnyKind: {"any", ""}, Access: {"access", AccessPrefix}, Refresh: {"refresh", RefreshPrefix},
		SignIn: {"sign-in", SignInPrefix}, Session: {"session", SessionPrefix}, 9: {"Kind(9)", ""},
	} {
		if k.String() != want[0] || k.Prefix() != want[1] {
			t.Errorf("Kind %d: %q, %q; want %q", uint8(k), k.String(), k.Prefix(), want)
		}
	}
}

func TestDecodeB64MatchesStrictStdlib(t *testing.T) {
	strict := base64.RawURLEncoding.Strict()
	rng := rand.New(rand.NewPCG(1, 2))
	dst := make([]byte, 128)
	check := func(s string) {
		t.Helper()
		n, ok := decodeB64(dst, s)
		want, err := strict.DecodeString(s)
		// The standard decoder skips CR and LF even when strict; ours refuses them.
		if strings.ContainsAny(s, "\r\n") {
			if ok {
				t.Errorf("decodeB64(%q) accepted a line break", s)
			}
			return
		}
		if ok != (err == nil) || (ok && !bytes.Equal(dst[:n], want)) {
			t.Errorf("decodeB64(%q) = %x, %v; stdlib %x, %v", s, dst[:n], ok, want, err)
		}
	}
	for n := range 90 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		s := b64.EncodeToString(b)
		check(s)
		// Random single-character changes, including characters outside the alphabet.
		for range 20 {
			if len(s) == 0 {
				break
			}
			c := []byte(s)
			c[rng.IntN(len(c))] = byte(rng.Uint32())
			check(string(c))
		}
		check(s + "=")
		check(s + "A")
	}
	if _, ok := decodeB64(make([]byte, 2), "AAAA"); ok {
		t.Error("decodeB64 wrote past a short dst")
	}
}

// TestConcurrentReload mints and verifies from several goroutines while keys are added and
// reloaded; run with -race it proves the key set swap is safe.
func TestConcurrentReload(t *testing.T) {
	ctx := context.Background()
	iss, ks, _ := newTestIssuer(t)
	first, err := iss.Mint(fullClaims(Access))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				p, err := iss.Pair(testSubject, time.Minute, time.Hour)
				if err == nil {
					_, err = iss.Verify(p.Refresh, Refresh)
				}
				if err == nil {
					_, err = iss.Verify(first, Access)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for j := range 50 {
		if err := ks.CreateSigningKey(ctx, store.SigningKey{ID: fmt.Sprintf("r%d", j), Secret: secretOf(byte(j)), CreatedAt: t0.Add(time.Duration(j) * time.Second)}); err != nil {
			t.Fatal(err)
		}
		if err := iss.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if iss.SigningKeyID() != "r49" {
		t.Errorf("signing key %q after reloads, want r49", iss.SigningKeyID())
	}
}

func TestAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	iss, _, _ := newTestIssuer(t)
	c := fullClaims(Access)
	tok, err := iss.Mint(c)
	if err != nil {
		t.Fatal(err)
	}
	c.ID = ""
	// One allocation each: the token string, and the one string all claims slice.
	if n := testing.AllocsPerRun(200, func() { _, _ = iss.Mint(c) }); n > 1 {
		t.Errorf("Mint: %v allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(200, func() { _, _ = iss.Verify(tok, Access) }); n > 1 {
		t.Errorf("Verify: %v allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(200, func() { _, _ = iss.Verify(tok[:len(tok)-1]+"!", Access) }); n > 1 {
		t.Errorf("refusing garbage: %v allocations, want at most the test's own string", n)
	}
}

func BenchmarkMint(b *testing.B) {
	iss, _, _ := newTestIssuer(b)
	c := fullClaims(Access)
	c.ID = "" // each token gets a random id, as in service
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.Mint(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	iss, _, _ := newTestIssuer(b)
	tok, err := iss.Mint(fullClaims(Access))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.Verify(tok, Access); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPair(b *testing.B) {
	iss, _, _ := newTestIssuer(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.Pair(testSubject, time.Minute, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	iss, _, _ := newTestIssuer(b)
	tok, err := iss.Mint(fullClaims(Access))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := iss.Verify(tok, Access); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
