package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migration is one step of the schema history: statements run in a single transaction
// together with the bump of schema_version, so a step is either wholly applied or not at all.
// Statements may use the {bytes} and {key} column-type tokens (see Flavor.ddl).
type migration []string

// migrations is the schema history. Migration N is migrations[N-1] and schema_version holds
// how many have been applied. A released step is never edited or reordered: databases in the
// field have already run it. Change the schema by appending a step.
var migrations = []migration{
	// 1: the initial schema.
	{
		`CREATE TABLE accounts (
			id         {key}  NOT NULL PRIMARY KEY,
			created_at BIGINT NOT NULL
		)`,
		// name_key is lower(name), computed in Go so every flavour lowers identically. The
		// key (account_id, name_key) makes names unique per account ignoring case, as IAM
		// does, and serves lookups, ordering and paging; name keeps the spelling the user
		// was created with.
		`CREATE TABLE iam_users (
			account_id {key}  NOT NULL REFERENCES accounts (id),
			name_key   {key}  NOT NULL,
			name       TEXT   NOT NULL,
			id         TEXT   NOT NULL,
			path       TEXT   NOT NULL,
			created_at BIGINT NOT NULL,
			PRIMARY KEY (account_id, name_key)
		)`,
		// Access key ids are unique across all accounts: a request carries only the id.
		// user_key is lower(user_name), "" for the account root. There is deliberately no
		// foreign key to iam_users: the caller decides whether keys block a user's deletion.
		`CREATE TABLE access_keys (
			id         {key}  NOT NULL PRIMARY KEY,
			secret     TEXT   NOT NULL,
			account_id {key}  NOT NULL REFERENCES accounts (id),
			user_name  TEXT   NOT NULL,
			user_key   {key}  NOT NULL,
			active     BIGINT NOT NULL,
			created_at BIGINT NOT NULL
		)`,
		// Serves ListAccessKeys, including its order, without a sort.
		`CREATE INDEX access_keys_by_user ON access_keys (account_id, user_key, created_at, id)`,
		`CREATE TABLE roles (
			account_id           {key}  NOT NULL REFERENCES accounts (id),
			name_key             {key}  NOT NULL,
			name                 TEXT   NOT NULL,
			id                   TEXT   NOT NULL,
			path                 TEXT   NOT NULL,
			trust_policy         TEXT   NOT NULL,
			description          TEXT   NOT NULL,
			max_session_duration BIGINT NOT NULL,
			created_at           BIGINT NOT NULL,
			PRIMARY KEY (account_id, name_key)
		)`,
		// Every signed request with temporary credentials looks its session up by access
		// key id: the primary key makes that an index lookup.
		`CREATE TABLE sessions (
			access_key_id {key}   NOT NULL PRIMARY KEY,
			secret        TEXT    NOT NULL,
			token_hash    {bytes} NOT NULL,
			account_id    {key}   NOT NULL REFERENCES accounts (id),
			role_name     TEXT    NOT NULL,
			role_id       TEXT    NOT NULL,
			session_name  TEXT    NOT NULL,
			source_arn    TEXT    NOT NULL,
			created_at    BIGINT  NOT NULL,
			expires_at    BIGINT  NOT NULL
		)`,
		// Lets DeleteExpiredSessions find expired sessions without scanning live ones.
		`CREATE INDEX sessions_by_expiry ON sessions (expires_at)`,
	},
	// 2: Amazon Connect instances with their profiles and users, and the keys that sign
	// federation tokens.
	{
		// Instance ids are UUIDs, unique everywhere, so profiles and users refer to their
		// instance by id alone; the store still looks an instance up by account, region and
		// id, so one account's or region's instance is invisible from another.
		// alias_key is lower(alias), computed in Go like name_key, or NULL for an instance
		// without an alias: SQLite and PostgreSQL both let a UNIQUE constraint hold any
		// number of NULLs, so aliases are unique per account and region ignoring case while
		// several instances may have none.
		`CREATE TABLE instances (
			id                       {key}  NOT NULL PRIMARY KEY,
			account_id               {key}  NOT NULL REFERENCES accounts (id),
			region                   {key}  NOT NULL,
			alias                    TEXT   NOT NULL,
			alias_key                {key},
			identity_management_type TEXT   NOT NULL,
			directory_id             TEXT   NOT NULL,
			inbound_calls            BIGINT NOT NULL,
			outbound_calls           BIGINT NOT NULL,
			created_at               BIGINT NOT NULL,
			UNIQUE (account_id, region, alias_key)
		)`,
		// Serves ListInstances, including its order, without a sort.
		`CREATE INDEX instances_by_region ON instances (account_id, region, id)`,
		// Profiles and users go with their instance: the cascades let DeleteInstance remove
		// an instance's records in one statement, and the primary keys, led by instance_id,
		// serve both the cascades and the id-ordered lists.
		`CREATE TABLE security_profiles (
			instance_id {key}  NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
			id          {key}  NOT NULL,
			name        TEXT   NOT NULL,
			description TEXT   NOT NULL,
			created_at  BIGINT NOT NULL,
			PRIMARY KEY (instance_id, id)
		)`,
		`CREATE TABLE routing_profiles (
			instance_id {key}  NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
			id          {key}  NOT NULL,
			name        TEXT   NOT NULL,
			description TEXT   NOT NULL,
			created_at  BIGINT NOT NULL,
			PRIMARY KEY (instance_id, id)
		)`,
		// Usernames are unique per instance case-sensitively, as Connect has them, so the
		// username itself is the key; {key} makes it compare bytewise in every flavour. The
		// index of UNIQUE (instance_id, username) serves GetConnectUserByUsername and
		// ListConnectUsers' range and order: an instance may hold a million users, and
		// neither may scan or sort them. details is the connect domain's JSON, kept as bytes.
		`CREATE TABLE connect_users (
			instance_id {key}   NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
			id          {key}   NOT NULL,
			username    {key}   NOT NULL,
			details     {bytes} NOT NULL,
			created_at  BIGINT  NOT NULL,
			updated_at  BIGINT  NOT NULL,
			PRIMARY KEY (instance_id, id),
			UNIQUE (instance_id, username)
		)`,
		// There are a handful of signing keys at any time: ListSigningKeys sorts them
		// without an index.
		`CREATE TABLE signing_keys (
			id         {key}   NOT NULL PRIMARY KEY,
			secret     {bytes} NOT NULL,
			created_at BIGINT  NOT NULL
		)`,
	},
	// 3: the server-side state of federation tokens: used one-time tokens and revoked token
	// families. Nothing is written when a token is minted; each row is kept until its until
	// (the expiry of the last token it concerns) and then purged.
	{
		// The primary key is what makes MarkTokenUsed atomic: of concurrent inserts of one
		// token id, the database lets exactly one commit and fails the rest with a unique
		// violation. There is no used_at: MarkTokenUsed is given no time, and the store
		// takes none from a clock of its own.
		`CREATE TABLE used_tokens (
			token_id  {key}  NOT NULL PRIMARY KEY,
			family_id {key}  NOT NULL,
			until     BIGINT NOT NULL
		)`,
		// Lets DeleteExpiredTokenRecords find expired rows without scanning live ones.
		`CREATE INDEX used_tokens_by_until ON used_tokens (until)`,
		`CREATE TABLE revoked_families (
			family_id  {key}  NOT NULL PRIMARY KEY,
			revoked_at BIGINT NOT NULL,
			until      BIGINT NOT NULL
		)`,
		`CREATE INDEX revoked_families_by_until ON revoked_families (until)`,
		// Serves ListRevokedFamilies, which every replica polls, including its order,
		// without a scan or a sort.
		`CREATE INDEX revoked_families_by_revoked_at ON revoked_families (revoked_at, family_id)`,
	},
	// 4: what CreateInstance and CreateUser were given and dropped: an instance's idempotency
	// token and tags, and a CONNECT_MANAGED user's password, as the connect domain's salted
	// hash. Rows of earlier versions get none of them.
	{
		`ALTER TABLE instances ADD COLUMN client_token {key} NOT NULL DEFAULT ''`,
		// tags is the connect domain's JSON object of the instance's tags, '' for none.
		`ALTER TABLE instances ADD COLUMN tags TEXT NOT NULL DEFAULT ''`,
		// Serves GetInstanceByClientToken: a retried CreateInstance finds its instance.
		`CREATE INDEX instances_by_client_token ON instances (account_id, region, client_token)`,
		`ALTER TABLE connect_users ADD COLUMN password_hash {bytes} NOT NULL DEFAULT ''`,
	},
	// 5: inline policies of IAM users and roles. owner_key and name_key are lower(name), as
	// IAM names ignore case; there is no foreign key to the owner: identity refuses to delete
	// a user or role that still has policies, as IAM does. The key serves every lookup and
	// the name-ordered list.
	{
		`CREATE TABLE inline_policies (
			account_id {key} NOT NULL REFERENCES accounts (id),
			owner_kind {key} NOT NULL,
			owner_key  {key} NOT NULL,
			name_key   {key} NOT NULL,
			name       TEXT  NOT NULL,
			document   TEXT  NOT NULL,
			PRIMARY KEY (account_id, owner_kind, owner_key, name_key)
		)`,
	},
	// 6: managed policies, their attachments and permissions boundaries, and what a session
	// needs to be evaluated: its role's path and its session policies. A managed policy's
	// versions (at most five, a few KB each) are one JSON column: they are read and written
	// with their policy. policy_arn names customer and AWS managed policies alike, so there is
	// no foreign key to managed_policies; identity refuses to delete an attached policy.
	{
		`CREATE TABLE managed_policies (
			account_id      {key}  NOT NULL REFERENCES accounts (id),
			name_key        {key}  NOT NULL,
			name            TEXT   NOT NULL,
			id              TEXT   NOT NULL,
			path            TEXT   NOT NULL,
			description     TEXT   NOT NULL,
			default_version TEXT   NOT NULL,
			next_version    BIGINT NOT NULL,
			versions        TEXT   NOT NULL,
			created_at      BIGINT NOT NULL,
			updated_at      BIGINT NOT NULL,
			PRIMARY KEY (account_id, name_key)
		)`,
		`CREATE TABLE policy_attachments (
			account_id {key} NOT NULL REFERENCES accounts (id),
			owner_kind {key} NOT NULL,
			owner_key  {key} NOT NULL,
			policy_arn {key} NOT NULL,
			PRIMARY KEY (account_id, owner_kind, owner_key, policy_arn)
		)`,
		// Serves ListPolicyAttachments (GetPolicy's AttachmentCount, DeletePolicy's check).
		`CREATE INDEX policy_attachments_by_policy ON policy_attachments (account_id, policy_arn)`,
		`CREATE TABLE permissions_boundaries (
			account_id {key} NOT NULL REFERENCES accounts (id),
			owner_kind {key} NOT NULL,
			owner_key  {key} NOT NULL,
			policy_arn TEXT  NOT NULL,
			PRIMARY KEY (account_id, owner_kind, owner_key)
		)`,
		`ALTER TABLE sessions ADD COLUMN role_path TEXT NOT NULL DEFAULT '/'`,
		`ALTER TABLE sessions ADD COLUMN session_policy TEXT NOT NULL DEFAULT ''`,
		// session_policy_arns: the ARNs separated by newlines, '' for none.
		`ALTER TABLE sessions ADD COLUMN session_policy_arns TEXT NOT NULL DEFAULT ''`,
	},
	// 7: SAML providers, each with its metadata document as given.
	{
		`CREATE TABLE saml_providers (
			account_id  {key}  NOT NULL REFERENCES accounts (id),
			name_key    {key}  NOT NULL,
			name        TEXT   NOT NULL,
			metadata    TEXT   NOT NULL,
			valid_until BIGINT NOT NULL,
			created_at  BIGINT NOT NULL,
			updated_at  BIGINT NOT NULL,
			PRIMARY KEY (account_id, name_key)
		)`,
	},
	// 8: session tags (AssumeRoleWithSAML's PrincipalTag attributes), a JSON object, '' for
	// none; and which of them pass on through role chaining, separated by newlines.
	{
		`ALTER TABLE sessions ADD COLUMN tags TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE sessions ADD COLUMN transitive_tag_keys TEXT NOT NULL DEFAULT ''`,
	},
	// 9: the user hierarchy of an instance: its levels (the structure) and its groups.
	{
		`CREATE TABLE hierarchy_levels (
			instance_id {key}  NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
			level       BIGINT NOT NULL,
			id          TEXT   NOT NULL,
			name        TEXT   NOT NULL,
			updated_at  BIGINT NOT NULL,
			PRIMARY KEY (instance_id, level)
		)`,
		`CREATE TABLE hierarchy_groups (
			instance_id {key}  NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
			id          {key}  NOT NULL,
			name        {key}  NOT NULL,
			level       BIGINT NOT NULL,
			parent_id   TEXT   NOT NULL,
			tags        TEXT   NOT NULL,
			created_at  BIGINT NOT NULL,
			updated_at  BIGINT NOT NULL,
			PRIMARY KEY (instance_id, id),
			UNIQUE (instance_id, name)
		)`,
	},
	// 10: the approved origins of an instance (the sites that may embed its agent pages).
	{
		`CREATE TABLE approved_origins (
			instance_id {key} NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
			origin      {key} NOT NULL,
			PRIMARY KEY (instance_id, origin)
		)`,
	},
	// 11: profiles become documents with a name unique per instance (compared bytewise, so
	// the tables are rebuilt with a key-typed name), queues join them, and instances keep the
	// attributes beyond the calls-enabled flags.
	{
		profileTableDDL("security_profiles_v11"),
		`INSERT INTO security_profiles_v11 (instance_id, id, name, description, details, created_at, updated_at)
			SELECT instance_id, id, name, description, '', created_at, created_at FROM security_profiles`,
		`DROP TABLE security_profiles`,
		`ALTER TABLE security_profiles_v11 RENAME TO security_profiles`,
		profileTableDDL("routing_profiles_v11"),
		`INSERT INTO routing_profiles_v11 (instance_id, id, name, description, details, created_at, updated_at)
			SELECT instance_id, id, name, description, '', created_at, created_at FROM routing_profiles`,
		`DROP TABLE routing_profiles`,
		`ALTER TABLE routing_profiles_v11 RENAME TO routing_profiles`,
		profileTableDDL("queues"),
		`ALTER TABLE instances ADD COLUMN attributes TEXT NOT NULL DEFAULT ''`,
	},
	// 12: the audit trail, in blocks: a row holds a batch of records (see auditblock.go), so
	// that the record written on every GetFederationToken costs no row and no index entry of
	// its own. A lookup reads the blocks whose [first_time, last_time] meets its range,
	// newest last_time first.
	{
		`CREATE TABLE audit_blocks (
			block_id   {key}   NOT NULL PRIMARY KEY,
			first_time BIGINT  NOT NULL,
			last_time  BIGINT  NOT NULL,
			events     BIGINT  NOT NULL,
			body       {bytes} NOT NULL
		)`,
		`CREATE INDEX audit_blocks_by_time ON audit_blocks (last_time)`,
	},
}

