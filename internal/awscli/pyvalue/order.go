package pyvalue

import (
	"maps"
	"slices"
)

// KeyOrder says in which order an object's keys are printed. Python keeps a dict's insertion
// order: botocore inserts a response's members in model order, and JMESPath's multi-select hash
// inserts its keys in the order the expression names them. Go maps keep no order, so it is
// recovered from those two sources; an object from neither (made by a JMESPath function) is
// printed with sorted keys.
type KeyOrder struct {
	Exact  [][]string // multi-select hash keys: used when the object has exactly these keys
	Subset [][]string // model members: used when the object's keys are among them
}

func (o *KeyOrder) Keys(m map[string]any) []string {
	if o != nil {
		for _, list := range o.Exact {
			if len(list) == len(m) && hasAll(m, list) {
				return list
			}
		}
		for _, list := range o.Subset {
			if keys, ok := within(m, list); ok {
				return keys
			}
		}
	}
	return SortedKeys(m)
}

func hasAll(m map[string]any, list []string) bool {
	for _, k := range list {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// within returns m's keys in list's order when every key of m is in list.
func within(m map[string]any, list []string) ([]string, bool) {
	keys := make([]string, 0, len(m))
	for _, k := range list {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	return keys, len(keys) == len(m)
}

func SortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}
