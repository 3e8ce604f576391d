package cli

// databaseFlagHelp is the --database flag's help, shared by the commands that open the store.
const databaseFlagHelp = "PostgreSQL URL (postgres://user:pass@host:5432/db) for a store several replicas share; empty: the embedded SQLite store in --data-dir"
