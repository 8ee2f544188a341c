package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/trawl-crawler/trawl/store/record"
)

// commitLock is the advisory lock key that serialises the commits of
// workers that share a run (see checkLeases).
const commitLock = 0x7472776c00000004 // "trwl", 4

// lease is a host this worker holds (docs/postgres.md): only the holder
// fetches from a host, so that per-host concurrency and delay hold across
// workers.
type lease struct {
	id    int64 // hosts.id
	epoch int64 // leases.epoch: the fencing token of this claim
	// deadline is the local (monotonic) time after which no request may be
	// sent: the time the claim or the last successful renewal was sent,
	// plus the lease, less one heartbeat. The server granted the lease
	// after the request was sent, so its expiry is always later.
	deadline time.Time
	// given: the deadline passed or a renewal found the lease gone. The
	// host is not renewed and not fetched from again; outcomes already in
	// flight still commit if the server says the lease is still this
	// worker's (nobody took it over).
	given bool
}

// claimHosts hands out up to $1 ready hosts: no live lease (an expired
// one, this worker's own included, only once the host's delay has also
// passed since its expiry, since its holder may have sent a request until
// then), next_at passed, and queued URLs. FOR UPDATE SKIP LOCKED lets workers claim at once without
// waiting on each other; the hosts row lock serialises two claims of one
// host, and the lease insert takes over only an expired lease, so of two
// claims racing for a host one gets it. Times are the server's clock.
const claimHosts = `WITH ready AS (
	SELECT h.id FROM hosts h LEFT JOIN leases l ON l.host_id = h.id
	WHERE (h.next_at IS NULL OR h.next_at <= now())
		AND (l.host_id IS NULL OR l.expires_at
			+ greatest($4::bigint, coalesce(h.delay_ms, 0), coalesce(h.crawl_delay_ms, 0)) * interval '1 millisecond' <= now())
		AND EXISTS (SELECT 1 FROM urls u WHERE u.host_id = h.id AND u.state = 'queued')
	ORDER BY h.next_at NULLS FIRST, h.id
	LIMIT $1
	FOR UPDATE OF h SKIP LOCKED
), bumped AS (
	UPDATE hosts h SET lease_epoch = h.lease_epoch + 1 FROM ready WHERE h.id = ready.id
	RETURNING h.id, h.lease_epoch
), got AS (
	INSERT INTO leases(host_id, worker_id, epoch, expires_at)
	SELECT id, $2, lease_epoch, now() + $3 * interval '1 millisecond' FROM bumped
	ON CONFLICT (host_id) DO UPDATE SET worker_id = excluded.worker_id, epoch = excluded.epoch, expires_at = excluded.expires_at
		WHERE leases.expires_at <= now()
	RETURNING host_id, epoch
), counted AS (
	UPDATE workers SET claims = claims + (SELECT count(*) FROM got) WHERE id = $2
)
SELECT h.id, h.host, got.epoch, coalesce(h.robots_status, ''), coalesce(h.robots_fetched_at, ''),
	coalesce(h.crawl_delay_ms, 0), coalesce(h.delay_ms, 0), coalesce(h.backoff_until, ''),
	coalesce(h.parked_reason, ''), h.failures,
	(SELECT count(*) FROM urls u WHERE u.host_id = h.id AND u.run_id = $5 AND u.state IN ('done', 'failed'))
FROM got JOIN hosts h ON h.id = got.host_id ORDER BY h.id`

