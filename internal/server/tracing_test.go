package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/connectfed/connectfed/internal/tracing"
)

// With tracing on, a request is a trace: its span named for the operation and carrying the
// request id, with SigV4 verification and policy evaluation as its children; a client's
// traceparent makes it part of the client's trace.
func TestRequestTraces(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	stop := tracing.SetupWith(sdktrace.WithSyncer(exp), "test")
	defer stop(context.Background())

	e := newEnv(t)
	admin := e.connect(e.root, "us-east-1")
	inst := newInstance(t, admin, "traced", ctypes.DirectoryTypeSaml)
	newAgent(t, admin, inst, "agent1")
	alice := e.newAgentUser("alice")
	session, _, err := assume(e, alice, e.newAgentRole(), "agent1", 0)
	if err != nil {
		t.Fatal(err)
	}
	exp.Reset()
	req := e.signed(t, "connect", "GET", "/user/federate/"+inst, "", session)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	spans := exp.GetSpans()
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	root, ok := byName["connect.GetFederationToken"]
	if !ok {
		t.Fatalf("no connect.GetFederationToken span in %v", names(spans))
	}
	if root.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || root.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("the request span is not part of the client's trace: %v, parent %v", root.SpanContext.TraceID(), root.Parent.SpanID())
	}
	attrs := map[string]string{}
	for _, a := range root.Attributes {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["connectfed.request_id"] != rec.Header().Get("X-Amzn-RequestId") || attrs["http.response.status_code"] != "200" {
		t.Errorf("the request span's attributes: %v", attrs)
	}
	for _, child := range []string{"sigv4.verify", "iam.authorize"} {
		s, ok := byName[child]
		if !ok {
			t.Errorf("no %s span in %v", child, names(spans))
			continue
		}
		if s.Parent.SpanID() != root.SpanContext.SpanID() {
			t.Errorf("%s is not a child of the request's span", child)
		}
	}
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}
