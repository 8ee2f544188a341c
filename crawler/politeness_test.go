package crawler

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
)

// maxInFlight is the most requests the server had in progress at once.
func maxInFlight(rs []fixtures.Request) int {
	type edge struct {
		t     time.Time
		delta int
	}
	var es []edge
	for _, r := range rs {
		es = append(es, edge{r.Start, 1}, edge{r.End, -1})
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].t.Equal(es[j].t) {
			return es[i].delta < es[j].delta // an end before a start at the same instant
		}
		return es[i].t.Before(es[j].t)
	})
	cur, peak := 0, 0
	for _, e := range es {
		cur += e.delta
		peak = max(peak, cur)
	}
	return peak
}

func byHost(rs []fixtures.Request) map[string][]fixtures.Request {
	out := map[string][]fixtures.Request{}
	for _, r := range rs {
		out[r.Host] = append(out[r.Host], r)
	}
	for _, l := range out {
		sort.Slice(l, func(i, j int) bool { return l[i].Start.Before(l[j].Start) })
	}
	return out
}

func TestPerHostConcurrencyLimitHolds(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 3, PagesPerHost: 40, Seed: 8,
		Latency: 15 * time.Millisecond, MinBytes: 2000, MaxBytes: 3000})
	db := testDB(t)
	cfg := testConfig(cl.Seeds()...)
	cfg.PerHost = 2
	cfg.Concurrency = 12
	cfg.AutoThrottle = false
	crawlRun(t, db, cfg)
	reached := false
	for host, rs := range byHost(cl.Log.Entries()) {
		n := maxInFlight(rs)
		if n > 2 {
			t.Errorf("%s had %d requests in flight, limit 2", host, n)
		}
		reached = reached || n == 2
	}
	if !reached {
		t.Error("no host ever had 2 requests in flight: the limit was never tested")
	}
}

func TestCrawlDelayIsObeyedAndRecorded(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 2, PagesPerHost: 6, Seed: 2,
		MinBytes: 2000, MaxBytes: 3000, Robots: "User-agent: *\nCrawl-delay: 0.15\n"})
	db := testDB(t)
	cfg := testConfig(cl.Seeds()...)
	cfg.PerHost = 2 // Crawl-delay must win over per-host concurrency too
	crawlRun(t, db, cfg)
	for host, rs := range byHost(cl.Log.Entries()) {
		if len(rs) < 5 {
			t.Fatalf("%s: only %d requests", host, len(rs))
		}
		for i := 1; i < len(rs); i++ {
			if gap := rs[i].Start.Sub(rs[i-1].Start); gap < 150*time.Millisecond {
				t.Errorf("%s: %s %s after %s, Crawl-delay is 150ms", host, rs[i].Path, gap, rs[i-1].Path)
			}
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM hosts WHERE crawl_delay_ms = 150 AND delay_ms >= 150 AND robots_status = 'ok'`); n != 2 {
		t.Errorf("%d hosts record Crawl-delay 150ms, want 2", n)
	}
}

// TestRetryAfterPausesOnlyThatURL: a 503 with Retry-After on one URL holds
// that URL back until the pause is over, while the host's other URLs and the
// other host go on. The crawl runs on a clock the test moves, so the minute
// of pause costs no waiting and "during the pause" is exact.
func TestRetryAfterPausesOnlyThatURL(t *testing.T) {
	clk := newFakeClock()
	pmux := http.NewServeMux()
	pmux.Handle("/{$}", fixtures.Status(200, htmlType, `<a href="/a">a</a><a href="/b">b</a><a href="/c">c</a>`))
	pmux.Handle("/a", fixtures.Sequence(fixtures.RetryAfter503(60), fixtures.Status(200, htmlType, "ok")))
	paused, pst := siteOn(t, clk, "127.0.0.2", pmux)
	var links strings.Builder
	for i := range 20 {
		fmt.Fprintf(&links, `<a href="/p%d">p</a>`, i)
	}
	bmux := http.NewServeMux()
	bmux.Handle("/{$}", fixtures.Status(200, htmlType, links.String()))
	busy, bst := siteOn(t, clk, "127.0.0.3", bmux)

	db := testDB(t)
	cfg := testConfig(paused.URL+"/", busy.URL+"/")
	cfg.PerHost = 1
	cfg.AutoThrottle = false
	crawlRunOn(t, db, clk, cfg)

	a := pst.of("/a")
	if len(a) != 2 {
		t.Fatalf("/a requested %d times, want the 503 and once more", len(a))
	}
	pauseEnd := a[0].Add(time.Minute)
	if a[1].Before(pauseEnd) {
		t.Errorf("/a requested again %s before its Retry-After expired", pauseEnd.Sub(a[1]))
	}
	for _, s := range pst.pages() {
		if s.path != "/a" && !s.at.Before(pauseEnd) {
			t.Errorf("%s waited for /a's Retry-After", s.path)
		}
	}
	if got := bst.pages(); len(got) != 21 {
		t.Errorf("the other host served %d pages, want 21", len(got))
	}
	for _, s := range bst.pages() {
		if !s.at.Before(pauseEnd) {
			t.Errorf("the other host's %s waited for /a's Retry-After", s.path)
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.url = ? AND f.status = 200`, paused.URL+"/a"); n != 1 {
		t.Errorf("/a was not fetched again after the pause")
	}
}

