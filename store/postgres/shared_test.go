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

// workerMain is a worker process: it crawls the database of envWorkerDSN
// with the seeds of envWorkerSeeds until the run's work is over or it is
// told to stop (SIGTERM), and returns its exit code.
func workerMain() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	db, err := postgres.Open(ctx, os.Getenv(envWorkerDSN), postgres.Heartbeat(sharedHeartbeat, sharedLease))
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 2
	}
	defer db.Close()
	inv := &crawler.Invocation{Config: sharedConfig(strings.Fields(os.Getenv(envWorkerSeeds)))}
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
	fmt.Printf("status=%s pages=%d\n", end.Status, end.Stats.Pages)
	return 0
}

// worker is a running worker process.
type worker struct {
	cmd    *exec.Cmd
	out    strings.Builder
	exited chan error
}

func startWorker(t *testing.T, dsn string, seeds []string) *worker {
	t.Helper()
	w := &worker{cmd: exec.Command(os.Args[0], "-test.run=^$"), exited: make(chan error, 1)}
	w.cmd.Env = append(os.Environ(), envWorkerDSN+"="+dsn, envWorkerSeeds+"="+strings.Join(seeds, " "))
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
func (w *worker) wait(t *testing.T) {
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

// TestSharedCrawlPaused: a worker stopped (SIGSTOP) until its leases ran
// out and another worker took its hosts over, then continued, records
// nothing twice: what it had in flight is dropped at its commit.
func TestSharedCrawlPaused(t *testing.T) {
	site := sharedSite(t, 60, 20*time.Millisecond)
	want := referenceURLs(t, site.Seeds())
	site.Log.Reset()
	dsn := pg.NewDatabase(t)
	db := open(t, dsn)
	a := startWorker(t, dsn, site.Seeds())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := site.Log.Wait(ctx, func(rs []fixtures.Request) bool { return len(rs) >= 10 }); err != nil {
		t.Fatal(err)
	}
	b := startWorker(t, dsn, site.Seeds())
	if err := a.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	pid := a.cmd.Process.Pid
	held := scalar[[]int64](t, db, `SELECT coalesce(array_agg(l.host_id), '{}') FROM leases l JOIN workers w ON w.id = l.worker_id
		WHERE w.pid = $1`, pid)
	// Stopped until its leases ran out and the other worker holds one of
	// the hosts it held (or, if it held none, until its leases could have
	// run out).
	waitFor(t, db, `SELECT NOT EXISTS (SELECT 1 FROM leases l JOIN workers w ON w.id = l.worker_id
			WHERE w.pid = $1 AND l.expires_at > now())
		AND (cardinality($2::bigint[]) = 0 AND (SELECT max(heartbeat_at) FROM workers WHERE pid = $1) < now() - interval '2 seconds'
			OR EXISTS (SELECT 1 FROM leases l JOIN workers w ON w.id = l.worker_id WHERE w.pid <> $1 AND l.host_id = ANY($2)))`, pid, held)
	t.Logf("worker %d stopped holding %d hosts, continued once they were taken over", pid, len(held))
	if err := a.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	a.wait(t)
	b.wait(t)
	if got := urlSet(t, db); !slices.Equal(got, want) {
		t.Errorf("URL set differs from an uninterrupted crawl's: %d URLs, want %d\n%s", len(got), len(want), diff(got, want))
	}
	checkRecordedOnce(t, db)
	t.Logf("the paused worker dropped %d outcomes", scalar[int64](t, db, `SELECT dropped FROM run_workers WHERE pid = $1`, pid))
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
