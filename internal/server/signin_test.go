package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconnect "github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/connectfed/connectfed/internal/server"
	"github.com/connectfed/connectfed/internal/token"
)

// webPage is one answer of the sign-in pages, after any redirects.
type webPage struct {
	status int
	header http.Header
	body   string
	url    *url.URL
}

// browser is a plain HTTP client that does what a browser does for these pages, and no more:
// it follows redirects and keeps cookies. No script runs.
type browser struct {
	t      *testing.T
	client *http.Client
	jar    *cookiejar.Jar
}

func newBrowser(t *testing.T, base *http.Client) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	if base != nil {
		c.Transport = base.Transport
	}
	return &browser{t: t, client: c, jar: jar}
}

func (b *browser) do(method, u string) webPage {
	b.t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return webPage{status: resp.StatusCode, header: resp.Header, body: string(body), url: resp.Request.URL}
}

func (b *browser) get(u string) webPage { b.t.Helper(); return b.do(http.MethodGet, u) }

// session is the session cookie the browser holds for base, or "".
func (b *browser) session(base string) string {
	u, _ := url.Parse(base + "/federation/")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "connectfed_session" {
			return c.Value
		}
	}
	return ""
}

// noRedirects answers the first response as is, to look at a redirect itself.
func noRedirects(base *http.Client) *http.Client {
	c := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if base != nil {
		c.Transport = base.Transport
	}
	return c
}

// wantPage checks a page's status, that it is HTML, and that it says each of want.
func wantPage(t *testing.T, what string, p webPage, status int, want ...string) {
	t.Helper()
	if p.status != status {
		t.Errorf("%s: status %d, want %d; body:\n%s", what, p.status, status, p.body)
	}
	if ct := p.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Errorf("%s: the page does not say %q:\n%s", what, w, p.body)
		}
	}
	for _, never := range []string{"goroutine", "panic", ".go:", "cfs1_", "cfb1_", "cfa1_", "cfr1_", "<script"} {
		if strings.Contains(p.body, never) {
			t.Errorf("%s: the page shows %q:\n%s", what, never, p.body)
		}
	}
}

// linkToken returns the sign-in token of a SignInUrl.
func linkToken(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	tok := u.Query().Get("token")
	if !strings.HasPrefix(tok, token.SignInPrefix) || u.Path != "/federation/signin" {
		t.Fatalf("SignInUrl %q does not carry a sign-in token to /federation/signin", link)
	}
	return tok
}

// tampered returns link with one character of its token changed.
func tampered(t *testing.T, link string) string {
	t.Helper()
	tok := linkToken(t, link)
	b := []byte(tok)
	i := len(token.SignInPrefix) + 20 // inside the payload
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return strings.Replace(link, tok, string(b), 1)
}

func TestSignInWithAPlainHTTPClient(t *testing.T) {
	e := newEnv(t)
	f := newFederated(t, e)
	link := aws.ToString(f.out.SignInUrl)
	linkToken(t, link)
	b := newBrowser(t, nil)

	signedIn := b.get(link)
	ends := aws.ToTime(f.out.Credentials.RefreshTokenExpiration).UTC().Truncate(time.Second).Format(time.RFC3339)
	wantPage(t, "open the link", signedIn, 200, "Signed in", "agent1", "acme", f.instance,
		aws.ToString(f.out.UserArn), ends, `<form method="post" action="/federation/signout">`, "Sign out")
	if signedIn.url.Path != "/federation/session" || signedIn.url.RawQuery != "" {
		t.Errorf("landed on %s, want /federation/session without the token", signedIn.url)
	}
	session := b.session(e.url)
	if !strings.HasPrefix(session, token.SessionPrefix) {
		t.Fatalf("session cookie %q, want a %s token", session, token.SessionPrefix)
	}
	if strings.Contains(signedIn.body, session) {
		t.Error("the page shows the session token")
	}

	// Reloading stays signed in.
	wantPage(t, "reload", b.get(e.url+"/federation/session"), 200, "agent1", aws.ToString(f.out.UserArn))

	// The session is its own kind: introspection calls it a session, of agent1.
	if got := e.native(t, "/federation/v1/introspect", tokenBody("token", session), &e.root); got.Data["active"] != true ||
		got.Data["tokenUse"] != "session" || got.Data["username"] != "agent1" {
		t.Errorf("introspect the session: %+v", got.Data)
	}

	// Sign out: a page that says so, and no session left, in the browser or on the server.
	out := b.do(http.MethodPost, e.url+"/federation/signout")
	wantPage(t, "sign out", out, 200, "You have signed out")
	if out.url.Path != "/federation/signed-out" {
		t.Errorf("signed out on %s", out.url)
	}
	if c := b.session(e.url); c != "" {
		t.Errorf("after sign-out the browser still holds the cookie %q", c)
	}
	wantPage(t, "after sign-out", b.get(e.url+"/federation/session"), 401, "You are not signed in", "no session")
	replay := newBrowser(t, nil)
	u, _ := url.Parse(e.url)
	replay.jar.SetCookies(u, []*http.Cookie{{Name: "connectfed_session", Value: session, Path: "/federation/"}})
	wantPage(t, "a copy of the signed-out cookie", replay.get(e.url+"/federation/session"), 401, "You are not signed in", "signed out")
	// Signing out leaves the API tokens of the family alone.
	if got := e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", aws.ToString(f.out.Credentials.RefreshToken)), nil); !got.Success {
		t.Errorf("refresh after a browser sign-out: %+v", got.Error)
	}

	// The link works once.
	again := b.get(link)
	wantPage(t, "the link again", again, 401, "Sign-in failed", "This sign-in link was already used.")
	if again.url.RawQuery == "" || again.url.Path != "/federation/signin" {
		t.Errorf("a refused link answered from %s", again.url)
	}
	// ... without revoking the family, as a reused refresh token would.
	if got := e.native(t, "/federation/v1/introspect", tokenBody("token", aws.ToString(f.out.Credentials.AccessToken)), &e.root); got.Data["active"] != true {
		t.Errorf("after a reused link, the access token introspects as %v", got.Data)
	}
}

