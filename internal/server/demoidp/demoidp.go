// Package demoidp is the SAML identity provider `serve --demo` runs at /demo-idp/: a login form
// for the demo's agents that posts a signed response to /saml, with the RelayState that lands
// the agent in the demo's Connect instance, as Okta or Entra ID would post to AWS sign-in. It
// exists to try connectfed out: anyone who reaches it signs in as any demo agent, with no
// password.
package demoidp

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"github.com/connectfed/connectfed/internal/saml/samltest"
)

// Path is where the IdP is mounted.
const Path = "/demo-idp/"

// Config is what the IdP signs people in to.
type Config struct {
	// RoleARN and ProviderARN are the Role attribute's pair; Users the demo agents (each is the
	// RoleSessionName, and so the Connect username).
	RoleARN, ProviderARN string
	Users                []string
	// SAMLURL is where the response is posted (this server's /saml), and its Recipient;
	// RelayState names the Connect instance.
	SAMLURL, RelayState string
}

// IdP is the demo identity provider.
type IdP struct {
	idp *samltest.IdP
	mu  sync.RWMutex
	cfg Config
}

// New makes the IdP with a fresh key; its metadata is then registered as a SAML provider.
func New(entityID string) (*IdP, error) {
	idp, err := samltest.New(entityID)
	if err != nil {
		return nil, err
	}
	return &IdP{idp: idp}, nil
}

// Metadata is the IdP's metadata document.
func (p *IdP) Metadata() string { return p.idp.Metadata() }

// Configure says whom the IdP signs in, and where to.
func (p *IdP) Configure(c Config) {
	p.mu.Lock()
	p.cfg = c
	p.mu.Unlock()
}

//go:embed demoidp.html
var pagesHTML string

var pages = template.Must(template.New("demoidp").Parse(pagesHTML))

const pageCSS = `body{font:16px/1.5 system-ui,sans-serif;color:#1b1f24;background:#eef1f6;margin:0}` +
	`main{max-width:32rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}` +
	`h1{font-size:1.5rem;margin:0 0 1rem}.brand{margin:0 0 .5rem;color:#5b6470;font-size:.875rem}` +
	`select,button{font:inherit;padding:.5rem;margin:.5rem 0}button{border:0;border-radius:6px;background:#2e7d32;color:#fff;cursor:pointer}` +
	`.muted{color:#5b6470;font-size:.875rem}`

// pageCSP allows the inline style by its hash, forms to this origin and to the one /saml is
// reached at (the public URL may name this server otherwise), and nothing else.
func pageCSP(samlURL string) string {
	sum := sha256.Sum256([]byte(pageCSS))
	formAction := "'self'"
	if u, err := url.Parse(samlURL); err == nil && u.Scheme != "" && u.Host != "" {
		formAction += " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'"
}

type pageData struct {
	CSS                               template.CSS
	Users                             []string
	SAMLURL, SAMLResponse, RelayState string
	User, Error                       string
}

// ServeHTTP answers /demo-idp/ (the login form), /demo-idp/login (POST: the signed response,
// posted on with one click), /demo-idp/assertion (POST: the response alone, base64, for the
// AWS CLI) and /demo-idp/metadata.
func (p *IdP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.RLock()
	cfg := p.cfg
	p.mu.RUnlock()
	switch r.URL.Path {
	case Path:
		p.render(w, http.StatusOK, "login", pageData{Users: cfg.Users})
	case Path + "metadata":
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write([]byte(p.Metadata()))
	case Path + "login", Path + "assertion":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			p.render(w, http.StatusMethodNotAllowed, "login", pageData{Users: cfg.Users, Error: "Sign in with the form."})
			return
		}
		user := r.PostFormValue("username")
		if !slices.Contains(cfg.Users, user) {
			p.render(w, http.StatusBadRequest, "login", pageData{Users: cfg.Users, Error: "Choose one of the demo agents."})
			return
		}
		response := p.idp.Response(samltest.Assertion{Roles: []string{cfg.RoleARN + "," + cfg.ProviderARN},
			SessionName: user, Subject: user + "@demo.connectfed", Recipient: cfg.SAMLURL})
		if r.URL.Path == Path+"assertion" {
			// The response alone, base64, for aws sts assume-role-with-saml --saml-assertion.
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write([]byte(response))
			return
		}
		p.render(w, http.StatusOK, "post", pageData{SAMLURL: cfg.SAMLURL, SAMLResponse: response, RelayState: cfg.RelayState, User: user})
	default:
		http.NotFound(w, r)
	}
}

func (p *IdP) render(w http.ResponseWriter, status int, name string, d pageData) {
	d.CSS = template.CSS(pageCSS)
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, d); err != nil {
		http.Error(w, "Something went wrong.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", pageCSP(d.SAMLURL))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
