package crawler

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/record"
)

// refreshRun starts a refresh run the way `trawl crawl` does on a finished
// crawl (queue what is due, then crawl) and crawls it to the end.
func refreshRun(tb testing.TB, db *store.DB, cfg Config) Result {
	tb.Helper()
	cfg.RefreshCutoff = time.Now().Add(-time.Hour) // nothing fetched successfully is due
	b, _ := json.Marshal(cfg)
	run, err := db.StartRun(context.Background(), "refresh", b)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.RequeueStale(context.Background(), run.ID, cfg.RefreshCutoff, RetrySkipReasons()); err != nil {
		tb.Fatal(err)
	}
	return resume(tb, db, cfg, run.ID)
}

// newCrawl starts a run of cfg and returns its crawler, for tests that run it
// under a context of their own.
func newCrawl(tb testing.TB, db *store.DB, cfg Config) *Crawler {
	tb.Helper()
	b, _ := json.Marshal(cfg)
	run, err := db.StartRun(context.Background(), "crawl", b)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := New(cfg, db, run.ID, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestUnreachableRobotsIsAFailureWithItsCause: a host whose robots.txt cannot
// be read is not crawled (RFC 9309), and its URLs are recorded as failed with
// the cause (connection refused, a 5xx), counted as errors, not passed off as
// robots-denied, and asked again by the next run.
func TestUnreachableRobotsIsAFailureWithItsCause(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	h.SetRobots(500, "down")
	h.Handle("/{$}", fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, "<title>home</title>"))
	dead := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	deadURL := dead.URL
	dead.Close()

	db := testDB(t)
	cfg := testConfig(h.URL+"/", deadURL+"/")
	cfg.RetryBase = Duration(time.Millisecond)
	run, res := crawlRun(t, db, cfg)
	for _, tc := range []struct{ url, class string }{{h.URL + "/", ClassHTTP5xx}, {deadURL + "/", ClassConnect}} {
		var state, reason, class, msg string
		err := db.Reader().QueryRow(`SELECT state, reason, error_class, error FROM pages WHERE url = ?`, tc.url).
			Scan(&state, &reason, &class, &msg)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		if state != record.StateFailed || reason != tc.class || class != tc.class || msg == "" {
			t.Errorf("%s: state %q reason %q class %q error %q; want failed, %s, with a message", tc.url, state, reason, class, msg, tc.class)
		}
	}
	got, err := db.GetRun(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Errors != 2 || got.Errors != 2 || res.Stats.ByClass[ClassConnect] != 1 || res.Stats.ByClass[ClassHTTP5xx] != 1 {
		t.Errorf("errors: stats %d %v, run row %d; want 2 (connect and http-5xx)", res.Stats.Errors, res.Stats.ByClass, got.Errors)
	}
	if n := len(h.Log.Entries()); n != robotsAttempts {
		t.Errorf("the host saw %d requests, want only its %d robots.txt attempts", n, robotsAttempts)
	}

	// The host recovers: the next run asks again and crawls it.
	h.SetRobots(404, "")
	refreshRun(t, db, cfg)
	var status int
	db.Reader().QueryRow(`SELECT coalesce(status, 0) FROM pages WHERE url = ?`, h.URL+"/").Scan(&status)
	if status != 200 {
		t.Errorf("after the host recovered: status %d, want 200", status)
	}
}

// TestServerErrorsFailAndAreRetriedNextRun: a page still answering 5xx after
// its retries is failed (not done), and a refresh run asks again even though
// it was requested recently.
func TestServerErrorsFailAndAreRetriedNextRun(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	busy := fixtures.Status(503, nil, "busy")
	h.Handle("/{$}", fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, `<a href="/flaky">f</a><a href="/ok">o</a>`))
	h.Handle("/ok", fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, "<title>ok</title>"))
	h.Handle("/flaky", fixtures.Sequence(busy, busy, busy,
		fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, "<title>back</title>")))
	db := testDB(t)
	cfg := testConfig(h.URL + "/")
	cfg.Retries = 2
	crawlRun(t, db, cfg)
	var state, reason string
	db.Reader().QueryRow(`SELECT state, coalesce(reason, '') FROM urls WHERE url = ?`, h.URL+"/flaky").Scan(&state, &reason)
	if state != record.StateFailed || reason != ClassHTTP5xx {
		t.Fatalf("/flaky after 3 503s: %s %q, want failed http-5xx", state, reason)
	}
	refreshRun(t, db, cfg)
	var status int
	var title string
	db.Reader().QueryRow(`SELECT status, title FROM pages WHERE url = ?`, h.URL+"/flaky").Scan(&status, &title)
	if status != 200 || title != "back" {
		t.Fatalf("/flaky in the next run: %d %q, want 200 \"back\"", status, title)
	}
	// /ok was fetched successfully an instant ago: not due.
	if n := queryInt(t, db, `SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.url = ?`, h.URL+"/ok"); n != 1 {
		t.Errorf("/ok fetched %d times, want 1", n)
	}
}

