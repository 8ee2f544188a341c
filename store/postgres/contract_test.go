package postgres_test

import (
	"context"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/store/postgres"
	"github.com/trawl-crawler/trawl/store/storetest"
)

// The PostgreSQL backend is a crawl's store and its run lifecycle's, as
// SQLite's is.
var (
	_ crawler.Store    = (*postgres.DB)(nil)
	_ crawler.RunStore = (*postgres.DB)(nil)
)

// TestContract runs the store contract against PostgreSQL; store runs the
// same suite against SQLite.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		return openPG(t, pg.NewDatabase(t))
	})
}

type pgBackend struct {
	*postgres.DB
	dsn string
}

func openPG(t *testing.T, dsn string) *pgBackend {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &pgBackend{DB: db, dsn: dsn}
}

func (b *pgBackend) Query(ctx context.Context, q string) ([][]string, error) {
	rows, err := b.Pool().Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
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

func (b *pgBackend) Reopen(t *testing.T) storetest.Backend {
	t.Helper()
	if err := b.DB.Close(); err != nil {
		t.Fatal(err)
	}
	return openPG(t, b.dsn)
}

// BenchmarkCommit is the store contract's commit benchmark on PostgreSQL,
// to compare with store's (SQLite).
func BenchmarkCommit(b *testing.B) {
	db, err := postgres.Open(context.Background(), pg.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storetest.BenchmarkCommit(b, db)
}
