package identity

import (
	"regexp"

	"github.com/connectfed/connectfed/internal/apierr"
)

// The patterns of the IAM and STS models, with the text AWS prints for each.
var (
	namePattern    = regexp.MustCompile(`^[\w+=,.@-]+$`)
	namePatternDoc = `[\w+=,.@-]+`
	pathPattern    = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)
	pathPatternDoc = `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
)

// validationError and required are AWS's validation messages for the query services.
func validationError(member, value, constraint string) error {
	return apierr.Validation(apierr.ValidationError, apierr.Invalid(member, value, constraint))
}

func required(member, value string) error {
	if value == "" {
		return apierr.Validation(apierr.ValidationError, apierr.Null(member))
	}
	return nil
}

// checkLength checks a string member's length in characters.
func checkLength(member, value string, minLen, maxLen int) error {
	return apierr.CheckLength(apierr.ValidationError, member, value, minLen, maxLen)
}

// checkName checks a required IAM name (user, role, session) against its length and pattern.
func checkName(member, value string, minLen, maxLen int) error {
	if err := required(member, value); err != nil {
		return err
	}
	if err := checkLength(member, value, minLen, maxLen); err != nil {
		return err
	}
	if !namePattern.MatchString(value) {
		return validationError(member, value, "Member must satisfy regular expression pattern: "+namePatternDoc)
	}
	return nil
}

// checkPath checks an optional IAM path; "" means "/".
func checkPath(value string) (string, error) {
	if value == "" {
		return "/", nil
	}
	if len(value) > 512 {
		return "", validationError("path", value, "Member must have length less than or equal to 512")
	}
	if !pathPattern.MatchString(value) {
		return "", validationError("path", value, "Member must satisfy regular expression pattern: "+pathPatternDoc)
	}
	return value, nil
}

// isAccessKeyID reports whether s has the shape of an access key id, as IAM's model has it
// ([\w]+, at most 128 characters): connectfed's own ids all have it. Anything else names no
// key, and is not looked up: PostgreSQL refuses text that is not UTF-8 or holds a NUL, which
// would fail the lookup with a 500 where SQLite finds nothing.
func isAccessKeyID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
