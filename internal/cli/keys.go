package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/connectfed/connectfed/internal/app"
	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/store/postgres"
	"github.com/connectfed/connectfed/internal/store/sealed"
	"github.com/connectfed/connectfed/internal/token"
)

// newKeysCommand is `connectfed keys`: the token signing keys, worked on in the store directly,
// so it runs beside a live server (which picks a rotation up within a minute) or with none.
func newKeysCommand() *cobra.Command {
	var dataDir, database string
	keys := &cobra.Command{
		Use:   "keys",
		Short: "List or rotate the keys that sign federation tokens; change the master key",
		Example: `  connectfed keys list --data-dir ./connectfed-data
  connectfed keys rotate --data-dir ./connectfed-data
  connectfed keys rewrap --data-dir ./connectfed-data`,
	}
	keys.PersistentFlags().StringVar(&dataDir, "data-dir", "./connectfed-data", "directory of the embedded database and the master key")
	keys.PersistentFlags().StringVar(&database, "database", "", databaseFlagHelp)

	open := func(cmd *cobra.Command) (*token.Issuer, func(), error) {
		st, err := app.OpenStore(cmd.Context(), database, dataDir, postgres.Options{})
		if err != nil {
			return nil, nil, err
		}
		sealer, err := secrets.LoadOrCreate(dataDir)
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		iss, err := token.NewIssuer(cmd.Context(), sealed.Wrap(st, sealer), nil)
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		return iss, func() { st.Close() }, nil
	}
	// withIssuer runs do with the store's issuer, closing the store after.
	withIssuer := func(do func(*cobra.Command, *token.Issuer) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			iss, done, err := open(cmd)
			if err != nil {
				return err
			}
			defer done()
			return do(cmd, iss)
		}
	}
	keys.AddCommand(&cobra.Command{
		Use:     "rotate",
		Short:   "Make a new signing key take over; the previous ones verify until their tokens expire",
		Example: `  connectfed keys rotate --data-dir ./connectfed-data`,
		Args:    cobra.NoArgs,
		RunE: withIssuer(func(cmd *cobra.Command, iss *token.Issuer) error {
			id, err := iss.Rotate(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "signing key %s now signs new tokens; running servers pick it up at once on PostgreSQL, within their --cache-ttl otherwise\n", id)
			return err
		}),
	})
	keys.AddCommand(&cobra.Command{
		Use:     "list",
		Short:   "List the signing keys, oldest first (never their secrets)",
		Example: `  connectfed keys list --data-dir ./connectfed-data`,
		Args:    cobra.NoArgs,
		RunE: withIssuer(func(cmd *cobra.Command, iss *token.Issuer) error {
			list, err := iss.Keys(cmd.Context())
			if err != nil {
				return err
			}
			for _, k := range list {
				mark := ""
				if k.ID == iss.SigningKeyID() {
					mark = "  (signs new tokens)"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s  created %s%s\n", k.ID, k.CreatedAt.UTC().Format(time.RFC3339), mark)
			}
			return nil
		}),
	})
	keys.AddCommand(newKeysRewrapCommand(&dataDir, &database))
	return keys
}
