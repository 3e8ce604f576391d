// Package signin owns the browser pages behind SignInUrl: the sign-in link that trades its
// one-time token for a session cookie, the signed-in page, sign-out, and the error pages every
// failure under /federation/ ends on. The connect domain decides who may sign in.
package signin

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/connect"
	"github.com/connectfed/connectfed/internal/identity"
	"github.com/connectfed/connectfed/internal/server/httpx"
	"github.com/connectfed/connectfed/internal/server/limit"
)

// The browser sign-in behind SignInUrl. Opening the link trades its one-time sign-in token for
// a session cookie and redirects, so the token leaves the address bar and the history at once;
// every later page reads the cookie. Everything works without script: a plain HTTP client that
// follows redirects and keeps cookies signs in as a browser does.
const (
	signInPage    = connect.SignInPath // GET ?token=...: sign in, then 303 to sessionPage
	sessionPage   = "/federation/session"
	signOutPath   = "/federation/signout" // POST: end the session, then 303 to signedOutPage
	signedOutPage = "/federation/signed-out"

	// sessionCookie holds the session token. Its path keeps it off every request but the
	// sign-in pages': the AWS API on the same origin never sees it.
	sessionCookie = "connectfed_session"
	cookiePath    = "/federation/"
)

// Service is how the request log and the metrics name the sign-in pages: with the token API,
// the federation side of the server.
const Service = "federation"

// Operations are the pages' operations, for the metrics' labels.
var Operations = []string{"SignIn", "SignInForm", "PasswordSignIn", "Session", "SignOut", "SignedOut", "SAMLSignIn"}

// pageCSS is the pages' only style, inline so a page is one request; the
// Content-Security-Policy allows exactly this text by its hash.
const pageCSS = `body{font:16px/1.5 system-ui,sans-serif;color:#1b1f24;background:#f4f5f7;margin:0}` +
	`main{max-width:40rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}` +
	`h1{font-size:1.5rem;margin:0 0 1rem}.brand{margin:0 0 .5rem;color:#5b6470;font-size:.875rem;letter-spacing:.05em}` +
	`dl{display:grid;grid-template-columns:max-content 1fr;gap:.5rem 1rem}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}` +
	`code{font-size:.875rem}.muted{color:#5b6470}.reason{font-size:1.125rem}` +
	`button{font:inherit;padding:.5rem 1.25rem;border:0;border-radius:6px;background:#1f5fbf;color:#fff;cursor:pointer}`

//go:embed signin.html
var signInHTML string

var (
	pageTemplates = template.Must(template.New("signin").Parse(signInHTML))

	// pageCSP allows nothing but the inline style above and forms posting back here: no
	// script, no images, no frames, no other origin.
	pageCSP = func() string {
		sum := sha256.Sum256([]byte(pageCSS))
		return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	}()
)

// Pages serves the sign-in pages.
type Pages struct {
	connect  *connect.Service
	identity *identity.Service
	resp     *httpx.Responder
	now      func() time.Time
	// loginLimit slows password guessing, per source address.
	loginLimit *limit.Sources
}

// New returns the pages over the connect and identity domains; both may be nil for a server
// that can only answer with error pages (one still starting).
func New(conn *connect.Service, ids *identity.Service, resp *httpx.Responder, now func() time.Time) *Pages {
	return &Pages{connect: conn, identity: ids, resp: resp, now: now, loginLimit: newLoginLimit()}
}

// pageData is what the templates of signin.html read.
type pageData struct {
	Title string
	CSS   template.CSS
	// Session, Instance (its alias, or its id when it has none) and Ends (UTC, ISO 8601) are
	// for the signed-in page.
	Session  connect.Session
	Instance string
	Ends     string
	// Reason, Hint and RequestID are for error pages.
	Reason, Hint, RequestID string
	// SAMLResponse, RelayState and Roles are for the role chooser; SessionARN for the page of a
	// SAML sign-in that names no Connect instance.
	SAMLResponse, RelayState string
	Roles                    []identity.SAMLRole
	SessionARN               string
	// InstanceARN and Username are for the password sign-in form (never the password).
	InstanceARN, Username string
}

