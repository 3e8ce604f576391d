package token

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds Verify arbitrary input: it must never panic, must fail only with a
// documented error and zero claims, and whatever it accepts must be exactly the token Mint
// makes of the claims read (the format has one spelling per token).
func FuzzVerify(f *testing.F) {
	iss, _, _ := newTestIssuer(f)
	p, err := iss.Pair(testSubject, time.Minute, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p.Access)
	f.Add(p.Refresh)
	f.Add("")
	f.Add(AccessPrefix)
	f.Add(RefreshPrefix + ".")
	f.Add(p.Access + ".")
	f.Add(p.Access[:len(p.Access)/2])
	f.Add(strings.Replace(p.Refresh, RefreshPrefix, AccessPrefix, 1))
	f.Add(signRaw(AccessPrefix, goodRaw().bytes(), testKey.Secret))
	f.Add(signRaw(AccessPrefix, append(goodRaw().bytes(), 0), testKey.Secret))
	noKey := goodRaw()
	noKey.strs = noKey.strs[:strAccessKey] // the five strings of a token without an access key id
	f.Add(signRaw(AccessPrefix, noKey.bytes(), testKey.Secret))
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := iss.Verify(tok, AnyKind)
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("Verify(%q): undocumented error %v", tok, err)
			}
			if c != (Claims{}) {
				t.Fatalf("Verify(%q): claims %+v with error %v", tok, c, err)
			}
			return
		}
		again, err := iss.Mint(c)
		if err != nil {
			t.Fatalf("accepted %q, but Mint refuses its claims %+v: %v", tok, c, err)
		}
		if again != tok {
			t.Fatalf("accepted %q, but its claims mint %q", tok, again)
		}
		if c2, err := iss.Verify(tok, c.Kind); err != nil || c2 != c {
			t.Fatalf("Verify as %v: %+v, %v; want %+v", c.Kind, c2, err, c)
		}
		other := Access
		if c.Kind == Access {
			other = Refresh
		}
		if _, err := iss.Verify(tok, other); !errors.Is(err, ErrWrongKind) {
			t.Fatalf("Verify %v token as %v: %v, want ErrWrongKind", c.Kind, other, err)
		}
	})
}
