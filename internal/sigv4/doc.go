// Package sigv4 owns server-side verification of AWS Signature Version 4 (AWS4-HMAC-SHA256),
// in both the Authorization-header form and the presigned query-string form.
//
// It is a pipeline of small pure steps: Parse reads what a request claims (access key, scope,
// date, signed headers, signature); CanonicalRequest and StringToSign rebuild what the client
// must have signed; Verify checks the clock and the declared payload hash, derives the signing
// key from the secret and compares signatures in constant time.
//
// The package knows nothing of storage or identities: the caller looks up the secret for
// Signed.AccessKeyID, checks Signed.SessionToken where it applies, and decides what the
// principal may do. Every failure is an *apierr.Error whose message never carries the
// signature, the secret or the session token.
//
// The rules follow what real clients sign (aws-sdk-go-v2, botocore, the AWS CLI) and the
// published AWS SigV4 test suite kept in testdata/aws-signing-test-suite.
package sigv4
