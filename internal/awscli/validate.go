package awscli

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/connectfed/connectfed/internal/awscli/pyvalue"
)

// Validate checks the parameters against the input shape as botocore's ParamValidator does
// before any request: required members, unknown members, types and minimum lengths.
func (c *Command) Validate(p Params) error {
	var report []string
	shape := c.Op.Input
	for _, r := range shape.Required {
		if _, ok := Get(p, r); !ok {
			report = append(report, fmt.Sprintf("Missing required parameter in input: \"%s\"", r))
		}
	}
	var names []string
	for _, m := range shape.Members {
		names = append(names, m.Name)
	}
	var known []pyvalue.KeyValue
	for _, kv := range p {
		if shape.member(kv.Key) == nil {
			report = append(report, fmt.Sprintf("Unknown parameter in input: \"%s\", must be one of: %s", kv.Key, strings.Join(names, ", ")))
		} else {
			known = append(known, kv)
		}
	}
	for _, kv := range known {
		report = validateValue(report, kv.Key, kv.Value, shape.member(kv.Key).Shape)
	}
	if len(report) > 0 {
		return paramErrorf("Parameter validation failed:\n%s", strings.Join(report, "\n"))
	}
	return nil
}

func validateValue(report []string, name string, v any, s *Shape) []string {
	switch s.Kind {
	case KindString:
		str, ok := v.(string)
		if !ok {
			return append(report, fmt.Sprintf("Invalid type for parameter %s, value: %s, type: <class '%s'>, valid types: <class 'str'>",
				name, pyvalue.Repr(v), pyvalue.TypeName(v)))
		}
		if n := utf8.RuneCountInString(str); n < s.Min {
			return append(report, fmt.Sprintf("Invalid length for parameter %s, value: %d, valid min length: %d", name, n, s.Min))
		}
	}
	return report
}

// String returns a validated string parameter.
func String(p Params, name string) string {
	v, _ := Get(p, name)
	s, _ := v.(string)
	return s
}
