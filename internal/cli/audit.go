package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/spf13/cobra"
)

// auditOptions are `connectfed audit`'s flags: where the server is, and what to look up.
type auditOptions struct {
	aws        awsSource
	attribute  string
	start, end string
	max        int
	configure  func(*aws.Config)
}

func newAuditCommand() *cobra.Command {
	var o auditOptions
	cmd := &cobra.Command{
		Use:   "audit [flags]",
		Short: "Show a server's audit trail as a table, newest first",
		Long: `Show a server's audit trail, newest first: every write, GetFederationToken, refresh,
revocation and sign-in, and every call IAM policies refused, one line each (time, event, who,
from where, how it ended, what it touched).

It reads the trail through CloudTrail's LookupEvents, as ` + "`aws cloudtrail lookup-events`" + ` does, so it
needs the credentials of a principal allowed cloudtrail:LookupEvents (the account root is), resolved
as the AWS CLI resolves them.`,
		Example: `  # The last 50 events
  connectfed audit --endpoint-url http://127.0.0.1:8080

  # Who got federation tokens, in the last hour
  connectfed audit --lookup EventName=GetFederationToken --start-time "$(date -u -d '1 hour ago' +%FT%TZ)"

  # Everything agent1 did
  connectfed audit --lookup Username=agent1 --max-items 200`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAudit(cmd.Context(), o, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.aws.endpointURL, "endpoint-url", "", "the server's URL, such as http://127.0.0.1:8080 (default: AWS_ENDPOINT_URL, the profile's, or AWS)")
	f.StringVar(&o.aws.region, "region", "", "the region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)")
	f.StringVar(&o.aws.profile, "profile", "", "the AWS profile to use (default: AWS_PROFILE, or the environment's keys)")
	f.StringVar(&o.attribute, "lookup", "", "one attribute to look up by, KEY=VALUE: EventName, Username, ResourceName, EventSource, AccessKeyId, EventId or ReadOnly")
	f.StringVar(&o.start, "start-time", "", "the earliest event, RFC 3339 (2026-12-06T10:00:00Z)")
	f.StringVar(&o.end, "end-time", "", "the latest event, RFC 3339")
	f.IntVar(&o.max, "max-items", 50, "how many events to show at most")
	return cmd
}

func runAudit(ctx context.Context, o auditOptions, stdout io.Writer) error {
	in := &cloudtrail.LookupEventsInput{}
	if o.attribute != "" {
		key, value, ok := strings.Cut(o.attribute, "=")
		if !ok || key == "" || value == "" {
			return fmt.Errorf("--lookup %q: want KEY=VALUE, such as EventName=GetFederationToken", o.attribute)
		}
		in.LookupAttributes = []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKey(key), AttributeValue: aws.String(value)}}
	}
	for _, t := range []struct {
		flag, value string
		dst         **time.Time
	}{{"--start-time", o.start, &in.StartTime}, {"--end-time", o.end, &in.EndTime}} {
		if t.value == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.value)
		if err != nil {
			return fmt.Errorf("%s %q: want RFC 3339, such as 2026-12-06T10:00:00Z", t.flag, t.value)
		}
		*t.dst = &v
	}
	if o.max < 1 {
		return fmt.Errorf("--max-items %d: want 1 or more", o.max)
	}
	cfg, err := loadAWSConfig(ctx, o.aws)
	if err != nil {
		return err
	}
	if o.configure != nil {
		o.configure(&cfg)
	}
	client := cloudtrail.NewFromConfig(cfg)
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "TIME\tEVENT\tUSER\tSOURCE IP\tRESULT\tRESOURCES")
	shown := 0
	for p := cloudtrail.NewLookupEventsPaginator(client, in); p.HasMorePages() && shown < o.max; {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("look up the audit trail: %w", err)
		}
		for _, e := range page.Events {
			if shown == o.max {
				break
			}
			var rec struct {
				SourceIPAddress string `json:"sourceIPAddress"`
				ErrorCode       string `json:"errorCode"`
			}
			_ = json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec) // a record we cannot read still shows its name
			result := "OK"
			if rec.ErrorCode != "" {
				result = rec.ErrorCode
			}
			var resources []string
			for _, r := range e.Resources {
				resources = append(resources, aws.ToString(r.ResourceName))
			}
			user := aws.ToString(e.Username)
			if user == "" {
				user = "-"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", aws.ToTime(e.EventTime).UTC().Format(time.RFC3339), aws.ToString(e.EventName),
				user, rec.SourceIPAddress, result, strings.Join(resources, " "))
			shown++
		}
	}
	return w.Flush()
}