// profileTableDDL creates a table of profiles (store.Profile) of one kind, as of migration 11.
func profileTableDDL(name string) string {
	return `CREATE TABLE ` + name + ` (
		instance_id {key}   NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
		id          {key}   NOT NULL,
		name        {key}   NOT NULL,
		description TEXT    NOT NULL,
		details     {bytes} NOT NULL,
		created_at  BIGINT  NOT NULL,
		updated_at  BIGINT  NOT NULL,
		PRIMARY KEY (instance_id, id),
		UNIQUE (instance_id, name)
	)`
}

// SchemaVersion is the number of migrations this binary knows: the schema version it
// migrates a database to, and the newest it accepts.
func SchemaVersion() int { return len(migrations) }

// SchemaTooNewError is returned by New when the database was migrated by a newer connectfed
// than this one. Running on would risk misreading or corrupting data, so New refuses.
type SchemaTooNewError struct {
	Database int // the database's schema version
	Known    int // the newest version this binary knows
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this connectfed knows (%d); upgrade connectfed",
		e.Database, e.Known)
}

// migrate brings the database up to len(steps) applied migrations.
func migrate(ctx context.Context, db *sql.DB, f Flavor, steps []migration) error {
	_, _, err := migrateFrom(ctx, db, f, steps)
	return err
}

