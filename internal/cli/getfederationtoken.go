package cli

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/spf13/cobra"

	"github.com/connectfed/connectfed/internal/awscli"
)

// addGetFederationTokenCommands adds `get-federation-token` and `connect get-federation-token`,
// a drop-in for `aws connect get-federation-token` (AWS CLI v2): same options, same output in
// every format, same errors and exit codes.
func addGetFederationTokenCommands(root *cobra.Command) {
	root.AddCommand(newGetFederationTokenCommand())
	connectCmd := &cobra.Command{
		Use:     "connect",
		Short:   "Amazon Connect operations, as `aws connect`",
		Example: `  connectfed connect get-federation-token --instance-id 784bf7c1-68e9-4c84-830e-ac4213ea9745`,
		// The AWS CLI's commands take their settings from AWS_* variables and the shared
		// files, not from CONNECTFED_*: a CONNECTFED_OUTPUT meant for another command must not
		// change this one. Defining the hook here keeps the root's flagsFromEnv from running.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		// An operation it does not have is refused as `aws connect <typo>` refuses it.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || args[0] == "help" {
				return cmd.Help()
			}
			e := awscli.InvalidOperation("connectfed", awsUsage, args[0], []string{"get-federation-token", "help"})
			e.Write(cmd.ErrOrStderr())
			return &exitError{code: e.Code, err: e, reported: true}
		},
	}
	connectCmd.AddCommand(newGetFederationTokenCommand())
	root.AddCommand(connectCmd)
}

func newGetFederationTokenCommand() *cobra.Command {
	c := awscli.NewCommand(awscli.GetFederationToken, "connectfed", awsUsage)
	cmd := &cobra.Command{
		Use:   "get-federation-token --instance-id <value>",
		Short: "Get an Amazon Connect federation token, as `aws connect get-federation-token`",
		Long: `Retrieves a token for federation: the access and refresh tokens of the Connect user who
corresponds to the caller's credentials, and a sign-in URL.

A drop-in for AWS CLI v2's "aws connect get-federation-token": the same options, output in every
format, error messages and exit codes (252 bad parameters, 253 no region or credentials, 254 the
service refused, 255 anything else). Credentials, region, profiles, SSO and endpoints are
resolved as the AWS CLI resolves them: the environment (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_CONNECT, ...), ~/.aws/config and ~/.aws/credentials.`,
		Example: `  # Against a local connectfed, with role-session credentials in the environment
  connectfed get-federation-token --instance-id $ID --endpoint-url http://127.0.0.1:8080

  # Just the access token, for a script
  connectfed get-federation-token --instance-id $ID --query Credentials.AccessToken --output text

  # The parameters from a file, in the form --generate-cli-skeleton prints
  connectfed get-federation-token --cli-input-json file://params.json`,
		// The options follow argparse's grammar and messages, as the AWS CLI's do; awscli parses
		// them into the flags defined below.
		DisableFlagParsing: true,
		PersistentPreRunE:  func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAWSCommand(cmd, c, args, getFederationToken)
		},
	}
	c.DefineFlags(cmd.Flags())
	return cmd
}

func getFederationToken(ctx context.Context, client *connect.Client, params awscli.Params) error {
	_, err := client.GetFederationToken(ctx, &connect.GetFederationTokenInput{
		InstanceId: aws.String(awscli.String(params, "InstanceId")),
	})
	return err
}
