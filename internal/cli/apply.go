package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/connectfed/connectfed/internal/apply"
	"github.com/connectfed/connectfed/internal/identity"
)

// applyOptions are apply's flags.
type applyOptions struct {
	file        string
	secretsFile string
	dryRun      bool
	prune       bool
	parallel    int
	aws         awsSource
	// configure adjusts the resolved AWS config; tests count requests with it, the command
	// line cannot set it.
	configure func(*aws.Config)
}

// progressThreshold is the plan size (in requests) above which a terminal gets a progress bar;
// smaller plans finish before a bar would say anything.
const progressThreshold = 50

func newApplyCommand() *cobra.Command {
	o := applyOptions{}
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Make a server's IAM users, roles, policies, Connect instances and their users match a file",
		Long: `Make a server match a YAML file that declares IAM users (and how many access keys each
has), IAM roles, policies and SAML providers, Amazon Connect instances (known by alias) with
their attributes, approved origins, security and routing profiles, queues, user hierarchy and
users, through the same AWS APIs any client uses: against connectfed, local or remote, or AWS
itself.

apply reads what the server has, prints the plan (one line per resource: create, update,
replace or delete) and carries it out, up to --parallel requests at a time. A second apply of
the same file changes nothing and says "no changes". A changed Connect user is updated in place
(it keeps its id, and its federation tokens keep working), and so are an instance's flags and
attributes, security and routing profiles. Roles have no update operation, nor an instance's
identity management, so those are replaced (deleted, then created); replacing an instance
deletes its users, and is refused while it has users the file does not declare. Profiles,
queues and hierarchy groups are never deleted.

Credentials, region and endpoint are resolved as the AWS CLI resolves them (environment,
profiles), then --profile, --region and --endpoint-url; AWS_ENDPOINT_URL works too. The
file's region, when it has one, is the region to apply in.

--prune deletes, in the account and region, whatever a list in the file (iam.users, iam.roles,
connect.instances, an instance's users; a list that is present, even empty) does not name.
Lists the file leaves out are never touched. Never pruned: the caller's own IAM user, the key it
signs with, the role of its session, service-linked roles.

New access keys' secrets are appended to --secrets-file (an AWS shared credentials file, mode
0600, one profile per key named after its user: ops, then ops-2 ...); apply refuses to create
keys without it, and never prints a secret.

The file (version 1):

  version: 1
  region: us-east-1                  # optional
  iam:
    users:
      - name: ops
        accessKeys: 1                # 0..2; leave out to leave the user's keys alone
    roles:
      - name: ConnectAgent
        maxSessionDuration: 43200    # default 3600
        trust: ["arn:aws:iam::123456789012:root"]   # or trustPolicy: a whole document
  connect:
    instances:
      - alias: demo
        identityManagement: SAML     # or CONNECT_MANAGED (users need a password), EXISTING_DIRECTORY
        inboundCalls: true
        outboundCalls: true
        attributes: {CONTACT_LENS: true}            # optional, the other instance attributes
        approvedOrigins: [https://crm.example.com]  # optional; --prune withdraws the others
        securityProfiles:                           # optional: created, or updated
          - name: Tier2
            permissions: [BasicAgentAccess, OutboundCallAccess]
        hierarchy:                                  # optional
          levels: [Site, Team]
          groups: [{name: Lisbon}, {name: Billing, parent: Lisbon}]
        users:
          - username: agent1
            securityProfiles: [Agent]
            routingProfile: Basic Routing Profile
            hierarchyGroup: Billing  # optional
            phoneType: SOFT_PHONE    # or DESK_PHONE with deskPhoneNumber
            firstName: Agent
            lastName: One

  examples/contact-centre.yaml also has queues and routing profiles.`,
		Example: `  # Seed a local connectfed with the demo's fixtures, keeping new keys' secrets
  export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... AWS_DEFAULT_REGION=us-east-1
  connectfed apply -f examples/demo.yaml --endpoint-url http://127.0.0.1:8080 --secrets-file ./demo-credentials

  # See what would change, change nothing
  connectfed apply -f examples/demo.yaml --endpoint-url http://127.0.0.1:8080 --dry-run

  # Also delete the users, roles and instances the file no longer declares
  connectfed apply -f examples/demo.yaml --endpoint-url http://127.0.0.1:8080 --prune`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runApply(cmd.Context(), o, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "the file to apply (YAML); - reads standard input")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan and change nothing")
	f.BoolVar(&o.prune, "prune", false, "delete what the file's lists do not declare (never the caller's own user or key)")
	f.IntVar(&o.parallel, "parallel", apply.DefaultParallel, "requests in flight at once")
	f.StringVar(&o.secretsFile, "secrets-file", "", "AWS shared credentials file that new access keys' secrets are appended to (mode 0600)")
	f.StringVar(&o.aws.endpointURL, "endpoint-url", "", "the server's URL, such as http://127.0.0.1:8080 (default: AWS_ENDPOINT_URL, the profile's, or AWS)")
	f.StringVar(&o.aws.region, "region", "", "the region to apply in (default: the file's, AWS_REGION, AWS_DEFAULT_REGION or the profile's)")
	f.StringVar(&o.aws.profile, "profile", "", "the AWS profile to use (default: AWS_PROFILE, or the environment's keys)")
	return cmd
}

