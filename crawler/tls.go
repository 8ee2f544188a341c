package crawler

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
)

// newTLSConfig returns the client TLS settings for cfg: the system's roots
// plus --ca-cert, or no verification with --insecure. nil means Go's
// defaults.
func newTLSConfig(cfg *Config) (*tls.Config, error) {
	if cfg.CACert == "" && !cfg.Insecure {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.Insecure {
		tc.InsecureSkipVerify = true //nolint:gosec // asked for with --insecure, and warned about
	}
	if cfg.CACert != "" {
		pem, err := os.ReadFile(cfg.CACert)
		if err != nil {
			return nil, fmt.Errorf("ca_cert: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_cert: %s holds no PEM certificate", cfg.CACert)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// configureTLS sets the TLS settings on the shared transport. A transport
// with its own TLSClientConfig still negotiates HTTP/2, since
// ForceAttemptHTTP2 is set.
func (r *requestOptions) configureTLS(t *http.Transport) {
	if r.tls != nil {
		t.TLSClientConfig = r.tls
	}
}
