package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/connectfed/connectfed/internal/store"
)

// channelExpr names the notification channel of the schema connectfed's tables live in, so
// that deployments in different schemas of one database do not hear each other. It is
// evaluated by the server on both sides, the notifier and the listener, so they agree;
// channel names are identifiers, cut at 63 bytes.
const channelExpr = `left('connectfed:' || current_schema(), 63)`

// notifySQL announces a change: NOTIFY is transactional in PostgreSQL, delivered to every
// listener when the transaction commits and never if it rolls back.
const notifySQL = `SELECT pg_notify(` + channelExpr + `, $1)`

// Watch timing. A listener waits for notifications on a connection that may die silently (a
// partitioned network sends no reset), so every idleCheck without a notification it pings
// the server; a dead connection is replaced, first after retryMin and then backing off to
// retryMax while the server stays away.
const (
	idleCheck   = 10 * time.Second
	pingTimeout = 5 * time.Second
	retryMin    = 100 * time.Millisecond
	retryMax    = 5 * time.Second
)

var _ store.Watcher = (*Store)(nil)

// Watch implements store.Watcher with LISTEN on a connection of its own, outside the pool.
// onErr, when not nil, is told why the watch was interrupted, each time it is, before Watch
// reconnects: while it is interrupted, caches can only rely on their TTL.
func (s *Store) Watch(ctx context.Context, fn func(store.Change), onErr func(error)) error {
	conn, err := s.listen(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	for {
		err := s.receive(ctx, conn, fn)
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pingTimeout)
		_ = conn.Close(closeCtx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if onErr != nil {
			onErr(err)
		}
		if conn = s.relisten(ctx); conn == nil {
			return nil
		}
		// Whatever was announced while no one listened is lost.
		fn(store.Change{Kind: store.ChangesMissed})
	}
}

// listen opens the listening connection.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	cfg := s.cfg.Copy()
	// Lets an operator tell the listener from the pool in pg_stat_activity.
	cfg.RuntimeParams["application_name"] += " watch"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: watch %s: connect: %w", describe(s.cfg), err)
	}
	var channel string
	err = conn.QueryRow(ctx, `SELECT `+channelExpr).Scan(&channel)
	if err == nil {
		_, err = conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize())
	}
	if err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("store: watch %s: listen: %w", describe(s.cfg), err)
	}
	return conn, nil
}

// relisten opens a new listening connection, retrying with backoff until it succeeds or ctx
// is done (then nil).
func (s *Store) relisten(ctx context.Context) *pgx.Conn {
	wait := retryMin
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		if conn, err := s.listen(ctx); err == nil {
			return conn
		}
		wait = min(2*wait, retryMax)
	}
}

// receive passes on notifications until the connection fails or ctx is done.
func (s *Store) receive(ctx context.Context, conn *pgx.Conn, fn func(store.Change)) error {
	for {
		waitCtx, cancel := context.WithTimeout(ctx, idleCheck)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Quiet for a while: make sure the connection is still there. A timed-out wait
			// leaves the connection usable.
			pingCtx, cancel := context.WithTimeout(ctx, pingTimeout)
			err := conn.Ping(pingCtx)
			cancel()
			if err != nil && ctx.Err() == nil {
				return fmt.Errorf("store: watch: connection lost: %w", err)
			}
		case err != nil:
			return fmt.Errorf("store: watch: connection lost: %w", err)
		default:
			c, err := store.DecodeChange(n.Payload)
			if err != nil {
				// Not ours, or from a newer connectfed: whatever it was, assume the worst.
				c = store.Change{Kind: store.ChangesMissed}
			}
			fn(c)
		}
	}
}
