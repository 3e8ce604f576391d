package awscli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/connectfed/connectfed/internal/awscli/pyvalue"
)

// appendText prints v as AWS CLI v2's --output text does (awscli/text.py): an object's scalar
// values on one tab-separated line in sorted key order, prefixed by the upper-cased key it
// hangs under; its objects and lists after it, each under its own key; a list of scalars on
// one line, or one line each when it hangs under a key.
// On an error, what was printed before it is returned too, as Python will have written it.
func appendText(b []byte, v any) ([]byte, error) {
	t := textWriter{b: b}
	t.item(v, "", false, nil)
	return t.b, t.err
}

type textWriter struct {
	b   []byte
	err error // Python's formatter fails on lists that mix objects with other things
}

func (t *textWriter) item(v any, identifier string, hasID bool, scalarKeys []string) {
	switch x := v.(type) {
	case map[string]any:
		t.dict(x, identifier, hasID, scalarKeys)
	case []any:
		t.list(x, identifier, hasID)
	default:
		t.b = append(t.b, pyvalue.Str(v)...)
		t.b = append(t.b, '\n')
	}
}

func (t *textWriter) list(list []any, identifier string, hasID bool) {
	if len(list) == 0 {
		return
	}
	if slices.ContainsFunc(list, isMap) {
		keys, err := allScalarKeys(list)
		if err != nil {
			t.err = err
			return
		}
		for _, e := range list {
			t.item(e, identifier, hasID, keys)
		}
		return
	}
	if slices.ContainsFunc(list, isList) {
		var scalars, others []any
		for _, e := range list {
			if pyvalue.IsScalar(e) {
				scalars = append(scalars, e)
			} else {
				others = append(others, e)
			}
		}
		if len(scalars) > 0 {
			t.scalars(scalars, identifier, hasID)
		}
		for _, e := range others {
			t.item(e, identifier, hasID, nil)
		}
		return
	}
	t.scalars(list, identifier, hasID)
}

func (t *textWriter) scalars(list []any, identifier string, hasID bool) {
	if hasID {
		for _, e := range list {
			t.b = append(t.b, strings.ToUpper(identifier)...)
			t.b = append(t.b, '\t')
			t.b = append(t.b, pyvalue.Str(e)...)
			t.b = append(t.b, '\n')
		}
		return
	}
	for i, e := range list {
		if i > 0 {
			t.b = append(t.b, '\t')
		}
		t.b = append(t.b, pyvalue.Str(e)...)
	}
	t.b = append(t.b, '\n')
}

func (t *textWriter) dict(m map[string]any, identifier string, hasID bool, scalarKeys []string) {
	var scalars []string
	var nested []string // keys whose values are objects or lists, sorted
	if scalarKeys == nil {
		for _, k := range pyvalue.SortedKeys(m) {
			if pyvalue.IsScalar(m[k]) {
				scalars = append(scalars, pyvalue.Str(m[k]))
			} else {
				nested = append(nested, k)
			}
		}
	} else {
		// A list of objects prints every object with the union of their scalar keys, so that
		// columns line up; a key an object lacks prints as an empty field.
		for _, k := range scalarKeys {
			v, ok := m[k]
			if !ok {
				v = ""
			}
			scalars = append(scalars, pyvalue.Str(v))
		}
		for _, k := range pyvalue.SortedKeys(m) {
			if !slices.Contains(scalarKeys, k) {
				nested = append(nested, k)
			}
		}
	}
	if len(scalars) > 0 {
		if hasID {
			scalars = slices.Insert(scalars, 0, strings.ToUpper(identifier))
		}
		t.b = append(t.b, strings.Join(scalars, "\t")...)
		t.b = append(t.b, '\n')
	}
	for _, k := range nested {
		t.item(m[k], k, true, nil)
	}
}

func allScalarKeys(list []any) ([]string, error) {
	seen := map[string]any{}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("'%s' object has no attribute 'items'", pyvalue.TypeName(e))
		}
		for k, v := range m {
			if pyvalue.IsScalar(v) {
				seen[k] = nil
			}
		}
	}
	return pyvalue.SortedKeys(seen), nil
}

func isMap(v any) bool  { _, ok := v.(map[string]any); return ok }
func isList(v any) bool { _, ok := v.([]any); return ok }
