package sqlstore

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/store"
)

// AppendAuditEvents implements store.Store: the batch in one transaction, in multi-row
// INSERTs (a record is written on every GetFederationToken). Event ids are not checked for
// uniqueness here: an index would cost every write; ids are random UUIDs.
func (s *Store) AppendAuditEvents(ctx context.Context, events []store.AuditEvent) error {
	return bulkInsert(ctx, s, "append audit events", "audit_events",
		"event_id, account_id, event_time, event_name, event_source, username, access_key_id, read_only, resources, body", 10, events,
		func(v []any, e store.AuditEvent) []any {
			return append(v, e.ID, e.AccountID, timeToDB(e.Time), e.Name, e.Source, e.Username, e.AccessKeyID, boolToDB(e.ReadOnly),
				resourcesToDB(e.Resources), bytesToDB(e.Body))
		})
}

// resourcesToDB is the resources column: each name between line feeds, so that a LIKE finds
// a whole name ("" for none).
func resourcesToDB(names []string) string {
	names = dedupeStrings(names)
	if len(names) == 0 {
		return ""
	}
	return "\n" + strings.Join(names, "\n") + "\n"
}

// likeEscaper escapes LIKE's wildcards and its escape character, so a pattern matches a name
// as written.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func dedupeStrings(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range list {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// auditColumns are the columns an attribute looks up, by the attribute's name.
var auditColumns = map[string]string{
	"EventId":     "event_id",
	"EventName":   "event_name",
	"EventSource": "event_source",
	"Username":    "username",
	"AccessKeyId": "access_key_id",
	"ReadOnly":    "read_only",
}

// LookupAuditEvents implements store.Store.
func (s *Store) LookupAuditEvents(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	start, end := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.Start.IsZero() {
		start = timeToDB(q.Start)
	}
	if !q.End.IsZero() {
		end = timeToDB(q.End)
	}
	args := []any{q.AccountID, start, end}
	where := `account_id = $1 AND event_time >= $2 AND event_time < $3`
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	switch col, ok := auditColumns[q.Attribute]; {
	case q.Attribute == "":
	case q.Attribute == "ResourceName":
		where += ` AND resources LIKE ` + arg("%\n"+likeEscaper.Replace(q.Value)+"\n%") + ` ESCAPE '\'`
	case q.Attribute == "ReadOnly":
		where += ` AND read_only = ` + arg(boolToDB(q.Value == "true"))
	case ok:
		where += ` AND ` + col + ` = ` + arg(q.Value)
	default:
		return nil, fmt.Errorf("store: lookup audit events: unknown attribute %q", q.Attribute)
	}
	if !q.BeforeTime.IsZero() {
		t := arg(timeToDB(q.BeforeTime))
		where += ` AND (event_time < ` + t + ` OR (event_time = ` + t + ` AND event_id < ` + arg(q.BeforeID) + `))`
	}
	limit := int64(q.Limit)
	if limit <= 0 {
		limit = math.MaxInt64
	}
	rows, err := s.query(ctx, s.db, `SELECT event_id, account_id, event_time, event_name, event_source, username, access_key_id,
		read_only, resources, body FROM audit_events WHERE `+where+` ORDER BY event_time DESC, event_id DESC LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("store: lookup audit events: %w", err)
	}
	return collect(rows, "lookup audit events", func(sc interface{ Scan(...any) error }) (store.AuditEvent, error) {
		var (
			e         store.AuditEvent
			t, ro     int64
			resources string
		)
		if err := sc.Scan(&e.ID, &e.AccountID, &t, &e.Name, &e.Source, &e.Username, &e.AccessKeyID, &ro, &resources, &e.Body); err != nil {
			return store.AuditEvent{}, err
		}
		e.Time, e.ReadOnly, e.Body = timeFromDB(t), ro != 0, bytesFromDB(e.Body)
		if r := strings.Trim(resources, "\n"); r != "" {
			e.Resources = strings.Split(r, "\n")
		}
		return e, nil
	})
}

// DeleteAuditEventsBefore implements store.Store.
func (s *Store) DeleteAuditEventsBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.exec(ctx, s.db, `DELETE FROM audit_events WHERE event_time < $1`, timeToDB(t))
	if err != nil {
		return 0, fmt.Errorf("store: delete audit events: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
