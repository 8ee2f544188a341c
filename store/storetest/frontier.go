package storetest

import (
	"fmt"
	"time"

	"github.com/trawl-crawler/trawl/store/record"
)

// testQueueOrderAndDedup: a page's links are queued once each, in discovery
// order, the seed is not queued again, and the fetch, the link graph and
// the run's counters are recorded.
func testQueueOrderAndDedup(e *env) {
	run := e.startRun()
	res := e.discover(run.ID, seed("http://a.test/"))
	eq(e, "new by host", newByHost(res), hostA+"=1")
	jobs := e.queue(hostA, 10)
	if len(jobs) != 1 {
		e.t.Fatalf("queue = %+v, want the seed", jobs)
	}
	j := jobs[0]
	eq(e, "job", fmt.Sprintf("%+v", j), fmt.Sprintf("%+v", record.Job{ID: record.URLID("http://a.test/"),
		URL: "http://a.test/", Host: hostA, Via: "seed"}))
	found := func(u string) record.NewURL {
		n := link(u, 1)
		n.ParentID = j.ID
		return n
	}
	out := record.Outcome{Job: j, State: record.StateDone,
		Fetch: &record.Fetch{At: t0, Status: 200, Title: "Home", Size: 1234, Duration: 1500 * time.Microsecond},
		Links: []record.Link{{URL: "http://a.test/b", Text: "B \"quoted\""}, {URL: "http://a.test/a", Text: "A", Rel: "nofollow"},
			{URL: "http://a.test/b", Text: "again"}},
		Discovered: []record.NewURL{found("http://a.test/b"), found("http://a.test/a"), found("http://a.test/b"), found("http://a.test/")}}
	res = e.outcomes(run.ID, out)
	eq(e, "new by host", newByHost(res), hostA+"=2")
	eq(e, "result", fmt.Sprint(res.Pages, res.Errors, res.Skipped, res.Bytes, res.Items, classes(res)), "1 0 0 1234 0")
	eq(e, "queue", fmt.Sprint(e.urlsOf(e.queue(hostA, 10))), "[http://a.test/b http://a.test/a]")
	e.want(`SELECT url, depth, seq, state, via, parent_id IS NOT NULL, first_run, run_id, tries, coalesce(fetched_at, '-') FROM urls ORDER BY seq`,
		"http://a.test/|0|1|done|seed|0|1|1|0|2026-03-01T10:00:00.000000000Z",
		"http://a.test/b|1|2|queued|link|1|1|1|0|-",
		"http://a.test/a|1|3|queued|link|1|1|1|0|-")
	e.want(`SELECT attempt, fetched_at, duration_ms, status, title, size, truncated, coalesce(error_class, '-') FROM fetches`,
		"1|2026-03-01T10:00:00.000000000Z|1.5|200|Home|1234|0|-")
	e.want(`SELECT from_url, coalesce(to_url, '-'), text, coalesce(rel, '-'), run_id FROM links ORDER BY to_url, text`,
		"http://a.test/|http://a.test/a|A|nofollow|1",
		`http://a.test/|http://a.test/b|B "quoted"|-|1`,
		"http://a.test/|http://a.test/b|again|-|1")
	e.want(`SELECT pages, errors, retries, bytes, discovered, skipped FROM runs`, "1|0|0|1234|3|0")
	eq(e, "hosts", fmt.Sprint(e.rows(`SELECT id, host FROM hosts`)), "[1|"+hostA+"]")
}

