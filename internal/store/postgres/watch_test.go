package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// watched starts s.Watch and returns the channel its changes arrive on, and one its errors
// arrive on. The watch ends with the test.
func watched(t *testing.T, s *Store) (<-chan store.Change, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	changes := make(chan store.Change, 100)
	errs := make(chan error, 100)
	listening := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := s.Watch(ctx, func(c store.Change) { changes <- c }, func(err error) { errs <- err })
		listening <- err
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if err := <-listening; err != nil {
			t.Errorf("Watch: %v", err)
		}
	})
	// LISTEN has run once an announcement made now arrives: announce probes until one does.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		probe := store.Change{Kind: store.ChangedSigningKeys, ID: fmt.Sprintf("probe-%d", i)}
		if err := s.CreateSigningKey(t.Context(), store.SigningKey{ID: probe.ID, Secret: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		select {
		case c := <-changes:
			if c == probe {
				drain(changes)
				return changes, errs
			}
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatal("Watch is not listening after 10s")
	return nil, nil
}

func drain(ch <-chan store.Change) {
	for {
		select {
		case <-ch:
		case <-time.After(50 * time.Millisecond):
			return
		}
	}
}

// expect waits up to a second, the replicas' promise, for want.
func expect(t *testing.T, changes <-chan store.Change, want store.Change) {
	t.Helper()
	timeout := time.After(time.Second)
	for {
		select {
		case got := <-changes:
			if got == want {
				return
			}
			t.Errorf("heard %+v; want %+v", got, want)
		case <-timeout:
			t.Fatalf("did not hear %+v within a second", want)
		}
	}
}

func expectNothing(t *testing.T, changes <-chan store.Change, after string) {
	t.Helper()
	select {
	case got := <-changes:
		t.Errorf("after %s heard %+v; want nothing", after, got)
	case <-time.After(200 * time.Millisecond):
	}
}

// Every change that can make another replica's cache wrong is heard by a replica watching the
// same schema, and a write that does not commit is not.
func TestWatchHearsAnotherReplica(t *testing.T) {
	ctx := t.Context()
	_, u := newSchema(t)
	a, b := open(t, u), open(t, u)
	defer a.Close()
	defer b.Close()
	changes, _ := watched(t, a)

	const account, region = "123456789012", "us-east-1"
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	now := time.Now()
	must("account", b.CreateAccount(ctx, store.Account{ID: account, CreatedAt: now}))
	must("user", b.CreateUser(ctx, store.User{AccountID: account, Name: "Alice", ID: "AIDAALICE", Path: "/", CreatedAt: now}))
	must("key", b.CreateAccessKey(ctx, store.AccessKey{ID: "AKIAALICE", Secret: "s", AccountID: account, UserName: "Alice", Active: true, CreatedAt: now}))
	in := store.Instance{AccountID: account, Region: region, ID: "inst-1", Alias: "a", IdentityManagementType: "SAML", CreatedAt: now}
	must("instance", b.CreateInstance(ctx, in, nil))
	expectNothing(t, changes, "creations")
	// A Connect user's creation changes the instance's listing, which replicas cache.
	must("connect user", b.CreateConnectUser(ctx, store.ConnectUser{InstanceID: in.ID, ID: "cu-1", Username: "agent1", CreatedAt: now}))
	expect(t, changes, store.Change{Kind: store.ChangedConnectUser, InstanceID: in.ID, ID: "cu-1"})
	if err := b.CreateConnectUser(ctx, store.ConnectUser{InstanceID: in.ID, ID: "cu-2", Username: "agent1", CreatedAt: now}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("CreateConnectUser of a taken username: %v", err)
	}

	refused := errors.New("refused")
	err := b.UpdateAccessKey(ctx, "AKIAALICE", func(store.AccessKey) (store.AccessKey, error) { return store.AccessKey{}, refused })
	if !errors.Is(err, refused) {
		t.Fatalf("UpdateAccessKey: %v; want the update's error", err)
	}
	if err := b.DeleteConnectUser(ctx, in.ID, "no-such-user"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteConnectUser of nobody: %v", err)
	}
	expectNothing(t, changes, "writes that did not commit")

	must("deactivate", b.UpdateAccessKey(ctx, "AKIAALICE", func(k store.AccessKey) (store.AccessKey, error) {
		k.Active = false
		return k, nil
	}))
	expect(t, changes, store.Change{Kind: store.ChangedAccessKey, ID: "AKIAALICE"})
	must("delete key", b.DeleteAccessKey(ctx, "AKIAALICE"))
	expect(t, changes, store.Change{Kind: store.ChangedAccessKey, ID: "AKIAALICE"})
	must("delete user", b.DeleteUser(ctx, account, "alice"))
	expect(t, changes, store.Change{Kind: store.ChangedIAMUser, AccountID: account, Name: "alice"})
	must("delete connect user", b.DeleteConnectUser(ctx, in.ID, "cu-1"))
	expect(t, changes, store.Change{Kind: store.ChangedConnectUser, InstanceID: in.ID, ID: "cu-1"})
	must("delete instance", b.DeleteInstance(ctx, account, region, in.ID))
	expect(t, changes, store.Change{Kind: store.ChangedInstance, AccountID: account, Region: region, ID: in.ID})
	must("create signing key", b.CreateSigningKey(ctx, store.SigningKey{ID: "k1", Secret: []byte("x"), CreatedAt: now}))
	expect(t, changes, store.Change{Kind: store.ChangedSigningKeys, ID: "k1"})
	must("delete signing key", b.DeleteSigningKey(ctx, "k1"))
	expect(t, changes, store.Change{Kind: store.ChangedSigningKeys, ID: "k1"})
}

// Deployments in different schemas of one database do not hear each other.
func TestWatchIsPerSchema(t *testing.T) {
	_, u1 := newSchema(t)
	_, u2 := newSchema(t)
	a, b := open(t, u1), open(t, u2)
	defer a.Close()
	defer b.Close()
	changes, _ := watched(t, a)
	if err := b.CreateSigningKey(t.Context(), store.SigningKey{ID: "k1", Secret: []byte("x"), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	expectNothing(t, changes, "a change in another schema")
}

// A listener whose connection is killed says so, reconnects by itself, announces that changes
// may have been missed, and hears the changes made after.
func TestWatchRecovers(t *testing.T) {
	admin := adminDB(t)
	schema, u := newSchema(t)
	u += "&application_name=" + schema
	a := open(t, u)
	defer a.Close()
	changes, errs := watched(t, a)

	if _, err := admin.ExecContext(t.Context(),
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, schema+" watch"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		t.Logf("watch interrupted: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the watch did not notice its connection was killed")
	}
	select {
	case c := <-changes:
		if c.Kind != store.ChangesMissed {
			t.Fatalf("first heard %+v after reconnecting; want %s", c, store.ChangesMissed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the watch did not reconnect within 10s")
	}
	if err := a.CreateSigningKey(t.Context(), store.SigningKey{ID: "k2", Secret: []byte("x"), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	expect(t, changes, store.Change{Kind: store.ChangedSigningKeys, ID: "k2"})
}