func TestSignInLinkRefused(t *testing.T) {
	e := newEnvWith(t, 48*time.Hour) // the clock moves; SDK signatures must still pass
	f := newFederated(t, e)
	ctx := context.Background()
	admin := e.connect(e.root, "us-east-1")
	open := func(what, link string, status int, want ...string) {
		t.Helper()
		p := newBrowser(t, nil).get(link)
		wantPage(t, what, p, status, want...)
		if h := p.header.Get("Set-Cookie"); h != "" {
			t.Errorf("%s: a refused link sets a cookie: %s", what, h)
		}
	}

	open("a tampered link", tampered(t, aws.ToString(f.out.SignInUrl)), 401, "Sign-in failed", "This sign-in link is not valid.")
	open("garbage", e.url+"/federation/signin?token=hello", 401, "This sign-in link is not valid.")
	open("another kind of token", e.url+"/federation/signin?token="+aws.ToString(f.out.Credentials.AccessToken), 401, "This sign-in link is not valid.")
	open("no token", e.url+"/federation/signin", 400, "Sign-in failed", "no token")
	open("an empty token", e.url+"/federation/signin?token=", 400, "no token")

	revoked := f.federate(t, e, f.session)
	if got := e.native(t, "/federation/v1/revoke", tokenBody("token", aws.ToString(revoked.Credentials.AccessToken)), nil); !got.Success {
		t.Fatalf("revoke: %+v", got.Error)
	}
	open("a link of a revoked family", aws.ToString(revoked.SignInUrl), 401, "Sign-in failed", "revoked")

	expired := f.federate(t, e, f.session)
	e.clock.Advance(16 * time.Minute)
	open("an expired link", aws.ToString(expired.SignInUrl), 401, "Sign-in failed", "This sign-in link has expired.")

	gone := f.federate(t, e, f.session)
	if _, err := admin.DeleteUser(ctx, &awsconnect.DeleteUserInput{InstanceId: aws.String(f.instance), UserId: aws.String(f.userID)}); err != nil {
		t.Fatal(err)
	}
	open("a link of a deleted user", aws.ToString(gone.SignInUrl), 401, "Sign-in failed", "no longer exists")
}