// testQueueLimitAndExclude: the queue is read in depth, then discovery,
// order, limit URLs at a time, leaving out those the caller holds.
func testQueueLimitAndExclude(e *env) {
	run := e.startRun()
	e.discover(run.ID, link("http://a.test/1", 2), link("http://a.test/2", 1), link("http://a.test/3", 1), link("http://a.test/4", 0))
	eq(e, "limit 2", fmt.Sprint(e.urlsOf(e.queue(hostA, 2))), "[http://a.test/4 http://a.test/2]")
	ex := func(urls ...string) map[int64]struct{} {
		m := map[int64]struct{}{}
		for _, u := range urls {
			m[record.URLID(u)] = struct{}{}
		}
		return m
	}
	for _, c := range []struct {
		limit   int
		exclude map[int64]struct{}
		want    string
	}{
		{2, ex("http://a.test/4"), "[http://a.test/2 http://a.test/3]"},
		{10, ex("http://a.test/2", "http://a.test/3"), "[http://a.test/4 http://a.test/1]"},
		{1, ex("http://a.test/4", "http://a.test/2", "http://a.test/3", "http://a.test/1"), "[]"},
	} {
		jobs, err := e.b.QueuedURLs(e.ctx, hostA, c.limit, c.exclude)
		if err != nil {
			e.t.Fatal(err)
		}
		eq(e, fmt.Sprintf("QueuedURLs(limit %d, exclude %d)", c.limit, len(c.exclude)), fmt.Sprint(e.urlsOf(jobs)), c.want)
	}
	for _, h := range []string{hostB, "http://unknown.test:80"} {
		if jobs, err := e.b.QueuedURLs(e.ctx, h, 10, nil); err != nil || len(jobs) != 0 {
			e.t.Errorf("QueuedURLs(%s) = %v, %v; want none", h, jobs, err)
		}
	}
	if n, err := e.b.CountQueued(e.ctx); err != nil || n != 4 {
		e.t.Errorf("CountQueued = %d, %v; want 4", n, err)
	}
}

