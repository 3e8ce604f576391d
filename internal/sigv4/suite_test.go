package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
)

const suiteDir = "testdata/aws-signing-test-suite/v4"

type suiteContext struct {
	Credentials struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		Token           string `json:"token"`
	} `json:"credentials"`
	Expiration int       `json:"expiration_in_seconds"`
	Normalize  bool      `json:"normalize"`
	Region     string    `json:"region"`
	Service    string    `json:"service"`
	SignBody   bool      `json:"sign_body"`
	Timestamp  time.Time `json:"timestamp"`
	// OmitSessionToken: the token was added after signing, so the signature leaves it out.
	OmitSessionToken bool `json:"omit_session_token"`
}

type suiteCase struct {
	name, form string // form is "header" or "query"
	dir        string
	ctx        suiteContext
	signed     string // the *-signed-request.txt text
}

func (c suiteCase) file(t testing.TB, suffix string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, c.form+"-"+suffix))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (c suiteCase) opt() Options { return Options{DisablePathNormalization: !c.ctx.Normalize} }

func suiteCases(t testing.TB) []suiteCase {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(suiteDir, "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases under %s: %v", suiteDir, err)
	}
	sort.Strings(dirs)
	var cases []suiteCase
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, "context.json"))
		if err != nil {
			t.Fatal(err)
		}
		var ctx suiteContext
		if err := json.Unmarshal(raw, &ctx); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, form := range []string{"header", "query"} {
			c := suiteCase{name: filepath.Base(dir) + "/" + form, form: form, dir: dir, ctx: ctx}
			c.signed = c.file(t, "signed-request.txt")
			cases = append(cases, c)
		}
	}
	return cases
}

