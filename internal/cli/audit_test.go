package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/connectfed/connectfed/internal/app"
)

// After a scripted run, `aws cloudtrail lookup-events` lists each of 100 federations with the
// role session that asked for it; the refused calls, the sign-in, the refresh and the reuse are
// recorded too; and no record, in the store or in the --audit-log file, holds a secret, a token
// or a password the run made.
func TestServeAuditTrail(t *testing.T) {
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00010", SecretAccessKey: "root/secret/for/the/audit/test/0000000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	isolateAWS(t, root)
	o := testOptions(t.TempDir())
	lines := filepath.Join(t.TempDir(), "audit.jsonl")
	o.auditLog = lines
	srv := startServe(t, o)
	cli := newAWSCLI(t, srv.endpoint)
	ctx := context.Background()

	fx := newRoleFixture(t, srv.endpoint, root)
	secrets := []string{root.SecretAccessKey, aws.ToString(fx.key.AccessKey.SecretAccessKey),
		aws.ToString(fx.assumed.Credentials.SecretAccessKey), aws.ToString(fx.assumed.Credentials.SessionToken)}
	const password = "Sup3r-Secret-Passw0rd"
	managed, err := newSDK(srv.endpoint, root).connect.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: "CONNECT_MANAGED",
		InstanceAlias: aws.String("managed"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	profiles, _ := newSDK(srv.endpoint, root).connect.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: managed.Id})
	routing, _ := newSDK(srv.endpoint, root).connect.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: managed.Id})
	if _, err := newSDK(srv.endpoint, root).connect.CreateUser(ctx, &connect.CreateUserInput{InstanceId: managed.Id, Username: aws.String("pw"),
		Password: aws.String(password), SecurityProfileIds: []string{aws.ToString(profiles.SecurityProfileSummaryList[0].Id)},
		RoutingProfileId: routing.RoutingProfileSummaryList[0].Id, PhoneConfig: &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone}}); err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, password)

	var last *connect.GetFederationTokenOutput
	for range 100 {
		if last, err = fx.session.connect.GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: fx.instance.Id}); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, aws.ToString(last.Credentials.AccessToken), aws.ToString(last.Credentials.RefreshToken),
			linkToken(aws.ToString(last.SignInUrl)))
	}
	for range 5 {
		if _, err := fx.ops.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")}); err == nil {
			t.Fatal("ops may create users")
		}
	}
	resp, err := http.Get(aws.ToString(last.SignInUrl))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for range 2 { // a refresh, then the same refresh token again: reuse
		resp, err := http.Post(srv.endpoint+"/federation/v1/refresh", "application/json",
			strings.NewReader(`{"refreshToken":"`+aws.ToString(last.Credentials.RefreshToken)+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Data map[string]any `json:"data"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if tok, ok := out.Data["accessToken"].(string); ok {
			secrets = append(secrets, tok, out.Data["refreshToken"].(string))
		}
	}

	type event struct {
		EventName, Username, EventId, CloudTrailEvent, ReadOnly string
		Resources                                               []struct{ ResourceName, ResourceType string }
	}
	lookup := func(key, value string) []event {
		t.Helper()
		var out struct{ Events []event }
		args := []string{"cloudtrail", "lookup-events"}
		if key != "" {
			args = append(args, "--lookup-attributes", "AttributeKey="+key+",AttributeValue="+value)
		}
		cli.ok(root, &out, args...)
		return out.Events
	}
	federations := lookup("EventName", "GetFederationToken")
	if len(federations) != 100 {
		t.Fatalf("lookup-events listed %d GetFederationToken events, want 100", len(federations))
	}
	sessionARN := aws.ToString(fx.assumed.AssumedRoleUser.Arn)
	for _, e := range federations {
		var rec struct {
			UserIdentity struct {
				Type, Arn, AccessKeyId string
				SessionContext         struct {
					SessionIssuer struct{ Arn, UserName string }
				}
			}
			EventSource, ErrorCode string
			ResponseElements       map[string]any
		}
		if err := json.Unmarshal([]byte(e.CloudTrailEvent), &rec); err != nil {
			t.Fatal(err)
		}
		if e.Username != "agent1" || rec.UserIdentity.Type != "AssumedRole" || rec.UserIdentity.Arn != sessionARN ||
			rec.UserIdentity.SessionContext.SessionIssuer.UserName != "ConnectAgent" || rec.EventSource != "connect.amazonaws.com" ||
			rec.ErrorCode != "" || rec.UserIdentity.AccessKeyId != aws.ToString(fx.assumed.Credentials.AccessKeyId) {
			t.Fatalf("a federation's record: %+v, %s", e, e.CloudTrailEvent)
		}
	}
	denied := lookup("EventName", "CreateUser")
	refused := 0
	for _, e := range denied {
		if strings.Contains(e.CloudTrailEvent, `"errorCode":"AccessDenied"`) && e.Username == "ops" {
			refused++
		}
	}
	if refused != 5 {
		t.Errorf("%d refused CreateUser calls of ops recorded, want 5: %+v", refused, denied)
	}
	for name, want := range map[string]int{"SignIn": 1, "Refresh": 2, "AssumeRole": 1, "CreateAccessKey": 1} {
		if got := len(lookup("EventName", name)); got != want {
			t.Errorf("%d %s events, want %d", got, name, want)
		}
	}
	if byUser := lookup("Username", "ops"); len(byUser) < 6 {
		t.Errorf("lookup by Username ops found %d events", len(byUser))
	}
	if byResource := lookup("ResourceName", "arn:aws:iam::123456789012:role/ConnectAgent"); len(byResource) == 0 {
		t.Error("lookup by the role's ARN found nothing")
	}
	cli.fails(root, "InvalidLookupAttributesException", "LookupEvents", "cloudtrail", "lookup-events",
		"--lookup-attributes", "AttributeKey=EventName,AttributeValue=A", "AttributeKey=Username,AttributeValue=B")

	// Every record: the store's (through lookup-events) and the JSON lines.
	all := lookup("", "")
	var stored strings.Builder
	for _, e := range all {
		stored.WriteString(e.CloudTrailEvent)
	}
	data, err := os.ReadFile(lines)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(nil, 1<<20)
	for ; sc.Scan(); n++ {
		if !json.Valid(sc.Bytes()) {
			t.Fatalf("--audit-log line %d is not JSON: %s", n+1, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("--audit-log: %v", err)
	}
	if n != len(all) {
		seen := map[string]bool{}
		for _, e := range all {
			seen[e.EventId] = true
		}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var rec struct{ EventID, EventName, EventTime string }
			_ = json.Unmarshal([]byte(l), &rec)
			if !seen[rec.EventID] {
				t.Logf("only in the file: %s %s", rec.EventName, rec.EventTime)
			}
		}
		t.Errorf("--audit-log has %d records, the store %d", n, len(all))
	}
	for i, s := range secrets {
		if s == "" {
			t.Fatalf("secret %d is empty: the test would prove nothing with it", i)
		}
		if strings.Contains(stored.String(), s) || strings.Contains(string(data), s) {
			t.Errorf("a record holds secret %d (%.12s...)", i, s)
		}
	}
	if !strings.Contains(stored.String(), `"password":"HIDDEN_DUE_TO_SECURITY_REASONS"`) {
		t.Error("CreateUser's password is not shown as hidden")
	}

	// connectfed audit shows the same trail as a table.
	var table strings.Builder
	if err := runAudit(ctx, auditOptions{aws: awsSource{endpointURL: srv.endpoint, region: "us-east-1"}, attribute: "Username=ops", max: 10}, &table); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(table.String()), "\n")
	if !strings.HasPrefix(rows[0], "TIME") || len(rows) < 7 || !strings.Contains(table.String(), "CreateUser") ||
		!strings.Contains(table.String(), "AccessDenied") || !strings.Contains(table.String(), "127.0.0.1") {
		t.Errorf("connectfed audit --lookup Username=ops:\n%s", table.String())
	}
	if err := runAudit(ctx, auditOptions{aws: awsSource{endpointURL: srv.endpoint}, attribute: "EventName"}, &table); err == nil ||
		!strings.Contains(err.Error(), "want KEY=VALUE") {
		t.Errorf("a bad --lookup: %v", err)
	}
}

// linkToken is the token of a SignInUrl.
func linkToken(link string) string {
	_, tok, _ := strings.Cut(link, "token=")
	return tok
}

// serve --audit=false records nothing: calls are answered, lookup-events finds nothing and no
// audit file is made. With --audit-log as well it is refused, naming both flags.
func TestServeWithoutAuditTrail(t *testing.T) {
	root := awsCreds{AccessKeyID: "AKIAEXAMPLEROOT00011", SecretAccessKey: "root/secret/for/the/no-audit/test/00000"}
	t.Setenv(envRootKeyID, root.AccessKeyID)
	t.Setenv(envRootSecret, root.SecretAccessKey)
	isolateAWS(t, root)
	dir := t.TempDir()
	o := testOptions(dir)
	o.audit = false
	srv := startServe(t, o)
	newRoleFixture(t, srv.endpoint, root) // IAM writes and an AssumeRole: each would be a record
	var out struct{ Events []any }
	newAWSCLI(t, srv.endpoint).ok(root, &out, "cloudtrail", "lookup-events")
	if len(out.Events) != 0 {
		t.Errorf("lookup-events found %d records with the trail off", len(out.Events))
	}
	if _, err := os.Stat(filepath.Join(dir, app.AuditFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an audit file with the trail off: %v", err)
	}

	both := testOptions(t.TempDir())
	both.audit, both.auditLog = false, filepath.Join(t.TempDir(), "audit.jsonl")
	if err := both.validate(); err == nil || !strings.Contains(err.Error(), "--audit-log") || !strings.Contains(err.Error(), "--audit=false") {
		t.Errorf("--audit=false with --audit-log: %v", err)
	}
}