// testCommitIsAtomic: a batch with one bad outcome stores nothing (no
// fetch, no URL, no host, no cookie), and leaves the caches as they were,
// so the good part commits on a retry.
func testCommitIsAtomic(e *env) {
	run := e.startRun()
	e.discover(run.ID, seed("http://a.test/"))
	good := done(e.job("http://a.test/"), t0, 200)
	good.Discovered = []record.NewURL{link("http://a.test/new", 1), link("http://b.test/x", 1)}
	good.Cookies = []record.Cookie{{URL: "http://a.test/", Name: "sid", Value: "1", Received: t0}}
	bad := record.Outcome{Job: record.Job{ID: 12345, URL: "http://a.test/x"}, State: "bogus"}
	if _, err := e.b.Commit(e.ctx, run.ID, record.Batch{Outcomes: []record.Outcome{good, bad},
		Hosts: []record.HostState{{Host: hostA, RobotsStatus: "ok"}}}); err == nil {
		e.t.Fatal("Commit with a bad outcome succeeded")
	}
	e.want(`SELECT (SELECT count(*) FROM fetches), (SELECT count(*) FROM urls), (SELECT count(*) FROM hosts),
		(SELECT count(*) FROM cookies), (SELECT coalesce(max(robots_status), '-') FROM hosts), (SELECT pages FROM runs)`,
		"0|1|1|0|-|0")
	res := e.outcomes(run.ID, good)
	eq(e, "retry", newByHost(res), hostA+"=1,"+hostB+"=1")
	hosts, err := e.b.QueuedHosts(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	eq(e, "queued hosts", fmt.Sprint(hosts), "["+hostA+" "+hostB+"]")
	e.want(`SELECT h.host, u.url FROM urls u JOIN hosts h ON h.id = u.host_id ORDER BY u.seq`,
		hostA+"|http://a.test/", hostA+"|http://a.test/new", hostB+"|http://b.test/x")
}

// testOutcomeCounters: each kind of outcome adds to the run's counters and
// the result's classes as documented, and leaves its URL in its state.
func testOutcomeCounters(e *env) {
	run := e.startRun()
	var urls []record.NewURL
	for i := 1; i <= 8; i++ {
		urls = append(urls, link(fmt.Sprintf("http://a.test/%d", i), 1))
	}
	urls[7].Via = "sitemap"
	e.discover(run.ID, urls...)
	j := func(i int) record.Job { return e.job(fmt.Sprintf("http://a.test/%d", i)) }
	notFound := done(j(2), t0, 404)
	notFound.Fetch.ErrorClass = "http-4xx"
	timeout := record.Outcome{Job: j(3), State: record.StateFailed, Reason: "timeout",
		Fetch: &record.Fetch{At: t0, ErrorClass: "timeout", Error: "read: i/o timeout"}}
	robots := record.Outcome{Job: j(4), State: record.StateFailed, Reason: "robots-unreachable"}
	unknown := record.Outcome{Job: j(5), State: record.StateFailed}
	retry := record.Outcome{Job: j(6), State: record.StateQueued,
		Fetch: &record.Fetch{At: t0, Status: 503, ErrorClass: "http-5xx"}}
	denied := record.Outcome{Job: j(7), State: record.StateSkipped, Reason: "robots-denied"}
	sitemap := done(j(8), t0, 200)
	sitemap.NotPage = true
	res := e.outcomes(run.ID, done(j(1), t0, 200), notFound, timeout, robots, unknown, retry, denied, sitemap)
	eq(e, "result", fmt.Sprint(res.Pages, res.Errors, res.Skipped, res.Bytes, newByHost(res)), "3 4 1 300")
	eq(e, "classes", classes(res), "http-4xx=1,other=1,robots-denied=1,robots-unreachable=1,timeout=1")
	e.want(`SELECT pages, errors, retries, bytes, discovered, skipped FROM runs`, "3|4|1|300|8|1")
	e.want(`SELECT url, state, coalesce(reason, '-'), tries, fetched_at IS NOT NULL, last_fetch_id IS NOT NULL FROM urls ORDER BY seq`,
		"http://a.test/1|done|-|0|1|1",
		"http://a.test/2|done|-|0|1|1",
		"http://a.test/3|failed|timeout|0|0|1",
		"http://a.test/4|failed|robots-unreachable|0|0|0",
		"http://a.test/5|failed|-|0|0|0",
		"http://a.test/6|queued|-|1|0|1",
		"http://a.test/7|skipped|robots-denied|0|0|0",
		"http://a.test/8|done|-|0|1|1")
	again := j(6)
	eq(e, "tries of the retried URL", again.Tries, 1)
	res = e.outcomes(run.ID, done(again, t0.Add(time.Minute), 200))
	eq(e, "retry result", fmt.Sprint(res.Pages, res.Errors), "1 0")
	e.want(`SELECT u.url, f.attempt, coalesce(f.status, 0), coalesce(f.error_class, '-'), coalesce(f.error, '-') FROM fetches f JOIN urls u ON u.id = f.url_id ORDER BY f.id`,
		"http://a.test/1|1|200|-|-",
		"http://a.test/2|1|404|http-4xx|-",
		"http://a.test/3|1|0|timeout|read: i/o timeout",
		"http://a.test/6|1|503|http-5xx|-",
		"http://a.test/8|1|200|-|-",
		"http://a.test/6|2|200|-|-")
	e.want(`SELECT pages, errors, retries, bytes, discovered, skipped FROM runs`, "4|4|1|400|8|1")
}

// testDiscoveredSkips: a URL discovered with a skip is recorded as skipped,
// counted, and not queued; found again without one, a hard skip stays.
func testDiscoveredSkips(e *env) {
	run := e.startRun()
	out := link("http://a.test/out", 1)
	out.Skip = "out-of-scope"
	deep := link("http://b.test/deep", 9)
	deep.Skip = "max-depth"
	res := e.discover(run.ID, link("http://a.test/in", 1), out, deep)
	eq(e, "result", fmt.Sprint(newByHost(res), " ", res.Skipped, " ", classes(res)), hostA+"=1 2 max-depth=1,out-of-scope=1")
	res = e.discover(run.ID, link("http://a.test/out", 1))
	eq(e, "found again", fmt.Sprint(newByHost(res), res.Skipped), "0")
	hosts, err := e.b.QueuedHosts(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	eq(e, "queued hosts", fmt.Sprint(hosts), "["+hostA+"]")
	e.want(`SELECT run_id, coalesce(fetched_at, '-'), url, attempt, coalesce(status, 0), error_class, coalesce(error, '-') FROM errors ORDER BY url`,
		"1|-|http://a.test/out|0|0|out-of-scope|-",
		"1|-|http://b.test/deep|0|0|max-depth|-")
	e.want(`SELECT discovered, skipped FROM runs`, "1|2")
}

// testSoftSkipRescue: a URL skipped softly (a suspected trap) is queued
// after all when a later commit of the run discovers it without a skip,
// and the run's skipped counter gives it back; a hard skip stays.
func testSoftSkipRescue(e *env) {
	run := e.startRun()
	soft, hard := link("http://a.test/soft", 2), link("http://a.test/hard", 2)
	soft.Skip, soft.Soft, hard.Skip = "trap", true, "out-of-scope"
	res := e.discover(run.ID, soft, hard)
	eq(e, "first", fmt.Sprint(res.Skipped, " ", classes(res)), "2 out-of-scope=1,trap=1")
	res = e.discover(run.ID, link("http://a.test/soft", 1), link("http://a.test/hard", 1))
	eq(e, "second", fmt.Sprint(newByHost(res), " ", res.Skipped, " ", classes(res)), hostA+"=1 -1 trap=-1")
	jobs := e.queue(hostA, 10)
	if len(jobs) != 1 || jobs[0].URL != "http://a.test/soft" || jobs[0].Depth != 1 {
		e.t.Fatalf("queue = %+v; want /soft at depth 1", jobs)
	}
	e.want(`SELECT url, state, coalesce(reason, '-'), depth FROM urls ORDER BY url`,
		"http://a.test/hard|skipped|out-of-scope|2",
		"http://a.test/soft|queued|-|1")
	e.want(`SELECT discovered, skipped FROM runs`, "1|1")
}

// testSeenSetSurvivesReopen: a later process on the same run knows the
// URLs the run has, and goes on numbering discoveries after them.
func testSeenSetSurvivesReopen(e *env) {
	run := e.startRun()
	e.discover(run.ID, link("http://a.test/a", 1), link("http://a.test/b", 1))
	e.b = e.b.Reopen(e.t)
	res := e.discover(run.ID, link("http://a.test/b", 1), link("http://a.test/c", 1))
	eq(e, "after reopen", newByHost(res), hostA+"=1")
	e.want(`SELECT url, seq FROM urls ORDER BY seq`, "http://a.test/a|1", "http://a.test/b|2", "http://a.test/c|3")
}

// testLaterRunRediscovery: a later run takes a known URL into its frontier
// when rediscovered if it is due (fetched before the cutoff, never fetched
// successfully, or changed according to its sitemap lastmod), records a
// skip, and otherwise leaves it; a seed (Revisit) is always taken.
func testLaterRunRediscovery(e *env) {
	r1 := e.startRun()
	names := []string{"a", "b", "c", "d", "e"}
	for _, n := range names {
		e.discover(r1.ID, seed("http://a.test/"+n))
	}
	at := map[string]time.Time{"a": t0, "b": t0.Add(2 * time.Hour), "d": t0, "e": t0.Add(2 * time.Hour)}
	var outs []record.Outcome
	for _, n := range names {
		j := e.job("http://a.test/" + n)
		if n == "c" {
			outs = append(outs, record.Outcome{Job: j, State: record.StateFailed, Reason: "timeout",
				Fetch: &record.Fetch{At: t0, ErrorClass: "timeout"}})
			continue
		}
		o := done(j, at[n], 200)
		o.Fetch.ETag, o.Fetch.ContentHash, o.Fetch.LastModified = `"`+n+`"`, "hash-"+n, "Sun, 01 Mar 2026 09:00:00 GMT"
		outs = append(outs, o)
	}
	e.outcomes(r1.ID, outs...)
	if err := e.b.EndRun(e.ctx, r1.ID, record.RunFinished); err != nil {
		e.t.Fatal(err)
	}
	r2 := e.startRun()
	d := link("http://a.test/d", 1)
	d.Skip = "out-of-scope"
	ch := link("http://a.test/e", 1)
	ch.LastMod = "2026-03-01T13:00:00Z"
	res := e.commit(r2.ID, record.Batch{Cutoff: t0.Add(time.Hour), Outcomes: []record.Outcome{{Discovered: []record.NewURL{
		link("http://a.test/a", 1), link("http://a.test/b", 1), link("http://a.test/c", 1), d, ch}}}})
	eq(e, "result", fmt.Sprint(newByHost(res), " ", res.Skipped, " ", classes(res)), hostA+"=3 1 out-of-scope=1")
	jobs := e.queue(hostA, 10)
	eq(e, "queue", fmt.Sprint(e.urlsOf(jobs)), "[http://a.test/a http://a.test/c http://a.test/e]")
	eq(e, "previous of a", fmt.Sprintf("%+v", jobs[0].Prev), fmt.Sprintf("%+v", record.Previous{FetchID: 1, Status: 200,
		ETag: `"a"`, LastModified: "Sun, 01 Mar 2026 09:00:00 GMT", ContentHash: "hash-a"}))
	eq(e, "previous of c (no response)", fmt.Sprintf("%+v", jobs[1].Prev), fmt.Sprintf("%+v", record.Previous{}))
	e.want(`SELECT url, state, coalesce(reason, '-'), first_run, run_id, depth, seq, coalesce(lastmod, '-'), via FROM urls ORDER BY url`,
		"http://a.test/a|queued|-|1|2|1|6|-|link",
		"http://a.test/b|done|-|1|1|0|2|-|seed",
		"http://a.test/c|queued|-|1|2|1|8|-|link",
		"http://a.test/d|skipped|out-of-scope|1|2|1|9|-|link",
		"http://a.test/e|queued|-|1|2|1|10|2026-03-01T13:00:00Z|link")
	if err := e.b.EndRun(e.ctx, r2.ID, record.RunFinished); err != nil {
		e.t.Fatal(err)
	}
	r3 := e.startRun()
	res = e.commit(r3.ID, record.Batch{Cutoff: t0.Add(time.Hour), Outcomes: []record.Outcome{{Discovered: []record.NewURL{
		seed("http://a.test/b")}}}})
	eq(e, "a seed fetched after the cutoff", newByHost(res), hostA+"=1")
}

// testRequeueStale: a refresh queues again the URLs last fetched before the
// cutoff, never fetched successfully, or changed since according to their
// lastmod, and those skipped for a reason that may have passed.
func testRequeueStale(e *env) {
	r1 := e.startRun()
	f := link("http://a.test/f", 1)
	f.LastMod = "2026-03-01T13:00:00Z"
	out := link("http://a.test/out", 1)
	out.Skip = "out-of-scope"
	e.discover(r1.ID, link("http://a.test/a", 1), link("http://a.test/b", 1), link("http://a.test/c", 1),
		link("http://a.test/d", 1), out, f, link("http://a.test/g", 1))
	e.outcomes(r1.ID, done(e.job("http://a.test/a"), t0, 200), done(e.job("http://a.test/b"), t0.Add(2*time.Hour), 200),
		record.Outcome{Job: e.job("http://a.test/c"), State: record.StateFailed, Reason: "connect", Fetch: &record.Fetch{At: t0, ErrorClass: "connect"}},
		record.Outcome{Job: e.job("http://a.test/d"), State: record.StateSkipped, Reason: "host-parked"},
		done(e.job("http://a.test/f"), t0.Add(2*time.Hour), 200))
	if err := e.b.EndRun(e.ctx, r1.ID, record.RunStopped); err != nil {
		e.t.Fatal(err)
	}
	r2, err := e.b.StartRun(e.ctx, "refresh", []byte(`{}`))
	if err != nil {
		e.t.Fatal(err)
	}
	e.discover(r2.ID) // loads the run's seen set before the requeue
	n, err := e.b.RequeueStale(e.ctx, r2.ID, t0.Add(time.Hour), []string{"host-parked", "deferred"})
	if err != nil {
		e.t.Fatal(err)
	}
	eq(e, "requeued", n, 4)
	e.want(`SELECT url, state, coalesce(reason, '-'), run_id, tries FROM urls ORDER BY url`,
		"http://a.test/a|queued|-|2|0",
		"http://a.test/b|done|-|1|0",
		"http://a.test/c|queued|-|2|0",
		"http://a.test/d|queued|-|2|0",
		"http://a.test/f|queued|-|2|0",
		"http://a.test/g|queued|-|1|0",
		"http://a.test/out|skipped|out-of-scope|1|0")
	res := e.discover(r2.ID, link("http://a.test/a", 1), link("http://a.test/b", 1))
	eq(e, "rediscovered in the refresh", newByHost(res), hostA+"=1")
	eq(e, "queue", fmt.Sprint(e.urlsOf(e.queue(hostA, 10))),
		"[http://a.test/a http://a.test/c http://a.test/d http://a.test/f http://a.test/g http://a.test/b]")
	if n, err := e.b.RequeueStale(e.ctx, r2.ID, t0.Add(time.Hour), nil); err != nil || n != 0 {
		e.t.Errorf("RequeueStale again = %d, %v; want 0", n, err)
	}
}

// testSkipHostAndHostState: a host skip takes the host's queued URLs out of
// the queue, those the same batch discovered too, except those in flight;
// host states are stored as given.
func testSkipHostAndHostState(e *env) {
	run := e.startRun()
	e.discover(run.ID, link("http://a.test/1", 1), link("http://a.test/2", 1), link("http://a.test/3", 1), link("http://b.test/1", 1))
	inFlight := record.URLID("http://a.test/1")
	res := e.commit(run.ID, record.Batch{
		Outcomes: []record.Outcome{{Discovered: []record.NewURL{link("http://a.test/4", 2)}}},
		Hosts: []record.HostState{
			{Host: hostA, RobotsStatus: "ok", RobotsFetchedAt: t0, CrawlDelay: 2 * time.Second, Delay: 1500 * time.Millisecond,
				BackoffUntil: t0.Add(time.Hour), Failures: 2},
			{Host: "http://c.test:80", ParkedReason: "http-5xx", Failures: 5},
		},
		Skips: []record.SkipHost{{Host: hostA, Reason: "max-pages-per-host", Except: []int64{inFlight}}},
	})
	eq(e, "result", fmt.Sprint(newByHost(res), " ", res.Skipped, " ", classes(res)), " 3 max-pages-per-host=3")
	e.want(`SELECT url, state, coalesce(reason, '-') FROM urls ORDER BY url`,
		"http://a.test/1|queued|-",
		"http://a.test/2|skipped|max-pages-per-host",
		"http://a.test/3|skipped|max-pages-per-host",
		"http://a.test/4|skipped|max-pages-per-host",
		"http://b.test/1|queued|-")
	e.want(`SELECT discovered, skipped FROM runs`, "5|3")
	e.want(`SELECT id, host, coalesce(robots_status, '-'), coalesce(robots_fetched_at, '-'), coalesce(crawl_delay_ms, -1),
		coalesce(delay_ms, -1), coalesce(backoff_until, '-'), coalesce(parked_reason, '-'), failures, updated_at IS NOT NULL,
		robots_body IS NULL FROM hosts ORDER BY id`,
		"1|"+hostA+"|ok|2026-03-01T10:00:00.000000000Z|2000|1500|2026-03-01T11:00:00.000000000Z|-|2|1|1",
		"2|"+hostB+"|-|-|-1|-1|-|-|0|0|1",
		"3|http://c.test:80|-|-|-1|-1|-|http-5xx|5|1|1")
	st, err := e.b.HostStates(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	eq(e, "host states", fmt.Sprintf("%+v", []record.HostState{st[hostA], st[hostB], st["http://c.test:80"]}),
		fmt.Sprintf("%+v", []record.HostState{
			{Host: hostA, RobotsStatus: "ok", RobotsFetchedAt: t0, CrawlDelay: 2 * time.Second, Delay: 1500 * time.Millisecond,
				BackoffUntil: t0.Add(time.Hour), Failures: 2},
			{Host: hostB},
			{Host: "http://c.test:80", ParkedReason: "http-5xx", Failures: 5}}))
	eq(e, "hosts", len(st), 3)
	res = e.commit(run.ID, record.Batch{Skips: []record.SkipHost{{Host: hostB, Reason: "host-parked"}}})
	eq(e, "skip without exceptions", fmt.Sprint(res.Skipped, " ", classes(res)), "1 host-parked=1")
	if n, err := e.b.CountQueued(e.ctx); err != nil || n != 1 {
		e.t.Errorf("CountQueued = %d, %v; want 1", n, err)
	}
}

// testRobotsBody: the body is written with a new robots.txt fetch and left
// alone by the frequent delay updates after it; an empty file is stored as
// empty, and a fetch without a body removes it.
func testRobotsBody(e *env) {
	run := e.startRun()
	e.discover(run.ID, link("http://a.test/", 0))
	body := []byte("User-agent: *\nDisallow: /private\n")
	commit := func(h record.HostState) {
		e.t.Helper()
		e.commit(run.ID, record.Batch{Hosts: []record.HostState{h}})
	}
	get := func() []byte {
		e.t.Helper()
		b, err := e.b.RobotsBody(e.ctx, hostA)
		if err != nil {
			e.t.Fatal(err)
		}
		return b
	}
	if got, err := e.b.RobotsBody(e.ctx, "http://unknown.test:80"); err != nil || got != nil {
		e.t.Errorf("RobotsBody of an unknown host = %q, %v; want nil, nil", got, err)
	}
	if got := get(); got != nil {
		e.t.Errorf("RobotsBody before any fetch = %q, want nil", got)
	}
	commit(record.HostState{Host: hostA, RobotsStatus: "ok", RobotsFetchedAt: t0, RobotsBody: body, NewRobots: true})
	commit(record.HostState{Host: hostA, RobotsStatus: "ok", Delay: time.Second})
	eq(e, "after a delay update", string(get()), string(body))
	commit(record.HostState{Host: hostA, RobotsStatus: "ok", RobotsFetchedAt: t0, RobotsBody: []byte{}, NewRobots: true})
	if got := get(); got == nil || len(got) != 0 {
		e.t.Errorf("RobotsBody of an empty file = %q (nil %v); want empty, not nil", got, got == nil)
	}
	commit(record.HostState{Host: hostA, RobotsStatus: "allow-all-4xx", RobotsFetchedAt: t0, NewRobots: true})
	if got := get(); got != nil {
		e.t.Errorf("RobotsBody after a 404 = %q, want nil", got)
	}
}

// testNotModifiedCarriesForward: a 304 carries the content columns of the
// fetch it confirmed, and the items of the rules still configured, into
// its own fetch and run; pages shows it as the 200 it confirmed.
func testNotModifiedCarriesForward(e *env) {
	r1 := e.startRun()
	e.discover(r1.ID, seed("http://a.test/"))
	j := e.job("http://a.test/")
	first := record.Outcome{Job: j, State: record.StateDone, Fetch: &record.Fetch{At: t0, Status: 200,
		ContentType: "text/html", Charset: "utf-8", Size: 500, ETag: `"v1"`, LastModified: "Sun, 01 Mar 2026 09:00:00 GMT",
		ContentHash: "h1", Title: "T", Description: "D", Canonical: "http://a.test/", Lang: "en", MetaRobots: "index",
		NoFollow: true, Facts: []byte(`{"jsonld":[{"@type":"Product","name":"x"}]}`), WordCount: 42, MainText: "main", Change: "new"},
		Links:      []record.Link{{URL: "http://a.test/b", Text: "B"}},
		Items:      []record.Item{{Rule: "r1", Data: []byte(`{"k":1}`)}, {Rule: "r1", Miss: "no price"}, {Rule: "r2", Data: []byte(`{"k":2}`)}},
		Discovered: []record.NewURL{link("http://a.test/b", 1)}}
	res := e.outcomes(r1.ID, first)
	eq(e, "items", res.Items, 2)
	if err := e.b.EndRun(e.ctx, r1.ID, record.RunFinished); err != nil {
		e.t.Fatal(err)
	}
	r2 := e.startRun()
	e.discover(r2.ID, seed("http://a.test/"))
	j = e.job("http://a.test/")
	eq(e, "previous", fmt.Sprintf("%+v", j.Prev), fmt.Sprintf("%+v", record.Previous{FetchID: 1, Status: 200, ETag: `"v1"`,
		LastModified: "Sun, 01 Mar 2026 09:00:00 GMT", ContentHash: "h1"}))
	res = e.outcomes(r2.ID, record.Outcome{Job: j, State: record.StateDone, Fetch: &record.Fetch{At: t0.Add(time.Hour), Status: 304,
		Change: "unchanged", CopyFrom: j.Prev.FetchID, CarryRules: []string{"r1"}}})
	eq(e, "carried items", res.Items, 1)
	bID := record.URLID("http://a.test/b")
	e.want(`SELECT id, run_id, status, change, content_type, charset, size, etag, last_modified, content_hash, title, description,
		canonical, lang, meta_robots, noindex, nofollow, CAST(outlinks AS TEXT), CAST(facts AS TEXT), word_count, main_text FROM fetches ORDER BY id`,
		fmt.Sprintf(`1|1|200|new|text/html|utf-8|500|"v1"|Sun, 01 Mar 2026 09:00:00 GMT|h1|T|D|http://a.test/|en|index|0|1|[[%d,"B"]]|{"jsonld":[{"@type":"Product","name":"x"}]}|42|main`, bID),
		fmt.Sprintf(`2|2|304|unchanged|text/html|utf-8|500|"v1"|Sun, 01 Mar 2026 09:00:00 GMT|h1|T|D|http://a.test/|en|index|0|1|[[%d,"B"]]|{"jsonld":[{"@type":"Product","name":"x"}]}|42|main`, bID))
	e.want(`SELECT run_id, fetch_id, rule, idx, coalesce(CAST(data AS TEXT), '-'), coalesce(miss, '-') FROM items ORDER BY id`,
		`1|1|r1|0|{"k":1}|-`, `1|1|r1|1|-|no price`, `1|1|r2|2|{"k":2}|-`,
		`2|2|r1|0|{"k":1}|-`, `2|2|r1|1|-|no price`)
	e.want(`SELECT url, run_id, status, http_status, change, title, outlink_count FROM pages`, "http://a.test/|2|200|304|unchanged|T|1")
	e.want(`SELECT run_id, kind, new, changed, unchanged, gone, newly_broken_links FROM run_changes ORDER BY run_id`,
		"1|crawl|1|0|0|0|0", "2|crawl|0|0|1|0|0")
	e.want(`SELECT rule, url, run_id, fetched_at, idx, coalesce(CAST(data AS TEXT), '-'), coalesce(miss, '-') FROM item_rows WHERE run_id = 2 ORDER BY item_id`,
		`r1|http://a.test/|2|2026-03-01T11:00:00.000000000Z|0|{"k":1}|-`, `r1|http://a.test/|2|2026-03-01T11:00:00.000000000Z|1|-|no price`)
}

// testGoneRun: a page gone (404 after 200) records the run it went in; a
// later answer clears it, and an outcome without a fetch leaves it.
func testGoneRun(e *env) {
	steps := []struct {
		out  func(record.Job) record.Outcome
		want string
	}{
		{func(j record.Job) record.Outcome { o := done(j, t0, 200); o.Fetch.Change = "new"; return o }, "-"},
		{func(j record.Job) record.Outcome { o := done(j, t0, 404); o.Fetch.Change = "gone"; return o }, "2"},
		{func(j record.Job) record.Outcome {
			return record.Outcome{Job: j, State: record.StateFailed, Reason: "robots-unreachable"}
		}, "2"},
		{func(j record.Job) record.Outcome { o := done(j, t0, 200); o.Fetch.Change = "changed"; return o }, "-"},
	}
	for i, s := range steps {
		run := e.startRun()
		e.discover(run.ID, seed("http://a.test/"))
		e.outcomes(run.ID, s.out(e.job("http://a.test/")))
		e.want(`SELECT coalesce(CAST(gone_run AS TEXT), '-') FROM urls`, s.want)
		if e.t.Failed() {
			e.t.Fatalf("after run %d", i+1)
		}
		if err := e.b.EndRun(e.ctx, run.ID, record.RunFinished); err != nil {
			e.t.Fatal(err)
		}
	}
}

// testRetryAt: a URL put off to a later run keeps when it may be asked
// again, and hands it to the job; an outcome without it clears it.
func testRetryAt(e *env) {
	r1 := e.startRun()
	e.discover(r1.ID, seed("http://a.test/"))
	e.outcomes(r1.ID, record.Outcome{Job: e.job("http://a.test/"), State: record.StateSkipped, Reason: "deferred",
		RetryAt: t0.Add(48 * time.Hour)})
	e.want(`SELECT state, reason, retry_at FROM urls`, "skipped|deferred|2026-03-03T10:00:00.000000000Z")
	if err := e.b.EndRun(e.ctx, r1.ID, record.RunFinished); err != nil {
		e.t.Fatal(err)
	}
	r2 := e.startRun()
	if n, err := e.b.RequeueStale(e.ctx, r2.ID, t0, []string{"deferred"}); err != nil || n != 1 {
		e.t.Fatalf("RequeueStale = %d, %v", n, err)
	}
	j := e.job("http://a.test/")
	if !j.RetryAt.Equal(t0.Add(48 * time.Hour)) {
		e.t.Errorf("job RetryAt = %v, want %v", j.RetryAt, t0.Add(48*time.Hour))
	}
	e.outcomes(r2.ID, done(j, t0.Add(49*time.Hour), 200))
	e.want(`SELECT state, coalesce(retry_at, '-') FROM urls`, "done|-")
}
