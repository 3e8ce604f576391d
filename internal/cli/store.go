package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/connectfed/connectfed/internal/store"
	"github.com/connectfed/connectfed/internal/store/postgres"
	"github.com/connectfed/connectfed/internal/store/sqlite"
)

// databaseFlagHelp is the --database flag's help, shared by the commands that open the store.
const databaseFlagHelp = "PostgreSQL URL (postgres://user:pass@host:5432/db) for a store several replicas share; empty: the embedded SQLite store in --data-dir"

// openStore opens the store the flags name: PostgreSQL when database is a postgres URL (with
// the pool options pg), else the embedded SQLite database in dataDir.
func openStore(ctx context.Context, database, dataDir string, pg postgres.Options) (store.Store, error) {
	switch {
	case database == "":
		st, err := sqlite.Open(filepath.Join(dataDir, "connectfed.db"))
		if err != nil {
			return nil, fmt.Errorf("open the store in %s: %w", dataDir, err)
		}
		return st, nil
	case strings.HasPrefix(database, "postgres://"), strings.HasPrefix(database, "postgresql://"):
		return postgres.Open(ctx, database, pg)
	}
	return nil, fmt.Errorf("--database: want a postgres:// URL, or nothing for the embedded store in --data-dir")
}
