package crawler

import (
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
)

// TestDeepAndBrokenHTML: a page nested 100,000 elements deep and a page of
// invalid UTF-8 give their title and links; binary bytes served as
// text/html give a clear parse error instead of a made-up title.
func TestDeepAndBrokenHTML(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	html := map[string]string{"Content-Type": "text/html"}
	h.Handle("/{$}", fixtures.Status(200, html, `<a href="/deep">d</a><a href="/binary">b</a><a href="/latin">l</a>`))
	h.Handle("/deep", fixtures.Status(200, html, "<title>Deep</title>"+strings.Repeat("<div>", 100000)+
		`<a href="/bottom">bottom</a>`+strings.Repeat("</div>", 100000)))
	h.Handle("/bottom", fixtures.Status(200, html, "<title>found</title>"))
	h.Handle("/binary", fixtures.Status(200, map[string]string{"Content-Type": "text/html; charset=utf-8"},
		"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00<a href=\"/noise\">x</a>"))
	h.Handle("/latin", fixtures.Status(200, map[string]string{"Content-Type": "text/html; charset=utf-8"},
		"<title>Caf\xe9 \xff\xfe</title><a href=\"/menu\">men\xfc</a>"))
	h.Handle("/menu", fixtures.Status(200, html, "<title>menu</title>"))
	db := testDB(t)
	crawlRun(t, db, testConfig(h.URL+"/"))
	var title, class string
	db.Reader().QueryRow(`SELECT coalesce(title, ''), coalesce(error_class, '') FROM pages WHERE url = ?`, h.URL+"/deep").Scan(&title, &class)
	if title != "Deep" || class != "" {
		t.Errorf("deep page: title %q class %q, want its title and no error", title, class)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM pages WHERE url = ? AND status = 200`, h.URL+"/bottom"); n != 1 {
		t.Error("the link at the bottom of the deep page was not followed")
	}
	db.Reader().QueryRow(`SELECT coalesce(title, ''), coalesce(error_class, '') FROM pages WHERE url = ?`, h.URL+"/binary").Scan(&title, &class)
	if title != "" || class != ClassParse {
		t.Errorf("binary page: title %q class %q, want no title and %q", title, class, ClassParse)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE url = ?`, h.URL+"/noise"); n != 0 {
		t.Error("a link was made up from binary noise")
	}
	db.Reader().QueryRow(`SELECT coalesce(title, ''), coalesce(error_class, '') FROM pages WHERE url = ?`, h.URL+"/latin").Scan(&title, &class)
	if !strings.HasPrefix(title, "Caf") || class != "" {
		t.Errorf("invalid UTF-8 page: title %q class %q", title, class)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM pages WHERE url = ? AND status = 200`, h.URL+"/menu"); n != 1 {
		t.Error("the invalid UTF-8 page's link was not followed")
	}
}
