// Command connectfed is Amazon Connect's GetFederationToken, self-hosted. All of its work is in
// internal/cli; main only turns the outcome into an exit code.
package main

import (
	"os"

	"github.com/connectfed/connectfed/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
