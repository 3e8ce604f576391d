package token

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// DeleteSigningKey makes the in-memory key store able to retire keys.
func (m *memKeys) DeleteSigningKey(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.keys)
	m.keys = slices.DeleteFunc(m.keys, func(k store.SigningKey) bool { return k.ID == id })
	if len(m.keys) == n {
		return store.ErrNotFound
	}
	return nil
}

func TestRotateAndRetire(t *testing.T) {
	iss, ks, clock := newTestIssuer(t)
	ctx := context.Background()
	old, err := iss.Pair(testSubject, time.Hour, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	first := iss.SigningKeyID()

	newID, err := iss.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if newID == first || iss.SigningKeyID() != newID {
		t.Fatalf("after Rotate the signer is %s, want the new key %s (old %s)", iss.SigningKeyID(), newID, first)
	}
	fresh, err := iss.Pair(testSubject, time.Hour, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := iss.Verify(fresh.Access, Access); err != nil || c.ID != fresh.AccessClaims.ID {
		t.Errorf("a token of the new key: %v", err)
	}
	if _, err := iss.Verify(old.Refresh, Refresh); err != nil {
		t.Errorf("a token of the previous key must keep verifying: %v", err)
	}

	// Within the lifetime nothing is retired; past it, the superseded key goes.
	clock.t = clock.t.Add(11 * time.Hour)
	if got, err := iss.Retire(ctx, 12*time.Hour); err != nil || len(got) != 0 {
		t.Fatalf("Retire within the lifetime = %v, %v", got, err)
	}
	clock.t = clock.t.Add(2 * time.Hour)
	got, err := iss.Retire(ctx, 12*time.Hour)
	if err != nil || len(got) != 1 || got[0] != first {
		t.Fatalf("Retire past the lifetime = %v, %v; want [%s]", got, err, first)
	}
	clock.t = old.RefreshClaims.IssuedAt.Add(time.Minute) // the old token would not have expired
	if _, err := iss.Verify(old.Access, Access); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("a token of a retired key: %v, want ErrUnknownKey", err)
	}
	if _, err := iss.Verify(fresh.Access, Access); err != nil {
		t.Errorf("the newest key was retired: %v", err)
	}
	// The newest key is never retired, however old.
	clock.t = clock.t.Add(1000 * time.Hour)
	if got, err := iss.Retire(ctx, time.Hour); err != nil || len(got) != 0 {
		t.Errorf("Retire with one key left = %v, %v", got, err)
	}
	if list, _ := ks.ListSigningKeys(ctx); len(list) != 1 || list[0].ID != newID {
		t.Errorf("keys left: %v", list)
	}
}

func TestRotateIfOlder(t *testing.T) {
	iss, _, clock := newTestIssuer(t)
	ctx := context.Background()
	first := iss.SigningKeyID()
	clock.t = testKey.CreatedAt.Add(23 * time.Hour)
	if rotated, err := iss.RotateIfOlder(ctx, 24*time.Hour); err != nil || rotated || iss.SigningKeyID() != first {
		t.Fatalf("a 23-hour-old key rotated: %v, %v", rotated, err)
	}
	clock.t = testKey.CreatedAt.Add(24 * time.Hour)
	if rotated, err := iss.RotateIfOlder(ctx, 24*time.Hour); err != nil || !rotated || iss.SigningKeyID() == first {
		t.Fatalf("a 24-hour-old key did not rotate: %v, %v", rotated, err)
	}
	if rotated, _ := iss.RotateIfOlder(ctx, 24*time.Hour); rotated {
		t.Errorf("rotated twice in a row")
	}
}
