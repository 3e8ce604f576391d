package sealed

import (
	"context"
	"errors"
	"fmt"

	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/store"
)

// Kind is one kind of secret the store keeps, in the order Rewrap re-seals them.
type Kind struct {
	Secrets store.SecretKind
	// Name says what they are, for a report: "token signing keys".
	Name   string
	reseal func(next, current *secrets.Sealer, id string, v []byte) ([]byte, bool, error)
}

// Kinds are every secret the store keeps. Signing keys come first: a server started with the
// old master key while a rewrap is half done then refuses to start (it cannot open them)
// rather than serving some credentials and not others.
var Kinds = []Kind{
	{store.SigningKeySecrets, "token signing keys", func(next, cur *secrets.Sealer, id string, v []byte) ([]byte, bool, error) {
		return next.Reseal(v, signingKeyContext(id), cur)
	}},
	{store.AccessKeySecrets, "access key secrets", resealText(accessKeyContext)},
	{store.SessionSecrets, "session secrets", resealText(sessionContext)},
}

func resealText(context func(string) string) func(next, cur *secrets.Sealer, id string, v []byte) ([]byte, bool, error) {
	return func(next, cur *secrets.Sealer, id string, v []byte) ([]byte, bool, error) {
		out, changed, err := next.ResealText(string(v), context(id), cur)
		return []byte(out), changed, err
	}
}

// Outcome is what Rewrap did to one secret.
type Outcome int

const (
	// Resealed: it was under the current key and is now under the new one.
	Resealed Outcome = iota
	// SealedLegacy: it was in the clear (an older connectfed's) and is now sealed.
	SealedLegacy
	// Already: it was under the new key; nothing was written.
	Already
)

// Rewrap re-seals every secret of raw (the store beneath a Wrap, which must be able to rewrite
// its secrets in place) from current's master key to next's, and seals the legacy plaintext
// ones. note, when not nil, hears of every secret; a secret changed under the rewrap is heard
// of again, with what was done the second time. Safe to rerun: secrets already under next are
// left as they are, so a rerun finishes an interrupted rewrap.
func Rewrap(ctx context.Context, raw store.Store, current, next *secrets.Sealer, note func(k Kind, id string, o Outcome)) error {
	rw, ok := raw.(store.SecretRewriter)
	if !ok {
		return errors.New("this store cannot rewrite its secrets")
	}
	for _, k := range Kinds {
		_, err := rw.RewriteSecrets(ctx, k.Secrets, func(id string, v []byte) ([]byte, bool, error) {
			legacy := !secrets.IsSealed(v) && !secrets.IsSealedText(string(v))
			out, changed, err := k.reseal(next, current, id, v)
			if err != nil {
				return nil, false, fmt.Errorf("%s %s: %w", k.Name, id, err)
			}
			if note != nil {
				switch {
				case !changed:
					note(k, id, Already)
				case legacy:
					note(k, id, SealedLegacy)
				default:
					note(k, id, Resealed)
				}
			}
			return out, changed, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
