// Package apierr owns the table of errors connectfed answers with: for each error, its AWS type
// in the restJson1 protocol, its code in the query (XML) protocol, its HTTP status, and whether the
// fault is the sender's. Domain packages return *Error values built from this table; the wire
// encoders in awsproto turn them into bodies. Nothing here knows about net/http, so the domain
// can depend on it.
package apierr

import (
	"errors"
	"fmt"
)

// Code names one row of the error table.
type Code int

// The rows of the table. Keep them grouped by the layer that raises them.
const (
	// InternalFailure is the fault of the server; its message never carries details.
	InternalFailure Code = iota

	// Authentication: raised while a request's signature is checked.
	MissingAuthenticationToken
	IncompleteSignature
	UnrecognizedClient
	InvalidSignature
	ExpiredToken
	AccessDenied

	// Routing and protocol.
	UnknownOperation
	InvalidAction
	MissingAction
	SerializationError
	RequestTooLarge
	// URITooLong and HeadersTooLarge refuse a request line or headers past the server's limits.
	URITooLong
	HeadersTooLarge

	// IAM and STS (query protocol).
	ValidationError
	NoSuchEntity
	EntityAlreadyExists
	DeleteConflict
	LimitExceeded
	MalformedPolicyDocument
	InvalidInput
	// InvalidIdentityToken and ExpiredAssertion refuse AssumeRoleWithSAML's assertion.
	InvalidIdentityToken
	ExpiredAssertion

	// Connect (restJson1).
	InvalidParameter
	InvalidRequest
	ResourceNotFound
	UserNotFound
	DuplicateResource
	ResourceInUse
	ResourceConflict
	ServiceUnavailable

	// Throttling. TooManyRequests and Throttling emulate AWS's rate quotas (--emulate-quotas):
	// restJson1 services answer 429 TooManyRequestsException, query-protocol services (IAM,
	// STS) 400 Throttling. SourceThrottled is connectfed's own per-source limit, which
	// protects the server: 429 in every format, with Retry-After.
	TooManyRequests
	Throttling
	SourceThrottled

	// CloudTrail (JSON 1.1): LookupEvents' refusals.
	InvalidLookupAttributes
	InvalidTimeRange
	InvalidMaxResults
	InvalidNextToken

	// The native token API under /federation/v1/ (no AWS client has expectations there).
	Unauthenticated
	TokenExpired
	TokenRevoked
	TokenReused
	Forbidden
	NativeValidation
	RateLimited
)

// Spec is what a Code means on the wire.
type Spec struct {
	// JSONType is the type restJson1 services put in X-Amzn-ErrorType.
	JSONType string
	// QueryCode is the <Code> query-protocol services put in their XML error.
	QueryCode string
	// Status is the HTTP status of the answer.
	Status int
	// Sender is true when the caller is at fault (<Type>Sender</Type>), false for Receiver.
	Sender bool
	// Message is used when an Error carries none of its own.
	Message string
	// Native is the code of connectfed's own API envelope ({"success": false, "error":
	// {"code": ...}}); when empty it follows from Status (see NativeCode).
	Native string
}

// NativeCode is the native API's code for s: its own, or the one its status implies.
func (s Spec) NativeCode() string {
	if s.Native != "" {
		return s.Native
	}
	switch {
	case s.Status == 401:
		return "UNAUTHENTICATED"
	case s.Status == 403:
		return "FORBIDDEN"
	case s.Status == 404:
		return "NOT_FOUND"
	case s.Status == 429:
		return "RATE_LIMITED"
	case s.Status >= 500:
		return "INTERNAL"
	}
	return "VALIDATION_ERROR"
}

