package crawler

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler/urlkey"
)

// seen records what a loopback server received, by path.
type seen struct {
	mu  sync.Mutex
	req map[string]http.Header
}

func (s *seen) record(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.req == nil {
		s.req = map[string]http.Header{}
	}
	s.req[r.URL.Path] = r.Header.Clone()
}

func (s *seen) get(tb testing.TB, path string) http.Header {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.req[path]
	if !ok {
		tb.Fatalf("the server never received %s (it received %v)", path, s.paths())
	}
	return h
}

func (s *seen) paths() []string {
	var ps []string
	for p := range s.req {
		ps = append(ps, p)
	}
	return ps
}

// cookieValue is the value of the named cookie in a request's Cookie header.
func cookieValue(h http.Header, name string) string {
	r := &http.Request{Header: h}
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// TestRequestOptionsReachOnlyTheirHosts crawls a seed host that links and
// redirects to a second host, and checks what each server received: headers
// everywhere, per-host headers and credentials on the seed's host only (the
// redirect target gets none), cookies by RFC 6265 host matching.
func TestRequestOptionsReachOnlyTheirHosts(t *testing.T) {
	var a, b seen
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.record(r)
		fmt.Fprint(w, "<html><body>other</body></html>")
	}))
	defer other.Close()
	// The second host is "localhost", so that its cookies are not the
	// seed's (cookies do not tell ports apart).
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	seed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.record(r)
		switch r.URL.Path {
		case "/":
			fmt.Fprintf(w, `<html><body><a href="/page">p</a> <a href="%s/linked">l</a> <a href="/to-other">r</a></body></html>`, otherURL)
		case "/to-other":
			http.Redirect(w, r, otherURL+"/redirected", http.StatusFound)
		default:
			fmt.Fprint(w, "<html><body>page</body></html>")
		}
	}))
	defer seed.Close()
	seedHost := strings.TrimPrefix(seed.URL, "http://")

	dir := t.TempDir()
	jarFile := filepath.Join(dir, "cookies.txt")
	writeFileT(t, jarFile, "# Netscape HTTP Cookie File\n"+
		"127.0.0.1\tFALSE\t/\tFALSE\t0\tfromfile\tff\n"+
		"#HttpOnly_localhost\tFALSE\t/\tFALSE\t0\tother_side\tbb\n"+
		"127.0.0.1\tFALSE\t/\tFALSE\t1000\texpired\tgone\n")
	t.Setenv("TRAWL_TEST_BASIC", "ann:s3cret")

	cfg := testConfig(seed.URL + "/")
	cfg.Scope = "any"
	cfg.MaxDepth = 2
	cfg.IgnoreRobots = true
	cfg.Header = []string{"X-Everywhere: yes", "Accept-Language: fr"}
	cfg.HostHeaders = map[string][]string{seedHost: {"X-Seed-Only: 1"}}
	cfg.Cookie = []string{"given=g1"}
	cfg.CookiesFile = jarFile
	cfg.BasicAuth = ParseSecret("env:TRAWL_TEST_BASIC", "")
	crawlRun(t, testDB(t), cfg)

	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("ann:s3cret"))
	for _, p := range []string{"/", "/page", "/to-other"} {
		h := a.get(t, p)
		if h.Get("X-Everywhere") != "yes" || h.Get("Accept-Language") != "fr" || h.Get("X-Seed-Only") != "1" {
			t.Errorf("seed %s: headers %v", p, h)
		}
		if h.Get("Authorization") != wantAuth {
			t.Errorf("seed %s: Authorization %q, want %q", p, h.Get("Authorization"), wantAuth)
		}
		if cookieValue(h, "given") != "g1" || cookieValue(h, "fromfile") != "ff" || cookieValue(h, "other_side") != "" || cookieValue(h, "expired") != "" {
			t.Errorf("seed %s: Cookie %q", p, h.Get("Cookie"))
		}
	}
	for _, p := range []string{"/linked", "/redirected"} {
		h := b.get(t, p)
		if h.Get("X-Everywhere") != "yes" || h.Get("X-Seed-Only") != "" {
			t.Errorf("other %s: headers %v", p, h)
		}
		if h.Get("Authorization") != "" {
			t.Errorf("other %s: got the seed's credentials %q", p, h.Get("Authorization"))
		}
		if cookieValue(h, "given") != "" || cookieValue(h, "fromfile") != "" || cookieValue(h, "other_side") != "bb" {
			t.Errorf("other %s: Cookie %q", p, h.Get("Cookie"))
		}
	}
}