func runApply(ctx context.Context, o applyOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	if o.file == "" {
		return errors.New("apply needs a file: -f FILE (or -f - for standard input)")
	}
	if o.parallel < 1 {
		return fmt.Errorf("--parallel %d: at least 1", o.parallel)
	}
	f, err := loadApplyFile(o.file, stdin)
	if err != nil {
		return err
	}
	src := o.aws
	if src.region == "" {
		src.region = f.Region
	}
	cfg, err := loadAWSConfig(ctx, src)
	if err != nil {
		return err
	}
	if o.configure != nil {
		o.configure(&cfg)
	}
	_, err = apply.Run(ctx, cfg, f, apply.Options{DryRun: o.dryRun, Prune: o.prune, Parallel: o.parallel,
		SecretsFile: o.secretsFile, Out: stdout, Log: stderr, Progress: progressOn(stderr)})
	return err
}

func loadApplyFile(path string, stdin io.Reader) (*apply.File, error) {
	if path != "-" {
		return apply.Load(path)
	}
	data, err := io.ReadAll(stdin)
	if err != nil {
		return nil, fmt.Errorf("read standard input: %w", err)
	}
	return apply.Parse("<stdin>", data)
}

// progressOn returns a progress bar maker when w is a terminal, nil otherwise (a pipe or a CI
// log gets the summary line only).
func progressOn(w io.Writer) func(int) apply.Progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(total int) apply.Progress {
		if total <= progressThreshold {
			return nil
		}
		return progressBar{progressbar.NewOptions(total, progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("apply"), progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())}
	}
}

type progressBar struct{ b *progressbar.ProgressBar }

func (p progressBar) Add(n int) { _ = p.b.Add(n) }
func (p progressBar) Finish()   { _ = p.b.Finish() }

// seedRegion is where serve --seed applies a file that names no region: the region the demo
// and the README use.
const seedRegion = "us-east-1"

// seedCredentialsFile, in the data directory, keeps the secrets of keys a seed creates.
const seedCredentialsFile = "seed-credentials"

// seedServer applies a file to a server that has just started listening, as its account root,
// through the same code and the same AWS APIs as connectfed apply. It never prunes. hc, when
// not nil, is the HTTP client to reach the server with (one that trusts its TLS certificate).
func seedServer(ctx context.Context, path, endpoint string, hc aws.HTTPClient, root identity.RootKey, dataDir string, stdout io.Writer) error {
	f, err := apply.Load(path)
	if err != nil {
		return err
	}
	region := f.Region
	if region == "" {
		region = seedRegion
	}
	cfg := aws.Config{Region: region, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(root.AccessKeyID, root.SecretAccessKey, "")}
	if hc != nil {
		cfg.HTTPClient = hc
	}
	_, err = apply.Run(ctx, cfg, f, apply.Options{Out: stdout, Log: stdout, Quiet: true,
		SecretsFile: filepath.Join(dataDir, seedCredentialsFile), Summary: "seed " + path})
	return err
}
