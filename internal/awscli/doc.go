// Package awscli owns behaving like AWS CLI v2 towards a user, for connectfed's client commands:
// the argument grammar and its usage errors, --cli-input-json/--cli-input-yaml,
// --generate-cli-skeleton, parameter validation, the five output formats with --query, the
// error lines and the exit codes. It is written from awscli v2's observable behaviour (and a
// reading of its formatter, text and table modules), so that a script cannot tell the two
// apart by stdout, stderr or exit code.
//
// It knows nothing of HTTP, signing or the AWS SDK: the command that uses it makes the call and
// hands over the raw response body, which is decoded here against a small model of the
// operation (Operation, Shape) exactly as botocore decodes it.
//
// Its parts by concern: this package holds the command (arguments, input, skeletons,
// validation, errors, the debug log, decoding the response) and composes the output formats
// (json, text); pyvalue is the value model every part shares (what Python makes of a value,
// and ordered JSON and YAML decoding); table draws --output table, yamlfmt writes --output
// yaml. testdata/ holds AWS CLI v2's own output, recorded (format_test.go says how).
package awscli

// Where connectfed knowingly differs from AWS CLI v2 (2.9.19, the version the golden tests
// compare with):
//
//   - --version names connectfed, Go and the SDK.
//   - A --query syntax error exits 252 as v2 does, with other wording; JMESPath is the
//     community library, a superset of v2's: a whole-number float prints as an integer, objects
//     built by functions such as merge print with sorted keys, runtime error texts differ.
//   - --debug is a short masked log in v2's line format, not v2's whole log.
//   - An error in a global option gets connectfed's usage block, not v2's main parser's.
//   - No pager; --cli-binary-format and the auto-prompt options are accepted and ignored.
//   - AWS_PROFILE wins over AWS_DEFAULT_PROFILE when both are set.
//   - Partial environment credentials exit 253 (v2: "Partial credentials found", 255); other
//     credential failures (an expired SSO session) print the SDK's message and exit 255.
//   - TLS failures read as Go's errors, not Python's; help prints cobra's help, not the manual.
//   - AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_CONNECT and a profile's endpoint_url work, which 2.9.19
//     does not support yet.
