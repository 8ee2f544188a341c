package postgres_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/store/postgres"
	"github.com/trawl-crawler/trawl/store/postgres/pgtest"
	"github.com/trawl-crawler/trawl/store/record"
)

var (
	_ crawler.Store     = (*postgres.DB)(nil)
	_ crawler.BodyStore = (*postgres.DB)(nil)
)

// pg is the package's throwaway server; each test gets a database on it.
var pg pgtest.Server

// TestMain runs the tests on a throwaway server, or, started by a shared
// crawl test as one of its workers, runs that worker (workerMain).
func TestMain(m *testing.M) {
	if os.Getenv(envWorkerDSN) != "" {
		os.Exit(workerMain())
	}
	os.Exit(pg.Run(m))
}

func open(t *testing.T, dsn string, opts ...postgres.Option) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func scalar[T any](t *testing.T, db *postgres.DB, q string, args ...any) T {
	t.Helper()
	var v T
	if err := db.Pool().QueryRow(context.Background(), q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// TestOpenMigratesOnceAtOnce: workers opening a new database together
// apply each migration once, and all open it.
func TestOpenMigratesOnceAtOnce(t *testing.T) {
	dsn := pg.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			db, err := postgres.Open(context.Background(), dsn)
			if err == nil {
				err = db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db := open(t, dsn)
	if v := scalar[string](t, db, `SELECT value FROM trawl_meta WHERE key = 'schema_version'`); v != strconv.Itoa(postgres.SchemaVersion()) {
		t.Fatalf("schema_version = %s, SchemaVersion() = %d", v, postgres.SchemaVersion())
	}
}

// TestWorkersJoin: a second worker's Lock waits while the first decides
// the run's start (until its first commit), then joins the running run
// instead of resuming it; while both live, neither may start a second run
// or give up the queue. A worker whose heartbeat ran out, or whose process
// on this machine has died, is marked stopped by the next to register.
func TestWorkersJoin(t *testing.T) {
	ctx := context.Background()
	dsn := pg.NewDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	if err := a.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	locked := make(chan error, 1)
	go func() { locked <- b.Lock(ctx) }()
	waitFor(t, a, `SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)
	select {
	case err := <-locked:
		t.Fatalf("second Lock returned while the first worker starts the run: %v", err)
	default:
	}
	run, err := a.StartRun(ctx, "crawl", []byte(`{"delay":"1s"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{{Discovered: []record.NewURL{
		{URL: "http://a.test/", Host: "http://a.test:80", Via: "seed"}}}}}); err != nil {
		t.Fatal(err)
	}
	if err := <-locked; err != nil {
		t.Fatalf("second Lock: %v", err)
	}
	last, err := b.LastRun(ctx)
	if err != nil || last.ID != run.ID || last.Status != record.RunRunning {
		t.Fatalf("LastRun for the second worker = %+v, %v", last, err)
	}
	if err := b.ResumeRun(ctx, run.ID, []byte(`{"delay":"0s"}`)); err != nil {
		t.Fatal(err)
	}
	if got := scalar[string](t, a, `SELECT resumes || ' ' || (config->>'delay') FROM runs`); got != "0 1s" {
		t.Errorf("after a join, resumes and config = %q, want the first worker's", got)
	}
	if n := scalar[int64](t, a, `SELECT count(*) FROM workers WHERE run_id = $1 AND stopped_at IS NULL`, run.ID); n != 2 {
		t.Errorf("%d workers joined the run, want 2", n)
	}
	var le *postgres.LockError
	if _, err := b.StartRun(ctx, "crawl", []byte(`{}`)); !errors.As(err, &le) || !errors.Is(err, postgres.ErrLocked) {
		t.Errorf("StartRun beside a running shared run = %v", err)
	}
	if err := b.AbandonQueue(ctx); !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Errorf("AbandonQueue beside a running shared run = %v", err)
	}
	// A worker that stops while another goes on leaves the run running.
	if err := b.EndRun(ctx, run.ID, record.RunInterrupted); err != nil {
		t.Fatal(err)
	}
	if st := scalar[string](t, a, `SELECT status FROM runs`); st != record.RunRunning {
		t.Errorf("run %s after one of two workers stopped", st)
	}
	if err := b.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.EndRun(ctx, run.ID, record.RunInterrupted); err != nil {
		t.Fatal(err)
	}
	if st := scalar[string](t, a, `SELECT status FROM runs`); st != record.RunInterrupted {
		t.Errorf("run %s after the last worker stopped", st)
	}
	if err := a.Unlock(ctx); err != nil {
		t.Fatal(err)
	}

	// Registrations gone by their heartbeat, or by their process on this
	// machine, are marked stopped by the next worker to register.
	host, _ := os.Hostname()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1) to make a dead pid with")
	}
	if _, err := a.Pool().Exec(ctx, `INSERT INTO workers(hostname, pid, started_at, heartbeat_at, lease_ms) VALUES
		('elsewhere', 1, '2026-03-01T10:00:00.000000000Z', now() - interval '2 minutes', 60000),
		('elsewhere', 2, '2026-03-01T10:00:00.000000000Z', now(), 60000),
		($1, $2, '2026-03-01T10:00:00.000000000Z', now(), 60000)`, host, cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := a.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if got := scalar[string](t, a, `SELECT string_agg(hostname || ':' || pid, ' ' ORDER BY id) FROM workers WHERE stopped_at IS NULL`); got != "elsewhere:2 "+host+":"+strconv.Itoa(os.Getpid()) {
		t.Fatalf("live registrations = %q", got)
	}
}

// waitFor polls q (a boolean query) until it is true, for up to a minute.
func waitFor(t *testing.T, db *postgres.DB, q string, args ...any) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for !scalar[bool](t, db, q, args...) {
		select {
		case <-deadline:
			t.Fatalf("not true within a minute: %s", q)
		case <-tick.C:
		}
	}
}

