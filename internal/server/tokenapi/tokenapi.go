// Package tokenapi owns connectfed's own token API under /federation/v1/: refresh (with
// rotation), introspection and revocation of the tokens GetFederationToken mints, in the API's
// JSON envelope. It authenticates SigV4 callers through the AWS surface's verifier and leaves
// every rule to the connect domain.
package tokenapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/awsproto"
	"github.com/connectfed/connectfed/internal/connect"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/server/httpx"
	"github.com/connectfed/connectfed/internal/server/limit"
	"github.com/connectfed/connectfed/internal/sigv4"
)

// nativeMaxBody caps a native API body: a token is at most about 1 KiB.
const nativeMaxBody = 16 << 10

// Authenticator checks a request's SigV4 signature over body and says who signed it.
type Authenticator func(r *http.Request, body []byte) (*sigv4.Signed, identity.Principal, error)

// API is the token API.
type API struct {
	connect      *connect.Service
	resp         *httpx.Responder
	limit        *limit.Sources
	now          func() time.Time
	authenticate Authenticator
}

// Service is how the request log and the metrics name the token API and the sign-in pages.
const Service = "federation"

// Operations are the token API's operations, for the metrics' labels.
var Operations = []string{"Refresh", "Introspect", "Revoke"}

// New returns the token API over the connect domain; limiter bounds each source's requests
// (nil: no bound).
func New(conn *connect.Service, resp *httpx.Responder, limiter *limit.Sources, now func() time.Time, auth Authenticator) *API {
	return &API{connect: conn, resp: resp, limit: limiter, now: now, authenticate: auth}
}

// ServeHTTP answers the token API, in its envelope.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ri := httpx.From(r.Context())
	ri.Protocol = awsproto.Native
	var handle func(http.ResponseWriter, *http.Request, []byte)
	switch r.URL.Path {
	case "/federation/v1/refresh":
		ri.Service, ri.Operation, handle = Service, "Refresh", a.refresh
	case "/federation/v1/introspect":
		ri.Service, ri.Operation, handle = Service, "Introspect", a.introspect
	case "/federation/v1/revoke":
		ri.Service, ri.Operation, handle = Service, "Revoke", a.revoke
	default:
		a.resp.Fail(w, ri, apierr.New(apierr.NoSuchEntity, "No such endpoint: %s. The token API has /federation/v1/refresh, /introspect and /revoke.", r.URL.Path))
		return
	}
	if !a.limit.Allow(r, a.now()) {
		w.Header().Set("Retry-After", "1")
		a.resp.Fail(w, ri, apierr.New(apierr.RateLimited, "Too many requests from this address to the token API; slow down."))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		a.resp.Fail(w, ri, apierr.New(apierr.NativeValidation, "%s takes POST, not %s.", r.URL.Path, r.Method))
		return
	}
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/json" {
		a.resp.Fail(w, ri, apierr.New(apierr.NativeValidation, "Content-Type must be application/json."))
		return
	}
	body, err := httpx.ReadBody(w, r, nativeMaxBody)
	if apierr.Is(err, apierr.RequestTooLarge) {
		err = apierr.New(apierr.NativeValidation, "The request body is larger than the limit of %d bytes.", nativeMaxBody)
	}
	if err != nil {
		a.resp.Fail(w, ri, err)
		return
	}
	handle(w, r, body)
}

