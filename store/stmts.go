package store

import (
	"context"
	"database/sql"
	"fmt"
)

// writeStmts are the statements of Commit, prepared once on the writer
// connection (the first Commit prepares them, Close closes them); a
// transaction runs them through tx.StmtContext.
type writeStmts struct {
	insURL, insHost, insFetch, updURL, updRun, updHost, skipHost, copyFetch, copyItems, countItems, urlOf, insItem, insBody, rescue *sql.Stmt
}

func (s *writeStmts) close() error {
	var first error
	for _, st := range []*sql.Stmt{s.insURL, s.insHost, s.insFetch, s.updURL, s.updRun, s.updHost, s.skipHost,
		s.copyFetch, s.copyItems, s.countItems, s.urlOf, s.insItem, s.insBody, s.rescue} {
		if st == nil {
			continue
		}
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// prepareLocked prepares db.stmts unless they are ready. Callers hold db.mu.
func (db *DB) prepareLocked(ctx context.Context) error {
	if db.stmts != nil {
		return nil
	}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = db.w.PrepareContext(ctx, q)
		return s
	}
	st := &writeStmts{}
	// A URL known from an earlier run joins this run's frontier again when
	// rediscovered (its id and history kept) if it is due (see
	// dueForRefresh; ?12 says every known URL is, outside a refresh), or
	// is now skipped; otherwise it is left as it is.
	st.insURL = prep(`INSERT INTO urls(id, url, host_id, depth, seq, state, reason, via, parent_id, first_run, run_id, lastmod, hops, chain)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?14, ?15)
		ON CONFLICT(id) DO UPDATE SET depth = excluded.depth, seq = excluded.seq, state = excluded.state, hops = excluded.hops,
			chain = excluded.chain,
			reason = excluded.reason, via = excluded.via, parent_id = excluded.parent_id, run_id = excluded.run_id, tries = 0,
			lastmod = coalesce(excluded.lastmod, urls.lastmod)
		WHERE urls.url = excluded.url AND urls.run_id < excluded.run_id
			AND (?12 OR excluded.state = 'skipped' OR ` + dueForRefresh("urls.fetched_at", "excluded.lastmod", "?13") + `)`)
	st.urlOf = prep(`SELECT url FROM urls WHERE id = ?`)
	st.rescue = prep(`UPDATE urls SET state = 'queued', reason = NULL, depth = ?, via = ?, parent_id = ?, hops = ?, chain = ?
		WHERE id = ? AND run_id = ? AND state = 'skipped' AND reason = ?`)
	st.copyFetch = prep(`UPDATE fetches SET (content_type, charset, size, content_hash, title, description, canonical,
		lang, meta_robots, noindex, nofollow, outlinks, facts, word_count, main_text, etag, last_modified) =
		(SELECT p.content_type, p.charset, p.size, p.content_hash, p.title, p.description, p.canonical, p.lang,
			p.meta_robots, p.noindex, p.nofollow, p.outlinks, p.facts, p.word_count, p.main_text,
			coalesce(fetches.etag, p.etag), coalesce(fetches.last_modified, p.last_modified)
		FROM fetches p WHERE p.id = ?) WHERE id = ?`)
	st.copyItems = prep(`INSERT INTO items(run_id, url_id, fetch_id, rule, idx, data, miss)
		SELECT ?, url_id, ?, rule, idx, data, miss FROM items
		WHERE fetch_id = ? AND rule IN (SELECT value FROM json_each(?)) ORDER BY id`)
	// Items, not misses: what CommitResult.Items counts.
	st.countItems = prep(`SELECT count(*) FROM items WHERE fetch_id = ? AND data IS NOT NULL`)
	st.insHost = prep(`INSERT INTO hosts(host) VALUES (?) ON CONFLICT(host) DO UPDATE SET host = excluded.host RETURNING id`)
	st.insFetch = prep(`INSERT INTO fetches(url_id, run_id, attempt, fetched_at, duration_ms, status, error_class, error,
		redirect_to, content_type, charset, size, truncated, etag, last_modified, content_hash, title, description,
		canonical, lang, meta_robots, noindex, nofollow, outlinks, change, facts, word_count, main_text, proxy, proto)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	st.insItem = prep(insertItem)
	st.insBody = prep(`INSERT OR REPLACE INTO bodies(fetch_id, encoding, body) VALUES (?, ?, ?)`)
	st.updURL = prep(`UPDATE urls SET state = ?1, reason = ?2, tries = tries + ?3, run_id = ?4,
		last_fetch_id = coalesce(?5, last_fetch_id), fetched_at = coalesce(?6, fetched_at),
		gone_run = CASE WHEN ?7 = 'gone' THEN ?4 WHEN ?7 IS NULL THEN gone_run ELSE NULL END, retry_at = ?9 WHERE id = ?8`)
	st.updRun = prep(`UPDATE runs SET pages = pages + ?, errors = errors + ?, retries = retries + ?,
		bytes = bytes + ?, discovered = discovered + ?, updated_at = ?, skipped = skipped + ? WHERE id = ?`)
	st.updHost = prep(`UPDATE hosts SET robots_status = ?1, robots_fetched_at = ?2, crawl_delay_ms = ?3,
		delay_ms = ?4, backoff_until = ?5, parked_reason = ?6, failures = ?7, updated_at = ?8,
		robots_body = CASE WHEN ?10 THEN ?11 ELSE robots_body END WHERE id = ?9`)
	st.skipHost = prep(`UPDATE urls SET state = 'skipped', reason = ?
		WHERE host_id = (SELECT id FROM hosts WHERE host = ?) AND state = 'queued'
			AND id NOT IN (SELECT value FROM json_each(?))`)
	if err != nil {
		st.close()
		return fmt.Errorf("store: prepare statements on %s: %w", db.path, err)
	}
	db.stmts = st
	return nil
}

// insertItem records one item of a rule (or a miss), in Commit and in
// ReplaceItems alike.
const insertItem = `INSERT INTO items(run_id, url_id, fetch_id, rule, idx, data, miss) VALUES (?, ?, ?, ?, ?, ?, ?)`
