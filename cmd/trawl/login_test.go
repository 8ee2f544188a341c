package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
)

// TestLoginFromConfigFile runs the binary with a login block and two
// proxies in its config file: the protected pages are crawled through a
// proxy; then a wrong password exits 1 with the failed condition, and
// the password is in neither the database, runs.config nor the output.
func TestLoginFromConfigFile(t *testing.T) {
	site := &fixtures.LoginSite{User: "ann", Pass: "s3cret-pass", Pages: 3}
	srv := httptest.NewServer(site)
	defer srv.Close()
	route := map[string]string{"members.test:80": strings.TrimPrefix(srv.URL, "http://")}
	p1, p2 := fixtures.StartProxy(route), fixtures.StartProxy(route)
	defer p1.Close()
	defer p2.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "crawl.yaml")
	writeFile(t, cfgPath, `seeds: http://members.test/
sitemaps: false
delay: 0
deny: ['/logout$']
proxy: [`+p1.URL+`, `+p2.URL+`]
login:
  url: http://members.test/login
  form: form#login
  fields:
    user: ann
    pass: env:MEMBERS_PASS
  success:
    cookie: sid
    selector: a.logout
`)
	for _, tc := range []struct {
		pass string
		code int
	}{{"wrong-pass", exitFailed}, {"s3cret-pass", exitOK}} {
		t.Setenv("MEMBERS_PASS", tc.pass)
		db := filepath.Join(dir, fmt.Sprintf("run%d.db", tc.code))
		r := trawl(t, "crawl", "--db", db, "--config", cfgPath, "-q")
		if r.code != tc.code {
			t.Fatalf("%s: exit %d, want %d: %s", tc.pass, r.code, tc.code, r.stderr)
		}
		if tc.code == exitFailed && !strings.Contains(r.stderr, `success condition not met: no cookie "sid" was set`) {
			t.Errorf("wrong password: stderr %q does not name the condition", r.stderr)
		}
		for _, f := range []string{db, db + "-wal"} {
			if b, _ := os.ReadFile(f); strings.Contains(string(b), tc.pass) {
				t.Errorf("%s holds the password", f)
			}
		}
		if strings.Contains(r.stderr+r.stdout, tc.pass) {
			t.Errorf("the output shows the password")
		}
		if tc.code == exitOK {
			var n int
			openDB(t, db).QueryRow(`SELECT count(*) FROM pages WHERE status = 200 AND reason IS NULL AND url LIKE 'http://members.test/%'`).Scan(&n)
			if n != 4 {
				t.Errorf("%d protected pages crawled, want 4", n)
			}
		}
	}
	// A refresh with the same file logs in again, its inline value (the
	// user) given back; one without the file cannot, and says why.
	db := filepath.Join(dir, fmt.Sprintf("run%d.db", exitOK))
	if r := trawl(t, "crawl", "--db", db, "--config", cfgPath, "-q"); r.code != exitOK {
		t.Fatalf("refresh: exit %d: %s", r.code, r.stderr)
	}
	r := trawl(t, "crawl", "--db", db, "-q")
	if r.code != exitUsage || !strings.Contains(r.stderr, "login: fields: user: this crawl was started with the value written in the config file") {
		t.Errorf("refresh without the config file: exit %d, %s", r.code, r.stderr)
	}
	if n := len(site.Logins()); n != 3 {
		t.Errorf("the site saw %d logins, want 3 (one wrong, two right)", n)
	}
}
