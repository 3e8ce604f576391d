// Package sqlite owns connectfed's SQLite backend: opening the database file with the
// settings that make it durable and safe under concurrency, and the sqlstore.Flavor that
// tells the shared SQL implementation how SQLite differs. It uses modernc.org/sqlite, a pure
// Go driver, so connectfed builds without cgo.
package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/connectfed/connectfed/internal/store/sqlstore"
)

// Flavor describes SQLite to sqlstore. Queries keep their $N placeholders: modernc binds
// $N to the N-th argument. Constraint violations are recognised by SQLite's extended result
// codes, which modernc enables on every connection.
func Flavor() sqlstore.Flavor {
	return sqlstore.Flavor{
		Name:      "sqlite",
		BytesType: "BLOB",
		KeyType:   "TEXT", // SQLite's default collation, BINARY, already compares bytewise.
		IsUniqueViolation: func(err error) bool {
			return hasCode(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
		},
		IsForeignKeyViolation: func(err error) bool {
			return hasCode(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY)
		},
		// A full disk is SQLITE_FULL (ENOSPC); a write the system refuses otherwise (a file
		// size limit, an I/O error) is IOERR_WRITE or IOERR_FSYNC.
		IsStorageFull: func(err error) bool {
			return hasCode(err, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR_WRITE, sqlite3.SQLITE_IOERR_FSYNC)
		},
	}
}

func hasCode(err error, codes ...int) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && slices.Contains(codes, e.Code())
}

// Connection settings, applied by the driver to every connection the pool opens (a PRAGMA
// run once through database/sql would reach only whichever connection ran it):
//
//   - busy_timeout(5000): wait up to 5s for a lock held by another process (a backup, the
//     sqlite3 shell) instead of failing at once with SQLITE_BUSY. It comes first so the
//     other pragmas wait too.
//   - foreign_keys(1): SQLite ignores foreign keys unless asked, per connection; the store
//     relies on them to refuse records of accounts that do not exist.
//   - journal_mode(WAL): readers do not block the writer nor it them, and a commit is one
//     append to the log.
//   - synchronous(FULL): every commit is fsynced to the WAL before it returns. A write the
//     server acknowledged (a created key, a revoked one) must survive a crash or power
//     loss; NORMAL, the usual WAL pairing, may lose the last commits on power loss.
//   - _txlock=immediate: transactions take the write lock at BEGIN, waiting under
//     busy_timeout, rather than on their first write, when SQLite can only fail with
//     SQLITE_BUSY if another connection wrote since the transaction's first read.
var filePragmas = []string{"busy_timeout(5000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(FULL)"}

// dsn is the modernc data source name for the SQLite URI (file:...) with the pragmas. The
// URI form lets the path be escaped, so a path containing '?' or '#' cannot spill into the
// query.
func dsn(uri string, pragmas []string) string {
	return uri + "?" + url.Values{"_pragma": pragmas, "_txlock": {"immediate"}}.Encode()
}

// Open opens (creating it if missing) the SQLite database at path and migrates it to
// sqlstore.SchemaVersion(). A missing parent directory is created with mode 0700, and a
// new database file with mode 0600: it holds secret access keys. Open refuses a database
// whose schema is newer than this binary knows.
func Open(path string) (*sqlstore.Store, error) {
	db, abs, err := openFile(path)
	if err != nil {
		return nil, err
	}
	s, err := sqlstore.New(db, Flavor())
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: open sqlite %s: %w", abs, err), db.Close())
	}
	rdb, err := openDB(dsn((&url.URL{Scheme: "file", Path: abs}).String(), readPragmas))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: open sqlite %s for reading: %w", abs, err), s.Close())
	}
	// Reads (the lookups caches miss, ListUsers' pages) run beside the writer and each other,
	// on as many connections as there are cores to run them.
	rdb.SetMaxOpenConns(readers)
	rdb.SetMaxIdleConns(readers)
	s.SetReader(rdb)
	return s, nil
}

