package audit

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/store/sqlite"
)

// auditableJSON stands for the hot path's Auditable parameters and answers (awsapi's
// labelParameters and federationOutput), with their sizes and their epochs.
type auditableJSON struct{ at time.Time }

func (a auditableJSON) AppendAuditJSON(b []byte) []byte {
	b = append(b, `{"credentials":{"accessToken":"`+Hidden+`","accessTokenExpiration":`...)
	b = strconv.AppendInt(b, a.at.Add(12*time.Hour).Unix(), 10)
	b = append(b, `,"refreshToken":"`+Hidden+`","refreshTokenExpiration":`...)
	b = strconv.AppendInt(b, a.at.Add(24*time.Hour).Unix(), 10)
	b = append(b, `},"signInUrl":"`+Hidden+`","userArn":"arn:aws:connect:us-east-1:123456789012:instance/6f1c9f0e-3f4a-4b8e-9d36-2a8f3c1b7e55/agent/0b1d2c3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e","userId":"0b1d2c3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"}`...)
	return b
}

type labelJSON struct{}

func (labelJSON) AppendAuditJSON(b []byte) []byte {
	return append(b, `{"InstanceId":"6f1c9f0e-3f4a-4b8e-9d36-2a8f3c1b7e55"}`...)
}

// gftEvent is a GetFederationToken record as the server makes it for a role session.
func gftEvent(at time.Time, i int) *Event {
	e := NewEvent(at, Source("connect"), "GetFederationToken", uuid.NewString())
	e.SetCaller(identity.Principal{Kind: identity.AssumedRole, AccountID: "123456789012", UserID: "AROAEXAMPLEROLEID1234:agent1",
		ARN: "arn:aws:sts::123456789012:assumed-role/ConnectAgent/agent1", AccessKeyID: "ASIAEXAMPLEKEY123456", RoleID: "AROAEXAMPLEROLEID1234",
		RoleName: "ConnectAgent", RolePath: "/", SessionName: "agent1"})
	e.RecipientAccountID = "123456789012"
	e.AWSRegion, e.SourceIPAddress, e.UserAgent = "us-east-1", "127.0.0.1", "aws-sdk-go-v2/1.41.0 ua/2.1 os/linux lang/go#1.26.0 md/GOOS#linux md/GOARCH#amd64 api/connect#1.175.2 m/E"
	e.SetParameters(labelJSON{})
	e.SetResources("123456789012", "arn:aws:connect:us-east-1:123456789012:instance/6f1c9f0e-3f4a-4b8e-9d36-2a8f3c1b7e55",
		"arn:aws:connect:us-east-1:123456789012:instance/6f1c9f0e-3f4a-4b8e-9d36-2a8f3c1b7e55/agent/0b1d2c3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e")
	e.SetResponse(auditableJSON{at})
	return e
}

// BenchmarkTrailWrite is the writer's share of a GetFederationToken: batches of 500 records
// encoded and stored in a SQLite audit file, as serve writes them (per record). The records
// are made beforehand: making them is the request's share.
func BenchmarkTrailWrite(b *testing.B) {
	st, err := sqlite.OpenLog(filepath.Join(b.TempDir(), "audit.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	trail := New(st, Options{})
	trail.Close() // the writer goroutine is not wanted: the benchmark calls write itself
	const batch = 500
	at := time.Date(2026, 12, 6, 10, 2, 0, 0, time.UTC)
	events := make([]*Event, batch)
	for i := range events {
		events[i] = gftEvent(at.Add(time.Duration(i/100)*time.Second), i)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n++; n%batch == 0 {
			for _, e := range events {
				e.EventID = "" // a new id each time, as each record has
			}
			trail.write(events)
		}
	}
}
