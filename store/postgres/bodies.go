package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/trawl-crawler/trawl/store/record"
)

// Bodies calls fn for the latest kept body of every URL (of run runID, or
// of any run when runID is 0), in fetch order. It stops at fn's first
// error.
func (db *DB) Bodies(ctx context.Context, runID int64, fn func(record.StoredBody) error) error {
	rows, err := db.pool.Query(ctx, `SELECT f.id, f.url_id, f.run_id, u.url, coalesce(f.content_type, ''), b.encoding, b.body
		FROM bodies b JOIN fetches f ON f.id = b.fetch_id JOIN urls u ON u.id = f.url_id
		WHERE b.fetch_id IN (SELECT max(b2.fetch_id) FROM bodies b2 JOIN fetches f2 ON f2.id = b2.fetch_id
			WHERE $1::bigint = 0 OR f2.run_id = $1 GROUP BY f2.url_id)
		ORDER BY f.id`, runID)
	if err != nil {
		return fmt.Errorf("postgres: read bodies of %s: %w", db.target, err)
	}
	var b record.StoredBody
	var fnErr error
	_, err = pgx.ForEachRow(rows, []any{&b.FetchID, &b.URLID, &b.RunID, &b.URL, &b.ContentType, &b.Encoding, &b.Body}, func() error {
		fnErr = fn(b)
		b.Body = nil // the next row must not share this one's bytes
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("postgres: read bodies of %s: %w", db.target, err)
	}
	return nil
}

// ReplaceItems replaces, in one transaction, the items that the named rules
// produced from each fetch.
func (db *DB) ReplaceItems(ctx context.Context, sets []record.ItemSet) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: replace items in %s: %w", db.target, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	for _, s := range sets {
		if _, err := tx.Exec(ctx, `DELETE FROM items WHERE fetch_id = $1 AND rule = ANY($2::text[])`, s.FetchID, s.Rules); err != nil {
			return fmt.Errorf("postgres: replace items of fetch %d: %w", s.FetchID, err)
		}
		for i, it := range s.Items {
			if _, err := tx.Exec(ctx, insItem, s.RunID, s.URLID, s.FetchID, clean(it.Rule), i, jsonText(it.Data), str(it.Miss)); err != nil {
				return fmt.Errorf("postgres: replace items of fetch %d: %w", s.FetchID, err)
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: replace items in %s: %w", db.target, err)
	}
	return nil
}
