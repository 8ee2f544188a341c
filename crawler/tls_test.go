package crawler

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
)

// tlsSite is an HTTPS server that offers HTTP/2, with its CA certificate
// written to a PEM file.
func tlsSite(t *testing.T, h http.Handler) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	writeFileT(t, ca, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	return srv, ca
}

func okPage(w http.ResponseWriter, _ *http.Request) {
	fmt.Fprint(w, "<html><body>secure</body></html>")
}

func TestHTTPSCertificates(t *testing.T) {
	srv, ca := tlsSite(t, http.HandlerFunc(okPage))
	for _, tc := range []struct {
		name      string
		mod       func(*Config)
		class     string
		errorPart string
	}{
		{name: "untrusted", mod: func(*Config) {}, class: ClassTLS, errorPart: "certificate signed by unknown authority"},
		{name: "ca-cert", mod: func(c *Config) { c.CACert = ca }},
		{name: "insecure", mod: func(c *Config) { c.Insecure = true }},
		{name: "wrong-host", mod: func(c *Config) {
			c.CACert = ca
			c.Seeds = []string{strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/"}
		}, class: ClassTLS, errorPart: "not localhost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(srv.URL + "/")
			cfg.IgnoreRobots = true
			cfg.Retries = 0
			tc.mod(&cfg)
			db := testDB(t)
			crawlRun(t, db, cfg)
			var status int
			var class, msg, proto string
			err := db.Reader().QueryRow(`SELECT coalesce(status, 0), coalesce(error_class, ''), coalesce(error, ''), coalesce(proto, '') FROM fetches`).
				Scan(&status, &class, &msg, &proto)
			if err != nil {
				t.Fatal(err)
			}
			if tc.class != "" {
				if class != tc.class || !strings.Contains(msg, tc.errorPart) {
					t.Errorf("class %q error %q, want %q with %q", class, msg, tc.class, tc.errorPart)
				}
				return
			}
			if status != 200 || proto != "HTTP/2.0" {
				t.Errorf("status %d proto %q (%s %s), want 200 over HTTP/2.0", status, proto, class, msg)
			}
		})
	}
}

func TestCACertMustHoldACertificate(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.pem")
	writeFileT(t, bad, "not a certificate\n")
	cfg := testConfig("https://127.0.0.1/")
	cfg.CACert = bad
	if _, err := New(cfg, testDB(t), 1, nil); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("error %v", err)
	}
}

// TestRedirectFromHTTPSToHTTP: the redirect is followed as a new request,
// and the https seed's credentials do not go to the http URL.
func TestRedirectFromHTTPSToHTTP(t *testing.T) {
	var plainSeen seen
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainSeen.record(r)
		okPage(w, r)
	}))
	defer plain.Close()
	var secureSeen seen
	srv, ca := tlsSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureSeen.record(r)
		http.Redirect(w, r, plain.URL+"/downgraded", http.StatusMovedPermanently)
	}))
	cfg := testConfig(srv.URL + "/")
	cfg.Scope = "any"
	cfg.IgnoreRobots = true
	cfg.CACert = ca
	cfg.Bearer = ParseSecret("tok-tls", "")
	db := testDB(t)
	crawlRun(t, db, cfg)
	if got := secureSeen.get(t, "/").Get("Authorization"); got != "Bearer tok-tls" {
		t.Errorf("https seed: Authorization %q", got)
	}
	if got := plainSeen.get(t, "/downgraded").Get("Authorization"); got != "" {
		t.Errorf("http redirect target got the https seed's credentials %q", got)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE status = 301 AND proto = 'HTTP/2.0' AND redirect_to = ?`, plain.URL+"/downgraded"); n != 1 {
		t.Errorf("%d 301 fetches over HTTP/2.0 to the http URL, want 1", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE status = 200 AND proto = 'HTTP/1.1'`); n != 1 {
		t.Errorf("%d 200 fetches over HTTP/1.1, want 1", n)
	}
}

// TestHTTPSThroughAProxy: an https site is reached through an http proxy
// by CONNECT, with the site's certificate still verified end to end.
func TestHTTPSThroughAProxy(t *testing.T) {
	srv, ca := tlsSite(t, http.HandlerFunc(okPage))
	p := fixtures.StartProxy(nil)
	defer p.Close()
	cfg := testConfig(srv.URL + "/")
	cfg.IgnoreRobots = true
	cfg.CACert = ca
	cfg.Proxy = ProxyList{p.URL}
	db := testDB(t)
	crawlRun(t, db, cfg)
	reqs := p.Requests()
	if len(reqs) == 0 || reqs[0].Method != http.MethodConnect || reqs[0].Target != strings.TrimPrefix(srv.URL, "https://") {
		t.Errorf("proxy log %v, want a CONNECT to %s", reqs, srv.URL)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE status = 200 AND proxy = ?`, p.URL); n != 1 {
		t.Errorf("%d fetches through the proxy, want 1", n)
	}
}

func TestInsecureIsWarnedAbout(t *testing.T) {
	srv, _ := tlsSite(t, http.HandlerFunc(okPage))
	cfg := testConfig(srv.URL + "/")
	cfg.IgnoreRobots = true
	cfg.Insecure = true
	db := testDB(t)
	b, _ := json.Marshal(cfg)
	run, err := db.StartRun(context.Background(), "crawl", b)
	if err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	c, err := New(cfg, db, run.ID, slog.New(slog.NewTextHandler(&logBuf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logBuf.String(), "level=WARN msg=\"--insecure: TLS certificates are not verified") {
		t.Errorf("no warning about --insecure in the log:\n%s", logBuf.String())
	}
}
