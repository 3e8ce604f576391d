// Package cli owns connectfed's command line: one file per command, cobra for flags, and the
// rule that every flag can also come from CONNECTFED_<FLAG> in the environment. It turns
// commands' errors into exit codes and never holds domain logic.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Version is set at build time with -ldflags "-X github.com/connectfed/connectfed/internal/cli.Version=...".
var Version = "dev"

// exitError carries an exit code chosen by a command.
type exitError struct {
	code int
	err  error
	// reported says the command has already written the error to stderr in its own form
	// (the AWS CLI commands print exactly what the AWS CLI prints), so Main adds nothing.
	reported bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Main runs the command line and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if !ee.reported {
			fmt.Fprintln(stderr, "connectfed:", err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "connectfed:", err)
	return 1
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "connectfed",
		Short: "Amazon Connect's GetFederationToken, self-hosted",
		Long: `connectfed serves Amazon Connect's GetFederationToken and the IAM and STS operations
behind it, speaking the AWS wire protocols so the AWS CLI and SDKs work against it unchanged.

Every flag can also be set in the environment as CONNECTFED_<FLAG>, for example
--data-dir as CONNECTFED_DATA_DIR. A flag on the command line wins.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return flagsFromEnv(cmd.Flags())
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newServeCommand(), newVersionCommand(), newApplyCommand(), newKeysCommand())
	root.AddCommand(newMigrateCommand(), newCopyCommand(), newExplainCommand(), newAuditCommand())
	addGetFederationTokenCommands(root)
	return root
}

// EnvName is the environment variable that sets a flag: CONNECTFED_ and the flag's name in
// upper case with dashes as underscores.
func EnvName(flag string) string {
	return "CONNECTFED_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// flagsFromEnv sets every flag not given on the command line from its environment variable.
func flagsFromEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		// An empty variable counts as unset, as it does for the AWS tools.
		v := os.Getenv(EnvName(f.Name))
		if v == "" {
			return
		}
		if serr := fs.Set(f.Name, v); serr != nil {
			err = fmt.Errorf("%s=%q: %w", EnvName(f.Name), v, serr)
		}
	})
	return err
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print connectfed's version",
		Example: `  connectfed version`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "connectfed", Version)
			return err
		},
	}
}
