package store

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/store/record"
)

// BenchmarkCommit measures the writer's transaction on a batch shaped like a
// crawl's: 64 fetched HTML pages, each with facts, main text, 50 outlinks
// (10 shared navigation links, 40 new pages) discovered at once, and a host
// update. One op is one batch; pages/s is what the writer could sustain.
func BenchmarkCommit(b *testing.B) {
	ctx := context.Background()
	db, _ := mustOpen(b)
	run := mustRun(b, db)
	const perBatch, navLinks, newLinks = 64, 10, 40
	page := func(n int) string { return "http://a.test/p/" + strconv.Itoa(n) }
	var seeds []record.NewURL
	for n := range perBatch {
		seeds = append(seeds, nu(page(n), 1))
	}
	if _, err := db.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{{Discovered: seeds}}}); err != nil {
		b.Fatal(err)
	}
	facts := []byte(`{"headings":[{"level":1,"text":"A page"}],"og":{"title":"A page"}}`)
	text := strings.Repeat("Some words of the main text of a page. ", 30)
	batch := func(i int) record.Batch {
		outs := make([]record.Outcome, perBatch)
		for j := range outs {
			n := i*perBatch + j
			u := page(n)
			links := make([]record.Link, 0, navLinks+newLinks)
			found := make([]record.NewURL, 0, navLinks+newLinks)
			for k := range navLinks {
				links = append(links, record.Link{URL: page(k), Text: "nav " + strconv.Itoa(k)})
			}
			for k := range newLinks {
				links = append(links, record.Link{URL: page(newLinks*n + k + perBatch), Text: "a link & more"})
			}
			for _, l := range links {
				found = append(found, record.NewURL{URL: l.URL, Host: hostA, Depth: 2, Via: "link", ParentID: record.URLID(u)})
			}
			outs[j] = record.Outcome{
				Job:   record.Job{ID: record.URLID(u), URL: u, Host: hostA, Depth: 1, Via: "link"},
				State: record.StateDone,
				Fetch: &record.Fetch{At: time.Now(), Duration: 12 * time.Millisecond, Status: 200,
					ContentType: "text/html; charset=utf-8", Size: 24000, ContentHash: "0123456789abcdef0123456789abcdef",
					Title: "A page", Description: "What the page is about", Lang: "en", Change: "new",
					Facts: facts, WordCount: 240, MainText: text, Proto: "HTTP/1.1"},
				Links:      links,
				Discovered: found,
			}
		}
		return record.Batch{Outcomes: outs, Hosts: []record.HostState{{Host: hostA, RobotsStatus: "ok", Delay: time.Second}}}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		bt := batch(i)
		b.StartTimer()
		if _, err := db.Commit(ctx, run.ID, bt); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i*perBatch)/b.Elapsed().Seconds(), "pages/s")
}
