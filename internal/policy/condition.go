package policy

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Condition is one key of one operator of a statement's Condition block: all of a statement's
// conditions must hold, and a condition holds when the request's value matches any of Values.
type Condition struct {
	// Operator is as written ("ForAnyValue:StringLikeIfExists"); base is the operator proper.
	Operator string
	base     string
	ifExists bool
	// set is "", "ForAnyValue" or "ForAllValues", for multivalued keys.
	set string
	// Key is the condition key as written; keys match the request's case-insensitively.
	Key    string
	Values []string
}

// operators are the base operators and whether each is a negation (true when no value matches).
var operators = map[string]bool{
	"StringEquals": false, "StringNotEquals": true,
	"StringEqualsIgnoreCase": false, "StringNotEqualsIgnoreCase": true,
	"StringLike": false, "StringNotLike": true,
	"NumericEquals": false, "NumericNotEquals": true,
	"NumericLessThan": false, "NumericLessThanEquals": false,
	"NumericGreaterThan": false, "NumericGreaterThanEquals": false,
	"DateEquals": false, "DateNotEquals": true,
	"DateLessThan": false, "DateLessThanEquals": false,
	"DateGreaterThan": false, "DateGreaterThanEquals": false,
	"Bool": false, "BinaryEquals": false,
	"IpAddress": false, "NotIpAddress": true,
	"ArnEquals": false, "ArnLike": false, "ArnNotEquals": true, "ArnNotLike": true,
	"Null": false,
}

func conditions(raw json.RawMessage) ([]Condition, error) {
	var block map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &block); err != nil {
		return nil, malformed("Syntax errors in policy.")
	}
	var out []Condition
	for op, keys := range block {
		c := Condition{Operator: op, base: op}
		if set, rest, ok := strings.Cut(c.base, ":"); ok {
			if set != "ForAnyValue" && set != "ForAllValues" {
				return nil, malformed("Syntax errors in policy.")
			}
			c.set, c.base = set, rest
		}
		if b, ok := strings.CutSuffix(c.base, "IfExists"); ok && c.base != "Null" {
			c.base, c.ifExists = b, true
		}
		if _, ok := operators[c.base]; !ok {
			return nil, malformed("Syntax errors in policy.")
		}
		for key, v := range keys {
			values, err := conditionValues(v)
			if err != nil {
				return nil, err
			}
			k := c
			k.Key, k.Values = key, values
			out = append(out, k)
		}
	}
	return out, nil
}

// conditionValues reads a value or a list of them; numbers and booleans are kept as written.
func conditionValues(raw json.RawMessage) ([]string, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		list = []json.RawMessage{raw}
	}
	if len(list) == 0 {
		return nil, malformed("Syntax errors in policy.")
	}
	out := make([]string, len(list))
	for i, r := range list {
		var s string
		if err := json.Unmarshal(r, &s); err == nil {
			out[i] = s
			continue
		}
		var n json.Number
		if err := json.Unmarshal(r, &n); err == nil {
			out[i] = n.String()
			continue
		}
		var b bool
		if err := json.Unmarshal(r, &b); err == nil {
			out[i] = strconv.FormatBool(b)
			continue
		}
		return nil, malformed("Syntax errors in policy.")
	}
	return out, nil
}

// holds says whether the condition holds for the request.
func (c Condition) holds(r *Request, version string) bool {
	values, present := r.value(c.Key)
	if c.base == "Null" {
		// {"Null": {"k": "true"}} holds when k is absent, "false" when it is present.
		for _, v := range c.Values {
			if strings.EqualFold(v, "true") == !present {
				return true
			}
		}
		return false
	}
	negated := operators[c.base]
	switch c.set {
	case "ForAllValues":
		// Every request value matches a policy value; vacuously true without any.
		for _, v := range values {
			if c.anyMatches(v, r, version) == negated {
				return false
			}
		}
		return true
	case "ForAnyValue":
		for _, v := range values {
			if c.anyMatches(v, r, version) != negated {
				return true
			}
		}
		return false
	}
	if !present {
		// A missing key: IfExists makes the condition hold; a negation holds (nothing matched);
		// anything else fails.
		return c.ifExists || negated
	}
	matched := false
	for _, v := range values {
		if c.anyMatches(v, r, version) {
			matched = true
			break
		}
	}
	return matched != negated
}

// anyMatches says whether got matches any of the policy's values under the positive form of the
// operator.
func (c Condition) anyMatches(got string, r *Request, version string) bool {
	for _, want := range c.Values {
		// Policy variables are substituted in the values of string and ARN conditions.
		if strings.HasPrefix(c.base, "String") || strings.HasPrefix(c.base, "Arn") {
			w, ok := substitute(want, r, version, c.base == "StringLike" || c.base == "StringNotLike" ||
				strings.HasPrefix(c.base, "Arn"))
			if !ok {
				continue
			}
			want = w
		}
		if matchValue(c.base, got, want) {
			return true
		}
	}
	return false
}

func matchValue(op, got, want string) bool {
	switch op {
	case "StringEquals", "StringNotEquals":
		return got == want
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		return strings.EqualFold(got, want)
	case "StringLike", "StringNotLike":
		return glob(want, got, false)
	case "Bool":
		return strings.EqualFold(got, want)
	case "BinaryEquals":
		return got == want
	case "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike":
		return arnMatches(want, got)
	case "IpAddress", "NotIpAddress":
		return ipIn(got, want)
	}
	if strings.HasPrefix(op, "Numeric") {
		g, err1 := strconv.ParseFloat(got, 64)
		w, err2 := strconv.ParseFloat(want, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return compare(strings.TrimPrefix(op, "Numeric"), g, w)
	}
	if strings.HasPrefix(op, "Date") {
		g, ok1 := parseDate(got)
		w, ok2 := parseDate(want)
		if !ok1 || !ok2 {
			return false
		}
		return compare(strings.TrimPrefix(op, "Date"), float64(g.UnixNano()), float64(w.UnixNano()))
	}
	return false
}

func compare(rel string, g, w float64) bool {
	switch rel {
	case "Equals", "NotEquals":
		return g == w
	case "LessThan":
		return g < w
	case "LessThanEquals":
		return g <= w
	case "GreaterThan":
		return g > w
	case "GreaterThanEquals":
		return g >= w
	}
	return false
}

// parseDate reads an ISO 8601 date or time, or epoch seconds.
func parseDate(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ipIn says whether the address got is in the CIDR block (or is the address) want.
func ipIn(got, want string) bool {
	addr, err := netip.ParseAddr(got)
	if err != nil {
		return false
	}
	if p, err := netip.ParsePrefix(want); err == nil {
		return p.Contains(addr.Unmap())
	}
	w, err := netip.ParseAddr(want)
	return err == nil && w.Unmap() == addr.Unmap()
}

// arnMatches compares ARNs field by field, each field a glob: a pattern's field of "*" matches
// a field of any content, and a field may not be skipped (ArnLike in AWS's sense).
func arnMatches(pattern, arn string) bool {
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return pattern == "*" || glob(pattern, arn, false)
	}
	for i := range pp {
		if !glob(pp[i], ap[i], false) {
			return false
		}
	}
	return true
}
