package crawler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store"
)

const testPassword = "pw-9f3kQ2-never-stored"

// loginConfig is a crawl of site's / with its login step, the password
// read from the environment.
func loginConfig(t *testing.T, srv *httptest.Server, pass string) Config {
	t.Setenv("TRAWL_TEST_LOGIN_PASS", pass)
	cfg := testConfig(srv.URL + "/")
	// Every page links to /logout, which ends the session: the login step
	// keeps the crawl off it by itself (DefaultLogout).
	cfg.Login = &Login{URL: srv.URL + "/login", Form: "form#login",
		Fields:  map[string]Secret{"user": ParseSecret("ann", ""), "pass": ParseSecret("env:TRAWL_TEST_LOGIN_PASS", "")},
		Success: LoginSuccess{Cookie: "sid", Absent: "form#login"}}
	return cfg
}

// crawlLogged runs cfg on a new database with a debug log into a buffer,
// and returns the run's error.
func crawlLogged(t *testing.T, cfg Config) (*store.DB, string, *bytes.Buffer, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crawl.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b, _ := json.Marshal(cfg)
	run, err := db.StartRun(context.Background(), "crawl", b)
	if err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	c, err := New(cfg, db, run.ID, slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Run(context.Background())
	return db, path, &logBuf, err
}

// assertNoPassword checks the database files and the log for the password.
func assertNoPassword(t *testing.T, path string, log *bytes.Buffer) {
	t.Helper()
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(testPassword)) {
			t.Errorf("%s holds the password", filepath.Base(p))
		}
	}
	if strings.Contains(log.String(), testPassword) {
		t.Errorf("the log holds the password")
	}
}

func TestLoginCrawlsProtectedPages(t *testing.T) {
	site := &fixtures.LoginSite{User: "ann", Pass: testPassword, Pages: 5}
	srv := httptest.NewServer(site)
	defer srv.Close()
	db, path, log, err := crawlLogged(t, loginConfig(t, srv, testPassword))
	if err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM pages WHERE status = 200`); n != 6 {
		t.Errorf("%d pages in the pages view, want the 6 protected pages: the login's URLs are no pages", n)
	}
	if site.Bounced() != 0 {
		t.Errorf("%d requests bounced to the login page", site.Bounced())
	}
	logins := site.Logins()
	if len(logins) != 1 || !logins[0].OK {
		t.Fatalf("the site saw logins %+v, want one that worked", logins)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE url LIKE '%/logout' AND state = 'skipped' AND reason = ?`, ClassLogout); n != 1 {
		t.Errorf("/logout is not recorded as skipped for reason %s", ClassLogout)
	}
	f := logins[0].Form
	if f["csrf"] == nil || f["csrf"][0] == "" || f["remember"][0] != "yes" || f["user"][0] != "ann" || f["q"] != nil {
		t.Errorf("posted form %v: want the CSRF token, the checked box, the user, and nothing of the other form", f)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id
		WHERE u.reason = 'login' AND u.via = 'login' AND f.attempt = 1 AND f.error_class IS NULL`); n != 2 {
		t.Errorf("%d login fetches recorded, want 2 (the form page and the submit)", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.url LIKE '%/session' AND f.status = 303`); n != 1 {
		t.Errorf("the submit is not recorded with its 303")
	}
	if n := queryInt(t, db, `SELECT count(*) FROM cookies WHERE name = 'sid'`); n != 1 {
		t.Errorf("the session cookie is not in the stored jar")
	}
	if n := queryInt(t, db, `SELECT pages FROM runs`); n != 6 {
		t.Errorf("runs.pages %d, want 6: the login's fetches are no pages", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM runs WHERE config LIKE '%"login"%' AND config LIKE '%"from":"env:TRAWL_TEST_LOGIN_PASS"%'`); n != 1 {
		t.Errorf("runs.config does not record where the password came from")
	}
	assertNoPassword(t, path, log)
}

func TestReloginAfterExpiry(t *testing.T) {
	for _, status401 := range []bool{false, true} {
		site := &fixtures.LoginSite{User: "ann", Pass: testPassword, Pages: 7, ExpireAfter: 4, Status401: status401}
		srv := httptest.NewServer(site)
		defer srv.Close()
		db, path, log, err := crawlLogged(t, loginConfig(t, srv, testPassword))
		if err != nil {
			t.Fatal(err)
		}
		// 8 pages, 3 per session (the login's own redirect to /account is
		// its fourth request): 3 logins, the first and two again.
		logins := site.Logins()
		if len(logins) != 3 {
			t.Errorf("401 %v: the site saw %d logins, want 3", status401, len(logins))
		}
		for _, l := range logins {
			if !l.OK {
				t.Errorf("a login failed: %+v", l)
			}
		}
		if n := queryInt(t, db, `SELECT count(*) FROM pages WHERE status = 200 AND reason IS NULL`); n != 8 {
			t.Errorf("401 %v: %d protected pages fetched, want 8", status401, n)
		}
		if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE error LIKE 'session expired; logged in again%'`); n != site.Bounced() || n == 0 {
			t.Errorf("401 %v: %d fetches say the session expired, the site bounced %d", status401, n, site.Bounced())
		}
		if n := queryInt(t, db, `SELECT max(f.attempt) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.reason = 'login'`); n != 3 {
			t.Errorf("401 %v: the last login is recorded as attempt %d, want 3", status401, n)
		}
		assertNoPassword(t, path, log)
	}
}

