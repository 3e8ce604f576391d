package cli

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/connectfed/connectfed/internal/store/postgres"
	"github.com/connectfed/connectfed/internal/store/sqlite"
	"github.com/connectfed/connectfed/internal/store/sqlstore"
)

// newMigrateCommand is `connectfed migrate`: the store's schema version, shown and brought up
// to date on request. serve migrates on start too; these let an operator see what an upgrade
// will do, and run it as a step of its own (once, before replicas of a new version start). The
// machinery is sqlstore's.
func newMigrateCommand() *cobra.Command {
	var dataDir, database string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Show or apply the store's schema migrations",
		Long: `The store's schema has a version: the number of migrations applied to it. A connectfed
knows the migrations up to its own version, and serve applies the missing ones when it starts.
migrate status shows where a store is, changing nothing; migrate apply brings it up to date
without starting a server. Neither touches a store migrated by a newer connectfed: upgrade
connectfed instead.`,
		Example: `  connectfed migrate status --data-dir ./connectfed-data
  connectfed migrate apply --database postgres://connectfed:secret@db.internal:5432/connectfed`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&dataDir, "data-dir", "./connectfed-data", "directory of the embedded database")
	pf.StringVar(&database, "database", "", databaseFlagHelp)

	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "Print the store's schema version and how many migrations are pending; change nothing",
		Long: `Print the store's schema version, the newest this connectfed knows, and how many
migrations are pending. It creates and changes nothing: a missing SQLite database is reported,
not created. A store migrated by a newer connectfed is an error.`,
		Example: `  connectfed migrate status --data-dir ./connectfed-data
  # schema version 2; this connectfed knows 3; 1 migration pending (run: connectfed migrate apply)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMigrateStatus(cmd.Context(), database, dataDir, cmd.OutOrStdout())
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "apply",
		Short: "Apply the pending migrations",
		Long: `Apply the migrations the store lacks, each in a transaction of its own, as serve does when
it starts: on PostgreSQL under the lock that lets replicas starting together migrate once. A
missing SQLite database is created.`,
		Example: `  connectfed migrate apply --data-dir ./connectfed-data
  # migrated from version 2 to 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMigrateApply(cmd.Context(), database, dataDir, cmd.OutOrStdout())
		},
	})
	return cmd
}

func runMigrateStatus(ctx context.Context, database, dataDir string, stdout io.Writer) error {
	loc, err := flagsLocation(database, dataDir)
	if err != nil {
		return err
	}
	// Opening a SQLite file that does not exist would create it.
	if err := loc.mustExist(); err != nil {
		return fmt.Errorf("%w (connectfed migrate apply, or serve, creates it)", err)
	}
	db, f, err := loc.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := sqlstore.Version(ctx, db, f)
	if err != nil {
		return fmt.Errorf("%s: %w", loc, err)
	}
	known := sqlstore.SchemaVersion()
	if v > known {
		return fmt.Errorf("%s: %w", loc, &sqlstore.SchemaTooNewError{Database: v, Known: known})
	}
	state := "up to date"
	switch n := known - v; n {
	case 0:
	case 1:
		state = "1 migration pending (run: connectfed migrate apply)"
	default:
		state = fmt.Sprintf("%d migrations pending (run: connectfed migrate apply)", n)
	}
	_, err = fmt.Fprintf(stdout, "schema version %d; this connectfed knows %d; %s\n", v, known, state)
	return err
}

func runMigrateApply(ctx context.Context, database, dataDir string, stdout io.Writer) error {
	loc, err := flagsLocation(database, dataDir)
	if err != nil {
		return err
	}
	db, f, err := loc.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	from, to, err := sqlstore.Migrate(ctx, db, f)
	switch {
	case err != nil && to > from:
		return fmt.Errorf("%s: migrated from version %d to %d, then: %w", loc, from, to, err)
	case err != nil:
		return fmt.Errorf("%s: %w", loc, err)
	case from == to:
		_, err = fmt.Fprintf(stdout, "already at version %d\n", to)
	default:
		_, err = fmt.Fprintf(stdout, "migrated from version %d to %d\n", from, to)
	}
	return err
}

// openDB opens the location's database without migrating it, with its backend's flavour. A
// missing SQLite file is created: callers that must not create one check first.
func (l storeLocation) openDB(ctx context.Context) (*sql.DB, sqlstore.Flavor, error) {
	if l.url == "" {
		db, err := sqlite.OpenDB(l.path)
		if err != nil {
			return nil, sqlstore.Flavor{}, err
		}
		return db, sqlite.Flavor(), nil
	}
	db, err := postgres.OpenDB(ctx, l.url, postgres.Options{})
	if err != nil {
		return nil, sqlstore.Flavor{}, err
	}
	return db, postgres.Flavor(), nil
}
