package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/trawl-crawler/trawl/store/record"
)

// queuedHosts lists the hosts that have queued URLs, in the order they were
// first seen.
func (db *DB) queuedHosts(ctx context.Context) ([]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT host FROM hosts h
		WHERE EXISTS (SELECT 1 FROM urls u WHERE u.host_id = h.id AND u.state = 'queued') ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list queued hosts in %s: %w", db.target, err)
	}
	hosts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: list queued hosts in %s: %w", db.target, err)
	}
	return hosts, nil
}

// queuedURLs returns up to limit queued URLs of host in crawl order (depth,
// then discovery), leaving out the ids in exclude (those the caller already
// holds), each with its last response from an earlier run.
func (db *DB) queuedURLs(ctx context.Context, host string, limit int, exclude map[int64]struct{}) ([]record.Job, error) {
	rows, err := db.pool.Query(ctx, `SELECT u.id, u.url, u.depth, u.via, u.tries, u.hops, u.chain, coalesce(u.retry_at, ''),
			coalesce(f.id, 0), coalesce(f.status, 0), coalesce(f.etag, ''), coalesce(f.last_modified, ''), coalesce(f.content_hash, '')
		FROM urls u LEFT JOIN fetches f ON f.id = u.last_fetch_id AND f.run_id < u.run_id AND f.status IS NOT NULL
		WHERE u.host_id = (SELECT id FROM hosts WHERE host = $1) AND u.state = 'queued'
		ORDER BY u.depth, u.seq LIMIT $2`, host, limit+len(exclude))
	if err != nil {
		return nil, fmt.Errorf("postgres: read queue of %s: %w", host, err)
	}
	var jobs []record.Job
	var j record.Job
	var retryAt string
	p := &j.Prev
	_, err = pgx.ForEachRow(rows, []any{&j.ID, &j.URL, &j.Depth, &j.Via, &j.Tries, &j.Hops, &j.Chain, &retryAt,
		&p.FetchID, &p.Status, &p.ETag, &p.LastModified, &p.ContentHash}, func() error {
		if _, ok := exclude[j.ID]; ok || len(jobs) == limit {
			return nil
		}
		job := j
		job.Host = host
		job.RetryAt = parseTime(retryAt)
		jobs = append(jobs, job)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: read queue of %s: %w", host, err)
	}
	return jobs, nil
}

// countQueued returns how many URLs are queued.
func (db *DB) countQueued(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM urls WHERE state = 'queued'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count queue in %s: %w", db.target, err)
	}
	return n, nil
}

// RequeueStale starts a refresh: every URL last fetched successfully before
// cutoff (or never: failures leave fetched_at alone), or whose sitemap
// lastmod is newer than its last fetch, is queued again in run runID, and so
// is every URL an earlier run skipped with one of the reasons in retry. It
// returns how many were queued.
func (db *DB) RequeueStale(ctx context.Context, runID int64, cutoff time.Time, retry []string) (int64, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	tag, err := db.pool.Exec(ctx, `UPDATE urls SET state = 'queued', reason = NULL, run_id = $1, tries = 0
		WHERE run_id < $1 AND (
			(state IN ('done', 'failed')
				AND (fetched_at IS NULL OR fetched_at < $2::text OR (lastmod IS NOT NULL AND lastmod > fetched_at)))
			OR (state = 'skipped' AND reason = ANY($3::text[])))`,
		runID, formatTime(cutoff), retry)
	if err != nil {
		return 0, fmt.Errorf("postgres: queue stale URLs in %s: %w", db.target, err)
	}
	db.seen, db.soft = nil, nil // the requeued URLs now belong to this run
	return tag.RowsAffected(), nil
}

// AbandonQueue takes every queued URL out of the queue (state skipped,
// reason "abandoned"), keeping its history, so that a fresh crawl starts
// over from the seeds.
func (db *DB) AbandonQueue(ctx context.Context) error {
	if err := db.refuseBeside(ctx); err != nil {
		return err
	}
	if _, err := db.pool.Exec(ctx, `UPDATE urls SET state = 'skipped', reason = 'abandoned' WHERE state = 'queued'`); err != nil {
		return fmt.Errorf("postgres: abandon queue of %s: %w", db.target, err)
	}
	return nil
}
