// Package yamlfmt writes AWS CLI v2's --output yaml and yaml-stream: what ruamel.yaml's safe
// dumper makes of a value of the pyvalue model.
package yamlfmt

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/connectfed/connectfed/internal/awscli/pyvalue"
)

// YAML output, as AWS CLI v2 writes it with ruamel.yaml's safe dumper (YAML 1.2, block style,
// keys sorted, two-space indents, sequences inside mappings not indented, lines folded past 80
// columns, Unicode as is). A scalar at the top is written as JSON instead, as the CLI does.
// go.yaml.in/yaml/v3 emits a different layout and quoting, so the emitter is written here.

const yamlWidth = 80

type yamlWriter struct {
	b      []byte
	column int
}

func (y *yamlWriter) write(s string) {
	y.b = append(y.b, s...)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		y.column = utf8.RuneCountInString(s[i+1:])
	} else {
		y.column += utf8.RuneCountInString(s)
	}
}

// Append writes v as the yaml format does.
func Append(b []byte, v any) []byte {
	if pyvalue.IsScalar(v) {
		b = pyvalue.AppendJSON(b, topLevelScalar(v), 0, nil)
		return append(b, '\n')
	}
	y := &yamlWriter{b: b}
	y.node(v, 0, false)
	return y.b
}

func topLevelScalar(v any) any {
	if t, ok := v.(pyvalue.NaiveTime); ok {
		return t.Format("2006-01-02T15:04:05")
	}
	return v
}

// node writes a collection whose first line starts at the current column (inline, after
// "- ") or at indent.
func (y *yamlWriter) node(v any, indent int, inline bool) {
	switch x := v.(type) {
	case map[string]any:
		for i, k := range pyvalue.SortedKeys(x) {
			if i > 0 || !inline {
				y.write(strings.Repeat(" ", indent))
			}
			y.scalar(k, indent, true)
			y.write(":")
			y.value(x[k], indent, false)
		}
	case []any:
		for i, e := range x {
			if i > 0 || !inline {
				y.write(strings.Repeat(" ", indent))
			}
			y.write("-")
			y.value(e, indent, true)
		}
	}
}

// value writes what follows "key:" or "-" and ends the line.
func (y *yamlWriter) value(v any, indent int, inSequence bool) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			y.write(" {}\n")
			return
		}
		if inSequence {
			y.write(" ")
			y.node(x, indent+2, true)
			return
		}
		y.write("\n")
		y.node(x, indent+2, false)
	case []any:
		if len(x) == 0 {
			y.write(" []\n")
			return
		}
		if inSequence {
			y.write(" ")
			y.node(x, indent+2, true)
			return
		}
		// A sequence that is a mapping's value is not indented.
		y.write("\n")
		y.node(x, indent, false)
	default:
		y.write(" ")
		y.scalarValue(v, indent+2)
		y.write("\n")
	}
}

func (y *yamlWriter) scalarValue(v any, indent int) {
	switch x := v.(type) {
	case nil:
		y.write("null")
	case bool:
		y.write(strconv.FormatBool(x))
	case string:
		y.scalar(x, indent, false)
	case pyvalue.NaiveTime:
		y.write(x.Format("2006-01-02 15:04:05"))
	case float64:
		if x == float64(int64(x)) && x < 1e16 && x > -1e16 {
			y.write(pyvalue.Number(x))
			return
		}
		s := pyvalue.Float(x)
		switch s {
		case "nan":
			s = ".nan"
		case "inf":
			s = ".inf"
		case "-inf":
			s = "-.inf"
		}
		// ruamel writes an exponent with a fraction so that it reads back as a float.
		if i := strings.IndexByte(s, 'e'); i >= 0 && !strings.Contains(s[:i], ".") {
			s = s[:i] + ".0" + s[i:]
		}
		y.write(s)
	default:
		y.write(pyvalue.Str(v))
	}
}
