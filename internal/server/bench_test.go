package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/connectfed/connectfed/internal/identity"
)

// BenchmarkGetFederationToken measures the warm hot path in process, without the network:
// SigV4 verification, the caller's principal, the IAM policy check (the documented policy, as
// compiled and cached), the instance and user lookups, minting three tokens and encoding the
// answer. The request is signed once and replayed, as a load generator does within the skew
// window. The off variant is the same path without the policy check, to price enforcement.
func BenchmarkGetFederationToken(b *testing.B) {
	for _, mode := range []identity.Enforcement{identity.EnforceOn, identity.EnforceOff} {
		b.Run("enforcement="+mode.String(), func(b *testing.B) { benchmarkGetFederationToken(b, mode) })
	}
}

func benchmarkGetFederationToken(b *testing.B, mode identity.Enforcement) {
	e := newEnv(b)
	e.ids.Enforce(mode, nil)
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
