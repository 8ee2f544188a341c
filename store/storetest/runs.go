package storetest

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/trawl-crawler/trawl/store/record"
)

// testRunLifecycle: runs start, end, resume and are listed as recorded,
// their configuration kept byte for byte.
func testRunLifecycle(e *env) {
	if r, err := e.b.LastRun(e.ctx); err != nil || r != nil {
		e.t.Fatalf("LastRun of an empty database = %+v, %v; want nil, nil", r, err)
	}
	cfg1 := []byte(`{"seeds": ["http://a.test/"],  "z": 1, "a": {"n": [1, 2]}}`)
	before := time.Now()
	r1, err := e.b.StartRun(e.ctx, "crawl", cfg1)
	if err != nil {
		e.t.Fatal(err)
	}
	after := time.Now()
	eq(e, "run", fmt.Sprint(r1.ID, r1.Kind, r1.Status, string(r1.Config), r1.Resumes, r1.Pages, r1.FinishedAt.IsZero()),
		fmt.Sprint(int64(1), "crawl", record.RunRunning, string(cfg1), 0, int64(0), true))
	if r1.StartedAt.Before(before.Truncate(time.Microsecond)) || r1.StartedAt.After(after) {
		e.t.Errorf("StartedAt %v not between %v and %v", r1.StartedAt, before, after)
	}
	if err := e.b.EndRun(e.ctx, r1.ID, record.RunStopped); err != nil {
		e.t.Fatal(err)
	}
	got, err := e.b.GetRun(e.ctx, r1.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	if got.Status != record.RunStopped || got.FinishedAt.Before(got.StartedAt) || !got.Resumable() || !got.StartedAt.Equal(r1.StartedAt) {
		e.t.Errorf("after EndRun(stopped): %+v", got)
	}
	cfg2 := []byte(`{"seeds":["http://a.test/"],"max_pages":5}`)
	if err := e.b.ResumeRun(e.ctx, r1.ID, cfg2); err != nil {
		e.t.Fatal(err)
	}
	got, _ = e.b.GetRun(e.ctx, r1.ID)
	eq(e, "resumed", fmt.Sprint(got.Status, got.Resumes, string(got.Config), got.FinishedAt.IsZero()),
		fmt.Sprint(record.RunRunning, 1, string(cfg2), true))
	e.discover(r1.ID, link("http://a.test/", 0))
	e.outcomes(r1.ID, done(e.job("http://a.test/"), t0, 200))
	if err := e.b.EndRun(e.ctx, r1.ID, record.RunFinished); err != nil {
		e.t.Fatal(err)
	}
	got, _ = e.b.GetRun(e.ctx, r1.ID)
	eq(e, "counters", fmt.Sprint(got.Status, got.Resumable(), got.Pages, got.Errors, got.Skipped, got.Retries, got.Bytes, got.Discovered),
		fmt.Sprint(record.RunFinished, false, 1, 0, 0, 0, 100, 1))
	r2, err := e.b.StartRun(e.ctx, "refresh", []byte(`{}`))
	if err != nil {
		e.t.Fatal(err)
	}
	last, err := e.b.LastRun(e.ctx)
	if err != nil || last.ID != 2 || last.Kind != "refresh" || !last.StartedAt.Equal(r2.StartedAt) {
		e.t.Errorf("LastRun = %+v, %v; want run 2, a refresh", last, err)
	}
	for _, c := range []struct {
		since time.Time
		want  time.Time
	}{
		{r1.StartedAt.Add(-time.Hour), r1.StartedAt},
		{r1.StartedAt, r1.StartedAt},
		{r1.StartedAt.Add(time.Nanosecond), r2.StartedAt},
		{r2.StartedAt.Add(time.Nanosecond), time.Time{}},
	} {
		if got, err := e.b.FirstStartSince(e.ctx, c.since); err != nil || !got.Equal(c.want) {
			e.t.Errorf("FirstStartSince(%v) = %v, %v; want %v", c.since, got, err, c.want)
		}
	}
	if _, err := e.b.GetRun(e.ctx, 99); err == nil {
		e.t.Error("GetRun of a missing run succeeded")
	}
	e.want(`SELECT id, kind, status, resumes, finished_at IS NULL, updated_at >= started_at FROM runs ORDER BY id`,
		"1|crawl|finished|1|0|1", "2|refresh|running|0|1|1")
}

// testRunSucceeded: a run succeeded when it has a 2xx, or a 304 that
// confirmed a stored copy (a 304 to a plain request confirmed nothing).
func testRunSucceeded(e *env) {
	succeeded := func(id int64) bool {
		e.t.Helper()
		ok, err := e.b.RunSucceeded(e.ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		return ok
	}
	r1 := e.startRun()
	e.discover(r1.ID, link("http://a.test/1", 1), link("http://a.test/2", 1))
	eq(e, "without fetches", succeeded(r1.ID), false)
	e.outcomes(r1.ID, done(e.job("http://a.test/1"), t0, 404))
	eq(e, "after a 404", succeeded(r1.ID), false)
	e.outcomes(r1.ID, done(e.job("http://a.test/2"), t0, 204))
	eq(e, "after a 204", succeeded(r1.ID), true)
	r2 := e.startRun()
	e.discover(r2.ID, seed("http://a.test/1"))
	e.outcomes(r2.ID, done(e.job("http://a.test/1"), t0, 304))
	eq(e, "after a 304 that confirmed nothing", succeeded(r2.ID), false)
	r3 := e.startRun()
	e.discover(r3.ID, seed("http://a.test/2"))
	j := e.job("http://a.test/2")
	unchanged := done(j, t0, 304)
	unchanged.Fetch.Change, unchanged.Fetch.CopyFrom = "unchanged", j.Prev.FetchID
	e.outcomes(r3.ID, unchanged)
	eq(e, "after a 304 that confirmed the stored copy", succeeded(r3.ID), true)
	eq(e, "another run", succeeded(99), false)
	// A sitemap file or the login step answering 200 is no page crawled.
	r4 := e.startRun()
	e.discover(r4.ID, record.NewURL{URL: "http://a.test/sitemap.xml", Host: hostA, Via: "sitemap"},
		record.NewURL{URL: "http://a.test/login", Host: hostA, Via: "login", Revisit: true}, link("http://a.test/3", 1))
	sm := done(e.job("http://a.test/sitemap.xml"), t0, 200)
	sm.NotPage = true
	login := done(e.job("http://a.test/login"), t0, 200)
	login.NotPage, login.Reason = true, "login"
	failed := done(e.job("http://a.test/3"), t0, 503)
	sm.Fetch.Change, login.Fetch.Change, failed.Fetch.Change = "new", "new", "new"
	e.outcomes(r4.ID, sm, login, failed)
	eq(e, "after a sitemap and a login that answered 200, and a page that failed", succeeded(r4.ID), false)
	// Neither is a page in the views either.
	e.want(`SELECT url FROM pages WHERE url IN ('http://a.test/sitemap.xml', 'http://a.test/login', 'http://a.test/3')`, "http://a.test/3")
	e.want(`SELECT url FROM run_pages WHERE run_id = `+strconv.FormatInt(r4.ID, 10), "http://a.test/3")
	e.want(`SELECT new FROM run_changes WHERE run_id = `+strconv.FormatInt(r4.ID, 10), "1")
}

// testAbandonQueue: abandoning takes every queued URL out of the queue.
func testAbandonQueue(e *env) {
	run := e.startRun()
	e.discover(run.ID, link("http://a.test/1", 1), link("http://b.test/2", 1))
	e.outcomes(run.ID, done(e.job("http://a.test/1"), t0, 200))
	if err := e.b.AbandonQueue(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.want(`SELECT url, state, coalesce(reason, '-') FROM urls ORDER BY url`,
		"http://a.test/1|done|-", "http://b.test/2|skipped|abandoned")
	if n, err := e.b.CountQueued(e.ctx); err != nil || n != 0 {
		e.t.Errorf("CountQueued = %d, %v", n, err)
	}
	if h, err := e.b.QueuedHosts(e.ctx); err != nil || len(h) != 0 {
		e.t.Errorf("QueuedHosts = %v, %v", h, err)
	}
}

// testHostsAndPages: hosts with queued URLs are listed in the order they
// were first seen; pages per host count done and failed URLs of the run.
func testHostsAndPages(e *env) {
	r1 := e.startRun()
	e.discover(r1.ID, link("http://b.test/1", 1), link("http://a.test/1", 1), link("http://a.test/2", 1), link("http://a.test/3", 1))
	hosts, err := e.b.QueuedHosts(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	eq(e, "queued hosts", fmt.Sprint(hosts), "["+hostB+" "+hostA+"]")
	e.outcomes(r1.ID, done(e.job("http://a.test/1"), t0, 200),
		record.Outcome{Job: e.job("http://a.test/2"), State: record.StateSkipped, Reason: "robots-denied"},
		record.Outcome{Job: e.job("http://b.test/1"), State: record.StateFailed, Reason: "robots-unreachable"})
	hosts, _ = e.b.QueuedHosts(e.ctx)
	eq(e, "queued hosts after", fmt.Sprint(hosts), "["+hostA+"]")
	pages, err := e.b.HostPages(e.ctx, r1.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	eq(e, "host pages", fmt.Sprint(pages), fmt.Sprint(map[string]int{hostA: 1, hostB: 1}))
	if p, err := e.b.HostPages(e.ctx, 99); err != nil || len(p) != 0 {
		e.t.Errorf("HostPages of another run = %v, %v", p, err)
	}
}

// testCookies: the cookies a response set are kept with its commit, the
// latest per URL, domain, path and name, and read back in the order
// received.
func testCookies(e *env) {
	run := e.startRun()
	e.discover(run.ID, seed("http://a.test/"))
	sid := record.Cookie{URL: "http://a.test/", Name: "sid", Value: "1", Received: t0}
	pref := record.Cookie{URL: "http://a.test/", Name: "pref", Value: "x=y; z", Domain: "a.test", Path: "/",
		Expires: t0.Add(24 * time.Hour), Secure: true, HTTPOnly: true, SameSite: "Lax", Received: t0}
	o := done(e.job("http://a.test/"), t0, 200)
	o.Cookies = []record.Cookie{sid, pref}
	e.outcomes(run.ID, o)
	read := func() string {
		e.t.Helper()
		cs, err := e.b.Cookies(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		return fmt.Sprintf("%+v", cs)
	}
	eq(e, "cookies", read(), fmt.Sprintf("%+v", []record.Cookie{sid, pref}))
	sid2 := sid
	sid2.Value, sid2.Received = "2", t0.Add(time.Minute)
	// A discovery-only outcome keeps its cookies too (a redirect's, say).
	e.commit(run.ID, record.Batch{Outcomes: []record.Outcome{{Cookies: []record.Cookie{sid2}}}})
	eq(e, "after a replacement", read(), fmt.Sprintf("%+v", []record.Cookie{pref, sid2}))
	e.want(`SELECT name, value, domain, path, coalesce(expires, '-'), secure, http_only, coalesce(same_site, '-'), received_at, seq FROM cookies ORDER BY seq`,
		"pref|x=y; z|a.test|/|2026-03-02T10:00:00.000000000Z|1|1|Lax|2026-03-01T10:00:00.000000000Z|2",
		"sid|2|||-|0|0|-|2026-03-01T10:01:00.000000000Z|3")
}

// testBodiesAndReplaceItems: kept bodies are read back, the latest per URL,
// of one run or of all; re-extraction replaces the items of the rules it
// re-ran and no others.
func testBodiesAndReplaceItems(e *env) {
	r1 := e.startRun()
	e.discover(r1.ID, seed("http://a.test/a"), seed("http://a.test/b"))
	withBody := func(j record.Job, body string) record.Outcome {
		o := done(j, t0, 200)
		o.Fetch.Body, o.Fetch.BodyEncoding, o.Fetch.ContentType = []byte(body), "gzip", "text/html"
		return o
	}
	a := withBody(e.job("http://a.test/a"), "a1")
	a.Items = []record.Item{{Rule: "r1", Data: []byte(`{"v":1}`)}, {Rule: "r2", Data: []byte(`{"v":2}`)}}
	e.outcomes(r1.ID, a, withBody(e.job("http://a.test/b"), "b1\x00\xff"))
	if err := e.b.EndRun(e.ctx, r1.ID, record.RunFinished); err != nil {
		e.t.Fatal(err)
	}
	r2 := e.startRun()
	e.discover(r2.ID, seed("http://a.test/a"))
	e.outcomes(r2.ID, withBody(e.job("http://a.test/a"), "a2"))
	read := func(runID int64) string {
		e.t.Helper()
		var out []string
		err := e.b.Bodies(e.ctx, runID, func(b record.StoredBody) error {
			out = append(out, fmt.Sprintf("%d %d %d %s %s %s %q", b.FetchID, b.URLID, b.RunID, b.URL, b.ContentType, b.Encoding, b.Body))
			return nil
		})
		if err != nil {
			e.t.Fatal(err)
		}
		return fmt.Sprint(out)
	}
	idA, idB := record.URLID("http://a.test/a"), record.URLID("http://a.test/b")
	eq(e, "bodies of all runs", read(0), fmt.Sprint([]string{
		fmt.Sprintf(`2 %d 1 http://a.test/b text/html gzip "b1\x00\xff"`, idB),
		fmt.Sprintf(`3 %d 2 http://a.test/a text/html gzip "a2"`, idA)}))
	eq(e, "bodies of run 1", read(1), fmt.Sprint([]string{
		fmt.Sprintf(`1 %d 1 http://a.test/a text/html gzip "a1"`, idA),
		fmt.Sprintf(`2 %d 1 http://a.test/b text/html gzip "b1\x00\xff"`, idB)}))
	stop := errors.New("stop")
	calls := 0
	if err := e.b.Bodies(e.ctx, 0, func(record.StoredBody) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		e.t.Errorf("Bodies with a failing fn = %v after %d calls; want stop after 1", err, calls)
	}
	if err := e.b.ReplaceItems(e.ctx, []record.ItemSet{{FetchID: 1, URLID: idA, RunID: 1, Rules: []string{"r1"},
		Items: []record.Item{{Rule: "r1", Data: []byte(`{"v":10}`)}, {Rule: "r1", Miss: "no v"}}}}); err != nil {
		e.t.Fatal(err)
	}
	e.want(`SELECT run_id, fetch_id, rule, idx, coalesce(CAST(data AS TEXT), '-'), coalesce(miss, '-') FROM items ORDER BY rule, idx`,
		`1|1|r1|0|{"v":10}|-`, `1|1|r1|1|-|no v`, `1|1|r2|1|{"v":2}|-`)
}

// testLock: the lock is taken, taken again by its holder, and released.
func testLock(e *env) {
	for range 2 {
		if err := e.b.Lock(e.ctx); err != nil {
			e.t.Fatal(err)
		}
		if err := e.b.Lock(e.ctx); err != nil {
			e.t.Fatalf("Lock by its holder: %v", err)
		}
		if err := e.b.Unlock(e.ctx); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := e.b.Unlock(e.ctx); err != nil {
		e.t.Fatalf("Unlock without the lock: %v", err)
	}
}

// testViews: the documented views give the same rows for one small crawl.
func testViews(e *env) {
	run := e.startRun()
	e.discover(run.ID, seed("http://a.test/"))
	home := e.job("http://a.test/")
	found := func(u string) record.NewURL {
		n := link(u, 1)
		n.ParentID = home.ID
		return n
	}
	out := found("http://a.test/e")
	out.Skip = "out-of-scope"
	sitemap := found("http://a.test/sitemap.xml")
	sitemap.Via = "sitemap"
	var links []record.Link
	for _, n := range []string{"b", "c", "e", "f", "g", "h"} {
		links = append(links, record.Link{URL: "http://a.test/" + n, Text: n})
	}
	page := func(j record.Job, status int, typ, hash, title, desc string) record.Outcome {
		o := done(j, t0, status)
		o.Fetch.ContentType, o.Fetch.ContentHash, o.Fetch.Title, o.Fetch.Description, o.Fetch.Change = typ, hash, title, desc, "new"
		return o
	}
	a := page(home, 200, "text/html", "hA", "", "Home page")
	a.Fetch.Facts = []byte(`{"jsonld":[{"@type":"Product","name":"x"},{"name":"no type"}]}`)
	a.Links = links
	a.Discovered = []record.NewURL{found("http://a.test/b"), found("http://a.test/c"), out, found("http://a.test/f"),
		found("http://a.test/g"), found("http://a.test/h"), sitemap}
	e.outcomes(run.ID, a)
	b := page(e.job("http://a.test/b"), 404, "text/html", "hB", "Not found", "")
	b.Fetch.ErrorClass = "http-4xx"
	c := page(e.job("http://a.test/c"), 301, "", "", "", "")
	c.Fetch.RedirectTo, c.Fetch.Change = "http://a.test/d", ""
	d := found("http://a.test/d")
	d.Via, d.Hops = "redirect", 1
	c.Discovered = []record.NewURL{d}
	f := record.Outcome{Job: e.job("http://a.test/f"), State: record.StateFailed, Reason: "timeout",
		Fetch: &record.Fetch{At: t0, ErrorClass: "timeout", Error: "timeout"}}
	g := page(e.job("http://a.test/g"), 200, "text/html", "dup", "G", "g")
	g.Items = []record.Item{{Rule: "r", Data: []byte(`{"p":1}`)}}
	h := page(e.job("http://a.test/h"), 200, "text/html; charset=utf-8", "dup", "H", "h")
	s := page(e.job("http://a.test/sitemap.xml"), 200, "application/xml", "dup", "", "")
	s.NotPage = true
	e.outcomes(run.ID, b, c, f, g, h, s)

	e.want(`SELECT url, host, depth, state, coalesce(CAST(status AS TEXT), '-'), coalesce(CAST(http_status AS TEXT), '-'),
		coalesce(error_class, '-'), coalesce(redirect_to, '-'), coalesce(outlink_count, -1), coalesce(change, '-') FROM pages ORDER BY url`,
		"http://a.test/|"+hostA+"|0|done|200|200|-|-|6|new",
		"http://a.test/b|"+hostA+"|1|done|404|404|http-4xx|-|-1|new",
		"http://a.test/c|"+hostA+"|1|done|301|301|-|http://a.test/d|-1|-",
		"http://a.test/f|"+hostA+"|1|failed|-|-|timeout|-|-1|-",
		"http://a.test/g|"+hostA+"|1|done|200|200|-|-|-1|new",
		"http://a.test/h|"+hostA+"|1|done|200|200|-|-|-1|new")
	var wantLinks []string
	for _, n := range []string{"b", "c", "e", "f", "g", "h"} {
		u := "http://a.test/" + n
		wantLinks = append(wantLinks, fmt.Sprintf("%d|http://a.test/|%d|%s|%s|-|1", home.ID, record.URLID(u), u, n))
	}
	e.want(`SELECT from_id, from_url, to_id, coalesce(to_url, '-'), text, coalesce(rel, '-'), run_id FROM links ORDER BY to_url`, wantLinks...)
	e.want(`SELECT from_url, to_url, text, coalesce(CAST(status AS TEXT), '-'), coalesce(error_class, '-') FROM broken_links ORDER BY to_url`,
		"http://a.test/|http://a.test/b|b|404|http-4xx",
		"http://a.test/|http://a.test/f|f|-|timeout")
	e.want(`SELECT run_id, coalesce(fetched_at, '-'), url, attempt, coalesce(CAST(status AS TEXT), '-'), error_class, coalesce(error, '-') FROM errors ORDER BY url`,
		"1|2026-03-01T10:00:00.000000000Z|http://a.test/b|1|404|http-4xx|-",
		"1|-|http://a.test/e|0|-|out-of-scope|-",
		"1|2026-03-01T10:00:00.000000000Z|http://a.test/f|1|-|timeout|timeout")
	e.want(`SELECT url, status, redirect_to, coalesce(CAST(target_status AS TEXT), '-'), coalesce(target_redirect_to, '-'), run_id,
		coalesce(target_state, '-'), coalesce(target_reason, '-') FROM redirects`,
		"http://a.test/c|301|http://a.test/d|-|-|1|queued|-")
	e.want(`SELECT content_hash, copies, length(urls) FROM duplicate_content`, "dup|2|31")
	e.want(`SELECT url, coalesce(title, '-'), coalesce(description, '-'), status FROM missing_metadata ORDER BY url`,
		"http://a.test/|-|Home page|200")
	e.want(`SELECT url, run_id, type, CAST(data AS TEXT) FROM jsonld ORDER BY 4`,
		`http://a.test/|1|Product|{"@type":"Product","name":"x"}`,
		`http://a.test/|1||{"name":"no type"}`)
	e.want(`SELECT run_id, kind, status, new, changed, unchanged, gone, newly_broken_links FROM run_changes`,
		"1|crawl|running|4|0|0|0|0")
	e.want(`SELECT rule, url, run_id, idx, CAST(data AS TEXT), coalesce(miss, '-') FROM item_rows`, `r|http://a.test/g|1|0|{"p":1}|-`)
	e.want(`SELECT url, depth, via, hops, state FROM urls WHERE url = 'http://a.test/d'`, "http://a.test/d|1|redirect|1|queued")
}

// testStoredText: text and JSON are stored as given, in both backends:
// quotes, backslashes, control characters, non-ASCII text, and the JSON of
// outlinks is written alike.
func testStoredText(e *env) {
	run := e.startRun()
	e.discover(run.ID, seed("http://a.test/"))
	odd := "ünï 日本 \"q\" \\ tab\t nl\n ctl\x01\x1f\b\f <&> \u2028 end"
	o := done(e.job("http://a.test/"), t0, 200)
	o.Fetch.Title, o.Fetch.Error, o.Fetch.MainText = odd, odd, odd
	o.Links = []record.Link{{URL: "http://a.test/x", Text: odd, Rel: "nofollow ugc"}}
	e.outcomes(run.ID, o)
	e.want(`SELECT title = error, title = main_text, length(title) FROM fetches`, fmt.Sprintf("1|1|%d", len([]rune(odd))))
	rows := e.rows(`SELECT title, CAST(outlinks AS TEXT) FROM fetches`)
	want := fmt.Sprintf(`%s|[[%d,"ünï 日本 \"q\" \\ tab\t nl\n ctl\u0001\u001f\u0008\u000c <&> \u2028 end","nofollow ugc"]]`,
		odd, record.URLID("http://a.test/x"))
	if len(rows) != 1 || rows[0] != want {
		e.t.Errorf("stored text:\n got %q\nwant %q", rows, want)
	}
	e.want(`SELECT text = (SELECT title FROM fetches), rel FROM links`, "1|nofollow ugc")
}
