package server_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/connectfed/connectfed/internal/server"
	"github.com/connectfed/connectfed/internal/store/sqlite"
)

// The server's fuzz targets send what the fuzzer makes through the whole handler (SigV4, the
// protocol decoders, the domain, the store), signed so that authentication lets it through
// whenever the server can read a signature on it at all. Whatever the input, the answer is a
// 2xx or 4xx in the client's format, never a 5xx, a redirect or a panic (the middleware turns a
// panic into a 500, which fails the check).

// fuzzEnv is the server a fuzz target drives: on an in-memory SQLite database (no fsync, so
// many more inputs a second), or with CONNECTFED_FUZZ_POSTGRES=1 on the PostgreSQL database of
// CONNECTFED_TEST_POSTGRES_URL, whose text refuses bytes SQLite keeps (NUL, what is not UTF-8).
// CI fuzzes on SQLite; the hostile suite runs on both.
func fuzzEnv(f *testing.F) *env {
	if os.Getenv("CONNECTFED_FUZZ_POSTGRES") == "1" {
		return newPostgresEnv(f)
	}
	st, err := sqlite.OpenMemory()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	return newEnvOn(f, server.Config{}, st)
}

// clientRequest builds a request the way a client would, or nil when Go's client could not.
func clientRequest(method, target, body string) *http.Request {
	r, err := http.NewRequest(method, "http://connectfed.test"+target, strings.NewReader(body))
	if err != nil || r.URL.Host != "connectfed.test" {
		return nil
	}
	return r
}

// send signs r as the server reads it (when it can: signed says whether), puts it through the
// wire and serves it. ok is false when net/http would refuse it before the handler.
func (e *env) send(r *http.Request, body string, c aws.Credentials, service string) (a answer, signed, ok bool) {
	signed = canonSign(r, []byte(body), c, service, "us-east-1", e.clock.Now())
	a, ok = e.sendAsIs(r)
	return a, signed, ok
}

// sendAsIs puts r through the wire as it is and serves it.
func (e *env) sendAsIs(r *http.Request) (answer, bool) {
	var raw strings.Builder
	if err := r.Write(&raw); err != nil {
		return answer{}, false
	}
	sr, ok := serverRequest([]byte(raw.String()))
	if !ok {
		return answer{}, false
	}
	return serveDirect(e.handler, sr), true
}