var table = map[Code]Spec{
	InternalFailure: {"InternalServiceException", "InternalFailure", 500, false,
		"The request processing has failed because of an unknown error, exception or failure.", ""},

	MissingAuthenticationToken: {"MissingAuthenticationTokenException", "MissingAuthenticationToken", 403, true,
		"Missing Authentication Token", ""},
	IncompleteSignature: {"IncompleteSignatureException", "IncompleteSignature", 400, true,
		"The request signature does not conform to AWS standards.", ""},
	UnrecognizedClient: {"UnrecognizedClientException", "InvalidClientTokenId", 403, true,
		"The security token included in the request is invalid.", ""},
	InvalidSignature: {"InvalidSignatureException", "SignatureDoesNotMatch", 403, true,
		"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", ""},
	ExpiredToken: {"ExpiredTokenException", "ExpiredToken", 403, true,
		"The security token included in the request is expired", ""},
	AccessDenied: {"AccessDeniedException", "AccessDenied", 403, true,
		"Access denied", ""},

	UnknownOperation: {"UnknownOperationException", "InvalidAction", 404, true,
		"Unknown operation", ""},
	InvalidAction: {"UnknownOperationException", "InvalidAction", 400, true,
		"The action or operation requested is invalid. Verify that the action is typed correctly.", ""},
	MissingAction: {"UnknownOperationException", "MissingAction", 400, true,
		"Missing Action", ""},
	SerializationError: {"SerializationException", "MalformedQueryString", 400, true,
		"The request could not be parsed.", ""},
	URITooLong: {"URITooLongException", "URITooLong", 414, true,
		"The request URI is too long.", ""},
	HeadersTooLarge: {"RequestHeaderFieldsTooLargeException", "RequestHeaderFieldsTooLarge", 431, true,
		"The request's header fields are too large.", ""},
	RequestTooLarge: {"RequestEntityTooLargeException", "RequestEntityTooLarge", 413, true,
		"Request body too large.", ""},

	ValidationError: {"ValidationException", "ValidationError", 400, true,
		"The input fails to satisfy the constraints specified by the service.", ""},
	NoSuchEntity: {"ResourceNotFoundException", "NoSuchEntity", 404, true,
		"The entity cannot be found.", ""},
	EntityAlreadyExists: {"DuplicateResourceException", "EntityAlreadyExists", 409, true,
		"The entity already exists.", ""},
	DeleteConflict: {"ResourceConflictException", "DeleteConflict", 409, true,
		"Cannot delete entity, must remove referenced objects first.", ""},
	LimitExceeded: {"LimitExceededException", "LimitExceeded", 409, true,
		"A quota was exceeded.", ""},
	MalformedPolicyDocument: {"InvalidParameterException", "MalformedPolicyDocument", 400, true,
		"The policy document is malformed.", ""},
	InvalidInput: {"InvalidParameterException", "InvalidInput", 400, true,
		"The request was rejected because an invalid or out-of-range value was supplied for an input parameter.", ""},
	InvalidIdentityToken: {"InvalidIdentityTokenException", "InvalidIdentityToken", 400, true,
		"The web identity token that was passed could not be validated by Amazon Web Services.", ""},
	ExpiredAssertion: {"ExpiredTokenException", "ExpiredTokenException", 400, true,
		"Token must be redeemed within 5 minutes of issuance", ""},

	InvalidParameter: {"InvalidParameterException", "InvalidParameterValue", 400, true,
		"One or more of the specified parameters are not valid.", ""},
	InvalidRequest: {"InvalidRequestException", "InvalidRequest", 400, true,
		"The request is not valid.", ""},
	ResourceNotFound: {"ResourceNotFoundException", "NoSuchEntity", 404, true,
		"The specified resource was not found.", ""},
	UserNotFound: {"UserNotFoundException", "NoSuchEntity", 404, true,
		"No user with the specified credentials was found", ""},
	DuplicateResource: {"DuplicateResourceException", "EntityAlreadyExists", 409, true,
		"A resource with the specified name already exists.", ""},
	ResourceInUse: {"ResourceInUseException", "ResourceInUse", 409, true,
		"The resource is in use.", ""},
	ResourceConflict: {"ResourceConflictException", "ResourceConflict", 409, true,
		"A resource already has that name.", ""},
	InvalidLookupAttributes: {"InvalidLookupAttributesException", "InvalidLookupAttributes", 400, true,
		"Occurs when a lookup attribute is specified that is not valid.", ""},
	InvalidTimeRange: {"InvalidTimeRangeException", "InvalidTimeRange", 400, true,
		"Occurs if the timestamp values are not valid. Either the start time occurs after the end time, or the time range is outside the range of possible values.", ""},
	InvalidMaxResults: {"InvalidMaxResultsException", "InvalidMaxResults", 400, true,
		"This exception is thrown if the limit specified is not valid.", ""},
	InvalidNextToken: {"InvalidNextTokenException", "InvalidNextToken", 400, true,
		"A token that is not valid, or a token that was previously used in a request with different parameters.", ""},
	ServiceUnavailable: {"InternalServiceException", "ServiceUnavailable", 503, false,
		"The service is unavailable. Please try again later.", "UNAVAILABLE"},

	TooManyRequests: {"TooManyRequestsException", "Throttling", 429, true,
		"Rate exceeded", ""},
	Throttling: {"ThrottlingException", "Throttling", 400, true,
		"Rate exceeded", ""},
	SourceThrottled: {"ThrottlingException", "Throttling", 429, true,
		"Rate exceeded", "RATE_LIMITED"},

	Unauthenticated: {"UnauthenticatedException", "Unauthenticated", 401, true,
		"The token is not valid.", "UNAUTHENTICATED"},
	TokenExpired: {"ExpiredTokenException", "ExpiredToken", 401, true,
		"The token has expired.", "TOKEN_EXPIRED"},
	TokenRevoked: {"RevokedTokenException", "RevokedToken", 401, true,
		"The token has been revoked.", "TOKEN_REVOKED"},
	TokenReused: {"ReusedTokenException", "ReusedToken", 401, true,
		"The refresh token was used before; every token of its family is now revoked.", "TOKEN_REUSED"},
	Forbidden: {"AccessDeniedException", "AccessDenied", 403, true,
		"The caller may not act on this token.", "FORBIDDEN"},
	NativeValidation: {"ValidationException", "ValidationError", 400, true,
		"The request is not valid.", "VALIDATION_ERROR"},
	RateLimited: {"TooManyRequestsException", "Throttling", 429, true,
		"Rate exceeded", "RATE_LIMITED"},
}

// Lookup returns the wire meaning of c. An unknown code is an internal failure.
func Lookup(c Code) Spec {
	if s, ok := table[c]; ok {
		return s
	}
	return table[InternalFailure]
}

// Error is an answer the caller is meant to see: a row of the table and the message for this
// occurrence. Messages must never carry a secret, a signature or a token.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string {
	s := Lookup(e.Code)
	return s.JSONType + ": " + e.Text()
}

// Text is the message sent to the caller.
func (e *Error) Text() string {
	if e.Message != "" {
		return e.Message
	}
	return Lookup(e.Code).Message
}

// Spec is the wire meaning of e.
func (e *Error) Spec() Spec { return Lookup(e.Code) }

// New returns an Error whose message is format filled with args.
func New(c Code, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Code: c, Message: format}
	}
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// Of returns err as an *Error when it is one (or wraps one). Anything else becomes an
// InternalFailure with the table's message, so internal detail never reaches a caller.
func Of(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: InternalFailure}
}

// Is reports whether err is an *Error with code c.
func Is(err error, c Code) bool {
	e, ok := errors.AsType[*Error](err) // As would put its target on the heap, on every call
	return ok && e.Code == c
}
