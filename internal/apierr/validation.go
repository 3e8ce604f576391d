package apierr

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Violation is one member of a request that fails one constraint of the service model.
type Violation struct {
	// Member is the member's path as AWS names it in the message: "roleArn",
	// "phoneConfig.phoneType".
	Member string
	// Value is the member's value as the caller sent it; nil when the member is absent (null).
	Value *string
	// Constraint is the model's constraint in AWS's words: "Member must not be null".
	Constraint string
}

// Invalid is a member whose value breaks constraint.
func Invalid(member, value, constraint string) Violation {
	return Violation{Member: member, Value: &value, Constraint: constraint}
}

// Null is a required member that is absent.
func Null(member string) Violation {
	return Violation{Member: member, Constraint: "Member must not be null"}
}

// Length is the constraint a string of n characters breaks when it is outside min..max, or ""
// when it is inside.
func Length(n, min, max int) string {
	switch {
	case n < min:
		return "Member must have length greater than or equal to " + strconv.Itoa(min)
	case n > max:
		return "Member must have length less than or equal to " + strconv.Itoa(max)
	}
	return ""
}

// Range is the constraint a number v breaks when it is outside min..max, or "".
func Range(v, min, max int) string {
	switch {
	case v < min:
		return "Member must have value greater than or equal to " + strconv.Itoa(min)
	case v > max:
		return "Member must have value less than or equal to " + strconv.Itoa(max)
	}
	return ""
}

// Validation is AWS's validation error for the violations, with code's type and status (the
// query services' ValidationError, Connect's InvalidParameterException):
//
//	1 validation error detected: Value 'x' at 'member' failed to satisfy constraint: C
//	2 validation errors detected: Value 'x' at 'a' failed ...: C1; Value null at 'b' failed ...: C2
func Validation(c Code, vs ...Violation) *Error {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(vs)))
	if len(vs) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	for i, v := range vs {
		if i > 0 {
			b.WriteString("; ")
		}
		if v.Value == nil {
			b.WriteString("Value null")
		} else {
			b.WriteString("Value '")
			b.WriteString(*v.Value)
			b.WriteString("'")
		}
		b.WriteString(" at '")
		b.WriteString(v.Member)
		b.WriteString("' failed to satisfy constraint: ")
		b.WriteString(v.Constraint)
	}
	return &Error{Code: c, Message: b.String()}
}

// CheckLength is nil when value has min..max characters (runes, as the models count), and
// otherwise code's validation error for member.
func CheckLength(c Code, member, value string, min, max int) error {
	if constraint := Length(utf8.RuneCountInString(value), min, max); constraint != "" {
		return Validation(c, Invalid(member, value, constraint))
	}
	return nil
}