// FuzzQueryProtocol fuzzes the query protocol's form decoder and the IAM and STS actions behind
// it: any form body and URL query, signed by the account root. Answers are XML.
func FuzzQueryProtocol(f *testing.F) {
	e := fuzzEnv(f)
	f.Add(false, "Action=GetCallerIdentity&Version=2011-06-15", "")
	f.Add(false, "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx&RoleSessionName=a&DurationSeconds=-1", "")
	f.Add(false, "", "Action=GetCallerIdentity&Version=2011-06-15")
	f.Add(true, "Action=CreateUser&UserName=alice&Path=%2Fa%2F", "")
	f.Add(true, "Action=CreateAccessKey&UserName=alice", "Action=ListUsers")
	f.Add(true, "Action=ListUsers&MaxItems=x&Marker=%FF", "")
	f.Add(true, "Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=%7B%22Statement%22%3A%5B%5D%7D&MaxSessionDuration=99999999999999999999", "")
	f.Add(true, "Action=UpdateAccessKey&AccessKeyId=AKIA&Status=Bogus", "")
	f.Add(true, "Action=CreateUser&UserName=%zz", "a;b")
	f.Add(true, "Action=CreateUser&UserName=\xff\xfe&Action=DeleteUser", "Version=&&&=")
	f.Add(true, "Action=DeleteUser&UserName=alice", "")
	// Each of these was a 500 on PostgreSQL (CONNECTFED_FUZZ_POSTGRES=1), which refuses NUL and
	// bytes that are not UTF-8 in text.
	f.Add(true, "Action=ListRoles&Marker=AA", "")
	f.Add(true, "Action=DeleteAccessKey&AccessKeyId=%FF", "")
	f.Add(true, "Action=UpdateAccessKey&AccessKeyId=%00&Status=Active", "")
	f.Add(true, "Action=CreateRole&RoleName=r&Description=%00&AssumeRolePolicyDocument=%7B%7D", "")
	f.Fuzz(func(t *testing.T, iam bool, body, query string) {
		service := "sts"
		if iam {
			service = "iam"
		}
		target := "/"
		if query != "" {
			target += "?" + query
		}
		r := clientRequest("POST", target, body)
		if r == nil {
			return
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		if a, _, ok := e.send(r, body, e.root, service); ok {
			checkAnswer(t, fmtQuery, a)
		}
	})
}

// FuzzConnectBodies fuzzes the restJson1 bodies of CreateInstance and CreateUser (in a SAML
// instance and a CONNECT_MANAGED one). Answers are restJson1 JSON.
func FuzzConnectBodies(f *testing.F) {
	e := fuzzEnv(f)
	admin := e.connect(e.root, "us-east-1")
	saml := newInstance(f, admin, "fuzzsaml", ctypes.DirectoryTypeSaml)
	managed := newInstance(f, admin, "fuzzmanaged", ctypes.DirectoryTypeConnectManaged)
	sid, rid := profileIDs(f, admin, saml, "Agent", "Basic Routing Profile")
	msid, mrid := profileIDs(f, admin, managed, "Agent", "Basic Routing Profile")
	user := func(sid, rid, extra string) string {
		return `{"Username":"agent","SecurityProfileIds":["` + sid + `"],"RoutingProfileId":"` + rid + `"` + extra + `}`
	}
	f.Add(uint8(0), `{"IdentityManagementType":"SAML","InstanceAlias":"acme","InboundCallsEnabled":true,"OutboundCallsEnabled":false}`)
	f.Add(uint8(0), `{"IdentityManagementType":"EXISTING_DIRECTORY","DirectoryId":"d-0123456789","InboundCallsEnabled":true,"OutboundCallsEnabled":true,"Tags":{"a":"b"}}`)
	f.Add(uint8(0), `{"IdentityManagementType":"CONNECT_MANAGED","InstanceAlias":"d-x","InboundCallsEnabled":null}`)
	f.Add(uint8(0), `{"InstanceAlias":7}`)
	f.Add(uint8(0), `[`)
	f.Add(uint8(1), user(sid, rid, `,"PhoneConfig":{"PhoneType":"SOFT_PHONE"}`))
	f.Add(uint8(1), user(sid, rid, `,"PhoneConfig":{"PhoneType":"DESK_PHONE","DeskPhoneNumber":"+15555550100","AfterContactWorkTimeLimit":-1}`))
	f.Add(uint8(1), user(sid, rid, `,"IdentityInfo":{"FirstName":"\u0000","Mobile":"+0"},"Tags":{"":""}`))
	f.Add(uint8(1), user(sid, rid, `,"Password":"Passw0rd!"`))
	f.Add(uint8(1), `{"Username":"a\ud800","SecurityProfileIds":[],"RoutingProfileId":""}`)
	f.Add(uint8(2), user(msid, mrid, `,"Password":"Passw0rd!","PhoneConfig":{"PhoneType":"SOFT_PHONE"}`))
	f.Add(uint8(2), user(msid, mrid, `,"Password":"short"`))
	f.Add(uint8(2), "\xff\xfe{}")
	f.Add(uint8(1), user(`\u0000`, rid, "")) // a 500 on PostgreSQL
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		target := "/instance"
		switch op % 3 {
		case 1:
			target = "/users/" + saml
		case 2:
			target = "/users/" + managed
		}
		r := clientRequest("PUT", target, body)
		r.Header.Set("Content-Type", "application/json")
		if a, _, ok := e.send(r, body, e.root, "connect"); ok {
			checkAnswer(t, fmtJSON, a)
		}
	})
}

