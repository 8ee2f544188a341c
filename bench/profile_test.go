package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/record"
)

// BenchmarkCrawl runs trawl's crawler in process, the way `trawl crawl` does,
// over the benchmark's generated site, so that it can be profiled (the trawl
// binary has no pprof flag). The site has TRAWL_BENCH_PAGES pages (default
// 20000) on 4 hosts, 10-30 KB pages with 20-60 links (TRAWL_BENCH_LONGTAIL=1:
// the long-tailed site of `go run ./bench`); concurrency 16, 4 per host, no
// delay. Set TRAWL_BENCH_THROTTLE=1 to keep the auto-throttle on,
// TRAWL_BENCH_WARC=1 to write WARC files as --warc does, and
// TRAWL_BENCH_LINGER (a duration) to delay every commit, which makes batches
// larger. TRAWL_BENCH_HEAPPROFILE=file writes the in-use heap at the end of the crawl,
// while the crawler and the store are still alive. TRAWL_BENCH_TRACE=file
// writes an execution trace of a window of the first crawl, from
// TRAWL_BENCH_TRACE_START (default 5s) after it began, for
// TRAWL_BENCH_TRACE_FOR (default 5s), for bench/goroutines to read. The
// fixture servers run in the same process, so their functions (package
// fixtures, net/http's server side) appear in the profile and the trace too,
// and in the process's CPU per wall second that it reports (cpu/wall).
//
//	go test -run '^$' -bench Crawl -benchtime 1x -cpuprofile cpu.out ./bench
//	go tool pprof -top cpu.out
func BenchmarkCrawl(b *testing.B) {
	pages := 20000
	if v := os.Getenv("TRAWL_BENCH_PAGES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 {
			b.Fatalf("TRAWL_BENCH_PAGES=%q: want a number of at least 4", v)
		}
		pages = n
	}
	cfg := crawler.DefaultConfig()
	cfg.Delay = 0
	cfg.Concurrency, cfg.PerHost = 16, 4
	cfg.AutoThrottle = os.Getenv("TRAWL_BENCH_THROTTLE") == "1"
	if os.Getenv("TRAWL_BENCH_REAL") == "1" {
		// The four documentation sites of `bench real`, as it crawls them.
		if err := ensureDocs(context.Background(), false); err != nil {
			b.Skip(err)
		}
		for i, s := range docSites {
			h, err := fixtures.StartStatic(fixtures.HostConfig{IP: "127.0.0." + strconv.Itoa(2+i), DisableLog: true}, os.DirFS(s.root))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { h.Close() })
			cfg.Seeds = append(cfg.Seeds, h.URL+"/")
		}
		cfg.PerHost, cfg.AutoThrottle = 8, true
	} else {
		// The uniform site unless asked for `go run ./bench`'s long tail.
		site := options{pages: pages, hosts: 4, uniform: os.Getenv("TRAWL_BENCH_LONGTAIL") != "1"}.site()
		cl := fixtures.MustGenerated(b, site)
		cfg.Seeds = cl.Seeds()
	}
	if os.Getenv("TRAWL_BENCH_WARC") == "1" {
		cfg.WARC = b.TempDir() // the cost of --warc, in the profile
	}
	var linger time.Duration
	if v := os.Getenv("TRAWL_BENCH_LINGER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("TRAWL_BENCH_LINGER=%q: %v", v, err)
		}
		linger = d
	}
	tracePath := os.Getenv("TRAWL_BENCH_TRACE")
	traceStart, traceFor := envDuration(b, "TRAWL_BENCH_TRACE_START", 5*time.Second), envDuration(b, "TRAWL_BENCH_TRACE_FOR", 5*time.Second)
	ctx := context.Background()
	var total, commits, outcomes int64
	var commitTime, cpu, wall time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		conf, err := json.Marshal(cfg)
		if err != nil {
			b.Fatal(err)
		}
		run, err := db.StartRun(ctx, "crawl", conf)
		if err != nil {
			b.Fatal(err)
		}
		cs := &countingStore{DB: db, linger: linger}
		c, err := crawler.New(cfg, cs, run.ID, nil)
		if err != nil {
			b.Fatal(err)
		}
		var tw *traceWindow
		if tracePath != "" && i == 0 {
			tw = startTraceWindow(tracePath, traceStart, traceFor)
		}
		b.StartTimer()
		u0, t0 := selfUsage(), time.Now()
		res, err := c.Run(ctx)
		wall += time.Since(t0)
		cpu += selfUsage().cpu() - u0.cpu()
		if tw != nil {
			reportWindow(b, tw.finish(), tracePath)
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := db.EndRun(ctx, run.ID, res.Status); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if path := os.Getenv("TRAWL_BENCH_HEAPPROFILE"); path != "" {
			writeHeapProfile(b, path)
		}
		runtime.KeepAlive(c)
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		total += res.Stats.Pages
		commits += cs.commits
		outcomes += cs.outcomes
		commitTime += cs.elapsed
	}
	b.ReportMetric(float64(total)/float64(b.N), "pages/op")
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cpu/wall")
	b.ReportMetric(float64(commits)/float64(b.N), "commits/op")
	if commits > 0 {
		b.ReportMetric(float64(outcomes)/float64(commits), "outcomes/commit")
		b.ReportMetric(float64(commitTime.Microseconds())/float64(commits), "µs/commit")
	}
}

// envDuration is the duration in the environment variable name, or def.
func envDuration(b *testing.B, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		b.Fatalf("%s=%q: want a duration such as 5s", name, v)
	}
	return d
}

// reportWindow says what the traced window measured, and fails the
// benchmark when there is no trace to read.
func reportWindow(b *testing.B, w windowResult, path string) {
	switch {
	case w.err != nil:
		b.Fatalf("trace %s: %v", path, w.err)
	case !w.traced:
		b.Fatalf("no trace written to %s: the crawl ended before TRAWL_BENCH_TRACE_START", path)
	}
	b.Logf("trace %s: %.2f s of wall, process CPU %.2f s (%.2f cores), load average %s before, %s after",
		path, w.wall.Seconds(), w.cpu.Seconds(), w.cpu.Seconds()/w.wall.Seconds(), w.loadBefore, w.loadAfter)
	b.ReportMetric(w.cpu.Seconds()/w.wall.Seconds(), "window-cpu/wall")
}

// writeHeapProfile writes the in-use heap, after a collection, to path.
func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// countingStore counts the crawler's commits, the outcomes they carry and the
// time they take. Commit is called from one goroutine only (crawler.Store's
// contract), so the counters need no lock. A non-zero linger makes each commit
// wait that long first, so that more outcomes queue up for the next one: an
// experiment on how batch size affects throughput.
type countingStore struct {
	*store.DB
	linger            time.Duration
	commits, outcomes int64
	elapsed           time.Duration
}

// Commit counts and forwards to the store.
func (s *countingStore) Commit(ctx context.Context, runID int64, b record.Batch) (record.CommitResult, error) {
	time.Sleep(s.linger)
	start := time.Now()
	res, err := s.DB.Commit(ctx, runID, b)
	s.elapsed += time.Since(start)
	s.commits++
	s.outcomes += int64(len(b.Outcomes))
	return res, err
}
