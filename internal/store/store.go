// Package store defines the one storage interface every backend implements, the records it
// keeps, and the sentinel errors backends return. It owns persistence only: no validation,
// no AWS semantics, no wire formats. Backends live in sub-packages (sqlite, postgres, both over
// the SQL written once in sqlstore) and prove themselves against the exported conformance suite in storetest.
package store

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"
)

// Sentinel errors. Backends wrap nothing else into them, so callers can rely on errors.Is.
var (
	// ErrNotFound: the record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a record with the same key (or unique name) exists.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrStorageFull: a write failed because the storage under the database is full or failing;
	// the write was not made (its transaction rolled back), and reads still work. Backends wrap
	// the driver's error so that errors.Is finds this.
	ErrStorageFull = errors.New("store: storage full or failing")
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
	// RolePath is the role's path ("/" or "/a/b/"), for the role's ARN.
	RolePath string
	// SourceARN is the ARN of the principal that assumed the role.
	SourceARN string
	// Policy and PolicyARNs are the session policies AssumeRole was given: an inline document
	// kept as written, and managed policy ARNs. A session without any has neither.
	Policy     string
	PolicyARNs []string
	// Tags are the session's tags (aws:PrincipalTag/KEY), TransitiveTagKeys those of them a
	// session it assumes a role from inherits.
	Tags              map[string]string
	TransitiveTagKeys []string
	CreatedAt         time.Time
	ExpiresAt         time.Time
}

// Instance is an Amazon Connect instance. It belongs to an account and a region.
type Instance struct {
	AccountID string
	Region    string
	ID        string // a UUID
	// Alias is unique per account and region, ignoring case ("" only for EXISTING_DIRECTORY
	// instances, which need none; several may have none).
	Alias                  string
	IdentityManagementType string // SAML, CONNECT_MANAGED or EXISTING_DIRECTORY
	DirectoryID            string
	InboundCalls           bool
	OutboundCalls          bool
	CreatedAt              time.Time
	// ClientToken is the idempotency token CreateInstance was given ("" for none).
	ClientToken string
	// Tags are the instance's tags (nil for none).
	Tags map[string]string
	// Attributes are the instance attributes set beside the calls-enabled flags, by attribute
	// type (nil for none).
	Attributes map[string]string
}

// ProfileKind is a kind of record Profile holds. Each kind is a namespace of its own.
type ProfileKind string

// The kinds of Profile.
const (
	SecurityProfiles ProfileKind = "security profile"
	RoutingProfiles  ProfileKind = "routing profile"
	Queues           ProfileKind = "queue"
)

