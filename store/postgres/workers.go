package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/trawl-crawler/trawl/store/record"
)

// ErrLocked means another live worker works on the database's running
// run, where this one asked to start another or give up its queue; it is
// record.ErrLocked, which every backend's lock error matches.
var ErrLocked = record.ErrLocked

// LockError names a live worker of the running run that a worker may not
// take away (a --fresh start, a second run); it matches ErrLocked.
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

// beginLock is the advisory lock key a worker holds from Lock until it
// starts crawling (its first Commit or claim): of workers starting at once,
// one starts, resumes or refreshes the run and queues its work, and the
// others find the run running and join it.
const beginLock = 0x7472776c00000003 // "trwl", 3

// Lock registers this process as a worker of the database, with a
// heartbeat that keeps the registration (and the worker's host leases)
// alive while the process runs. Several workers may work on one database
// at once: they share its running run (see docs/postgres.md). A worker is
// taken to be gone when its heartbeat is older than its lease (a process
// killed, a machine switched off) or, on this machine, when its process
// has died; Lock marks such registrations stopped. Lock then waits for the
// begin lock, which it holds until this worker starts crawling, so that
// the run's start is decided by one worker at a time. Calling Lock again
// on a handle that holds the lock does nothing.
func (db *DB) Lock(ctx context.Context) error {
	db.lmu.Lock()
	registered := db.w != nil
	db.lmu.Unlock()
	if registered {
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
	rows, err := tx.Query(ctx, `SELECT id, pid, hostname,
		heartbeat_at + lease_ms * interval '1 millisecond' > now() AS alive
		FROM workers WHERE stopped_at IS NULL ORDER BY id`)
	if err != nil {
		return fmt.Errorf("postgres: lock %s: %w", db.target, err)
	}
	var gone []int64
	var id int64
	var wpid int
	var whost string
	var alive bool
	_, err = pgx.ForEachRow(rows, []any{&id, &wpid, &whost, &alive}, func() error {
		// A worker on this machine whose process is gone is gone, whatever
		// its heartbeat says; one on another machine cannot be checked.
		if !alive || (whost == host && !processAlive(wpid)) {
			gone = append(gone, id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: lock %s: %w", db.target, err)
	}
	now := formatTime(time.Now())
	if _, err := tx.Exec(ctx, `UPDATE workers SET stopped_at = $1 WHERE id = ANY($2::bigint[])`, now, gone); err != nil {
		return fmt.Errorf("postgres: lock %s: %w", db.target, err)
	}
	if err := tx.QueryRow(ctx, `INSERT INTO workers(hostname, pid, started_at, heartbeat_at, lease_ms)
		VALUES ($1, $2, $3, now(), $4) RETURNING id`, clean(host), pid, now, db.o.lease.Milliseconds()).Scan(&id); err != nil {
		return fmt.Errorf("postgres: lock %s: %w", db.target, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: lock %s: %w", db.target, err)
	}
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &worker{id: id, cancel: cancel, done: make(chan struct{})}
	go db.heartbeat(hctx, w)
	db.lmu.Lock()
	db.w, db.commits, db.leasing = w, 0, false
	db.lmu.Unlock()
	conn, err := db.pool.Acquire(ctx)
	if err == nil {
		if _, err = conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(beginLock)); err != nil {
			conn.Release()
		}
	}
	if err != nil {
		db.Unlock(context.WithoutCancel(ctx))
		return fmt.Errorf("postgres: lock %s: wait for the workers starting: %w", db.target, err)
	}
	db.lmu.Lock()
	db.begin = conn
	db.lmu.Unlock()
	return nil
}

// releaseBegin gives up the begin lock, if this handle holds it.
func (db *DB) releaseBegin() {
	db.lmu.Lock()
	conn := db.begin
	db.begin = nil
	db.lmu.Unlock()
	if conn == nil {
		return
	}
	if _, err := conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(beginLock)); err != nil {
		// The lock ends with its session: drop the connection.
		conn.Conn().Close(context.Background())
	}
	conn.Release()
}

// registration is this handle's worker, or nil.
func (db *DB) registration() *worker {
	db.lmu.Lock()
	defer db.lmu.Unlock()
	return db.w
}

// heartbeat writes the worker's heartbeat, and renews its host leases,
// every interval until ctx ends. A failed write is retried at the next
// tick: the lease is several heartbeats long, so one lost write (a
// restarting server) costs nothing.
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
		if err == nil {
			err = db.renewLeases(ctx, w)
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			slog.Warn("worker heartbeat failed", "db", db.target, "worker", w.id, "err", err)
		case tag.RowsAffected() == 0:
			// Another worker found this one gone after it missed its lease.
			slog.Warn("worker registration was ended by another worker", "db", db.target, "worker", w.id)
		}
	}
}

// Unlock hands back the host leases this handle still holds, ends its
// registration, if it holds one, and stops its heartbeat.
func (db *DB) Unlock(ctx context.Context) error {
	db.releaseBegin()
	db.lmu.Lock()
	w := db.w
	db.w = nil
	db.lmu.Unlock()
	if w == nil {
		return nil
	}
	w.cancel()
	<-w.done
	err := db.dropLeases(ctx, w)
	if _, err2 := db.pool.Exec(ctx, `UPDATE workers SET stopped_at = $1 WHERE id = $2 AND stopped_at IS NULL`,
		formatTime(time.Now()), w.id); err == nil {
		err = err2
	}
	if err != nil {
		return fmt.Errorf("postgres: unlock %s: %w", db.target, err)
	}
	return nil
}

// liveOthers returns, of the live workers other than this handle's that
// joined run runID (any run, for 0), the first one, or nil.
func (db *DB) liveOthers(ctx context.Context, q querier, runID int64) (*LockError, error) {
	var me int64
	if w := db.registration(); w != nil {
		me = w.id
	}
	var h LockError
	var since string
	err := q.QueryRow(ctx, `SELECT w.id, w.pid, w.hostname, w.started_at FROM workers w JOIN runs r ON r.id = w.run_id
		WHERE w.stopped_at IS NULL AND w.id <> $1 AND heartbeat_at + lease_ms * interval '1 millisecond' > now()
			AND r.status = 'running' AND ($2 = 0 OR w.run_id = $2)
		ORDER BY w.id LIMIT 1`, me, runID).Scan(&h.Worker, &h.PID, &h.Hostname, &since)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h.Target, h.Since = db.target, parseTime(since)
	return &h, nil
}

// join records that this handle's worker works on run runID.
func (db *DB) join(ctx context.Context, q interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, runID int64) error {
	w := db.registration()
	if w == nil {
		return nil
	}
	_, err := q.Exec(ctx, `UPDATE workers SET run_id = $1 WHERE id = $2`, runID, w.id)
	return err
}