// TestSessionEndsWithItsFamily: the browser session is no more than the API session it came
// from. Revoking the family, or reaching its end, signs the browser out.
func TestSessionEndsWithItsFamily(t *testing.T) {
	e := newEnvWith(t, 48*time.Hour)
	f := newFederated(t, e)

	b := newBrowser(t, nil)
	wantPage(t, "sign in", b.get(aws.ToString(f.out.SignInUrl)), 200, "agent1")
	if got := e.native(t, "/federation/v1/revoke", tokenBody("token", aws.ToString(f.out.Credentials.RefreshToken)), nil); !got.Success {
		t.Fatalf("revoke: %+v", got.Error)
	}
	wantPage(t, "after revocation", b.get(e.url+"/federation/session"), 401, "You are not signed in", "revoked")
	if c := b.session(e.url); c != "" {
		t.Error("a revoked session's cookie was not dropped")
	}

	later := f.federate(t, e, f.session)
	b = newBrowser(t, nil)
	wantPage(t, "sign in again", b.get(aws.ToString(later.SignInUrl)), 200, "agent1")
	e.clock.Advance(11 * time.Hour)
	wantPage(t, "11 hours on", b.get(e.url+"/federation/session"), 200, "agent1")
	e.clock.Advance(time.Hour + time.Second)
	wantPage(t, "past the family's end", b.get(e.url+"/federation/session"), 401, "You are not signed in", "Your session has ended.")
}

func TestSignInCookie(t *testing.T) {
	e := newEnv(t)
	f := newFederated(t, e)

	check := func(what string, client *http.Client, link string, secure bool) {
		t.Helper()
		resp, err := noRedirects(client).Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/federation/session" {
			t.Fatalf("%s: %d to %q, want 303 to /federation/session", what, resp.StatusCode, resp.Header.Get("Location"))
		}
		wantSecurityHeaders(t, what+" redirect", resp.Header)
		cookies := resp.Cookies()
		if len(cookies) != 1 {
			t.Fatalf("%s: cookies %v", what, resp.Header.Values("Set-Cookie"))
		}
		c := cookies[0]
		raw := resp.Header.Get("Set-Cookie")
		if c.Name != "connectfed_session" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/federation/" ||
			c.Secure != secure || !strings.Contains(raw, "SameSite=Lax") {
			t.Errorf("%s: cookie %s; want HttpOnly, SameSite=Lax, Path=/federation/, Secure %v", what, raw, secure)
		}
		// The cookie lives as long as the family: the refresh token's 12 hours.
		if c.MaxAge < int((12*time.Hour-time.Minute)/time.Second) || c.MaxAge > int(12*time.Hour/time.Second) {
			t.Errorf("%s: Max-Age %d, want about 12 hours", what, c.MaxAge)
		}
		if c.Domain != "" {
			t.Errorf("%s: cookie for domain %q; a host-only cookie is narrower", what, c.Domain)
		}
	}
	check("plain HTTP", nil, aws.ToString(f.out.SignInUrl), false)

	// The same server behind TLS: the cookie is Secure, and the flow works as well.
	ts := httptest.NewTLSServer(e.handler)
	t.Cleanup(ts.Close)
	overTLS := func() string {
		tok := linkToken(t, aws.ToString(f.federate(t, e, f.session).SignInUrl))
		return ts.URL + "/federation/signin?token=" + tok
	}
	check("TLS", ts.Client(), overTLS(), true)
	b := newBrowser(t, ts.Client())
	wantPage(t, "sign in over TLS", b.get(overTLS()), 200, "agent1")
	wantPage(t, "reload over TLS", b.get(ts.URL+"/federation/session"), 200, "agent1")
	out, err := noRedirects(ts.Client()).Post(ts.URL+"/federation/signout", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if cs := out.Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 || !cs[0].Secure || cs[0].Path != "/federation/" {
		t.Errorf("sign-out over TLS: %v, want the cookie expired", out.Header.Values("Set-Cookie"))
	}
}

// wantSecurityHeaders checks what every answer of the sign-in pages carries.
func wantSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	for k, v := range map[string]string{
		"Cache-Control":          "no-store",
		"Referrer-Policy":        "no-referrer",
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
	} {
		if h.Get(k) != v {
			t.Errorf("%s: %s %q, want %q", what, k, h.Get(k), v)
		}
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q lacks %q", what, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "script-src") {
		t.Errorf("%s: Content-Security-Policy %q is not strict", what, csp)
	}
}

var styleElement = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

func TestSignInPagesHeaders(t *testing.T) {
	e := newEnv(t)
	f := newFederated(t, e)
	b := newBrowser(t, nil)
	pages := map[string]webPage{
		"signed in":     b.get(aws.ToString(f.out.SignInUrl)),
		"signed out":    b.get(e.url + "/federation/signed-out"),
		"error":         b.get(aws.ToString(f.out.SignInUrl)),
		"not signed in": b.get(e.url + "/federation/session"),
	}
	for what, p := range pages {
		wantSecurityHeaders(t, what, p.header)
		// The inline style is allowed by its hash, so it must hash to what the policy names.
		m := styleElement.FindStringSubmatch(p.body)
		if m == nil {
			t.Errorf("%s: no style", what)
			continue
		}
		sum := sha256.Sum256([]byte(m[1]))
		if want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(p.header.Get("Content-Security-Policy"), want) {
			t.Errorf("%s: Content-Security-Policy %q does not allow the page's style (%s)", what, p.header.Get("Content-Security-Policy"), want)
		}
	}
}

