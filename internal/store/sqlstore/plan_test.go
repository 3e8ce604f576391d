package sqlstore

import (
	"context"
	"database/sql"
	"math"
	"strings"
	"testing"
)

// The connect user lookups are index searches, neither scanning the table nor sorting: an
// instance may hold a million users. The statistics are those of one instance holding every
// user, the case where an index on instance_id alone would be worth nothing to the planner.
func TestConnectUserQueryPlans(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	if err := migrate(ctx, db, testFlavor, migrations); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`INSERT INTO accounts (id, created_at) VALUES ('111111111111', 0)`,
		`INSERT INTO instances (id, account_id, region, alias, alias_key, identity_management_type,
			directory_id, inbound_calls, outbound_calls, created_at)
			VALUES ('i', '111111111111', 'us-east-1', 'a', 'a', 'CONNECT_MANAGED', 'd', 1, 1, 0)`,
		`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
			INSERT INTO connect_users (instance_id, id, username, details, created_at, updated_at)
			SELECT 'i', 'id' || x, 'user' || x, x'7b7d', 0, 0 FROM n`,
		`ANALYZE`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}

	for _, tc := range []struct {
		name  string
		query string
		args  []any
	}{
		{"GetConnectUserByUsername", connectUserByUsernameQuery, []any{"i", "user7"}},
		{"ListConnectUsers", listConnectUsersQuery, []any{"i", "user7", int64(50)}},
		{"ListConnectUsers unlimited", listConnectUsersQuery, []any{"i", "", int64(math.MaxInt64)}},
		{"ListConnectUserSummaries", listConnectUserSummariesQuery, []any{"i", "user7", int64(50)}},
	} {
		plan := explain(t, db, tc.query, tc.args...)
		t.Logf("%s: %s", tc.name, plan)
		if !strings.Contains(plan, "SEARCH connect_users USING ") ||
			strings.Contains(plan, "SCAN ") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s plan: %s\nwant an index search of connect_users, with no scan and no sort", tc.name, plan)
		}
	}
}

// explain returns SQLite's query plan for query, its steps joined by "; ".
func explain(t *testing.T, db *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var (
			id, parent, notUsed int
			detail              string
		)
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			t.Fatalf("explain %s: %v", query, err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	return strings.Join(steps, "; ")
}

// The token state queries are index searches: ListRevokedFamilies, which every replica polls,
// neither scans nor sorts, and the purges find expired records without scanning live ones.
func TestTokenQueryPlans(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	if err := migrate(ctx, db, testFlavor, migrations); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
			INSERT INTO used_tokens (token_id, family_id, until) SELECT 't' || x, 'f' || (x / 4), x FROM n`,
		`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
			INSERT INTO revoked_families (family_id, revoked_at, until) SELECT 'f' || x, x, x + 100 FROM n`,
		`ANALYZE`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}

	for _, tc := range []struct {
		name, table, query string
		args               []any
	}{
		{"ListRevokedFamilies", "revoked_families", listRevokedFamiliesQuery, []any{int64(1990)}},
		{"DeleteExpiredTokenRecords used tokens", "used_tokens", deleteExpiredUsedTokensQuery, []any{int64(10)}},
		{"DeleteExpiredTokenRecords revoked families", "revoked_families", deleteExpiredRevokedFamiliesQuery, []any{int64(10)}},
	} {
		plan := explain(t, db, tc.query, tc.args...)
		t.Logf("%s: %s", tc.name, plan)
		if !strings.Contains(plan, "SEARCH "+tc.table+" USING ") ||
			strings.Contains(plan, "SCAN ") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s plan: %s\nwant an index search of %s, with no scan and no sort", tc.name, plan, tc.table)
		}
	}
}

// RevokeFamily's upsert is one text for every flavour, so it may use neither SQLite's min()
// and max() nor PostgreSQL's LEAST and GREATEST.
func TestRevokeFamilyQueryIsPortable(t *testing.T) {
	q := strings.ToLower(revokeFamilyQuery)
	for _, fn := range []string{"min(", "max(", "least(", "greatest("} {
		if strings.Contains(q, fn) {
			t.Errorf("revokeFamilyQuery uses %s, which not every flavour has:\n%s", fn, revokeFamilyQuery)
		}
	}
}
