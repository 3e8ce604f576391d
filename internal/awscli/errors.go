package awscli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/connectfed/connectfed/internal/awscli/pyvalue"
)

// Exit codes of AWS CLI v2 (awscli/constants.py), which scripts test for.
const (
	ExitOK          = 0
	ExitParamError  = 252 // bad arguments, bad --cli-input-*, parameter validation
	ExitConfigError = 253 // no region, no credentials, bad configuration
	ExitServiceErr  = 254 // the service answered with an error
	ExitGeneral     = 255 // anything else: connection failures, unexpected errors
	ExitInterrupted = 130 // 128 + SIGINT
)

// Error is a failure the way AWS CLI v2 reports it: a message written to stderr between a
// leading and a trailing newline, and an exit code.
type Error struct {
	Code    int
	Message string
	// Usage, when set, makes the message argparse's: the usage lines, a blank line, the
	// message and a trailing blank line.
	Usage string
}

func (e *Error) Error() string { return e.Message }

// Write prints the error exactly as AWS CLI v2 does.
func (e *Error) Write(w io.Writer) {
	if e.Usage != "" {
		fmt.Fprintf(w, "\nusage: %s\n\n%s\n\n", e.Usage, e.Message)
		return
	}
	fmt.Fprintf(w, "\n%s\n", e.Message)
}

func paramErrorf(format string, a ...any) *Error {
	return &Error{Code: ExitParamError, Message: fmt.Sprintf(format, a...)}
}

// NoRegion is AWS CLI v2's message when no region is configured anywhere.
func NoRegion() *Error {
	return &Error{Code: ExitConfigError,
		Message: `You must specify a region. You can also configure your region by running "aws configure".`}
}

// NoCredentials is AWS CLI v2's message when the credential chain found nothing.
func NoCredentials() *Error {
	return &Error{Code: ExitConfigError,
		Message: `Unable to locate credentials. You can configure credentials by running "aws configure".`}
}

// ProfileNotFound is botocore's ProfileNotFound, which AWS CLI v2 reports as a general error.
func ProfileNotFound(profile string) *Error {
	return &Error{Code: ExitGeneral, Message: fmt.Sprintf("The config profile (%s) could not be found", profile)}
}

// ServiceError is botocore's ClientError line. retries is how many retries were made when the
// last attempt was the last one allowed (botocore's "reached max retries: N"), or -1.
func ServiceError(code, operation, message string, retries int) *Error {
	retryInfo := ""
	if retries >= 0 {
		retryInfo = fmt.Sprintf(" (reached max retries: %d)", retries)
	}
	return &Error{Code: ExitServiceErr, Message: fmt.Sprintf("An error occurred (%s) when calling the %s operation%s: %s",
		code, operation, retryInfo, message)}
}

// Connection errors, worded as botocore's, each naming the URL of the request that failed.

func CouldNotConnect(url string) *Error {
	return &Error{Code: ExitGeneral, Message: fmt.Sprintf("Could not connect to the endpoint URL: \"%s\"", url)}
}

func ConnectTimeout(url string) *Error {
	return &Error{Code: ExitGeneral, Message: fmt.Sprintf("Connect timeout on endpoint URL: \"%s\"", url)}
}

func ReadTimeout(url string) *Error {
	return &Error{Code: ExitGeneral, Message: fmt.Sprintf("Read timeout on endpoint URL: \"%s\"", url)}
}

func ConnectionClosed(url string) *Error {
	return &Error{Code: ExitGeneral, Message: fmt.Sprintf(
		"Connection was closed before we received a valid response from endpoint URL: \"%s\".", url)}
}

func SSLValidationFailed(url string, err error) *Error {
	return &Error{Code: ExitGeneral, Message: fmt.Sprintf("SSL validation failed for %s %v", url, err)}
}

// General wraps any other failure as AWS CLI v2's catch-all handler does: its text, code 255.
func General(err error) *Error {
	return &Error{Code: ExitGeneral, Message: err.Error()}
}

// ResponseError is the error line for an error response, read from the wire as botocore reads
// a restJson1 error: the code from X-Amzn-ErrorType (before any ":"), else the body's code,
// else its __type (after any "#"), else the HTTP status; the message from the body's
// message or Message, or the whole body when it is not JSON.
func ResponseError(operation string, status int, header http.Header, body []byte, retries int) *Error {
	fields := map[string]any{}
	if len(bytes.TrimSpace(body)) > 0 {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			fields["message"] = string(body)
		} else if m, ok := v.(map[string]any); ok {
			fields = m
		}
	}
	str := func(v any, ok bool) (string, bool) {
		if !ok {
			return "", false
		}
		return pyvalue.Str(plain(v)), true
	}
	message, ok := str(fields["message"], hasKey(fields, "message"))
	if !ok {
		message, _ = str(fields["Message"], hasKey(fields, "Message"))
	}
	code := strconv.Itoa(status)
	if q := strings.Split(header.Get("X-Amzn-Query-Error"), ";"); len(q) == 2 && q[0] != "" {
		code = q[0]
	} else if t, ok := str(fields["__type"], hasKey(fields, "__type")); ok {
		code = t
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if values, ok := header[http.CanonicalHeaderKey("X-Amzn-ErrorType")]; ok && len(values) > 0 {
		code, _, _ = strings.Cut(values[0], ":")
	} else if c, ok := str(fields["code"], hasKey(fields, "code")); ok {
		code = c
	} else if c, ok := str(fields["Code"], hasKey(fields, "Code")); ok {
		code = c
	}
	return ServiceError(code, operation, message, retries)
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}
