package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/trawl-crawler/trawl/store/record"
)

// The hosts' politeness state and robots.txt bodies, as Commit stores them
// (see commit.recordHosts), read back when a crawl starts or resumes.

// RobotsBody returns the robots.txt body last stored for host: nil when none
// is stored, and an empty, non-nil slice for an empty file.
func (db *DB) RobotsBody(ctx context.Context, host string) ([]byte, error) {
	var body []byte
	var stored bool
	err := db.r.QueryRowContext(ctx, `SELECT robots_body, robots_body IS NOT NULL FROM hosts WHERE host = ?`, host).
		Scan(&body, &stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: read robots.txt of %s: %w", host, err)
	}
	if stored && body == nil {
		body = []byte{}
	}
	return body, nil
}

// HostStates returns the stored politeness state of every host.
func (db *DB) HostStates(ctx context.Context) (map[string]record.HostState, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT host, coalesce(robots_status, ''), coalesce(robots_fetched_at, ''),
		coalesce(crawl_delay_ms, 0), coalesce(delay_ms, 0), coalesce(backoff_until, ''),
		coalesce(parked_reason, ''), failures FROM hosts`)
	if err != nil {
		return nil, fmt.Errorf("store: read hosts of %s: %w", db.path, err)
	}
	defer rows.Close()
	out := map[string]record.HostState{}
	for rows.Next() {
		var h record.HostState
		var fetched, backoff string
		var crawlDelay, delay int64
		if err := rows.Scan(&h.Host, &h.RobotsStatus, &fetched, &crawlDelay, &delay, &backoff,
			&h.ParkedReason, &h.Failures); err != nil {
			return nil, fmt.Errorf("store: read hosts of %s: %w", db.path, err)
		}
		h.RobotsFetchedAt, _ = time.Parse(time.RFC3339Nano, fetched)
		h.BackoffUntil, _ = time.Parse(time.RFC3339Nano, backoff)
		h.CrawlDelay = time.Duration(crawlDelay) * time.Millisecond
		h.Delay = time.Duration(delay) * time.Millisecond
		out[h.Host] = h
	}
	return out, rows.Err()
}

// HostPages counts, per host, the URLs fetched (done or failed) in run runID.
func (db *DB) HostPages(ctx context.Context, runID int64) (map[string]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT h.host, count(*) FROM urls u JOIN hosts h ON h.id = u.host_id
		WHERE u.run_id = ? AND u.state IN ('done', 'failed') GROUP BY h.host`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: count pages per host in %s: %w", db.path, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var h string
		var n int
		if err := rows.Scan(&h, &n); err != nil {
			return nil, fmt.Errorf("store: count pages per host in %s: %w", db.path, err)
		}
		out[h] = n
	}
	return out, rows.Err()
}
