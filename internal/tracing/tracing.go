// Package tracing owns connectfed's OpenTelemetry traces. They are off unless an OTLP endpoint
// is configured (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, read as the
// OpenTelemetry SDK reads them, with the rest of its OTEL_* settings); then every request is a
// trace with spans for its SigV4 verification, its policy evaluation and its store queries, and
// carries its request id. Off, a span costs one atomic load.
package tracing

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// enabled says spans are recorded: set by Setup and SetupWith.
var enabled atomic.Bool

var tracer trace.Tracer = noop.NewTracerProvider().Tracer("")

// Setup starts tracing when the environment configures an OTLP endpoint, exporting over
// OTLP/HTTP; it returns the function that flushes and stops it (a no-op when off). version names
// the build in the traces' resource.
func Setup(ctx context.Context, getenv func(string) string, version string) (shutdown func(context.Context) error, err error) {
	if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: the OTLP exporter: %w", err)
	}
	return SetupWith(sdktrace.WithBatcher(exp), version), nil
}

// SetupWith starts tracing with a span processor (a test's in-memory exporter, synchronously)
// and returns its shutdown.
func SetupWith(processor sdktrace.TracerProviderOption, version string) func(context.Context) error {
	tp := sdktrace.NewTracerProvider(processor, sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName("connectfed"), semconv.ServiceVersion(version))))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	tracer = tp.Tracer("github.com/connectfed/connectfed")
	enabled.Store(true)
	return func(ctx context.Context) error {
		enabled.Store(false)
		return tp.Shutdown(ctx)
	}
}

// Enabled says whether spans are recorded.
func Enabled() bool { return enabled.Load() }

// Start starts a span, a child of the context's: a non-recording one when tracing is off.
func Start(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if !enabled.Load() {
		return ctx, trace.SpanFromContext(ctx)
	}
	return tracer.Start(ctx, name, trace.WithAttributes(attrs...))
}

// End ends a span, marking it failed when err is not nil (its message is the error's type
// only: an error's text may name what a trace must not carry).
func End(span trace.Span, err error) {
	if !enabled.Load() {
		return
	}
	if err != nil {
		span.SetStatus(codes.Error, fmt.Sprintf("%T", err))
	}
	span.End()
}

// Span records a span after the fact, from start to end: for work timed by a hook that cannot
// wrap it (a store query).
func Span(ctx context.Context, name string, start, end time.Time, failed bool, attrs ...attribute.KeyValue) {
	if !enabled.Load() {
		return
	}
	_, span := tracer.Start(ctx, name, trace.WithTimestamp(start), trace.WithAttributes(attrs...))
	if failed {
		span.SetStatus(codes.Error, "failed")
	}
	span.End(trace.WithTimestamp(end))
}
