package postgres

import (
	"context"

	"github.com/trawl-crawler/trawl/store/record"
)

// The reads a running crawl makes wait for a database that went away (see
// again), so that a restart of the server pauses the crawl instead of
// ending it.

// retried runs read through db.again.
func retried[T any](ctx context.Context, db *DB, what string, read func() (T, error)) (T, error) {
	var v T
	err := db.again(ctx, what, func() error {
		var err error
		v, err = read()
		return err
	})
	return v, err
}

// QueuedHosts lists the hosts that have queued URLs, in the order they were
// first seen.
func (db *DB) QueuedHosts(ctx context.Context) ([]string, error) {
	return retried(ctx, db, "list queued hosts", func() ([]string, error) { return db.queuedHosts(ctx) })
}

// QueuedURLs returns up to limit queued URLs of host in crawl order (depth,
// then discovery), leaving out the ids in exclude (those the caller already
// holds), each with its last response from an earlier run.
func (db *DB) QueuedURLs(ctx context.Context, host string, limit int, exclude map[int64]struct{}) ([]record.Job, error) {
	return retried(ctx, db, "read a host's queue", func() ([]record.Job, error) {
		return db.queuedURLs(ctx, host, limit, exclude)
	})
}

// CountQueued returns how many URLs are queued.
func (db *DB) CountQueued(ctx context.Context) (int64, error) {
	return retried(ctx, db, "count the queue", func() (int64, error) { return db.countQueued(ctx) })
}

// RobotsBody returns the robots.txt body last stored for host: nil when
// none is stored, and an empty, non-nil slice for an empty file.
func (db *DB) RobotsBody(ctx context.Context, host string) ([]byte, error) {
	return retried(ctx, db, "read robots.txt", func() ([]byte, error) { return db.robotsBody(ctx, host) })
}

// HostStates returns the stored politeness state of every host.
func (db *DB) HostStates(ctx context.Context) (map[string]record.HostState, error) {
	return retried(ctx, db, "read host states", func() (map[string]record.HostState, error) { return db.hostStates(ctx) })
}

// HostPages counts, per host, the URLs fetched (done or failed) in run
// runID.
func (db *DB) HostPages(ctx context.Context, runID int64) (map[string]int, error) {
	return retried(ctx, db, "count pages per host", func() (map[string]int, error) { return db.hostPages(ctx, runID) })
}
