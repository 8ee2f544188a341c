package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// readPoolSize bounds the connections a read-only handle opens: the read
// commands run one query at a time, and a few more cost the server memory.
const readPoolSize = 4

// ErrNoTables is the cause (the OpenError's Err) when OpenReadOnly finds
// no trawl tables in a database: an empty one, which trawl crawl would
// set up. Its Kind is ErrNotTrawl.
var ErrNoTables = errors.New("no trawl tables")

// OpenReadOnly opens an existing trawl database on PostgreSQL for the read
// commands (query, export, runs, diff). It never writes: it applies no
// migration, and every session it opens has default_transaction_read_only
// on, so the server refuses a write whatever statement carries it. It
// returns an *OpenError, as Open does, for a server that cannot be reached,
// a refused login, a missing database, another application's tables, a
// newer schema, and a database without trawl's tables (ErrNotTrawl).
func OpenReadOnly(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, openError(ErrBadURL, redact(dsn), err, parseDetail(err))
	}
	target := describe(cfg.ConnConfig)
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.MaxConns = readPoolSize
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, classify(target, err)
	}
	db := &DB{pool: pool, target: target, hostID: map[string]int64{},
		o: options{heartbeat: DefaultHeartbeat, lease: DefaultLease}}
	if err := db.checkReadable(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	db.r = stdlib.OpenDBFromPool(pool)
	return db, nil
}

// checkReadable reports why the database cannot be read as trawl's: the
// reasons identify gives, and a database without trawl's tables.
func (db *DB) checkReadable(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return classify(db.target, err)
	}
	if err := db.identify(ctx); err != nil {
		return err
	}
	version, err := schemaVersion(ctx, db.pool)
	if err != nil {
		return classify(db.target, err)
	}
	if version == 0 {
		return openError(ErrNotTrawl, db.target, ErrNoTables, "it has no trawl tables (trawl crawl --db creates them)")
	}
	return nil
}

// Reader returns database/sql over the handle's connections, for the read
// commands' queries: rows stream through the same code as the SQLite
// store's. The caller does not close it; Close does. On a handle from
// OpenReadOnly every transaction is read-only.
func (db *DB) Reader() *sql.DB { return db.r }

// Redact returns a postgres:// or postgresql:// URL without its password,
// for messages; it returns "" for anything it cannot read as such a URL,
// since a key=value connection string may hold a password anywhere.
func Redact(dsn string) string { return redact(dsn) }

// PostgreSQL error codes (SQLSTATE) that the read commands tell apart.
const (
	codeReadOnlyTransaction = "25006" // read_only_sql_transaction
	codeUndefinedFunction   = "42883"
	codeSyntaxError         = "42601"
	codeUndefinedColumn     = "42703"
)

// IsReadOnlyViolation reports whether err is the server refusing a write
// in a read-only transaction.
func IsReadOnlyViolation(err error) bool { return sqlState(err) == codeReadOnlyTransaction }

// IsDialectError reports whether err is an error that SQL written for
// SQLite typically meets on PostgreSQL: a function it does not have
// (json_extract, group_concat), a syntax error, or an unknown column (a
// string in double quotes).
func IsDialectError(err error) bool {
	switch sqlState(err) {
	case codeUndefinedFunction, codeSyntaxError, codeUndefinedColumn:
		return true
	}
	return false
}

func sqlState(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code
	}
	return ""
}
