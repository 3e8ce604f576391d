package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/connectfed/connectfed/internal/secrets"
	"github.com/connectfed/connectfed/internal/store/postgres"
	"github.com/connectfed/connectfed/internal/store/sqlite"
	"github.com/connectfed/connectfed/internal/store/sqlstore"
)

// newCopyCommand is `connectfed copy`: a whole store moved from one database to another, SQLite
// to PostgreSQL and back. The rows are sqlstore's business (sqlstore.Copy); this file turns
// the command line into two opened stores and reports on the way.
func newCopyCommand() *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "copy --from SRC --to DST",
		Short: "Copy a whole store between databases: SQLite to PostgreSQL, and back",
		Long: `Copy every record of a store (accounts, IAM users and roles, access keys, sessions,
Connect instances and users, token signing keys, used and revoked tokens) into an empty store,
for instance to move from the embedded SQLite database to PostgreSQL. SRC and DST are each:

  postgres://user:pass@host:5432/db   a PostgreSQL database (postgresql:// too; ?search_path=
                                       names a schema, which must exist)
  sqlite:PATH, or PATH                a SQLite database file; a directory (existing, or written
                                       with a trailing /) means PATH/connectfed.db, the file
                                       serve --data-dir PATH uses

Both are first migrated to this connectfed's schema, as serve would. DST must hold no record:
copy refuses a destination with one, naming a table that has rows, and writes nothing. The
source is read in one consistent snapshot and the destination written in one transaction, so a
failed or interrupted copy leaves the destination empty. A server may keep running on the
source, but what it writes after the copy starts is not copied: to move a deployment, stop its
servers first. A missing SQLite source is an error; a missing SQLite destination is created.

Token signing keys are copied sealed under the master key that sealed them, as they are stored:
a server on the copy needs that same master key, CONNECTFED_MASTER_KEY or the master-key file
of the source's data directory (copy it into the destination's --data-dir).`,
		Example: `  # Move the embedded store of a data directory to PostgreSQL
  connectfed copy --from ./connectfed-data --to postgres://connectfed:secret@db.internal:5432/connectfed

  # And back, into a new data directory (then copy the master key along)
  connectfed copy --from postgres://connectfed:secret@db.internal:5432/connectfed --to sqlite:./restored/
  cp ./connectfed-data/master-key ./restored/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCopy(cmd.Context(), from, to, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the store to copy: a postgres:// URL, sqlite:PATH or PATH")
	cmd.Flags().StringVar(&to, "to", "", "the empty store to copy into: a postgres:// URL, sqlite:PATH or PATH")
	return cmd
}

func runCopy(ctx context.Context, from, to string, stdout, stderr io.Writer) error {
	if from == "" || to == "" {
		return errors.New("copy needs --from SRC and --to DST (a postgres:// URL, sqlite:PATH or PATH each)")
	}
	src, err := parseLocation(from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	dst, err := parseLocation(to)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if src == dst {
		return fmt.Errorf("--from and --to both name %s", src)
	}
	// Open would create a missing file and copy an empty store from it: a mistyped path.
	if err := src.mustExist(); err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	srcStore, closeSrc, err := src.open(ctx)
	if err != nil {
		return fmt.Errorf("--from %s: %w", src, err)
	}
	defer closeSrc()
	dstStore, closeDst, err := dst.open(ctx)
	if err != nil {
		return fmt.Errorf("--to %s: %w", dst, err)
	}
	defer closeDst()

	start := time.Now()
	report, finish := copyReporter(stdout, stderr)
	rows, err := sqlstore.Copy(ctx, dstStore, srcStore, report)
	finish()
	var notEmpty *sqlstore.NotEmptyError
	switch {
	case errors.As(err, &notEmpty):
		return fmt.Errorf("--to %s is not empty: its table %s has rows; copy only fills an empty store "+
			"(a new SQLite file, or a new PostgreSQL database or schema), and wrote nothing", dst, notEmpty.Table)
	case err != nil:
		return fmt.Errorf("copy from %s to %s: %w (the destination is left empty)", src, dst, err)
	}
	fmt.Fprintf(stdout, "copied %d rows from %s to %s in %s\n", rows, src, dst, time.Since(start).Round(time.Millisecond))
	if rows == 0 {
		fmt.Fprintf(stdout, "the source is empty: is %s the store you meant?\n", src)
	}
	fmt.Fprintf(stdout, "token signing keys stay sealed under the source's master key: serve the copy with that same key (%s)\n",
		src.masterKeyHint())
	return nil
}

// copyReporter reports a copy's progress: on a terminal a progress bar of rows (on stderr,
// like apply's), elsewhere (a pipe, a CI log) one line per table on stdout. finish ends the
// bar.
func copyReporter(stdout, stderr io.Writer) (report func(sqlstore.CopyProgress), finish func()) {
	if f, ok := stderr.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		return func(p sqlstore.CopyProgress) {
			if p.TableDone {
				fmt.Fprintf(stdout, "copied %d %s\n", p.TableRows, p.Table)
			}
		}, func() {}
	}
	var (
		bar  *progressbar.ProgressBar
		last int64
	)
	return func(p sqlstore.CopyProgress) {
			if bar == nil && p.Total > 0 {
				bar = progressbar.NewOptions64(p.Total, progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription("copy"), progressbar.OptionShowCount(),
					progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionClearOnFinish())
			}
			if bar != nil {
				_ = bar.Add64(p.Rows - last)
				last = p.Rows
			}
		}, func() {
			if bar != nil {
				_ = bar.Finish()
			}
		}
}

// storeLocation is a store named on the command line: a PostgreSQL URL, or a SQLite database
// file. It is comparable: two equal locations are the same database.
type storeLocation struct {
	url  string // a postgres:// or postgresql:// URL; "" for SQLite
	path string // the SQLite database file, absolute
}

// parseLocation reads copy's --from and --to: a postgres:// or postgresql:// URL, sqlite:PATH,
// or PATH. A PATH that is a directory, or ends with a separator, means PATH/connectfed.db.
func parseLocation(s string) (storeLocation, error) {
	switch {
	case s == "":
		return storeLocation{}, errors.New("empty")
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return storeLocation{url: s}, nil
	case strings.Contains(s, "://") && !strings.HasPrefix(s, "sqlite:"):
		// Not echoed: it may hold a password.
		return storeLocation{}, errors.New("want a postgres:// URL, sqlite:PATH or a PATH; connectfed stores in PostgreSQL or SQLite only")
	}
	path := strings.TrimPrefix(s, "sqlite:")
	if path == "" {
		return storeLocation{}, errors.New("sqlite: needs a PATH (sqlite:PATH)")
	}
	dir := strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator))
	abs, err := filepath.Abs(path)
	if err != nil {
		return storeLocation{}, fmt.Errorf("%s: %w", path, err)
	}
	if st, err := os.Stat(abs); dir || (err == nil && st.IsDir()) {
		abs = filepath.Join(abs, sqliteFile)
	}
	return storeLocation{path: abs}, nil
}

// flagsLocation is the store the --database and --data-dir flags name, as openStore reads them.
func flagsLocation(database, dataDir string) (storeLocation, error) {
	switch {
	case database == "":
		abs, err := filepath.Abs(filepath.Join(dataDir, sqliteFile))
		return storeLocation{path: abs}, err
	case strings.HasPrefix(database, "postgres://"), strings.HasPrefix(database, "postgresql://"):
		return storeLocation{url: database}, nil
	}
	return storeLocation{}, errors.New("--database: want a postgres:// URL, or nothing for the embedded store in --data-dir")
}

// sqliteFile is the embedded store's file in a data directory.
const sqliteFile = "connectfed.db"

// String names the location for output and errors: sqlite:PATH, or the URL with any password
// masked.
func (l storeLocation) String() string {
	if l.url == "" {
		return "sqlite:" + l.path
	}
	return redactURL(l.url)
}

// mustExist fails for a SQLite file that does not exist, which opening would create.
func (l storeLocation) mustExist() error {
	if l.url != "" {
		return nil
	}
	if _, err := os.Stat(l.path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no SQLite database at %s", l.path)
	} else if err != nil {
		return err
	}
	return nil
}

// open opens (and migrates) the store with its backend's Open.
func (l storeLocation) open(ctx context.Context) (*sqlstore.Store, func(), error) {
	if l.url == "" {
		s, err := sqlite.Open(l.path)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	}
	s, err := postgres.Open(ctx, l.url, postgres.Options{})
	if err != nil {
		return nil, nil, err
	}
	return s.Store, func() { s.Close() }, nil
}

// masterKeyHint says where the master key that sealed a store's signing keys may be.
func (l storeLocation) masterKeyHint() string {
	if l.url == "" {
		file := filepath.Join(filepath.Dir(l.path), secrets.MasterKeyFile)
		if _, err := os.Stat(file); err == nil {
			return secrets.EnvMasterKey + " or a copy of " + file + " in the destination's --data-dir"
		}
	}
	return secrets.EnvMasterKey + " or the master-key file of the --data-dir the source's servers ran with"
}

// redactURL is a PostgreSQL URL fit to print: its password, in the user part or a parameter
// (password, sslpassword), replaced by xxxxx. A URL that does not parse is masked the same way
// by its text, which is what the user typed and needs to see to find the mistake.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redactURLText(raw)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if q := u.Query(); len(q) > 0 {
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// passwordParam is a password=... (or sslpassword=...) parameter of a URL's query.
var passwordParam = regexp.MustCompile(`(?i)(password=)[^&#]*`)

// redactURLText masks the password of a URL that url.Parse refuses, erring towards masking
// too much: from the first ':' after the scheme to the last '@' (a password may hold an
// unescaped '/' or '@'), and the value of every password parameter.
func redactURLText(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return passwordParam.ReplaceAllString(raw, "${1}xxxxx")
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if colon := strings.Index(rest[:at], ":"); colon >= 0 {
			rest = rest[:colon] + ":xxxxx" + rest[at:]
		}
	}
	return scheme + "://" + passwordParam.ReplaceAllString(rest, "${1}xxxxx")
}
