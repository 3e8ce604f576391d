package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// Flavor is everything that differs between the SQL databases sqlstore runs on. Each backend
// package (sqlite, postgres) builds its own value, so sqlstore never imports a
// driver and a new flavour needs no change here.
//
// Queries are written once, with PostgreSQL-style numbered placeholders ($1, $2, ...), which
// both PostgreSQL and modernc.org/sqlite bind to the N-th argument as written.
//
// Timestamps are stored as BIGINT unix microseconds and booleans as BIGINT 0/1 in every
// flavour: both databases compare, sort and return those identically, which no native
// timestamp or boolean type guarantees across the two, and microseconds are what a
// PostgreSQL timestamp would keep anyway.
type Flavor struct {
	// Name names the flavour in errors ("sqlite", "postgres").
	Name string

	// BytesType is the column type of byte strings: "BLOB" in SQLite, "BYTEA" in PostgreSQL.
	BytesType string
	// KeyType is the column type of text that is compared and sorted as keys (lower-cased
	// names, access key ids). It must compare bytewise so that ordering and paging are the
	// same everywhere: "TEXT" in SQLite (whose default collation is BINARY), and
	// `TEXT COLLATE "C"` in PostgreSQL, whose default collation follows the server's
	// locale.
	KeyType string

	// IsUniqueViolation reports whether err is the driver's error for a violated UNIQUE or
	// PRIMARY KEY constraint; sqlstore maps it to store.ErrAlreadyExists.
	IsUniqueViolation func(err error) bool
	// IsForeignKeyViolation reports whether err is the driver's error for a violated
	// FOREIGN KEY constraint; sqlstore maps it to store.ErrNotFound, since it means the
	// account a record belongs to does not exist.
	IsForeignKeyViolation func(err error) bool
	// IsStorageFull, if not nil, reports whether err says the storage under the database is
	// full or failing to write; sqlstore then wraps it so errors.Is finds store.ErrStorageFull.
	IsStorageFull func(err error) bool

	// Lock, if not nil, serialises migrations among every process sharing the database
	// (replicas starting together). New calls it on the connection it then migrates on,
	// before it touches any table, and calls unlock when the migrations are done or have
	// failed; unlock must release the lock however the migration ended, if need be by
	// discarding the connection. Lock waits until ctx is done for a lock another process
	// holds. nil for SQLite, whose immediate transactions already queue writers and whose
	// schema statements are transactional like the rest.
	Lock func(ctx context.Context, conn *sql.Conn) (unlock func(), err error)

	// NotifySQL, if not empty, is a statement that announces a committed change to the other
	// processes sharing the database, taking the encoded store.Change as $1. sqlstore runs it
	// in the transaction of the change, so the announcement goes out if and only if the
	// change commits. Empty for SQLite, which one process owns.
	NotifySQL string
}

func (f Flavor) validate() error {
	var missing []string
	if f.Name == "" {
		missing = append(missing, "Name")
	}
	if f.BytesType == "" {
		missing = append(missing, "BytesType")
	}
	if f.KeyType == "" {
		missing = append(missing, "KeyType")
	}
	if f.IsUniqueViolation == nil {
		missing = append(missing, "IsUniqueViolation")
	}
	if f.IsForeignKeyViolation == nil {
		missing = append(missing, "IsForeignKeyViolation")
	}
	if len(missing) > 0 {
		return errors.New("store: incomplete sql flavor: missing " + strings.Join(missing, ", "))
	}
	return nil
}

// ddl expands the column-type tokens of a schema statement for this flavour. Only the
// migrations use it: DML is one text for every flavour.
func (f Flavor) ddl(stmt string) string {
	return strings.NewReplacer("{bytes}", f.BytesType, "{key}", f.KeyType).Replace(stmt)
}
