package token

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/store"
)

func TestSealedKeys(t *testing.T) {
	ctx := context.Background()
	raw := &memKeys{}
	sealer, err := secrets.New(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed := SealedKeys{Store: raw, Sealer: sealer}
	iss, err := NewIssuer(ctx, sealed, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := iss.Pair(testSubject, time.Hour, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	// The store holds no usable secret: the raw record is sealed, and an issuer reading the
	// store without the master key cannot verify.
	rows, _ := raw.ListSigningKeys(ctx)
	if len(rows) != 1 || !secrets.IsSealed(rows[0].Secret) {
		t.Fatalf("the stored key is not sealed: %x", rows)
	}
	opened, err := sealed.ListSigningKeys(ctx)
	if err != nil || len(opened[0].Secret) != MinSecretLen || bytes.Contains(rows[0].Secret, opened[0].Secret) {
		t.Fatalf("opened %d bytes, %v", len(opened[0].Secret), err)
	}
	if blind, err := NewIssuer(ctx, raw, nil); err == nil {
		if _, err := blind.Verify(p.Access, Access); !errors.Is(err, ErrBadSignature) {
			t.Errorf("without the master key a token verified: %v", err)
		}
	}
	again, err := NewIssuer(ctx, sealed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Verify(p.Access, Access); err != nil {
		t.Errorf("a restart with the master key: %v", err)
	}

	// A sealed secret moved to another key's record does not open.
	raw.keys = append(raw.keys, store.SigningKey{ID: "moved", Secret: rows[0].Secret, CreatedAt: rows[0].CreatedAt})
	if _, err := sealed.ListSigningKeys(ctx); err == nil {
		t.Errorf("a secret moved to another key opened")
	}
}
