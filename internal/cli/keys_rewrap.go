package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/connectfed/connectfed/internal/app"
	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/store/postgres"
	"github.com/connectfed/connectfed/internal/store/sealed"
)

// envNewMasterKey gives keys rewrap the new master key, as CONNECTFED_MASTER_KEY gives the
// current one.
const envNewMasterKey = "CONNECTFED_NEW_MASTER_KEY"

// pendingMasterKeyFile holds the new master key in the data directory while a rewrap runs, so
// that it is on disk before any secret is sealed under it, and a rerun after a crash finishes
// the work with it.
const pendingMasterKeyFile = secrets.MasterKeyFile + ".new"

// newKeysRewrapCommand is `connectfed keys rewrap`: every secret of the store re-sealed under a
// new master key.
func newKeysRewrapCommand(dataDir, database *string) *cobra.Command {
	var newKeyFile string
	cmd := &cobra.Command{
		Use:   "rewrap",
		Short: "Re-seal every secret in the store under a new master key",
		Long: `Re-seal every secret in the store (token signing keys, access key secrets, session
secrets) under a new master key, and seal those an older connectfed kept in the clear.

The current master key comes from where serve takes it: ` + secrets.EnvMasterKey + ` when set,
else <data-dir>/` + secrets.MasterKeyFile + `. The new one comes from --new-master-key-file (the
base64 of 32 bytes, mode 0600: (umask 077; openssl rand -base64 32 > FILE)), else from
` + envNewMasterKey + `; with neither, and the current key in <data-dir>/` + secrets.MasterKeyFile + `,
rewrap makes a new random one. It writes a new key to <data-dir>/` + pendingMasterKeyFile + ` before
sealing anything under it, and moves it over <data-dir>/` + secrets.MasterKeyFile + ` once every
secret is re-sealed. When the current key is ` + secrets.EnvMasterKey + `, no file is written: set
the variable to the new key on every server yourself.

Stop every server on the store first, and start them with the new key after: a running server
keeps the old key in memory. It goes on answering from what it has cached, answers
InternalFailure for any other credential, and seals the keys and sessions it creates under the
old key, where servers with the new key cannot open them.

Safe to rerun: secrets already under the new key are left as they are. A rewrap that stopped
half-way (a crash, a lost database connection) is finished by running it again with the same new
key; without --new-master-key-file or ` + envNewMasterKey + `, that is the one in
<data-dir>/` + pendingMasterKeyFile + `. Meanwhile servers refuse to start with the old key (the
signing keys are re-sealed first), and those with the new one cannot open what is left.`,
		Example: `  # the master key is <data-dir>/master-key: replace it with a new random one
  connectfed keys rewrap --data-dir ./connectfed-data

  # replicas on PostgreSQL, with CONNECTFED_DATABASE and CONNECTFED_MASTER_KEY set as for
  # serve: stop them, then
  (umask 077; openssl rand -base64 32 > new-master-key)
  connectfed keys rewrap --new-master-key-file new-master-key
  # and start every replica with CONNECTFED_MASTER_KEY="$(cat new-master-key)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return rewrap(cmd.Context(), cmd.OutOrStdout(), *dataDir, *database, newKeyFile)
		},
	}
	cmd.Flags().StringVar(&newKeyFile, "new-master-key-file", "", "file holding the new master key (base64 of 32 bytes, mode 0600); else "+envNewMasterKey+", else a new random key")
	return cmd
}

// rewrapPlan is where the keys of a rewrap come from and go.
type rewrapPlan struct {
	current, next *secrets.Sealer
	nextKey       []byte
	// keyFile is the data directory's master key file, when the current key is read from it
	// (empty when it is the environment's).
	keyFile, pending string
	resumed          bool
}

func planRewrap(dataDir, newKeyFile string) (rewrapPlan, error) {
	var p rewrapPlan
	var curKey []byte
	var err error
	if v := os.Getenv(secrets.EnvMasterKey); v != "" {
		if curKey, err = secrets.ParseKey(v); err != nil {
			return p, fmt.Errorf("%s must be the base64 of 32 bytes", secrets.EnvMasterKey)
		}
	} else {
		p.keyFile = filepath.Join(dataDir, secrets.MasterKeyFile)
		p.pending = filepath.Join(dataDir, pendingMasterKeyFile)
		if curKey, err = secrets.ReadKeyFile(p.keyFile); errors.Is(err, os.ErrNotExist) {
			return p, fmt.Errorf("no master key: %s is not set and %s does not exist (connectfed serve creates it); nothing to rewrap from",
				secrets.EnvMasterKey, p.keyFile)
		} else if err != nil {
			return p, err
		}
	}
	if p.current, err = secrets.New(curKey); err != nil {
		return p, err
	}

	var pendingKey []byte
	if p.pending != "" {
		pendingKey, err = secrets.ReadKeyFile(p.pending)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return p, err
		}
	}
	switch {
	case newKeyFile != "":
		if p.nextKey, err = secrets.ReadKeyFile(newKeyFile); err != nil {
			return p, fmt.Errorf("--new-master-key-file: %w", err)
		}
	case os.Getenv(envNewMasterKey) != "":
		if p.nextKey, err = secrets.ParseKey(os.Getenv(envNewMasterKey)); err != nil {
			return p, fmt.Errorf("%s must be the base64 of 32 bytes", envNewMasterKey)
		}
	case pendingKey != nil:
		p.nextKey, p.resumed = pendingKey, true
	case p.keyFile == "":
		return p, fmt.Errorf("%s is set: give the new master key with --new-master-key-file or %s (rewrap cannot set an environment variable for you)",
			secrets.EnvMasterKey, envNewMasterKey)
	default:
		if p.nextKey, err = secrets.GenerateKey(); err != nil {
			return p, err
		}
	}
	if p.next, err = secrets.New(p.nextKey); err != nil {
		return p, err
	}
	if pendingKey != nil && !p.resumed {
		if pending, _ := secrets.New(pendingKey); !pending.Same(p.next) {
			return p, fmt.Errorf("%s holds the new key of an interrupted rewrap, and it is not the key given: finish that one first (rerun without --new-master-key-file and %s)",
				p.pending, envNewMasterKey)
		}
		p.resumed = true
	}
	return p, nil
}

// rewrapCounts is what a rewrap did to one kind of secret.
type rewrapCounts struct {
	resealed, sealed, already int
	lastID                    string
	last                      *int
}

// note counts id in n; a row rewrite saw twice (it changed meanwhile) counts once, as what it
// was the last time.
func (c *rewrapCounts) note(id string, n *int) {
	if c.last != nil && id == c.lastID {
		*c.last--
	}
	*n++
	c.lastID, c.last = id, n
}

func rewrap(ctx context.Context, out io.Writer, dataDir, database, newKeyFile string) error {
	p, err := planRewrap(dataDir, newKeyFile)
	if err != nil {
		return err
	}
	// The new key goes to disk before the first secret is sealed under it: a crash then never
	// leaves a secret under a key that is nowhere but in the memory of a dead process.
	sameKey := p.current.Same(p.next)
	if p.keyFile != "" && !sameKey && !p.resumed {
		if err := secrets.WriteKeyFile(p.pending, p.nextKey); err != nil {
			return err
		}
	}
	clear(p.nextKey)
	if p.resumed {
		fmt.Fprintf(out, "Finishing an interrupted rewrap to master key %s (kept in %s).\n", p.next.ID(), p.pending)
	}

	st, err := app.OpenStore(ctx, database, dataDir, postgres.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	counts := make(map[store.SecretKind]*rewrapCounts, len(sealed.Kinds))
	for _, k := range sealed.Kinds {
		counts[k.Secrets] = &rewrapCounts{}
	}
	err = sealed.Rewrap(ctx, st, p.current, p.next, func(k sealed.Kind, id string, o sealed.Outcome) {
		c := counts[k.Secrets]
		switch o {
		case sealed.Already:
			c.note(id, &c.already)
		case sealed.SealedLegacy:
			c.note(id, &c.sealed)
		default:
			c.note(id, &c.resealed)
		}
	})
	if err != nil {
		return fmt.Errorf("keys rewrap: %w (what was re-sealed stays so: rerun to finish)", err)
	}

	if sameKey {
		fmt.Fprintf(out, "The new master key is the current one (%s): nothing to re-seal; secrets kept in the clear are now sealed.\n", p.current.ID())
	} else {
		fmt.Fprintf(out, "Re-sealed every secret under master key %s (was %s):\n", p.next.ID(), p.current.ID())
	}
	for _, k := range sealed.Kinds {
		c := counts[k.Secrets]
		fmt.Fprintf(out, "  %-20s %d re-sealed, %d sealed (were in the clear), %d already under the new key\n",
			k.Name, c.resealed, c.sealed, c.already)
	}
	switch {
	case p.keyFile != "" && !sameKey:
		if err := secrets.MoveKeyFile(p.pending, p.keyFile); err != nil {
			return fmt.Errorf("%w (every secret is under the key in %s: rerun to finish)", err, p.pending)
		}
		fmt.Fprintf(out, "Replaced %s with the new key; the old one is gone.\n", p.keyFile)
		if newKeyFile != "" {
			fmt.Fprintf(out, "%s holds the same key: delete it, or keep it as safely as %s.\n", newKeyFile, p.keyFile)
		}
		if database != "" {
			fmt.Fprintf(out, "Servers on other machines need it too: copy it to their data directories (or set %s to its content) before they start.\n",
				secrets.EnvMasterKey)
		}
	case p.resumed && sameKey:
		// A key file already replaced by the key of a leftover pending file: nothing is pending.
		if err := os.Remove(p.pending); err != nil {
			return fmt.Errorf("remove %s: %w", p.pending, err)
		}
	case p.keyFile == "" && !sameKey:
		fmt.Fprintf(out, "Now set %s to the new key on every server of this store (the value of %s); the old key opens nothing any more.\n",
			secrets.EnvMasterKey, newKeySource(newKeyFile))
	}
	if !sameKey {
		fmt.Fprintln(out, "Restart every server of this store with the new key: a running server keeps the old key in memory, "+
			"cannot open secrets it has not cached, and would seal new keys and sessions under the old key. "+
			"Backups taken before now need the old key.")
	}
	return nil
}

func newKeySource(newKeyFile string) string {
	if newKeyFile != "" {
		return newKeyFile
	}
	return envNewMasterKey
}