// TestHeartbeat: the holder's heartbeat moves while it holds the lock, and
// its registration ends with Unlock.
func TestHeartbeat(t *testing.T) {
	ctx := context.Background()
	db := open(t, pg.NewDatabase(t), postgres.Heartbeat(10*time.Millisecond, time.Second))
	if err := db.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	first := scalar[time.Time](t, db, `SELECT heartbeat_at FROM workers`)
	// Poll the row the heartbeat writes; the test's bound is generous
	// since the machine may be busy.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for !scalar[time.Time](t, db, `SELECT heartbeat_at FROM workers`).After(first) {
		select {
		case <-deadline:
			t.Fatal("the heartbeat did not move in 10s")
		case <-tick.C:
		}
	}
	if lease := scalar[int64](t, db, `SELECT lease_ms FROM workers`); lease != 1000 {
		t.Errorf("lease_ms = %d", lease)
	}
	if err := db.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if n := scalar[int64](t, db, `SELECT count(*) FROM workers WHERE stopped_at IS NULL`); n != 0 {
		t.Fatalf("%d live registrations after Unlock", n)
	}
	if _, err := postgres.Open(ctx, pg.NewDatabase(t), postgres.Heartbeat(time.Second, time.Second)); err == nil {
		t.Error("Open accepted a lease no longer than the heartbeat")
	}
}

// TestServerTextIsCleaned: PostgreSQL's text refuses NUL and invalid
// UTF-8, which a server's headers or an error message may hold; the commit
// stores them with U+FFFD instead of failing.
func TestServerTextIsCleaned(t *testing.T) {
	ctx := context.Background()
	db := open(t, pg.NewDatabase(t))
	run, err := db.StartRun(ctx, "crawl", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	u := record.NewURL{URL: "http://a.test/", Host: "http://a.test:80", Via: "seed"}
	if _, err := db.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{{Discovered: []record.NewURL{u}}}}); err != nil {
		t.Fatal(err)
	}
	jobs, err := db.QueuedURLs(ctx, u.Host, 1, nil)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("queue = %v, %v", jobs, err)
	}
	bad := "a\x00b\xffc"
	_, err = db.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{{Job: jobs[0], State: record.StateDone,
		Fetch: &record.Fetch{At: time.Now(), Status: 200, Title: bad, ETag: bad, Error: bad,
			Facts: []byte(`{"jsonld":[{"@type":"A\u0000B","x":"\\u0000","s":"\ud800"}]}`)},
		Links:   []record.Link{{URL: "http://a.test/x", Text: bad}},
		Items:   []record.Item{{Rule: "r", Miss: bad}},
		Cookies: []record.Cookie{{URL: u.URL, Name: "n", Value: bad, Received: time.Now()}}}}})
	if err != nil {
		t.Fatalf("Commit with NUL and invalid UTF-8: %v", err)
	}
	const want = "a\uFFFDb\uFFFDc"
	for _, q := range []string{`SELECT title FROM fetches`, `SELECT etag FROM fetches`, `SELECT error FROM fetches`,
		`SELECT text FROM links`, `SELECT miss FROM items`, `SELECT value FROM cookies`} {
		if got := scalar[string](t, db, q); got != want {
			t.Errorf("%s = %q, want %q", q, got, want)
		}
	}
	// In JSON, a NUL or a lone surrogate becomes U+FFFD (PostgreSQL cannot
	// read them as text); an escaped backslash before "u0000" is no NUL,
	// and stays.
	if got := scalar[string](t, db, `SELECT type || '|' || (data->>'x') || '|' || (data->>'s') FROM jsonld`); got != "A\uFFFDB|\\u0000|\uFFFD" {
		t.Errorf("jsonld = %q", got)
	}
}
