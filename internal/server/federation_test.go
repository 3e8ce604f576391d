package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/connectfed/connectfed/internal/server"
)

// envelope is the native API's answer.
type envelope struct {
	status  int
	Success bool           `json:"success"`
	Data    map[string]any `json:"data"`
	Error   struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// native posts body to a /federation/v1/ path, signed by signer when it is not nil.
func (e *env) native(t *testing.T, path, body string, signer *aws.Credentials) envelope {
	t.Helper()
	var r *http.Request
	if signer != nil {
		r = e.signed(t, "connect", "POST", path, body, *signer)
	} else {
		r, _ = http.NewRequest("POST", e.url+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	return e.sendNative(t, r)
}

func (e *env) sendNative(t *testing.T, r *http.Request) envelope {
	t.Helper()
	a := do(t, r)
	var out envelope
	if err := json.Unmarshal([]byte(a.body), &out); err != nil {
		t.Fatalf("%s: not an envelope (%v): %q", r.URL.Path, err, a.body)
	}
	out.status = a.status
	return out
}

func wantNativeError(t *testing.T, got envelope, status int, code, msg string) {
	t.Helper()
	if got.status != status || got.Success || got.Error.Code != code || !strings.Contains(got.Error.Message, msg) {
		t.Errorf("got %d %+v, want %d %s containing %q", got.status, got.Error, status, code, msg)
	}
}

func tokenBody(field, tok string) string {
	b, _ := json.Marshal(map[string]string{field: tok})
	return string(b)
}

// federated sets up an instance with agent1 and returns a session of ConnectAgent named agent1
// and the tokens of one GetFederationToken call as that session.
type federated struct {
	instance, userID string
	alice, session   aws.Credentials
	out              *connect.GetFederationTokenOutput
}

func newFederated(t *testing.T, e *env) federated {
	t.Helper()
	admin := e.connect(e.root, "us-east-1")
	f := federated{instance: newInstance(t, admin, "acme", ctypes.DirectoryTypeSaml)}
	f.userID = newAgent(t, admin, f.instance, "agent1")
	f.alice = e.newAgentUser("alice")
	var err error
	f.session, _, err = assume(e, f.alice, e.newAgentRole(), "agent1", 0)
	if err != nil {
		t.Fatal(err)
	}
	f.out = f.federate(t, e, f.session)
	return f
}

func (f federated) federate(t *testing.T, e *env, c aws.Credentials) *connect.GetFederationTokenOutput {
	t.Helper()
	out, err := e.connect(c, "us-east-1").GetFederationToken(context.Background(), &connect.GetFederationTokenInput{InstanceId: aws.String(f.instance)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNativeRefreshRotatesAndDetectsReuse(t *testing.T) {
	e := newEnv(t)
	f := newFederated(t, e)
	first := aws.ToString(f.out.Credentials.RefreshToken)

	got := e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", first), nil)
	if got.status != 200 || !got.Success {
		t.Fatalf("refresh: %d %+v", got.status, got.Error)
	}
	access, second := got.Data["accessToken"].(string), got.Data["refreshToken"].(string)
	if !strings.HasPrefix(access, "cfa1_") || !strings.HasPrefix(second, "cfr1_") || second == first ||
		access == aws.ToString(f.out.Credentials.AccessToken) {
		t.Fatalf("refresh answered %v", got.Data)
	}
	if exp, err := time.Parse(time.RFC3339, got.Data["refreshTokenExpiresAt"].(string)); err != nil ||
		!exp.Equal(aws.ToTime(f.out.Credentials.RefreshTokenExpiration).UTC().Truncate(time.Second)) {
		t.Errorf("the rotated refresh token expires %v, want the family's %v", got.Data["refreshTokenExpiresAt"], f.out.Credentials.RefreshTokenExpiration)
	}
	info := e.native(t, "/federation/v1/introspect", tokenBody("token", access), &e.root)
	if info.Data["active"] != true || info.Data["tokenUse"] != "access" || info.Data["username"] != "agent1" ||
		info.Data["userId"] != f.userID || info.Data["instanceId"] != f.instance {
		t.Errorf("introspect the refreshed access token: %+v", info)
	}
	if spent := e.native(t, "/federation/v1/introspect", tokenBody("token", first), &e.root); spent.Data["active"] != false {
		t.Errorf("a used refresh token introspects as %v", spent.Data)
	}

	// The first refresh token again: a replay. The whole family dies.
	wantNativeError(t, e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", first), nil), 401, "TOKEN_REUSED", "used before")
	wantNativeError(t, e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", second), nil), 401, "TOKEN_REVOKED", "revoked")
	if dead := e.native(t, "/federation/v1/introspect", tokenBody("token", access), &e.root); dead.Data["active"] != false || len(dead.Data) != 1 {
		t.Errorf("after reuse the family's access token introspects as %v", dead.Data)
	}
	// Another family of the same user is untouched.
	other := f.federate(t, e, f.session)
	if got := e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", aws.ToString(other.Credentials.RefreshToken)), nil); !got.Success {
		t.Errorf("another family: %+v", got.Error)
	}
}

func TestNativeIntrospect(t *testing.T) {
	e := newEnv(t)
	f := newFederated(t, e)
	access := aws.ToString(f.out.Credentials.AccessToken)

	got := e.native(t, "/federation/v1/introspect", tokenBody("token", access), &f.alice)
	want := map[string]any{"active": true, "tokenUse": "access", "instanceId": f.instance, "userId": f.userID,
		"username": "agent1", "userArn": aws.ToString(f.out.UserArn)}
	for k, v := range want {
		if got.Data[k] != v {
			t.Errorf("introspect %s = %v, want %v", k, got.Data[k], v)
		}
	}
	if exp, err := time.Parse(time.RFC3339, got.Data["expiresAt"].(string)); err != nil || time.Until(exp) < 59*time.Minute {
		t.Errorf("expiresAt %v", got.Data["expiresAt"])
	}
	refresh := e.native(t, "/federation/v1/introspect", tokenBody("token", aws.ToString(f.out.Credentials.RefreshToken)), &e.root)
	if refresh.Data["tokenUse"] != "refresh" {
		t.Errorf("a refresh token introspects as %v", refresh.Data)
	}

	other := e.otherAccountRoot()
	if got := e.native(t, "/federation/v1/introspect", tokenBody("token", access), &other); got.Data["active"] != false || len(got.Data) != 1 {
		t.Errorf("another account learns %v", got.Data)
	}
	for _, bad := range []string{"cfa1_garbage.x", access[:len(access)-2] + "AA", "x"} {
		if got := e.native(t, "/federation/v1/introspect", tokenBody("token", bad), &e.root); !got.Success || got.Data["active"] != false {
			t.Errorf("introspect %q: %+v", bad, got)
		}
	}
	wantNativeError(t, e.native(t, "/federation/v1/introspect", tokenBody("token", access), nil), 401, "UNAUTHENTICATED", "SigV4")
	wrong := withWrongSecret(e.root)
	wantNativeError(t, e.native(t, "/federation/v1/introspect", tokenBody("token", access), &wrong), 401, "UNAUTHENTICATED", "signature")
}

func TestNativeRevoke(t *testing.T) {
	e := newEnv(t)
	f := newFederated(t, e)
	access, refresh := aws.ToString(f.out.Credentials.AccessToken), aws.ToString(f.out.Credentials.RefreshToken)

	other := e.otherAccountRoot()
	wantNativeError(t, e.native(t, "/federation/v1/revoke", tokenBody("token", access), &other), 403, "FORBIDDEN", "another account")
	wantNativeError(t, e.native(t, "/federation/v1/revoke", tokenBody("token", "cfa1_nope.nope"), nil), 401, "UNAUTHENTICATED", "not a valid")

	// The holder revokes with the access token; the refresh token of the family dies too.
	if got := e.native(t, "/federation/v1/revoke", tokenBody("token", access), nil); got.status != 200 || got.Data["revoked"] != true {
		t.Fatalf("revoke: %d %+v", got.status, got.Error)
	}
	wantNativeError(t, e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", refresh), nil), 401, "TOKEN_REVOKED", "revoked")
	if got := e.native(t, "/federation/v1/introspect", tokenBody("token", access), &e.root); got.Data["active"] != false {
		t.Errorf("a revoked token introspects as %v", got.Data)
	}
	// Revoking again is fine; so is a principal of the account revoking another family.
	if got := e.native(t, "/federation/v1/revoke", tokenBody("token", refresh), nil); !got.Success {
		t.Errorf("revoke again: %+v", got.Error)
	}
	next := f.federate(t, e, f.session)
	if got := e.native(t, "/federation/v1/revoke", tokenBody("token", aws.ToString(next.Credentials.RefreshToken)), &e.root); !got.Success {
		t.Errorf("root revokes: %+v", got.Error)
	}
	wantNativeError(t, e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", aws.ToString(next.Credentials.RefreshToken)), nil), 401, "TOKEN_REVOKED", "")
}

func TestNativeTokenLifecycle(t *testing.T) {
	e := newEnvWith(t, 48*time.Hour)
	ctx := context.Background()
	f := newFederated(t, e)
	admin := e.connect(e.root, "us-east-1")

	// An IAM user federates as the Connect user named like it; deactivating its key ends the tokens.
	newAgent(t, admin, f.instance, "alice")
	byKey := f.federate(t, e, f.alice)
	if _, err := e.iam(e.root).UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"),
		AccessKeyId: aws.String(f.alice.AccessKeyID), Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	wantNativeError(t, e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", aws.ToString(byKey.Credentials.RefreshToken)), nil),
		401, "TOKEN_REVOKED", "AWS credentials")
	if got := e.native(t, "/federation/v1/introspect", tokenBody("token", aws.ToString(byKey.Credentials.AccessToken)), &e.root); got.Data["active"] != false {
		t.Errorf("a token of a deactivated key introspects as %v", got.Data)
	}

	// Deleting the Connect user ends its tokens.
	if _, err := admin.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: aws.String(f.instance), UserId: aws.String(f.userID)}); err != nil {
		t.Fatal(err)
	}
	wantNativeError(t, e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", aws.ToString(f.out.Credentials.RefreshToken)), nil),
		401, "TOKEN_REVOKED", "no longer exists")

	// Time ends them too.
	newAgent(t, admin, f.instance, "agent1")
	fresh := f.federate(t, e, f.session)
	e.clock.Advance(13 * time.Hour)
	wantNativeError(t, e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", aws.ToString(fresh.Credentials.RefreshToken)), nil),
		401, "TOKEN_EXPIRED", "expired")

	// And deleting the instance ends the tokens of all its users.
	e.clock.Advance(-13 * time.Hour)
	fresh = f.federate(t, e, f.session)
	if _, err := admin.DeleteInstance(ctx, &connect.DeleteInstanceInput{InstanceId: aws.String(f.instance)}); err != nil {
		t.Fatal(err)
	}
	wantNativeError(t, e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", aws.ToString(fresh.Credentials.RefreshToken)), nil),
		401, "TOKEN_REVOKED", "no longer exists")
	if got := e.native(t, "/federation/v1/introspect", tokenBody("token", aws.ToString(fresh.Credentials.AccessToken)), &e.root); got.Data["active"] != false {
		t.Errorf("a token of a deleted instance introspects as %v", got.Data)
	}
}

func TestNativeValidation(t *testing.T) {
	e := newEnv(t)
	post := func(path, contentType, body string) envelope {
		r, _ := http.NewRequest("POST", e.url+path, strings.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		return e.sendNative(t, r)
	}
	const refresh = "/federation/v1/refresh"
	wantNativeError(t, post(refresh, "text/plain", `{"refreshToken":"x"}`), 400, "VALIDATION_ERROR", "Content-Type must be application/json")
	wantNativeError(t, post(refresh, "", `{"refreshToken":"x"}`), 400, "VALIDATION_ERROR", "Content-Type")
	wantNativeError(t, post(refresh, "application/json", `{"refreshToken":`), 400, "VALIDATION_ERROR", "not valid JSON")
	wantNativeError(t, post(refresh, "application/json", `{"refreshToken":"x","extra":1}`), 400, "VALIDATION_ERROR", `Unknown field "extra"`)
	wantNativeError(t, post(refresh, "application/json", `{"refreshToken":7}`), 400, "VALIDATION_ERROR", "must be a string, not a number")
	wantNativeError(t, post(refresh, "application/json", ``), 400, "VALIDATION_ERROR", "empty")
	wantNativeError(t, post(refresh, "application/json", `{}`), 400, "VALIDATION_ERROR", `"refreshToken" is required`)
	wantNativeError(t, post(refresh, "application/json", `{"refreshToken":"x"} {}`), 400, "VALIDATION_ERROR", "after its JSON object")
	wantNativeError(t, post(refresh, "application/json", `{"refreshToken":"`+strings.Repeat("a", 20<<10)+`"}`), 400, "VALIDATION_ERROR", "larger than the limit")
	wantNativeError(t, post(refresh, "application/json", `{"refreshToken":"cfr1_bogus.bogus"}`), 401, "UNAUTHENTICATED", "not a valid")
	wantNativeError(t, post("/federation/v1/nothing", "application/json", `{}`), 404, "NOT_FOUND", "No such endpoint")
	r, _ := http.NewRequest("GET", e.url+refresh, nil)
	wantNativeError(t, e.sendNative(t, r), 400, "VALIDATION_ERROR", "takes POST")
}

func TestNativeRateLimit(t *testing.T) {
	// A bucket that refills once in about 17 minutes: a slow machine cannot refill it mid-test.
	e := newEnvConfig(t, server.Config{TokenAPIRate: 0.001, TokenAPIBurst: 2})
	var last envelope
	for range 3 {
		last = e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", "cfr1_x.y"), nil)
	}
	wantNativeError(t, last, 429, "RATE_LIMITED", "Too many requests")
}

// Records of used and revoked tokens go once the tokens they concern have expired.
func TestTokenRecordsPurged(t *testing.T) {
	e := newEnvWith(t, 48*time.Hour)
	f := newFederated(t, e)
	refresh := aws.ToString(f.out.Credentials.RefreshToken)
	if got := e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", refresh), nil); !got.Success {
		t.Fatalf("refresh: %+v", got.Error)
	}
	if n, err := e.conn.PurgeTokenRecords(context.Background()); err != nil || n != 0 {
		t.Fatalf("purge while the tokens live: %d, %v", n, err)
	}
	e.clock.Advance(13 * time.Hour)
	if n, err := e.conn.PurgeTokenRecords(context.Background()); err != nil || n != 1 {
		t.Errorf("purge after the family expired: %d, %v; want the one used refresh token", n, err)
	}
}