// TestCountersAgreeWithTheDatabase: the run's Stats (the summary line) and
// its runs row are the same numbers: pages are final fetches, errors the
// failed ones (404s included), skipped the URLs set aside by a policy.
func TestCountersAgreeWithTheDatabase(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 2, PagesPerHost: 40, Seed: 9,
		BrokenPermille: 40, RedirectPermille: 20, CrossHostPermille: 80, MinBytes: 1000, MaxBytes: 2000})
	db := testDB(t)
	cfg := testConfig(cl.Seeds()[0]) // the other host is out of scope
	cfg.MaxPagesPerHost = 30
	run, res := crawlRun(t, db, cfg)
	got, err := db.GetRun(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := func(name string, stat, row int64, q string) {
		t.Helper()
		n := int64(queryInt(t, db, q))
		if stat != n || row != n {
			t.Errorf("%s: Stats %d, runs row %d, database %d", name, stat, row, n)
		}
	}
	want("pages", res.Stats.Pages, got.Pages, `SELECT count(*) FROM urls WHERE state IN ('done', 'failed')`)
	want("errors", res.Stats.Errors, got.Errors, `SELECT count(*) FROM pages WHERE error_class IS NOT NULL`)
	want("skipped", res.Stats.Skipped, got.Skipped, `SELECT count(*) FROM urls WHERE state = 'skipped'`)
	if res.Stats.Errors == 0 || res.Stats.Skipped == 0 || res.Stats.ByClass[ClassOutOfScope] == 0 || res.Stats.ByClass[ClassHostCap] == 0 {
		t.Errorf("the site should give 404s, out-of-scope links and capped pages: %+v", res.Stats)
	}
}

