package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/connectfed/connectfed/internal/identity"
)

// A server runs without the CLI: Run serves on a listener, calls its hooks in order, answers a
// real SDK client as the root it was given, and stops when its context ends.
func TestRunServesWithoutTheCLI(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	root := &identity.RootKey{AccessKeyID: "AKIAAPPTEST000000001", SecretAccessKey: "app-test-secret-0123456789abcdefghijklm"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var order []string
	serving := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{AccountID: "123456789012", DataDir: t.TempDir(), RootKey: root,
			PublicURL: "http://" + ln.Addr().String(), AccessTTL: time.Hour, RefreshTTL: 2 * time.Hour,
			ShutdownTimeout: time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, ln, Hooks{
			BeforeServing: func(_ context.Context, r *Running) error {
				order = append(order, "before")
				if r.Identity == nil || r.Connect == nil || r.Root != *root || r.RootGenerated {
					t.Errorf("Running = %+v", r)
				}
				return nil
			},
			Serving: func(context.Context, *Running) error {
				order = append(order, "serving")
				close(serving)
				return nil
			},
		})
	}()
	select {
	case <-serving:
	case err := <-done:
		t.Fatalf("Run ended before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not come up")
	}
	if len(order) != 2 || order[0] != "before" {
		t.Errorf("hooks ran as %v", order)
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + ln.Addr().String()),
		Credentials: credentials.NewStaticCredentialsProvider(root.AccessKeyID, root.SecretAccessKey, "")})
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(out.Arn) != "arn:aws:iam::123456789012:root" {
		t.Fatalf("GetCallerIdentity: %v, %v", out, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after its context ended: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}
