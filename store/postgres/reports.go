package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"
)

// What trawl's read commands (export, diff, runs, extract) ask of a
// database beyond the documented views, as the SQLite store answers them
// (store/reports.go), with the same columns in the same order. Rows come
// through database/sql (Reader), so that the commands stream both
// backends' rows through one writer; json columns arrive as []byte.

// HasRun reports whether the database has run id.
func (db *DB) HasRun(ctx context.Context, id int64) (bool, error) {
	var ok bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM runs WHERE id = $1)`, id).Scan(&ok); err != nil {
		return false, fmt.Errorf("postgres: look for run %d in %s: %w", id, db.target, err)
	}
	return ok, nil
}

// RunPages returns the rows of the run_pages view for run runID (the
// columns of pages: each page's latest fetch in the run), in fetch order,
// streamed. The caller closes the rows.
func (db *DB) RunPages(ctx context.Context, runID int64) (*sql.Rows, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT * FROM run_pages WHERE run_id = $1 ORDER BY fetch_id`, runID)
	if err != nil {
		return nil, fmt.Errorf("postgres: read pages of run %d in %s: %w", runID, db.target, err)
	}
	return rows, nil
}

// RunLinks returns the outlinks of the latest fetch of each URL in run
// runID, in fetch order and then page order: from_url, to_url (NULL when
// the target was never recorded), text and rel. The caller closes the rows.
func (db *DB) RunLinks(ctx context.Context, runID int64) (*sql.Rows, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT u.url AS from_url, tu.url AS to_url,
			j.value->>1 AS text, j.value->>2 AS rel
		FROM fetches f
		JOIN urls u ON u.id = f.url_id
		CROSS JOIN LATERAL json_array_elements(f.outlinks) WITH ORDINALITY AS j(value, n)
		LEFT JOIN urls tu ON tu.id = (j.value->>0)::bigint
		WHERE f.run_id = $1
			AND f.id = (SELECT max(g.id) FROM fetches g WHERE g.url_id = f.url_id AND g.run_id = $1)
		ORDER BY f.id, j.n`, runID)
	if err != nil {
		return nil, fmt.Errorf("postgres: read links of run %d in %s: %w", runID, db.target, err)
	}
	return rows, nil
}

// RunItems returns the items (not the misses) of run runID, of rule only
// when it is not "", in item order: rule, url, run, fetched_at and data.
// The caller closes the rows.
func (db *DB) RunItems(ctx context.Context, runID int64, rule string) (*sql.Rows, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT rule, url, run_id AS run, fetched_at, data FROM item_rows
		WHERE run_id = $1 AND data IS NOT NULL AND ($2 = '' OR rule = $2) ORDER BY item_id`, runID, rule)
	if err != nil {
		return nil, fmt.Errorf("postgres: read items of run %d in %s: %w", runID, db.target, err)
	}
	return rows, nil
}

// RunItemFields returns the names of the fields of the items RunItems
// returns, in the order they first appear (by item, then within the item).
func (db *DB) RunItemFields(ctx context.Context, runID int64, rule string) ([]string, error) {
	// json (not jsonb) keeps an object's keys in their order, which
	// json_each WITH ORDINALITY numbers.
	return db.strings(ctx, "item fields", `SELECT key FROM (
		SELECT DISTINCT ON (j.key) j.key, i.item_id, j.n
		FROM item_rows i CROSS JOIN LATERAL json_each(
			CASE WHEN json_typeof(i.data) = 'object' THEN i.data ELSE '{}'::json END) WITH ORDINALITY AS j(key, value, n)
		WHERE i.run_id = $1 AND i.data IS NOT NULL AND ($2 = '' OR i.rule = $2)
		ORDER BY j.key, i.item_id, j.n) k
		ORDER BY item_id, n`, runID, rule)
}

// RunDiff returns how each URL's page differs between runs a and b (their
// rows of run_pages): url, diff (added, content, not-fetched, same or
// status), status_a, status_b, title_a, title_b, ordered by diff and url.
// The caller closes the rows.
func (db *DB) RunDiff(ctx context.Context, a, b int64) (*sql.Rows, error) {
	rows, err := db.r.QueryContext(ctx, `
WITH a AS (SELECT url_id, url, status, content_hash, title FROM run_pages WHERE run_id = $1),
	b AS (SELECT url_id, url, status, content_hash, title FROM run_pages WHERE run_id = $2),
	d AS (
		SELECT coalesce(a.url, b.url) AS url,
			CASE WHEN a.url_id IS NULL THEN 'added'
				WHEN b.url_id IS NULL THEN 'not-fetched'
				WHEN a.status IS DISTINCT FROM b.status THEN 'status'
				WHEN a.content_hash IS DISTINCT FROM b.content_hash THEN 'content'
				ELSE 'same' END COLLATE "C" AS diff,
			a.status AS status_a, b.status AS status_b, a.title AS title_a, b.title AS title_b
		FROM (SELECT url_id FROM a UNION SELECT url_id FROM b) x
		LEFT JOIN a ON a.url_id = x.url_id
		LEFT JOIN b ON b.url_id = x.url_id)
SELECT * FROM d ORDER BY diff, url`, a, b)
	if err != nil {
		return nil, fmt.Errorf("postgres: compare runs %d and %d in %s: %w", a, b, db.target, err)
	}
	return rows, nil
}

// Rules returns, sorted, the extraction rules that recorded anything (an
// item or a miss) in any run.
func (db *DB) Rules(ctx context.Context) ([]string, error) {
	return db.strings(ctx, "rules", `SELECT DISTINCT rule COLLATE "C" FROM items ORDER BY 1`)
}

// RunItemRules returns, sorted, the extraction rules with at least one item
// (a miss is not one) in run runID.
func (db *DB) RunItemRules(ctx context.Context, runID int64) ([]string, error) {
	return db.strings(ctx, "rules", `SELECT DISTINCT rule COLLATE "C" FROM items WHERE run_id = $1 AND data IS NOT NULL ORDER BY 1`, runID)
}

// HasBodies reports whether the database keeps response bodies (of run
// runID, or of any run when runID is 0) for re-extraction.
func (db *DB) HasBodies(ctx context.Context, runID int64) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM bodies b JOIN fetches f ON f.id = b.fetch_id
		WHERE $1::bigint = 0 OR f.run_id = $1)`, runID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("postgres: look for bodies in %s: %w", db.target, err)
	}
	return ok, nil
}

// LockHeld reports whether a live worker is registered: one whose
// heartbeat is within its lease and, on this machine, whose process runs.
// It only reads, so the read commands can tell a run in progress from one
// whose workers died.
func (db *DB) LockHeld(ctx context.Context) (bool, error) {
	rows, err := db.pool.Query(ctx, `SELECT hostname, pid FROM workers
		WHERE stopped_at IS NULL AND heartbeat_at + lease_ms * interval '1 millisecond' > now()`)
	if err != nil {
		return false, fmt.Errorf("postgres: read the workers of %s: %w", db.target, err)
	}
	host, _ := os.Hostname()
	var held bool
	var hostname string
	var pid int
	_, err = pgx.ForEachRow(rows, []any{&hostname, &pid}, func() error {
		held = held || hostname != host || processAlive(pid)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("postgres: read the workers of %s: %w", db.target, err)
	}
	return held, nil
}

// strings runs a query of one text column and returns its values.
func (db *DB) strings(ctx context.Context, what, q string, args ...any) ([]string, error) {
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: read %s of %s: %w", what, db.target, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: read %s of %s: %w", what, db.target, err)
	}
	return out, nil
}
