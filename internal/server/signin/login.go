package signin

import (
	"net/http"
	"net/url"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
	"github.com/connectfed/connectfed/internal/arn"
	"github.com/connectfed/connectfed/internal/server/httpx"
	"github.com/connectfed/connectfed/internal/server/limit"
)

// The password sign-in of CONNECT_MANAGED instances, as Connect's own login page: GET shows
// the form for the instance its ?instance= ARN names, POST checks the username and password and
// signs the user in as a sign-in link does.
const loginPage = "/federation/login"

// maxLoginForm bounds a login form: an ARN, a username and a password, with room to spare.
const maxLoginForm = 8 << 10

// Password guessing is slowed twice: every attempt costs an Argon2id hash, and each source
// address may try loginRate times a second (bursts of loginBurst) before it waits.
const (
	loginRate  = 1
	loginBurst = 10
)

func newLoginLimit() *limit.Sources { return limit.NewSources(loginRate, loginBurst) }

func (p *Pages) loginForm(w http.ResponseWriter, r *http.Request) {
	instanceARN := r.URL.Query().Get("instance")
	p.render(w, r, http.StatusOK, "login", pageData{Title: "Sign in", Instance: instanceName(instanceARN), InstanceARN: instanceARN})
}

// instanceName is how the form names the instance: its ARN's id, or what was given.
func instanceName(instanceARN string) string {
	if ref, ok := arn.ParseInstance(instanceARN); ok {
		return ref.ID
	}
	return instanceARN
}

// login checks a username and password, and on success sets the session cookie and redirects
// to the signed-in page. A refused sign-in shows the form again, with why, and never the
// password.
func (p *Pages) login(w http.ResponseWriter, r *http.Request) {
	const title = "Sign-in failed"
	ri := httpx.From(r.Context())
	if ok, wait := p.loginLimit.Admit(r, p.now()); !ok {
		limit.RetryAfter(w, wait)
		ri.ErrorCode = apierr.Lookup(apierr.TooManyRequests).JSONType
		p.errorPage(w, r, http.StatusTooManyRequests, title, "Too many sign-in attempts from this address.", "Wait a moment, then try again.")
		return
	}
	// A form another site posts would sign the browser in as someone else (login CSRF): a
	// browser says where a form comes from, and only this server's own page may post it.
	if origin := r.Header.Get("Origin"); origin != "" && origin != "null" {
		if u, err := url.Parse(origin); err != nil || u.Host != r.Host {
			p.errorPage(w, r, http.StatusForbidden, title, "This sign-in form was posted from another site.", "Open the sign-in page itself.")
			return
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginForm)
	if err := r.ParseForm(); err != nil {
		ri.ErrorCode = apierr.Lookup(apierr.NativeValidation).JSONType
		p.errorPage(w, r, http.StatusBadRequest, title, "The request is not a sign-in form.", "")
		return
	}
	instanceARN, username := r.PostForm.Get("instance"), r.PostForm.Get("username")
	sess, err := p.connect.PasswordSignIn(r.Context(), instanceARN, username, r.PostForm.Get("password"))
	if err != nil {
		e := p.resp.Classify(ri, err)
		ri.ErrorCode = e.Spec().JSONType
		if e.Code != apierr.Unauthenticated {
			p.FailPage(w, r, title, "", err)
			return
		}
		p.render(w, r, e.Spec().Status, "login", pageData{Title: "Sign in", Instance: instanceName(instanceARN), InstanceARN: instanceARN,
			Username: username, Reason: e.Text()})
		return
	}
	signedIn(ri, sess)
	maxAge := int(sess.ExpiresAt.Sub(p.now()) / time.Second)
	http.SetCookie(w, p.cookie(r, sess.Token, max(maxAge, 1)))
	pageHeaders(w.Header())
	framedBy(w.Header(), sess.FrameAncestors)
	http.Redirect(w, r, sessionPage, http.StatusSeeOther)
}
