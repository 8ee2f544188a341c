package crawler

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
)

// chainSite serves, for any Host name, a chain of pages / -> /1 -> ... ->
// /n, so that each host's pages are asked one after another.
func chainSite(t *testing.T, n int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		var i int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/"), "%d", &i)
		if i < n {
			fmt.Fprintf(w, `<html><body><a href="/%d">next</a></body></html>`, i+1)
			return
		}
		fmt.Fprint(w, `<html><body>end</body></html>`)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// startProxies starts k fixture proxies that route the hosts a.test,
// b.test, ... to addr.
func startProxies(t *testing.T, k int, hosts []string, addr string) []*fixtures.Proxy {
	t.Helper()
	route := map[string]string{}
	for _, h := range hosts {
		route[h+":80"] = addr
	}
	var ps []*fixtures.Proxy
	for range k {
		p := fixtures.StartProxy(route)
		t.Cleanup(p.Close)
		ps = append(ps, p)
	}
	return ps
}

// pageRequests counts the requests a proxy served that were pages (not
// robots.txt), by target host.
func pageRequests(p *fixtures.Proxy) map[string]int {
	out := map[string]int{}
	for _, r := range p.Requests() {
		if r.Served && !strings.HasSuffix(r.Target, "/robots.txt") {
			h, _, _ := strings.Cut(strings.TrimPrefix(r.Target, "http://"), "/")
			out[h]++
		}
	}
	return out
}

// TestProxyKilledMidCrawl crawls three hosts through three proxies, one of
// which dies after its fourth request: its host moves to another proxy,
// every page is fetched once, nothing is retried, and each fetch records
// the proxy whose log shows it.
func TestProxyKilledMidCrawl(t *testing.T) {
	const pages = 8
	hosts := []string{"a.test", "b.test", "c.test"}
	addr := chainSite(t, pages)
	ps := startProxies(t, 3, hosts, addr)
	ps[0].KillAfter(4)
	cfg := testConfig("http://a.test/", "http://b.test/", "http://c.test/")
	cfg.Scope = "any"
	cfg.PerHost = 1
	cfg.Retries = 2
	for _, p := range ps {
		cfg.Proxy = append(cfg.Proxy, p.URL)
	}
	db := testDB(t)
	_, res := crawlRun(t, db, cfg)
	if res.Status != StatusFinished {
		t.Fatalf("status %s", res.Status)
	}
	want := len(hosts) * (pages + 1)
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE status = 200 AND attempt = 1`); n != want {
		t.Errorf("%d pages fetched at the first attempt, want %d", n, want)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches`); n != want {
		t.Errorf("%d fetches, want %d (no retries)", n, want)
	}
	if n := queryInt(t, db, `SELECT retries FROM runs`); n != 0 {
		t.Errorf("runs.retries %d, want 0: a dead proxy costs the URL none of its retries", n)
	}
	if got := ps[0].Served(); got != 4 {
		t.Errorf("the killed proxy served %d requests, want 4", got)
	}
	hostsVia := map[string]map[string]bool{}
	for _, p := range ps {
		served := pageRequests(p)
		total := 0
		for h, n := range served {
			total += n
			if hostsVia[h] == nil {
				hostsVia[h] = map[string]bool{}
			}
			hostsVia[h][p.URL] = true
		}
		if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE proxy = ?`, p.URL); n != total {
			t.Errorf("%d fetches record proxy %s, whose log shows %d pages served", n, p.URL, total)
		}
	}
	for h, via := range hostsVia {
		// A host keeps its proxy while it works: one, or two for the host
		// of the proxy that died.
		if len(via) > 2 {
			t.Errorf("host %s went through %d proxies, want at most 2: %v", h, len(via), via)
		}
	}
	moved := 0
	for _, via := range hostsVia {
		if via[ps[0].URL] && len(via) == 2 {
			moved++
		}
	}
	if moved != 1 {
		t.Errorf("%d hosts moved off the dead proxy, want 1: %v", moved, hostsVia)
	}
}

// TestFailingProxyIsRested: a proxy answering 407, or a 5xx that its
// Proxy-Status header says is its own, is rested; every request goes
// through the other proxy; a site's own 502 through a proxy is the URL's.
func TestFailingProxyIsRested(t *testing.T) {
	for _, status := range []int{http.StatusProxyAuthRequired, http.StatusServiceUnavailable} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			hosts := []string{"a.test", "b.test"}
			ps := startProxies(t, 2, hosts, chainSite(t, 3))
			ps[0].FailWith(status)
			cfg := testConfig("http://a.test/", "http://b.test/")
			cfg.Scope = "any"
			cfg.Proxy = ProxyList{ps[0].URL, ps[1].URL}
			db := testDB(t)
			crawlRun(t, db, cfg)
			if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE status = 200 AND proxy = ?`, ps[1].URL); n != 8 {
				t.Errorf("%d pages through the working proxy, want 8", n)
			}
			if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE proxy IS NOT ? OR status != 200`, ps[1].URL); n != 0 {
				t.Errorf("%d fetches not through the working proxy, or failed", n)
			}
			// Rested after its first failure: it is not asked again within
			// the rest (5 s at least), which outlasts this crawl.
			if got := len(ps[0].Requests()); got > 2 {
				t.Errorf("the failing proxy was asked %d times, want at most 2 (one per request in flight when it failed)", got)
			}
		})
	}

	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "site down", http.StatusBadGateway)
	}))
	defer site.Close()
	ps := startProxies(t, 2, []string{"a.test"}, strings.TrimPrefix(site.URL, "http://"))
	cfg := testConfig("http://a.test/")
	cfg.IgnoreRobots = true
	cfg.Retries = 0
	cfg.Proxy = ProxyList{ps[0].URL, ps[1].URL}
	db := testDB(t)
	crawlRun(t, db, cfg)
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE status = 502 AND error_class = 'http-5xx' AND proxy = ?`, ps[0].URL); n != 1 {
		t.Errorf("the site's 502 through the proxy: %d fetches of class http-5xx through the first proxy, want 1", n)
	}
	if n := len(ps[1].Requests()); n != 0 {
		t.Errorf("the site's 502 rested the proxy: the second was asked %d times", n)
	}
}

