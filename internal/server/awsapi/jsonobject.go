package awsapi

import (
	"slices"
	"strconv"
	"time"

	"github.com/connectfed/connectfed/internal/awsproto"
)

// jsonObject appends a JSON object member by member, as encoding/json writes a struct: members
// in the order written, ",omitempty" ones left out by the caller's choice of method. It serves
// the answers read in loops (DescribeUser, DescribeInstance), where reflection was a tenth of
// the call.
type jsonObject struct {
	b       []byte
	members int
}

func openObject(b []byte) jsonObject { return jsonObject{b: append(b, '{')} }

func (o *jsonObject) key(name string) {
	if o.members > 0 {
		o.b = append(o.b, ',')
	}
	o.members++
	o.b = append(o.b, '"')
	o.b = append(o.b, name...)
	o.b = append(o.b, '"', ':')
}

func (o *jsonObject) str(name, v string) {
	o.key(name)
	o.b = awsproto.AppendJSONString(o.b, v)
}

// optional is a ",omitempty" string.
func (o *jsonObject) optional(name, v string) {
	if v != "" {
		o.str(name, v)
	}
}

func (o *jsonObject) boolean(name string, v bool) {
	o.key(name)
	o.b = strconv.AppendBool(o.b, v)
}

func (o *jsonObject) integer(name string, v int) {
	o.key(name)
	o.b = strconv.AppendInt(o.b, int64(v), 10)
}

func (o *jsonObject) epoch(name string, t time.Time) {
	o.key(name)
	o.b = awsproto.AppendEpoch(o.b, t)
}

// strs is a []string without ",omitempty": null when nil.
func (o *jsonObject) strs(name string, v []string) {
	o.key(name)
	if v == nil {
		o.b = append(o.b, "null"...)
		return
	}
	o.b = append(o.b, '[')
	for i, s := range v {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = awsproto.AppendJSONString(o.b, s)
	}
	o.b = append(o.b, ']')
}

// tags is a ",omitempty" map[string]string, keys sorted as encoding/json sorts them.
func (o *jsonObject) tags(name string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	o.key(name)
	o.b = append(o.b, '{')
	for i, k := range keys {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = append(awsproto.AppendJSONString(o.b, k), ':')
		o.b = awsproto.AppendJSONString(o.b, m[k])
	}
	o.b = append(o.b, '}')
}

// inner starts a member whose value is an object: write its members to the jsonObject
// returned, and give its close back to o.b.
func (o *jsonObject) inner(name string) jsonObject {
	o.key(name)
	return openObject(o.b)
}

func (o *jsonObject) close() []byte { return append(o.b, '}') }
