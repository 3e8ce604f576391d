// Package tlsconf owns connectfed's TLS material: it loads an operator's certificate and key,
// and generates, keeps and reuses a self-signed certificate for development. It knows nothing of
// HTTP, of the server or of the command line; the caller decides where the files live and what
// to print.
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
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ServerConfig is the TLS configuration connectfed serves with: TLS 1.2 at least and Go's
// default cipher suites. NextProtos is left to net/http, which offers h2 and http/1.1 when it
// serves TLS itself (http.Server.ServeTLS).
func ServerConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
}

// Load reads a certificate chain and its private key from PEM files. Its errors name the file at
// fault and say what is wrong with it: missing, not PEM, or a key that does not belong to the
// certificate. The leaf's validity is not checked here (see Problems): an expired certificate is
// the operator's to replace, and refusing to start would not help anyone who must serve now.
func Load(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("--tls-cert: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("--tls-key: %w", err)
	}
	if !hasBlock(certPEM, func(t string) bool { return t == "CERTIFICATE" }) {
		return tls.Certificate{}, fmt.Errorf("--tls-cert %s: no PEM CERTIFICATE block in it", certFile)
	}
	if !hasBlock(keyPEM, func(t string) bool { return t == "PRIVATE KEY" || strings.HasSuffix(t, " PRIVATE KEY") }) {
		return tls.Certificate{}, fmt.Errorf("--tls-key %s: no PEM PRIVATE KEY block in it", keyFile)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return tls.Certificate{}, fmt.Errorf("--tls-key %s is not the private key of the certificate in --tls-cert %s", keyFile, certFile)
		}
		return tls.Certificate{}, fmt.Errorf("--tls-cert %s and --tls-key %s: %w", certFile, keyFile, err)
	}
	return cert, nil
}

// hasBlock says whether data holds a PEM block whose type satisfies want.
func hasBlock(data []byte, want func(string) bool) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if want(b.Type) {
			return true
		}
	}
}

