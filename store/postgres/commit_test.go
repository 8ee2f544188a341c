package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/store/postgres"
	"github.com/trawl-crawler/trawl/store/record"
)

// The tests here hold the set-based commit to what single statements in
// the batch's order give (the SQLite backend's commit) in the cases where
// sending a batch's rows table by table would reorder them: one URL named
// twice in one batch, in different roles.

const host = "http://a.test:80"

func commit(t *testing.T, db *postgres.DB, runID int64, b record.Batch) record.CommitResult {
	t.Helper()
	res, err := db.Commit(context.Background(), runID, b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func rows(t *testing.T, db *postgres.DB, q string) string {
	t.Helper()
	r, err := db.Pool().Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for r.Next() {
		vals, err := r.Values()
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for _, v := range vals {
			cols = append(cols, fmt.Sprint(v))
		}
		out = append(out, strings.Join(cols, "|"))
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

func queued(t *testing.T, db *postgres.DB, u string) record.Job {
	t.Helper()
	jobs, err := db.QueuedURLs(context.Background(), host, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.URL == u {
			return j
		}
	}
	t.Fatalf("%s not queued", u)
	return record.Job{}
}

func newRun(t *testing.T, db *postgres.DB) int64 {
	t.Helper()
	r, err := db.StartRun(context.Background(), "crawl", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

var at = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// TestCommitSameJobTwice: a batch with two outcomes of one URL (a retry,
// then its answer) applies both, in order.
func TestCommitSameJobTwice(t *testing.T) {
	db := open(t, pg.NewDatabase(t))
	run := newRun(t, db)
	commit(t, db, run, record.Batch{Outcomes: []record.Outcome{{Discovered: []record.NewURL{
		{URL: "http://a.test/", Host: host, Via: "seed"}}}}})
	j := queued(t, db, "http://a.test/")
	retry := record.Outcome{Job: j, State: record.StateQueued, Fetch: &record.Fetch{At: at, ErrorClass: "timeout", Size: 1}}
	j.Tries++
	ok := record.Outcome{Job: j, State: record.StateDone, Fetch: &record.Fetch{At: at.Add(time.Second), Status: 200, Size: 2}}
	res := commit(t, db, run, record.Batch{Outcomes: []record.Outcome{retry, ok}})
	if res.Pages != 1 || res.Bytes != 3 {
		t.Errorf("result = %+v; want 1 page, 3 bytes", res)
	}
	if got := rows(t, db, `SELECT state, tries, last_fetch_id, fetched_at FROM urls`); got != "done|1|2|2026-03-01T10:00:01.000000000Z" {
		t.Errorf("url = %s", got)
	}
	if got := rows(t, db, `SELECT id, attempt, coalesce(status, 0), coalesce(error_class, '-') FROM fetches ORDER BY id`); got != "1|1|0|timeout\n2|2|200|-" {
		t.Errorf("fetches = %s", got)
	}
	if got := rows(t, db, `SELECT pages, retries, bytes FROM runs`); got != "1|1|3" {
		t.Errorf("run = %s", got)
	}
}

// TestCommitRediscoveryAfterJob: a URL of an earlier run fetched by one
// outcome and rediscovered (as a seed) by a later outcome of the same batch
// is not queued again: the fetch took it into the run first.
func TestCommitRediscoveryAfterJob(t *testing.T) {
	db := open(t, pg.NewDatabase(t))
	r1 := newRun(t, db)
	seed := record.NewURL{URL: "http://a.test/", Host: host, Via: "seed", Revisit: true}
	commit(t, db, r1, record.Batch{Outcomes: []record.Outcome{{Discovered: []record.NewURL{seed}}}})
	j := queued(t, db, "http://a.test/")
	r2 := newRun(t, db)
	// A job of r1's queue fetched in r2 (the URL is not in r2's frontier).
	res := commit(t, db, r2, record.Batch{Outcomes: []record.Outcome{
		{Job: j, State: record.StateDone, Fetch: &record.Fetch{At: at, Status: 200}},
		{Discovered: []record.NewURL{seed}},
	}})
	if len(res.NewByHost) != 0 {
		t.Errorf("NewByHost = %v; want none", res.NewByHost)
	}
	if got := rows(t, db, `SELECT state, run_id, tries, last_fetch_id FROM urls`); got != fmt.Sprintf("done|%d|0|1", r2) {
		t.Errorf("url = %s", got)
	}
	// Rediscovered first, then fetched: queued by the discovery, done by
	// the fetch, and counted as discovered.
	r3 := newRun(t, db)
	res = commit(t, db, r3, record.Batch{Outcomes: []record.Outcome{
		{Discovered: []record.NewURL{seed}},
		{Job: j, State: record.StateDone, Fetch: &record.Fetch{At: at.Add(time.Hour), Status: 200}},
	}})
	if res.NewByHost[host] != 1 {
		t.Errorf("NewByHost = %v; want 1 for %s", res.NewByHost, host)
	}
	if got := rows(t, db, `SELECT state, run_id, last_fetch_id FROM urls`); got != fmt.Sprintf("done|%d|2", r3) {
		t.Errorf("url = %s", got)
	}
}

// TestCommitSoftSkipRescuedInBatch: a URL skipped softly and discovered
// again without a skip in the same batch is queued, and counts once as
// discovered and not as skipped.
func TestCommitSoftSkipRescuedInBatch(t *testing.T) {
	db := open(t, pg.NewDatabase(t))
	run := newRun(t, db)
	soft := record.NewURL{URL: "http://a.test/trap", Host: host, Via: "link", Depth: 3, Skip: "trap", Soft: true}
	plain := record.NewURL{URL: "http://a.test/trap", Host: host, Via: "link", Depth: 1}
	res := commit(t, db, run, record.Batch{Outcomes: []record.Outcome{{Discovered: []record.NewURL{soft}}, {Discovered: []record.NewURL{plain, plain}}}})
	if res.NewByHost[host] != 1 || res.Skipped != 0 || res.Classes["trap"] != 0 {
		t.Errorf("result = %+v; want one new URL, none skipped", res)
	}
	if got := rows(t, db, `SELECT state, coalesce(reason, '-'), depth FROM urls`); got != "queued|-|1" {
		t.Errorf("url = %s", got)
	}
	if got := rows(t, db, `SELECT discovered, skipped FROM runs`); got != "1|0" {
		t.Errorf("run = %s", got)
	}
	// It is no longer soft: a later skip of it is not undone.
	res = commit(t, db, run, record.Batch{Outcomes: []record.Outcome{{Discovered: []record.NewURL{plain}}}})
	if len(res.NewByHost) != 0 {
		t.Errorf("second result = %+v; want nothing new", res)
	}
}

// TestCommitItemOrder: items get ids in the batch's order, fetch by fetch,
// the items a 304 carries forward before its own.
func TestCommitItemOrder(t *testing.T) {
	db := open(t, pg.NewDatabase(t))
	r1 := newRun(t, db)
	urls := []record.NewURL{{URL: "http://a.test/1", Host: host, Via: "seed", Revisit: true},
		{URL: "http://a.test/2", Host: host, Via: "seed", Revisit: true}}
	commit(t, db, r1, record.Batch{Outcomes: []record.Outcome{{Discovered: urls}}})
	j1 := queued(t, db, "http://a.test/1")
	commit(t, db, r1, record.Batch{Outcomes: []record.Outcome{{Job: j1, State: record.StateDone,
		Fetch: &record.Fetch{At: at, Status: 200, ETag: "e"},
		Items: []record.Item{{Rule: "r", Data: []byte(`{"n":1}`)}, {Rule: "s", Data: []byte(`{"n":2}`)}}}}})
	r2 := newRun(t, db)
	commit(t, db, r2, record.Batch{Outcomes: []record.Outcome{{Discovered: urls}}})
	j1, j2 := queued(t, db, "http://a.test/1"), queued(t, db, "http://a.test/2")
	res := commit(t, db, r2, record.Batch{Outcomes: []record.Outcome{
		{Job: j1, State: record.StateDone, Fetch: &record.Fetch{At: at.Add(time.Hour), Status: 304, CopyFrom: j1.Prev.FetchID,
			CarryRules: []string{"r"}}, Items: []record.Item{{Rule: "t", Data: []byte(`{"n":3}`)}}},
		{Job: j2, State: record.StateDone, Fetch: &record.Fetch{At: at.Add(time.Hour), Status: 200},
			Items: []record.Item{{Rule: "r", Miss: "none"}, {Rule: "r", Data: []byte(`{"n":4}`)}}},
	}})
	if res.Items != 3 {
		t.Errorf("items = %d; want 3 (one carried, two new)", res.Items)
	}
	want := "1|1|r|0|{\"n\":1}\n2|1|s|1|{\"n\":2}\n3|2|r|0|{\"n\":1}\n4|2|t|0|{\"n\":3}\n5|3|r|0|-\n6|3|r|1|{\"n\":4}"
	if got := rows(t, db, `SELECT id, fetch_id, rule, idx, coalesce(data::text, '-') FROM items ORDER BY id`); got != want {
		t.Errorf("items:\n%s\nwant:\n%s", got, want)
	}
	if got := rows(t, db, `SELECT id, coalesce(etag, '-') FROM fetches ORDER BY id`); got != "1|e\n2|e\n3|-" {
		t.Errorf("fetches = %s", got)
	}
}

// TestCommitHostTwice: two states of one host in a batch: the later wins,
// and a robots.txt body stays until a new robots.txt fetch replaces it.
func TestCommitHostTwice(t *testing.T) {
	db := open(t, pg.NewDatabase(t))
	run := newRun(t, db)
	commit(t, db, run, record.Batch{Hosts: []record.HostState{
		{Host: host, RobotsStatus: "ok", NewRobots: true, RobotsBody: []byte("User-agent: *"), Failures: 1},
		{Host: host, RobotsStatus: "ok", Failures: 2, Delay: time.Second},
	}})
	if got := rows(t, db, `SELECT id, robots_status, failures, delay_ms, convert_from(robots_body, 'UTF8') FROM hosts`); got != "1|ok|2|1000|User-agent: *" {
		t.Errorf("host = %s", got)
	}
}

// TestCommitFailsInTheDatabase: a batch that the database refuses after
// part of it was sent (a fetch recorded, then a URL that breaks the
// unique URL constraint) stores nothing, names what failed, and the
// retry without that URL commits.
func TestCommitFailsInTheDatabase(t *testing.T) {
	ctx := context.Background()
	db := open(t, pg.NewDatabase(t))
	run := newRun(t, db)
	commit(t, db, run, record.Batch{Outcomes: []record.Outcome{{Discovered: []record.NewURL{
		{URL: "http://a.test/", Host: host, Via: "seed"}}}}})
	// A row holding the URL under another id, as no commit writes it.
	if _, err := db.Pool().Exec(ctx, `INSERT INTO urls(id, url, host_id, depth, seq, state, via, first_run, run_id)
		VALUES (1, 'http://a.test/dup', 1, 1, 99, 'done', 'link', $1, $1)`, run); err != nil {
		t.Fatal(err)
	}
	j := queued(t, db, "http://a.test/")
	out := record.Outcome{Job: j, State: record.StateDone, Fetch: &record.Fetch{At: at, Status: 200},
		Discovered: []record.NewURL{{URL: "http://a.test/new", Host: host, Via: "link", Depth: 1},
			{URL: "http://a.test/dup", Host: host, Via: "link", Depth: 1}}}
	_, err := db.Commit(ctx, run, record.Batch{Outcomes: []record.Outcome{out},
		Hosts: []record.HostState{{Host: "http://b.test:80", RobotsStatus: "ok"}}})
	if err == nil || !strings.Contains(err.Error(), "add URLs") || !strings.Contains(err.Error(), "23505") {
		t.Fatalf("commit of a URL the database refuses: err = %v; want a unique violation in adding URLs", err)
	}
	if got := rows(t, db, `SELECT (SELECT count(*) FROM fetches), (SELECT count(*) FROM urls), (SELECT count(*) FROM hosts),
		(SELECT pages FROM runs)`); got != "0|2|1|0" {
		t.Errorf("after the failed commit: fetches|urls|hosts|pages = %s; want 0|2|1|0", got)
	}
	out.Discovered = out.Discovered[:1]
	commit(t, db, run, record.Batch{Outcomes: []record.Outcome{out}})
	if got := rows(t, db, `SELECT (SELECT count(*) FROM fetches), (SELECT count(*) FROM urls), (SELECT pages FROM runs)`); got != "1|3|1" {
		t.Errorf("after the retry: fetches|urls|pages = %s; want 1|3|1", got)
	}
}
