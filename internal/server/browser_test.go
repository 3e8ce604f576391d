package server_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/connectfed/connectfed/internal/server"
	"github.com/connectfed/connectfed/internal/server/demoidp"
)

// chromiumPath is the browser the browser test drives: $CHROMIUM_PATH, else Debian's
// chromium, which .ci/run installs.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// newChromium starts a headless Chromium for the test, or skips it where there is none.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	bin := chromiumPath()
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no Chromium at %s (install Debian's chromium, or set CHROMIUM_PATH): %v", bin, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	// The machine's network is closed: everything Chromium does on its own (QUIC, component
	// updates, sync, background fetches) would only flood refusals and slow it down.
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancelAlloc)
	b, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	return b
}

// TestSignInInABrowser signs in with a real, headless Chromium: the link from
// GetFederationToken lands on the signed-in page, which survives a reload; the sign-out button
// works; and a reused, tampered or expired link lands on a page that says so.
func TestSignInInABrowser(t *testing.T) {
	e := newEnvWith(t, 48*time.Hour) // the clock moves; SDK signatures must still pass
	f := newFederated(t, e)
	link := aws.ToString(f.out.SignInUrl)

	b := newChromium(t)

	start := time.Now()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// text is the visible text of the page's main element.
	text := func() string {
		t.Helper()
		s, err := chromedp.Run(b, chromedp.Text(chromedp.CSS("main")))
		must("read the page", err)
		return s
	}
	wantText := func(what string, want ...string) {
		t.Helper()
		got := text()
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: the page does not say %q:\n%s", what, w, got)
			}
		}
	}
	location := func() *url.URL {
		t.Helper()
		s, err := chromedp.Run(b, chromedp.Location())
		must("read the location", err)
		u, err := url.Parse(s)
		must("parse the location", err)
		return u
	}

	// Open the link: the browser lands on the signed-in page, and the token has left the
	// address bar.
	must("open the link", chromedp.Do(b, chromedp.Navigate(link)))
	wantText("signed in", "Signed in", "agent1", "acme", aws.ToString(f.out.UserArn), "Session ends")
	if u := location(); u.Path != "/federation/session" || u.RawQuery != "" {
		t.Errorf("landed on %s, want /federation/session", u)
	}
	// The inline style applies: the Content-Security-Policy allows it by its hash. (No script
	// can run on these pages at all: the policy allows none, and the pages need none.)
	bg, err := chromedp.Run(b, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
	must("read the style", err)
	if bg != "rgb(244, 245, 247)" {
		t.Errorf("the page's background is %q: the Content-Security-Policy blocked its style", bg)
	}
	// The cookie is out of the page's reach: HttpOnly and SameSite=Lax.
	cookies, err := chromedp.Call(b, network.GetCookies, network.GetCookiesParams{URLs: []string{e.url + "/federation/session"}})
	must("read the cookies", err)
	if len(cookies.Cookies) != 1 || !cookies.Cookies[0].HTTPOnly || cookies.Cookies[0].SameSite != network.CookieSameSiteLax {
		t.Errorf("cookies %+v, want one HttpOnly SameSite=Lax session cookie", cookies.Cookies)
	}

	must("reload", chromedp.Do(b, chromedp.Reload()))
	wantText("after a reload", "Signed in", "agent1")

	// Sign out with the page's own button: a form post, no script.
	_, err = chromedp.Run(b, chromedp.WaitEvent(page.LoadEventFired, nil,
		chromedp.Click(chromedp.CSS(`form[action="/federation/signout"] button`))))
	must("sign out", err)
	must("the signed-out page", chromedp.Do(b, chromedp.WaitVisible(chromedp.ID("signed-out"))))
	wantText("signed out", "You have signed out")
	if u := location(); u.Path != "/federation/signed-out" {
		t.Errorf("signed out on %s", u)
	}
	must("back to the session page", chromedp.Do(b, chromedp.Navigate(e.url+"/federation/session")))
	wantText("after sign-out", "You are not signed in")

	must("open the link again", chromedp.Do(b, chromedp.Navigate(link)))
	wantText("the link again", "Sign-in failed", "already used")

	must("open a tampered link", chromedp.Do(b, chromedp.Navigate(tampered(t, link))))
	wantText("a tampered link", "Sign-in failed", "not valid")

	expired := f.federate(t, e, f.session)
	e.clock.Advance(16 * time.Minute)
	must("open an expired link", chromedp.Do(b, chromedp.Navigate(aws.ToString(expired.SignInUrl))))
	wantText("an expired link", "Sign-in failed", "expired")

	t.Logf("browser steps took %v", time.Since(start).Round(time.Millisecond))
}

// TestSAMLSignInInABrowser goes from the demo identity provider's login form to the agent's
// signed-in page in a real Chromium: choose the agent, sign in at the IdP, post its SAML
// response on to /saml, land signed in as that Connect user.
func TestSAMLSignInInABrowser(t *testing.T) {
	b := newChromium(t)
	idp, err := demoidp.New("https://demo-idp.connectfed.test")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvConfig(t, server.Config{DemoIdP: idp})
	s := newSAMLSetupFor(t, e, idp.Metadata())
	idp.Configure(demoidp.Config{RoleARN: s.role, ProviderARN: s.provider, Users: []string{"agent1"}, SAMLURL: e.url + "/saml",
		RelayState: "https://us-east-1.console.aws.amazon.com/connect/federate/" + s.instance})

	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("open the IdP", chromedp.Do(b, chromedp.Navigate(e.url+demoidp.Path)))
	_, err = chromedp.Run(b, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.ID("sign-in"))))
	must("sign in at the IdP", err)
	_, err = chromedp.Run(b, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.ID("continue"))))
	must("post the response on", err)
	must("the signed-in page", chromedp.Do(b, chromedp.WaitVisible(chromedp.ID("username"))))
	user, err := chromedp.Run(b, chromedp.Text(chromedp.ID("username")))
	must("read the username", err)
	instance, err := chromedp.Run(b, chromedp.Text(chromedp.ID("instance")))
	must("read the instance", err)
	if user != "agent1" || !strings.Contains(instance, "acme") {
		t.Errorf("signed in as %q in %q, want agent1 in acme", user, instance)
	}
	loc, err := chromedp.Run(b, chromedp.Location())
	must("read the location", err)
	if u, _ := url.Parse(loc); u.Path != "/federation/session" {
		t.Errorf("landed on %s", loc)
	}
}
