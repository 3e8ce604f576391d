package awscli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/connectfed/connectfed/internal/awscli/pyvalue"
)

// Timestamp formats of the cli_timestamp_format setting.
const (
	TimestampISO8601 = "iso8601" // AWS CLI v2's default
	TimestampWire    = "wire"    // as the service sent it
)

// DecodeResponse decodes a restJson1 response body as botocore does for AWS CLI v2: the
// members of the output shape in model order, absent and null members left out, unknown ones
// dropped, timestamps converted to ISO 8601 in loc (or left as numbers for "wire").
//
// It works on the raw body rather than on the SDK's typed output because the SDK keeps
// timestamps to the millisecond and truncates, where the CLI prints microseconds rounded.
func DecodeResponse(body []byte, shape *Shape, timestampFormat string, loc *time.Location) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("Unable to parse response (%v), invalid JSON response body", err)
	}
	d := decoder{timestampFormat: timestampFormat, loc: loc}
	return d.value(raw, shape)
}

type decoder struct {
	timestampFormat string
	loc             *time.Location
}

func (d decoder) value(raw any, shape *Shape) (any, error) {
	switch shape.Kind {
	case KindStructure:
		obj, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Unable to parse response: expected an object, got %s", pyvalue.TypeName(raw))
		}
		out := make(map[string]any, len(shape.Members))
		for _, m := range shape.Members {
			v, ok := obj[m.Name]
			if !ok || v == nil {
				continue
			}
			dv, err := d.value(v, m.Shape)
			if err != nil {
				return nil, err
			}
			out[m.Name] = dv
		}
		return out, nil
	case KindTimestamp:
		return d.timestamp(raw)
	}
	return plain(raw), nil
}

func (d decoder) timestamp(raw any) (any, error) {
	var number string
	switch v := raw.(type) {
	case json.Number:
		number = string(v)
	case string:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return v, nil // an ISO 8601 string; the SDK refuses these before we get here
		}
		number = v
	default:
		return plain(raw), nil
	}
	if d.timestampFormat == TimestampWire {
		f, _ := strconv.ParseFloat(number, 64)
		return f, nil
	}
	return isoTimestamp(number, d.loc)
}

// plain turns decoded JSON into the values JMESPath evaluates: numbers as float64.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = plain(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = plain(x[k])
		}
	}
	return v
}
