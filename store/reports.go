package store

import (
	"context"
	"database/sql"
	"fmt"
)

// What trawl's read commands (export, diff, runs, extract) ask of a
// database beyond the documented views, so that they need not know its
// tables.

// HasRun reports whether the database has run id.
func (db *DB) HasRun(ctx context.Context, id int64) (bool, error) {
	var ok bool
	if err := db.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?)`, id).Scan(&ok); err != nil {
		return false, fmt.Errorf("store: look for run %d in %s: %w", id, db.path, err)
	}
	return ok, nil
}

// runFetches returns the first and last fetch ids of run runID (0, 0 when it
// has none). A run's fetches lie between them, so a rowid range scan finds
// them in order without sorting anything.
func (db *DB) runFetches(ctx context.Context, runID int64) (lo, hi int64, err error) {
	var l, h sql.NullInt64
	if err := db.r.QueryRowContext(ctx, `SELECT min(id), max(id) FROM fetches WHERE run_id = ?`, runID).Scan(&l, &h); err != nil {
		return 0, 0, fmt.Errorf("store: read fetches of run %d in %s: %w", runID, db.path, err)
	}
	return l.Int64, h.Int64, nil
}

// RunPages returns the rows of the run_pages view for run runID (the
// columns of pages: each page's latest fetch in the run), in fetch order.
// They are streamed: memory stays flat however many there are. The caller
// closes the rows.
func (db *DB) RunPages(ctx context.Context, runID int64) (*sql.Rows, error) {
	lo, hi, err := db.runFetches(ctx, runID)
	if err != nil {
		return nil, err
	}
	// The + in "+run_id" keeps the planner on the rowid range rather than
	// an index whose rows it would then have to sort.
	rows, err := db.r.QueryContext(ctx, `SELECT * FROM run_pages
		WHERE fetch_id BETWEEN ?2 AND ?3 AND +run_id = ?1 ORDER BY fetch_id`, runID, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("store: read pages of run %d in %s: %w", runID, db.path, err)
	}
	return rows, nil
}

// RunLinks returns the outlinks of the latest fetch of each URL in run
// runID, in fetch order: from_url, to_url (NULL when the target was never
// recorded), text and rel. They are streamed like RunPages's. The caller
// closes the rows.
func (db *DB) RunLinks(ctx context.Context, runID int64) (*sql.Rows, error) {
	lo, hi, err := db.runFetches(ctx, runID)
	if err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT u.url AS from_url, tu.url AS to_url,
			json_extract(j.value, '$[1]') AS text, json_extract(j.value, '$[2]') AS rel
		FROM fetches f
		JOIN urls u ON u.id = f.url_id
		JOIN json_each(f.outlinks) j
		LEFT JOIN urls tu ON tu.id = json_extract(j.value, '$[0]')
		WHERE f.id BETWEEN ?2 AND ?3 AND +f.run_id = ?1
			AND f.id = (SELECT max(g.id) FROM fetches g WHERE g.url_id = f.url_id AND g.run_id = ?1)
		ORDER BY f.id`, runID, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("store: read links of run %d in %s: %w", runID, db.path, err)
	}
	return rows, nil
}

// RunItems returns the items (not the misses) of run runID, of rule only
// when it is not "", in item order: rule, url, run, fetched_at and data.
// The caller closes the rows.
func (db *DB) RunItems(ctx context.Context, runID int64, rule string) (*sql.Rows, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT rule, url, run_id AS run, fetched_at, data FROM item_rows
		WHERE run_id = ?1 AND data IS NOT NULL AND (?2 = '' OR rule = ?2) ORDER BY item_id`, runID, rule)
	if err != nil {
		return nil, fmt.Errorf("store: read items of run %d in %s: %w", runID, db.path, err)
	}
	return rows, nil
}

// RunItemFields returns the names of the fields of the items RunItems
// returns, in the order they first appear (by item, then within the item).
// SQLite reads the items once more for it; only the names reach Go.
func (db *DB) RunItemFields(ctx context.Context, runID int64, rule string) ([]string, error) {
	// One row per name: with min(), SQLite takes the bare column j.id from
	// the row holding the minimum, so j.id is the name's place in the first
	// item that has it.
	return db.strings(ctx, "item fields", `SELECT key FROM (
		SELECT j.key, min(i.item_id) AS first, j.id AS pos FROM item_rows i, json_each(i.data) j
		WHERE i.run_id = ?1 AND i.data IS NOT NULL AND json_type(i.data) = 'object' AND (?2 = '' OR i.rule = ?2)
		GROUP BY j.key)
		ORDER BY first, pos`, runID, rule)
}

// RunDiff returns how each URL's page differs between runs a and b (their
// rows of the run_pages view, whose status counts a 304 that confirmed the
// stored copy as its 200): url, diff (added, content, not-fetched, same or
// status), status_a, status_b, title_a, title_b, ordered by diff and url.
// The caller closes the rows.
func (db *DB) RunDiff(ctx context.Context, a, b int64) (*sql.Rows, error) {
	rows, err := db.r.QueryContext(ctx, `
WITH a AS (SELECT url_id, url, status, content_hash, title FROM run_pages WHERE run_id = ?1),
	b AS (SELECT url_id, url, status, content_hash, title FROM run_pages WHERE run_id = ?2),
	d AS (
		SELECT coalesce(a.url, b.url) AS url,
			CASE WHEN a.url_id IS NULL THEN 'added'
				WHEN b.url_id IS NULL THEN 'not-fetched'
				WHEN a.status IS NOT b.status THEN 'status'
				WHEN a.content_hash IS NOT b.content_hash THEN 'content'
				ELSE 'same' END AS diff,
			a.status AS status_a, b.status AS status_b, a.title AS title_a, b.title AS title_b
		FROM (SELECT url_id FROM a UNION SELECT url_id FROM b) x
		LEFT JOIN a ON a.url_id = x.url_id
		LEFT JOIN b ON b.url_id = x.url_id)
SELECT * FROM d ORDER BY diff, url`, a, b)
	if err != nil {
		return nil, fmt.Errorf("store: compare runs %d and %d in %s: %w", a, b, db.path, err)
	}
	return rows, nil
}

// Rules returns, sorted, the extraction rules that recorded anything (an
// item or a miss) in any run.
func (db *DB) Rules(ctx context.Context) ([]string, error) {
	return db.strings(ctx, "rules", `SELECT DISTINCT rule FROM items ORDER BY rule`)
}

// RunItemRules returns, sorted, the extraction rules with at least one item
// (a miss is not one) in run runID.
func (db *DB) RunItemRules(ctx context.Context, runID int64) ([]string, error) {
	return db.strings(ctx, "rules", `SELECT DISTINCT rule FROM items WHERE run_id = ? AND data IS NOT NULL ORDER BY rule`, runID)
}

// HasBodies reports whether the database keeps response bodies (of run
// runID, or of any run when runID is 0) for re-extraction.
func (db *DB) HasBodies(ctx context.Context, runID int64) (bool, error) {
	var ok bool
	err := db.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM bodies b JOIN fetches f ON f.id = b.fetch_id
		WHERE ?1 = 0 OR f.run_id = ?1)`, runID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store: look for bodies in %s: %w", db.path, err)
	}
	return ok, nil
}

// strings runs a query of one text column and returns its values.
func (db *DB) strings(ctx context.Context, what, q string, args ...any) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read %s of %s: %w", what, db.path, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("store: read %s of %s: %w", what, db.path, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read %s of %s: %w", what, db.path, err)
	}
	return out, nil
}