// migrateFrom is migrate, also reporting the version the database was at once the lock was
// taken (what a caller that says "migrated from X" must print: another process may have
// migrated between any earlier read and the lock), and the version it is at now, which after
// a failed step is the last one committed.
func migrateFrom(ctx context.Context, db *sql.DB, f Flavor, steps []migration) (from, to int, err error) {
	// The whole migration runs on one connection: the flavour's lock belongs to the
	// connection (a PostgreSQL advisory lock is held by a session), and with SQLite's
	// one-connection pool a second connection could not be had while this one is held.
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("store: migrate: connect: %w", err)
	}
	defer func() {
		// ErrConnDone: the flavour's unlock discarded the connection.
		if cerr := conn.Close(); cerr != nil && !errors.Is(cerr, sql.ErrConnDone) {
			err = errors.Join(err, fmt.Errorf("store: migrate: release connection: %w", cerr))
		}
	}()
	if f.Lock != nil {
		unlock, err := f.Lock(ctx, conn)
		if err != nil {
			return 0, 0, fmt.Errorf("store: migrate: lock: %w", err)
		}
		defer unlock()
	}

	// schema_version has exactly one row: the id column, pinned to 1 by its CHECK, lets the
	// insert below be idempotent when several processes start on a fresh database at once.
	// (Where the flavour has a Lock, they do not even get here at once: PostgreSQL's
	// CREATE TABLE IF NOT EXISTS is not safe against a concurrent creation of the table.)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			id      BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
			version BIGINT NOT NULL
		)`); err != nil {
		return 0, 0, fmt.Errorf("store: create schema_version: %w", err)
	}
	if _, err := conn.ExecContext(ctx,
		`INSERT INTO schema_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`); err != nil {
		return 0, 0, fmt.Errorf("store: initialise schema_version: %w", err)
	}
	for first := true; ; first = false {
		// Each step reports the version it found: after a step that failed (and so rolled
		// back), the version committed before it.
		version, done, err := migrateStep(ctx, conn, f, steps)
		if first {
			from = version
		}
		if err != nil || done {
			return from, version, err
		}
	}
}

// migrateStep applies the next migration, if any, in one transaction, and reports the version
// it found and whether the schema was already current.
func migrateStep(ctx context.Context, conn *sql.Conn, f Flavor, steps []migration) (version int, done bool, err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("store: migrate: begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()

	// Write the row before reading it: that takes the write lock (SQLite) or the row lock
	// (PostgreSQL) first, so two processes migrating at once queue here and the second reads
	// the version the first committed, instead of both applying the same step.
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = version WHERE id = 1`); err != nil {
		return version, false, fmt.Errorf("store: migrate: lock schema_version: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version WHERE id = 1`).Scan(&version); err != nil {
		return version, false, fmt.Errorf("store: migrate: read schema_version: %w", err)
	}
	switch {
	case version > len(steps):
		return version, false, &SchemaTooNewError{Database: version, Known: len(steps)}
	case version < 0:
		return version, false, fmt.Errorf("store: migrate: invalid schema version %d", version)
	case version == len(steps):
		// Nothing written but the no-op lock update; roll back to release the lock.
		if err := tx.Rollback(); err != nil {
			return version, false, fmt.Errorf("store: migrate: rollback: %w", err)
		}
		return version, true, nil
	}

	for i, stmt := range steps[version] {
		if _, err := tx.ExecContext(ctx, f.ddl(stmt)); err != nil {
			return version, false, fmt.Errorf("store: migration %d, statement %d: %w", version+1, i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = $1 WHERE id = 1`, version+1); err != nil {
		return version, false, fmt.Errorf("store: migration %d: update schema_version: %w", version+1, err)
	}
	if err := tx.Commit(); err != nil {
		return version, false, fmt.Errorf("store: migration %d: commit: %w", version+1, err)
	}
	return version, false, nil
}

// rollback aborts tx on an error path. sql.ErrTxDone means the transaction already ended
// (committed, or rolled back by a cancelled context), which is not a failure.
func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("store: rollback: %w", err)
	}
	return nil
}
