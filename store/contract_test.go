package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/storetest"
)

var _ crawler.Store = (*store.DB)(nil)

// TestContract runs the store contract against SQLite; store/postgres runs
// the same suite against PostgreSQL.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		return openSQLite(t, filepath.Join(t.TempDir(), "contract.db"))
	})
}

type sqliteBackend struct {
	*store.DB
	path string
}

func openSQLite(t *testing.T, path string) *sqliteBackend {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &sqliteBackend{DB: db, path: path}
}

func (b *sqliteBackend) Query(ctx context.Context, q string) ([][]string, error) {
	rows, err := b.Reader().QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = storetest.Text(v)
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

func (b *sqliteBackend) Reopen(t *testing.T) storetest.Backend {
	t.Helper()
	if err := b.DB.Close(); err != nil {
		t.Fatal(err)
	}
	return openSQLite(t, b.path)
}

// BenchmarkCommit is the store contract's commit benchmark on SQLite, to
// compare with store/postgres's.
func BenchmarkCommit(b *testing.B) {
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storetest.BenchmarkCommit(b, db)
}
