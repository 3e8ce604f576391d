package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRequestLabelsAreBounded(t *testing.T) {
	r := New([]Operation{{"connect", "GetFederationToken"}, {"federation", "Refresh"}})
	r.Request("connect", "GetFederationToken", "", time.Millisecond)
	r.Request("iam", "<script>", "InvalidAction", time.Millisecond) // a client's invention
	r.Request("", "", "HTTP404", time.Millisecond)
	r.Request("federation", "Refresh", "ReusedTokenException", time.Millisecond)
	var nilRecorder *Recorder
	nilRecorder.Request("connect", "GetFederationToken", "", time.Millisecond) // records nothing, and does not panic

	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		`connectfed_requests_total{code="OK",operation="GetFederationToken",service="connect"} 1`,
		`connectfed_requests_total{code="InvalidAction",operation="none",service="none"} 1`,
		`connectfed_requests_total{code="HTTP404",operation="none",service="none"} 1`,
		`connectfed_federation_tokens_total{event="issued"} 1`,
		`connectfed_federation_tokens_total{event="reuse_detected"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, "<script>") {
		t.Error("a client's operation name reached a label")
	}
}

func TestStatement(t *testing.T) {
	for q, want := range map[string]string{
		"SELECT 1": "select", "\n\t\tinsert INTO x": "insert", "UPDATE t SET": "update", "DELETE FROM t": "delete",
		"WITH x AS (SELECT 1) SELECT": "other", "": "other",
	} {
		if got := Statement(q); got != want {
			t.Errorf("statement(%q) = %s, want %s", q, got, want)
		}
	}
}
