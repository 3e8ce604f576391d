package audit

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/binrec"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/store"
)

// AppendJSON writes the JSON encoding/json would, for records with and without each optional
// part.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	full := NewEvent(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), Source("connect"), "GetFederationToken", "req-1")
	full.UserIdentity = Identity{Type: "AssumedRole", PrincipalID: "AROA1:agent1", ARN: "arn:aws:sts::1:assumed-role/R/agent1",
		AccountID: "1", AccessKeyID: "ASIA1", SessionContext: &SessionContext{SessionIssuer: Issuer{Type: "Role", PrincipalID: "AROA1",
			ARN: "arn:aws:iam::1:role/R", AccountID: "1", UserName: "R"}, Attributes: map[string]string{"mfaAuthenticated": "false", "a<b": "\"q\""}}}
	full.AWSRegion, full.SourceIPAddress, full.UserAgent = "us-east-1", "127.0.0.1", "aws-sdk-go-v2/1.0 \u2028 é"
	full.ErrorCode, full.ErrorMessage = "AccessDeniedException", "User: x is not authorized & <so on>"
	full.RequestParameters = json.RawMessage(`{"instanceId":"i-1"}`)
	full.Resources = []Resource{{ARN: "arn:aws:connect:us-east-1:1:instance/i", AccountID: "1", Type: "AWS::Connect::Instance"}, {ARN: "arn:x", AccountID: "1"}}
	bare := NewEvent(time.Time{}, SourceFederation, "SignIn", "")
	bare.UserIdentity = Identity{Type: "Unknown"}
	for name, e := range map[string]*Event{"full": full, "bare": bare} {
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got := e.AppendJSON(nil)
		var w, g any
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: AppendJSON wrote no JSON: %v\n%s", name, err, got)
		}
		if !reflect.DeepEqual(w, g) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

// Redacted hides every secret member wherever it is, and names members as CloudTrail does.
func TestRedactedHidesSecrets(t *testing.T) {
	in := map[string]any{
		"UserName": "ops",
		"Password": "p4ss",
		"Nested":   map[string]any{"SecretAccessKey": "s3cret", "SessionToken": "t0ken", "List": []any{map[string]any{"RefreshToken": "r"}}},
		"ARN":      "arn:x",
	}
	out := string(Redacted(in))
	for _, secret := range []string{"p4ss", "s3cret", "t0ken", `"r"`} {
		if strings.Contains(out, secret) {
			t.Errorf("Redacted kept %s: %s", secret, out)
		}
	}
	for _, want := range []string{`"userName":"ops"`, `"password":"` + Hidden + `"`, `"secretAccessKey":"` + Hidden + `"`, `"ARN":"arn:x"`} {
		if !strings.Contains(out, want) {
			t.Errorf("Redacted lacks %s: %s", want, out)
		}
	}
}

// storedRow is e as the writer stores it: its row, with the resource names a store keeps
// (without "" and repeats) and its body.
func storedRow(e *Event) store.AuditEvent {
	var names []string
	for _, r := range e.Resources {
		if r.ARN != "" && !slices.Contains(names, r.ARN) {
			names = append(names, r.ARN)
		}
	}
	return e.row(names, e.appendRecord(nil, eventTimeOf(e.time)))
}

