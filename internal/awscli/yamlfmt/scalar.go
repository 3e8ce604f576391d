package yamlfmt

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// scalar writes a string in the style ruamel chooses: plain when that reads back as the same
// string, else single-quoted, else double-quoted with escapes.
func (y *yamlWriter) scalar(s string, indent int, key bool) {
	a := analyzeScalar(s)
	switch {
	case a.plain && !(key && (s == "" || a.multiline)) && !resolvesImplicitly(s):
		y.writePlain(s, indent, !key)
	case a.singleQuoted && !(key && a.multiline):
		y.writeSingleQuoted(s, indent, !key)
	default:
		y.writeDoubleQuoted(s, indent, !key)
	}
}

type scalarAnalysis struct {
	plain, singleQuoted, multiline bool
}

func isBlankOrBreak(r rune) bool {
	switch r {
	case 0, ' ', '\t', '\r', '\n', 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

func isBreak(r rune) bool {
	return r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029
}

// analyzeScalar decides which block-context styles can carry s, as ruamel's
// Emitter.analyze_scalar does with allow_unicode on.
func analyzeScalar(s string) scalarAnalysis {
	if s == "" {
		return scalarAnalysis{plain: true, singleQuoted: true}
	}
	rs := []rune(s)
	var indicators, lineBreaks, special bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		indicators = true
	}
	precededByWS := true
	followedByWS := len(rs) == 1 || isBlankOrBreak(rs[1])
	prevSpace, prevBreak := false, false
	for i, r := range rs {
		if i == 0 {
			if strings.ContainsRune("#,[]{}&*!|>'\"%@`", r) {
				indicators = true
			}
			if (r == '?' || r == ':') && followedByWS {
				indicators = true
			}
			if r == '-' && followedByWS {
				indicators = true
			}
		} else {
			if r == ':' && followedByWS {
				indicators = true
			}
			if r == '#' && precededByWS {
				indicators = true
			}
		}
		if isBreak(r) {
			lineBreaks = true
		}
		if !(r == '\n' || (r >= 0x20 && r <= 0x7e)) {
			if !((r == 0x85 || (r >= 0xa0 && r <= 0xd7ff) || (r >= 0xe000 && r <= 0xfffd) ||
				(r >= 0x10000 && r <= 0x10ffff)) && r != 0xfeff) {
				special = true
			}
		}
		switch {
		case r == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i == len(rs)-1 {
				trailingSpace = true
			}
			if prevBreak {
				breakSpace = true
			}
			prevSpace, prevBreak = true, false
		case isBreak(r):
			if i == 0 {
				leadingBreak = true
			}
			if i == len(rs)-1 {
				trailingBreak = true
			}
			if prevSpace {
				spaceBreak = true
			}
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		precededByWS = isBlankOrBreak(r)
		followedByWS = i+2 >= len(rs) || isBlankOrBreak(rs[i+2])
	}
	a := scalarAnalysis{plain: true, singleQuoted: true, multiline: lineBreaks}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.plain = false
	}
	if breakSpace || special || spaceBreak {
		a.plain, a.singleQuoted = false, false
	}
	if lineBreaks || indicators {
		a.plain = false
	}
	return a
}

// The YAML 1.2 implicit types of ruamel's resolver: a plain scalar matching one of these would
// read back as something other than a string, so such strings are quoted.
var implicitTypes = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:` +
		`true|True|TRUE|false|False|FALSE` +
		`|[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?` +
		`|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+` +
		`|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?` +
		`|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)` +
		`|[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+` +
		`|<<|~|null|Null|NULL|` +
		`|[0-9]{4}-[0-9]{2}-[0-9]{2}` +
		`|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?` +
		`(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?` +
		`|=)$`)
})

func resolvesImplicitly(s string) bool {
	if s == "" {
		return true
	}
	// ruamel consults a resolver only for the first characters that can start its pattern.
	if !strings.ContainsRune("tTfF-+0123456789.<~nN=", []rune(s)[0]) {
		return false
	}
	return implicitTypes().MatchString(s)
}

// writeIndent starts a continuation line of a folded scalar, unless a line break just did.
func (y *yamlWriter) writeIndent(indent int) {
	if n := len(y.b); n == 0 || y.b[n-1] != '\n' {
		y.write("\n")
	}
	y.write(strings.Repeat(" ", max(indent-y.column, 0)))
}

func (y *yamlWriter) writePlain(s string, indent int, split bool) {
	rs := []rune(s)
	start := 0
	spaces, breaks := false, false
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && y.column > yamlWidth && split {
					y.writeIndent(indent)
				} else {
					y.write(string(rs[start:end]))
				}
				start = end
			}
		case breaks:
			if !isBreak(ch) {
				if rs[start] == '\n' {
					y.write("\n")
				}
				for _, br := range rs[start:end] {
					y.write(string(br))
				}
				y.writeIndent(indent)
				start = end
			}
		default:
			if ch == -1 || ch == ' ' || isBreak(ch) {
				y.write(string(rs[start:end]))
				start = end
			}
		}
		if ch != -1 {
			spaces = ch == ' '
			breaks = isBreak(ch)
		}
	}
}

func (y *yamlWriter) writeSingleQuoted(s string, indent int, split bool) {
	y.write("'")
	rs := []rune(s)
	start := 0
	spaces, breaks := false, false
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && y.column > yamlWidth && split && start != 0 && end != len(rs) {
					y.writeIndent(indent)
				} else {
					y.write(string(rs[start:end]))
				}
				start = end
			}
		case breaks:
			if !isBreak(ch) {
				if rs[start] == '\n' {
					y.write("\n")
				}
				for _, br := range rs[start:end] {
					y.write(string(br))
				}
				y.writeIndent(indent)
				start = end
			}
		default:
			if ch == -1 || ch == ' ' || isBreak(ch) || ch == '\'' {
				if start < end {
					y.write(string(rs[start:end]))
					start = end
				}
			}
		}
		if ch == '\'' {
			y.write("''")
			start = end + 1
		}
		if ch != -1 {
			spaces = ch == ' '
			breaks = isBreak(ch)
		}
	}
	y.write("'")
}

// yamlEscape is the short escape YAML has for r, if any.
func yamlEscape(r rune) (string, bool) {
	const from, to = "\x00\a\b\t\n\v\f\r\x1b\"\\\u0085\u00a0\u2028\u2029", "0abtnvfre\"\\N_LP"
	i := strings.IndexRune(from, r)
	if i < 0 {
		return "", false
	}
	return to[utf8.RuneCountInString(from[:i]) : utf8.RuneCountInString(from[:i])+1], true
}

func (y *yamlWriter) writeDoubleQuoted(s string, indent int, split bool) {
	y.write("\"")
	rs := []rune(s)
	start := 0
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		if ch == -1 || strings.ContainsRune("\"\\\u0085\u2028\u2029\ufeff", ch) ||
			!((ch >= 0x20 && ch <= 0x7e) || (ch >= 0xa0 && ch <= 0xd7ff) || (ch >= 0xe000 && ch <= 0xfffd)) {
			if start < end {
				y.write(string(rs[start:end]))
				start = end
			}
			if ch != -1 {
				var esc string
				if e, ok := yamlEscape(ch); ok {
					esc = "\\" + e
				} else if ch <= 0xff {
					esc = fmt.Sprintf("\\x%02X", ch)
				} else if ch <= 0xffff {
					esc = fmt.Sprintf("\\u%04X", ch)
				} else {
					esc = "\\U" + strings.ToUpper(strconv.FormatInt(int64(ch)|1<<32, 16)[1:])
				}
				y.write(esc)
				start = end + 1
			}
		}
		if 0 < end && end < len(rs)-1 && (ch == ' ' || start >= end) && y.column+(end-start) > yamlWidth && split {
			y.write(string(rs[start:end]) + "\\")
			if start < end {
				start = end
			}
			y.writeIndent(indent)
			if rs[start] == ' ' {
				y.write("\\")
			}
		}
	}
	y.write("\"")
}
