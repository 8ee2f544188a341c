package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/trawl-crawler/trawl/store/record"
)

const runCols = `id, kind, status, config, started_at, coalesce(finished_at, ''), resumes, pages, errors, retries, bytes, discovered, skipped`

func scanRun(row pgx.Row) (*record.Run, error) {
	var r record.Run
	var started, finished string
	if err := row.Scan(&r.ID, &r.Kind, &r.Status, &r.Config, &started, &finished, &r.Resumes, &r.Pages,
		&r.Errors, &r.Retries, &r.Bytes, &r.Discovered, &r.Skipped); err != nil {
		return nil, err
	}
	r.StartedAt = parseTime(started)
	r.FinishedAt = parseTime(finished)
	return &r, nil
}

// LastRun returns the newest run, or nil when the database has none.
func (db *DB) LastRun(ctx context.Context) (*record.Run, error) {
	r, err := scanRun(db.pool.QueryRow(ctx, `SELECT `+runCols+` FROM runs ORDER BY id DESC LIMIT 1`))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: read last run of %s: %w", db.target, err)
	}
	return r, nil
}

// GetRun returns run id.
func (db *DB) GetRun(ctx context.Context, id int64) (*record.Run, error) {
	r, err := scanRun(db.pool.QueryRow(ctx, `SELECT `+runCols+` FROM runs WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("postgres: read run %d of %s: %w", id, db.target, err)
	}
	return r, nil
}

// StartRun inserts a new running run with the given kind and configuration
// (JSON), joined by this worker. It refuses, with a *LockError, while
// another live worker works on a running run: a second run beside it
// would take its frontier.
func (db *DB) StartRun(ctx context.Context, kind string, config []byte) (*record.Run, error) {
	if other, err := db.liveOthers(ctx, db.pool, 0); err != nil {
		return nil, fmt.Errorf("postgres: start run in %s: %w", db.target, err)
	} else if other != nil {
		return nil, other
	}
	now := formatTime(time.Now())
	var id int64
	err := db.pool.QueryRow(ctx, `INSERT INTO runs(started_at, updated_at, status, kind, config) VALUES ($1, $2, 'running', $3, $4)
		RETURNING id`, now, now, kind, jsonText(config)).Scan(&id)
	if err == nil {
		err = db.join(ctx, db.pool, id)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: start run in %s: %w", db.target, err)
	}
	return db.GetRun(ctx, id)
}

// ResumeRun marks run id running again and stores its (possibly
// overridden) configuration. Where other live workers work on the run
// already, this worker joins it instead: the run, its configuration and
// its resume count are left as they are (the settings that define the
// run are the stored ones, which crawler.Begin tells a joining worker
// about).
func (db *DB) ResumeRun(ctx context.Context, id int64, config []byte) error {
	other, err := db.liveOthers(ctx, db.pool, id)
	if err != nil {
		return fmt.Errorf("postgres: resume run %d in %s: %w", id, db.target, err)
	}
	if other != nil {
		if err := db.join(ctx, db.pool, id); err != nil {
			return fmt.Errorf("postgres: join run %d in %s: %w", id, db.target, err)
		}
		slog.Info("joining the run other workers crawl", "run", id, "worker", other.Worker, "on", other.Hostname)
		return nil
	}
	_, err = db.pool.Exec(ctx, `UPDATE runs SET status = 'running', finished_at = NULL, resumes = resumes + 1,
		config = $1, updated_at = $2 WHERE id = $3`, jsonText(config), formatTime(time.Now()), id)
	if err == nil {
		err = db.join(ctx, db.pool, id)
	}
	if err != nil {
		return fmt.Errorf("postgres: resume run %d in %s: %w", id, db.target, err)
	}
	return nil
}

// EndRun records how run id ended. On a run that workers share, only the
// last worker to leave ends it: a worker that stops (a signal, a budget)
// while others go on leaves the run running, and a run is finished only
// when no URL is queued and no other worker holds a host's lease.
func (db *DB) EndRun(ctx context.Context, id int64, status string) error {
	other, err := db.liveOthers(ctx, db.pool, id)
	if err != nil {
		return fmt.Errorf("postgres: end run %d in %s: %w", id, db.target, err)
	}
	if other != nil {
		if status != record.RunFinished {
			return nil
		}
		done, err := db.RunDone(ctx)
		if err != nil || !done {
			return err
		}
	}
	now := formatTime(time.Now())
	_, err = db.pool.Exec(ctx, `UPDATE runs SET status = $1, finished_at = $2, updated_at = $2 WHERE id = $3`,
		status, now, id)
	if err != nil {
		return fmt.Errorf("postgres: end run %d in %s: %w", id, db.target, err)
	}
	return nil
}

// refuseBeside returns a *LockError while another live worker works on a
// running run, for what would take the run's frontier from it.
func (db *DB) refuseBeside(ctx context.Context) error {
	other, err := db.liveOthers(ctx, db.pool, 0)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", db.target, err)
	}
	if other != nil {
		return other
	}
	return nil
}

// FirstStartSince returns the start of the earliest run that started at or
// after t, or the zero time when none did.
func (db *DB) FirstStartSince(ctx context.Context, t time.Time) (time.Time, error) {
	// Stored times are fixed-width, so text order is time order; a run
	// whose started_at does not parse (written by hand) is passed over, as
	// on SQLite, by reading them all.
	rows, err := db.pool.Query(ctx, `SELECT started_at FROM runs`)
	if err != nil {
		return time.Time{}, fmt.Errorf("postgres: list runs of %s: %w", db.target, err)
	}
	var first time.Time
	var s string
	_, err = pgx.ForEachRow(rows, []any{&s}, func() error {
		if st := parseTime(s); !st.Before(t) && (first.IsZero() || st.Before(first)) {
			first = st
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("postgres: list runs of %s: %w", db.target, err)
	}
	return first, nil
}

// RunSucceeded reports whether run id has at least one successful response
// for a page: a 2xx, or a 304 that confirmed a stored copy, of a URL that is
// neither a sitemap file nor the login step's.
func (db *DB) RunSucceeded(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM fetches f JOIN urls u ON u.id = f.url_id
		WHERE f.run_id = $1 AND f.content_status BETWEEN 200 AND 299
			AND u.via NOT IN ('sitemap', 'login') AND coalesce(u.reason, '') != 'login')`, id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("postgres: read outcomes of run %d in %s: %w", id, db.target, err)
	}
	return ok, nil
}