// bodyHash reads r's body, as the server does, and puts it back.
func bodyHash(t testing.TB, r *http.Request) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.Body = io.NopCloser(strings.NewReader(string(b)))
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestSuite(t *testing.T) {
	cases := suiteCases(t)
	if len(cases) != 2*38 {
		t.Errorf("found %d cases, want 76: was the suite copied whole?", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := readRawRequest(t, c.signed)
			ph := bodyHash(t, r)
			s, err := Parse(r)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if s.AccessKeyID != c.ctx.Credentials.AccessKeyID || s.Region != c.ctx.Region ||
				s.Service != c.ctx.Service || !s.Date.Equal(c.ctx.Timestamp) {
				t.Errorf("parsed %+v, context %+v", s, c.ctx)
			}
			if s.Presigned != (c.form == "query") {
				t.Errorf("Presigned = %v", s.Presigned)
			}
			if s.Presigned && s.Expires != time.Duration(c.ctx.Expiration)*time.Second {
				t.Errorf("Expires = %v, want %ds", s.Expires, c.ctx.Expiration)
			}
			if tok := c.ctx.Credentials.Token; tok != "" && s.SessionToken != tok {
				t.Errorf("SessionToken = %q, want the context's", s.SessionToken)
			}

			cr := CanonicalRequest(r, s, ph, c.opt())
			if c.form == "query" && c.ctx.OmitSessionToken {
				cr = canonicalRequest(r, s, ph, c.opt(), true)
			}
			if want := c.file(t, "canonical-request.txt"); cr != want {
				t.Errorf("canonical request:\n%s\nwant:\n%s", cr, want)
			}
			sts := StringToSign(s, cr)
			if want := c.file(t, "string-to-sign.txt"); sts != want {
				t.Errorf("string to sign:\n%s\nwant:\n%s", sts, want)
			}
			if err := s.Verify(r, c.ctx.Credentials.SecretAccessKey, ph, c.ctx.Timestamp, c.opt()); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

// verifyRaw parses raw and verifies it at now; it is what a server does with one request.
func verifyRaw(t testing.TB, raw, secret string, now time.Time, opt Options) error {
	t.Helper()
	r := readRawRequest(t, raw)
	s, err := Parse(r)
	if err != nil {
		return err
	}
	return s.Verify(r, secret, bodyHash(t, r), now, opt)
}

// editTarget rewrites the request target of raw.
func editTarget(raw string, edit func(path, query string) (string, string)) string {
	line, rest, _ := strings.Cut(raw, "\n")
	sp1 := strings.IndexByte(line, ' ')
	sp2 := strings.LastIndexByte(line, ' ')
	path, query, hasQuery := strings.Cut(line[sp1+1:sp2], "?")
	path, query = edit(path, query)
	target := path
	if hasQuery || query != "" {
		target += "?" + query
	}
	return line[:sp1+1] + target + line[sp2:] + "\n" + rest
}

// editHeader rewrites the value of every line of raw's head whose name is name.
func editHeader(raw, name string, edit func(string) string) string {
	head, body, _ := strings.Cut(raw, "\n\n")
	lines := strings.Split(head, "\n")
	for i, l := range lines {
		if k, v, ok := strings.Cut(l, ":"); ok && i > 0 && strings.EqualFold(k, name) {
			lines[i] = k + ":" + edit(v)
		}
	}
	return strings.Join(lines, "\n") + "\n\n" + body
}

func TestSuiteMutations(t *testing.T) {
	for _, c := range suiteCases(t) {
		t.Run(c.name, func(t *testing.T) {
			secret := c.ctx.Credentials.SecretAccessKey
			now := c.ctx.Timestamp
			if err := verifyRaw(t, c.signed, secret, now, c.opt()); err != nil {
				t.Fatalf("unmutated request refused: %v", err)
			}
			r := readRawRequest(t, c.signed)
			s, err := Parse(r)
			if err != nil {
				t.Fatal(err)
			}

			mutants := map[string]string{
				"path": editTarget(c.signed, func(p, q string) (string, string) { return p + "x", q }),
				"query added": editTarget(c.signed, func(p, q string) (string, string) {
					if q == "" {
						return p, "Mutant=1"
					}
					return p, q + "&Mutant=1"
				}),
				"method": strings.Replace(c.signed, r.Method+" ", map[string]string{"GET": "POST ", "POST": "GET "}[r.Method], 1),
			}
			if s.Presigned {
				mutants["date"] = strings.Replace(c.signed, "X-Amz-Date=20150830T123600Z", "X-Amz-Date=20150830T123601Z", 1)
				mutants["expires"] = strings.Replace(c.signed, "X-Amz-Expires=3600", "X-Amz-Expires=3601", 1)
			} else {
				mutants["date"] = editHeader(c.signed, "X-Amz-Date", func(string) string { return "20150830T123601Z" })
			}
			// A query parameter of the request itself (not one the signer added).
			for _, kv := range strings.Split(r.URL.RawQuery, "&") {
				if kv != "" && !strings.HasPrefix(kv, "X-Amz-") {
					mutants["query value"] = strings.Replace(c.signed, kv, kv+"x", 1)
					break
				}
			}
			for _, name := range s.SignedHeaders {
				if name == "x-amz-date" {
					continue // the date mutant covers it
				}
				mutants["header "+name] = editHeader(c.signed, name, func(v string) string {
					if name == "content-length" {
						return "12" // the body is cut to match, as a server would read it
					}
					return v + "x"
				})
			}
			if c.ctx.SignBody {
				mutants["body"] = strings.Replace(c.signed, "\n\nParam1=value1", "\n\nParam1=value2", 1)
			}
			for what, raw := range mutants {
				if raw == c.signed {
					t.Fatalf("%s: mutation changed nothing", what)
				}
				err := verifyRaw(t, raw, secret, now, c.opt())
				if !apierr.Is(err, apierr.InvalidSignature) {
					t.Errorf("%s changed: got %v, want InvalidSignature", what, err)
				}
			}

			if err := verifyRaw(t, c.signed, secret+"x", now, c.opt()); !apierr.Is(err, apierr.InvalidSignature) {
				t.Errorf("wrong secret: got %v, want InvalidSignature", err)
			}
			sig := strings.TrimSpace(c.file(t, "signature.txt"))
			flip := byte('0')
			if sig[10] == '0' {
				flip = '1'
			}
			flipped := sig[:10] + string(flip) + sig[11:]
			if err := verifyRaw(t, strings.Replace(c.signed, sig, flipped, 1), secret, now, c.opt()); !apierr.Is(err, apierr.InvalidSignature) {
				t.Errorf("signature changed: got %v, want InvalidSignature", err)
			}

			// The date moved by the clock instead: the request is now too old.
			late := now.Add(5*time.Minute + time.Second)
			if s.Presigned {
				late = now.Add(s.Expires + time.Second)
			}
			err = verifyRaw(t, c.signed, secret, late, c.opt())
			if !apierr.Is(err, apierr.InvalidSignature) || !strings.HasPrefix(apierr.Of(err).Text(), "Signature expired: ") {
				t.Errorf("verified late: got %v, want Signature expired", err)
			}
		})
	}
}