func TestFailingHostIsParked(t *testing.T) {
	down := fixtures.MustHost(t, fixtures.HostConfig{IP: "127.0.0.2"}, nil)
	html := map[string]string{"Content-Type": "text/html"}
	var links strings.Builder
	for i := range 30 {
		links.WriteString(`<a href="/p` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `">x</a>`)
	}
	down.Handle("/{$}", fixtures.Status(200, html, links.String()))
	down.Handle("/", fixtures.Status(503, nil, "down"))
	down.SetRobots(404, "")
	db := testDB(t)
	cfg := testConfig(down.URL + "/")
	cfg.Retries = 0
	cfg.PerHost = 1
	crawlRun(t, db, cfg)
	if n := queryInt(t, db, `SELECT count(*) FROM hosts WHERE parked_reason LIKE '%failed%'`); n != 1 {
		t.Fatalf("parked hosts = %d, want 1", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE reason = ?`, ClassParked); n == 0 {
		t.Fatal("no URL recorded as skipped for the parked host")
	}
	const parkAfter = 8 // politeness.HealthConfig's default ParkAfter
	requests := len(down.Log.Entries())
	if requests > parkAfter+3 {
		t.Fatalf("the failing host got %d requests; parking should stop at about %d", requests, parkAfter)
	}
}

// TestRobotsReusedAcrossInvocations: robots.txt is asked once per host, not
// once per process: a resumed run and a second run within 24 hours parse the
// stored copy and still obey it; once the stored copy is older than 24 hours,
// the next run asks again.
func TestRobotsReusedAcrossInvocations(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 2, PagesPerHost: 40, Seed: 5,
		RedirectPermille: 60, MinBytes: 1000, MaxBytes: 2000, Robots: "User-agent: *\nDisallow: /r/\n"})
	db := testDB(t)
	cfg := testConfig(cl.Seeds()...)
	robotsFetches := func() map[string]int {
		n := map[string]int{}
		for host, rs := range byHost(cl.Log.Entries()) {
			for _, r := range rs {
				if r.Path == "/robots.txt" {
					n[host]++
				}
				if strings.HasPrefix(r.Path, "/r/") {
					t.Errorf("%s: disallowed %s was requested", host, r.Path)
				}
			}
		}
		return n
	}
	wantEach := func(when string, want int) {
		t.Helper()
		got := robotsFetches()
		if len(got) != 2 {
			t.Fatalf("%s: robots.txt requested from %d hosts, want 2", when, len(got))
		}
		for host, n := range got {
			if n != want {
				t.Errorf("%s: %s/robots.txt requested %d times, want %d", when, host, n, want)
			}
		}
	}

	// A run stopped by a page budget, then resumed by a new Crawler (as a new
	// process would).
	first := cfg
	first.MaxPages = 10
	run, res := crawlRun(t, db, first)
	if res.Status != StatusStopped {
		t.Fatalf("first invocation: status %s, want stopped", res.Status)
	}
	if res := resume(t, db, cfg, run.ID); res.Status != StatusFinished {
		t.Fatalf("resumed status %s", res.Status)
	}
	wantEach("after a resume", 1)
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE reason = 'robots-denied'`); n == 0 {
		t.Fatal("no URL was denied by robots.txt; the site has no /r/ links and the test proves nothing")
	}

	// A second run (a refresh) within the day.
	crawlRun(t, db, cfg)
	wantEach("after a second run", 1)

	// The stored copies age past 24 hours: the next run asks again.
	w, err := sql.Open("sqlite", db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	old := time.Now().Add(-25 * time.Hour).UTC().Format(time.RFC3339Nano)
	if _, err := w.Exec(`PRAGMA busy_timeout = 5000; UPDATE hosts SET robots_fetched_at = ?`, old); err != nil {
		t.Fatal(err)
	}
	crawlRun(t, db, cfg)
	wantEach("after the stored copies expired", 2)
}

// The auto-throttle is on by default and must not take away the concurrency
// --per-host asks for from a host that answers steadily: it once aimed at one
// request in flight whatever --per-host said.
func TestAutoThrottleKeepsPerHost(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 60, Seed: 3,
		Latency: 15 * time.Millisecond, MinBytes: 2000, MaxBytes: 3000})
	db := testDB(t)
	cfg := testConfig(cl.Seeds()...)
	cfg.PerHost = 4
	if !cfg.AutoThrottle {
		t.Fatal("the auto-throttle is expected on by default")
	}
	crawlRun(t, db, cfg)
	for host, rs := range byHost(cl.Log.Entries()) {
		if n := maxInFlight(rs); n != 4 {
			t.Errorf("%s had at most %d requests in flight, want --per-host 4", host, n)
		}
	}
}

