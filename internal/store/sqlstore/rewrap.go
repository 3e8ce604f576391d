package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/connectfed/connectfed/internal/store"
)

// secretTables says, of each kind of secret, its table, the table's id column and whether the
// secret is a byte string (else text).
var secretTables = map[store.SecretKind]struct {
	table, id string
	bytes     bool
}{
	store.SigningKeySecrets: {"signing_keys", "id", true},
	store.AccessKeySecrets:  {"access_keys", "id", false},
	store.SessionSecrets:    {"sessions", "access_key_id", false},
}

// rewriteBatch is how many rows RewriteSecrets reads and writes in one transaction: enough to
// make a million keys quick, few enough that no transaction holds the database for long.
const rewriteBatch = 500

// RewriteSecrets implements store.SecretRewriter. It calls rewrite with the id and the secret of
// every row of the kind's table, in id order, and writes back the secret
// it returns when it says changed. It is for tools that change how secrets are kept (a new
// master key), not for serving: rows go in batches, each read and written in a transaction of
// its own, so an interruption leaves some rows rewritten and the rest as they were, and rewrite
// must recognise a row it has already rewritten (and return changed false) for a rerun to
// finish the work. A row written meanwhile by someone else is not overwritten: it is read
// again and given to rewrite again. Nothing is announced: a secret rewritten means what it
// meant. It returns how many rows it rewrote (and committed); rewrite's error comes back
// unchanged, with the rows of earlier batches rewritten and those of its own as they were.
func (s *Store) RewriteSecrets(ctx context.Context, kind store.SecretKind,
	rewrite func(id string, secret []byte) (out []byte, changed bool, err error)) (rewritten int, err error) {
	t, ok := secretTables[kind]
	if !ok {
		return 0, fmt.Errorf("store: rewrite secrets: no secrets of kind %q", kind)
	}
	after := ""
	for {
		n, last, done, err := s.rewriteBatch(ctx, t.table, t.id, t.bytes, after, rewrite)
		rewritten += n
		if err != nil || done {
			return rewritten, err
		}
		after = last
	}
}

// secretRow is a row's id and secret as RewriteSecrets reads them.
type secretRow struct {
	id     string
	secret []byte
}

func (s *Store) rewriteBatch(ctx context.Context, table, idCol string, isBytes bool, after string,
	rewrite func(string, []byte) ([]byte, bool, error)) (n int, last string, done bool, err error) {
	op := "rewrite " + table + " secrets"
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, "", false, fmt.Errorf("store: %s: begin: %w", op, err)
	}
	rewriteFailed := false
	defer func() {
		if rbErr := rollback(tx); rbErr != nil && !rewriteFailed {
			err = errors.Join(err, rbErr)
		}
	}()
	rows, err := s.query(ctx, tx, `SELECT `+idCol+`, secret FROM `+table+` WHERE `+idCol+` > $1 ORDER BY `+idCol+` LIMIT $2`,
		after, rewriteBatch)
	if err != nil {
		return 0, "", false, fmt.Errorf("store: %s: %w", op, err)
	}
	batch, err := collect(rows, op, func(sc interface{ Scan(...any) error }) (secretRow, error) {
		var r secretRow
		err := sc.Scan(&r.id, &r.secret)
		return r, err
	})
	if err != nil {
		return 0, "", false, err
	}
	if len(batch) == 0 {
		return 0, "", true, nil
	}
	for _, r := range batch {
		// A row changed between the read and the write is read again: bounded, since only a
		// writer as busy as this loop could keep changing one row.
		for attempt := 0; ; attempt++ {
			out, changed, err := rewrite(r.id, r.secret)
			if err != nil {
				rewriteFailed = true
				return 0, "", false, err
			}
			if !changed {
				break
			}
			wrote, err := s.swapSecret(ctx, tx, table, idCol, isBytes, r.id, r.secret, out)
			if err != nil {
				return 0, "", false, fmt.Errorf("store: %s: %w", op, err)
			}
			if wrote {
				n++
				break
			}
			if attempt == 3 {
				return 0, "", false, fmt.Errorf("store: %s: %s keeps changing", op, r.id)
			}
			err = s.queryRow(ctx, tx, `SELECT secret FROM `+table+` WHERE `+idCol+` = $1`, r.id).Scan(&r.secret)
			if errors.Is(err, sql.ErrNoRows) {
				break // deleted meanwhile: nothing to rewrite
			}
			if err != nil {
				return 0, "", false, fmt.Errorf("store: %s: %w", op, err)
			}
		}
	}
	if err := s.commit(tx); err != nil {
		return 0, "", false, fmt.Errorf("store: %s: commit: %w", op, err)
	}
	return n, batch[len(batch)-1].id, len(batch) < rewriteBatch, nil
}

// swapSecret writes the row's secret if it is still old, and says whether it did.
func (s *Store) swapSecret(ctx context.Context, q querier, table, idCol string, isBytes bool, id string, old, secret []byte) (bool, error) {
	var oldArg, newArg any = string(old), string(secret)
	if isBytes {
		oldArg, newArg = bytesToDB(old), bytesToDB(secret)
	}
	res, err := s.exec(ctx, q, `UPDATE `+table+` SET secret = $2 WHERE `+idCol+` = $1 AND secret = $3`, id, newArg, oldArg)
	if err != nil {
		return false, s.writeErr(err)
	}
	affected, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return affected == 1, nil
}
