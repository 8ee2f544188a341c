package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/trawl-crawler/trawl/store/record"
)

const runCols = `id, kind, status, config, started_at, coalesce(finished_at, ''), resumes, pages, errors, retries, bytes, discovered, skipped`

func scanRun(row interface{ Scan(...any) error }) (*record.Run, error) {
	var r record.Run
	var started, finished string
	if err := row.Scan(&r.ID, &r.Kind, &r.Status, &r.Config, &started, &finished, &r.Resumes, &r.Pages,
		&r.Errors, &r.Retries, &r.Bytes, &r.Discovered, &r.Skipped); err != nil {
		return nil, err
	}
	r.StartedAt, _ = time.Parse(time.RFC3339Nano, started)
	r.FinishedAt, _ = time.Parse(time.RFC3339Nano, finished)
	return &r, nil
}

// Runs returns every run, oldest first.
func (db *DB) Runs(ctx context.Context) ([]*record.Run, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+runCols+` FROM runs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list runs of %s: %w", db.path, err)
	}
	defer rows.Close()
	var runs []*record.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list runs of %s: %w", db.path, err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list runs of %s: %w", db.path, err)
	}
	return runs, nil
}

// PageTitle returns the title of url's latest page in run runID that
// answered 200, and false when the run has none.
func (db *DB) PageTitle(ctx context.Context, runID int64, url string) (string, bool, error) {
	var title sql.NullString
	err := db.r.QueryRowContext(ctx, `SELECT title FROM run_pages WHERE run_id = ? AND url = ? AND http_status = 200`,
		runID, url).Scan(&title)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: read the title of %s in %s: %w", url, db.path, err)
	}
	return title.String, true, nil
}

// LastRun returns the newest run, or nil when the database has none.
func (db *DB) LastRun(ctx context.Context) (*record.Run, error) {
	r, err := scanRun(db.r.QueryRowContext(ctx, `SELECT `+runCols+` FROM runs ORDER BY id DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: read last run of %s: %w", db.path, err)
	}
	return r, nil
}

// GetRun returns run id.
func (db *DB) GetRun(ctx context.Context, id int64) (*record.Run, error) {
	r, err := scanRun(db.r.QueryRowContext(ctx, `SELECT `+runCols+` FROM runs WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("store: read run %d of %s: %w", id, db.path, err)
	}
	return r, nil
}

// StartRun inserts a new running run with the given kind and configuration.
func (db *DB) StartRun(ctx context.Context, kind string, config []byte) (*record.Run, error) {
	now := formatTime(time.Now())
	res, err := db.w.ExecContext(ctx, `INSERT INTO runs(started_at, updated_at, status, kind, config) VALUES (?, ?, 'running', ?, ?)`,
		now, now, kind, string(config))
	if err != nil {
		return nil, db.diskFull(fmt.Errorf("store: start run in %s: %w", db.path, err))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, db.diskFull(fmt.Errorf("store: start run in %s: %w", db.path, err))
	}
	return db.GetRun(ctx, id)
}

// ResumeRun marks run id running again and stores its (possibly overridden)
// configuration.
func (db *DB) ResumeRun(ctx context.Context, id int64, config []byte) error {
	_, err := db.w.ExecContext(ctx, `UPDATE runs SET status = 'running', finished_at = NULL, resumes = resumes + 1,
		config = ?, updated_at = ? WHERE id = ?`, string(config), formatTime(time.Now()), id)
	if err != nil {
		return db.diskFull(fmt.Errorf("store: resume run %d in %s: %w", id, db.path, err))
	}
	return nil
}

// EndRun records how run id ended.
func (db *DB) EndRun(ctx context.Context, id int64, status string) error {
	now := formatTime(time.Now())
	_, err := db.w.ExecContext(ctx, `UPDATE runs SET status = ?, finished_at = ?, updated_at = ? WHERE id = ?`,
		status, now, now, id)
	if err != nil {
		return db.diskFull(fmt.Errorf("store: end run %d in %s: %w", id, db.path, err))
	}
	return nil
}

// FirstStartSince returns the start of the earliest run that started at or
// after t, or the zero time when none did. It compares in Go, not in SQL:
// RFC 3339 text with trimmed fractions does not sort as time does.
func (db *DB) FirstStartSince(ctx context.Context, t time.Time) (time.Time, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT started_at FROM runs`)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: read run starts of %s: %w", db.path, err)
	}
	defer rows.Close()
	var first time.Time
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			return time.Time{}, fmt.Errorf("store: read run starts of %s: %w", db.path, err)
		}
		started, _ := time.Parse(time.RFC3339Nano, text)
		if !started.Before(t) && (first.IsZero() || started.Before(first)) {
			first = started
		}
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, fmt.Errorf("store: read run starts of %s: %w", db.path, err)
	}
	return first, nil
}

// RunSucceeded reports whether run id has at least one successful response
// for a page: a 2xx, or a 304 that confirmed a stored copy
// (fetches.content_status), of a URL that is neither a sitemap file nor the
// login step's. A run without one crawled a dead site (unreachable,
// robots.txt denying everything, every page failing), however well its
// sitemap probe or its login went.
func (db *DB) RunSucceeded(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := db.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM fetches f JOIN urls u ON u.id = f.url_id
		WHERE f.run_id = ? AND f.content_status BETWEEN 200 AND 299
			AND u.via NOT IN ('sitemap', 'login') AND coalesce(u.reason, '') != 'login')`, id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store: read outcomes of run %d in %s: %w", id, db.path, err)
	}
	return ok, nil
}
