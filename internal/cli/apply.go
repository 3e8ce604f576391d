package cli

import "github.com/spf13/cobra"

// newApplyCommand is `connectfed apply`. (Placeholder: being written.)
func newApplyCommand() *cobra.Command {
	return &cobra.Command{Use: "apply", Hidden: true}
}
