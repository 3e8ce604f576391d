package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/connectfed/connectfed/internal/audit"
	"github.com/connectfed/connectfed/internal/awsini"
	"github.com/connectfed/connectfed/internal/connect"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/metrics"
	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/token"
)

// watchChanges applies the changes other replicas announce to this one's caches and keys, for
// as long as ctx lasts. Where announcements cannot be had, the caches' TTL bounds how stale
// they get.
func watchChanges(ctx context.Context, w store.Watcher, ids *identity.Service, conn *connect.Service,
	tokens *token.Issuer, cacheTTL time.Duration, rec *metrics.Recorder, log *slog.Logger) {
	apply := func(c store.Change) {
		rec.Invalidation(string(c.Kind))
		ids.Forget(c)
		conn.Forget(c)
		if c.Kind == store.ChangedSigningKeys || c.Kind == store.ChangesMissed {
			if err := tokens.Reload(ctx); err != nil && ctx.Err() == nil {
				log.Warn("reload token signing keys", "err", err)
			}
		}
	}
	interrupted := func(err error) {
		log.Warn("lost the database's change announcements; reconnecting, caches fall back to their TTL meanwhile",
			"cache_ttl", cacheTTL, "err", err)
	}
	if err := w.Watch(ctx, apply, interrupted); err != nil {
		log.Warn("cannot hear other replicas' changes; caches rely on their TTL alone", "cache_ttl", cacheTTL, "err", err)
	}
}

// keyReload is how often signing keys are re-read as a safety net for a missed announcement:
// as often as caches expire, at least once a minute.
func keyReload(cacheTTL time.Duration) time.Duration {
	if cacheTTL <= 0 {
		return time.Second
	}
	return min(cacheTTL, time.Minute)
}

// rotateKeys checks every interval whether the signing key is due for rotation and whether a
// superseded key has outlived every token it signed (lifetime, the longest a token lives), and
// reloads the keys so that a rotation made elsewhere (connectfed keys rotate, another replica)
// is picked up within the interval even if its announcement was missed.
func rotateKeys(ctx context.Context, tokens *token.Issuer, every, lifetime, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := tokens.Reload(ctx); err != nil && ctx.Err() == nil {
			log.Warn("reload token signing keys", "err", err)
		}
		if every > 0 {
			if rotated, err := tokens.RotateIfOlder(ctx, every); err != nil && ctx.Err() == nil {
				log.Warn("rotate the token signing key", "err", err)
			} else if rotated {
				log.Info("rotated the token signing key", "key_id", tokens.SigningKeyID())
			}
		}
		if retired, err := tokens.Retire(ctx, lifetime); err != nil && ctx.Err() == nil {
			log.Warn("retire token signing keys", "err", err)
		} else if len(retired) > 0 {
			log.Info("retired token signing keys", "key_ids", retired)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// housekeeping runs hourly: it removes STS sessions a day after they expired, the records of
// used and revoked tokens once those tokens expired and audit records past their retention, so
// the store does not grow without bound, and drops cache entries past their TTL, so keys nobody
// asks for again do not pile up in memory.
func housekeeping(ctx context.Context, ids *identity.Service, conn *connect.Service, trail *audit.Trail, retention time.Duration,
	now func() time.Time, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		ids.Prune()
		conn.Prune()
		if n, err := conn.PurgeTokenRecords(ctx); err != nil && ctx.Err() == nil {
			log.Warn("purge expired token records", "err", err)
		} else if n > 0 {
			log.Info("purged expired token records", "count", n)
		}
		if n, err := ids.PurgeExpiredSessions(ctx, 24*time.Hour); err != nil && ctx.Err() == nil {
			log.Warn("purge expired sessions", "err", err)
		} else if n > 0 {
			log.Info("purged expired sessions", "count", n)
		}
		if retention > 0 {
			if n, err := trail.Purge(ctx, now(), retention); err != nil && ctx.Err() == nil {
				log.Warn("purge old audit records", "err", err)
			} else if n > 0 {
				log.Info("purged old audit records", "count", n, "retention", retention)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// rootCredentials makes the account's root key exist: o.RootKey when given, from
// <data-dir>/root-credentials when an earlier start wrote it, else freshly generated and written
// there. generated says whether they are new (and so must be shown).
func rootCredentials(ctx context.Context, ids *identity.Service, o Options) (identity.RootKey, bool, error) {
	if o.RootKey != nil {
		if err := ids.EnsureRootKey(ctx, o.AccountID, *o.RootKey); err != nil {
			return *o.RootKey, false, fmt.Errorf("the root key given: %w", err)
		}
		return *o.RootKey, false, nil
	}
	path := filepath.Join(o.DataDir, RootCredentialsFile)
	creds, err := awsini.ReadCredentials(path)
	if err == nil {
		k, ok := creds["default"]
		if !ok {
			return identity.RootKey{}, false, fmt.Errorf("%s: no [default] profile", path)
		}
		if err := ids.EnsureRootKey(ctx, o.AccountID, identity.RootKey{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}); err != nil {
			return identity.RootKey{}, false, fmt.Errorf("%s: %w", path, err)
		}
		return identity.RootKey{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return identity.RootKey{}, false, err
	}
	k, err := ids.NewRootKey(ctx, o.AccountID)
	if err != nil {
		return k, false, err
	}
	if err := awsini.WriteCredentials(path, map[string]awsini.Credential{"default": {AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}}); err != nil {
		return k, false, err
	}
	return k, true, nil
}
