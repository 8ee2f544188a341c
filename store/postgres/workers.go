package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/trawl-crawler/trawl/store/record"
)

// ErrLocked means another live worker holds the database; it is
// record.ErrLocked, which every backend's lock error matches.
var ErrLocked = record.ErrLocked

// LockError says which worker holds the database; it matches ErrLocked.
type LockError struct {
	Target   string // the database
	Worker   int64  // workers.id
	PID      int
	Hostname string
	Since    time.Time
}

func (e *LockError) Error() string {
	return fmt.Sprintf("%s is in use by trawl process %d on %s since %s (worker %d)", e.Target, e.PID, e.Hostname,
		e.Since.Local().Format(time.DateTime), e.Worker)
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockError) Unwrap() error { return ErrLocked }

// workersLock is the advisory lock key that serialises registrations, so
// that two workers starting at once cannot both see the other absent.
const workersLock = 0x7472776c00000002 // "trwl", 2

// worker is this handle's registration and the goroutine that keeps it
// alive.
type worker struct {
	id     int64
	cancel context.CancelFunc
	done   chan struct{}
}

// Lock registers this process as the database's worker, with a heartbeat
// that keeps the registration alive while the process runs. For now a
// database has one worker at a time: while another registered worker is
// alive, Lock returns a *LockError naming it. A worker is taken to be gone
// when its heartbeat is older than its lease (a process killed, a machine
// switched off) or, on this machine, when its process has died; its
// registration is then ended and taken over. Calling Lock again on a handle
// that holds the lock does nothing.
func (db *DB) Lock(ctx context.Context) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.w != nil {
		return nil
	}
	host, _ := os.Hostname()
	pid := os.Getpid()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: lock %s: %w", db.target, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(workersLock)); err != nil {
		return fmt.Errorf("postgres: lock %s: %w", db.target, err)
	}
	rows, err := tx.Query(ctx, `SELECT id, pid, hostname, started_at,
		heartbeat_at + lease_ms * interval '1 millisecond' > now() AS alive
		FROM workers WHERE stopped_at IS NULL ORDER BY id`)
	if err != nil {
		return fmt.Errorf("postgres: lock %s: %w", db.target, err)
	}
	var holder *LockError
	var h LockError
	var since string
	var alive bool
	_, err = pgx.ForEachRow(rows, []any{&h.Worker, &h.PID, &h.Hostname, &since, &alive}, func() error {
		// A worker on this machine whose process is gone is gone, whatever
		// its heartbeat says; one on another machine cannot be checked.
		if holder == nil && alive && (h.Hostname != host || processAlive(h.PID)) {
			found := h
			found.Target, found.Since = db.target, parseTime(since)
			holder = &found
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: lock %s: %w", db.target, err)
	}
	if holder != nil {
		return holder
	}
	now := formatTime(time.Now())
	if _, err := tx.Exec(ctx, `UPDATE workers SET stopped_at = $1 WHERE stopped_at IS NULL`, now); err != nil {
		return fmt.Errorf("postgres: lock %s: %w", db.target, err)
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO workers(hostname, pid, started_at, heartbeat_at, lease_ms)
		VALUES ($1, $2, $3, now(), $4) RETURNING id`, clean(host), pid, now, db.o.lease.Milliseconds()).Scan(&id); err != nil {
		return fmt.Errorf("postgres: lock %s: %w", db.target, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: lock %s: %w", db.target, err)
	}
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	db.w = &worker{id: id, cancel: cancel, done: make(chan struct{})}
	go db.heartbeat(hctx, db.w)
	return nil
}

// heartbeat writes the worker's heartbeat every interval until ctx ends. A
// failed write is retried at the next tick: the lease is several
// heartbeats long, so one lost write (a restarting server) costs nothing.
func (db *DB) heartbeat(ctx context.Context, w *worker) {
	defer close(w.done)
	t := time.NewTicker(db.o.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		tag, err := db.pool.Exec(ctx, `UPDATE workers SET heartbeat_at = now() WHERE id = $1 AND stopped_at IS NULL`, w.id)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			slog.Warn("worker heartbeat failed", "db", db.target, "worker", w.id, "err", err)
		case tag.RowsAffected() == 0:
			// Another worker took over after this one missed its lease.
			slog.Warn("worker registration was taken over", "db", db.target, "worker", w.id)
		}
	}
}

// Unlock ends this handle's registration, if it holds one, and stops its
// heartbeat.
func (db *DB) Unlock(ctx context.Context) error {
	db.mu.Lock()
	w := db.w
	db.w = nil
	db.mu.Unlock()
	if w == nil {
		return nil
	}
	w.cancel()
	<-w.done
	if _, err := db.pool.Exec(ctx, `UPDATE workers SET stopped_at = $1 WHERE id = $2 AND stopped_at IS NULL`,
		formatTime(time.Now()), w.id); err != nil {
		return fmt.Errorf("postgres: unlock %s: %w", db.target, err)
	}
	return nil
}