// Problems lists what is wrong with a certificate served at now for the given host names (which
// may be empty): not valid yet, expired, expiring within a week, or not naming a host. These are
// warnings: the server starts anyway.
func Problems(leaf *x509.Certificate, now time.Time, hosts ...string) []string {
	var out []string
	switch {
	case now.Before(leaf.NotBefore):
		out = append(out, fmt.Sprintf("the certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339)))
	case !now.Before(leaf.NotAfter):
		out = append(out, fmt.Sprintf("the certificate expired on %s: clients will refuse it", leaf.NotAfter.UTC().Format(time.RFC3339)))
	case leaf.NotAfter.Sub(now) < 7*24*time.Hour:
		out = append(out, fmt.Sprintf("the certificate expires soon, on %s", leaf.NotAfter.UTC().Format(time.RFC3339)))
	}
	for _, h := range hosts {
		if h != "" && leaf.VerifyHostname(h) != nil {
			out = append(out, fmt.Sprintf("the certificate is not valid for %q (it names %s)", h, strings.Join(Names(leaf), ", ")))
		}
	}
	return out
}

// Names are the host names and addresses a certificate is valid for.
func Names(leaf *x509.Certificate) []string {
	names := slices.Clone(leaf.DNSNames)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && leaf.Subject.CommonName != "" {
		names = append(names, leaf.Subject.CommonName)
	}
	return names
}

// Fingerprint is the SHA-256 of a certificate's DER bytes, as openssl x509 -fingerprint -sha256
// prints it (upper-case hex pairs joined by colons).
func Fingerprint(leaf *x509.Certificate) string {
	sum := sha256.Sum256(leaf.Raw)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// The files of the self-signed certificate, in the directory given to SelfSigned.
const (
	SelfSignedCertFile = "tls-cert.pem"
	SelfSignedKeyFile  = "tls-key.pem"
)

// SelfSignedValidity is how long a generated certificate is valid.
const SelfSignedValidity = 365 * 24 * time.Hour

// renewWithin is how close to its end a kept certificate is replaced rather than reused, so
// that a server started now does not stop being trusted within the day.
const renewWithin = 24 * time.Hour

// SelfSigned is a development certificate and why it was (or was not) generated.
type SelfSigned struct {
	Cert tls.Certificate
	// CertFile is the PEM file of the certificate: the CA bundle a client trusts it with.
	CertFile string
	// Generated is empty when the kept certificate was reused, else why a new one was made
	// ("none was kept", "the kept one does not name example.test", ...).
	Generated string
}

// LoadOrCreateSelfSigned returns the self-signed certificate kept in dir when it is still valid
// (for a day at least) for every one of hosts, and otherwise generates one (ECDSA P-256, valid
// for SelfSignedValidity, for hosts), writes it there (the key with mode 0600) and returns it.
// Reusing it across restarts keeps a client's trust (AWS_CA_BUNDLE, a browser exception) valid.
func LoadOrCreateSelfSigned(dir string, hosts []string, now time.Time) (SelfSigned, error) {
	certFile, keyFile := filepath.Join(dir, SelfSignedCertFile), filepath.Join(dir, SelfSignedKeyFile)
	out := SelfSigned{CertFile: certFile}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
		out.Generated = "none was kept"
	case err != nil:
		// A file we wrote that no longer parses (edited, or a half-finished replacement): make a
		// new pair rather than refuse to start a development server.
		out.Generated = fmt.Sprintf("the kept one is unusable (%v)", err)
	default:
		out.Generated = staleReason(cert.Leaf, hosts, now)
	}
	if out.Generated == "" {
		out.Cert = cert
		return out, nil
	}
	certPEM, keyPEM, err := generate(hosts, now)
	if err != nil {
		return SelfSigned{}, err
	}
	// The key first: a crash between the two renames leaves a pair that does not match, which
	// the next start replaces, never a certificate served with a key that is not its own.
	if err := writeFile(keyFile, keyPEM, 0o600); err != nil {
		return SelfSigned{}, err
	}
	if err := writeFile(certFile, certPEM, 0o644); err != nil {
		return SelfSigned{}, err
	}
	if out.Cert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return SelfSigned{}, err
	}
	return out, nil
}

// staleReason says why a kept certificate must be replaced, or "" when it may be reused.
func staleReason(leaf *x509.Certificate, hosts []string, now time.Time) string {
	if now.Before(leaf.NotBefore) || leaf.NotAfter.Sub(now) < renewWithin {
		return fmt.Sprintf("the kept one is valid from %s to %s only", leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	var missing []string
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("the kept one does not name %s", strings.Join(missing, ", "))
	}
	return ""
}

// generate makes a self-signed certificate for hosts (names and IP addresses) and its key, in
// PEM. The certificate is its own issuer and a leaf only (it cannot sign others): trusting it
// trusts this server and nothing else.
func generate(hosts []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	if len(hosts) == 0 {
		return nil, nil, errors.New("a self-signed certificate needs at least one host")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"connectfed development (self-signed)"}},
		// An hour back, so that a client whose clock is a little behind accepts it at once.
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(SelfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("generate a self-signed certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// writeFile replaces path with data, atomically: a reader sees the old file or the new one.
func writeFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// SelfSignedHosts are the names a development certificate is made for: the listen host (or,
// when it is every interface, this machine's name), localhost and its addresses, and any others
// given (the public URL's host), each once.
func SelfSignedHosts(listenHost string, others ...string) []string {
	var hosts []string
	add := func(h string) {
		h = strings.TrimSuffix(strings.Trim(h, "[]"), ".")
		if h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	if ip := net.ParseIP(strings.Trim(listenHost, "[]")); listenHost == "" || (ip != nil && ip.IsUnspecified()) {
		if name, err := os.Hostname(); err == nil {
			add(name)
		}
	} else {
		add(listenHost)
	}
	for _, h := range append([]string{"localhost", "127.0.0.1", "::1"}, others...) {
		add(h)
	}
	return hosts
}
