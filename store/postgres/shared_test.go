package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/postgres"
	"github.com/trawl-crawler/trawl/store/record"
)

// The shared-crawl tests run each worker as a process of its own (this
// test binary again, see workerMain), so that SIGKILL and SIGSTOP are
// real; the sites are fixtures served by the test on loopback hosts.

// Environment of a worker process.
const (
	envWorkerDSN   = "TRAWL_TEST_WORKER_DSN"
	envWorkerSeeds = "TRAWL_TEST_WORKER_SEEDS"
	envWorkerBench = "TRAWL_TEST_WORKER_BENCH" // "1": the benchmark's settings (benchConfig)
)

// Settings of the shared crawls: a short lease, so that a killed worker's
// hosts come back within seconds.
const (
	sharedHeartbeat = 100 * time.Millisecond
	sharedLease     = 1 * time.Second
	sharedDelay     = 30 * time.Millisecond
	sharedPerHost   = 1
)

func sharedConfig(seeds []string) crawler.Config {
	cfg := crawler.DefaultConfig()
	cfg.Seeds = seeds
	cfg.Concurrency = 3
	cfg.PerHost = sharedPerHost
	cfg.Delay = crawler.Duration(sharedDelay)
	cfg.AutoThrottle = false
	cfg.RetryBase = crawler.Duration(10 * time.Millisecond)
	return cfg
}

// benchConfig is the benchmark's crawl: as fast as the site and the store
// allow.
func benchConfig(seeds []string) crawler.Config {
	cfg := sharedConfig(seeds)
	cfg.Concurrency, cfg.PerHost, cfg.Delay = 16, 2, 0
	return cfg
}

// workerMain is a worker process: it crawls the database of envWorkerDSN
// (a SQLite file for "sqlite:FILE") with the seeds of envWorkerSeeds until
// the run's work is over or it is told to stop (SIGTERM), and returns its
// exit code. It prints its pages and what leasing cost it.
func workerMain() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg := sharedConfig(strings.Fields(os.Getenv(envWorkerSeeds)))
	if os.Getenv(envWorkerBench) == "1" {
		cfg = benchConfig(cfg.Seeds)
	}
	var db crawler.RunStore
	var pgdb *postgres.DB
	if file, ok := strings.CutPrefix(os.Getenv(envWorkerDSN), "sqlite:"); ok {
		sq, err := store.Open(ctx, file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			return 2
		}
		defer sq.Close()
		db = sq
	} else {
		var err error
		opts := []postgres.Option{postgres.Heartbeat(sharedHeartbeat, sharedLease)}
		if os.Getenv(envWorkerBench) == "1" {
			opts = nil // the defaults
		}
		if pgdb, err = postgres.Open(ctx, os.Getenv(envWorkerDSN), opts...); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			return 2
		}
		defer pgdb.Close()
		db = pgdb
	}
	inv := &crawler.Invocation{Config: cfg}
	cr, err := crawler.Begin(ctx, db, inv, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 2
	}
	defer cr.Close(context.Background())
	end, err := cr.Run(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	var claims, trips int64
	if pgdb != nil {
		claims, trips = pgdb.LeaseStats()
	}
	fmt.Printf("worker: status=%s pages=%d claims=%d trips=%d\n", end.Status, end.Stats.Pages, claims, trips)
	return 0
}

// worker is a running worker process.
type worker struct {
	cmd    *exec.Cmd
	out    strings.Builder
	exited chan error
}

func startWorker(t testing.TB, dsn string, seeds []string, env ...string) *worker {
	t.Helper()
	w := &worker{cmd: exec.Command(os.Args[0], "-test.run=^$"), exited: make(chan error, 1)}
	w.cmd.Env = append(os.Environ(), envWorkerDSN+"="+dsn, envWorkerSeeds+"="+strings.Join(seeds, " "))
	w.cmd.Env = append(w.cmd.Env, env...)
	w.cmd.Stdout, w.cmd.Stderr = &w.out, &w.out
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.exited <- w.cmd.Wait() }()
	t.Cleanup(func() {
		w.cmd.Process.Kill()
		<-w.exited
		w.exited <- nil
	})
	return w
}

