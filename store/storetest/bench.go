package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/store/record"
)

// Committer is what BenchmarkCommit needs of a backend.
type Committer interface {
	crawler.Store
	StartRun(ctx context.Context, kind string, config []byte) (*record.Run, error)
}

// BenchmarkCommit measures the writer's side of a crawl on st: batches of
// pages, each with 40 links of which 20 are new URLs, as a link-rich site
// gives. The crawl's writer commits what accumulated while the last commit
// ran, so batches are large when commits are slow and small when they are
// fast: batch=32 measures throughput, batch=1 the cost of a commit itself.
// It reports pages/s; the same numbers for every backend make them
// comparable.
func BenchmarkCommit(b *testing.B, st Committer) {
	for _, size := range []int{32, 1} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) { benchmarkCommit(b, st, size) })
	}
}

func benchmarkCommit(b *testing.B, st Committer, batch int) {
	ctx := context.Background()
	run, err := st.StartRun(ctx, "crawl", []byte(`{}`))
	if err != nil {
		b.Fatal(err)
	}
	const perPage = 40
	// The URLs are the run's own: the benchmark function runs several
	// times on one store, and each run must find new URLs, not the last
	// run's.
	url := func(n int) string { return fmt.Sprintf("http://a.test/r%d/page/%d", run.ID, n) }
	if _, err := st.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{{Discovered: []record.NewURL{
		{URL: url(0), Host: hostA, Via: "seed"}}}}}); err != nil {
		b.Fatal(err)
	}
	page, next := 0, 1
	b.ResetTimer()
	for range b.N {
		outs := make([]record.Outcome, batch)
		for i := range outs {
			o := record.Outcome{Job: record.Job{ID: record.URLID(url(page)), URL: url(page), Host: hostA, Depth: 1},
				State: record.StateDone, Fetch: &record.Fetch{At: time.Now(), Status: 200, Size: 20000,
					ContentType: "text/html", Title: "A page", ContentHash: "0123456789abcdef", WordCount: 300}}
			for k := range perPage {
				n := next + k/2 // each new URL is linked twice: half the links are known
				o.Links = append(o.Links, record.Link{URL: url(n), Text: "link text"})
				o.Discovered = append(o.Discovered, record.NewURL{URL: url(n), Host: hostA, Depth: 2, Via: "link", ParentID: o.Job.ID})
			}
			next += perPage / 2
			page++
			outs[i] = o
		}
		if _, err := st.Commit(ctx, run.ID, record.Batch{Outcomes: outs}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "pages/s")
}
