package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/store/sqlstore"
	"github.com/connectfed/connectfed/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(filepath.Join(t.TempDir(), "missing-dir", "connectfed.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestConformanceMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := OpenMemory()
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Two replicas, or two processes, on one database file: each Open is a pool of its own, and
// SQLite's busy_timeout makes their writers queue for the file's lock.
func TestShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		path := filepath.Join(t.TempDir(), "connectfed.db")
		a, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Open(path)
		if err != nil {
			a.Close()
			t.Fatal(err)
		}
		return a, b
	})
}

// A restart loses nothing the store acknowledged.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "connectfed.db")
	created := time.Date(2025, 1, 2, 3, 4, 5, 678901000, time.UTC)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	key := store.AccessKey{ID: "AKIAREOPEN000000001", Secret: "s", AccountID: "111111111111", UserName: "Alice", Active: true, CreatedAt: created}
	for _, err := range []error{
		s.CreateAccount(ctx, store.Account{ID: key.AccountID, CreatedAt: created}),
		s.CreateUser(ctx, store.User{AccountID: key.AccountID, Name: "Alice", ID: "AIDAREOPEN000000001", CreatedAt: created}),
		s.CreateAccessKey(ctx, key),
		s.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetUser(ctx, key.AccountID, "alice"); err != nil {
		t.Errorf("user after reopen: %v", err)
	}
	if got, err := s.GetAccessKey(ctx, key.ID); err != nil || got != key {
		t.Errorf("access key after reopen = %+v, %v; want %+v", got, err, key)
	}
}

// A database migrated by a newer connectfed is refused, saying what to do.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "connectfed.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	newer := sqlstore.SchemaVersion() + 2
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE schema_version SET version = $1`, newer); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path)
	want := fmt.Sprintf("database schema version %d is newer than this connectfed knows (%d); upgrade connectfed",
		newer, sqlstore.SchemaVersion())
	if err == nil {
		s.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
	var tooNew *sqlstore.SchemaTooNewError
	if !strings.Contains(err.Error(), want) || !errors.As(err, &tooNew) {
		t.Errorf("Open of a newer schema: %v\nwant an error saying %q", err, want)
	}
}

// The database holds secrets: only its owner may read it.
func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "connectfed.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600, path + "-wal": 0o600} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), want)
		}
	}
}

// Every pooled connection, not just the first, gets the pragmas from the DSN.
func TestPragmas(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "connectfed.db")
	db, err := sql.Open("sqlite", dsn((&url.URL{Scheme: "file", Path: path}).String(), filePragmas))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[string]string{"busy_timeout": "5000", "foreign_keys": "1", "journal_mode": "wal", "synchronous": "2"}
	for i := range 3 {
		conn, err := db.Conn(ctx) // held open, so each iteration gets a new connection
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for pragma, v := range want {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != v {
				t.Errorf("connection %d: %s = %q, %v; want %q", i, pragma, got, err, v)
			}
		}
	}
}

// DeleteInstance removes an instance's profiles and users itself, not only through the
// foreign keys' cascades: a connection that does not enforce foreign keys leaves none behind.
func TestDeleteInstanceWithoutForeignKeys(t *testing.T) {
	ctx := t.Context()
	db, err := openDB(dsn("file::memory:", []string{"busy_timeout(5000)", "foreign_keys(0)"}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.New(db, Flavor())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := store.Instance{AccountID: "111111111111", Region: "us-east-1", ID: "instance-1", Alias: "a",
		IdentityManagementType: "CONNECT_MANAGED", CreatedAt: time.Now()}
	profile := []store.Profile{{Kind: store.SecurityProfiles, InstanceID: in.ID, ID: "profile-1", Name: "Admin"},
		{Kind: store.RoutingProfiles, InstanceID: in.ID, ID: "profile-1", Name: "Admin"}}
	user := store.ConnectUser{InstanceID: in.ID, ID: "user-1", Username: "alice", Details: []byte("{}")}
	for _, err := range []error{
		s.CreateAccount(ctx, store.Account{ID: in.AccountID}),
		s.CreateInstance(ctx, in, profile),
		s.CreateConnectUser(ctx, user),
		s.DeleteInstance(ctx, in.AccountID, in.Region, in.ID),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GetConnectUser(ctx, in.ID, user.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetConnectUser after DeleteInstance: %v, want ErrNotFound", err)
	}
	if _, err := s.GetProfile(ctx, store.SecurityProfiles, in.ID, "profile-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSecurityProfile after DeleteInstance: %v, want ErrNotFound", err)
	}
	if _, err := s.GetProfile(ctx, store.RoutingProfiles, in.ID, "profile-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRoutingProfile after DeleteInstance: %v, want ErrNotFound", err)
	}
}

// Reads go to the read pool: one made while a write is in progress neither waits for it nor
// sees it, and the next one after the commit does.
func TestReadsDoNotWaitForTheWriter(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "connectfed.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	const account, region, id = "123456789012", "us-east-1", "0b5b6a34-8d0e-4b8e-9d6e-4a0c1b2c3d4e"
	if err := s.CreateAccount(ctx, store.Account{ID: account, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateInstance(ctx, store.Instance{AccountID: account, Region: region, ID: id, Alias: "before",
		IdentityManagementType: "CONNECT_MANAGED", CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	inWrite, release := make(chan struct{}), make(chan struct{})
	updated := make(chan error, 1)
	go func() {
		updated <- s.UpdateInstance(ctx, account, region, id, func(in store.Instance) (store.Instance, error) {
			close(inWrite)
			<-release
			in.Tags = map[string]string{"state": "after"}
			return in, nil
		})
	}()
	<-inWrite
	read := make(chan store.Instance, 1)
	go func() {
		in, err := s.GetInstance(ctx, account, region, id)
		if err != nil {
			t.Error(err)
		}
		read <- in
	}()
	select {
	case in := <-read:
		if in.Tags != nil {
			t.Errorf("a read during the write saw tags %v, want the committed none", in.Tags)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a read waited for a write in progress")
	}
	close(release)
	if err := <-updated; err != nil {
		t.Fatal(err)
	}
	if in, err := s.GetInstance(ctx, account, region, id); err != nil || in.Tags["state"] != "after" {
		t.Errorf("after the commit: tags %v, %v; want state=after", in.Tags, err)
	}
}