// wait waits for the worker to exit, and fails t unless it exited 0.
func (w *worker) wait(t testing.TB) {
	t.Helper()
	select {
	case err := <-w.exited:
		w.exited <- err
		if err != nil {
			t.Fatalf("worker %d: %v\n%s", w.cmd.Process.Pid, err, w.out.String())
		}
	case <-time.After(3 * time.Minute):
		w.kill()
		t.Fatalf("worker %d still ran after 3 minutes\n%s", w.cmd.Process.Pid, w.out.String())
	}
}

// kill sends SIGKILL and waits for the worker to die.
func (w *worker) kill() {
	w.cmd.Process.Kill()
	err := <-w.exited
	w.exited <- err
}

// sharedSite is the multi-host fixture the shared crawls crawl.
func sharedSite(t *testing.T, pages int, latency time.Duration) *fixtures.Cluster {
	t.Helper()
	c, err := fixtures.StartGenerated(fixtures.GenConfig{Hosts: 5, PagesPerHost: pages, Seed: 12, MinBytes: 500, MaxBytes: 2000,
		MinLinks: 4, MaxLinks: 10, BrokenPermille: 30, RedirectPermille: 30, CrossHostPermille: 100, Latency: latency})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// referenceURLs crawls the site uninterrupted, in this process, with one
// worker on SQLite, and returns its URL set ("url state" lines).
func referenceURLs(t *testing.T, seeds []string) []string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "ref.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cr, err := crawler.Begin(ctx, db, &crawler.Invocation{Config: sharedConfig(seeds)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cr.Close(ctx)
	if end, err := cr.Run(ctx); err != nil || end.Status != crawler.StatusFinished {
		t.Fatalf("reference crawl: %s, %v", end.Status, err)
	}
	rows, err := db.Reader().QueryContext(ctx, `SELECT url || ' ' || state FROM urls ORDER BY url`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// urlSet is the database's URL set, as referenceURLs gives it.
func urlSet(t *testing.T, db *postgres.DB) []string {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(), `SELECT url || ' ' || state FROM urls ORDER BY url`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// checkRecordedOnce fails t if the run recorded a URL's fetch more than
// once, or the run is not finished.
func checkRecordedOnce(t *testing.T, db *postgres.DB) {
	t.Helper()
	if twice := scalar[string](t, db, `SELECT coalesce(string_agg(u.url || ' x' || n, ', '), '') FROM
		(SELECT url_id, count(*) AS n FROM fetches GROUP BY url_id HAVING count(*) > 1) f JOIN urls u ON u.id = f.url_id`); twice != "" {
		t.Errorf("fetches recorded more than once: %s", twice)
	}
	if st := scalar[string](t, db, `SELECT string_agg(status, ' ') FROM runs`); st != "finished" {
		t.Errorf("runs: %s, want one finished", st)
	}
	if n := scalar[int64](t, db, `SELECT count(*) FROM leases`); n != 0 {
		t.Errorf("%d leases left after the run", n)
	}
	if got := scalar[string](t, db, `SELECT (SELECT pages FROM runs) || ' ' || (SELECT sum(pages) FROM run_workers)`); len(strings.Fields(got)) != 2 ||
		strings.Fields(got)[0] != strings.Fields(got)[1] {
		t.Errorf("runs.pages and the workers' pages: %s, want equal", got)
	}
}

// checkPolite fails t if any host served two requests at once (per-host
// 1) or served a request less than the delay after the previous one's
// response, across all workers.
func checkPolite(t *testing.T, log []fixtures.Request) {
	t.Helper()
	byHost := map[string][]fixtures.Request{}
	for _, r := range log {
		byHost[r.Host] = append(byHost[r.Host], r)
	}
	for host, rs := range byHost {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Start.Before(rs[j].Start) })
		for i := 1; i < len(rs); i++ {
			if gap := rs[i].Start.Sub(rs[i-1].End); gap < sharedDelay {
				t.Errorf("%s: %s started %v after %s ended, want at least %v (per-host %d)",
					host, rs[i].Path, gap, rs[i-1].Path, sharedDelay, sharedPerHost)
			}
		}
	}
}

// TestSharedCrawlThreeWorkers: three worker processes on one crawl fetch
// every page exactly once, never two requests to one host at once nor
// closer than the delay across workers, and find the URL set one
// uninterrupted crawl finds; each worker's share is in run_workers.
func TestSharedCrawlThreeWorkers(t *testing.T) {
	site := sharedSite(t, 40, 0)
	want := referenceURLs(t, site.Seeds())
	site.Log.Reset()
	dsn := pg.NewDatabase(t)
	var ws []*worker
	for range 3 {
		ws = append(ws, startWorker(t, dsn, site.Seeds()))
	}
	for _, w := range ws {
		w.wait(t)
	}
	db := open(t, dsn)
	if got := urlSet(t, db); !slices.Equal(got, want) {
		t.Errorf("URL set differs from an uninterrupted crawl's: %d URLs, want %d", len(got), len(want))
	}
	checkRecordedOnce(t, db)
	log := site.Log.Entries()
	seen := map[string]int{}
	for _, r := range log {
		seen[r.Host+r.Path]++
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s requested %d times", k, n)
		}
	}
	checkPolite(t, log)
	if n := scalar[int64](t, db, `SELECT count(*) FROM run_workers WHERE stopped_at IS NOT NULL`); n != 3 {
		t.Errorf("%d workers in run_workers, want 3", n)
	}
	if n := scalar[int64](t, db, `SELECT count(*) FROM run_workers WHERE claims > 0`); n < 2 {
		t.Errorf("%d of 3 workers were given hosts, want the work shared", n)
	}
}

