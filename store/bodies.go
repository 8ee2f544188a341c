package store

import (
	"context"
	"fmt"

	"github.com/trawl-crawler/trawl/store/record"
)

// The kept response bodies and what re-extraction (trawl extract) reads and
// replaces: the bodies, and the items the rules made of them.

// Bodies calls fn for the latest kept body of every URL (of run runID, or of
// any run when runID is 0), in fetch order. It stops at fn's first error.
func (db *DB) Bodies(ctx context.Context, runID int64, fn func(record.StoredBody) error) error {
	rows, err := db.r.QueryContext(ctx, `SELECT f.id, f.url_id, f.run_id, u.url, coalesce(f.content_type, ''), b.encoding, b.body
		FROM bodies b JOIN fetches f ON f.id = b.fetch_id JOIN urls u ON u.id = f.url_id
		WHERE b.fetch_id IN (SELECT max(b2.fetch_id) FROM bodies b2 JOIN fetches f2 ON f2.id = b2.fetch_id
			WHERE ?1 = 0 OR f2.run_id = ?1 GROUP BY f2.url_id)
		ORDER BY f.id`, runID)
	if err != nil {
		return fmt.Errorf("store: read bodies of %s: %w", db.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b record.StoredBody
		if err := rows.Scan(&b.FetchID, &b.URLID, &b.RunID, &b.URL, &b.ContentType, &b.Encoding, &b.Body); err != nil {
			return fmt.Errorf("store: read bodies of %s: %w", db.path, err)
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ReplaceItems replaces, in one transaction, the items that the named rules
// produced from each fetch.
func (db *DB) ReplaceItems(ctx context.Context, sets []record.ItemSet) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.diskFull(fmt.Errorf("store: replace items in %s: %w", db.path, err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, s := range sets {
		for _, r := range s.Rules {
			if _, err := tx.ExecContext(ctx, `DELETE FROM items WHERE fetch_id = ? AND rule = ?`, s.FetchID, r); err != nil {
				return db.diskFull(fmt.Errorf("store: replace items of fetch %d: %w", s.FetchID, err))
			}
		}
		for i, it := range s.Items {
			if _, err := tx.ExecContext(ctx, insertItem, s.RunID, s.URLID, s.FetchID, it.Rule, i, nullBytes(it.Data), nullStr(it.Miss)); err != nil {
				return db.diskFull(fmt.Errorf("store: replace items of fetch %d: %w", s.FetchID, err))
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return db.diskFull(fmt.Errorf("store: replace items in %s: %w", db.path, err))
	}
	return nil
}
