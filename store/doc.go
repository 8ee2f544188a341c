// Package store owns the SQLite database: schema and migrations, the persistent
// frontier, fetch results, links, runs and the run lock. It records what it is
// told; what an outcome counts as is record.Outcome.Tally's to say, and the two
// rules it applies in SQL are each defined once: when a URL is due for
// refresh (dueForRefresh) and which status a 304 stands for
// (fetches.content_status, migration 14).
//
// Its files, by job: db.go opens and checks the file; migrations.go is the
// schema; commit.go is Commit's transaction, step by step, over the statements
// of stmts.go and the caches of caches.go (idset.go is the seen set); queue.go
// reads and refills the queue; hosts.go reads the hosts' politeness state;
// bodies.go serves re-extraction; runs.go, cookies.go and lock.go keep runs,
// the cookie jar and the run lock; reports.go answers the read commands;
// values.go says how Go values become column values.
package store