// readPragmas are a reading connection's: it waits for a checkpoint as a writer would, and
// refuses to write (the one writer is the pool Open migrates with).
var readPragmas = []string{"busy_timeout(5000)", "query_only(1)"}

// readers is the size of the read pool.
var readers = min(runtime.NumCPU(), 4)

// OpenLog opens a database at path as Open does, for records written many a second that may
// lose their last commits on power loss (the audit trail): synchronous(NORMAL), WAL's usual
// pairing, which fsyncs at checkpoints rather than at every commit. A crash of the process
// loses nothing; only the operating system's may lose the last commits. Being a file of its
// own, its writes never wait for the main store's, nor they for its.
func OpenLog(path string) (*sqlstore.Store, error) {
	db, abs, err := openFileWith(path, logPragmas)
	if err != nil {
		return nil, err
	}
	s, err := sqlstore.New(db, Flavor())
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: open sqlite %s: %w", abs, err), db.Close())
	}
	return s, nil
}

// logPragmas are filePragmas with synchronous(NORMAL) (see OpenLog) and pages of 64 KiB, set
// before WAL, which fixes the size of a new file's pages: the audit trail's rows are blocks
// of megabytes, and at 4 KiB a page every block took a write call per 4 KiB, twice (the WAL,
// then the checkpoint).
var logPragmas = []string{"page_size(65536)", "busy_timeout(5000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(NORMAL)"}

// OpenDB opens (creating it if missing) the database at path as Open does, without migrating
// it: for tools that inspect or migrate a schema themselves. The caller closes the *sql.DB.
func OpenDB(path string) (*sql.DB, error) {
	db, _, err := openFile(path)
	return db, err
}

func openFile(path string) (_ *sql.DB, abs string, _ error) { return openFileWith(path, filePragmas) }

func openFileWith(path string, pragmas []string) (_ *sql.DB, abs string, _ error) {
	if path == "" {
		return nil, "", errors.New("store: open sqlite: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, "", fmt.Errorf("store: open sqlite %s: %w", abs, err)
	}
	// Create the file ourselves so it never exists with SQLite's default mode (0644 less
	// umask) even for a moment. SQLite gives the -wal and -shm files it creates later the
	// database file's mode. An existing file keeps the mode its owner chose.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return nil, "", fmt.Errorf("store: open sqlite %s: %w", abs, err)
		}
	case !errors.Is(err, fs.ErrExist):
		return nil, "", fmt.Errorf("store: open sqlite %s: %w", abs, err)
	}
	db, err := openDB(dsn((&url.URL{Scheme: "file", Path: abs}).String(), pragmas))
	if err != nil {
		return nil, "", fmt.Errorf("store: open sqlite %s: %w", abs, err)
	}
	return db, abs, nil
}

// OpenMemory opens a private in-memory database, for tests: it is lost on Close. The pool's
// single connection (see openDB) is what keeps it one database: every new connection to
// :memory: would be a new, empty one.
func OpenMemory() (*sqlstore.Store, error) {
	db, err := openDB(dsn("file::memory:", []string{"busy_timeout(5000)", "foreign_keys(1)"}))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite memory: %w", err)
	}
	s, err := sqlstore.New(db, Flavor())
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: open sqlite memory: %w", err), db.Close())
	}
	return s, nil
}

func openDB(dsn string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// One connection. SQLite admits one writer at a time; with several pooled connections,
	// concurrent writers would contend for the file lock inside SQLite, whose busy handler
	// polls with sleeps and gives up with SQLITE_BUSY after busy_timeout. With one
	// connection, database/sql queues callers in the process instead, in order and honouring
	// their contexts, so no request of this process ever sees SQLITE_BUSY; busy_timeout and
	// _txlock only matter against other processes. Reads made outside a transaction go to a
	// pool of their own (Open's readers), which WAL lets run beside the writer.
	// The connection is kept forever: it holds the in-memory database of OpenMemory, and
	// reopening costs the pragmas.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}