// fetchTimes is a log handler that notes when each page's fetch line was
// logged, which is after its extraction.
type fetchTimes struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (f *fetchTimes) Enabled(context.Context, slog.Level) bool { return true }
func (f *fetchTimes) WithAttrs([]slog.Attr) slog.Handler       { return f }
func (f *fetchTimes) WithGroup(string) slog.Handler            { return f }
func (f *fetchTimes) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "fetch" {
		return nil
	}
	now := time.Now()
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "url" {
			f.mu.Lock()
			f.at[a.Value.String()] = now
			f.mu.Unlock()
		}
		return true
	})
	return nil
}

// TestHostSlotFreedWhenResponseIsIn: a host's slot counts requests on the
// wire, not pages being parsed. With one slot for the host, the request for
// its second URL goes out while the first, a large page, is still being
// extracted. (That the limit holds on the server with the slot freed so
// is TestPerHostConcurrencyLimitHolds's: its pages are small enough that
// net/http sends them only once the handler has returned.)
func TestHostSlotFreedWhenResponseIsIn(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	big := "<title>big</title>" + strings.Repeat(`<p><a href="#x">x</a> text</p>`, 120000)
	h.Handle("/big", fixtures.Status(200, htmlType, big))
	h.Handle("/small", fixtures.Status(200, htmlType, "<title>small</title>"))
	db := testDB(t)
	cfg := testConfig(h.URL+"/big", h.URL+"/small")
	cfg.PerHost, cfg.Concurrency = 1, 2
	cfg.AutoThrottle = false
	run := startRun(t, db, cfg)
	logged := &fetchTimes{at: map[string]time.Time{}}
	c, err := New(cfg, db, run.ID, slog.New(logged))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var smallStart time.Time
	var order []string
	for _, r := range h.Log.Entries() {
		order = append(order, r.Path)
		if r.Path == "/small" {
			smallStart = r.Start
		}
	}
	if len(order) != 3 || order[1] != "/big" || order[2] != "/small" {
		t.Fatalf("requests %v, want robots.txt, /big, /small", order)
	}
	bigLogged := logged.at[h.URL+"/big"]
	if bigLogged.IsZero() || !smallStart.Before(bigLogged) {
		t.Errorf("/small was requested at %v, after /big was extracted (%v): the slot waited for the parse",
			smallStart, bigLogged)
	}
}