// FuzzConnectPaths fuzzes restJson1 routing and labels: any method of the model's, any path
// and query, signed by the account root (a path like ../x or //x authenticates, since the
// signature is made the way the server reads the path). Answers are restJson1 JSON.
func FuzzConnectPaths(f *testing.F) {
	e := fuzzEnv(f)
	admin := e.connect(e.root, "us-east-1")
	inst := newInstance(f, admin, "paths", ctypes.DirectoryTypeSaml)
	f.Add(uint8(0), "/user/federate/"+inst, "")
	f.Add(uint8(0), "/user/federate/..%2F..%2Fetc", "")
	f.Add(uint8(0), "/user/federate/%252e%252e", "")
	f.Add(uint8(0), "//user/federate/"+inst, "")
	f.Add(uint8(0), "/user/federate/"+url.PathEscape("arn:aws:connect:us-east-1:123456789012:instance/"+inst), "")
	f.Add(uint8(0), "/user/federate/a/../"+inst, "")
	f.Add(uint8(0), "/instance", "maxResults=0&nextToken=%FF")
	f.Add(uint8(0), "/users-summary/"+inst, "maxResults=1&nextToken=eA")
	f.Add(uint8(0), "/users/"+inst+"/%00", "")
	f.Add(uint8(1), "/instance/"+inst+"x", "")
	f.Add(uint8(2), "/users/%zz", "")
	f.Add(uint8(3), "/instance", "Action=x")
	// Each of these was a 500 on PostgreSQL (CONNECTFED_FUZZ_POSTGRES=1).
	f.Add(uint8(0), "/users-summary/"+inst, "nextToken=AA")
	f.Add(uint8(0), "/instance", "nextToken=_w")
	f.Add(uint8(1), "/users/"+inst+"/%FF", "")
	f.Fuzz(func(t *testing.T, method uint8, path, query string) {
		m := [...]string{"GET", "DELETE", "PUT", "POST", "PATCH"}[int(method)%5]
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		target := path
		if query != "" {
			target += "?" + query
		}
		r := clientRequest(m, target, "")
		if r == nil {
			return
		}
		a, signed, ok := e.send(r, "", e.root, "connect")
		if !ok {
			return
		}
		format := fmtJSON
		if !signed {
			format = fmtAWS // no signature the server can read: it guesses the client's protocol
		}
		checkAnswer(t, format, a)
	})
}

// FuzzNativeAPI fuzzes the token API's bodies (/federation/v1/refresh, introspect, revoke),
// unsigned and signed, with real tokens among the seeds. Answers are in its envelope.
func FuzzNativeAPI(f *testing.F) {
	e := fuzzEnv(f)
	admin := e.connect(e.root, "us-east-1")
	inst := newInstance(f, admin, "native", ctypes.DirectoryTypeSaml)
	newAgent(f, admin, inst, "agent1")
	alice := e.newAgentUser("alice")
	session, _, err := assume(e, alice, e.newAgentRole(), "agent1", 0)
	if err != nil {
		f.Fatal(err)
	}
	out, err := e.connect(session, "us-east-1").GetFederationToken(context.Background(), &connect.GetFederationTokenInput{InstanceId: aws.String(inst)})
	if err != nil {
		f.Fatal(err)
	}
	access, refresh := aws.ToString(out.Credentials.AccessToken), aws.ToString(out.Credentials.RefreshToken)
	for _, signed := range []bool{false, true} {
		f.Add(uint8(0), tokenBody("refreshToken", refresh), "application/json", signed)
		f.Add(uint8(1), tokenBody("token", access), "application/json", signed)
		f.Add(uint8(1), tokenBody("token", refresh), "application/json; charset=utf-8", signed)
		f.Add(uint8(2), tokenBody("token", access), "application/json", signed)
		f.Add(uint8(2), `{"token":"cfa1_\u0000"}`, "application/json", signed)
		f.Add(uint8(0), `{"refreshToken":"x","refreshToken":"y"}`, "application/json", signed)
		f.Add(uint8(1), `{"token":null} `, "text/plain", signed)
		f.Add(uint8(3), `{}`, "application/json", signed)
		f.Add(uint8(0), "\xff", "application/json; charset=\xff", signed)
	}
	f.Fuzz(func(t *testing.T, endpoint uint8, body, contentType string, signed bool) {
		path := [...]string{"/federation/v1/refresh", "/federation/v1/introspect", "/federation/v1/revoke", "/federation/v1/x"}[int(endpoint)%4]
		r := clientRequest("POST", path, body)
		if contentType != "" {
			r.Header["Content-Type"] = []string{contentType}
		}
		var a answer
		var ok bool
		if signed {
			a, _, ok = e.send(r, body, e.root, "connect")
		} else {
			a, ok = e.sendAsIs(r)
		}
		if ok {
			checkAnswer(t, fmtNative, a)
		}
	})
}
