package crawler

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
)

// site serves a two-page site and is reached as http://site.test/ through a
// fixture proxy that routes that name to it: only the proxy connects.
func proxiedSite(t *testing.T) (*fixtures.Proxy, *seen) {
	t.Helper()
	var s seen
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		if h, _, _ := strings.Cut(r.Host, ":"); h != "site.test" {
			http.Error(w, "wrong Host "+r.Host, http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, `<html><body><a href="/two">two</a></body></html>`)
	}))
	t.Cleanup(backend.Close)
	p := fixtures.StartProxy(map[string]string{"site.test:80": strings.TrimPrefix(backend.URL, "http://")})
	t.Cleanup(p.Close)
	return p, &s
}

func TestProxyFlagCarriesEveryRequestAndIsRecorded(t *testing.T) {
	p, s := proxiedSite(t)
	cfg := testConfig("http://site.test/")
	cfg.Proxy = ProxyList{p.URL}
	cfg.ProxyAuth = ParseSecret("pu:pp", "")
	db := testDB(t)
	crawlRun(t, db, cfg)

	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("pu:pp"))
	asked := map[string]bool{}
	for _, r := range p.Requests() {
		asked[r.Method+" "+r.Target] = true
		if r.Auth != wantAuth {
			t.Errorf("%s %s: Proxy-Authorization %q, want %q", r.Method, r.Target, r.Auth, wantAuth)
		}
	}
	for _, want := range []string{"GET http://site.test:80/robots.txt", "GET http://site.test/", "GET http://site.test/two"} {
		if !asked[want] {
			t.Errorf("the proxy was not asked %s; it was asked %v", want, p.Requests())
		}
	}
	s.get(t, "/two")
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE status = 200 AND proxy = ? AND proto = 'HTTP/1.1'`, p.URL); n != 2 {
		t.Errorf("%d fetches record proxy %s and HTTP/1.1, want 2", n, p.URL)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE proxy LIKE '%pp%' OR proxy LIKE '%pu%'`); n != 0 {
		t.Errorf("%d fetches record the proxy's credentials", n)
	}
}

func TestEnvironmentProxy(t *testing.T) {
	p, _ := proxiedSite(t)
	t.Setenv("HTTP_PROXY", p.URL)
	t.Setenv("NO_PROXY", "skip.test")
	cfg := testConfig("http://site.test/")
	cfg.ProxyAuth = ParseSecret("eu:ep", "")
	db := testDB(t)
	crawlRun(t, db, cfg)
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE status = 200 AND proxy = ?`, p.URL); n != 2 {
		t.Errorf("%d fetches went through HTTP_PROXY %s, want 2", n, p.URL)
	}
	for _, r := range p.Requests() {
		if r.Auth != "Basic "+base64.StdEncoding.EncodeToString([]byte("eu:ep")) {
			t.Errorf("%s: --proxy-auth not sent to the environment's proxy: %q", r.Target, r.Auth)
		}
	}

	r, err := newRequestOptions(&cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.proxyName("http://skip.test/a"); got != "" {
		t.Errorf("NO_PROXY host goes through %q", got)
	}
	if got := r.proxyName("http://127.0.0.1:8080/"); got != "" {
		t.Errorf("a loopback host goes through the environment's proxy %q", got)
	}
	cfg.Proxy = ProxyList{ProxyNone}
	if r, _ = newRequestOptions(&cfg, nil); r.proxyName("http://site.test/") != "" {
		t.Errorf("--proxy none still uses HTTP_PROXY")
	}
}

func TestProxyURLIsChecked(t *testing.T) {
	for _, tc := range []struct{ proxy, want string }{
		{"ftp://127.0.0.1:21", "want an http://, https:// or socks5:// URL"},
		{"http://", "no host"},
		{"http://u:secret@127.0.0.1:3128", "--proxy-auth"},
	} {
		cfg := testConfig("http://127.0.0.1/")
		cfg.Proxy = ProxyList{tc.proxy}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.proxy, err, tc.want)
		}
	}
}

func TestSOCKS5Proxy(t *testing.T) {
	var s seen
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		fmt.Fprint(w, `<html><body>via socks</body></html>`)
	}))
	defer backend.Close()
	sp, err := fixtures.StartSOCKS5(map[string]string{"site.test:80": strings.TrimPrefix(backend.URL, "http://")}, "su", "sp")
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	cfg := testConfig("http://site.test/")
	cfg.IgnoreRobots = true
	cfg.Proxy = ProxyList{"socks5://" + sp.Addr}
	cfg.ProxyAuth = ParseSecret("su:sp", "")
	db := testDB(t)
	crawlRun(t, db, cfg)
	s.get(t, "/")
	if got := sp.Targets(); len(got) == 0 || got[0] != "site.test:80" {
		t.Errorf("SOCKS5 proxy was asked for %v, want site.test:80 (the name, resolved by the proxy)", got)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE status = 200 AND proxy = ?`, cfg.Proxy[0]); n != 1 {
		t.Errorf("%d fetches record the SOCKS5 proxy, want 1", n)
	}
}
