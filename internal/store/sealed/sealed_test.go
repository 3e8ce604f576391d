package sealed_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/store/sealed"
	"github.com/connectfed/connectfed/internal/store/sqlite"
	"github.com/connectfed/connectfed/internal/token"
)

const testAccount = "123456789012"

func newSealer(t testing.TB, b byte) *secrets.Sealer {
	t.Helper()
	s, err := secrets.New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sealedFixture is identity over the sealing layer, over a store the test also reads raw.
type sealedFixture struct {
	raw  store.Store
	ids  *identity.Service
	root identity.Principal
}

func newSealedFixture(t testing.TB, sealer *secrets.Sealer, cacheTTL time.Duration) sealedFixture {
	t.Helper()
	st, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var over store.Store = st
	if sealer != nil {
		over = sealed.Wrap(st, sealer)
	}
	ids := identity.New(over, nil, cacheTTL)
	if err := ids.EnsureAccount(context.Background(), testAccount); err != nil {
		t.Fatal(err)
	}
	return sealedFixture{raw: st, ids: ids, root: identity.Principal{Kind: identity.Root, AccountID: testAccount, ARN: arn.Root(testAccount), UserID: testAccount}}
}

func TestSecretsSealedInStore(t *testing.T) {
	ctx := context.Background()
	sealer := newSealer(t, 1)
	f := newSealedFixture(t, sealer, -1) // no cache: every Lookup loads
	if _, err := f.ids.CreateUser(ctx, f.root, "alice", ""); err != nil {
		t.Fatal(err)
	}
	key, err := f.ids.CreateAccessKey(ctx, f.root, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if secrets.IsSealedText(key.Secret) || len(key.Secret) != 40 {
		t.Fatalf("CreateAccessKey handed out %q, not the secret", key.Secret)
	}
	raw, err := f.raw.GetAccessKey(ctx, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !secrets.IsSealedText(raw.Secret) || strings.Contains(raw.Secret, key.Secret) {
		t.Fatalf("the store holds %q for the access key", raw.Secret)
	}
	cred, err := f.ids.Lookup(ctx, key.ID)
	if err != nil || cred.Secret != key.Secret {
		t.Fatalf("Lookup = %q, %v", cred.Secret, err)
	}

	// A session: sealed alike, bound to its own id.
	if _, err := f.ids.CreateRole(ctx, f.root, identity.RoleInput{Name: "Agent", TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`}); err != nil {
		t.Fatal(err)
	}
	alice, err := cred.Admit("", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The trust policy names the account, so alice needs a policy of her own, as in AWS.
	if err := f.ids.PutUserPolicy(ctx, f.root, alice.UserName, "AssumeAgent", `{"Version":"2012-10-17","Statement":`+
		`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/Agent"}}`); err != nil {
		t.Fatal(err)
	}
	sess, err := f.ids.AssumeRole(ctx, alice, identity.AssumeRoleInput{RoleARN: "arn:aws:iam::123456789012:role/Agent", RoleSessionName: "agent1"})
	if err != nil {
		t.Fatal(err)
	}
	rawSess, err := f.raw.GetSession(ctx, sess.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if !secrets.IsSealedText(rawSess.Secret) || strings.Contains(rawSess.Secret, sess.SecretAccessKey) {
		t.Fatalf("the store holds %q for the session", rawSess.Secret)
	}
	if c, err := f.ids.Lookup(ctx, sess.AccessKeyID); err != nil || c.Secret != sess.SecretAccessKey {
		t.Fatalf("Lookup of the session = %q, %v", c.Secret, err)
	}

	// A status change keeps the secret, sealed.
	if err := f.ids.UpdateAccessKey(ctx, f.root, "alice", key.ID, "Inactive"); err != nil {
		t.Fatal(err)
	}
	if err := f.ids.UpdateAccessKey(ctx, f.root, "alice", key.ID, "Active"); err != nil {
		t.Fatal(err)
	}
	if c, err := f.ids.Lookup(ctx, key.ID); err != nil || c.Secret != key.Secret {
		t.Fatalf("Lookup after a status change = %q, %v", c.Secret, err)
	}
	// Listing shows no secret, sealed or not.
	list, err := f.ids.ListAccessKeys(ctx, f.root, "alice")
	if err != nil || len(list) != 1 || list[0].Secret != "" {
		t.Fatalf("ListAccessKeys = %+v, %v", list, err)
	}

	// A sealed secret copied onto another key's row does not open there.
	other, err := f.ids.CreateAccessKey(ctx, f.root, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.raw.UpdateAccessKey(ctx, other.ID, func(k store.AccessKey) (store.AccessKey, error) {
		k.Secret = raw.Secret
		return k, nil
	}); err != nil {
		t.Fatal(err)
	}
	if c, err := f.ids.Lookup(ctx, other.ID); err == nil {
		t.Errorf("a sealed secret moved to another key opened there: %q", c.Secret)
	}

	// Another master key opens nothing, and says so.
	wrong := identity.New(sealed.Wrap(f.raw, newSealer(t, 2)), nil, -1)
	_, err = wrong.Lookup(ctx, key.ID)
	if !errors.Is(err, secrets.ErrWrongMasterKey) || !strings.Contains(err.Error(), secrets.EnvMasterKey) {
		t.Errorf("Lookup under another master key: %v", err)
	}
	if _, err := wrong.Lookup(ctx, sess.AccessKeyID); !errors.Is(err, secrets.ErrWrongMasterKey) {
		t.Errorf("Lookup of a session under another master key: %v", err)
	}
}

// Secrets kept in the clear by an older connectfed still authenticate, and are sealed when
// their key is next written.
func TestLegacyPlaintextSecrets(t *testing.T) {
	ctx := context.Background()
	f := newSealedFixture(t, newSealer(t, 1), -1)
	legacy := store.AccessKey{ID: "AKIALEGACY0000000001", Secret: "legacy/secret+0123456789abcdefghijklmno",
		AccountID: testAccount, Active: true}
	if err := f.raw.CreateAccessKey(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	if err := f.raw.CreateSession(ctx, store.Session{AccessKeyID: "ASIALEGACY0000000001", Secret: "legacy-session-secret",
		TokenHash: []byte{1}, AccountID: testAccount, RoleName: "r", RoleID: "AROA1", SessionName: "s",
		ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if c, err := f.ids.Lookup(ctx, legacy.ID); err != nil || c.Secret != legacy.Secret {
		t.Fatalf("Lookup of a legacy key = %q, %v", c.Secret, err)
	}
	if c, err := f.ids.Lookup(ctx, "ASIALEGACY0000000001"); err != nil || c.Secret != "legacy-session-secret" {
		t.Fatalf("Lookup of a legacy session = %q, %v", c.Secret, err)
	}
	// The root key's next write (every start ensures it) seals it.
	if err := f.ids.EnsureRootKey(ctx, testAccount, identity.RootKey{AccessKeyID: legacy.ID, SecretAccessKey: legacy.Secret}); err != nil {
		t.Fatal(err)
	}
	raw, err := f.raw.GetAccessKey(ctx, legacy.ID)
	if err != nil || !secrets.IsSealedText(raw.Secret) {
		t.Fatalf("after a write the legacy key holds %q, %v", raw.Secret, err)
	}
	if c, err := f.ids.Lookup(ctx, legacy.ID); err != nil || c.Secret != legacy.Secret {
		t.Fatalf("Lookup after sealing = %q, %v", c.Secret, err)
	}
	// EnsureRootKey with another secret replaces it, sealed.
	if err := f.ids.EnsureRootKey(ctx, testAccount, identity.RootKey{AccessKeyID: legacy.ID, SecretAccessKey: "new-root-secret"}); err != nil {
		t.Fatal(err)
	}
	if c, err := f.ids.Lookup(ctx, legacy.ID); err != nil || c.Secret != "new-root-secret" {
		t.Fatalf("Lookup after a new root secret = %q, %v", c.Secret, err)
	}
	if raw, _ := f.raw.GetAccessKey(ctx, legacy.ID); strings.Contains(raw.Secret, "new-root-secret") {
		t.Errorf("the new root secret is stored in the clear: %q", raw.Secret)
	}
}

// The cost of sealing where it is paid: a Lookup that loads from the store (no cache), with
// and without a sealer. A Lookup served by the cache never opens anything.
func BenchmarkLookupCold(b *testing.B) {
	for _, tc := range []struct {
		name   string
		sealer *secrets.Sealer
	}{{"plain", nil}, {"sealed", newSealer(b, 1)}} {
		b.Run(tc.name, func(b *testing.B) {
			f := newSealedFixture(b, tc.sealer, -1)
			ctx := context.Background()
			k, err := f.ids.NewRootKey(ctx, testAccount)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := f.ids.Lookup(ctx, k.AccessKeyID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLookupWarm(b *testing.B) {
	for _, tc := range []struct {
		name   string
		sealer *secrets.Sealer
	}{{"plain", nil}, {"sealed", newSealer(b, 1)}} {
		b.Run(tc.name, func(b *testing.B) {
			f := newSealedFixture(b, tc.sealer, time.Hour)
			ctx := context.Background()
			k, err := f.ids.NewRootKey(ctx, testAccount)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := f.ids.Lookup(ctx, k.AccessKeyID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Signing keys are sealed alike: the store holds no usable secret, an issuer over the raw store
// cannot verify, and a sealed secret moved to another key's record does not open.
func TestSigningKeysSealed(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sst := sealed.Wrap(st, newSealer(t, 3))
	iss, err := token.NewIssuer(ctx, sst, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := iss.Pair(token.Subject{AccountID: testAccount, Region: "us-east-1", InstanceID: "i", UserID: "u", AccessKeyID: "AKIA1"},
		time.Hour, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := st.ListSigningKeys(ctx)
	if len(rows) != 1 || !secrets.IsSealed(rows[0].Secret) {
		t.Fatalf("the stored key is not sealed: %x", rows)
	}
	opened, err := sst.ListSigningKeys(ctx)
	if err != nil || len(opened[0].Secret) != token.MinSecretLen || bytes.Contains(rows[0].Secret, opened[0].Secret) {
		t.Fatalf("opened %d bytes, %v", len(opened[0].Secret), err)
	}
	if blind, err := token.NewIssuer(ctx, st, nil); err == nil {
		if _, err := blind.Verify(p.Access, token.Access); !errors.Is(err, token.ErrBadSignature) {
			t.Errorf("without the master key a token verified: %v", err)
		}
	}
	again, err := token.NewIssuer(ctx, sst, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Verify(p.Access, token.Access); err != nil {
		t.Errorf("a restart with the master key: %v", err)
	}
	if _, err := token.NewIssuer(ctx, sealed.Wrap(st, newSealer(t, 4)), nil); !errors.Is(err, secrets.ErrWrongMasterKey) ||
		!strings.Contains(err.Error(), secrets.EnvMasterKey) {
		t.Errorf("another master key: %v", err)
	}
	if err := st.CreateSigningKey(ctx, store.SigningKey{ID: "moved", Secret: rows[0].Secret, CreatedAt: rows[0].CreatedAt.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sst.ListSigningKeys(ctx); err == nil {
		t.Errorf("a secret moved to another key opened")
	}
}