// TestSharedCrawlKilled: a worker killed with SIGKILL at random moments,
// five times, and started again each time, beside one that runs through,
// leaves the URL set of an uninterrupted crawl, each fetch recorded once,
// and the requests polite across all of them.
func TestSharedCrawlKilled(t *testing.T) {
	site := sharedSite(t, 60, 5*time.Millisecond)
	want := referenceURLs(t, site.Seeds())
	site.Log.Reset()
	dsn := pg.NewDatabase(t)
	steady := startWorker(t, dsn, site.Seeds())
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	total := len(want)
	for i := range 5 {
		w := startWorker(t, dsn, site.Seeds())
		// Killed once the site has served a random number more requests.
		at := site.Log.Len() + 1 + rng.IntN(max(total/12, 2))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := site.Log.Wait(ctx, func(rs []fixtures.Request) bool { return len(rs) >= at })
		cancel()
		if err != nil {
			t.Logf("kill %d: the crawl ended before request %d", i+1, at)
		}
		w.kill()
	}
	last := startWorker(t, dsn, site.Seeds())
	steady.wait(t)
	last.wait(t)
	db := open(t, dsn)
	if got := urlSet(t, db); !slices.Equal(got, want) {
		t.Errorf("URL set after five kills differs from an uninterrupted crawl's: %d URLs, want %d\n%s", len(got), len(want), diff(got, want))
	}
	checkRecordedOnce(t, db)
	checkPolite(t, site.Log.Entries())
}

// TestSharedCrawlDatabaseRestart: the database restarted under a running
// crawl of two workers: they wait for it, mark no URL failed because it
// was away, and go on to the URL set of an uninterrupted crawl.
func TestSharedCrawlDatabaseRestart(t *testing.T) {
	site := sharedSite(t, 60, 5*time.Millisecond)
	want := referenceURLs(t, site.Seeds())
	site.Log.Reset()
	dsn := pg.NewDatabase(t)
	a, b := startWorker(t, dsn, site.Seeds()), startWorker(t, dsn, site.Seeds())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, at := range []int{len(want) / 4, len(want) / 2} {
		if err := site.Log.Wait(ctx, func(rs []fixtures.Request) bool { return len(rs) >= at }); err != nil {
			t.Fatal(err)
		}
		pg.Restart(t)
	}
	a.wait(t)
	b.wait(t)
	db := open(t, dsn)
	if got := urlSet(t, db); !slices.Equal(got, want) {
		t.Errorf("URL set after two restarts differs from an uninterrupted crawl's: %d URLs, want %d\n%s", len(got), len(want), diff(got, want))
	}
	checkRecordedOnce(t, db)
	if !strings.Contains(a.out.String()+b.out.String(), "database unreachable; waiting for it") {
		t.Error("no worker said it waited for the database")
	}
}

