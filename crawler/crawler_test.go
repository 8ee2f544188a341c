package crawler

import (
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/record"
)

// testDB opens a real trawl database in the test's temporary directory.
func testDB(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "crawl.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// testConfig is a fast configuration for loopback fixtures.
func testConfig(seeds ...string) Config {
	cfg := DefaultConfig()
	cfg.Seeds = seeds
	cfg.Delay = 0
	cfg.Concurrency = 8
	cfg.PerHost = 2
	cfg.Timeout = Duration(5 * time.Second)
	cfg.RetryBase = Duration(5 * time.Millisecond)
	// The generated sites have no sitemaps; probing /sitemap.xml would add a
	// 404 to every comparison with the site's truth. TestSitemaps covers them.
	cfg.Sitemaps = false
	return cfg
}

// crawlRun starts a run and crawls it to the end.
func crawlRun(tb testing.TB, db *store.DB, cfg Config) (*record.Run, Result) {
	tb.Helper()
	run := startRun(tb, db, cfg)
	return run, resume(tb, db, cfg, run.ID)
}

// startRun starts a crawl run of cfg in db.
func startRun(tb testing.TB, db *store.DB, cfg Config) *record.Run {
	tb.Helper()
	b, _ := json.Marshal(cfg)
	run, err := db.StartRun(context.Background(), "crawl", b)
	if err != nil {
		tb.Fatal(err)
	}
	return run
}

func resume(tb testing.TB, db *store.DB, cfg Config, runID int64) Result {
	tb.Helper()
	c, err := New(cfg, db, runID, nil)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := c.Run(context.Background())
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return res
}

// checkTruth fails t unless db recorded want, the generated site's truth,
// and the site served each URL once (robots.txt aside).
func checkTruth(t *testing.T, db *store.DB, cl *fixtures.Cluster, want map[string]int) {
	t.Helper()
	if d := diffMaps(want, recorded(t, db)); d != "" {
		t.Fatalf("recorded URLs differ from the site's truth:\n%s", d)
	}
	pageReqs := map[string]int{}
	for _, r := range cl.Log.Entries() {
		if r.Path != "/robots.txt" {
			pageReqs[r.Host+r.Path]++
		}
	}
	for k, n := range pageReqs {
		if n != 1 {
			t.Errorf("%s requested %d times", k, n)
		}
	}
}

// recorded returns url -> last status (0 for none) of every fetched URL,
// sitemap files included.
func recorded(tb testing.TB, db *store.DB) map[string]int {
	tb.Helper()
	rows, err := db.Reader().Query(`SELECT u.url, coalesce(f.status, 0) FROM urls u LEFT JOIN fetches f ON f.id = u.last_fetch_id
		WHERE u.state IN ('done', 'failed')`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var u string
		var s int
		if err := rows.Scan(&u, &s); err != nil {
			tb.Fatal(err)
		}
		out[u] = s
	}
	return out
}

func diffMaps(want, got map[string]int) string {
	var d []string
	for k, v := range want {
		if g, ok := got[k]; !ok {
			d = append(d, "missing "+k)
		} else if g != v {
			d = append(d, fmt.Sprintf("%s: status %d, want %d", k, g, v))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			d = append(d, "unexpected "+k)
		}
	}
	sort.Strings(d)
	if len(d) > 10 {
		d = append(d[:10], fmt.Sprintf("... %d more", len(d)-10))
	}
	return strings.Join(d, "\n")
}

func queryInt(tb testing.TB, db *store.DB, q string, args ...any) int {
	tb.Helper()
	var n sql.NullInt64
	if err := db.Reader().QueryRow(q, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return int(n.Int64)
}

func TestCrawlGeneratedSiteMatchesTruth(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 3, PagesPerHost: 60, Seed: 7,
		BrokenPermille: 30, RedirectPermille: 30, CrossHostPermille: 100, MinBytes: 2000, MaxBytes: 4000})
	db := testDB(t)
	run, res := crawlRun(t, db, testConfig(cl.Seeds()...))
	if res.Status != StatusFinished {
		t.Fatalf("status %s", res.Status)
	}
	want := cl.Reachable(-1)
	checkTruth(t, db, cl, want)
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE run_id = ?`, run.ID); n != len(want) {
		t.Errorf("fetch rows = %d, want %d", n, len(want))
	}
	if n := queryInt(t, db, `SELECT pages FROM runs WHERE id = ?`, run.ID); n != len(want) {
		t.Errorf("run pages counter = %d, want %d", n, len(want))
	}
	// Redirects record their target, and the link graph names broken targets.
	if n := queryInt(t, db, `SELECT count(*) FROM pages WHERE status = 301 AND redirect_to IS NULL`); n != 0 {
		t.Errorf("%d redirects without a target", n)
	}
	broken := 0
	for _, s := range want {
		if s == 404 {
			broken++
		}
	}
	if n := queryInt(t, db, `SELECT count(DISTINCT to_url) FROM broken_links`); n != broken {
		t.Errorf("broken link targets = %d, want %d", n, broken)
	}
}

func TestCrawlBasicSite(t *testing.T) {
	h := fixtures.MustBasicSite(t, fixtures.HostConfig{})
	h.Handle("/moved", fixtures.Redirect(http.StatusMovedPermanently, "/docs/"))
	db := testDB(t)
	cfg := testConfig(h.URL + "/")
	_, res := crawlRun(t, db, cfg)
	if res.Status != StatusFinished {
		t.Fatalf("status %s", res.Status)
	}
	var title, lang string
	if err := db.Reader().QueryRow(`SELECT coalesce(title, ''), coalesce(lang, '') FROM pages WHERE url = ?`, h.URL+"/").Scan(&title, &lang); err != nil {
		t.Fatal(err)
	}
	if title == "" {
		t.Error("home page has no title")
	}
	// robots.txt disallows /private/: recorded, never requested.
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE reason = 'robots-denied'`); n == 0 {
		t.Error("no robots-denied URL recorded")
	}
	for _, r := range h.Log.Entries() {
		if strings.HasPrefix(r.Path, "/private/") {
			t.Errorf("disallowed %s was requested", r.Path)
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM pages WHERE noindex = 1`); n == 0 {
		t.Error("no noindex page recorded")
	}
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE url LIKE ?`, "%nofollow-target%"); n != 0 {
		t.Error("a link on a meta-nofollow page was followed")
	}
	if n := queryInt(t, db, `SELECT count(*) FROM pages WHERE content_type NOT LIKE 'text/html%' AND status = 200 AND outlink_count > 0`); n != 0 {
		t.Error("a non-HTML response was parsed for links")
	}
}

