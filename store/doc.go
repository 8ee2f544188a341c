// Package store owns the SQLite database: schema and migrations, the persistent
// frontier, fetch results, links, runs and the run lock. It records what it is told
// and makes no policy decisions.
package store
