//go:build unix

package postgres_test

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
)

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