func TestSignInPagesMethodsAndPaths(t *testing.T) {
	e := newEnv(t)
	f := newFederated(t, e)
	link := aws.ToString(f.out.SignInUrl)
	b := newBrowser(t, nil)

	for _, c := range []struct{ method, path, allow string }{
		{http.MethodPost, "/federation/signin", "GET"},
		{http.MethodPut, "/federation/session", "GET, HEAD"},
		{http.MethodGet, "/federation/signout", "POST"},
		{http.MethodDelete, "/federation/signed-out", "GET, HEAD"},
	} {
		p := b.do(c.method, e.url+c.path)
		wantPage(t, c.method+" "+c.path, p, 405, "Method not allowed")
		if p.header.Get("Allow") != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, p.header.Get("Allow"), c.allow)
		}
		wantSecurityHeaders(t, c.method+" "+c.path, p.header)
	}
	// A link checker's HEAD (or a POST) does not spend the link.
	if p := b.do(http.MethodHead, link); p.status != 405 {
		t.Errorf("HEAD the link: %d, want 405", p.status)
	}
	if p := b.do(http.MethodPost, link); p.status != 405 {
		t.Errorf("POST the link: %d, want 405", p.status)
	}
	wantPage(t, "the link after HEAD and POST", b.get(link), 200, "agent1")
	if p := b.do(http.MethodHead, e.url+"/federation/session"); p.status != 200 || p.body != "" {
		t.Errorf("HEAD the session page: %d %q", p.status, p.body)
	}

	wantPage(t, "an unknown page", b.get(e.url+"/federation/nothing"), 404, "Page not found")
	// The token API is still the token API.
	wantNativeError(t, e.native(t, "/federation/v1/refresh", tokenBody("refreshToken", "cfr1_x.y"), nil), 401, "UNAUTHENTICATED", "")

	// Signing out without a session still lands on the signed-out page.
	wantPage(t, "sign out without a session", newBrowser(t, nil).do(http.MethodPost, e.url+"/federation/signout"), 200, "You have signed out")
	// A garbage cookie is no session, and is dropped.
	g := newBrowser(t, nil)
	u, _ := url.Parse(e.url)
	g.jar.SetCookies(u, []*http.Cookie{{Name: "connectfed_session", Value: "cfb1_nope.nope", Path: "/federation/"}})
	wantPage(t, "a garbage cookie", g.get(e.url+"/federation/session"), 401, "You are not signed in")
	if g.session(e.url) != "" {
		t.Error("a garbage session cookie was not dropped")
	}
}

// TestSignInLinkOpenedConcurrently: of several openings of one link at once, exactly one gets
// a session.
func TestSignInLinkOpenedConcurrently(t *testing.T) {
	e := newEnv(t)
	f := newFederated(t, e)
	link := aws.ToString(f.out.SignInUrl)
	const n = 6
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := noRedirects(nil).Get(link)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	won := 0
	for _, s := range statuses {
		switch s {
		case http.StatusSeeOther:
			won++
		case http.StatusUnauthorized:
		default:
			t.Errorf("status %d", s)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d openings signed in (%v), want exactly 1", won, n, statuses)
	}
}

// newEnvLogged is newEnv with the server's log written to w. closeStore closes its store
// under it, to see how the pages fail.
func newEnvLogged(t *testing.T, w io.Writer) (e *env, closeStore func()) {
	t.Helper()
	e = newEnvConfig(t, server.Config{Logger: slog.New(slog.NewTextHandler(w, nil))})
	return e, func() { e.store.Close() }
}

// syncBuffer is a bytes.Buffer the server's goroutines may write while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSignInTokensNeverLogged(t *testing.T) {
	var log syncBuffer
	e, _ := newEnvLogged(t, &log)
	f := newFederated(t, e)
	link := aws.ToString(f.out.SignInUrl)
	signIn := linkToken(t, link)

	b := newBrowser(t, nil)
	wantPage(t, "sign in", b.get(link), 200, "agent1")
	session := b.session(e.url)
	wantPage(t, "reload", b.get(e.url+"/federation/session"), 200, "agent1")
	wantPage(t, "sign out", b.do(http.MethodPost, e.url+"/federation/signout"), 200)
	wantPage(t, "the link again", b.get(link), 401)
	wantPage(t, "a tampered link", b.get(tampered(t, link)), 401)

	got := log.String()
	for _, secret := range []string{signIn, session, "cfs1_", "cfb1_", "token=", url.QueryEscape(signIn)} {
		if secret != "" && strings.Contains(got, secret) {
			t.Errorf("the log holds %.12q...:\n%s", secret, got)
		}
	}
	for _, want := range []string{"path=/federation/signin ", "operation=SignIn", "status=303", "status=401",
		"path=/federation/session ", "operation=SignOut", "principal=" + aws.ToString(f.out.UserArn)} {
		if !strings.Contains(got, want) {
			t.Errorf("the log lacks %q:\n%s", want, got)
		}
	}
	if session == "" {
		t.Error("no session cookie to look for")
	}
}

