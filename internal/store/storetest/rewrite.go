package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// SecretRewriter is a store whose secrets a tool can rewrite in place (sqlstore's
// RewriteSecrets), for changing the master key they are sealed under.
type SecretRewriter interface {
	store.Store
	store.SecretRewriter
	// CreateAccessKeys (bulk) makes the suite's thousand keys quick to write.
	CreateAccessKeys(ctx context.Context, keys []store.AccessKey) error
}

// RunRewriteSecrets checks RewriteSecrets on s, a new, empty store: every row of a table is
// visited once, in batches, what rewrite changes is written and nothing else, a rerun that
// changes nothing writes nothing, and an error keeps the batch it happened in unwritten.
// concurrent, when not nil, is a second handle on s's database that may write while s rewrites
// (PostgreSQL; SQLite's single writer cannot): a row changed under the rewrite is rewritten
// from its new value, not overwritten with one made from the old.
func RunRewriteSecrets(t *testing.T, s SecretRewriter, concurrent store.Store) {
	ctx := context.Background()
	const account = "123456789012"
	must(t, "CreateAccount", s.CreateAccount(ctx, store.Account{ID: account}))
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	const nKeys = 1203 // three batches of a few hundred
	keys := make([]store.AccessKey, nKeys)
	for i := range keys {
		keys[i] = store.AccessKey{ID: fmt.Sprintf("AKIA%016d", i), Secret: fmt.Sprintf("secret-%d", i), AccountID: account,
			UserName: "alice", Active: i%3 != 0, CreatedAt: at.Add(time.Duration(i) * time.Second)}
	}
	must(t, "CreateAccessKeys", s.CreateAccessKeys(ctx, keys))
	sess := store.Session{AccessKeyID: "ASIA0000000000000001", Secret: "session-secret", TokenHash: []byte{1, 2},
		AccountID: account, RoleName: "r", RoleID: "AROA1", SessionName: "s", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	must(t, "CreateSession", s.CreateSession(ctx, sess))
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx, store.SigningKey{ID: "k1", Secret: []byte{0, 1, 0xff}, CreatedAt: at}))
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx, store.SigningKey{ID: "k2", Secret: []byte("two"), CreatedAt: at.Add(time.Hour)}))

	wrap := func(id string, v []byte) ([]byte, bool, error) {
		if bytes.HasPrefix(v, []byte("w:")) {
			return v, false, nil
		}
		return append([]byte("w:"+id+":"), v...), true, nil
	}

	// An error in the second batch: the first stays rewritten, the second as it was.
	boom := errors.New("boom")
	seen := 0
	n, err := s.RewriteSecrets(ctx, store.AccessKeySecrets, func(id string, v []byte) ([]byte, bool, error) {
		if seen++; seen == 700 {
			return nil, false, boom
		}
		return wrap(id, v)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("RewriteSecrets with a failing rewrite: %v, want its error", err)
	}
	if n < 1 || n >= 699 {
		t.Errorf("RewriteSecrets rewrote %d rows before the error, want the whole batches before it", n)
	}
	for i, k := range keys {
		got, err := s.GetAccessKey(ctx, k.ID)
		must(t, "GetAccessKey", err)
		if rewritten := strings.HasPrefix(got.Secret, "w:"); rewritten != (i < n) {
			t.Fatalf("after a failed batch, key %d (of %d rewritten) holds %q", i, n, got.Secret)
		}
	}

	// A rerun finishes the work, visiting every row once, and leaves the other columns be.
	visited := map[string]int{}
	n2, err := s.RewriteSecrets(ctx, store.AccessKeySecrets, func(id string, v []byte) ([]byte, bool, error) {
		visited[id]++
		return wrap(id, v)
	})
	must(t, "RewriteSecrets", err)
	if n+n2 != nKeys || len(visited) != nKeys {
		t.Errorf("the rerun rewrote %d and visited %d rows, want %d and %d", n2, len(visited), nKeys-n, nKeys)
	}
	for id, c := range visited {
		if c != 1 {
			t.Fatalf("%s visited %d times", id, c)
		}
	}
	for _, k := range keys {
		got, err := s.GetAccessKey(ctx, k.ID)
		must(t, "GetAccessKey", err)
		want := k
		want.Secret = "w:" + k.ID + ":" + k.Secret
		if got != want {
			t.Fatalf("rewritten key %+v, want %+v", got, want)
		}
	}
	if n, err := s.RewriteSecrets(ctx, store.AccessKeySecrets, wrap); err != nil || n != 0 {
		t.Errorf("a rerun with nothing to do: %d, %v", n, err)
	}

	// Sessions and the signing keys' byte strings.
	if n, err := s.RewriteSecrets(ctx, store.SessionSecrets, wrap); err != nil || n != 1 {
		t.Fatalf("RewriteSecrets(sessions) = %d, %v", n, err)
	}
	gotSess, err := s.GetSession(ctx, sess.AccessKeyID)
	must(t, "GetSession", err)
	if gotSess.Secret != "w:"+sess.AccessKeyID+":session-secret" || gotSess.SessionName != "s" || !bytes.Equal(gotSess.TokenHash, []byte{1, 2}) {
		t.Errorf("rewritten session %+v", gotSess)
	}
	if n, err := s.RewriteSecrets(ctx, store.SigningKeySecrets, wrap); err != nil || n != 2 {
		t.Fatalf("RewriteSecrets(signing_keys) = %d, %v", n, err)
	}
	sks, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	if len(sks) != 2 || !bytes.Equal(sks[0].Secret, []byte("w:k1:\x00\x01\xff")) || !bytes.Equal(sks[1].Secret, []byte("w:k2:two")) {
		t.Errorf("rewritten signing keys %+v", sks)
	}
	if _, err := s.RewriteSecrets(ctx, "roles", wrap); err == nil {
		t.Error("RewriteSecrets of a table without secrets succeeded")
	}

	if concurrent == nil {
		return
	}
	// A row another process changes between the rewrite's read and its write is read again.
	must(t, "UpdateAccessKey", s.UpdateAccessKey(ctx, keys[0].ID, func(k store.AccessKey) (store.AccessKey, error) {
		k.Secret = "plain"
		return k, nil
	}))
	changed := false
	n, err = s.RewriteSecrets(ctx, store.AccessKeySecrets, func(id string, v []byte) ([]byte, bool, error) {
		if id == keys[0].ID && !changed {
			changed = true
			must(t, "UpdateAccessKey", concurrent.UpdateAccessKey(ctx, id, func(k store.AccessKey) (store.AccessKey, error) {
				k.Secret = "changed"
				return k, nil
			}))
		}
		return wrap(id, v)
	})
	must(t, "RewriteSecrets", err)
	got, err := s.GetAccessKey(ctx, keys[0].ID)
	must(t, "GetAccessKey", err)
	if n != 1 || got.Secret != "w:"+keys[0].ID+":changed" {
		t.Errorf("a row changed during the rewrite: %d rewritten, holds %q", n, got.Secret)
	}
}
