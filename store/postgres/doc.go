// Package postgres is trawl's PostgreSQL store: the same tables, views and
// frontier as the SQLite store (package store), on a database that several
// machines can reach. It owns the PostgreSQL schema and its migrations, the
// commit of a batch of outcomes, the queue reads, host state, runs, cookies,
// kept bodies, and worker registration with heartbeats (the SQLite run lock's
// counterpart). It speaks the records of store/record and implements the
// Store interface that crawler declares; it makes no policy decisions.
//
// Its semantics are the SQLite store's, row for row; the contract tests
// in store/storetest run against both.
//
// A commit is not sent statement by statement, which would cost a round
// trip per row (some 700 for a batch of 32 link-rich pages). It is planned
// in memory first: the run's seen set decides which discoveries are new,
// and their sequence numbers are given there, as the SQLite store gives
// them. Then each table's rows go in one set-based statement that takes
// them as arrays (INSERT ... SELECT FROM unnest(...), UPDATE ... FROM
// unnest(...)), and the statements go in three pipelines (pgx.Batch) on
// one connection, three round trips: BEGIN with the new hosts and the
// fetches, whose ids the other rows name; the URLs, their states, items,
// bodies, cookies, host states and skips; the run's counters, which add
// up the answers, with COMMIT. Folding the fetches into one statement
// with the rows that name them, to save a round trip, was measured slower:
// planning a statement of that many CTEs took longer than the round trip.
// Where sending rows table by table would reorder statements that touch
// one URL (one job twice in a batch, a job's URL rediscovered later in it)
// the batch is cut into segments sent one after the other; commit_test.go
// holds those cases.
package postgres