func TestCrawlErrorClassesAndRetries(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	// The malformed responses live on a host of their own, so that the first
	// host's failures do not get it parked first.
	h2 := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	h2.Handle("/garbage", fixtures.Raw("HTTP/1.1 2x0 Fine\r\nContent-Length: 2\r\n\r\nok"))
	h2.Handle("/doublecl", fixtures.Raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"))
	h2.Handle("/badloc", fixtures.Raw("HTTP/1.1 301 Moved\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n"))
	h.Handle("/{$}", fixtures.Status(200, map[string]string{"Content-Type": "text/html"},
		`<a href="/flaky">f</a><a href="/reset">r</a><a href="/hang">h</a><a href="/big">b</a><a href="/gone">g</a><a href="/down">d</a>`+
			`<a href="`+h2.URL+`/garbage">x</a><a href="`+h2.URL+`/doublecl">x</a><a href="`+h2.URL+`/badloc">x</a>`))
	h.Handle("/flaky", fixtures.Sequence(fixtures.Status(503, nil, "busy"), fixtures.Status(500, nil, "oops"),
		fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, "<title>ok at last</title>")))
	h.Handle("/reset", fixtures.ResetConn())
	h.Handle("/hang", fixtures.Hang())
	h.Handle("/big", fixtures.Huge(64<<10))
	h.Handle("/gone", fixtures.Status(404, nil, "no"))
	h.Handle("/down", fixtures.Status(502, nil, "bad gateway"))
	db := testDB(t)
	cfg := testConfig(h.URL + "/")
	cfg.Scope = "any"
	cfg.Timeout = Duration(300 * time.Millisecond)
	cfg.MaxBody = 32 << 10
	cfg.Retries = 2
	crawlRun(t, db, cfg)

	type row struct {
		state, reason, class string
		status, attempts     int
	}
	var getURL func(string) row
	get := func(path string) row { return getURL(h.URL + path) }
	getURL = func(u string) row {
		var r row
		err := db.Reader().QueryRow(`SELECT u.state, coalesce(u.reason, ''), coalesce(p.error_class, ''), coalesce(p.status, 0),
			(SELECT count(*) FROM fetches f WHERE f.url_id = u.id) FROM urls u JOIN pages p ON p.url_id = u.id WHERE u.url = ?`, u).
			Scan(&r.state, &r.reason, &r.class, &r.status, &r.attempts)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		return r
	}
	if r := get("/flaky"); r.status != 200 || r.attempts != 3 || r.class != "" {
		t.Errorf("/flaky = %+v, want 200 after 3 attempts", r)
	}
	if r := get("/reset"); r.state != "failed" || r.reason != ClassReset && r.reason != ClassProtocol || r.attempts != 3 {
		t.Errorf("/reset = %+v, want failed reset after 3 attempts", r)
	}
	if r := get("/hang"); r.state != "failed" || r.reason != ClassTimeout {
		t.Errorf("/hang = %+v, want failed timeout", r)
	}
	if r := get("/big"); r.class != ClassTooLarge || r.status != 200 {
		t.Errorf("/big = %+v, want too-large", r)
	}
	if r := get("/gone"); r.class != ClassHTTP4xx || r.attempts != 1 {
		t.Errorf("/gone = %+v, want one http-4xx attempt", r)
	}
	if r := get("/down"); r.class != ClassHTTP5xx || r.attempts != 3 || r.status != 502 || r.state != "failed" || r.reason != ClassHTTP5xx {
		t.Errorf("/down = %+v, want failed http-5xx after 3 attempts", r)
	}
	// A Location net/http cannot parse is the page's fault: no retry helps.
	if r := getURL(h2.URL + "/badloc"); r.class != ClassBadURL || r.state != "failed" || r.attempts != 1 {
		t.Errorf("/badloc = %+v, want failed bad-url after 1 attempt", r)
	}
	for _, path := range []string{"/garbage", "/doublecl"} {
		if r := getURL(h2.URL + path); r.class != ClassProtocol || r.state != "failed" {
			t.Errorf("%s = %+v, want a failed protocol error", path, r)
		}
	}
}

