package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/connectfed/connectfed/internal/awscli"
)

// wireExchange watches each attempt on the wire: it counts attempts, remembers the URL, keeps
// the last response's status, headers and body (which the CLI prints from, as botocore
// parses them), and logs both directions for --debug with secrets masked. It is the innermost
// deserialize middleware, so it sees the request as signed and the response as received.
type wireExchange struct {
	log      *awscli.DebugLog
	attempts int
	url      string
	status   int
	header   http.Header
	body     []byte
}

func (x *wireExchange) ID() string { return "connectfed.WireExchange" }

func (x *wireExchange) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	x.attempts++
	x.status, x.header, x.body = 0, nil, nil
	if req, ok := in.Request.(*smithyhttp.Request); ok {
		x.url = req.URL.String()
		if x.log.Enabled() {
			x.log.Printf("botocore.endpoint", "Sending http request: %s %s", req.Method, awscli.MaskURL(x.url))
			x.log.Printf("botocore.endpoint", "Request headers: %s", awscli.MaskHeaders(req.Header))
		}
	}
	out, md, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if err != nil || !ok {
		return out, md, err
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	x.status, x.header, x.body = resp.StatusCode, resp.Header, body
	if x.log.Enabled() {
		x.log.Printf("urllib3.connectionpool", "%s \"%s %s %s\" %d %d", awscli.MaskURL(hostURL(resp.Request)),
			resp.Request.Method, awscli.MaskURL(resp.Request.URL.RequestURI()), resp.Proto, resp.StatusCode, len(body))
		x.log.Printf("botocore.parsers", "Response headers: %s", awscli.MaskHeaders(resp.Header))
		x.log.Printf("botocore.parsers", "Response body: %s", awscli.MaskBody(body))
	}
	return out, md, rerr
}

func hostURL(r *http.Request) string {
	if r == nil || r.URL == nil {
		return ""
	}
	return r.URL.Scheme + "://" + r.URL.Host
}

// failure turns the SDK's error into AWS CLI v2's report of it.
func (x *wireExchange) failure(ctx context.Context, operation string, maxAttempts int, err error) error {
	x.log.Printf("awscli.clidriver", "Exception caught in main(): %v", err)
	var apiErr smithy.APIError
	switch {
	case ctx.Err() != nil:
		return &awscli.Error{Code: awscli.ExitInterrupted}
	case x.status >= 300 && errors.As(err, &apiErr):
		// botocore notes "reached max retries" whenever the last attempt was the last allowed,
		// whether or not its error was one to retry.
		retries := -1
		if x.attempts >= maxAttempts {
			retries = x.attempts - 1
		}
		return awscli.ResponseError(operation, x.status, x.header, x.body, retries)
	}
	var timeout *awshttp.ResponseTimeoutError
	var opErr *net.OpError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var sendErr *smithyhttp.RequestSendError
	switch {
	case errors.As(err, &timeout):
		return awscli.ReadTimeout(x.url)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		if opErr.Timeout() {
			return awscli.ConnectTimeout(x.url)
		}
		return awscli.CouldNotConnect(x.url)
	case errors.As(err, &verify):
		return awscli.SSLValidationFailed(x.url, verify.Err)
	case errors.As(err, &unknownCA):
		return awscli.SSLValidationFailed(x.url, unknownCA)
	case errors.As(err, &hostname):
		return awscli.SSLValidationFailed(x.url, hostname)
	case errors.As(err, &invalid):
		return awscli.SSLValidationFailed(x.url, invalid)
	case errors.As(err, &sendErr):
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
			return awscli.ConnectionClosed(x.url)
		}
		return &awscli.Error{Code: awscli.ExitGeneral, Message: "An HTTP Client raised an unhandled exception: " + unwrapAll(sendErr.Err).Error()}
	}
	var opError *smithy.OperationError
	if errors.As(err, &opError) {
		err = opError.Err
	}
	return awscli.General(err)
}

func unwrapAll(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