// ClaimHosts leases up to n ready hosts of run runID to this worker, each
// with its stored politeness state and its pages so far in the run. gap is
// the crawl's delay between requests to one host: a host whose holder
// vanished is handed out once its lease has expired and gap (or the
// host's stored delay, if longer) has passed since. The worker must be
// registered (Lock).
func (db *DB) ClaimHosts(ctx context.Context, runID int64, n int, gap time.Duration) ([]record.HostLease, error) {
	db.releaseBegin()
	w := db.registration()
	if w == nil {
		return nil, fmt.Errorf("postgres: claim hosts of %s: the worker is not registered (Lock)", db.target)
	}
	var out []record.HostLease
	err := db.again(ctx, "claim hosts", func() error {
		out = out[:0]
		sent := time.Now()
		db.claimTrips.Add(1)
		db.leaseTrips.Add(1)
		rows, err := db.pool.Query(ctx, claimHosts, n, w.id, db.o.lease.Milliseconds(), gap.Milliseconds(), runID)
		if err != nil {
			return err
		}
		var hl record.HostLease
		var id, epoch, crawlDelay, delay int64
		var fetched, backoff string
		h := &hl.State
		_, err = pgx.ForEachRow(rows, []any{&id, &h.Host, &epoch, &h.RobotsStatus, &fetched, &crawlDelay, &delay,
			&backoff, &h.ParkedReason, &h.Failures, &hl.Pages}, func() error {
			got := hl
			got.Host = h.Host
			got.State.RobotsFetchedAt = parseTime(fetched)
			got.State.BackoffUntil = parseTime(backoff)
			got.State.CrawlDelay = time.Duration(crawlDelay) * time.Millisecond
			got.State.Delay = time.Duration(delay) * time.Millisecond
			out = append(out, got)
			db.lmu.Lock()
			db.leases[got.Host] = &lease{id: id, epoch: epoch, deadline: db.deadline(sent)}
			db.leasing = true
			db.lmu.Unlock()
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim hosts of %s: %w", db.target, err)
	}
	return out, nil
}

// deadline is the local time until which a lease granted in answer to a
// request sent at sent may be used.
func (db *DB) deadline(sent time.Time) time.Time {
	return sent.Add(db.o.lease - db.o.heartbeat)
}

// HoldsHost reports whether this worker may send a request to host now:
// it holds the host's lease and its local deadline has not passed. Once
// it has passed, the host is given up for good (another worker may hold
// it by now); a new claim may win it back.
func (db *DB) HoldsHost(host string) bool {
	db.lmu.Lock()
	defer db.lmu.Unlock()
	l := db.leases[host]
	if l == nil || l.given {
		return false
	}
	if time.Now().After(l.deadline) {
		l.given = true
		return false
	}
	return true
}

// releaseHosts deletes this worker's leases of the given hosts (at the
// epoch it holds them) and sets when each may be asked again, by the
// server's clock.
const releaseHosts = `WITH r AS (
	SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS r(host_id, epoch, wait_ms)
), d AS (
	DELETE FROM leases l USING r WHERE l.host_id = r.host_id AND l.epoch = r.epoch AND l.worker_id = $1
	RETURNING l.host_id, r.wait_ms
)
UPDATE hosts h SET next_at = now() + greatest(d.wait_ms, 0) * interval '1 millisecond' FROM d WHERE h.id = d.host_id`

// ReleaseHosts hands hosts back, each with the time still to wait before
// the next request to it (its delay since the last response, or its
// back-off), so that whichever worker claims it next honours it. A host
// this worker no longer holds is left alone.
func (db *DB) ReleaseHosts(ctx context.Context, hosts []record.HostRelease) error {
	w := db.registration()
	if w == nil || len(hosts) == 0 {
		return nil
	}
	var ids, epochs, waits []int64
	db.lmu.Lock()
	for _, r := range hosts {
		l := db.leases[r.Host]
		if l == nil {
			continue
		}
		delete(db.leases, r.Host)
		ids, epochs, waits = append(ids, l.id), append(epochs, l.epoch), append(waits, r.Wait.Milliseconds())
	}
	db.lmu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	err := db.again(ctx, "release hosts", func() error {
		_, err := db.pool.Exec(ctx, releaseHosts, w.id, ids, epochs, waits)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: release %d hosts of %s: %w", len(ids), db.target, err)
	}
	return nil
}

// queueReleases queues, in a commit's last pipeline, the release of the
// hosts of releases this worker still holds (checkLeases dropped those
// taken over), and returns them: their leases are forgotten once the
// transaction commits.
func (db *DB) queueReleases(batch *pgx.Batch, releases []record.HostRelease) []string {
	w := db.registration()
	if w == nil || len(releases) == 0 {
		return nil
	}
	var ids, epochs, waits []int64
	var hosts []string
	db.lmu.Lock()
	for _, r := range releases {
		if l := db.leases[r.Host]; l != nil {
			ids, epochs, waits = append(ids, l.id), append(epochs, l.epoch), append(waits, r.Wait.Milliseconds())
			hosts = append(hosts, r.Host)
		}
	}
	db.lmu.Unlock()
	if len(ids) > 0 {
		queue(batch, "release hosts", releaseHosts, []any{w.id, ids, epochs, waits}, nil)
	}
	return hosts
}

// renewLeases extends this worker's leases of the hosts it still uses;
// run with the heartbeat. A host missing from the answer was taken over
// (this worker was away past its lease) and is given up.
func (db *DB) renewLeases(ctx context.Context, w *worker) error {
	db.lmu.Lock()
	var ids []int64
	byID := map[int64]*lease{}
	for _, l := range db.leases {
		if !l.given {
			ids = append(ids, l.id)
			byID[l.id] = l
		}
	}
	db.lmu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	sent := time.Now()
	db.leaseTrips.Add(1)
	// A lease a commit of this worker has locked is skipped, not waited
	// for: the commit extends it. It is still this worker's.
	rows, err := db.pool.Query(ctx, `WITH mine AS (
			SELECT host_id FROM leases WHERE worker_id = $1 AND host_id = ANY($3::bigint[]) FOR UPDATE SKIP LOCKED
		), renewed AS (
			UPDATE leases l SET expires_at = now() + $2 * interval '1 millisecond' FROM mine
			WHERE l.host_id = mine.host_id RETURNING l.host_id
		)
		SELECT l.host_id, l.epoch, l.host_id IN (SELECT host_id FROM renewed) FROM leases l
		WHERE l.worker_id = $1 AND l.host_id = ANY($3::bigint[])`, w.id, db.o.lease.Milliseconds(), ids)
	if err != nil {
		return err
	}
	type held struct {
		epoch   int64
		renewed bool
	}
	kept := map[int64]held{}
	var id, epoch int64
	var renewed bool
	if _, err := pgx.ForEachRow(rows, []any{&id, &epoch, &renewed}, func() error {
		kept[id] = held{epoch, renewed}
		return nil
	}); err != nil {
		return err
	}
	db.lmu.Lock()
	defer db.lmu.Unlock()
	for id, l := range byID {
		if k, ok := kept[id]; ok && k.epoch == l.epoch {
			if k.renewed && !l.given {
				l.deadline = db.deadline(sent)
			}
			continue
		}
		l.given = true
	}
	return nil
}

// extended moves the local deadlines of the leases a committed
// transaction's lease check extended (see checkLeases), sent at sent.
func (db *DB) extended(hosts []string, sent time.Time) {
	db.lmu.Lock()
	defer db.lmu.Unlock()
	for _, h := range hosts {
		if l := db.leases[h]; l != nil && !l.given && db.deadline(sent).After(l.deadline) {
			l.deadline = db.deadline(sent)
		}
	}
}

// leaseCheck is what the lease check of a commit found.
type leaseCheck struct {
	batch     record.Batch // the batch without what belongs to hosts taken over
	lost      []string     // the hosts taken over
	dropped   int64        // outcomes dropped
	extended  []string     // hosts whose leases it extended
	checkedAt time.Time    // when it was sent
	begun     bool         // it began the transaction
}

// checkLeases opens a commit on a store whose hosts are leased: it begins
// the transaction, takes the commit lock, and locks and extends this
// worker's leases of the batch's hosts, in one pipeline; what belongs to a
// host whose lease is gone (taken over after this worker was away past it)
// is dropped from the batch. The lease rows stay locked until the commit
// ends, and a takeover must update them, so a takeover happened either
// before this check (the work is dropped, and its URLs stay queued for the
// new holder) or after the commit (which the new holder then sees):
// nothing is recorded twice.
//
// Workers' commits take URL rows in the order their pages found them, so
// two commits that found the same new URLs in other orders would deadlock
// (and each deadlock costs the server's deadlock_timeout, a second, to
// find): commits of a shared run take turns under the commit lock.
func (db *DB) checkLeases(ctx context.Context, conn *pgxpool.Conn, b record.Batch) (leaseCheck, error) {
	lc := leaseCheck{batch: b}
	w := db.registration()
	db.lmu.Lock()
	leasing := db.leasing
	db.lmu.Unlock()
	if w == nil || !leasing {
		return lc, nil
	}
	hosts := map[string]bool{}
	for _, o := range b.Outcomes {
		if o.Job.ID != 0 {
			hosts[o.Job.Host] = false
		}
	}
	for _, h := range b.Hosts {
		hosts[h.Host] = false
	}
	for _, s := range b.Skips {
		hosts[s.Host] = false
	}
	for _, r := range b.Releases {
		hosts[r.Host] = false
	}
	var ids, epochs []int64
	names := map[int64]string{}
	db.lmu.Lock()
	for h := range hosts {
		if l := db.leases[h]; l != nil {
			ids, epochs = append(ids, l.id), append(epochs, l.epoch)
			names[l.id] = h
		}
	}
	db.lmu.Unlock()
	var batch pgx.Batch
	queue(&batch, "begin", "BEGIN", nil, nil)
	queue(&batch, "take the commit lock", `SELECT pg_advisory_xact_lock($1)`, []any{int64(commitLock)}, nil)
	if len(ids) > 0 {
		db.leaseTrips.Add(1)
		lc.checkedAt = time.Now()
		queue(&batch, "check leases", `UPDATE leases SET expires_at = greatest(expires_at, now() + $2 * interval '1 millisecond')
			WHERE worker_id = $1 AND (host_id, epoch) IN (SELECT * FROM unnest($3::bigint[], $4::bigint[]))
			RETURNING host_id`, []any{w.id, db.o.lease.Milliseconds(), ids, epochs}, func(br pgx.BatchResults) error {
			rows, err := br.Query()
			if err != nil {
				return err
			}
			var id int64
			_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
				hosts[names[id]] = true
				lc.extended = append(lc.extended, names[id])
				return nil
			})
			return err
		})
	}
	lc.begun = true
	if err := conn.SendBatch(ctx, &batch).Close(); err != nil {
		return lc, err
	}
	for h, ok := range hosts {
		if !ok {
			lc.lost = append(lc.lost, h)
		}
	}
	if len(lc.lost) == 0 {
		return lc, nil
	}
	out := record.Batch{Cutoff: b.Cutoff}
	for _, o := range b.Outcomes {
		if o.Job.ID != 0 && !hosts[o.Job.Host] {
			lc.dropped++
			continue
		}
		out.Outcomes = append(out.Outcomes, o)
	}
	for _, h := range b.Hosts {
		if hosts[h.Host] {
			out.Hosts = append(out.Hosts, h)
		}
	}
	for _, s := range b.Skips {
		if hosts[s.Host] {
			out.Skips = append(out.Skips, s)
		}
	}
	for _, r := range b.Releases {
		if hosts[r.Host] {
			out.Releases = append(out.Releases, r)
		}
	}
	lc.batch = out
	return lc, nil
}

// forget drops the leases of hosts a commit found taken over.
func (db *DB) forget(hosts []string) {
	db.lmu.Lock()
	for _, h := range hosts {
		delete(db.leases, h)
	}
	db.lmu.Unlock()
}

// RunDone reports whether a shared run's work is over: no URL is queued
// and no other worker holds a live lease (a holder may still discover
// URLs).
func (db *DB) RunDone(ctx context.Context) (bool, error) {
	var me int64
	if w := db.registration(); w != nil {
		me = w.id
	}
	var done bool
	err := db.again(ctx, "check the run's end", func() error {
		return db.pool.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM urls WHERE state = 'queued')
			AND NOT EXISTS (SELECT 1 FROM leases WHERE expires_at > now() AND worker_id <> $1)`, me).Scan(&done)
	})
	if err != nil {
		return false, fmt.Errorf("postgres: check the end of the run in %s: %w", db.target, err)
	}
	return done, nil
}

// dropLeases hands back, on Unlock, every lease this worker still holds,
// each host to be asked again after its stored delay.
func (db *DB) dropLeases(ctx context.Context, w *worker) error {
	db.lmu.Lock()
	db.leases = map[string]*lease{}
	db.lmu.Unlock()
	_, err := db.pool.Exec(ctx, `WITH d AS (DELETE FROM leases WHERE worker_id = $1 RETURNING host_id)
		UPDATE hosts h SET next_at = greatest(coalesce(h.next_at, now()),
			now() + greatest(coalesce(h.delay_ms, 0), coalesce(h.crawl_delay_ms, 0)) * interval '1 millisecond')
		FROM d WHERE h.id = d.host_id`, w.id)
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
