package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/trawl-crawler/trawl/store/record"
)

// Back-off between attempts while the database is away.
const (
	retryFirst = 100 * time.Millisecond
	retryMax   = 5 * time.Second
)

// final marks an error that again must not retry, though it looks like a
// lost connection: a commit whose COMMIT got no answer, when there is no
// way to learn whether it was applied.
type final struct{ err error }

func (e final) Error() string { return e.err.Error() }
func (e final) Unwrap() error { return e.err }

// again runs fn until it succeeds, fails for a reason other than the
// database being away, ctx ends, or the database has been away for longer
// than the outage setting. While the database is away (restarting,
// unreachable) the caller waits: a crawl pauses instead of failing, and
// no URL is marked failed because of it. The pool reconnects by itself.
func (db *DB) again(ctx context.Context, what string, fn func() error) error {
	wait := retryFirst
	var since time.Time
	conflicts := 0
	for {
		err := fn()
		var f final
		if conflict(err) && conflicts < maxConflicts && ctx.Err() == nil {
			// Another worker's transaction took the same rows in another
			// order; the server aborted this one, which left nothing.
			conflicts++
			t := time.NewTimer(time.Duration(conflicts) * time.Duration(rand.Int64N(int64(10*time.Millisecond))+1))
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
			continue
		}
		if err == nil || errors.As(err, &f) || !transient(err) || ctx.Err() != nil {
			if err == nil && !since.IsZero() {
				slog.Info("database reachable again; going on", "db", db.target, "after", time.Since(since).Round(time.Millisecond))
			}
			return err
		}
		if since.IsZero() {
			since = time.Now()
			slog.Warn("database unreachable; waiting for it", "db", db.target, "during", what, "err", err)
		} else if time.Since(since) > db.o.outage {
			return fmt.Errorf("database away for more than %v: %w", db.o.outage, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(wait*2, retryMax)
	}
}

// maxConflicts bounds the attempts at a transaction the server aborted
// for a deadlock or a serialization failure.
const maxConflicts = 50

// conflict reports whether err is a deadlock or serialization failure:
// workers' commits that took the same rows (a URL two of them discovered)
// in opposite orders. The transaction was rolled back, and is tried again.
func conflict(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001")
}

// transient reports whether err says the database is away rather than that
// the request was wrong: no connection could be made, the connection broke,
// or the server is shutting down, starting up or out of connections.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return strings.HasPrefix(pg.Code, "08") || // connection exception
			pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03" || // shutting down, crashed, starting
			pg.Code == "25P03" || // the session was ended, idle in a transaction past a lease (a paused worker)
			pg.Code == codeTooManyConnections
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ENOENT):
		return true
	case pgconn.SafeToRetry(err), pgconn.Timeout(err):
		return true
	}
	// pgx reports a connection that died under a query without a type.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") ||
		strings.Contains(msg, "connection reset") || strings.Contains(msg, "broken pipe")
}

// Commit stores a batch in one transaction: each fetch row, its outlinks,
// the URL's new state, the newly discovered URLs, host states, skipped hosts
// and the run's counters. Either all of it is stored or none of it. An
// Outcome with a zero Job only adds its Discovered URLs. Host skips apply
// after the outcomes, so they also cover URLs the same batch discovered.
//
// On a store whose hosts are leased (ClaimHosts), what belongs to a host
// whose lease another worker took over is dropped, and the result names
// the host (CommitResult.Lost). While the database is away, Commit waits
// and tries again (see again); a commit whose COMMIT got no answer is
// found applied or not by the worker's commit counter, so that it is
// recorded once either way.
func (db *DB) Commit(ctx context.Context, runID int64, b record.Batch) (record.CommitResult, error) {
	db.releaseBegin()
	var res record.CommitResult
	err := db.again(ctx, "commit", func() error {
		var err error
		res, err = db.commitOnce(ctx, runID, b)
		return err
	})
	return res, err
}

// queueCount queues, in a commit's last pipeline, the commit's count in
// the worker's row: its number (the commit counter that settlePending
// reads), and the pages, errors and dropped outcomes it recorded, which
// run_workers shows.
func (db *DB) queueCount(batch *pgx.Batch, res *record.CommitResult, dropped int64) {
	w := db.registration()
	if w == nil {
		return
	}
	queue(batch, "count the commit", `UPDATE workers SET commits = commits + 1, pages = pages + $2, errors = errors + $3,
		dropped = dropped + $4 WHERE id = $1`, []any{w.id, res.Pages, res.Errors, dropped}, nil)
}

// unanswered handles a failed COMMIT. A transient failure may have come
// after the server applied the commit: with a registration, the commit
// (apply, which takes it into the caches) is kept pending for
// settlePending to decide and err is retried; without one there is no
// telling, and err is final.
func (db *DB) unanswered(apply func() record.CommitResult, err error) error {
	if !transient(err) {
		return err
	}
	if db.registration() == nil {
		return final{err}
	}
	db.pending = apply
	return err
}

// settlePending decides a commit whose COMMIT got no answer, by the
// worker's commit counter: applied (its result is returned, done) or not
// (the batch is committed again). Callers hold db.mu.
func (db *DB) settlePending(ctx context.Context) (record.CommitResult, bool, error) {
	apply := db.pending
	w := db.registration()
	if apply == nil || w == nil {
		db.pending = nil
		return record.CommitResult{}, false, nil
	}
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT commits FROM workers WHERE id = $1`, w.id).Scan(&n); err != nil {
		return record.CommitResult{}, false, fmt.Errorf("postgres: read commit counter of worker %d: %w", w.id, err)
	}
	db.pending = nil
	if n > db.commits {
		return apply(), true, nil
	}
	return record.CommitResult{}, false, nil
}