func TestLoginWrongPassword(t *testing.T) {
	site := &fixtures.LoginSite{User: "ann", Pass: "the-right-one", Pages: 2}
	srv := httptest.NewServer(site)
	defer srv.Close()
	db, path, log, err := crawlLogged(t, loginConfig(t, srv, testPassword))
	var le *LoginError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), `success condition not met: no cookie "sid" was set`) {
		t.Fatalf("error %v, want a LoginError naming the cookie", err)
	}
	if l := site.Logins(); len(l) != 1 || l[0].Why != "wrong password" {
		t.Errorf("the site saw %+v, want one wrong password", l)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE error_class = 'login' AND error LIKE 'login failed: no cookie%'`); n != 1 {
		t.Errorf("the failed submit is not recorded with class login")
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.reason IS NOT 'login'`); n != 0 {
		t.Errorf("%d pages fetched after a failed login", n)
	}
	assertNoPassword(t, path, log)
}

func TestLoginSettingsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Login)
		want string
	}{
		{func(l *Login) { l.URL = "/login" }, "want an absolute http"},
		{func(l *Login) { l.Success = LoginSuccess{} }, "login: success: give a cookie"},
		{func(l *Login) { l.Form = "form[" }, "login: form: bad CSS selector"},
		{func(l *Login) { l.Fields = nil }, "login: fields"},
		{func(l *Login) { l.Logout = "(" }, `login: logout "(": error parsing regexp`},
	} {
		cfg := testConfig("http://127.0.0.1/")
		cfg.Login = &Login{URL: "http://127.0.0.1/login", Fields: map[string]Secret{"u": ParseSecret("a", "")}, Success: LoginSuccess{Cookie: "sid"}}
		tc.mod(cfg.Login)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
	site := &fixtures.LoginSite{User: "ann", Pass: "x", Pages: 1}
	srv := httptest.NewServer(site)
	defer srv.Close()
	cfg := loginConfig(t, srv, "x")
	cfg.Login.Fields["password"] = ParseSecret("x", "")
	_, _, _, err := crawlLogged(t, cfg)
	if err == nil || !strings.Contains(err.Error(), `the form has no field "password" (its fields: csrf, go, pass, remember, user)`) {
		t.Errorf("a field the form lacks: %v", err)
	}
}

// TestReloginFailureStopsTheRun: the password changes mid-crawl, so the
// login again fails: the run stops with the failed condition, and the URLs
// not fetched stay queued for a resume.
func TestReloginFailureStopsTheRun(t *testing.T) {
	site := &fixtures.LoginSite{User: "ann", Pass: testPassword, Pages: 7, ExpireAfter: 3}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			site.SetPass("changed-elsewhere") // after the first login, before the next
		}
		site.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cfg := loginConfig(t, srv, testPassword)
	db, path, log, err := crawlLogged(t, cfg)
	var le *LoginError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), `no cookie "sid" was set`) {
		t.Fatalf("error %v, want the failed login again", err)
	}
	if l := site.Logins(); len(l) != 2 || !l[0].OK || l[1].OK {
		t.Errorf("the site saw %+v, want a login that worked, then one that did not", l)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE state = 'queued'`); n == 0 {
		t.Errorf("no URL stays queued for a resume")
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE error_class = 'login' AND attempt = 2`); n != 1 {
		t.Errorf("the failed login again is not recorded as login 2")
	}
	assertNoPassword(t, path, log)
}

func TestDefaultLogoutMatchesLogoutLinksOnly(t *testing.T) {
	l := &loginStep{}
	var err error
	if l.logout, err = (&Login{}).logoutPattern(); err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[string]bool{
		"/logout": true, "/log-out": true, "/user/logoff": true, "/SignOut": true, "/auth/sign_out": true,
		"/index.php?action=logout": true, "/logout.php": true, "/account/logout/": true,
		"/login": false, "/catalog/outdoor": false, "/blog/offers": false, "/dialog-off": false,
		"/log/output": false, "/signup": false, "/": false,
		"/blog/how-to-log-out-of-gmail": false, "/forum/cant-sign-out-on-ios": false, "/docs/sign-off-checklist": false,
		"/?logout": true, "/a?x=1&signout": true,
	} {
		u, err := url.Parse("http://a.test" + raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.isLogout(u); got != want {
			t.Errorf("isLogout(%s) = %v, want %v", raw, got, want)
		}
	}
}