// decodeNative reads a JSON object with exactly the fields of v, and requires field.
func decodeNative(body []byte, v any, field string, value *string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := "The request body is not valid JSON: " + httpx.JSONProblem(err) + "."
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			msg = "Unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + "; the body takes only \"" + field + "\"."
		} else if errors.Is(err, io.EOF) {
			msg = "The request body is empty; it takes {\"" + field + "\": \"...\"}."
		}
		return apierr.New(apierr.NativeValidation, "%s", msg)
	}
	if dec.More() {
		return apierr.New(apierr.NativeValidation, "The request body has data after its JSON object.")
	}
	if *value == "" {
		return apierr.New(apierr.NativeValidation, "The field %q is required.", field)
	}
	return nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (a *API) refresh(w http.ResponseWriter, r *http.Request, body []byte) {
	ri := httpx.From(r.Context())
	var in struct {
		RefreshToken string `json:"refreshToken"`
	}
	if err := decodeNative(body, &in, "refreshToken", &in.RefreshToken); err != nil {
		a.resp.Fail(w, ri, err)
		return
	}
	out, err := a.connect.Refresh(r.Context(), in.RefreshToken)
	if out.Subject.UserARN != "" {
		ri.Principal, ri.Account = out.Subject.UserARN, out.Subject.AccountID
	}
	if err != nil {
		a.resp.Fail(w, ri, err)
		return
	}
	awsproto.WriteNative(w, map[string]any{
		"accessToken": out.AccessToken, "accessTokenExpiresAt": rfc3339(out.AccessTokenExpiration),
		"refreshToken": out.RefreshToken, "refreshTokenExpiresAt": rfc3339(out.RefreshTokenExpiration),
	})
}

// introspect needs a SigV4 signature: only a principal of the token's account may learn
// whose it is.
func (a *API) introspect(w http.ResponseWriter, r *http.Request, body []byte) {
	ri := httpx.From(r.Context())
	p, tok, ok := a.tokenRequest(w, r, body, true)
	if !ok {
		return
	}
	got, active, err := a.connect.Introspect(r.Context(), *p, tok)
	if err != nil {
		a.resp.Fail(w, ri, err)
		return
	}
	if !active {
		awsproto.WriteNative(w, map[string]any{"active": false})
		return
	}
	c := got.Claims
	awsproto.WriteNative(w, map[string]any{
		"active": true, "tokenUse": c.Kind.String(), "instanceId": c.InstanceID, "userId": c.UserID,
		"username": got.Username, "userArn": got.UserARN,
		"issuedAt": rfc3339(c.IssuedAt), "expiresAt": rfc3339(c.ExpiresAt),
	})
}

// revoke lets the holder of a token revoke its family, unsigned; a signed request is
// checked and then acts for its principal.
func (a *API) revoke(w http.ResponseWriter, r *http.Request, body []byte) {
	ri := httpx.From(r.Context())
	p, tok, ok := a.tokenRequest(w, r, body, false)
	if !ok {
		return
	}
	who, err := a.connect.Revoke(r.Context(), p, tok)
	if who.UserARN != "" {
		ri.Principal, ri.Account = who.UserARN, who.AccountID
	}
	if err != nil {
		a.resp.Fail(w, ri, err)
		return
	}
	awsproto.WriteNative(w, map[string]any{"revoked": true})
}

// tokenRequest reads a {"token": ...} request and its SigV4 caller (see nativeCaller).
func (a *API) tokenRequest(w http.ResponseWriter, r *http.Request, body []byte, signed bool) (*identity.Principal, string, bool) {
	p, ok := a.nativeCaller(w, r, body, signed)
	if !ok {
		return nil, "", false
	}
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeNative(body, &in, "token", &in.Token); err != nil {
		a.resp.Fail(w, httpx.From(r.Context()), err)
		return nil, "", false
	}
	return p, in.Token, true
}

// nativeCaller authenticates a SigV4-signed native request. An unsigned one is nil, which is
// refused when required. Authentication failures answer UNAUTHENTICATED with AWS's reason.
func (a *API) nativeCaller(w http.ResponseWriter, r *http.Request, body []byte, required bool) (*identity.Principal, bool) {
	ri := httpx.From(r.Context())
	_, p, err := a.authenticate(r, body)
	if apierr.Is(err, apierr.MissingAuthenticationToken) && !required {
		return nil, true
	}
	if apierr.Is(err, apierr.MissingAuthenticationToken) {
		a.resp.Fail(w, ri, apierr.New(apierr.Unauthenticated, "Sign this request with AWS SigV4 as a principal of the token's account."))
		return nil, false
	}
	if err != nil {
		e := apierr.Of(err)
		if e.Code != apierr.InternalFailure {
			e = apierr.New(apierr.Unauthenticated, "%s", e.Text())
		}
		a.resp.Fail(w, ri, e)
		return nil, false
	}
	ri.Principal = p.ARN
	return &p, true
}
