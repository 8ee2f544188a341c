package store

import (
	"context"
	"fmt"
)

// The write-side caches of Commit, guarded by DB.mu. A URL is fetched at most
// once per run: the seen set holds the ids of the URLs that belong to the run
// Commit writes, so that a rediscovered URL costs no statement; hostID spares
// a lookup of each new URL's host, and seq is the frontier's discovery
// counter. They are loaded by the first Commit of a run, grow with each
// committed transaction (keep), and are dropped when URLs change runs behind
// Commit's back (RequeueStale).

// keep adds what the committed transaction c stored to the caches.
// Callers hold db.mu.
func (db *DB) keep(c *commit) {
	for id := range c.newIDs {
		db.seen.add(id)
	}
	for h, id := range c.newHosts {
		db.hostID[h] = id
	}
	db.seq = c.seq
}

// loadLocked fills the write-side caches for run runID and prepares the
// statements on first use. Callers hold db.mu.
func (db *DB) loadLocked(ctx context.Context, runID int64) error {
	if db.seen != nil && db.seenRun == runID {
		return nil
	}
	if db.w == nil {
		return fmt.Errorf("store: %s is open read-only", db.path)
	}
	db.dropSeen() // a set of another run
	seen, err := db.loadSeen(ctx, runID)
	if err != nil {
		return err
	}
	if err := db.w.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM urls`).Scan(&db.seq); err != nil {
		seen.free()
		return fmt.Errorf("store: load frontier sequence from %s: %w", db.path, err)
	}
	db.seen, db.seenRun, db.soft = seen, runID, map[int64]string{}
	return db.prepareLocked(ctx)
}

// loadSeen reads the ids of run runID's URLs into a new set. On an error the
// set is freed (its table is outside the Go heap).
func (db *DB) loadSeen(ctx context.Context, runID int64) (*idSet, error) {
	seen := &idSet{}
	fail := func(err error) (*idSet, error) {
		seen.free()
		return nil, fmt.Errorf("store: load URL ids from %s: %w", db.path, err)
	}
	rows, err := db.w.QueryContext(ctx, `SELECT id FROM urls WHERE run_id = ?`, runID)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return fail(err)
		}
		seen.add(id)
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return seen, nil
}

// dropSeen forgets the seen set (its table is outside the Go heap, so it is
// freed here). Callers hold db.mu.
func (db *DB) dropSeen() {
	db.seen.free()
	db.seen, db.soft = nil, nil
}
