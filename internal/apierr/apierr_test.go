package apierr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestValidationMessages(t *testing.T) {
	for _, c := range []struct {
		err  *Error
		want string
	}{
		{Validation(ValidationError, Invalid("roleArn", "x", "Member must have length greater than or equal to 20")),
			"1 validation error detected: Value 'x' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{Validation(InvalidParameter, Null("username")),
			"1 validation error detected: Value null at 'username' failed to satisfy constraint: Member must not be null"},
		{Validation(ValidationError, Invalid("a", "1", "C1"), Null("b")),
			"2 validation errors detected: Value '1' at 'a' failed to satisfy constraint: C1; Value null at 'b' failed to satisfy constraint: Member must not be null"},
	} {
		if got := c.err.Text(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
	if e := Validation(InvalidParameter, Null("x")); e.Spec().JSONType != "InvalidParameterException" || e.Spec().Status != 400 {
		t.Errorf("Connect validation is %+v", e.Spec())
	}
}

func TestLengthAndRange(t *testing.T) {
	if c := Length(1, 2, 64); c != "Member must have length greater than or equal to 2" {
		t.Error(c)
	}
	if c := Length(65, 2, 64); c != "Member must have length less than or equal to 64" {
		t.Error(c)
	}
	if c := Length(2, 2, 64); c != "" {
		t.Error(c)
	}
	if c := Range(899, 900, 43200); c != "Member must have value greater than or equal to 900" {
		t.Error(c)
	}
	if c := Range(43201, 900, 43200); c != "Member must have value less than or equal to 43200" {
		t.Error(c)
	}
	// Characters, not bytes: "é" is one.
	if err := CheckLength(ValidationError, "n", strings.Repeat("é", 64), 1, 64); err != nil {
		t.Error(err)
	}
	if err := CheckLength(ValidationError, "n", strings.Repeat("é", 65), 1, 64); !Is(err, ValidationError) {
		t.Errorf("65 characters: %v", err)
	}
}

// Every code has a row: an unlisted code would answer as an internal failure by accident.
func TestEveryCodeHasARow(t *testing.T) {
	for c := InternalFailure; c <= RateLimited; c++ {
		s, ok := table[c]
		if !ok {
			t.Errorf("code %d has no row", c)
			continue
		}
		if s.JSONType == "" || s.QueryCode == "" || s.Status < 400 || s.Message == "" {
			t.Errorf("code %d: incomplete row %+v", c, s)
		}
		if s.Sender != (s.Status < 500) {
			t.Errorf("code %d (%s): Sender %v with status %d", c, s.JSONType, s.Sender, s.Status)
		}
	}
	if got := Lookup(Code(-1)); got != table[InternalFailure] {
		t.Errorf("an unknown code is %+v", got)
	}
}

func TestOfHidesInternalDetail(t *testing.T) {
	e := Of(fmt.Errorf("store: disk on fire at /var/lib/secret"))
	if e.Code != InternalFailure || strings.Contains(e.Text(), "fire") {
		t.Errorf("an internal error reached the caller: %v", e)
	}
	wrapped := fmt.Errorf("context: %w", New(UserNotFound, ""))
	if got := Of(wrapped); got.Code != UserNotFound || got.Text() != "No user with the specified credentials was found" {
		t.Errorf("Of(wrapped) = %v", got)
	}
	if !Is(wrapped, UserNotFound) || Is(wrapped, ResourceNotFound) || Is(errors.New("x"), InternalFailure) {
		t.Error("Is misreads codes")
	}
	if got := New(InvalidRequest, "a %s b", "x").Error(); got != "InvalidRequestException: a x b" {
		t.Errorf("Error() = %q", got)
	}
}

func TestNativeCodes(t *testing.T) {
	for c, want := range map[Code]string{Unauthenticated: "UNAUTHENTICATED", AccessDenied: "FORBIDDEN",
		NoSuchEntity: "NOT_FOUND", SourceThrottled: "RATE_LIMITED", InternalFailure: "INTERNAL",
		ServiceUnavailable: "UNAVAILABLE", InvalidParameter: "VALIDATION_ERROR", TokenReused: "TOKEN_REUSED"} {
		if got := Lookup(c).NativeCode(); got != want {
			t.Errorf("%s: native code %s, want %s", Lookup(c).JSONType, got, want)
		}
	}
}