func TestConnectAndDNSErrorsAreClassified(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	closed := h.URL
	h.Close() // nothing listens there any more
	db := testDB(t)
	cfg := testConfig(closed + "/")
	cfg.Retries = 0
	cfg.IgnoreRobots = true
	crawlRun(t, db, cfg)
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE state = 'failed' AND reason = ?`, ClassConnect); n != 1 {
		t.Fatalf("connect failures = %d, want 1", n)
	}
}

func TestGracefulStopThenResumeIsExact(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 2, PagesPerHost: 80, Seed: 3,
		BrokenPermille: 20, RedirectPermille: 20, CrossHostPermille: 50, MinBytes: 2000, MaxBytes: 3000})
	db := testDB(t)
	cfg := testConfig(cl.Seeds()...)
	b, _ := json.Marshal(cfg)
	run, err := db.StartRun(context.Background(), "crawl", b)
	if err != nil {
		t.Fatal(err)
	}
	// Stop the first attempt as soon as the server has answered 30 requests.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer cancel()
		cl.Log.Wait(ctx, func(rs []fixtures.Request) bool { return len(rs) >= 30 })
	}()
	c, err := New(cfg, db, run.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusInterrupted {
		t.Fatalf("first attempt status %s, want interrupted", res.Status)
	}
	if n, _ := db.CountQueued(context.Background()); n == 0 {
		t.Fatal("nothing left queued after the stop; the test proves nothing")
	}
	if res := resume(t, db, cfg, run.ID); res.Status != StatusFinished {
		t.Fatalf("resumed status %s", res.Status)
	}
	if d := diffMaps(cl.Reachable(-1), recorded(t, db)); d != "" {
		t.Fatalf("after resume:\n%s", d)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM (SELECT url_id FROM fetches GROUP BY url_id HAVING count(*) > 1)`); n != 0 {
		t.Fatalf("%d URLs fetched more than once", n)
	}
}

