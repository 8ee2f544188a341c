package crawler

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store/record"
)

// TestEveryDecisionHasARow: links and redirects trawl does not follow
// (other schemes, unusable Locations, over-long URLs, a chain of redirects
// that never ends) each get a row with a reason, and every 3xx's redirect_to
// names a row.
func TestEveryDecisionHasARow(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	long := "/long/" + strings.Repeat("x", 5000)
	h.Handle("/{$}", fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, `<title>home</title>
<a href="javascript:void(0)">js</a><a href="mailto:a@example.com">mail</a><a href="file:///etc/passwd">file</a>
<a href="ftp://ftp.example.com/pub/">ftp</a><a href="http://[::1">broken</a><a href="`+long+`">long</a>
<a href="/r-file">1</a><a href="/r-ftp">2</a><a href="/r-slashes">3</a><a href="/r-empty">4</a><a href="/chain/0">5</a>`))
	h.Handle("/r-file", fixtures.Redirect(http.StatusFound, "file:///etc/shadow"))
	h.Handle("/r-ftp", fixtures.Redirect(http.StatusFound, "ftp://ftp.example.com/other"))
	h.Handle("/r-slashes", fixtures.Redirect(http.StatusFound, "//"))
	h.Handle("/r-empty", fixtures.Redirect(http.StatusFound, ""))
	h.Handle("/chain/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/chain/"), "%d", &n)
		http.Redirect(w, r, fmt.Sprintf("/chain/%d", n+1), http.StatusFound)
	}))
	db := testDB(t)
	crawlRun(t, db, testConfig(h.URL+"/"))

	want := map[string]string{
		"javascript:void(0)":          ClassScheme,
		"mailto:a@example.com":        ClassScheme,
		"file:///etc/passwd":          ClassScheme,
		"ftp://ftp.example.com/pub/":  ClassScheme,
		"http://[::1":                 ClassBadURL,
		"file:///etc/shadow":          ClassScheme,
		"ftp://ftp.example.com/other": ClassScheme,
		"//":                          ClassBadURL,
		h.URL + "/chain/11":           ClassTooManyRedirects,
		h.URL + clipURL(long)[:4096-len(h.URL)] + "…": ClassTooLong,
	}
	for u, reason := range want {
		var state, got string
		if err := db.Reader().QueryRow(`SELECT state, coalesce(reason, '') FROM urls WHERE url = ?`, u).Scan(&state, &got); err != nil {
			t.Errorf("%.60s: no row (%v)", u, err)
			continue
		}
		if state != record.StateSkipped || got != reason {
			t.Errorf("%.60s: %s %q, want skipped %q", u, state, got, reason)
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM pages WHERE status BETWEEN 300 AND 399
		AND (redirect_to IS NULL OR redirect_to NOT IN (SELECT url FROM urls)) AND coalesce(error_class, '') != ?`, ClassBadURL); n != 0 {
		t.Errorf("%d redirects name no recorded target", n)
	}
	var class string
	db.Reader().QueryRow(`SELECT coalesce(error_class, '') FROM pages WHERE url = ?`, h.URL+"/r-empty").Scan(&class)
	if class != ClassBadURL {
		t.Errorf("a redirect without Location: class %q, want %q", class, ClassBadURL)
	}
	chain := 0
	for _, r := range h.Log.Entries() {
		if strings.HasPrefix(r.Path, "/chain/") {
			chain++
		}
	}
	if chain != maxRedirects+1 {
		t.Errorf("%d requests along the endless redirect chain, want %d", chain, maxRedirects+1)
	}
}
