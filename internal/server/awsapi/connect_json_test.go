package awsapi

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The hand-written encoder of GetFederationToken's answer writes what encoding/json writes for
// the same struct (which WriteJSON used before it), member for member.
func TestFederationOutputJSON(t *testing.T) {
	for _, o := range []federationOutput{
		{},
		func() federationOutput {
			var o federationOutput
			o.Credentials.AccessToken = "cfa1_AAAAbbbb-_.MAC"
			o.Credentials.AccessTokenExpiration = epoch(time.Unix(1795000000, 250e6))
			o.Credentials.RefreshToken = "cfr1_x.y"
			o.Credentials.RefreshTokenExpiration = epoch(time.Unix(1795040000, 0))
			o.SignInURL = "https://h.example/federation/signin?token=cfs1_a.b&x=<y>\u2028"
			o.UserArn = "arn:aws:connect:us-east-1:123456789012:instance/i/agent/u"
			o.UserID = "ünïcødé \"quoted\" \\ \x01"
			return o
		}(),
	} {
		want, err := json.Marshal(&o)
		if err != nil {
			t.Fatal(err)
		}
		// Compared through a decode, and byte for byte once json.Marshal's HTML escapes are
		// undone.
		got := o.AppendJSON(nil)
		var a, b federationOutputDecoded
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("AppendJSON wrote invalid JSON %s: %v", got, err)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Errorf("AppendJSON decodes to %+v\nencoding/json to %+v", a, b)
		}
		if g, w := string(got), htmlUnescape(string(want)); g != w {
			t.Errorf("AppendJSON:\n%s\nencoding/json:\n%s", g, w)
		}
	}
}

type federationOutputDecoded struct {
	Credentials struct {
		AccessToken, RefreshToken                     string
		AccessTokenExpiration, RefreshTokenExpiration float64
	}
	SignInUrl, UserArn, UserId string
}

// htmlUnescape undoes json.Marshal's HTML escaping, which WriteJSON turns off.
var htmlUnescape = strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace

// ListUsers' hand-written encoder writes what encoding/json writes: an empty page, a nil one,
// and a page of odd names with a NextToken.
func TestListUsersOutputJSON(t *testing.T) {
	for _, o := range []listUsersOutput{
		{},
		{UserSummaryList: []userSummary{}},
		{UserSummaryList: []userSummary{
			{ID: "u-1", Arn: "arn:aws:connect:us-east-1:123456789012:instance/i/agent/u-1", Username: "agent1",
				LastModifiedTime: epoch(time.Unix(1795000000, 250e6)), LastModifiedRegion: "us-east-1"},
			{ID: "u-2", Arn: "arn:x", Username: "ünïcødé \"q\" \\ \x01 <b>\u2028", LastModifiedTime: epoch(time.Unix(0, 0))},
		}, NextToken: "tok+/=&"},
	} {
		want, err := json.Marshal(&o)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := string(o.AppendJSON(nil)), htmlUnescape(string(want)); g != w {
			t.Errorf("AppendJSON:\n%s\nencoding/json:\n%s", g, w)
		}
	}
}

// DescribeInstance's and DescribeUser's hand-written encoders write what encoding/json writes,
// with every optional member present and absent, and odd strings.
func TestDescribeOutputsJSON(t *testing.T) {
	odd := "ünïcødé \"q\" \\ \x01 <b>&\u2028"
	at := epoch(time.Unix(1795000000, 250e6))
	for _, o := range []describeInstanceOutput{
		{},
		{instanceOutput{ID: "i-1", Arn: "arn:aws:connect:us-east-1:1:instance/i-1", IdentityManagementType: "SAML", InstanceAlias: odd,
			CreatedTime: at, ServiceRole: "arn:r", InstanceStatus: "ACTIVE", InboundCallsEnabled: true,
			InstanceAccessURL: "https://x.my.connect.aws", Tags: map[string]string{"b": odd, odd: "1", "a": ""}}},
	} {
		want, err := json.Marshal(&struct {
			Instance instanceOutput `json:"Instance"`
		}{o.Instance})
		if err != nil {
			t.Fatal(err)
		}
		if g, w := string(o.AppendJSON(nil)), htmlUnescape(string(want)); g != w {
			t.Errorf("DescribeInstance AppendJSON:\n%s\nencoding/json:\n%s", g, w)
		}
	}
	for _, o := range []describeUserOutput{
		{},
		{userOutput{ID: "u-1", Arn: "arn:u", Username: odd, SecurityProfileIDs: []string{}, LastModifiedTime: at}},
		{userOutput{ID: "u-1", Arn: "arn:u", Username: "agent1",
			IdentityInfo:    &identityInfoJSON{FirstName: odd, LastName: "L", Email: "e@x", SecondaryEmail: "s@x", Mobile: "+15555550100"},
			PhoneConfig:     phoneConfigJSON{PhoneType: "DESK_PHONE", AutoAccept: true, AfterContactWorkTimeLimit: 30, DeskPhoneNumber: "+15555550101", PersistentConnection: true},
			DirectoryUserID: "d-1", SecurityProfileIDs: []string{"s-1", odd}, RoutingProfileID: "r-1", HierarchyGroupID: "h-1",
			Tags: map[string]string{"team": odd}, LastModifiedTime: at, LastModifiedRegion: "us-east-1"}},
		{userOutput{IdentityInfo: &identityInfoJSON{}}},
	} {
		want, err := json.Marshal(&struct {
			User userOutput `json:"User"`
		}{o.User})
		if err != nil {
			t.Fatal(err)
		}
		if g, w := string(o.AppendJSON(nil)), htmlUnescape(string(want)); g != w {
			t.Errorf("DescribeUser AppendJSON:\n%s\nencoding/json:\n%s", g, w)
		}
	}
}
