package audit

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
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

// A record in its stored form reads back as the same record: the same JSON, for records with
// and without each optional part; parameters are stored redacted; a damaged record is an
// error, never a panic.
func TestStoredRecordRoundTrip(t *testing.T) {
	full := NewEvent(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), Source("iam"), "CreateUser", "req-1")
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
	noAttributes := NewEvent(time.Time{}, SourceFederation, "SignIn", "")
	noAttributes.UserIdentity = Identity{Type: "AssumedRole", SessionContext: &SessionContext{}}
	empty := NewEvent(time.Time{}, SourceFederation, "SignIn", "")
	empty.UserIdentity = Identity{Type: "AssumedRole", SessionContext: &SessionContext{Attributes: map[string]string{}}}
	bare := NewEvent(time.Time{}, SourceFederation, "SignIn", "")
	for name, e := range map[string]*Event{"full": full, "no attributes": noAttributes, "empty attributes": empty, "bare": bare} {
		stored := e.appendRecord(nil)
		if strings.Contains(string(stored), "p4ss-w0rd") {
			t.Errorf("%s: the stored record holds the password", name)
		}
		back, err := decodeRecord(stored)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, want := string(back.AppendJSON(nil)), string(e.AppendJSON(nil)); got != want {
			t.Errorf("%s: read back as\n%s\nwant\n%s", name, got, want)
		}
		for n := range len(stored) {
			if _, err := decodeRecord(stored[:n]); err == nil {
				t.Errorf("%s: a record cut at %d of %d bytes read", name, n, len(stored))
			}
		}
	}
}

// FuzzDecodeRecord: any bytes read as a stored record are a record or an error, never a panic;
// a record read without error encodes as JSON.
func FuzzDecodeRecord(f *testing.F) {
	e := NewEvent(time.Unix(0, 0), Source("connect"), "GetFederationToken", "r")
	e.UserIdentity = Identity{Type: "AssumedRole", SessionContext: &SessionContext{Attributes: withoutMFA}}
	e.Resources = []Resource{{ARN: "arn:a", AccountID: "1"}}
	f.Add(e.appendRecord(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeRecord(b)
		if err != nil {
			return
		}
		_ = rec.AppendJSON(nil)
		if back, err := decodeRecord(rec.appendRecord(nil)); err != nil || back.EventName != rec.EventName {
			t.Fatalf("a record read back as %+v, %v", back, err)
		}
	})
}
