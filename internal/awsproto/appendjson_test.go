package awsproto

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// marshalNoHTML is encoding/json's encoding of v with HTML escaping off, as WriteJSON sets it.
func marshalNoHTML(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

var jsonStringCases = []string{
	"", "plain", `quote " and \ backslash`, "new\nline\r\ttab\b\f", "\x00\x01\x1f\x7f",
	"https://h/federation/signin?token=cfs1_a.b&x=<y>", "ünïcødé ✓ 😀", "\u2028\u2029",
	"bad \xff utf8 \xc3", "\xed\xa0\x80 surrogate", "cfa1_AAAA-_.bbbb",
}

func TestAppendJSONStringIsEncodingJSON(t *testing.T) {
	for _, s := range jsonStringCases {
		if got, want := AppendJSONString(nil, s), marshalNoHTML(t, s); !bytes.Equal(got, want) {
			t.Errorf("AppendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := AppendJSONString(nil, s), marshalNoHTML(t, s); !bytes.Equal(got, want) {
			t.Fatalf("AppendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestAppendEpoch(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Unix(1700000000, 0), "1700000000"},
		{time.Unix(1700000000, 5e6), "1700000000.005"},
		{time.Unix(1700000000, 123999999), "1700000000.123"},
		{time.Unix(0, 0), "0"},
	} {
		if got := string(AppendEpoch(nil, c.t)); got != c.want {
			t.Errorf("AppendEpoch(%v) = %s, want %s", c.t, got, c.want)
		}
	}
}

// plain8 agrees with plainASCII on every byte value in every position.
func TestPlain8IsPlainASCII(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			word := []byte("abcdefgh")
			word[pos] = byte(c)
			want := c < 0x80 && plainASCII[c]
			if got := plain8(string(word)); got != want {
				t.Fatalf("plain8 with %#x at %d = %v, want %v", c, pos, got, want)
			}
		}
	}
}

func BenchmarkAppendJSONString(b *testing.B) {
	token := "cfa1_" + strings.Repeat("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_", 10)
	buf := make([]byte, 0, 1024)
	b.SetBytes(int64(len(token)))
	for b.Loop() {
		buf = AppendJSONString(buf[:0], token)
	}
}
