package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/store/postgres"
	"github.com/trawl-crawler/trawl/store/record"
)

func leaseHosts(ls []record.HostLease) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Host)
	}
	slices.Sort(out)
	return out
}

// sharedRun registers workers on one new database, the first starting a
// run with one seed on each of hosts, the others joining it.
func sharedRun(t *testing.T, hosts []string, opts ...[]postgres.Option) (int64, []*postgres.DB) {
	t.Helper()
	ctx := context.Background()
	dsn := pg.NewDatabase(t)
	var dbs []*postgres.DB
	var runID int64
	for i, o := range opts {
		db := open(t, dsn, o...)
		if err := db.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			run, err := db.StartRun(ctx, "crawl", []byte(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			runID = run.ID
			var seeds []record.NewURL
			for _, h := range hosts {
				seeds = append(seeds, record.NewURL{URL: h + "/", Host: h, Via: "seed"})
			}
			if _, err := db.Commit(ctx, runID, record.Batch{Outcomes: []record.Outcome{{Discovered: seeds}}}); err != nil {
				t.Fatal(err)
			}
		} else if err := db.ResumeRun(ctx, runID, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		dbs = append(dbs, db)
	}
	return runID, dbs
}

// TestLeasesPerHost: claims hand each host to one worker; a released host
// waits out its wait before anyone claims it again; a lease that expired
// is taken over once the gap has passed, and the old holder's outcomes for
// that host are then dropped, not recorded, and its URL stays queued.
func TestLeasesPerHost(t *testing.T) {
	ctx := context.Background()
	hosts := []string{"http://a.test:80", "http://b.test:80", "http://c.test:80"}
	// a never renews by itself within the test (its heartbeat is an hour),
	// so that its leases can be made to run out.
	runID, dbs := sharedRun(t, hosts, []postgres.Option{postgres.Heartbeat(time.Hour, 2*time.Hour)},
		[]postgres.Option{postgres.Heartbeat(50*time.Millisecond, 5*time.Second)})
	a, b := dbs[0], dbs[1]

	la, err := a.ClaimHosts(ctx, runID, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := b.ClaimHosts(ctx, runID, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := leaseHosts(la); !slices.Equal(got, hosts[:2]) {
		t.Fatalf("a claimed %v", got)
	}
	if got := leaseHosts(lb); !slices.Equal(got, hosts[2:]) {
		t.Fatalf("b claimed %v, want only the host a does not hold", got)
	}
	if !a.HoldsHost(hosts[0]) || b.HoldsHost(hosts[0]) || !b.HoldsHost(hosts[2]) {
		t.Fatal("HoldsHost does not follow the claims")
	}
	if more, err := b.ClaimHosts(ctx, runID, 10, 0); err != nil || len(more) != 0 {
		t.Fatalf("a claim with every host leased = %v, %v", more, err)
	}
	if done, err := a.RunDone(ctx); err != nil || done {
		t.Fatalf("RunDone with URLs queued = %v, %v", done, err)
	}

	// a hands hosts[0] back with 300ms still to wait.
	released := time.Now()
	if err := a.ReleaseHosts(ctx, []record.HostRelease{{Host: hosts[0], Wait: 300 * time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	if a.HoldsHost(hosts[0]) {
		t.Error("a still holds a host it released")
	}
	var got []record.HostLease
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for len(got) == 0 {
		if got, err = b.ClaimHosts(ctx, runID, 10, 0); err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			<-tick.C
		}
	}
	if waited := time.Since(released); waited < 300*time.Millisecond || leaseHosts(got)[0] != hosts[0] {
		t.Fatalf("b claimed %v %v after the release, want %s after 300ms", leaseHosts(got), waited, hosts[0])
	}

	// a's lease of hosts[1] runs out (as if a was paused) and b takes the
	// host over.
	job, err := a.QueuedURLs(ctx, hosts[1], 1, nil)
	if err != nil || len(job) != 1 {
		t.Fatalf("queue of %s = %v, %v", hosts[1], job, err)
	}
	if _, err := a.Pool().Exec(ctx, `UPDATE leases SET expires_at = now() - interval '1 second'
		WHERE host_id = (SELECT id FROM hosts WHERE host = $1)`, hosts[1]); err != nil {
		t.Fatal(err)
	}
	if got, err = b.ClaimHosts(ctx, runID, 10, time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("claim before the gap after expiry passed = %v, %v", leaseHosts(got), err)
	}
	if got, err = b.ClaimHosts(ctx, runID, 10, 0); err != nil || !slices.Equal(leaseHosts(got), hosts[1:2]) {
		t.Fatalf("takeover claim = %v, %v", leaseHosts(got), err)
	}
	res, err := a.Commit(ctx, runID, record.Batch{Outcomes: []record.Outcome{{Job: job[0], State: record.StateDone,
		Fetch:      &record.Fetch{At: time.Now(), Status: 200},
		Discovered: []record.NewURL{{URL: hosts[1] + "/x", Host: hosts[1], Via: "link", Depth: 1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Lost, hosts[1:2]) || res.Pages != 0 {
		t.Fatalf("stale commit: Lost %v, Pages %d", res.Lost, res.Pages)
	}
	if n := scalar[int64](t, a, `SELECT count(*) FROM fetches`); n != 0 {
		t.Errorf("the stale outcome was recorded: %d fetches", n)
	}
	if st := scalar[string](t, a, `SELECT state FROM urls WHERE id = $1`, job[0].ID); st != record.StateQueued {
		t.Errorf("the stale outcome's URL is %s, want queued for the new holder", st)
	}
	if n := scalar[int64](t, a, `SELECT count(*) FROM urls`); n != 3 {
		t.Errorf("the stale outcome's discoveries were recorded: %d URLs", n)
	}
	if got := scalar[string](t, a, `SELECT pages || ' ' || dropped || ' ' || claims FROM run_workers ORDER BY worker_id LIMIT 1`); got != "0 1 2" {
		t.Errorf("run_workers of a = %q, want 0 pages, 1 dropped, 2 claims", got)
	}
	if a.HoldsHost(hosts[1]) {
		t.Error("a still holds the host taken over")
	}

	// The new holder's commit counts.
	res, err = b.Commit(ctx, runID, record.Batch{Outcomes: []record.Outcome{{Job: job[0], State: record.StateDone,
		Fetch: &record.Fetch{At: time.Now(), Status: 200}}}})
	if err != nil || len(res.Lost) != 0 || res.Pages != 1 {
		t.Fatalf("holder's commit = %+v, %v", res, err)
	}
	// b's heartbeat keeps its leases alive past their length.
	expires := scalar[time.Time](t, a, `SELECT max(expires_at) FROM leases`)
	waitFor(t, a, `SELECT max(expires_at) > $1 FROM leases`, expires)
	// Unlock hands b's hosts back.
	if err := b.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if n := scalar[int64](t, a, `SELECT count(*) FROM leases l JOIN workers w ON w.id = l.worker_id WHERE w.pid > 0 AND w.stopped_at IS NOT NULL`); n != 0 {
		t.Errorf("%d leases left by a worker that stopped", n)
	}

	// A lease of a's own that ran out (a was away) can be claimed again,
	// by a too: a run with one worker left goes on.
	if got, err = a.ClaimHosts(ctx, runID, 10, 0); err != nil || len(got) == 0 {
		t.Fatalf("a's claim after b left = %v, %v", leaseHosts(got), err)
	}
	if _, err := a.Pool().Exec(ctx, `UPDATE leases SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	again, err := a.ClaimHosts(ctx, runID, 10, 0)
	if err != nil || !slices.Equal(leaseHosts(again), leaseHosts(got)) {
		t.Fatalf("a's claim of its own expired leases = %v, %v; want %v", leaseHosts(again), err, leaseHosts(got))
	}
}