// Profile is a named record of an instance: a security profile, a routing profile or a queue.
// The store keys it by instance and id and keeps its name unique per instance and kind,
// compared exactly; the rest of it is a JSON document the connect domain owns.
type Profile struct {
	Kind        ProfileKind
	InstanceID  string
	ID          string // a UUID
	Name        string
	Description string
	// Details is the connect domain's document, kept as given (empty may come back as nil).
	Details   []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ConnectUser is a user of a Connect instance.
type ConnectUser struct {
	InstanceID string
	ID         string // a UUID
	// Username is unique in its instance, and case-sensitive.
	Username string
	// Details is the rest of the user (identity info, phone config, profile ids, tags) as a
	// JSON document the connect domain owns; the store keeps its bytes as given (empty may come
	// back as nil).
	Details []byte
	// PasswordHash is a CONNECT_MANAGED user's password as the connect domain hashed it (nil
	// for none); the password itself is never stored.
	PasswordHash []byte
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// HierarchyLevel is one level (1 to 5) of an instance's user hierarchy.
type HierarchyLevel struct {
	InstanceID string
	Level      int
	ID, Name   string
	UpdatedAt  time.Time
}

// HierarchyGroup is a group of an instance's user hierarchy: at Level, under ParentID ("" at
// level one).
type HierarchyGroup struct {
	InstanceID, ID, Name string
	Level                int
	ParentID             string
	Tags                 map[string]string
	CreatedAt, UpdatedAt time.Time
}

// SigningKey is a key that signs federation tokens.
type SigningKey struct {
	ID        string
	Secret    []byte
	CreatedAt time.Time
}

// RevokedFamily records that every token of a token family is revoked. A family is all the
// federation tokens descended from one GetFederationToken call.
type RevokedFamily struct {
	FamilyID string // 32 lowercase hex digits
	// RevokedAt is when the family was revoked: the earliest time it was revoked at.
	RevokedAt time.Time
	// Until is when the family's last token expires: the latest until it was revoked with.
	// The record may be purged after it.
	Until time.Time
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
	// SetRoleTrustPolicy replaces a role's trust policy document.
	SetRoleTrustPolicy(ctx context.Context, accountID, name, document string) error

	// PutInlinePolicy creates or replaces an inline policy of a user or role (its name matched
	// ignoring case, the new spelling kept); ErrNotFound when the account does not exist. It
	// does not check that the owner does.
	PutInlinePolicy(ctx context.Context, p InlinePolicy) error
	GetInlinePolicy(ctx context.Context, accountID string, kind PolicyOwner, owner, name string) (InlinePolicy, error)
	// ListInlinePolicies lists an owner's inline policies by name, ignoring case.
	ListInlinePolicies(ctx context.Context, accountID string, kind PolicyOwner, owner string) ([]InlinePolicy, error)
	DeleteInlinePolicy(ctx context.Context, accountID string, kind PolicyOwner, owner, name string) error

	// CreateManagedPolicy stores a customer managed policy with its versions; ErrAlreadyExists
	// when the account has a policy of that name (ignoring case, whatever its path), ErrNotFound
	// when the account does not exist.
	CreateManagedPolicy(ctx context.Context, p ManagedPolicy) error
	GetManagedPolicy(ctx context.Context, accountID, name string) (ManagedPolicy, error)
	// ListManagedPolicies lists the account's managed policies by name.
	ListManagedPolicies(ctx context.Context, accountID string, p Page) ([]ManagedPolicy, error)
	// UpdateManagedPolicy reads the policy, applies update, and writes the result atomically
	// (update may not rename it).
	UpdateManagedPolicy(ctx context.Context, accountID, name string, update func(ManagedPolicy) (ManagedPolicy, error)) error
	DeleteManagedPolicy(ctx context.Context, accountID, name string) error

	// AttachPolicy attaches a managed policy (by ARN, customer or AWS managed) to a user or
	// role; attaching it again is not an error. DetachPolicy is ErrNotFound when it was not
	// attached.
	AttachPolicy(ctx context.Context, a PolicyAttachment) error
	DetachPolicy(ctx context.Context, a PolicyAttachment) error
	// ListAttachedPolicies lists the ARNs attached to an owner, in ARN order.
	ListAttachedPolicies(ctx context.Context, accountID string, kind PolicyOwner, owner string) ([]string, error)
	// ListPolicyAttachments lists who a policy is attached to in the account, by kind then
	// owner name; Owner is the lower-case name key.
	ListPolicyAttachments(ctx context.Context, accountID, policyARN string) ([]PolicyAttachment, error)

	// PutPermissionsBoundary sets (or replaces) a user's or role's permissions boundary;
	// GetPermissionsBoundary answers "" without error when there is none;
	// DeletePermissionsBoundary is ErrNotFound when there is none.
	PutPermissionsBoundary(ctx context.Context, a PolicyAttachment) error
	GetPermissionsBoundary(ctx context.Context, accountID string, kind PolicyOwner, owner string) (string, error)
	DeletePermissionsBoundary(ctx context.Context, accountID string, kind PolicyOwner, owner string) error

	// CreateSAMLProvider stores an IAM SAML provider; ErrAlreadyExists when the account has one
	// of that name (ignoring case), ErrNotFound when the account does not exist.
	CreateSAMLProvider(ctx context.Context, p SAMLProvider) error
	GetSAMLProvider(ctx context.Context, accountID, name string) (SAMLProvider, error)
	// ListSAMLProviders lists the account's SAML providers by name.
	ListSAMLProviders(ctx context.Context, accountID string) ([]SAMLProvider, error)
	// UpdateSAMLProvider replaces a provider's metadata; ErrNotFound when there is none.
	UpdateSAMLProvider(ctx context.Context, p SAMLProvider) error
	DeleteSAMLProvider(ctx context.Context, accountID, name string) error

	CreateSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, accessKeyID string) (Session, error)
	// DeleteExpiredSessions removes sessions that expired before t and says how many.
	DeleteExpiredSessions(ctx context.Context, t time.Time) (int, error)

	// CreateInstance creates an instance with the profiles it starts with (of every kind), all
	// or nothing. Instance ids are unique across all accounts and regions (profiles and users
	// name their instance by id alone). ErrAlreadyExists when the alias is taken in the account
	// and region, the id is taken anywhere, or two profiles of one kind share an id or a name.
	CreateInstance(ctx context.Context, in Instance, profiles []Profile) error
	GetInstance(ctx context.Context, accountID, region, id string) (Instance, error)
	// GetInstanceByClientToken finds the instance of an account and region created with a
	// client token (not ""); the oldest, should there be several.
	GetInstanceByClientToken(ctx context.Context, accountID, region, clientToken string) (Instance, error)
	// ListInstances orders by id; Page.After is an id.
	ListInstances(ctx context.Context, accountID, region string, p Page) ([]Instance, error)
	// UpdateInstance reads an instance, applies update and writes the result atomically;
	// update may change the calls-enabled flags, Attributes and Tags, nothing else. ErrNotFound
	// when there is no such instance.
	UpdateInstance(ctx context.Context, accountID, region, id string, update func(Instance) (Instance, error)) error
	// DeleteInstance removes the instance with its profiles and users.
	DeleteInstance(ctx context.Context, accountID, region, id string) error

	// Profiles of an instance, by kind. CreateProfile is ErrAlreadyExists when the id or the
	// name is taken in the instance, ErrNotFound without the instance; ListProfiles orders by
	// id, Page.After being an id. UpdateProfile reads a profile, applies update and writes the
	// result atomically; update may change Name, Description, Details and UpdatedAt (a name
	// another profile has is ErrAlreadyExists). ErrNotFound for a profile that does not exist.
	CreateProfile(ctx context.Context, p Profile) error
	GetProfile(ctx context.Context, kind ProfileKind, instanceID, id string) (Profile, error)
	ListProfiles(ctx context.Context, kind ProfileKind, instanceID string, p Page) ([]Profile, error)
	UpdateProfile(ctx context.Context, kind ProfileKind, instanceID, id string, update func(Profile) (Profile, error)) error
	DeleteProfile(ctx context.Context, kind ProfileKind, instanceID, id string) error

	// CreateConnectUser: ErrAlreadyExists when the username (exactly, case-sensitively) or the
	// id exists in the instance; ErrNotFound when the instance does not exist. Announced as
	// ChangedConnectUser, as updates and deletes are (listings are cached).
	CreateConnectUser(ctx context.Context, u ConnectUser) error
	GetConnectUser(ctx context.Context, instanceID, id string) (ConnectUser, error)
	// GetConnectUserByUsername matches the username exactly, case-sensitively.
	GetConnectUserByUsername(ctx context.Context, instanceID, username string) (ConnectUser, error)
	// ListConnectUsers orders by username, byte order; Page.After is a username.
	ListConnectUsers(ctx context.Context, instanceID string, p Page) ([]ConnectUser, error)
	// ListConnectUserSummaries is ListConnectUsers without the users' Details and
	// PasswordHash (nil), which a listing does not show and a page of 1,000 would read.
	ListConnectUserSummaries(ctx context.Context, instanceID string, p Page) ([]ConnectUser, error)
	// The user hierarchy. PutHierarchyStructure replaces an instance's levels (none: no
	// structure); groups are unique per instance by id and by exact name (ErrAlreadyExists);
	// ListHierarchyGroups orders by id, Page.After being an id. ErrNotFound for an instance,
	// group or level that does not exist.
	PutHierarchyStructure(ctx context.Context, instanceID string, levels []HierarchyLevel) error
	GetHierarchyStructure(ctx context.Context, instanceID string) ([]HierarchyLevel, error)
	CreateHierarchyGroup(ctx context.Context, g HierarchyGroup) error
	GetHierarchyGroup(ctx context.Context, instanceID, id string) (HierarchyGroup, error)
	ListHierarchyGroups(ctx context.Context, instanceID string, p Page) ([]HierarchyGroup, error)
	// UpdateHierarchyGroup reads a group, applies update and writes the result atomically;
	// update may change Name, Tags and UpdatedAt (a name another group has is ErrAlreadyExists).
	UpdateHierarchyGroup(ctx context.Context, instanceID, id string, update func(HierarchyGroup) (HierarchyGroup, error)) error
	DeleteHierarchyGroup(ctx context.Context, instanceID, id string) error

	// Approved origins of an instance: AddApprovedOrigin is ErrAlreadyExists for one it has
	// (exactly) and ErrNotFound without the instance; RemoveApprovedOrigin ErrNotFound for
	// one it has not; ListApprovedOrigins orders them, Page.After being an origin.
	AddApprovedOrigin(ctx context.Context, instanceID, origin string) error
	RemoveApprovedOrigin(ctx context.Context, instanceID, origin string) error
	ListApprovedOrigins(ctx context.Context, instanceID string, p Page) ([]string, error)

	// UpdateConnectUser reads the user, applies update, and writes the result atomically, as
	// one step against concurrent updates on every replica; update may change Details,
	// PasswordHash and UpdatedAt, nothing else. ErrNotFound when there is no such user.
	UpdateConnectUser(ctx context.Context, instanceID, id string, update func(ConnectUser) (ConnectUser, error)) error
	DeleteConnectUser(ctx context.Context, instanceID, id string) error

	CreateSigningKey(ctx context.Context, k SigningKey) error
	// ListSigningKeys lists every signing key, oldest first.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// DeleteSigningKey retires a key for good: tokens it signed stop verifying.
	DeleteSigningKey(ctx context.Context, id string) error

	// The audit trail. AppendAuditEvents writes events, the batch all or nothing (ids are the
	// caller's to keep unique: random UUIDs; the store keeps no reference to a body once it
	// returns, so the caller may reuse them); LookupAuditEvents finds an account's events,
	// newest first; DeleteAuditEventsBefore removes those older than t and says how many.
	AppendAuditEvents(ctx context.Context, events []AuditEvent) error
	LookupAuditEvents(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
	DeleteAuditEventsBefore(ctx context.Context, t time.Time) (int, error)

	// Federation token state. Federation tokens are HMAC-signed and verified without the
	// store, and nothing is written when one is minted: the store keeps only what a token
	// cannot say about itself, which one-time tokens have been used and which token families
	// are revoked. Token and family ids are compared exactly. Every record carries an until,
	// the expiry of the last token it concerns: after it the token's own expiry refuses the
	// token, so DeleteExpiredTokenRecords may remove the record. Times are kept to the
	// microsecond, as everywhere in the store.

	// MarkTokenUsed records that the token with this id (of this family) has been used, for
	// one-time tokens: refresh tokens and sign-in links. ErrAlreadyExists when it was used before —
	// the caller then knows the token is being replayed. until is when the token expires; the
	// record may be purged after it.
	//
	// The check and the record are one atomic step: of any number of concurrent calls for one
	// id, from any number of replicas sharing the store, exactly one returns nil and every
	// other ErrAlreadyExists. An id used before is ErrAlreadyExists whatever family either call
	// named. Any other error leaves unknown whether the use was recorded: the caller must not
	// honour the token.
	// TokenUsed reports whether MarkTokenUsed has recorded the token (and its record has not
	// been purged).
	TokenUsed(ctx context.Context, tokenID string) (bool, error)
	MarkTokenUsed(ctx context.Context, tokenID, familyID string, until time.Time) error
	// RevokeFamily records that every token of the family is revoked, as of at. Revoking a revoked
	// family is not an error and keeps the earliest time and the latest until. until should be
	// when the family's last token expires; the record may be purged after it. Concurrent calls
	// for one family lose nothing: the record ends with the earliest at and the latest until
	// of them all.
	RevokeFamily(ctx context.Context, familyID string, at, until time.Time) error
	// FamilyRevoked reports whether the family is revoked (and since when). A family never
	// revoked, or whose record has been purged, is not: false, the zero time and no error. On
	// an error the caller knows nothing and must not take the family for live.
	FamilyRevoked(ctx context.Context, familyID string) (revoked bool, at time.Time, err error)
	// ListRevokedFamilies lists families revoked at or after since, oldest first — what a replica
	// polls to keep its revocation cache current. Ties are ordered by family id; when none
	// matches, the list is empty and the error nil. Purged records are not listed. Revoking a
	// family again keeps its earliest RevokedAt, so it does not bring the family into a later
	// poll.
	//
	// RevokedAt is the time the revoking caller gave, not when its record became visible: a
	// revocation stamped by a replica whose clock is behind, or committed just after a poll,
	// can carry a RevokedAt older than families that poll already returned. A poller should
	// therefore ask from a margin before the newest RevokedAt it has seen, and expect to see
	// some families again.
	ListRevokedFamilies(ctx context.Context, since time.Time) ([]RevokedFamily, error)
	// DeleteExpiredTokenRecords removes used-token and revoked-family records whose until is
	// before t, and says how many (of both kinds together). A record whose until is t stays.
	DeleteExpiredTokenRecords(ctx context.Context, t time.Time) (int, error)
}

// PolicyOwner is the kind of IAM entity an inline policy belongs to.
type PolicyOwner string

const (
	UserPolicy PolicyOwner = "user"
	RolePolicy PolicyOwner = "role"
)

// InlinePolicy is a policy document embedded in a user or role. Owner and Name match ignoring
// case; Document is kept exactly as written.
type InlinePolicy struct {
	AccountID string
	Kind      PolicyOwner
	Owner     string
	Name      string
	Document  string
}

// SAMLProvider is an IAM SAML identity provider: its metadata document exactly as given, and
// when the metadata says it stops being valid. Name is unique per account ignoring case.
type SAMLProvider struct {
	AccountID, Name      string
	Metadata             string
	ValidUntil           time.Time
	CreatedAt, UpdatedAt time.Time
}

// ManagedPolicy is a customer managed policy: a named, versioned document that users and roles
// attach. Name is unique per account ignoring case; Versions hold every kept version, oldest
// first, each document exactly as written.
type ManagedPolicy struct {
	AccountID   string
	Name        string
	ID          string // ANPA...
	Path        string
	Description string
	// DefaultVersion is the id of the version in force ("v1"); NextVersion the number the next
	// version gets (IAM never reuses a version id).
	DefaultVersion string
	NextVersion    int
	Versions       []PolicyVersion
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	ID        string    `json:"id"`
	Document  string    `json:"document"`
	CreatedAt time.Time `json:"created"`
}

// PolicyAttachment binds a managed policy to a user or role, as an attached policy or as its
// permissions boundary.
type PolicyAttachment struct {
	AccountID string
	Kind      PolicyOwner
	Owner     string
	PolicyARN string
}

// SecretKind names one kind of secret a store keeps, for SecretRewriter.
type SecretKind string

// AuditEvent is one record of the audit trail: the fields it is looked up by, and the record
// itself in the audit package's stored form, kept as given (the store never reads it).
type AuditEvent struct {
	AccountID string
	ID        string // unique
	Time      time.Time
	Name      string // eventName
	Source    string // eventSource
	Username  string
	// AccessKeyID is the key the call was signed with ("" for none).
	AccessKeyID string
	// Resources are the names (ARNs) of the resources the event concerns.
	Resources []string
	ReadOnly  bool
	Body      []byte
}

// AuditQuery asks for an account's events in [Start, End) (zero: unbounded), newest first,
// matching one attribute when Attribute is set, after a cursor (the time and id of the last
// event of the previous page), at most Limit.
type AuditQuery struct {
	AccountID  string
	Start, End time.Time
	// Attribute is one of "EventId", "EventName", "EventSource", "Username", "AccessKeyId",
	// "ResourceName", "ReadOnly" ("true" or "false"), or "" for none.
	Attribute, Value string
	// BeforeTime and BeforeID, when set, start the page after that event.
	BeforeTime time.Time
	BeforeID   string
	Limit      int
}

// The secrets a store keeps.
const (
	SigningKeySecrets SecretKind = "signing keys"
	AccessKeySecrets  SecretKind = "access keys"
	SessionSecrets    SecretKind = "sessions"
)

// SecretRewriter is a store whose secrets a tool can rewrite in place, for changing the master
// key they are sealed under (store/sealed's Rewrap).
type SecretRewriter interface {
	// RewriteSecrets calls rewrite with the id and the secret of every record of a kind, and
	// writes back the secret it returns when it says changed; see sqlstore.
	RewriteSecrets(ctx context.Context, kind SecretKind, rewrite func(id string, secret []byte) (out []byte, changed bool, err error)) (int, error)
}

// StorableText reports whether s is text every store keeps as it is: UTF-8 without control
// characters other than tab, line feed and carriage return (what IAM's text patterns allow).
// PostgreSQL refuses NUL and bytes that are not UTF-8 in text.
func StorableText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}
