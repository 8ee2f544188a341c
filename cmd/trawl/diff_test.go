package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/record"
)

// TestDiffHidesNotFetched checks that diff lists what changed and, unless
// --all, leaves out the URLs that RUN_B did not fetch (in a refresh run,
// most of them) and those that did not change, counting them on stderr.
func TestDiffHidesNotFetched(t *testing.T) {
	db := fixtureDB(t) // run 2 refetches / unchanged; /b and /c only in run 1
	r := trawl(t, "diff", db, "1", "2", "--format", "csv")
	if r.code != exitOK || r.stdout != "url,diff,status_a,status_b,title_a,title_b\n" {
		t.Fatalf("diff 1 2: exit %d, stdout %q; want the header only", r.code, r.stdout)
	}
	if r.stderr != "trawl: diff: not shown: 2 not-fetched and 1 same URLs (--all shows them)\n" {
		t.Fatalf("diff 1 2: stderr %q", r.stderr)
	}

	r = trawl(t, "diff", db, "1", "2", "--format", "csv", "--all")
	want := `url,diff,status_a,status_b,title_a,title_b
http://a.test/b,not-fetched,200,,B,
http://a.test/c,not-fetched,404,,,
http://a.test/,same,200,200,Home,Home v2
`
	if r.code != exitOK || r.stdout != want || r.stderr != "" {
		t.Fatalf("diff 1 2 --all: exit %d, stdout\n%s\nstderr %q; want\n%s", r.code, r.stdout, r.stderr, want)
	}

	r = trawl(t, "diff", db, "2", "1", "--format", "csv")
	if r.code != exitOK || strings.Count(r.stdout, ",added,") != 2 || !strings.Contains(r.stderr, "0 not-fetched and 1 same") {
		t.Fatalf("diff 2 1: exit %d, stdout %q, stderr %q; want the two added URLs", r.code, r.stdout, r.stderr)
	}
}

// TestDiffComparesPagesAsPagesDoes: diff reads the pages of each run as the
// pages view shows them. A 304 that confirmed no stored copy (a server that
// answers 304 to a plain GET) stays 304, as in pages, rather than passing
// for a 200; and a sitemap file, read but not a page, is not compared.
func TestDiffComparesPagesAsPagesDoes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "diff.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	job := func(u, via string) record.Job {
		return record.Job{ID: record.URLID(u), URL: u, Host: fixtureHost, Via: via}
	}
	page, sitemap := "http://a.test/odd", "http://a.test/sitemap.xml"
	for i, status := range []int{304, 200} {
		run, err := db.StartRun(ctx, "crawl", []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{{Discovered: []record.NewURL{
			{URL: page, Host: fixtureHost, Via: "seed", Revisit: true},
			{URL: sitemap, Host: fixtureHost, Via: "sitemap", Revisit: true}}}}})
		if err != nil {
			t.Fatal(err)
		}
		change := []string{"new", "changed"}[i]
		_, err = db.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{
			{Job: job(page, "seed"), State: record.StateDone, Fetch: &record.Fetch{At: at, Status: status, Change: change}},
			{Job: job(sitemap, "sitemap"), State: record.StateDone, NotPage: true,
				Fetch: &record.Fetch{At: at, Status: []int{200, 404}[i], Change: change}}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.EndRun(ctx, run.ID, record.RunFinished); err != nil {
			t.Fatal(err)
		}
	}
	r := trawl(t, "query", path, `SELECT status, http_status FROM run_pages WHERE run_id = 1`, "--format", "csv")
	if r.code != exitOK || r.stdout != "status,http_status\n304,304\n" {
		t.Fatalf("run_pages of run 1: exit %d, %q %s; want one page with status 304", r.code, r.stdout, r.stderr)
	}
	r = trawl(t, "diff", path, "1", "2", "--format", "csv", "--all")
	want := "url,diff,status_a,status_b,title_a,title_b\n" + page + ",status,304,200,,\n"
	if r.code != exitOK || r.stdout != want {
		t.Fatalf("diff 1 2: exit %d, stdout\n%s\nstderr %q; want\n%s", r.code, r.stdout, r.stderr, want)
	}
}
