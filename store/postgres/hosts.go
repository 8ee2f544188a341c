package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/trawl-crawler/trawl/store/record"
)

// robotsBody returns the robots.txt body last stored for host: nil when
// none is stored, and an empty, non-nil slice for an empty file.
func (db *DB) robotsBody(ctx context.Context, host string) ([]byte, error) {
	var body []byte
	var stored bool
	err := db.pool.QueryRow(ctx, `SELECT robots_body, robots_body IS NOT NULL FROM hosts WHERE host = $1`, host).
		Scan(&body, &stored)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: read robots.txt of %s: %w", host, err)
	}
	switch {
	case !stored:
		return nil, nil
	case body == nil:
		return []byte{}, nil
	}
	return body, nil
}

// hostStates returns the stored politeness state of every host.
func (db *DB) hostStates(ctx context.Context) (map[string]record.HostState, error) {
	rows, err := db.pool.Query(ctx, `SELECT host, coalesce(robots_status, ''), coalesce(robots_fetched_at, ''),
		coalesce(crawl_delay_ms, 0), coalesce(delay_ms, 0), coalesce(backoff_until, ''),
		coalesce(parked_reason, ''), failures FROM hosts`)
	if err != nil {
		return nil, fmt.Errorf("postgres: read hosts of %s: %w", db.target, err)
	}
	out := map[string]record.HostState{}
	var h record.HostState
	var fetched, backoff string
	var crawlDelay, delay int64
	_, err = pgx.ForEachRow(rows, []any{&h.Host, &h.RobotsStatus, &fetched, &crawlDelay, &delay, &backoff,
		&h.ParkedReason, &h.Failures}, func() error {
		st := h
		st.RobotsFetchedAt = parseTime(fetched)
		st.BackoffUntil = parseTime(backoff)
		st.CrawlDelay = time.Duration(crawlDelay) * time.Millisecond
		st.Delay = time.Duration(delay) * time.Millisecond
		out[st.Host] = st
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: read hosts of %s: %w", db.target, err)
	}
	return out, nil
}

// hostPages counts, per host, the URLs fetched (done or failed) in run
// runID.
func (db *DB) hostPages(ctx context.Context, runID int64) (map[string]int, error) {
	rows, err := db.pool.Query(ctx, `SELECT h.host, count(*) FROM urls u JOIN hosts h ON h.id = u.host_id
		WHERE u.run_id = $1 AND u.state IN ('done', 'failed') GROUP BY h.host`, runID)
	if err != nil {
		return nil, fmt.Errorf("postgres: count pages per host in %s: %w", db.target, err)
	}
	out := map[string]int{}
	var host string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&host, &n}, func() error {
		out[host] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: count pages per host in %s: %w", db.target, err)
	}
	return out, nil
}
