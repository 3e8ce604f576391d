package httpx

import (
	"encoding/json"
	"reflect"
	"strconv"
)

// JSONProblem describes why a JSON body did not decode, in the caller's terms: where the syntax
// broke, or which member has the wrong JSON type. It never echoes the input, and never names a
// Go type.
func JSONProblem(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return "syntax error at byte " + strconv.FormatInt(e.Offset, 10)
	case *json.UnmarshalTypeError:
		want := jsonKind(e.Type)
		if e.Field == "" {
			return "the body must be " + want + ", not " + article(e.Value)
		}
		return "member " + e.Field + " must be " + want + ", not " + article(e.Value)
	}
	return "malformed"
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// article puts "a" or "an" before the JSON kind encoding/json reports ("number", "array",
// "object", "string", "bool", "number 1.5").
func article(value string) string {
	switch {
	case value == "bool":
		return "a boolean"
	case value != "" && (value[0] == 'a' || value[0] == 'o'):
		return "an " + value
	}
	return "a " + value
}