// TestSignInStoreFailure: a failure of the server (here its store gone) shows a generic page with
// the request id, never its detail, which goes to the log; an unreachable store is a 503, which
// says to try again.
func TestSignInStoreFailure(t *testing.T) {
	var log syncBuffer
	e, closeStore := newEnvLogged(t, &log)
	f := newFederated(t, e)
	b := newBrowser(t, nil)
	wantPage(t, "sign in", b.get(aws.ToString(f.out.SignInUrl)), 200, "agent1")
	closeStore()
	p := b.get(e.url + "/federation/session")
	id := p.header.Get("X-Amzn-Requestid")
	if id == "" {
		t.Fatal("no request id")
	}
	wantPage(t, "the store gone", p, 503, "Something went wrong", "Try again", id)
	for _, detail := range []string{"store", "sql", "closed", "connect:", "Exception"} {
		if strings.Contains(p.body, detail) {
			t.Errorf("the page shows %q:\n%s", detail, p.body)
		}
	}
	if b.session(e.url) == "" {
		t.Error("a failure to check the session dropped the cookie")
	}
	if got := log.String(); !strings.Contains(got, `msg="store unavailable" request_id=`+id) {
		t.Errorf("the log lacks the failure:\n%s", got)
	}
}

// The signed-in page shows what the user's security profiles grant, as they change, and the
// instance's approved origins, and only they, may frame it.
func TestAgentPageFollowsProfilesAndOrigins(t *testing.T) {
	e := newEnv(t)
	f := newFederated(t, e)
	admin := e.connect(e.root, "us-east-1")
	ctx := context.Background()
	b := newBrowser(t, nil)

	page := b.get(aws.ToString(f.out.SignInUrl))
	wantPage(t, "an agent", page, 200, `<code>BasicAgentAccess</code>, <code>OutboundCallAccess</code>`,
		`id="ccp"`, "with outbound calls")
	wantSecurityHeaders(t, "no approved origin", page.header)

	// A profile without BasicAgentAccess: no Contact Control Panel on the next load.
	analyst, _ := profileIDs(t, admin, f.instance, "QualityAnalyst", "Basic Routing Profile")
	if _, err := admin.UpdateUserSecurityProfiles(ctx, &awsconnect.UpdateUserSecurityProfilesInput{InstanceId: aws.String(f.instance),
		UserId: aws.String(f.userID), SecurityProfileIds: []string{analyst}}); err != nil {
		t.Fatal(err)
	}
	page = b.get(e.url + "/federation/session")
	wantPage(t, "an analyst", page, 200, `id="no-ccp"`, "<code>AccessMetrics</code>")
	if strings.Contains(page.body, `id="ccp"`) {
		t.Error("an analyst's page offers the Contact Control Panel")
	}

	// Approved origins may frame the page; nothing else may, and nothing but origins reaches
	// the policy.
	for _, o := range []string{"https://crm.example.com", "http://localhost:3000"} {
		if _, err := admin.AssociateApprovedOrigin(ctx, &awsconnect.AssociateApprovedOriginInput{InstanceId: aws.String(f.instance), Origin: aws.String(o)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := admin.AssociateApprovedOrigin(ctx, &awsconnect.AssociateApprovedOriginInput{InstanceId: aws.String(f.instance),
		Origin: aws.String("https://evil.example.com;script-src")})
	wantAPIError(t, err, "InvalidParameterException", 400, "is not an origin")
	page = b.get(e.url + "/federation/session")
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors http://localhost:3000 https://crm.example.com;") || page.header.Get("X-Frame-Options") != "" {
		t.Errorf("framed page: Content-Security-Policy %q, X-Frame-Options %q", csp, page.header.Get("X-Frame-Options"))
	}
	// Error pages stay unframeable.
	wantSecurityHeaders(t, "an error page", newBrowser(t, nil).get(e.url+"/federation/session").header)
}

// postFormFrom posts a form as a browser does, saying the page it comes from (its Origin,
// none when "").
func (b *browser) postFormFrom(u string, form url.Values, origin string) webPage {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return webPage{status: resp.StatusCode, header: resp.Header, body: string(body), url: resp.Request.URL}
}

// A CONNECT_MANAGED instance's agent signs in with its password, as on Connect's own login page;
// a wrong password and an unknown username are refused alike, and guessing is slowed.
func TestPasswordSignIn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.connect(e.root, "us-east-1")
	inst, err := admin.CreateInstance(ctx, &awsconnect.CreateInstanceInput{IdentityManagementType: "CONNECT_MANAGED",
		InstanceAlias: aws.String("managed"), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	sp, rp := profileIDs(t, admin, aws.ToString(inst.Id), "Agent", "Basic Routing Profile")
	const password = "Corr3ct-Horse-Battery"
	user, err := admin.CreateUser(ctx, &awsconnect.CreateUserInput{InstanceId: inst.Id, Username: aws.String("agent1"),
		Password: aws.String(password), SecurityProfileIds: []string{sp}, RoutingProfileId: aws.String(rp),
		PhoneConfig: &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(inst.Arn)
	login := e.url + "/federation/login"
	b := newBrowser(t, nil)

	form := b.get(login + "?instance=" + url.QueryEscape(arn))
	wantPage(t, "the form", form, 200, `<form method="post" action="/federation/login">`, aws.ToString(inst.Id), `type="password"`)
	wantSecurityHeaders(t, "the form", form.header)

	attempt := func(username, pw string) webPage {
		t.Helper()
		return b.postFormFrom(login, url.Values{"instance": {arn}, "username": {username}, "password": {pw}}, e.url)
	}
	for what, p := range map[string]webPage{
		"a wrong password":   attempt("agent1", "Wr0ng-password"),
		"an unknown user":    attempt("nobody", password),
		"another's password": attempt("Agent1", password), // usernames are case-sensitive
	} {
		wantPage(t, what, p, 401, "The username or password is incorrect.")
		if strings.Contains(p.body, "Wr0ng-password") || strings.Contains(p.body, password) {
			t.Errorf("%s: the page shows the password", what)
		}
		if b.session(e.url) != "" {
			t.Errorf("%s: signed in", what)
		}
	}

	signedIn := attempt("agent1", password)
	wantPage(t, "the right password", signedIn, 200, "Signed in", "agent1", "managed", "<code>BasicAgentAccess</code>")
	if signedIn.url.Path != "/federation/session" {
		t.Errorf("landed on %s", signedIn.url)
	}
	// The session ends with its user.
	if _, err := admin.DeleteUser(ctx, &awsconnect.DeleteUserInput{InstanceId: inst.Id, UserId: user.UserId}); err != nil {
		t.Fatal(err)
	}
	wantPage(t, "after the user is deleted", b.get(e.url+"/federation/session"), 401, "no longer exists")

	// Another site's form, and an instance that is not CONNECT_MANAGED, are refused.
	wantPage(t, "a cross-site post", b.postFormFrom(login, url.Values{"instance": {arn}, "username": {"agent1"}, "password": {password}},
		"https://evil.example.com"), 403, "posted from another site")
	samlInst := newInstance(t, admin, "saml", ctypes.DirectoryTypeSaml)
	wantPage(t, "a SAML instance", b.postForm(login, url.Values{"instance": {"arn:aws:connect:us-east-1:" + testAccount + ":instance/" + samlInst},
		"username": {"agent1"}, "password": {password}}), 400, "signs its agents in through SAML, not with a password")

	// Guessing is slowed: the burst is spent, and the next attempt waits.
	var last webPage
	for range 12 {
		last = attempt("agent1", "Wr0ng-password")
	}
	wantPage(t, "the guess past the burst", last, 429, "Too many sign-in attempts")
	if last.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}
