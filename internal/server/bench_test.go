package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
)

// BenchmarkGetFederationToken measures the warm hot path in process, without the network:
// SigV4 verification, the caller's principal, the instance and user lookups, minting three
// tokens and encoding the answer. The request is signed once and replayed, as a load
// generator does within the skew window.
func BenchmarkGetFederationToken(b *testing.B) {
	e := newEnv(b)
	admin := e.connect(e.root, "us-east-1")
	inst := newInstance(b, admin, "bench", ctypes.DirectoryTypeSaml)
	newAgent(b, admin, inst, "agent1")
	alice := e.newAgentUser("alice")
	session, _, err := assume(e, alice, e.newAgentRole(), "agent1", 0)
	if err != nil {
		b.Fatal(err)
	}
	req := e.signed(b, "connect", "GET", "/user/federate/"+inst, "", session)
	serve := func() {
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	serve() // warm the caches
	b.ReportAllocs()
	for b.Loop() {
		serve()
	}
}