func TestLimits(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 2, PagesPerHost: 50, Seed: 11, CrossHostPermille: 0,
		MinBytes: 2000, MaxBytes: 3000})
	t.Run("max-depth", func(t *testing.T) {
		db := testDB(t)
		cfg := testConfig(cl.Seeds()...)
		cfg.MaxDepth = 2
		crawlRun(t, db, cfg)
		if d := diffMaps(cl.Reachable(2), recorded(t, db)); d != "" {
			t.Fatalf("depth-limited crawl:\n%s", d)
		}
	})
	t.Run("max-pages-per-host", func(t *testing.T) {
		db := testDB(t)
		cfg := testConfig(cl.Seeds()...)
		cfg.MaxPagesPerHost = 7
		_, res := crawlRun(t, db, cfg)
		if res.Status != StatusFinished {
			t.Fatalf("status %s", res.Status)
		}
		if n := queryInt(t, db, `SELECT max(c) FROM (SELECT count(*) c FROM pages WHERE state = 'done' GROUP BY host)`); n != 7 {
			t.Fatalf("pages per host = %d, want 7", n)
		}
		if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE reason = ?`, ClassHostCap); n == 0 {
			t.Fatal("capped URLs not recorded")
		}
	})
	t.Run("max-pages", func(t *testing.T) {
		db := testDB(t)
		cfg := testConfig(cl.Seeds()...)
		cfg.MaxPages = 10
		run, res := crawlRun(t, db, cfg)
		if res.Status != StatusStopped {
			t.Fatalf("status %s, want stopped", res.Status)
		}
		if n := queryInt(t, db, `SELECT count(*) FROM fetches`); n != 10 {
			t.Fatalf("fetched %d, want 10", n)
		}
		cfg.MaxPages = 0
		if res := resume(t, db, cfg, run.ID); res.Status != StatusFinished {
			t.Fatalf("resumed status %s", res.Status)
		}
		if d := diffMaps(cl.Reachable(-1), recorded(t, db)); d != "" {
			t.Fatalf("after continuing:\n%s", d)
		}
	})
}

func TestPerHostConcurrencyAndDelayFromServerLog(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 3, PagesPerHost: 25, Seed: 5,
		Latency: 20 * time.Millisecond, MinBytes: 2000, MaxBytes: 3000})
	db := testDB(t)
	cfg := testConfig(cl.Seeds()...)
	cfg.PerHost = 1
	cfg.Delay = Duration(30 * time.Millisecond)
	crawlRun(t, db, cfg)
	byHost := map[string][]fixtures.Request{}
	for _, r := range cl.Log.Entries() {
		byHost[r.Host] = append(byHost[r.Host], r)
	}
	for host, rs := range byHost {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Start.Before(rs[j].Start) })
		for i := 1; i < len(rs); i++ {
			if rs[i].Start.Before(rs[i-1].End) {
				t.Errorf("%s: two requests in flight at once (%s, %s)", host, rs[i-1].Path, rs[i].Path)
			}
			// Allow a millisecond for the server's clock reads.
			if gap := rs[i].Start.Sub(rs[i-1].Start); gap < time.Duration(cfg.Delay)-time.Millisecond {
				t.Errorf("%s: %s came %s after %s, delay is %s", host, rs[i].Path, gap, rs[i-1].Path, time.Duration(cfg.Delay))
			}
		}
	}
}

func TestSitemaps(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	html := map[string]string{"Content-Type": "text/html"}
	h.SetRobots(200, "User-agent: *\nDisallow: /private\nSitemap: "+h.URL+"/sitemap-index.xml\nSitemap: http://elsewhere.invalid/sm.xml\n")
	h.Handle("/{$}", fixtures.Status(200, html, `<a href="/linked">linked</a>`))
	h.Handle("/linked", fixtures.Status(200, html, `no links`))
	h.Handle("/orphan", fixtures.Status(200, html, `<a href="/orphan-child">child</a>`))
	h.Handle("/orphan-child", fixtures.Status(200, html, `leaf`))
	h.Handle("/private/listed", fixtures.Status(200, html, `secret`))
	h.Handle("/sitemap-index.xml", fixtures.Status(200, map[string]string{"Content-Type": "application/xml"},
		`<sitemapindex><sitemap><loc>`+h.URL+`/sm1.xml.gz</loc></sitemap></sitemapindex>`))
	var gzBody strings.Builder
	zw := gzipWriter(&gzBody)
	fmt.Fprintf(zw, `<urlset><url><loc>%s/orphan</loc><lastmod>2026-03-04</lastmod></url><url><loc>%s/private/listed</loc></url><url><loc>https://other.invalid/x</loc></url></urlset>`, h.URL, h.URL)
	zw.Close()
	h.Handle("/sm1.xml.gz", fixtures.Status(200, map[string]string{"Content-Type": "application/octet-stream"}, gzBody.String()))

	db := testDB(t)
	cfg := testConfig(h.URL + "/")
	cfg.Sitemaps = true
	crawlRun(t, db, cfg)
	got := recorded(t, db)
	for _, p := range []string{"/", "/linked", "/orphan", "/orphan-child", "/sitemap-index.xml", "/sm1.xml.gz"} {
		if got[h.URL+p] != 200 {
			t.Errorf("%s: status %d, want fetched with 200", p, got[h.URL+p])
		}
	}
	var lastmod, via string
	if err := db.Reader().QueryRow(`SELECT coalesce(lastmod, ''), via FROM urls WHERE url = ?`, h.URL+"/orphan").Scan(&lastmod, &via); err != nil {
		t.Fatal(err)
	}
	if lastmod != "2026-03-04" || via != "sitemap-entry" {
		t.Errorf("orphan lastmod=%q via=%q", lastmod, via)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE url = ? AND reason = 'robots-denied'`, h.URL+"/private/listed"); n != 1 {
		t.Error("a sitemap URL disallowed by robots.txt was not recorded as robots-denied")
	}
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE reason = 'out-of-scope' AND url LIKE '%.invalid%'`); n != 2 {
		t.Errorf("out-of-scope sitemap and entry recorded %d times, want 2", n)
	}
	for _, r := range h.Log.Entries() {
		if r.Path == "/sitemap.xml" {
			t.Error("probed /sitemap.xml although robots.txt lists sitemaps")
		}
	}
}

func gzipWriter(w io.Writer) *gzip.Writer { return gzip.NewWriter(w) }

func TestCharsetsReachTheDatabaseAsUTF8(t *testing.T) {
	type pg struct {
		path, ctype, meta string
		enc               encoding.Encoding
		title             string
	}
	pages := []pg{
		{"/w1252", "text/html; charset=windows-1252", "", charmap.Windows1252, "Crème brûlée à la carte"},
		{"/latin1-meta", "text/html", `<meta charset="iso-8859-1">`, charmap.ISO8859_1, "Smørrebrød og øl"},
		{"/sjis-header", "text/html; charset=Shift_JIS", "", japanese.ShiftJIS, "日本語のページです"},
		{"/sjis-undeclared", "text/html", "", japanese.ShiftJIS, "東京の天気とニュース"},
		{"/euckr-meta", "text/html", `<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">`, korean.EUCKR, "한국어 페이지입니다"},
		{"/gbk-wrong-meta", "text/html", `<meta charset="utf-8">`, simplifiedchinese.GBK, "这是一个中文网页"},
		{"/gb18030-header", "text/html; charset=gb18030", "", simplifiedchinese.GB18030, "中国新闻网首页"},
		{"/big5-undeclared", "text/html", "", traditionalchinese.Big5, "這是一個繁體中文網頁"},
		{"/utf8-mislabelled", "text/html; charset=ISO-8859-1", "", nil, "Grüße aus Köln"},
	}
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	var home strings.Builder
	for _, p := range pages {
		fmt.Fprintf(&home, `<a href="%s">x</a>`, p.path)
		body := "<!doctype html><html><head>" + p.meta + "<title>" + p.title + "</title></head><body><p>" + p.title + "</p></body></html>"
		raw := []byte(body)
		if p.enc != nil {
			var err error
			if raw, err = p.enc.NewEncoder().Bytes(raw); err != nil {
				t.Fatal(err)
			}
		}
		h.Handle(p.path, fixtures.Status(200, map[string]string{"Content-Type": p.ctype}, string(raw)))
	}
	h.Handle("/{$}", fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, home.String()))
	db := testDB(t)
	crawlRun(t, db, testConfig(h.URL+"/"))
	for _, p := range pages {
		var title string
		if err := db.Reader().QueryRow(`SELECT coalesce(title, '') FROM pages WHERE url = ?`, h.URL+p.path).Scan(&title); err != nil {
			t.Fatalf("%s: %v", p.path, err)
		}
		if title != p.title {
			t.Errorf("%s: title %q, want %q", p.path, title, p.title)
		}
	}
}

