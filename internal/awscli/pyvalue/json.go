package pyvalue

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// AppendJSON writes v as Python's json.dump(v, indent=4, ensure_ascii=False) does, which is
// how AWS CLI v2 prints --output json: four-space indents, ", " never at line ends, non-ASCII
// characters as themselves, "/" and "<" unescaped.
func AppendJSON(b []byte, v any, level int, order *KeyOrder) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return appendJSONString(b, x)
	case NaiveTime:
		return appendJSONString(b, x.Format("2006-01-02T15:04:05"))
	case float64:
		switch {
		case math.IsNaN(x):
			return append(b, "NaN"...)
		case math.IsInf(x, 1):
			return append(b, "Infinity"...)
		case math.IsInf(x, -1):
			return append(b, "-Infinity"...)
		}
		return append(b, Number(x)...)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case json.Number:
		return append(b, JSONNumber(x)...)
	case []any:
		if len(x) == 0 {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendNewline(b, level+1)
			b = AppendJSON(b, e, level+1, order)
		}
		b = appendNewline(b, level)
		return append(b, ']')
	case map[string]any:
		if len(x) == 0 {
			return append(b, "{}"...)
		}
		b = append(b, '{')
		for i, k := range order.Keys(x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendNewline(b, level+1)
			b = appendJSONString(b, k)
			b = append(b, ": "...)
			b = AppendJSON(b, x[k], level+1, order)
		}
		b = appendNewline(b, level)
		return append(b, '}')
	}
	return append(b, "null"...)
}

func appendNewline(b []byte, level int) []byte {
	b = append(b, '\n')
	return append(b, strings.Repeat("    ", level)...)
}

// appendJSONString quotes s as Python's json module does with ensure_ascii=False: only the
// quote, the backslash and control characters are escaped, the latter in lower-case hex.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			if c < utf8.RuneSelf {
				b = append(b, c)
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			b = utf8.AppendRune(b, r)
			i += size
			continue
		}
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, hex2(int(c))...)
		}
		i++
	}
	return append(b, '"')
}
