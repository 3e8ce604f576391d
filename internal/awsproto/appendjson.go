package awsproto

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// JSONAppender is a response that encodes itself. The answers on the hot path
// (GetFederationToken) implement it: encoding/json's reflection costs about as much as the rest
// of such a request. An implementation must write what encoding/json would (with HTML escaping
// off), which its tests check against encoding/json.
type JSONAppender interface {
	AppendJSON(b []byte) []byte
}

const hexDigits = "0123456789abcdef"

// plainASCII marks the ASCII bytes a JSON string holds as they are.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendJSONString appends s as a JSON string, escaped as encoding/json escapes it with HTML
// escaping off: quote, backslash and control characters, U+2028 and U+2029 (which JavaScript
// takes for line ends), and each invalid UTF-8 byte as U+FFFD.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Tokens, ARNs and ids are long runs of plain ASCII: step over them eight bytes at a time.
		for i+8 <= len(s) && plain8(s[i:i+8]) {
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if plainASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plain8 says whether the eight bytes of s are all plain ASCII (see plainASCII), testing them
// at once: no byte below 0x20, none equal to '"' or '\\', none with the high bit set. Each test
// is the classic "has a byte less than n" on the word, exact for whether any byte matches.
func plain8(s string) bool {
	_ = s[7]
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	control := (x - 0x20*ones) &^ x
	quote := (x ^ '"'*ones - ones) &^ (x ^ '"'*ones)
	backslash := (x ^ '\\'*ones - ones) &^ (x ^ '\\'*ones)
	return (control|quote|backslash|x)&highs == 0
}

// AppendEpoch appends t as restJson1's default timestamp: epoch seconds, with milliseconds as a
// fraction when there are any.
func AppendEpoch(b []byte, t time.Time) []byte {
	b = strconv.AppendInt(b, t.Unix(), 10)
	if ms := t.Nanosecond() / 1e6; ms != 0 {
		b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	}
	return b
}