// refreshCrawler starts a refresh run of cfg the way `trawl crawl` does and
// returns its crawler.
func refreshCrawler(t *testing.T, db *store.DB, cfg Config) *Crawler {
	t.Helper()
	cfg.RefreshCutoff = time.Now().Add(-time.Hour)
	b, _ := json.Marshal(cfg)
	r, err := db.StartRun(context.Background(), "refresh", b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.RequeueStale(context.Background(), r.ID, cfg.RefreshCutoff, RetrySkipReasons()); err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg, db, r.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLongRetryAfterDefersOnlyThatURL: one URL asking for a pause longer than
// --max-retry-after is put off to a later run, recorded with the time it may
// be asked again, while the rest of its host is crawled; the next run, inside
// the pause, records it as deferred again without asking it.
func TestLongRetryAfterDefersOnlyThatURL(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	html := map[string]string{"Content-Type": "text/html"}
	links := `<a href="/a">a</a>`
	for i := range 10 {
		links += fmt.Sprintf(`<a href="/ok/%d">ok</a>`, i)
		h.Handle(fmt.Sprintf("/ok/%d", i), fixtures.Status(200, html, "<title>ok</title>"))
	}
	h.Handle("/{$}", fixtures.Status(200, html, links))
	h.Handle("/a", fixtures.Status(503, map[string]string{"Retry-After": "3600"}, "come back in an hour"))
	db := testDB(t)
	cfg := testConfig(h.URL + "/")
	cfg.MaxRetryAfter = Duration(time.Minute)
	for run, start := range []func() *Crawler{
		func() *Crawler { return newCrawl(t, db, cfg) },
		func() *Crawler { return refreshCrawler(t, db, cfg) },
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := start().Run(ctx)
		cancel()
		if err != nil || res.Status != StatusFinished {
			t.Fatalf("run %d: %s, %v; want finished, not held for an hour", run+1, res.Status, err)
		}
		var state, reason, retryAt string
		db.Reader().QueryRow(`SELECT state, coalesce(reason, ''), coalesce(retry_at, '') FROM urls WHERE url = ?`, h.URL+"/a").
			Scan(&state, &reason, &retryAt)
		until, _ := time.Parse(time.RFC3339Nano, retryAt)
		if state != record.StateSkipped || reason != ClassDeferred || time.Until(until) < 50*time.Minute {
			t.Errorf("run %d: /a %s %q retry_at %q; want skipped, deferred, about an hour from now", run+1, state, reason, retryAt)
		}
		if n := queryInt(t, db, `SELECT count(*) FROM hosts WHERE parked_reason IS NOT NULL`); n != 0 {
			t.Errorf("run %d: the host was parked for one URL's Retry-After", run+1)
		}
		if n := queryInt(t, db, `SELECT count(*) FROM pages WHERE status = 200 AND url LIKE '%/ok/%'`); n != 10 {
			t.Errorf("run %d: %d of the 10 other pages fetched", run+1, n)
		}
	}
	asked := 0
	for _, r := range h.Log.Entries() {
		if r.Path == "/a" {
			asked++
		}
	}
	if asked != 1 {
		t.Errorf("/a was requested %d times, want once: the second run is inside its pause", asked)
	}
}

// TestLongRetryAfterEverywhereParksTheHost: a host whose URLs all ask for a
// long pause (maintenance) is parked after a few of them, with the pause
// kept, and the next run, started inside the pause, parks it again at once.
func TestLongRetryAfterEverywhereParksTheHost(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	h.SetRobots(404, "")
	links := ""
	for i := range 20 {
		links += fmt.Sprintf(`<a href="/p%d">p</a>`, i)
	}
	h.Handle("/{$}", fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, links))
	h.Handle("/", fixtures.RetryAfter503(3600))
	db := testDB(t)
	cfg := testConfig(h.URL + "/")
	cfg.PerHost = 1
	cfg.MaxRetryAfter = Duration(time.Minute)
	for run, start := range []func() *Crawler{
		func() *Crawler { return newCrawl(t, db, cfg) },
		func() *Crawler { return refreshCrawler(t, db, cfg) },
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := start().Run(ctx)
		cancel()
		if err != nil || res.Status != StatusFinished {
			t.Fatalf("run %d: %s, %v", run+1, res.Status, err)
		}
		var reason, untilText string
		db.Reader().QueryRow(`SELECT coalesce(parked_reason, ''), coalesce(backoff_until, '') FROM hosts WHERE host = ?`, h.URL).Scan(&reason, &untilText)
		until, _ := time.Parse(time.RFC3339Nano, untilText)
		if reason == "" || time.Until(until) < 50*time.Minute {
			t.Errorf("run %d: parked_reason %q, backoff_until %q; want a reason and about an hour from now", run+1, reason, untilText)
		}
		if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE state = 'skipped' AND reason = ?`, ClassParked); n == 0 {
			t.Errorf("run %d: no URL recorded as skipped for the parked host", run+1)
		}
	}
	if n := h.Log.Len(); n > 1+4 {
		t.Errorf("the host got %d requests; it should be parked after 3 pages asked for an hour", n)
	}
}

// TestStopDoesNotWaitForSlowRequests: after --max-duration, a request that
// hangs is cut short after the stop's grace period instead of running to
// --timeout, and its URL stays queued with nothing recorded.
func TestStopDoesNotWaitForSlowRequests(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	h.Handle("/{$}", fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, `<a href="/hang">h</a>`))
	h.Handle("/hang", fixtures.Hang())
	db := testDB(t)
	cfg := testConfig(h.URL + "/")
	cfg.Timeout = Duration(time.Minute)
	cfg.MaxDuration = Duration(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	c := newCrawl(t, db, cfg)
	done := make(chan Result, 1)
	go func() {
		res, err := c.Run(ctx)
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		done <- res
	}()
	var res Result
	select {
	case res = <-done:
	case <-ctx.Done():
		t.Fatal("Run still waiting on the hanging request after 40 s (its --timeout is 1 minute)")
	}
	if res.Status != StatusStopped {
		t.Errorf("status %s, want stopped", res.Status)
	}
	var state string
	db.Reader().QueryRow(`SELECT state FROM urls WHERE url = ?`, h.URL+"/hang").Scan(&state)
	n := queryInt(t, db, `SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.url = ?`, h.URL+"/hang")
	if state != record.StateQueued || n != 0 {
		t.Errorf("/hang: state %q with %d fetches, want queued with none", state, n)
	}
}

// TestSlowPagesDoNotPauseTheHost: two pages that time out on an otherwise
// healthy host do not hold back the rest of it (each page's own retry has its
// own back-off; only a run of timeouts pauses the host). The crawl runs on a
// clock the test moves, on which the gaps between requests are the
// scheduler's waits alone.
func TestSlowPagesDoNotPauseTheHost(t *testing.T) {
	clk := newFakeClock()
	mux := http.NewServeMux()
	links := `<a href="/slow1">s</a><a href="/slow2">s</a>`
	for i := range 20 {
		links += fmt.Sprintf(`<a href="/p%d">p</a>`, i)
	}
	mux.Handle("/{$}", fixtures.Status(200, htmlType, links))
	mux.Handle("/slow1", fixtures.Hang())
	mux.Handle("/slow2", fixtures.Hang())
	h, st := siteOn(t, clk, "", mux)
	db := testDB(t)
	cfg := testConfig(h.URL + "/")
	cfg.PerHost = 2
	cfg.Retries = 0
	cfg.Timeout = Duration(200 * time.Millisecond)
	cfg.RetryBase = Duration(5 * time.Second) // a host pause would show as a gap of 2.5 s or more
	crawlRunOn(t, db, clk, cfg)
	rs := st.list()
	var longest time.Duration
	for i := 1; i < len(rs); i++ {
		longest = max(longest, rs[i].at.Sub(rs[i-1].at))
	}
	if longest >= 2500*time.Millisecond {
		t.Errorf("the host waited %s between requests after its slow pages, a host-wide back-off", longest)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM pages WHERE status = 200`); n != 21 {
		t.Errorf("%d pages fetched, want 21", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE state = 'failed' AND reason = ?`, ClassTimeout); n != 2 {
		t.Errorf("%d timeouts recorded, want 2", n)
	}
}

// TestDropParamsDeduplicates: tracking parameters named in DropParams are
// removed before deduplication, so one page reached through many tracked
// links is fetched once, under its clean URL.
func TestDropParamsDeduplicates(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	h.Handle("/{$}", fixtures.Status(200, map[string]string{"Content-Type": "text/html"},
		`<a href="/p?id=1&utm_source=news">a</a><a href="/p?utm_medium=mail&id=1">b</a><a href="/p?id=1&fbclid=XYZ">c</a><a href="/p?id=2">d</a>`))
	h.Handle("/p", fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, "<title>p</title>"))
	db := testDB(t)
	cfg := testConfig(h.URL + "/")
	cfg.DropParams = []string{"utm_*", "fbclid"}
	crawlRun(t, db, cfg)
	want := map[string]int{h.URL + "/": 200, h.URL + "/p?id=1": 200, h.URL + "/p?id=2": 200}
	if d := diffMaps(want, recorded(t, db)); d != "" {
		t.Fatal(d)
	}
	if n := len(h.Log.Entries()); n != 4 { // robots.txt and three pages
		t.Errorf("%d requests, want 4", n)
	}
}
