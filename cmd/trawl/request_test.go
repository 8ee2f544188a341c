package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
)

// authServer answers only requests with the given Authorization, and counts
// those it let in.
type authServer struct {
	want string
	mu   sync.Mutex
	ok   int
	hdrs []http.Header
}

func (s *authServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hdrs = append(s.hdrs, r.Header.Clone())
	if r.Header.Get("Authorization") != s.want {
		w.Header().Set("WWW-Authenticate", `Basic realm="t"`)
		http.Error(w, "who are you", http.StatusUnauthorized)
		return
	}
	s.ok++
	fmt.Fprint(w, "<html><body>members only</body></html>")
}

func (s *authServer) admitted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ok
}

// TestSecretsStayOutOfTheDatabase: basic auth given inline is sent, and
// neither it nor its encoding is anywhere in the database's files; the run
// records only that one was given, so a later run must be given it again.
// Given as env:VAR, a later run reads the variable itself.
func TestSecretsStayOutOfTheDatabase(t *testing.T) {
	const secret = "pa55-w0rd-XYZ"
	srv := &authServer{want: "Basic " + base64.StdEncoding.EncodeToString([]byte("ann:"+secret))}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	db := filepath.Join(t.TempDir(), "t.db")

	r := trawl(t, "crawl", "--db", db, "--ignore-robots", "--sitemaps=false", "--delay", "0", "-q", "--basic-auth", "ann:"+secret, ts.URL+"/")
	if r.code != exitOK || srv.admitted() != 1 {
		t.Fatalf("exit %d, admitted %d; stderr: %s", r.code, srv.admitted(), r.stderr)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(db + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, s := range []string{secret, base64.StdEncoding.EncodeToString([]byte("ann:" + secret))} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the secret %q", db+suffix, s)
			}
		}
	}
	var config string
	openDB(t, db).QueryRow(`SELECT config FROM runs ORDER BY id DESC LIMIT 1`).Scan(&config)
	if !strings.Contains(config, `"basic_auth":{"from":"inline"}`) {
		t.Errorf("stored config does not say a secret was given: %s", config)
	}

	r = trawl(t, "crawl", "--db", db, "-q")
	wantOneLineError(t, r, exitUsage, "give --basic-auth again")
	if srv.admitted() != 1 {
		t.Errorf("a run without the secret was let in")
	}

	t.Setenv("TRAWL_TEST_SECRET", "ann:"+secret)
	r = trawl(t, "crawl", "--db", db, "-q", "--fresh", "--ignore-robots", "--sitemaps=false", "--delay", "0", "--basic-auth", "env:TRAWL_TEST_SECRET", ts.URL+"/")
	if r.code != exitOK || srv.admitted() != 2 {
		t.Fatalf("env: exit %d, admitted %d; stderr: %s", r.code, srv.admitted(), r.stderr)
	}
	r = trawl(t, "crawl", "--db", db, "-q", "--revisit-after", "0")
	if r.code != exitOK || srv.admitted() != 3 {
		t.Fatalf("refresh reading the env again: exit %d, admitted %d; stderr: %s", r.code, srv.admitted(), r.stderr)
	}
}

// TestRequestOptionsFromTheConfigFile: header, host_headers, cookie,
// cookies_file (relative to the file) and a file: bearer token reach the
// server from a config file.
func TestRequestOptionsFromTheConfigFile(t *testing.T) {
	var mu sync.Mutex
	var got http.Header
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/" {
			got = r.Header.Clone()
		}
		fmt.Fprint(w, "<html><body>hi</body></html>")
	}))
	defer ts.Close()
	dir := t.TempDir()
	host := strings.TrimPrefix(ts.URL, "http://")
	writeFile(t, filepath.Join(dir, "conf", "token"), "tok-77\n")
	writeFile(t, filepath.Join(dir, "conf", "jar.txt"), "127.0.0.1\tFALSE\t/\tFALSE\t0\tjar\tj1\n")
	writeFile(t, filepath.Join(dir, "conf", "crawl.yaml"), fmt.Sprintf(`seeds: [%q]
ignore_robots: true
sitemaps: false
delay: 0
header: ["X-Team: crawl"]
host_headers:
  %q: ["X-Host: yes"]
cookie: ["c=1"]
cookies_file: jar.txt
bearer: file:token
`, ts.URL+"/", host))
	r := trawl(t, "crawl", "--db", filepath.Join(dir, "t.db"), "-q", "--config", filepath.Join(dir, "conf", "crawl.yaml"))
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.Get("X-Team") != "crawl" || got.Get("X-Host") != "yes" || got.Get("Authorization") != "Bearer tok-77" {
		t.Errorf("headers %v", got)
	}
	if c := got.Get("Cookie"); !strings.Contains(c, "c=1") || !strings.Contains(c, "jar=j1") {
		t.Errorf("Cookie %q", c)
	}
}

func TestBadRequestFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	r := trawl(t, "crawl", "--db", db, "--header", "X-No-Colon", "http://127.0.0.1:1/")
	wantOneLineError(t, r, exitUsage, `header "X-No-Colon": want "Name: value"`)
	r = trawl(t, "crawl", "--db", db, "--bearer", "env:TRAWL_TEST_UNSET_VAR", "http://127.0.0.1:1/")
	wantOneLineError(t, r, exitUsage, "environment variable TRAWL_TEST_UNSET_VAR is unset or empty")
	if _, err := os.Stat(db); err == nil {
		// The database may exist (the run is refused after opening it);
		// it must not record a run.
		var n int
		openDB(t, db).QueryRow(`SELECT count(*) FROM runs`).Scan(&n)
		if n != 0 {
			t.Errorf("a refused crawl recorded %d runs", n)
		}
	}
}

// TestEnvironmentProxyAndWARC runs the binary with HTTP_PROXY set, as a
// user's shell would have it: every request goes through the proxy (the
// seed's name resolves only there), each fetch records it, and --warc
// leaves gzipped WARC files.
func TestEnvironmentProxyAndWARC(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body>through the proxy</body></html>")
	}))
	defer backend.Close()
	p := fixtures.StartProxy(map[string]string{"site.test:80": strings.TrimPrefix(backend.URL, "http://")})
	defer p.Close()
	t.Setenv("HTTP_PROXY", p.URL)
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	r := trawl(t, "crawl", "--db", db, "-q", "--delay", "0", "--sitemaps=false", "--warc", filepath.Join(dir, "warcs"), "http://site.test/")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if len(p.Requests()) != 2 { // robots.txt and the page
		t.Errorf("proxy log %v, want robots.txt and the page", p.Requests())
	}
	var n int
	openDB(t, db).QueryRow(`SELECT count(*) FROM fetches WHERE status = 200 AND proxy = ?`, p.URL).Scan(&n)
	if n != 1 {
		t.Errorf("%d fetches record proxy %s, want 1", n, p.URL)
	}
	// A run writes one file at a time: robots.txt and the page are in one
	// file, named for run 1.
	files, _ := filepath.Glob(filepath.Join(dir, "warcs", "trawl-run1-*.warc.gz"))
	all, _ := filepath.Glob(filepath.Join(dir, "warcs", "*"))
	if len(files) != 1 || len(all) != len(files) {
		t.Errorf("WARC files %v, want one of run 1", all)
	}
}
