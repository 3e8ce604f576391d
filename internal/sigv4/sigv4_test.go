package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed/internal/apierr"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(amzDateFmt, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// signedAt is a server-side STS request signed by aws-sdk-go-v2 at the given instant; with
// expires > 0 it is presigned for that many seconds.
func signedAt(t testing.TB, at time.Time, expires int) (*http.Request, string) {
	t.Helper()
	if expires > 0 {
		req := newRequest(t, "GET", "https://sts.amazonaws.com/?"+stsForm, nil)
		return serverSide(sdkPresign(t, req, emptyHash, creds(testSecret, ""), "sts", at, expires)), emptyHash
	}
	body := []byte(stsForm)
	req := newRequest(t, "POST", "https://sts.amazonaws.com/", body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sdkSign(t, req, hashHex(body), creds(testSecret, testToken), "sts", at)
	return serverSide(req), hashHex(body)
}

func verifyAt(t testing.TB, r *http.Request, payloadHash string, now time.Time, opt Options) error {
	t.Helper()
	s, err := Parse(r)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s.Verify(r, testSecret, payloadHash, now, opt)
}

func TestClock(t *testing.T) {
	type check struct {
		now     string
		opt     Options
		wantMsg string // "" means accepted
	}
	cases := []struct {
		name    string
		signed  string
		expires int
		checks  []check
	}{
		{"header, old", "20160610T180547Z", 0, []check{
			{"20160610T181112Z", Options{}, "Signature expired: 20160610T180547Z is now earlier than 20160610T180612Z (20160610T181112Z - 5 min.)"},
			{"20160610T181047Z", Options{}, ""}, // exactly the skew
			{"20160610T181048Z", Options{}, "Signature expired: 20160610T180547Z is now earlier than 20160610T180548Z (20160610T181048Z - 5 min.)"},
			{"20160610T181112Z", Options{Skew: 15 * time.Minute}, ""},
			{"20160610T182112Z", Options{Skew: 15 * time.Minute}, "Signature expired: 20160610T180547Z is now earlier than 20160610T180612Z (20160610T182112Z - 15 min.)"},
			{"20160610T180718Z", Options{Skew: 90 * time.Second}, "Signature expired: 20160610T180547Z is now earlier than 20160610T180548Z (20160610T180718Z - 90 sec.)"},
		}},
		{"header, future", "20160610T181800Z", 0, []check{
			{"20160610T181112Z", Options{}, "Signature not yet current: 20160610T181800Z is still later than 20160610T181612Z (20160610T181112Z + 5 min.)"},
			{"20160610T181300Z", Options{}, ""},
			{"20160610T181112Z", Options{Skew: 10 * time.Minute}, ""},
		}},
		{"presigned", "20160610T180547Z", 60, []check{
			{"20160610T180647Z", Options{}, ""},
			{"20160610T180648Z", Options{}, "Signature expired: 20160610T180647Z is now earlier than 20160610T180648Z (20160610T180547Z + 60 sec.)"},
			// Skew does not stretch a presigned URL's life.
			{"20160610T180648Z", Options{Skew: time.Hour}, "Signature expired: 20160610T180647Z is now earlier than 20160610T180648Z (20160610T180547Z + 60 sec.)"},
			{"20160610T180042Z", Options{}, "Signature not yet current: 20160610T180547Z is still later than 20160610T180542Z (20160610T180042Z + 5 min.)"},
			{"20160610T180047Z", Options{}, ""},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, ph := signedAt(t, mustTime(t, c.signed), c.expires)
			for _, ck := range c.checks {
				// Sub-second parts of now must not change the verdict or the message.
				now := mustTime(t, ck.now).Add(999 * time.Millisecond)
				err := verifyAt(t, r, ph, now, ck.opt)
				switch {
				case ck.wantMsg == "" && err != nil:
					t.Errorf("at %s skew %v: %v", ck.now, ck.opt.Skew, err)
				case ck.wantMsg != "" && !apierr.Is(err, apierr.InvalidSignature):
					t.Errorf("at %s skew %v: got %v, want InvalidSignature", ck.now, ck.opt.Skew, err)
				case ck.wantMsg != "" && apierr.Of(err).Text() != ck.wantMsg:
					t.Errorf("at %s skew %v:\n got %q\nwant %q", ck.now, ck.opt.Skew, apierr.Of(err).Text(), ck.wantMsg)
				}
			}
		})
	}
}

// TestMalformed holds requests that are refused before any secret is used.
func TestMalformed(t *testing.T) {
	const sig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	const cred = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
	const signed = "SignedHeaders=host;x-amz-date"
	const date = "20150830T123600Z"
	header := func(auth string, hdr ...string) string {
		raw := "GET / HTTP/1.1\nHost:example.amazonaws.com\n"
		if auth != "" {
			raw += "Authorization:" + auth + "\n"
		}
		for _, h := range hdr {
			raw += h + "\n"
		}
		return raw + "\n"
	}
	withDate := func(auth string, hdr ...string) string {
		return header(auth, append([]string{"X-Amz-Date:" + date, "X-Amz-Security-Token:" + testToken}, hdr...)...)
	}
	const presignBase = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Security-Token=" + testToken
	query := func(q string) string { return "GET /?" + q + " HTTP/1.1\nHost:example.amazonaws.com\n\n" }

	cases := []struct {
		name string
		raw  string
		code apierr.Code
		want []string // substrings of the message
	}{
		{"no authentication", header(""), apierr.MissingAuthenticationToken, []string{"Missing Authentication Token"}},
		{"empty Authorization", header(" "), apierr.MissingAuthenticationToken, []string{"Missing Authentication Token"}},
		{"query without auth parameters", query("Action=GetCallerIdentity&X-Amz-Date=" + date), apierr.MissingAuthenticationToken, nil},

		{"other algorithm", withDate("AWS4-HMAC-SHA512 " + cred + ", " + signed + ", Signature=" + sig), apierr.IncompleteSignature, []string{"algorithm", "AWS4-HMAC-SHA256"}},
		{"bearer token", withDate("Bearer " + testSecret), apierr.IncompleteSignature, []string{"algorithm"}},
		{"bare token", withDate(testSecret), apierr.IncompleteSignature, []string{"algorithm"}},
		{"no Credential", withDate("AWS4-HMAC-SHA256 " + signed + ", Signature=" + sig), apierr.IncompleteSignature, []string{"Authorization header requires 'Credential' parameter."}},
		{"no SignedHeaders", withDate("AWS4-HMAC-SHA256 " + cred + ", Signature=" + sig), apierr.IncompleteSignature, []string{"Authorization header requires 'SignedHeaders' parameter."}},
		{"no Signature", withDate("AWS4-HMAC-SHA256 " + cred + ", " + signed), apierr.IncompleteSignature, []string{"Authorization header requires 'Signature' parameter."}},
		{"empty Signature", withDate("AWS4-HMAC-SHA256 " + cred + ", " + signed + ", Signature="), apierr.IncompleteSignature, []string{"'Signature'"}},
		{"nothing but the algorithm", header("AWS4-HMAC-SHA256"), apierr.IncompleteSignature, []string{
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.", "'X-Amz-Date'"}},
		{"no X-Amz-Date", header("AWS4-HMAC-SHA256 " + cred + ", " + signed + ", Signature=" + sig), apierr.IncompleteSignature, []string{"'X-Amz-Date'"}},
		{"bad X-Amz-Date", header("AWS4-HMAC-SHA256 "+cred+", "+signed+", Signature="+sig, "X-Amz-Date:2015-08-30T12:36:00Z"), apierr.IncompleteSignature, []string{"X-Amz-Date", "2015-08-30T12:36:00Z"}},
		{"impossible X-Amz-Date", header("AWS4-HMAC-SHA256 "+cred+", "+signed+", Signature="+sig, "X-Amz-Date:20150830T253600Z"), apierr.IncompleteSignature, []string{"X-Amz-Date"}},
		{"credential of 4 parts", withDate("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/aws4_request, " + signed + ", Signature=" + sig), apierr.IncompleteSignature, []string{"Credential", "5 slash-delimited"}},
		{"credential of 6 parts", withDate("AWS4-HMAC-SHA256 " + cred + "/x, " + signed + ", Signature=" + sig), apierr.IncompleteSignature, []string{"Credential", "5 slash-delimited"}},
		{"credential terminator", withDate("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_requestx, " + signed + ", Signature=" + sig), apierr.IncompleteSignature, []string{"Credential", "terminator", "aws4_request"}},
		{"credential without key", withDate("AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/service/aws4_request, " + signed + ", Signature=" + sig), apierr.IncompleteSignature, []string{"Credential", "access key"}},
		{"credential date format", withDate("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2015-08-30/us-east-1/service/aws4_request, " + signed + ", Signature=" + sig), apierr.IncompleteSignature, []string{"Credential", "yyyyMMdd"}},
		{"credential without region", withDate("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830//service/aws4_request, " + signed + ", Signature=" + sig), apierr.IncompleteSignature, []string{"Credential", "region"}},
		{"credential without service", withDate("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1//aws4_request, " + signed + ", Signature=" + sig), apierr.IncompleteSignature, []string{"Credential", "service"}},
		{"scope date is not X-Amz-Date's", withDate("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150831/us-east-1/service/aws4_request, " + signed + ", Signature=" + sig), apierr.IncompleteSignature, []string{"Date in Credential scope", "'20150831' != '20150830'", date}},
		{"host not signed", withDate("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, Signature=" + sig), apierr.IncompleteSignature, []string{"SignedHeaders", "'host'"}},
		{"empty signed header name", withDate("AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, Signature=" + sig), apierr.IncompleteSignature, []string{"SignedHeaders"}},
		{"part without =", withDate("AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig), apierr.IncompleteSignature, []string{"key=value"}},
		{"repeated Signature", withDate("AWS4-HMAC-SHA256 " + cred + ", " + signed + ", Signature=" + sig + ", Signature=" + sig), apierr.IncompleteSignature, []string{"more than one 'Signature'"}},
		{"unknown parameter", withDate("AWS4-HMAC-SHA256 " + cred + ", " + signed + ", Signature=" + sig + ", Token=" + testToken), apierr.IncompleteSignature, []string{"unknown parameter"}},
		{"two Authorization headers", withDate("AWS4-HMAC-SHA256 "+cred+", "+signed+", Signature="+sig, "Authorization:AWS4-HMAC-SHA256 "+cred+", "+signed+", Signature="+sig), apierr.IncompleteSignature, []string{"Only one Authorization header"}},
		{"header and query signature", "GET /?X-Amz-Signature=" + sig + " HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:" + date + "\nAuthorization:AWS4-HMAC-SHA256 " + cred + ", " + signed + ", Signature=" + sig + "\n\n", apierr.IncompleteSignature, []string{"Only one auth mechanism"}},
		{"bad escape in query", withDate("AWS4-HMAC-SHA256 " + cred + ", " + signed + ", Signature=" + sig), apierr.IncompleteSignature, []string{"percent-encoding"}},

		{"presigned, no X-Amz-Expires", query(presignBase + "&X-Amz-Signature=" + sig), apierr.IncompleteSignature, []string{"must include 'X-Amz-Expires'"}},
		{"presigned, X-Amz-Expires not a number", query(presignBase + "&X-Amz-Expires=1h&X-Amz-Signature=" + sig), apierr.IncompleteSignature, []string{"X-Amz-Expires", "number"}},
		{"presigned, negative X-Amz-Expires", query(presignBase + "&X-Amz-Expires=-1&X-Amz-Signature=" + sig), apierr.IncompleteSignature, []string{"X-Amz-Expires", "non-negative"}},
		{"presigned, X-Amz-Expires over a week", query(presignBase + "&X-Amz-Expires=604801&X-Amz-Signature=" + sig), apierr.IncompleteSignature, []string{"X-Amz-Expires", "604800"}},
		{"presigned, X-Amz-Expires overflowing", query(presignBase + "&X-Amz-Expires=99999999999999999999999&X-Amz-Signature=" + sig), apierr.IncompleteSignature, []string{"X-Amz-Expires", "604800"}},
		{"presigned, no signature", query(presignBase + "&X-Amz-Expires=60"), apierr.IncompleteSignature, []string{"must include 'X-Amz-Signature'"}},
		{"presigned, only a signature", query("X-Amz-Signature=" + sig), apierr.IncompleteSignature, []string{"'X-Amz-Algorithm'", "'X-Amz-Credential'", "'X-Amz-Date'", "'X-Amz-SignedHeaders'", "'X-Amz-Expires'"}},
		{"presigned, other algorithm", query(strings.Replace(presignBase, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1) + "&X-Amz-Expires=60&X-Amz-Signature=" + sig), apierr.IncompleteSignature, []string{"X-Amz-Algorithm"}},
		{"presigned, repeated date", query(presignBase + "&X-Amz-Date=" + date + "&X-Amz-Expires=60&X-Amz-Signature=" + sig), apierr.IncompleteSignature, []string{"repeat 'X-Amz-Date'"}},
		{"presigned, bad credential", query(strings.Replace(presignBase, "%2Faws4_request", "", 1) + "&X-Amz-Expires=60&X-Amz-Signature=" + sig), apierr.IncompleteSignature, []string{"Credential"}},
		{"presigned, host not signed", query(strings.Replace(presignBase, "X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date", 1) + "&X-Amz-Expires=60&X-Amz-Signature=" + sig), apierr.IncompleteSignature, []string{"'host'"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := c.raw
			if c.name == "bad escape in query" {
				raw = strings.Replace(raw, "GET / ", "GET /?a=%zz ", 1)
			}
			r := readRawRequest(t, raw)
			s, err := Parse(r)
			if err == nil {
				// Whatever Parse lets through must still fail verification.
				err = s.Verify(r, testSecret, emptyHash, mustTime(t, date), Options{})
			}
			if !apierr.Is(err, c.code) {
				t.Fatalf("got %v, want code %v", err, apierr.Lookup(c.code).QueryCode)
			}
			msg := apierr.Of(err).Text()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not name %q", msg, w)
				}
			}
			for _, secret := range []string{sig, testSecret, testToken, "wJalrXUtnFEMI"} {
				if strings.Contains(msg, secret) || strings.Contains(err.Error(), secret) {
					t.Errorf("message %q leaks %q", msg, secret)
				}
			}
		})
	}
}

// TestVerifyNeverLeaks checks the messages of Verify's refusals too.
func TestVerifyNeverLeaks(t *testing.T) {
	at := mustTime(t, "20240501T120000Z")
	r, ph := signedAt(t, at, 0)
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	sig := r.Header.Get("Authorization")[strings.Index(r.Header.Get("Authorization"), "Signature=")+10:]
	errs := []error{
		s.Verify(r, "wrong", ph, at, Options{}),
		s.Verify(r, testSecret, ph, at.Add(time.Hour), Options{}),
		s.Verify(r, testSecret, ph, at.Add(-time.Hour), Options{}),
		s.Verify(r, testSecret, emptyHash, at, Options{}),
	}
	for _, err := range errs {
		if err == nil {
			t.Fatal("accepted")
		}
		for _, secret := range []string{sig, testSecret, testToken} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%v leaks %q", err, secret)
			}
		}
	}
}

// TestSignatureForm: a signature that is not 64 lowercase hex digits parses (it is present)
// but never verifies, not even as the uppercase spelling of the right one.
func TestSignatureForm(t *testing.T) {
	c := suiteCases(t)[0]
	right := strings.TrimSpace(c.file(t, "signature.txt"))
	for _, bad := range []string{strings.ToUpper(right), right[:63], right + "0", strings.Repeat("z", 64)} {
		err := verifyRaw(t, strings.Replace(c.signed, right, bad, 1), c.ctx.Credentials.SecretAccessKey, c.ctx.Timestamp, c.opt())
		if !apierr.Is(err, apierr.InvalidSignature) {
			t.Errorf("signature %q: got %v", bad, err)
		}
	}
}

func TestCanonicalPath(t *testing.T) {
	cases := []struct{ raw, normalized, asIs string }{
		{"", "/", "/"},
		{"/", "/", "/"},
		{"/a/b/../c", "/a/c", "/a/b/../c"},
		{"/a/b/../", "/a/", "/a/b/../"},
		{"/../../a", "/a", "/../../a"},
		{"/a%2Fb/c%20d", "/a%252Fb/c%2520d", "/a%2Fb/c%20d"},
		{"/a b/ሴ", "/a%20b/%E1%88%B4", "/a%20b/%E1%88%B4"},
		{"/arn:aws:x/~x!", "/arn%3Aaws%3Ax/~x%21", "/arn%3Aaws%3Ax/~x%21"},
		{"/%zz", "/%25zz", "/%25zz"},
	}
	for _, c := range cases {
		if got := string(appendPathNormalized(nil, c.raw)); got != c.normalized {
			t.Errorf("normalized %q = %q, want %q", c.raw, got, c.normalized)
		}
		if got := string(appendPathAsIs(nil, c.raw)); got != c.asIs {
			t.Errorf("as is %q = %q, want %q", c.raw, got, c.asIs)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	sc := getScratch()
	defer putScratch(sc)
	cases := []struct{ raw, want string }{
		{"", ""},
		{"b=2&a=1&a=0", "a=0&a=1&b=2"},
		{"flag&x=", "flag=&x="},
		{"a=b+c&d=%2B&e=%2f&&", "a=b%20c&d=%2B&e=%2F"},
		{"%E1%88%B4=1&Z=2&z=3", "%E1%88%B4=1&Z=2&z=3"},
		{"k=~-._*'()!", "k=~-._%2A%27%28%29%21"},
	}
	for _, c := range cases {
		if got := string(appendCanonicalQuery(nil, sc, c.raw, false, false)); got != c.want {
			t.Errorf("%q = %q, want %q", c.raw, got, c.want)
		}
	}
	got := string(appendCanonicalQuery(nil, sc, "a=1&X-Amz-Signature=abc&X-Amz-Security-Token=t", true, true))
	if got != "a=1" {
		t.Errorf("presigned without token: %q", got)
	}
}

func TestHeaderValues(t *testing.T) {
	h := http.Header{"X-Custom": {"  a   b  ", "c"}, "x_odd": {"v"}}
	cases := []struct{ name, want string }{
		{"x-custom", "a b,c"},
		{"x_odd", "v"},
		{"absent", ""},
	}
	for _, c := range cases {
		if got := string(appendValues(nil, headerValues(h, c.name))); got != c.want {
			t.Errorf("%s = %q, want %q", c.name, got, c.want)
		}
	}
	if got := string(appendTrimmed(nil, "value1\r\n  value2\n\tvalue3")); got != "value1 value2 value3" {
		t.Errorf("folded = %q", got)
	}
	if got := string(appendTrimmed(nil, "a\tb")); got != "a\tb" {
		t.Errorf("tab = %q", got)
	}
}

// TestRebuiltHeaders covers the headers Go's server keeps outside r.Header.
func TestRebuiltHeaders(t *testing.T) {
	r := &http.Request{Host: "h.example:8080", ContentLength: 13, TransferEncoding: []string{"chunked"}, Header: http.Header{}}
	for name, want := range map[string]string{"host": "h.example:8080", "content-length": "13", "transfer-encoding": "chunked"} {
		if got := string(appendHeaderValue(nil, r, name)); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	r.Header.Set("Content-Length", "12")
	if got := string(appendHeaderValue(nil, r, "content-length")); got != "12" {
		t.Errorf("content-length from the header = %q", got)
	}
}

func TestHMAC(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	for _, n := range []int{0, 1, 32, 63, 64, 65, 130} {
		key := make([]byte, n)
		msg := make([]byte, rng.IntN(300))
		for i := range key {
			key[i] = byte(rng.Uint32())
		}
		for i := range msg {
			msg[i] = byte(rng.Uint32())
		}
		m := hmac.New(sha256.New, key)
		m.Write(msg)
		want := m.Sum(nil)
		if got := hmacSHA256(key, msg, &buf); !hmac.Equal(got[:], want) {
			t.Errorf("key of %d bytes: got %x want %x", n, got, want)
		}
		if got := hmacSHA256(key, string(msg), &buf); !hmac.Equal(got[:], want) {
			t.Errorf("key of %d bytes, string message: got %x want %x", n, got, want)
		}
	}
}

func TestSigningKeyCache(t *testing.T) {
	sc := getScratch()
	defer putScratch(sc)
	// The AWS documentation's example key derivation.
	const docSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	const want = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
	for i := 0; i < 2; i++ { // once derived, once from the cache
		k := signingKey(docSecret, "20150830", "us-east-1", "iam", sc)
		if got := hashHexKey(k); got != want {
			t.Fatalf("pass %d: key %s, want %s", i, got, want)
		}
	}
	other := signingKey(docSecret+"x", "20150830", "us-east-1", "iam", sc)
	if hashHexKey(other) == want {
		t.Fatal("another secret got the cached key")
	}
	for i := 0; i < maxCachedKeys+50; i++ {
		signingKey("s", "20150830", "r"+itoaTest(i), "svc", sc)
	}
	signingKeys.RLock()
	n := len(signingKeys.m)
	for id := range signingKeys.m {
		if strings.Contains(id.date+id.region+id.service, "wJalr") {
			t.Error("a secret sits in the cache key")
		}
	}
	signingKeys.RUnlock()
	if n > maxCachedKeys {
		t.Errorf("cache holds %d keys, bound is %d", n, maxCachedKeys)
	}
}

func hashHexKey(k [32]byte) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for _, c := range k {
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
	return b.String()
}

func itoaTest(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestParseSuccessAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	at := mustTime(t, "20240501T120000Z")
	r, ph := signedAt(t, at, 0)
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(r, testSecret, ph, at, Options{}); err != nil { // warm the key cache
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		s, _ := Parse(r)
		if s.Verify(r, testSecret, ph, at, Options{}) != nil {
			t.Fatal("refused")
		}
	})
	// The Signed value alone.
	if allocs > 1 {
		t.Errorf("%.0f allocations per verification, want 1", allocs)
	}
}

func BenchmarkVerifyHeader(b *testing.B) {
	at := mustTime(b, "20240501T120000Z")
	r, ph := signedAt(b, at, 0)
	b.ReportAllocs()
	for b.Loop() {
		s, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Verify(r, testSecret, ph, at, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPresigned(b *testing.B) {
	at := mustTime(b, "20240501T120000Z")
	r, ph := signedAt(b, at, 900)
	b.ReportAllocs()
	for b.Loop() {
		s, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Verify(r, testSecret, ph, at, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConcurrentVerify runs verifications that share the scratch pool and the key cache;
// run with -race to check both.
func TestConcurrentVerify(t *testing.T) {
	base := mustTime(t, "20240501T120000Z")
	type signed struct {
		r  *http.Request
		ph string
		at time.Time
	}
	var reqs []signed
	for i := 0; i < 6; i++ {
		at := base.Add(time.Duration(i) * 25 * time.Hour) // a new scope date each time
		r, ph := signedAt(t, at, 0)
		reqs = append(reqs, signed{r, ph, at})
	}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			var err error
			for i := 0; i < 200 && err == nil; i++ {
				c := reqs[(g+i)%len(reqs)]
				s, perr := Parse(c.r)
				if perr != nil {
					err = perr
					break
				}
				err = s.Verify(c.r, testSecret, c.ph, c.at, Options{})
				if i%7 == 0 && err == nil {
					if s.Verify(c.r, testSecret+"x", c.ph, c.at, Options{}) == nil {
						err = errAccepted
					}
				}
			}
			done <- err
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

var errAccepted = &apierr.Error{Code: apierr.InternalFailure, Message: "a wrong secret was accepted"}
