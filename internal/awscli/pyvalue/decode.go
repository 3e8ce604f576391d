package pyvalue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DecodeJSON decodes JSON keeping objects' key order (a repeated key keeps its first
// place and its last value, as Python's dict does).
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSONValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("extra data")
	}
	return v, nil
}

func decodeJSONValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var obj Object
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeJSONValue(dec)
				if err != nil {
					return nil, err
				}
				obj = obj.Set(kt.(string), v)
			}
			_, err := dec.Token()
			if obj == nil {
				obj = Object{}
			}
			return obj, err
		case '[':
			list := []any{}
			for dec.More() {
				v, err := decodeJSONValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil
}

func (o Object) Set(key string, v any) Object {
	for i := range o {
		if o[i].Key == key {
			o[i].Value = v
			return o
		}
	}
	return append(o, KeyValue{key, v})
}

// DecodeYAML loads a YAML document as ruamel's safe loader would, keeping key order.
func DecodeYAML(data []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 {
		return nil, nil // an empty document loads as None
	}
	return fromYAMLNode(&doc)
}

func fromYAMLNode(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return fromYAMLNode(n.Content[0])
	case yaml.AliasNode:
		return fromYAMLNode(n.Alias)
	case yaml.MappingNode:
		obj := Object{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := fromYAMLNode(n.Content[i])
			if err != nil {
				return nil, err
			}
			v, err := fromYAMLNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			obj = obj.Set(Str(k), v)
		}
		return obj, nil
	case yaml.SequenceNode:
		list := []any{}
		for _, c := range n.Content {
			v, err := fromYAMLNode(c)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		return strings.EqualFold(n.Value, "true"), nil
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10)), nil
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f, nil
		}
	}
	return n.Value, nil
}