// A record in its stored form reads back, in its row, as the same record: the same JSON, for
// records with and without each optional part, and whether its time and resources are its
// row's or its own; parameters are stored redacted; a damaged record is an error, never a panic.
func TestStoredRecordRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	full := NewEvent(at, Source("iam"), "CreateUser", "req-1")
	full.EventID, full.EventTime = "ev-1", "2026-12-06T10:00:00Z"
	full.UserIdentity = Identity{Type: "AssumedRole", PrincipalID: "AROA1:ops", ARN: "arn:aws:sts::1:assumed-role/R/ops",
		AccountID: "1", AccessKeyID: "ASIA1", UserName: "u", SessionContext: &SessionContext{SessionIssuer: Issuer{Type: "Role",
			PrincipalID: "AROA1", ARN: "arn:aws:iam::1:role/R", AccountID: "1", UserName: "R"},
			Attributes: map[string]string{"mfaAuthenticated": "false", "a<b": "\"q\""}}}
	full.AWSRegion, full.SourceIPAddress, full.UserAgent = "us-east-1", "127.0.0.1", "ua \u2028 é"
	full.ErrorCode, full.ErrorMessage = "AccessDenied", "not authorized & <so on>"
	full.SetParameters(map[string]any{"UserName": "bob", "Password": "p4ss-w0rd"})
	full.ResponseElements = json.RawMessage(`{"user":{"userName":"bob"}}`)
	full.ReadOnly, full.RecipientAccountID = true, "1"
	full.Resources = []Resource{{ARN: "arn:aws:iam::1:user/bob", AccountID: "1", Type: "AWS::IAM::User"}, {ARN: "arn:x", AccountID: "1"}}

	instance := "arn:aws:connect:us-east-1:1:instance/i-1"
	session := func(name string) *Event {
		e := NewEvent(at, Source("connect"), name, "req-2")
		e.EventID, e.RecipientAccountID = "ev-2", "1"
		e.SetCaller(identity.Principal{Kind: identity.AssumedRole, AccountID: "1", UserID: "AROA1:agent1", ARN: "arn:aws:sts::1:assumed-role/R/agent1",
			AccessKeyID: "ASIA2", RoleID: "AROA1", RoleName: "R", RolePath: "/", SessionName: "agent1"})
		e.SetResources("1", instance, instance+"/agent/u-1")
		return e
	}
	typed := session("GetFederationToken")
	ownTime := session("GetFederationToken")
	ownTime.EventTime = "2026-12-06T09:59:59Z"
	otherKind := session("GetFederationToken")
	otherKind.EventType, otherKind.ManagementEvent = "AwsServiceEvent", false
	repeated := session("TagResource")
	repeated.SetResources("1", instance, instance)
	otherAccount := session("TagResource")
	otherAccount.SetResources("2", instance)
	changed := session("TagResource")
	changed.Resources[1].Type = "AWS::Connect::Other"
	changed.Resources = append([]Resource(nil), changed.Resources...)

	noAttributes := NewEvent(time.Time{}, SourceFederation, "SignIn", "")
	noAttributes.UserIdentity = Identity{Type: "AssumedRole", SessionContext: &SessionContext{}}
	empty := NewEvent(time.Time{}, SourceFederation, "SignIn", "")
	empty.UserIdentity = Identity{Type: "AssumedRole", SessionContext: &SessionContext{Attributes: map[string]string{}}}
	bare := NewEvent(time.Time{}, SourceFederation, "SignIn", "")
	for name, e := range map[string]*Event{"full": full, "typed resources": typed, "own time": ownTime, "other kind": otherKind,
		"repeated resource": repeated, "other account": otherAccount, "resources changed": changed,
		"no attributes": noAttributes, "empty attributes": empty, "bare": bare} {
		if e.EventTime == "" {
			e.EventTime = eventTimeOf(e.time) // as the writer sets it
		}
		row := storedRow(e)
		if strings.Contains(string(row.Body), "p4ss-w0rd") {
			t.Errorf("%s: the stored record holds the password", name)
		}
		back, err := decodeRecord(row)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, want := string(back.AppendJSON(nil)), string(e.AppendJSON(nil)); got != want {
			t.Errorf("%s: read back as\n%s\nwant\n%s", name, got, want)
		}
		for n := range len(row.Body) {
			cut := row
			cut.Body = row.Body[:n]
			if _, err := decodeRecord(cut); err == nil {
				t.Errorf("%s: a record cut at %d of %d bytes read", name, n, len(row.Body))
			}
		}
	}
	// What the row gives back is not stored twice.
	row := storedRow(typed)
	for _, repeat := range []string{instance, "AWS::Connect::Instance", "ev-2", "ASIA2", "GetFederationToken", "2026-12-06T10:00:00Z", "AwsApiCall"} {
		if strings.Contains(string(row.Body), repeat) {
			t.Errorf("the record of a GetFederationToken holds %q, which its row has", repeat)
		}
	}
}

