package cli

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/connectfed/connectfed/internal/tlsconf"
)

// serveTLS is how serve speaks TLS: the configuration the server uses and what to tell the user
// about it. A nil *serveTLS serves plain HTTP; its methods all work on nil.
type serveTLS struct {
	config *tls.Config
	leaf   *x509.Certificate
	// caBundle is the self-signed certificate's file, which clients trust it with; empty for an
	// operator's certificate, which clients trust as they trust any other.
	caBundle string
	// source says where the certificate came from, for the start-up output.
	source string
}

// checkTLSFlags refuses combinations of the TLS flags that cannot mean anything.
func checkTLSFlags(o serveOptions) error {
	if o.tlsSelfSigned && (o.tlsCert != "" || o.tlsKey != "") {
		return errors.New("--tls-self-signed generates its own certificate: give it, or --tls-cert and --tls-key, not both")
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both (PEM files of the certificate chain and its private key), or neither")
	}
	return nil
}

// loadServeTLS loads or generates the certificate the flags ask for; nil when they ask for none.
// Problems that do not stop a server from answering (an expired certificate, one that does not
// name the public URL's host) are logged as warnings.
func loadServeTLS(o serveOptions, log *slog.Logger) (*serveTLS, error) {
	if err := checkTLSFlags(o); err != nil {
		return nil, err
	}
	if o.tlsCert == "" && !o.tlsSelfSigned {
		return nil, nil
	}
	now := time.Now
	if o.now != nil {
		now = o.now
	}
	var publicHost string
	if u, err := url.Parse(o.publicURL); err == nil && o.publicURL != "" {
		publicHost = u.Hostname()
	}
	t := &serveTLS{}
	var cert tls.Certificate
	if o.tlsSelfSigned {
		listenHost, _, err := net.SplitHostPort(o.addr)
		if err != nil {
			return nil, fmt.Errorf("--addr %q: %w", o.addr, err)
		}
		dir, err := filepath.Abs(o.dataDir)
		if err != nil {
			return nil, fmt.Errorf("--data-dir: %w", err)
		}
		ss, err := tlsconf.LoadOrCreateSelfSigned(dir, tlsconf.SelfSignedHosts(listenHost, publicHost), now())
		if err != nil {
			return nil, fmt.Errorf("--tls-self-signed: %w", err)
		}
		cert, t.caBundle = ss.Cert, ss.CertFile
		t.source = "reused from " + ss.CertFile
		if ss.Generated != "" {
			t.source = "generated: " + ss.Generated + "; saved as " + ss.CertFile
		}
	} else {
		var err error
		if cert, err = tlsconf.Load(o.tlsCert, o.tlsKey); err != nil {
			return nil, err
		}
		t.source = "from " + o.tlsCert
		for _, p := range tlsconf.Problems(cert.Leaf, now(), publicHost) {
			log.Warn("--tls-cert "+o.tlsCert+": "+p, "not_after", cert.Leaf.NotAfter)
		}
	}
	t.config, t.leaf = tlsconf.ServerConfig(cert), cert.Leaf
	return t, nil
}

// scheme is the URL scheme clients reach the server with.
func (t *serveTLS) scheme() string {
	if t == nil {
		return "http"
	}
	return "https"
}

// serverConfig is the server's TLS configuration, nil for plain HTTP.
func (t *serveTLS) serverConfig() *tls.Config {
	if t == nil {
		return nil
	}
	return t.config
}

// trustBundle is the CA bundle a client trusts a self-signed certificate with; empty otherwise.
func (t *serveTLS) trustBundle() string {
	if t == nil {
		return ""
	}
	return t.caBundle
}

// print tells the user what the server's certificate is and, when it is self-signed, how to
// trust it.
func (t *serveTLS) print(w io.Writer) {
	if t == nil {
		return
	}
	kind := "TLS: certificate"
	if t.caBundle != "" {
		kind = "TLS: self-signed certificate"
	}
	fmt.Fprintf(w, "%s for %s, valid until %s (%s)\n  SHA-256 fingerprint %s\n", kind,
		strings.Join(tlsconf.Names(t.leaf), ", "), t.leaf.NotAfter.UTC().Format(time.RFC3339), t.source, tlsconf.Fingerprint(t.leaf))
	if t.caBundle != "" {
		q := shellQuote(t.caBundle)
		fmt.Fprintf(w, "  Trust it: export AWS_CA_BUNDLE=%s (AWS CLI, SDKs, connectfed), or curl --cacert %[1]s\n", q)
	}
}

// seedClient is the HTTP client a --seed reaches this very server with. It trusts exactly the
// certificate the server serves, whatever names it carries and whoever issued it: the seed dials
// the listen address, which an operator's certificate need not name, and an operator's CA need
// not be in the system's pool. Nil for plain HTTP (the SDK's default client).
func (t *serveTLS) seedClient() aws.HTTPClient {
	if t == nil {
		return nil
	}
	leaf := t.leaf.Raw
	// A BuildableClient, so that apply pools its connections and closes them when it is done.
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = &tls.Config{
			MinVersion: tls.VersionTLS12,
			// The pin below replaces the usual chain and name checks (VerifyConnection runs
			// either way).
			InsecureSkipVerify: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, leaf) {
					return errors.New("the server's certificate is not the one this process serves")
				}
				return nil
			},
		}
	})
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
