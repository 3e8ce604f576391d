package cli

import "github.com/spf13/cobra"

// addGetFederationTokenCommands adds `get-federation-token` and `connect get-federation-token`.
// (Placeholder: being written.)
func addGetFederationTokenCommands(root *cobra.Command) {}