// diff lists the lines only one of got and want has, a few of them.
func diff(got, want []string) string {
	in := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	g, w := in(got), in(want)
	var out []string
	for _, x := range got {
		if !w[x] {
			out = append(out, "+ "+x)
		}
	}
	for _, x := range want {
		if !g[x] {
			out = append(out, "- "+x)
		}
	}
	if len(out) > 20 {
		out = append(out[:20], "... "+strconv.Itoa(len(out)-20)+" more")
	}
	return strings.Join(out, "\n")
}

// TestJoinWithOtherSettings: a worker that joins a running run with a
// setting that defines the run set otherwise is told the run's, and
// crawls with it; the run's stored settings stay the first worker's.
func TestJoinWithOtherSettings(t *testing.T) {
	ctx := context.Background()
	dsn := pg.NewDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	seeds := []string{"http://127.0.0.2:1/"}
	first, err := crawler.Begin(ctx, a, &crawler.Invocation{Config: sharedConfig(seeds)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close(ctx)
	// The first worker's first commit (its seeds, as Run makes it) lets
	// the next one begin.
	if _, err := a.Commit(ctx, first.RunID, record.Batch{}); err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	cfg := sharedConfig(seeds)
	cfg.Scope = "domain"
	joined, err := crawler.Begin(ctx, b, &crawler.Invocation{Config: cfg, Given: []string{"scope"}},
		slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer joined.Close(ctx)
	if joined.RunID != first.RunID || joined.Config.Scope != "host" {
		t.Errorf("joined run %d with scope %q, want run %d with the run's scope host", joined.RunID, joined.Config.Scope, first.RunID)
	}
	if !strings.Contains(logged.String(), "setting not changed") || !strings.Contains(logged.String(), "stored=host given=domain") {
		t.Errorf("the joining worker was not told the run's setting:\n%s", logged.String())
	}
	if got := scalar[string](t, a, `SELECT resumes || ' ' || (config->>'scope') FROM runs`); got != "0 host" {
		t.Errorf("run after the join: resumes and scope %q", got)
	}
}

// BenchmarkSharedCrawl crawls one generated 20-host site (3,000 pages) in
// each iteration, with one worker process on SQLite, then one and three on
// PostgreSQL, and reports pages/s, claim statements/s and lease round trips
// per page. Run it with
//
//	TRAWL_TEST_POSTGRES=require go test ./store/postgres -run '^$' -bench SharedCrawl -benchtime 3x
func BenchmarkSharedCrawl(b *testing.B) {
	site, err := fixtures.StartGenerated(fixtures.GenConfig{Hosts: 20, PagesPerHost: 150, Seed: 7, MinBytes: 2000, MaxBytes: 8000,
		MinLinks: 8, MaxLinks: 20, CrossHostPermille: 50, DisableLog: true})
	if err != nil {
		b.Fatal(err)
	}
	defer site.Close()
	for _, c := range []struct {
		name    string
		workers int
		pg      bool
	}{{"sqlite-1", 1, false}, {"postgres-1", 1, true}, {"postgres-3", 3, true}} {
		b.Run(c.name, func(b *testing.B) {
			var pages, claims, trips int64
			var took time.Duration
			for b.Loop() {
				dsn := "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
				if c.pg {
					dsn = pg.NewDatabase(b)
				}
				start := time.Now()
				var ws []*worker
				for range c.workers {
					ws = append(ws, startWorker(b, dsn, site.Seeds(), envWorkerBench+"=1"))
				}
				for _, w := range ws {
					w.wait(b)
					var st string
					var p, cl, tr int64
					out := w.out.String()
					i := strings.LastIndex(out, "worker: status=")
					if i < 0 {
						b.Fatalf("no worker summary:\n%s", out)
					}
					if _, err := fmt.Sscanf(out[i:], "worker: status=%s pages=%d claims=%d trips=%d", &st, &p, &cl, &tr); err != nil {
						b.Fatalf("worker summary %q: %v", out[i:], err)
					}
					pages, claims, trips = pages+p, claims+cl, trips+tr
				}
				took += time.Since(start)
			}
			b.ReportMetric(float64(pages)/took.Seconds(), "pages/s")
			b.ReportMetric(float64(claims)/took.Seconds(), "claims/s")
			b.ReportMetric(float64(trips)/float64(max(pages, 1)), "lease-trips/page")
			b.ReportMetric(0, "ns/op")
		})
	}
}