// TestSitemapProbeIsNotAPage checks that asking a site without a sitemap for
// /sitemap.xml costs neither a page of --max-pages nor an error, and that
// sitemap files are not in the pages view.
func TestSitemapProbeIsNotAPage(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	html := map[string]string{"Content-Type": "text/html"}
	h.Handle("/{$}", fixtures.Status(200, html, `<a href="/a">a</a><a href="/b">b</a>`))
	h.Handle("/a", fixtures.Status(200, html, `a`))
	h.Handle("/b", fixtures.Status(200, html, `b`))

	db := testDB(t)
	cfg := testConfig(h.URL + "/")
	cfg.Sitemaps = true
	cfg.MaxPages = 3
	run, res := crawlRun(t, db, cfg)
	if res.Status != StatusFinished || res.Stats.Pages != 3 || res.Stats.Errors != 0 {
		t.Fatalf("status %s, stats %+v; want finished with 3 pages and no error", res.Status, res.Stats)
	}
	got, err := db.GetRun(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Pages != 3 || got.Errors != 0 {
		t.Errorf("runs row: pages %d errors %d, want 3 and 0", got.Pages, got.Errors)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.url = ? AND f.status = 404`, h.URL+"/sitemap.xml"); n != 1 {
		t.Errorf("the probe's 404 recorded %d times, want once in fetches", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM errors`); n != 0 {
		t.Errorf("errors view has %d rows, want none", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM pages`); n != 3 {
		t.Errorf("pages view has %d rows, want the 3 pages", n)
	}
}

// TestRunChangesCountPagesOnly: run_changes agrees with the pages view and
// the run's page counter, sitemap files left out.
func TestRunChangesCountPagesOnly(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	html := map[string]string{"Content-Type": "text/html"}
	h.SetRobots(200, "User-agent: *\nAllow: /\nSitemap: "+h.URL+"/sitemap.xml\n")
	h.Handle("/{$}", fixtures.Status(200, html, `<a href="/a">a</a>`))
	h.Handle("/a", fixtures.Status(200, html, `a`))
	h.Handle("/sitemap.xml", fixtures.Status(200, map[string]string{"Content-Type": "application/xml"},
		`<urlset><url><loc>`+h.URL+`/a</loc></url></urlset>`))
	db := testDB(t)
	cfg := testConfig(h.URL + "/")
	cfg.Sitemaps = true
	run, res := crawlRun(t, db, cfg)
	if n := queryInt(t, db, `SELECT new FROM run_changes WHERE run_id = ?`, run.ID); n != 2 || res.Stats.Pages != 2 {
		t.Errorf("run_changes.new = %d, pages = %d; want both 2 (/, /a; not the sitemap)", n, res.Stats.Pages)
	}
}