// TestCookieJarLastsAcrossRuns: a session cookie and a Max-Age cookie set
// in one run are sent by the next run, from a new Crawler on the same
// database; a cookie the site deleted is not.
func TestCookieJarLastsAcrossRuns(t *testing.T) {
	var s seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		switch r.URL.Path {
		case "/login":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc", Path: "/", HttpOnly: true})
			http.SetCookie(w, &http.Cookie{Name: "pref", Value: "dark", Path: "/", MaxAge: 3600})
			http.SetCookie(w, &http.Cookie{Name: "tmp", Value: "x", Path: "/"})
		case "/logout-tmp":
			http.SetCookie(w, &http.Cookie{Name: "tmp", Value: "", Path: "/", MaxAge: -1})
		}
		fmt.Fprint(w, "<html><body>ok</body></html>")
	}))
	defer srv.Close()
	db := testDB(t)
	for _, path := range []string{"/login", "/logout-tmp", "/check"} {
		cfg := testConfig(srv.URL + path)
		cfg.IgnoreRobots = true
		crawlRun(t, db, cfg)
	}
	h := s.get(t, "/check")
	if cookieValue(h, "session") != "abc" || cookieValue(h, "pref") != "dark" || cookieValue(h, "tmp") != "" {
		t.Errorf("third run sent Cookie %q, want session=abc and pref=dark only", h.Get("Cookie"))
	}
	if n := queryInt(t, db, `SELECT count(*) FROM cookies WHERE name = 'pref' AND expires IS NOT NULL`); n != 1 {
		t.Errorf("pref cookie stored with an absolute expiry: %d rows, want 1", n)
	}
}

func TestSecrets(t *testing.T) {
	dir := t.TempDir()
	writeFileT(t, filepath.Join(dir, "token"), "tok-123\n")
	t.Setenv("TRAWL_TEST_EMPTY", "")
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "file:token", want: "tok-123"},
		{in: "file:" + filepath.Join(dir, "token"), want: "tok-123"},
		{in: "literal", want: "literal"},
		{in: "env:TRAWL_TEST_EMPTY", err: "environment variable TRAWL_TEST_EMPTY is unset or empty"},
		{in: "file:missing", err: "no such file"},
	} {
		s := ParseSecret(tc.in, dir)
		got, err := s.resolve("bearer")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	// A stored configuration has no inline secret: a resume must be told.
	var stored Config
	stored.Bearer = Secret{From: SecretInline}
	if _, err := stored.Bearer.resolve("bearer"); err == nil || !strings.Contains(err.Error(), "give --bearer again") {
		t.Errorf("inline secret not given again: %v", err)
	}
}

func TestBearerGoesToTheSeedOriginOnly(t *testing.T) {
	var s seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		fmt.Fprint(w, "<html><body>ok</body></html>")
	}))
	defer srv.Close()
	cfg := testConfig(srv.URL + "/")
	cfg.Bearer = ParseSecret("tok-9", "")
	crawlRun(t, testDB(t), cfg)
	if got := s.get(t, "/").Get("Authorization"); got != "Bearer tok-9" {
		t.Errorf("page: Authorization %q", got)
	}
	if got := s.get(t, "/robots.txt").Get("Authorization"); got != "Bearer tok-9" {
		t.Errorf("robots.txt: Authorization %q", got)
	}
	// The same port by another name is another origin.
	o := &requestOptions{auth: "Bearer x", authHosts: map[string]bool{"https://127.0.0.1:443": true}}
	for _, u := range []string{"http://127.0.0.1:443/", "http://127.0.0.1/", "https://localhost/"} {
		pu, _ := url.Parse(u)
		if o.authHosts[urlkey.HostKey(pu)] {
			t.Errorf("%s would get the credentials of https://127.0.0.1", u)
		}
	}
}

func TestCookiesFileErrorsNameTheLine(t *testing.T) {
	in := "# comment\n\nexample.com\tTRUE\t/\tFALSE\tsoon\tn\tv\nexample.com\tTRUE\t/\n"
	_, err := readCookiesFile(strings.NewReader(in), "c.txt", time.Now())
	if err == nil || !strings.Contains(err.Error(), `c.txt:3: expiry "soon"`) || !strings.Contains(err.Error(), "c.txt:4: want 7") {
		t.Errorf("error %v", err)
	}
	cs, err := readCookiesFile(strings.NewReader(".example.com\tTRUE\t/shop\tTRUE\t4102444800\tid\t42\n"), "c.txt", time.Now())
	if err != nil || len(cs) != 1 {
		t.Fatalf("%v %v", cs, err)
	}
	c := cs[0]
	if c.url.String() != "https://example.com/shop" || c.cookie.Domain != "example.com" || !c.cookie.Secure || c.cookie.Expires.Year() != 2100 {
		t.Errorf("parsed %v %+v", c.url, c.cookie)
	}
}

func TestBadRequestSettingsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Header = []string{"no colon"} }, `header "no colon": want "Name: value"`},
		{func(c *Config) { c.Header = []string{"Bad Name: v"} }, "is not a header name"},
		{func(c *Config) { c.Cookie = []string{"novalue"} }, `want "name=value"`},
		{func(c *Config) { c.HostHeaders = map[string][]string{"http://x/": {"A: b"}} }, "is not a host"},
		{func(c *Config) { c.BasicAuth, c.Bearer = ParseSecret("a:b", ""), ParseSecret("t", "") }, "not both"},
	} {
		cfg := testConfig("http://127.0.0.1/")
		tc.mod(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
	cfg := testConfig("http://127.0.0.1/")
	cfg.BasicAuth = ParseSecret("no-colon", "")
	if _, err := New(cfg, testDB(t), 1, nil); err == nil || !strings.Contains(err.Error(), "want user:password") {
		t.Errorf("basic auth without a colon: %v", err)
	}
}

func writeFileT(tb testing.TB, path, body string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
}
