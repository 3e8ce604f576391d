package tracing

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestOffUnlessAnEndpointIsSet(t *testing.T) {
	stop, err := Setup(context.Background(), func(string) string { return "" }, "test")
	if err != nil || Enabled() {
		t.Fatalf("without an endpoint: enabled %v, %v", Enabled(), err)
	}
	ctx, span := Start(context.Background(), "x")
	if span.IsRecording() || ctx != context.Background() {
		t.Error("a span was recorded with tracing off")
	}
	if err := stop(context.Background()); err != nil {
		t.Error(err)
	}
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}
	stop, err = Setup(context.Background(), func(k string) string { return env[k] }, "test")
	if err != nil || !Enabled() {
		t.Fatalf("with an endpoint: enabled %v, %v", Enabled(), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = stop(ctx) // nothing listens there: the flush may fail, the switch must not
	if Enabled() {
		t.Error("still on after its shutdown")
	}
}

func TestSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	stop := SetupWith(sdktrace.WithSyncer(exp), "test")
	defer stop(context.Background())
	ctx, parent := Start(context.Background(), "parent")
	start := time.Now().Add(-time.Millisecond)
	Span(ctx, "store.select", start, start.Add(500*time.Microsecond), true)
	End(parent, errors.New("secret text: s3cr3t"))
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	store, root := spans[0], spans[1]
	if store.Name != "store.select" || store.Parent.SpanID() != root.SpanContext.SpanID() || store.EndTime.Sub(store.StartTime) != 500*time.Microsecond ||
		store.Status.Code != codes.Error {
		t.Errorf("the after-the-fact span: %+v", store)
	}
	if root.Status.Code != codes.Error || root.Status.Description != "*errors.errorString" {
		t.Errorf("a failed span's status %+v: it must name the error's type, never its text", root.Status)
	}
}
