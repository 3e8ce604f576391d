package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestSelfSignedIsKeptAndReused(t *testing.T) {
	dir := t.TempDir()
	hosts := SelfSignedHosts("127.0.0.1", "connectfed.test")
	first, err := LoadOrCreateSelfSigned(dir, hosts, t0)
	if err != nil {
		t.Fatal(err)
	}
	if first.Generated == "" {
		t.Fatal("the first call reused a certificate that did not exist")
	}
	leaf := first.Cert.Leaf
	if _, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key is %T, want ECDSA P-256", leaf.PublicKey)
	}
	if got := leaf.NotAfter.Sub(t0); got < SelfSignedValidity-time.Minute || got > SelfSignedValidity+time.Minute {
		t.Errorf("valid for %s after now, want %s", got, SelfSignedValidity)
	}
	if leaf.IsCA || !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		t.Errorf("IsCA = %v, ExtKeyUsage = %v: want a server-auth leaf that signs nothing else", leaf.IsCA, leaf.ExtKeyUsage)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "connectfed.test"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("not valid for %s: %v", h, err)
		}
	}
	// A client that trusts the file verifies the certificate, as AWS_CA_BUNDLE does.
	pemBytes, err := os.ReadFile(first.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("the certificate file is not PEM")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", CurrentTime: t0}); err != nil {
		t.Errorf("a client trusting %s refuses it: %v", first.CertFile, err)
	}
	if st, err := os.Stat(filepath.Join(dir, SelfSignedKeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}

	again, err := LoadOrCreateSelfSigned(dir, hosts, t0.Add(300*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if again.Generated != "" || Fingerprint(again.Cert.Leaf) != Fingerprint(leaf) {
		t.Errorf("a later start made a new certificate (%q) instead of reusing the valid one", again.Generated)
	}
	// Fewer hosts than it names still reuses it.
	if fewer, err := LoadOrCreateSelfSigned(dir, SelfSignedHosts("127.0.0.1"), t0); err != nil || fewer.Generated != "" {
		t.Errorf("fewer hosts: generated %q, err %v; want it reused", fewer.Generated, err)
	}
}

func TestSelfSignedIsReplaced(t *testing.T) {
	hosts := SelfSignedHosts("localhost")
	for _, tc := range []struct {
		name   string
		hosts  []string
		now    time.Time
		damage func(dir string)
		reason string
	}{
		{name: "expired", hosts: hosts, now: t0.Add(SelfSignedValidity + time.Hour), reason: "valid from"},
		{name: "about to expire", hosts: hosts, now: t0.Add(SelfSignedValidity - time.Hour), reason: "valid from"},
		{name: "a new host", hosts: SelfSignedHosts("localhost", "cf.example.test"), now: t0, reason: "does not name cf.example.test"},
		{name: "key replaced", hosts: hosts, now: t0, reason: "unusable", damage: func(dir string) {
			other, err := LoadOrCreateSelfSigned(t.TempDir(), hosts, t0)
			if err != nil {
				t.Fatal(err)
			}
			key, _ := os.ReadFile(filepath.Join(filepath.Dir(other.CertFile), SelfSignedKeyFile))
			os.WriteFile(filepath.Join(dir, SelfSignedKeyFile), key, 0o600)
		}},
		{name: "certificate garbled", hosts: hosts, now: t0, reason: "unusable", damage: func(dir string) {
			os.WriteFile(filepath.Join(dir, SelfSignedCertFile), []byte("not pem"), 0o644)
		}},
		{name: "certificate gone", hosts: hosts, now: t0, reason: "none was kept", damage: func(dir string) {
			os.Remove(filepath.Join(dir, SelfSignedCertFile))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			first, err := LoadOrCreateSelfSigned(dir, hosts, t0)
			if err != nil {
				t.Fatal(err)
			}
			if tc.damage != nil {
				tc.damage(dir)
			}
			next, err := LoadOrCreateSelfSigned(dir, tc.hosts, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(next.Generated, tc.reason) {
				t.Errorf("Generated = %q, want it to say %q", next.Generated, tc.reason)
			}
			if Fingerprint(next.Cert.Leaf) == Fingerprint(first.Cert.Leaf) {
				t.Error("the certificate was not replaced")
			}
			// What was written is what is served: a third start reuses it.
			third, err := LoadOrCreateSelfSigned(dir, tc.hosts, tc.now)
			if err != nil || third.Generated != "" || Fingerprint(third.Cert.Leaf) != Fingerprint(next.Cert.Leaf) {
				t.Errorf("the replacement was not kept: generated %q, err %v", third.Generated, err)
			}
		})
	}
}

func TestSelfSignedHosts(t *testing.T) {
	name, _ := os.Hostname()
	for _, tc := range []struct {
		listen string
		others []string
		want   []string
	}{
		{"127.0.0.1", nil, []string{"127.0.0.1", "localhost", "::1"}},
		{"cf.internal", []string{"cf.example.test", "localhost"}, []string{"cf.internal", "localhost", "127.0.0.1", "::1", "cf.example.test"}},
		{"::1", nil, []string{"::1", "localhost", "127.0.0.1"}},
		{"0.0.0.0", nil, []string{name, "localhost", "127.0.0.1", "::1"}},
		{"", []string{""}, []string{name, "localhost", "127.0.0.1", "::1"}},
		{"::", nil, []string{name, "localhost", "127.0.0.1", "::1"}},
	} {
		got := SelfSignedHosts(tc.listen, tc.others...)
		if !slices.Equal(got, tc.want) {
			t.Errorf("SelfSignedHosts(%q, %q) = %q, want %q", tc.listen, tc.others, got, tc.want)
		}
	}
}

// writePair writes a certificate for hosts, valid from notBefore to notAfter, and its key.
func writePair(t *testing.T, dir string, notBefore, notAfter time.Time, hosts ...string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: notBefore, NotAfter: notAfter, DNSNames: hosts}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile
}

func TestLoad(t *testing.T) {
	certFile, keyFile := writePair(t, t.TempDir(), t0.Add(-time.Hour), t0.Add(90*24*time.Hour), "cf.example.test")
	otherCert, otherKey := writePair(t, t.TempDir(), t0.Add(-time.Hour), t0.Add(time.Hour), "other.test")
	cert, err := Load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Leaf == nil || cert.Leaf.Subject.CommonName != "cf.example.test" {
		t.Fatalf("leaf = %v", cert.Leaf)
	}
	missing := filepath.Join(t.TempDir(), "nope.pem")
	for _, tc := range []struct {
		name, cert, key, want string
	}{
		{"missing certificate", missing, keyFile, "--tls-cert: open " + missing},
		{"missing key", certFile, missing, "--tls-key: open " + missing},
		{"key of another certificate", certFile, otherKey, "--tls-key " + otherKey + " is not the private key of the certificate in --tls-cert " + certFile},
		{"the files swapped", keyFile, certFile, "--tls-cert " + keyFile + ": no PEM CERTIFICATE block"},
		{"a certificate as the key", certFile, otherCert, "--tls-key " + otherCert + ": no PEM PRIVATE KEY block"},
	} {
		if _, err := Load(tc.cert, tc.key); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

func TestProblems(t *testing.T) {
	cert, err := Load(writePair(t, t.TempDir(), t0, t0.Add(30*24*time.Hour), "cf.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	if p := Problems(leaf, t0.Add(time.Hour), "cf.example.test", ""); len(p) != 0 {
		t.Errorf("a valid certificate: %q", p)
	}
	for _, tc := range []struct {
		now  time.Time
		host string
		want string
	}{
		{t0.Add(-time.Hour), "", "not valid before 2026-03-01T12:00:00Z"},
		{t0.Add(31 * 24 * time.Hour), "", "expired on 2026-03-31T12:00:00Z"},
		{t0.Add(29 * 24 * time.Hour), "", "expires soon"},
		{t0.Add(time.Hour), "elsewhere.test", `not valid for "elsewhere.test" (it names cf.example.test)`},
	} {
		p := Problems(leaf, tc.now, tc.host)
		if len(p) != 1 || !strings.Contains(p[0], tc.want) {
			t.Errorf("at %s for %q: %q, want one saying %q", tc.now, tc.host, p, tc.want)
		}
	}
}

func TestFingerprintIsOpenSSLs(t *testing.T) {
	ss, err := LoadOrCreateSelfSigned(t.TempDir(), []string{"localhost"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(ss.Cert.Certificate[0])
	got := Fingerprint(ss.Cert.Leaf)
	if strings.ReplaceAll(got, ":", "") != strings.ToUpper(hex.EncodeToString(sum[:])) || len(got) != 32*3-1 {
		t.Errorf("Fingerprint = %s, want the SHA-256 of the DER in colon-separated upper-case pairs", got)
	}
}

func TestServerConfigRefusesOldTLS(t *testing.T) {
	cfg := ServerConfig(tls.Certificate{})
	if cfg.MinVersion != tls.VersionTLS12 || cfg.CipherSuites != nil {
		t.Errorf("MinVersion %x, CipherSuites %v: want TLS 1.2 at least and Go's default suites", cfg.MinVersion, cfg.CipherSuites)
	}
}