// Records written in version 1, which held every field, read back as they were written.
func TestStoredRecordVersion1(t *testing.T) {
	e := NewEvent(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), Source("connect"), "GetFederationToken", "req-1")
	e.EventID, e.EventTime, e.RecipientAccountID = "ev-1", "2026-12-06T10:00:00Z", "1"
	e.SetCaller(identity.Principal{Kind: identity.AssumedRole, AccountID: "1", UserID: "AROA1:agent1", ARN: "arn:aws:sts::1:assumed-role/R/agent1",
		AccessKeyID: "ASIA2", RoleID: "AROA1", RoleName: "R", RolePath: "/", SessionName: "agent1"})
	e.SetResources("1", "arn:aws:connect:us-east-1:1:instance/i-1")
	e.ErrorCode, e.ErrorMessage = "AccessDeniedException", "no"
	e.ResponseElements = json.RawMessage(`{"userId":"u-1"}`)
	row := storedRow(e)
	row.Body = appendRecord1(nil, e)
	back, err := decodeRecord(row)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(back.AppendJSON(nil)), string(e.AppendJSON(nil)); got != want {
		t.Errorf("read back as\n%s\nwant\n%s", got, want)
	}
}

// appendRecord1 is how version 1 stored a record (kept here to write what older trails hold).
func appendRecord1(b []byte, e *Event) []byte {
	b = append(b, recordVersion1)
	id := &e.UserIdentity
	b = appendStrings(b, e.EventVersion, id.Type, id.PrincipalID, id.ARN, id.AccountID, id.AccessKeyID, id.UserName)
	b = appendSession(b, id.SessionContext)
	b = appendStrings(b, e.EventTime, e.EventSource, e.EventName, e.AWSRegion, e.SourceIPAddress, e.UserAgent, e.ErrorCode, e.ErrorMessage)
	b = appendJSONValue(b, e.params, e.RequestParameters)
	b = appendJSONValue(b, e.response, e.ResponseElements)
	b = appendStrings(b, e.RequestID, e.EventID)
	b = binrec.AppendBool(b, e.ReadOnly)
	b = appendResources(b, e.Resources)
	b = appendStrings(b, e.EventType)
	b = binrec.AppendBool(b, e.ManagementEvent)
	return appendStrings(b, e.RecipientAccountID, e.EventCategory)
}

// FuzzDecodeRecord: any bytes read as a stored record, in any row, are a record or an error,
// never a panic; a record read without error is stored and read back as the same JSON.
func FuzzDecodeRecord(f *testing.F) {
	e := NewEvent(time.Unix(0, 0), Source("connect"), "GetFederationToken", "r")
	e.UserIdentity = Identity{Type: "AssumedRole", SessionContext: &SessionContext{Attributes: withoutMFA}}
	e.SetResources("1", "arn:aws:connect:us-east-1:1:instance/i-1")
	e.EventTime = eventTimeOf(e.time)
	f.Add(storedRow(e).Body, "arn:aws:connect:us-east-1:1:instance/i-1")
	e.Resources = []Resource{{ARN: "arn:a", AccountID: "1"}}
	f.Add(storedRow(e).Body, "")
	f.Add(appendRecord1(nil, e), "")
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		row := store.AuditEvent{AccountID: "1", ID: "ev", Time: time.Unix(1e9, 0).UTC(), Name: "N", Source: "s", Body: b}
		if name != "" {
			row.Resources = []string{name}
		}
		rec, err := decodeRecord(row)
		if err != nil {
			return
		}
		want := string(rec.AppendJSON(nil))
		back, err := decodeRecord(storedRow(rec))
		if err != nil || string(back.AppendJSON(nil)) != want {
			t.Fatalf("a record read back as %+v, %v", back, err)
		}
	})
}
