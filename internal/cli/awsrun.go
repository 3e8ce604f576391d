package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/smithy-go/middleware"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/connectfed/connectfed/internal/awscli"
)

// The AWS CLI commands (awsrun.go, awssession.go, awswire.go) run an Amazon Connect operation
// the way AWS CLI v2 runs it: awscli parses, validates and prints; aws-sdk-go-v2 resolves
// configuration (environment, shared files, profiles, SSO, endpoints), signs, sends and
// retries. The SDK's default retryer is AWS CLI v2's default too: "standard" mode, 3 attempts,
// 4xx other than throttling not retried; AWS_RETRY_MODE, AWS_MAX_ATTEMPTS and the profile's
// settings change both alike.

// connectCall makes one operation's SDK call. The response is read from the wire (see
// wireExchange), so the call's typed output is not needed.
type connectCall func(ctx context.Context, client *connect.Client, params awscli.Params) error

// awsUsage is the usage block of argparse-style errors, structured as AWS CLI v2's.
const awsUsage = `connectfed [options] [connect] <command> [parameters]
To see help text, you can run:

  connectfed --help
  connectfed <command> --help
  connectfed connect <command> --help`

// runAWSCommand runs c with args; a failure has been printed when it returns.
func runAWSCommand(cmd *cobra.Command, c *awscli.Command, args []string, call connectCall) error {
	for i, a := range args {
		if a == "--help" || a == "-h" || (i == 0 && a == "help") {
			return cmd.Help()
		}
	}
	r := &awsRun{c: c, g: &c.G, stdout: cmd.OutOrStdout(), stderr: cmd.ErrOrStderr()}
	err := r.run(cmd.Context(), args, call)
	if err == nil {
		return nil
	}
	var ae *awscli.Error
	if !errors.As(err, &ae) {
		ae = awscli.General(err)
	}
	if ae.Code == awscli.ExitInterrupted {
		io.WriteString(r.stdout, "\n") // as AWS CLI v2 answers Ctrl-C
	} else {
		ae.Write(r.stderr)
	}
	return &exitError{code: ae.Code, err: ae, reported: true}
}

// awsRun is one run of an AWS CLI command, in the order AWS CLI v2 does things, which decides
// which error a command line with several problems gets.
type awsRun struct {
	c              *awscli.Command
	g              *awscli.Globals
	stdout, stderr io.Writer
	log            *awscli.DebugLog // nil without --debug

	params     awscli.Params
	out        awscli.Output
	timestamps string
	cfg        aws.Config
}

func (r *awsRun) run(ctx context.Context, args []string, call connectCall) error {
	if err := r.c.ParseArgs(args); err != nil {
		return err
	}
	if r.g.Version {
		_, err := fmt.Fprintln(r.stdout, cliVersion())
		return err
	}
	if r.g.Debug {
		r.log = awscli.NewDebugLog(r.stderr)
		r.log.Printf("awscli.clidriver", "CLI version: %s", cliVersion())
	}
	if err := r.readInput(); err != nil {
		return err
	}
	if s := r.c.Skeleton(); s == "input" || s == "yaml-input" {
		return r.c.WriteInputSkeleton(r.stdout, s)
	}
	if err := r.configure(ctx); err != nil {
		return err
	}
	if err := r.c.Validate(r.params); err != nil {
		return err
	}
	if r.c.Skeleton() == "output" {
		return r.print(r.c.OutputSkeleton())
	}
	return r.send(ctx, call)
}

func cliVersion() string {
	return fmt.Sprintf("connectfed/%s Go/%s %s/%s aws-sdk-go-v2/%s",
		Version, strings.TrimPrefix(runtime.Version(), "go"), runtime.GOOS, runtime.GOARCH, aws.SDKVersion)
}

// readInput compiles --query and gathers the parameters from the options and --cli-input-*.
func (r *awsRun) readInput() error {
	if r.g.Given("query") {
		q, err := awscli.CompileQuery(r.g.Query)
		if err != nil {
			return err
		}
		r.out.Query = q
	}
	params, err := r.c.Input()
	r.params = params
	return err
}

// configure settles the output and loads the SDK's configuration.
func (r *awsRun) configure(ctx context.Context) error {
	settings := awscli.ProfileSettings(awscli.ProfileName(r.g.Profile))
	var err error
	if r.out.Format, err = awscli.OutputFormat(r.g.Output, settings); err != nil {
		return err
	}
	if r.timestamps, err = awscli.TimestampFormat(settings); err != nil {
		return err
	}
	r.out.Width = 80
	terminal := false
	if f, ok := r.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		terminal = true
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			r.out.Width = w
		}
	}
	r.out.Color = awscli.Colorize(r.g.Color, terminal)
	if r.g.Given("endpoint-url") {
		if err := awscli.CheckEndpointURL(r.g.EndpointURL); err != nil {
			return err
		}
	}
	if r.cfg, err = loadCLIConfig(ctx, r.g, r.log); err != nil {
		return err
	}
	if r.cfg.Region == "" {
		return awscli.NoRegion()
	}
	if err := awscli.CheckRegion(r.cfg.Region); err != nil {
		return err
	}
	r.log.Printf("awscli.clidriver", "Loaded configuration: profile=%s region=%s", awscli.ProfileName(r.g.Profile), r.cfg.Region)
	return nil
}

// send makes the call and prints the response.
func (r *awsRun) send(ctx context.Context, call connectCall) error {
	if !r.g.NoSignRequest {
		if _, err := r.cfg.Credentials.Retrieve(ctx); err != nil {
			return credentialsError(r.cfg, err)
		}
	}
	x := &wireExchange{log: r.log}
	client := connect.NewFromConfig(r.cfg, func(o *connect.Options) {
		if r.g.Given("endpoint-url") {
			o.BaseEndpoint = aws.String(r.g.EndpointURL)
		}
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Deserialize.Add(x, middleware.After)
		})
	})
	if err := call(ctx, client, r.params); err != nil {
		return x.failure(ctx, r.c.Op.Name, client.Options().Retryer.MaxAttempts(), err)
	}
	resp, err := awscli.DecodeResponse(x.body, r.c.Op.Output, r.timestamps, awscli.LocalZone())
	if err != nil {
		return awscli.General(err)
	}
	return r.print(resp)
}

func (r *awsRun) print(v any) error {
	if err := r.out.Print(r.stdout, r.c.Op, v); err != nil {
		var ae *awscli.Error
		if errors.As(err, &ae) {
			return err
		}
		return awscli.General(err)
	}
	return nil
}
