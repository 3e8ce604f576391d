// Package store defines the one storage interface every backend implements, the records it
// keeps, and the sentinel errors backends return. It owns persistence only: no validation,
// no AWS semantics, no wire formats. Backends live in sub-packages (sqlite, and later postgres)
// and prove themselves against the exported conformance suite in storetest.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap nothing else into them, so callers can rely on errors.Is.
var (
	// ErrNotFound: the record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a record with the same key (or unique name) exists.
	ErrAlreadyExists = errors.New("store: already exists")
)

// Account is an AWS account: the owner of every other record.
type Account struct {
	ID        string // 12 digits
	CreatedAt time.Time
}

// User is an IAM user.
type User struct {
	AccountID string
	Name      string // unique per account, case-insensitively, as IAM
	ID        string // AIDA...
	Path      string
	CreatedAt time.Time
}

// AccessKey is a long-term credential of an IAM user, or of the account root when UserName is
// empty.
type AccessKey struct {
	ID        string // AKIA...
	Secret    string
	AccountID string
	UserName  string // "" for the account root
	Active    bool
	CreatedAt time.Time
}

// Role is an IAM role.
type Role struct {
	AccountID          string
	Name               string // unique per account, case-insensitively, as IAM
	ID                 string // AROA...
	Path               string
	TrustPolicy        string // the JSON document, as given
	Description        string
	MaxSessionDuration int // seconds
	CreatedAt          time.Time
}

// Session is a set of temporary credentials issued by STS AssumeRole.
type Session struct {
	AccessKeyID string // ASIA...
	Secret      string
	// TokenHash is the SHA-256 of the session token; the token itself is never stored.
	TokenHash   []byte
	AccountID   string
	RoleName    string
	RoleID      string
	SessionName string
	// SourceARN is the ARN of the principal that assumed the role.
	SourceARN string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Page asks for at most Limit records whose key sorts after After ("" for the first page).
// Limit <= 0 means no limit.
type Page struct {
	After string
	Limit int
}

// Store is everything connectfed persists. Implementations must be safe for concurrent use.
// Names (user and role names) are unique per account ignoring case, as in IAM; Get and Delete
// find them ignoring case too, and List orders them by name.
type Store interface {
	// Ping reports whether the backend can serve requests.
	Ping(ctx context.Context) error
	Close() error

	CreateAccount(ctx context.Context, a Account) error
	GetAccount(ctx context.Context, id string) (Account, error)

	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, accountID, name string) (User, error)
	ListUsers(ctx context.Context, accountID string, p Page) ([]User, error)
	// DeleteUser removes the user. It does not touch the user's access keys; the caller
	// decides whether keys block the deletion.
	DeleteUser(ctx context.Context, accountID, name string) error

	CreateAccessKey(ctx context.Context, k AccessKey) error
	GetAccessKey(ctx context.Context, id string) (AccessKey, error)
	// ListAccessKeys lists the keys of one user ("" for the account root), oldest first.
	ListAccessKeys(ctx context.Context, accountID, userName string) ([]AccessKey, error)
	// UpdateAccessKey reads the key, applies update, and writes the result atomically.
	UpdateAccessKey(ctx context.Context, id string, update func(AccessKey) (AccessKey, error)) error
	DeleteAccessKey(ctx context.Context, id string) error

	CreateRole(ctx context.Context, r Role) error
	GetRole(ctx context.Context, accountID, name string) (Role, error)
	ListRoles(ctx context.Context, accountID string, p Page) ([]Role, error)
	DeleteRole(ctx context.Context, accountID, name string) error

	CreateSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, accessKeyID string) (Session, error)
	// DeleteExpiredSessions removes sessions that expired before t and says how many.
	DeleteExpiredSessions(ctx context.Context, t time.Time) (int, error)
}
