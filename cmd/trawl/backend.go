package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/postgres"
	"github.com/trawl-crawler/trawl/store/record"
)

// Which database a --db value (or a read command's DB argument) names, and
// what each command needs of it. Both backends, the SQLite store and
// store/postgres, implement these interfaces.

// dbEnv is the environment variable that names trawl crawl's database
// when neither --db nor the config file does.
const dbEnv = "TRAWL_DB"

// isPostgres reports whether db names a PostgreSQL database: a postgres://
// or postgresql:// URL. Anything else is the path of a SQLite file. Every
// command decides with it, and nothing else.
func isPostgres(db string) bool {
	scheme, _, ok := strings.Cut(db, "://")
	return ok && (strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql"))
}

// dbName is db as messages show it: a PostgreSQL URL without its password
// (trawl never prints one), a SQLite path as it is.
func dbName(db string) string {
	if !isPostgres(db) {
		return db
	}
	if s := postgres.Redact(db); s != "" {
		return s
	}
	return "the PostgreSQL URL given"
}

// runFinder is what checks a run number against a database.
type runFinder interface {
	LastRun(ctx context.Context) (*record.Run, error)
	HasRun(ctx context.Context, id int64) (bool, error)
}

// exportSource is what trawl export reads.
type exportSource interface {
	runFinder
	RunPages(ctx context.Context, runID int64) (*sql.Rows, error)
	RunLinks(ctx context.Context, runID int64) (*sql.Rows, error)
	RunItems(ctx context.Context, runID int64, rule string) (*sql.Rows, error)
	RunItemFields(ctx context.Context, runID int64, rule string) ([]string, error)
	Rules(ctx context.Context) ([]string, error)
	RunItemRules(ctx context.Context, runID int64) ([]string, error)
}

// diffSource is what trawl diff reads.
type diffSource interface {
	runFinder
	RunDiff(ctx context.Context, a, b int64) (*sql.Rows, error)
}

// bodySource is what trawl extract checks before it writes.
type bodySource interface {
	runFinder
	HasBodies(ctx context.Context, runID int64) (bool, error)
}

// readDB is a database opened for the read commands: query, export, runs,
// diff, and extract's checks. Reader runs SQL of the database's own
// dialect.
type readDB interface {
	exportSource
	diffSource
	bodySource
	// LockHeld reports whether a live process works on the database.
	LockHeld(ctx context.Context) (bool, error)
	Reader() *sql.DB
	Close() error
}

// writeDB is a database opened for writing: trawl crawl and trawl extract.
type writeDB interface {
	crawler.RunStore
	crawler.BodyStore
	Close() error
}

// The two backends.
var (
	_ readDB  = (*store.DB)(nil)
	_ readDB  = (*postgres.DB)(nil)
	_ writeDB = (*store.DB)(nil)
	_ writeDB = (*postgres.DB)(nil)
)

// openReadOnly opens an existing trawl database for reading. Every failure is
// bad input (exit 2): no file, a directory, a file that is not a trawl
// database (store.ErrNotTrawl), including an empty one; a PostgreSQL
// database that cannot be reached, a refused login, one without trawl's
// tables.
func openReadOnly(ctx context.Context, db string) (readDB, error) {
	if isPostgres(db) {
		pg, err := postgres.OpenReadOnly(ctx, db)
		if err != nil {
			return nil, usageErr("%w", err) // an *OpenError names the database, without the password
		}
		return pg, nil
	}
	path := db
	sq, err := store.OpenReadOnly(ctx, path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, usageErr("no database at %s", path)
	case errors.Is(err, store.ErrNotTrawl):
		return nil, usageErr("%s is %w", path, store.ErrNotTrawl)
	case err != nil:
		return nil, usageErr("%w", err)
	}
	// store.OpenReadOnly accepts an empty SQLite file, which trawl crawl may
	// initialise; there is nothing to read in it.
	var runs int
	err = sq.Reader().QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'runs'`).Scan(&runs)
	if err == nil && runs == 0 {
		err = fmt.Errorf("%s is %w (it has no trawl tables)", path, store.ErrNotTrawl)
	}
	if err != nil {
		sq.Close()
		return nil, usageErr("%w", err)
	}
	return sq, nil
}

// openWrite opens (creating its schema if needed) the database db names
// for writing. Every failure to open is bad input (exit 2), and leaves
// nothing written: a path that cannot be written, a file or PostgreSQL
// database of another application, a newer schema, a server that cannot be
// reached, a refused login. maxSize caps a SQLite file (0: no cap).
func openWrite(ctx context.Context, db string, maxSize int64, pgOpts ...postgres.Option) (writeDB, error) {
	if isPostgres(db) {
		if maxSize > 0 {
			return nil, usageErr("--max-db-size caps a SQLite file; %s is a PostgreSQL database", dbName(db))
		}
		pg, err := postgres.Open(ctx, db, pgOpts...)
		if err != nil {
			return nil, usageErr("%w", err) // an *OpenError names the database, without the password
		}
		return pg, nil
	}
	var opts []store.Option
	if maxSize > 0 {
		opts = append(opts, store.MaxSize(maxSize))
	}
	sq, err := store.Open(ctx, db, opts...)
	if err != nil {
		var ue *store.UnwritableError
		if errors.Is(err, store.ErrNotTrawl) || errors.Is(err, store.ErrNewerSchema) || errors.As(err, &ue) {
			return nil, usageErr("%w", err) // these name the path already
		}
		return nil, usageErr("database %s: %w", db, err)
	}
	return sq, nil
}

// hasCrawl reports whether db holds a crawl to resume, without creating or
// changing anything: a missing SQLite file, or a PostgreSQL database
// without trawl's tables, does not. Other failures are left for the open
// that follows to report.
func hasCrawl(ctx context.Context, db string) bool {
	if !isPostgres(db) {
		_, err := os.Stat(db)
		return !errors.Is(err, os.ErrNotExist)
	}
	pg, err := postgres.OpenReadOnly(ctx, db)
	switch {
	case errors.Is(err, postgres.ErrNoTables):
		return false
	case err != nil:
		return true
	}
	defer pg.Close()
	run, err := pg.LastRun(ctx)
	return err != nil || run != nil
}