// TestAllProxiesDown: with no proxy to go through, the fetch fails with
// class proxy, is retried, and the host is not held to blame.
func TestAllProxiesDown(t *testing.T) {
	ps := startProxies(t, 2, []string{"a.test"}, chainSite(t, 1))
	ps[0].Close()
	ps[1].Close()
	cfg := testConfig("http://a.test/")
	cfg.IgnoreRobots = true
	cfg.Retries = 1
	cfg.Proxy = ProxyList{ps[0].URL, ps[1].URL}
	db := testDB(t)
	crawlRun(t, db, cfg)
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE error_class = 'proxy' AND status IS NULL AND error LIKE '%no proxy to go through%'`); n != 2 {
		t.Errorf("%d fetches of class proxy, want 2 (the attempt and its retry)", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE state = 'failed' AND reason = 'proxy'`); n != 1 {
		t.Errorf("%d URLs failed with reason proxy, want 1", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM hosts WHERE failures > 0 OR parked_reason IS NOT NULL`); n != 0 {
		t.Errorf("%d hosts blamed for their proxies", n)
	}
}

func TestProxyListIsChecked(t *testing.T) {
	for _, tc := range []struct {
		list ProxyList
		want string
	}{
		{ProxyList{"none", "http://127.0.0.1:1"}, "cannot be listed"},
		{ProxyList{"http://127.0.0.1:1", "http://127.0.0.1:1"}, "listed twice"},
	} {
		cfg := testConfig("http://127.0.0.1/")
		cfg.Proxy = tc.list
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.list, err, tc.want)
		}
	}
	var p ProxyList
	for in, want := range map[string]string{`"http://a:1"`: "[http://a:1]", `["http://a:1","http://b:2"]`: "[http://a:1 http://b:2]"} {
		if err := p.UnmarshalJSON([]byte(in)); err != nil || fmt.Sprint(p) != want {
			t.Errorf("%s: %v %v", in, p, err)
		}
	}
	if b, _ := (ProxyList{"http://a:1"}).MarshalJSON(); string(b) != `"http://a:1"` {
		t.Errorf("one proxy stored as %s, want a string as before lists", b)
	}
}
