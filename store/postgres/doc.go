// Package postgres is trawl's PostgreSQL store: the same tables, views and
// frontier as the SQLite store (package store), on a database that several
// machines can reach. It owns the PostgreSQL schema and its migrations, the
// commit of a batch of outcomes, the queue reads, host state, runs, cookies,
// kept bodies, and worker registration with heartbeats (the SQLite run lock's
// counterpart). It speaks the records of store/record and implements the
// Store interface that crawler declares; it makes no policy decisions.
//
// Its semantics are the SQLite store's, statement for statement; the
// contract tests in store/storetest run against both.
package postgres