// ServeHTTP answers every path under /federation/ but the token API's.
func (p *Pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ri := httpx.From(r.Context())
	// A panic must end on an error page like any other failure, not on an AWS error body,
	// which a person in a browser cannot read.
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			p.resp.Log.Error("panic serving request", "request_id", ri.ID, "panic", v)
			if !ri.Wrote {
				p.FailPage(w, r, "", "", apierr.New(apierr.InternalFailure, ""))
			}
		}
	}()
	read := []string{http.MethodGet, http.MethodHead}
	var allow []string
	ri.Service = Service
	switch r.URL.Path {
	case signInPage:
		// Not HEAD: a link checker's HEAD must not spend a one-time link.
		ri.Operation, allow = "SignIn", []string{http.MethodGet}
	case loginPage:
		// The form and the sign-in it posts are two operations: only the second signs in.
		ri.Operation, allow = "SignInForm", []string{http.MethodGet, http.MethodHead, http.MethodPost}
		if r.Method == http.MethodPost {
			ri.Operation = "PasswordSignIn"
		}
	case sessionPage:
		ri.Operation, allow = "Session", read
	case signOutPath:
		ri.Operation, allow = "SignOut", []string{http.MethodPost}
	case signedOutPage:
		ri.Operation, allow = "SignedOut", read
	default:
		ri.Service = ""
		p.errorPage(w, r, http.StatusNotFound, "Page not found", "There is no such page.", "")
		return
	}
	if !slices.Contains(allow, r.Method) {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		p.errorPage(w, r, http.StatusMethodNotAllowed, "Method not allowed",
			"This page takes "+allow[0]+", not "+r.Method+".", "")
		return
	}
	switch r.URL.Path {
	case signInPage:
		p.signIn(w, r)
	case loginPage:
		if r.Method == http.MethodPost {
			p.login(w, r)
		} else {
			p.loginForm(w, r)
		}
	case sessionPage:
		p.sessionPage(w, r)
	case signOutPath:
		p.signOut(w, r)
	case signedOutPage:
		p.render(w, r, http.StatusOK, "signed-out", pageData{Title: "You have signed out"})
	}
}

// signIn spends the link's sign-in token on a session, sets the cookie and redirects to the
// signed-in page. 303 rather than a page of its own: the address bar, the history and any
// Referer then hold /federation/session, not the token.
func (p *Pages) signIn(w http.ResponseWriter, r *http.Request) {
	const (
		title = "Sign-in failed"
		hint  = "A sign-in link works once, for a few minutes. Get a new one: call GetFederationToken again."
	)
	tok := r.URL.Query().Get("token")
	if tok == "" {
		ri := httpx.From(r.Context())
		ri.ErrorCode = apierr.Lookup(apierr.NativeValidation).JSONType
		p.errorPage(w, r, http.StatusBadRequest, title,
			"This sign-in link has no token. Open the whole SignInUrl, including its ?token= part.", "")
		return
	}
	sess, err := p.connect.SignIn(r.Context(), tok)
	if err != nil {
		p.FailPage(w, r, title, hint, err)
		return
	}
	signedIn(httpx.From(r.Context()), sess)
	maxAge := int(sess.ExpiresAt.Sub(p.now()) / time.Second)
	http.SetCookie(w, p.cookie(r, sess.Token, max(maxAge, 1)))
	pageHeaders(w.Header())
	framedBy(w.Header(), sess.FrameAncestors)
	http.Redirect(w, r, sessionPage, http.StatusSeeOther)
}

// signedIn says in the request's record who is signed in: the log's principal, and the
// account and username the audit trail records the sign-in under.
func signedIn(ri *httpx.Info, sess connect.Session) {
	ri.Principal, ri.Username = sess.UserARN, sess.Username
	if a, err := arn.Parse(sess.UserARN); err == nil {
		ri.Account = a.Account
	}
}

