package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/trawl-crawler/trawl/store/record"
)

// The queue: which hosts and URLs wait to be fetched, and the statements that
// put URLs of earlier runs back in it (a refresh) or take URLs out (--fresh).

// QueuedHosts lists the hosts that have queued URLs.
func (db *DB) QueuedHosts(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT host FROM hosts h
		WHERE EXISTS (SELECT 1 FROM urls u WHERE u.host_id = h.id AND u.state = 'queued') ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list queued hosts in %s: %w", db.path, err)
	}
	defer rows.Close()
	var hosts []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("store: list queued hosts in %s: %w", db.path, err)
		}
		hosts = append(hosts, h)
	}
	return hosts, rows.Err()
}

// QueuedURLs returns up to limit queued URLs of host in crawl order (depth, then
// discovery), leaving out the ids in exclude (those the caller already holds).
func (db *DB) QueuedURLs(ctx context.Context, host string, limit int, exclude map[int64]struct{}) ([]record.Job, error) {
	st, err := db.queuedStmt(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: read queue of %s: %w", host, err)
	}
	rows, err := st.QueryContext(ctx, host, limit+len(exclude))
	if err != nil {
		return nil, fmt.Errorf("store: read queue of %s: %w", host, err)
	}
	defer rows.Close()
	var jobs []record.Job
	for rows.Next() {
		j := record.Job{Host: host}
		p := &j.Prev
		var retryAt string
		if err := rows.Scan(&j.ID, &j.URL, &j.Depth, &j.Via, &j.Tries, &j.Hops, &j.Chain, &retryAt, &p.FetchID, &p.Status, &p.ETag, &p.LastModified, &p.ContentHash); err != nil {
			return nil, fmt.Errorf("store: read queue of %s: %w", host, err)
		}
		j.RetryAt, _ = time.Parse(time.RFC3339Nano, retryAt)
		if _, ok := exclude[j.ID]; ok || len(jobs) == limit {
			continue
		}
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}

// queuedQuery reads a host's queue in crawl order; see QueuedURLs.
const queuedQuery = `SELECT u.id, u.url, u.depth, u.via, u.tries, u.hops, u.chain, coalesce(u.retry_at, ''),
		coalesce(f.id, 0), coalesce(f.status, 0), coalesce(f.etag, ''), coalesce(f.last_modified, ''), coalesce(f.content_hash, '')
	FROM urls u LEFT JOIN fetches f ON f.id = u.last_fetch_id AND f.run_id < u.run_id AND f.status IS NOT NULL
	WHERE u.host_id = (SELECT id FROM hosts WHERE host = ?) AND u.state = 'queued'
	ORDER BY u.depth, u.seq LIMIT ?`

// queuedStmt returns queuedQuery prepared on the read pool, preparing it
// on first use (the schema exists by then).
func (db *DB) queuedStmt(ctx context.Context) (*sql.Stmt, error) {
	db.qmu.Lock()
	defer db.qmu.Unlock()
	if db.queued == nil {
		st, err := db.r.PrepareContext(ctx, queuedQuery)
		if err != nil {
			return nil, err
		}
		db.queued = st
	}
	return db.queued, nil
}

// CountQueued returns how many URLs are queued.
func (db *DB) CountQueued(ctx context.Context) (int64, error) {
	var n int64
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM urls WHERE state = 'queued'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count queue in %s: %w", db.path, err)
	}
	return n, nil
}

// dueForRefresh is the refresh rule, as an SQL condition on a URL's last
// successful fetch, its sitemap lastmod and the run's cutoff (each given as
// an SQL expression): a URL of an earlier run is due for another fetch when
// it was never fetched successfully (a failure leaves fetched_at alone), when
// its last fetch is older than the cutoff (see crawler.RefreshCutoff), or
// when its sitemap says it changed after that fetch. Both ways back into the
// queue use it: RequeueStale at the start of a refresh, and Commit when a
// refresh rediscovers a URL.
func dueForRefresh(fetchedAt, lastmod, cutoff string) string {
	return "(" + fetchedAt + " IS NULL OR " + fetchedAt + " < " + cutoff +
		" OR (" + lastmod + " IS NOT NULL AND " + lastmod + " > " + fetchedAt + "))"
}

// RequeueStale starts a refresh: every URL last fetched successfully before
// cutoff (or never: failures leave fetched_at alone), or whose sitemap lastmod
// is newer than its last fetch, is queued again in run runID, and so is every
// URL an earlier run skipped with one of the reasons in retry (the caller's
// list of reasons that may have passed, such as a parked host). It returns
// how many were queued.
func (db *DB) RequeueStale(ctx context.Context, runID int64, cutoff time.Time, retry []string) (int64, error) {
	reasons, err := json.Marshal(retry)
	if err != nil {
		return 0, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	res, err := db.w.ExecContext(ctx, `UPDATE urls SET state = 'queued', reason = NULL, run_id = ?1, tries = 0
		WHERE run_id < ?1 AND (
			(state IN ('done', 'failed') AND `+dueForRefresh("fetched_at", "lastmod", "?2")+`)
			OR (state = 'skipped' AND reason IN (SELECT value FROM json_each(?3))))`,
		runID, formatTime(cutoff), reasons)
	if err != nil {
		return 0, db.diskFull(fmt.Errorf("store: queue stale URLs in %s: %w", db.path, err))
	}
	db.dropSeen() // the requeued URLs now belong to this run
	return res.RowsAffected()
}

// AbandonQueue takes every queued URL out of the queue (state skipped, reason
// "abandoned"), keeping its history, so that --fresh starts over from the seeds.
func (db *DB) AbandonQueue(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `UPDATE urls SET state = 'skipped', reason = 'abandoned' WHERE state = 'queued'`); err != nil {
		return db.diskFull(fmt.Errorf("store: abandon queue of %s: %w", db.path, err))
	}
	return nil
}
