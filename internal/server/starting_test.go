package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/connectfed/connectfed/internal/server"
)

// A server whose store is not open yet answers every client in the format it reads with a
// retryable 503, and hands off to the full server without dropping its listener.
func TestStartingServer(t *testing.T) {
	cfg := server.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	starting := server.NewStarting(cfg)
	ts := httptest.NewServer(starting)
	defer ts.Close()

	status := func(method, path, contentType, body string) (int, string) {
		t.Helper()
		r, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := status("GET", "/healthz", "", ""); code != 200 {
		t.Errorf("/healthz: %d, want 200", code)
	}
	if code, _ := status("GET", "/readyz", "", ""); code != 503 {
		t.Errorf("/readyz: %d, want 503", code)
	}

	awsCfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLE000000001", "secret", ""),
		Retryer:     func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) }}
	_, err := sts.NewFromConfig(awsCfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	wantRetryable(t, "sts (query protocol)", err, "ServiceUnavailable")
	_, err = connect.NewFromConfig(awsCfg).ListInstances(context.Background(), &connect.ListInstancesInput{})
	wantRetryable(t, "connect (restJson1)", err, "InternalServiceException")

	code, body := status("POST", "/federation/v1/refresh", "application/json", `{"refreshToken":"x"}`)
	var env struct {
		Success bool
		Error   struct{ Code string }
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil || code != 503 || env.Success || env.Error.Code != "UNAVAILABLE" {
		t.Errorf("token API: %d %q; want 503 UNAVAILABLE in the envelope", code, body)
	}
	code, body = status("GET", "/federation/signin?token=x", "", "")
	if code != 503 || !strings.Contains(body, "Try again") || !strings.Contains(body, "<html") {
		t.Errorf("sign-in page: %d %q; want a 503 page", code, body)
	}

	e := newEnv(t)
	starting.HandOff(e.handler.(*server.Server))
	if code, _ := status("GET", "/readyz", "", ""); code != 200 {
		t.Errorf("/readyz after the hand-off: %d, want 200", code)
	}
}

func wantRetryable(t *testing.T, what string, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	var re *smithyhttp.ResponseError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || !errors.As(err, &re) || re.HTTPStatusCode() != 503 {
		t.Errorf("%s: %v; want %s 503", what, err, code)
	}
	if !retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err).Bool() {
		t.Errorf("%s: the SDK would not retry %v", what, err)
	}
}