// sessionPage shows who is signed in, or why nobody is.
func (p *Pages) sessionPage(w http.ResponseWriter, r *http.Request) {
	const (
		title = "You are not signed in"
		hint  = "Open a sign-in link to sign in."
	)
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		httpx.From(r.Context()).ErrorCode = apierr.Lookup(apierr.Unauthenticated).JSONType
		p.errorPage(w, r, http.StatusUnauthorized, title, "There is no session in this browser.", hint)
		return
	}
	sess, err := p.connect.CurrentSession(r.Context(), c.Value)
	if err != nil {
		if apierr.Of(err).Spec().Status == http.StatusUnauthorized {
			http.SetCookie(w, p.cookie(r, "", -1)) // a dead session: drop the cookie
		}
		p.FailPage(w, r, title, hint, err)
		return
	}
	signedIn(httpx.From(r.Context()), sess)
	instance := sess.InstanceAlias
	if instance == "" {
		instance = sess.InstanceID
	}
	pageHeaders(w.Header())
	framedBy(w.Header(), sess.FrameAncestors)
	p.render(w, r, http.StatusOK, "session", pageData{Title: "Signed in", Session: sess, Instance: instance,
		Ends: sess.ExpiresAt.UTC().Format(time.RFC3339)})
}

// signOut ends the session, drops the cookie and redirects to a page that says so. Without a
// cookie it does the same: the outcome the user asked for holds.
func (p *Pages) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := p.connect.SignOut(r.Context(), c.Value); err != nil {
			p.FailPage(w, r, "Sign-out failed", "", err)
			return
		}
	}
	http.SetCookie(w, p.cookie(r, "", -1))
	p.redirect(w, r, signedOutPage)
}

// cookie is the session cookie: HttpOnly, so no script can read it; SameSite=Lax, so another
// site cannot post with it, though a link to the pages still works; Secure under TLS. Max-Age
// rather than Expires: it does not depend on the browser's clock agreeing with the server's.
// maxAge < 0 deletes it.
func (p *Pages) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: value, Path: cookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode}
}

// pageHeaders are set on every answer of the sign-in pages, redirects included. A page holds
// personal details and the link held a token, so: never cached, never sent as a Referer,
// never framed.
func pageHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", pageCSP)
}

// framedBy lets the instance's approved origins embed a signed-in page, as they may embed
// Connect's agent page: they become the policy's frame-ancestors, and X-Frame-Options, which
// cannot name origins, goes. Without approved origins the page stays unframeable. The origins
// were checked to be scheme, host and port when they were approved, so none can add a
// directive.
func framedBy(h http.Header, origins []string) {
	if len(origins) == 0 {
		return
	}
	h.Del("X-Frame-Options")
	h.Set("Content-Security-Policy", strings.Replace(pageCSP, "frame-ancestors 'none'", "frame-ancestors "+strings.Join(origins, " "), 1))
}

func (p *Pages) redirect(w http.ResponseWriter, r *http.Request, to string) {
	pageHeaders(w.Header())
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// FailPage answers err on an error page: its status and its message, which the domain writes
// for the caller. An internal failure or an unreachable store shows neither its detail nor the
// table's AWS wording, only that it failed, to try again, and the request id the log has it
// under.
func (p *Pages) FailPage(w http.ResponseWriter, r *http.Request, title, hint string, err error) {
	ri := httpx.From(r.Context())
	e := p.resp.Classify(ri, err)
	ri.ErrorCode = e.Spec().JSONType
	if e.Code == apierr.InternalFailure || e.Code == apierr.ServiceUnavailable {
		p.errorPage(w, r, e.Spec().Status, "Something went wrong",
			"The server could not complete this request. Try again in a moment.", ri.ID)
		return
	}
	p.errorPage(w, r, e.Spec().Status, title, e.Text(), hint)
}

func (p *Pages) errorPage(w http.ResponseWriter, r *http.Request, status int, title, reason, hint string) {
	d := pageData{Title: title, Reason: reason, Hint: hint}
	if status >= 500 {
		d.RequestID = httpx.From(r.Context()).ID
	}
	p.render(w, r, status, "error", d)
}

// render writes a page. It renders into a buffer first, so a template failure is a clean 500
// rather than half a page.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	d.CSS = template.CSS(pageCSS)
	var buf bytes.Buffer
	h := w.Header()
	if h.Get("Content-Security-Policy") == "" { // framedBy may have set the page's own
		pageHeaders(h)
	}
	if err := pageTemplates.ExecuteTemplate(&buf, name, d); err != nil {
		p.resp.Log.Error("render page", "request_id", httpx.From(r.Context()).ID, "page", name, "err", err)
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("Something went wrong.\n"))
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}
