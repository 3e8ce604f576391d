// Package pyvalue is the value model of connectfed's AWS CLI: the values decoded responses,
// query results and --cli-input documents hold, and what Python (which AWS CLI v2 is written
// in) makes of them: str(), repr(), type names, truth, json.dumps, and decoding JSON and YAML
// with their keys in order. The output formats and the input readers share it.
package pyvalue

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Values handled here are what decoded responses, query results and --cli-input documents
// hold: string, bool, nil, float64 (JMESPath's numbers), int, int64, json.Number,
// map[string]any, []any, Object (a JSON object that keeps its key order) and NaiveTime.

// NaiveTime is a datetime without a time zone, the placeholder botocore puts in an output
// skeleton's timestamps. Each formatter prints it its own way, as Python's do.
type NaiveTime struct{ time.Time }

// KeyValue and Object keep a JSON object's key order, which botocore's messages follow.
type KeyValue struct {
	Key   string
	Value any
}

type Object []KeyValue

// Str is Python's str() of a value: what the text and table formats print.
func Str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case NaiveTime:
		return x.Format("2006-01-02 15:04:05")
	}
	return Repr(v)
}

// Repr is Python's repr() of a value, as botocore quotes values in its messages.
func Repr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return ReprString(x)
	case float64:
		return Number(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return JSONNumber(x)
	case NaiveTime:
		return "datetime.datetime(" + strconv.Itoa(x.Year()) + ", " + strconv.Itoa(int(x.Month())) + ", " +
			strconv.Itoa(x.Day()) + ", " + strconv.Itoa(x.Hour()) + ", " + strconv.Itoa(x.Minute()) + ")"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Repr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case Object:
		parts := make([]string, len(x))
		for i, kv := range x {
			parts[i] = ReprString(kv.Key) + ": " + Repr(kv.Value)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case map[string]any:
		keys := SortedKeys(x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = ReprString(k) + ": " + Repr(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "<?>"
}

// TypeName is the name Python gives the type json.loads or a YAML loader would have made.
func TypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case string:
		return "str"
	case float64:
		return "float"
	case int, int64:
		return "int"
	case json.Number:
		if IsIntLiteral(string(x)) {
			return "int"
		}
		return "float"
	case NaiveTime:
		return "datetime.datetime"
	case []any:
		return "list"
	case Object, map[string]any:
		return "dict"
	}
	return "Object"
}

// Number prints a JMESPath number. JMESPath evaluates every number as a float64, while
// Python keeps ints apart from floats; a whole number is printed as Python prints the int it
// almost always was (a length, a count), and anything else as Python's float repr.
func Number(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e16 {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return Float(f)
}

// Float is Python's repr() of a float: the shortest round-tripping digits, in positional
// notation for exponents from -4 to 15, and always with a fraction or an exponent.
func Float(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// JSONNumber prints a JSON number as Python prints what json.loads made of it.
func JSONNumber(n json.Number) string {
	if IsIntLiteral(string(n)) {
		return strings.TrimPrefix(string(n), "+")
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return string(n)
	}
	return Float(f)
}

func IsIntLiteral(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".eE")
}

// ReprString is Python's repr() of a str.
func ReprString(s string) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\' || r == rune(quote):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			b.WriteString(`\x` + hex2(int(r)))
		case r == utf8.RuneError || r < 0x80 || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xffff:
			b.WriteString(`\u` + hex2(int(r>>8)) + hex2(int(r&0xff)))
		default:
			b.WriteString(`\U000` + strconv.FormatInt(int64(r), 16))
		}
	}
	b.WriteByte(quote)
	return b.String()
}

func hex2(n int) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[n>>4&0xf], digits[n&0xf]})
}

// Truthy is Python's truth value of a value.
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case float64:
		return x != 0
	case int:
		return x != 0
	case int64:
		return x != 0
	case json.Number:
		f, _ := x.Float64()
		return f != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	case Object:
		return len(x) > 0
	}
	return true
}

func IsScalar(v any) bool {
	switch v.(type) {
	case []any, map[string]any, Object:
		return false
	}
	return true
}
