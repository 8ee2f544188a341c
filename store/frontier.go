package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/trawl-crawler/trawl/store/jsonstr"
	"github.com/trawl-crawler/trawl/store/record"
)

type writeStmts struct {
	insURL, insHost, insFetch, updURL, updRun, updHost, skipHost, copyFetch, copyItems, countItems, urlOf, insItem, insBody, rescue *sql.Stmt
}

func (s *writeStmts) close() error {
	var first error
	for _, st := range []*sql.Stmt{s.insURL, s.insHost, s.insFetch, s.updURL, s.updRun, s.updHost, s.skipHost, s.copyFetch, s.copyItems, s.countItems, s.urlOf, s.insItem, s.insBody, s.rescue} {
		if st == nil {
			continue
		}
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// dropSeen forgets the seen set (its table is outside the Go heap, so it is
// freed here). Callers hold db.mu.
func (db *DB) dropSeen() {
	db.seen.free()
	db.seen, db.soft = nil, nil
}

// loadSeen reads the ids of run runID's URLs into a new set. On an error the
// set is freed (its table is outside the Go heap).
func (db *DB) loadSeen(ctx context.Context, runID int64) (*idSet, error) {
	seen := &idSet{}
	fail := func(err error) (*idSet, error) {
		seen.free()
		return nil, fmt.Errorf("store: load URL ids from %s: %w", db.path, err)
	}
	rows, err := db.w.QueryContext(ctx, `SELECT id FROM urls WHERE run_id = ?`, runID)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return fail(err)
		}
		seen.add(id)
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return seen, nil
}

// loadLocked fills the write-side caches on first use. Callers hold db.mu.
func (db *DB) loadLocked(ctx context.Context, runID int64) error {
	if db.seen != nil && db.seenRun == runID {
		return nil
	}
	if db.w == nil {
		return fmt.Errorf("store: %s is open read-only", db.path)
	}
	db.dropSeen() // a set of another run
	seen, err := db.loadSeen(ctx, runID)
	if err != nil {
		return err
	}
	if err := db.w.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM urls`).Scan(&db.seq); err != nil {
		seen.free()
		return fmt.Errorf("store: load frontier sequence from %s: %w", db.path, err)
	}
	db.seen, db.seenRun, db.soft = seen, runID, map[int64]string{}
	if db.stmts != nil {
		return nil
	}
	st := &writeStmts{}
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = db.w.PrepareContext(ctx, q)
		return s
	}
	st.insURL = prep(`INSERT INTO urls(id, url, host_id, depth, seq, state, reason, via, parent_id, first_run, run_id, lastmod, hops, chain)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?14, ?15)
		ON CONFLICT(id) DO UPDATE SET depth = excluded.depth, seq = excluded.seq, state = excluded.state, hops = excluded.hops,
			chain = excluded.chain,
			reason = excluded.reason, via = excluded.via, parent_id = excluded.parent_id, run_id = excluded.run_id, tries = 0,
			lastmod = coalesce(excluded.lastmod, urls.lastmod)
		WHERE urls.url = excluded.url AND urls.run_id < excluded.run_id
			AND (?12 OR excluded.state = 'skipped' OR urls.fetched_at IS NULL OR urls.fetched_at < ?13
				OR (excluded.lastmod IS NOT NULL AND excluded.lastmod > urls.fetched_at))`)
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
	st.insItem = prep(`INSERT INTO items(run_id, url_id, fetch_id, rule, idx, data, miss) VALUES (?, ?, ?, ?, ?, ?, ?)`)
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

// commitState carries what a transaction will add to the caches once it commits;
// a rolled-back transaction must leave them untouched.
type commitState struct {
	newIDs   map[int64]struct{}
	newHosts map[string]int64
	seq      int64
	skipped  int64 // discovered URLs recorded as skipped at once (out of scope, too deep)
	res      record.CommitResult
}

func (db *DB) hostIDTx(ctx context.Context, tx *sql.Tx, cs *commitState, host string) (int64, error) {
	if id, ok := db.hostID[host]; ok {
		return id, nil
	}
	if id, ok := cs.newHosts[host]; ok {
		return id, nil
	}
	var id int64
	if err := tx.StmtContext(ctx, db.stmts.insHost).QueryRowContext(ctx, host).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: add host %s: %w", host, err)
	}
	cs.newHosts[host] = id
	return id, nil
}

func (db *DB) addURLTx(ctx context.Context, tx *sql.Tx, cs *commitState, runID int64, u record.NewURL, cutoff time.Time) error {
	id := record.URLID(u.URL)
	_, inTx := cs.newIDs[id]
	if db.seen.has(id) || inTx {
		if reason, ok := db.soft[id]; ok && u.Skip == "" {
			return db.rescueTx(ctx, tx, cs, runID, id, reason, u)
		}
		return nil
	}
	hostID, err := db.hostIDTx(ctx, tx, cs, u.Host)
	if err != nil {
		return err
	}
	state, reason := record.StateQueued, sql.NullString{}
	if u.Skip != "" {
		state, reason = record.StateSkipped, sql.NullString{String: u.Skip, Valid: true}
	}
	cs.seq++
	parent := sql.NullInt64{Int64: u.ParentID, Valid: u.ParentID != 0}
	res, err := tx.StmtContext(ctx, db.stmts.insURL).ExecContext(ctx, id, u.URL, hostID, u.Depth, cs.seq,
		state, reason, u.Via, parent, runID, nullStr(u.LastMod), u.Revisit || cutoff.IsZero(),
		formatTime(cutoff), u.Hops, u.Chain)
	if err != nil {
		return fmt.Errorf("store: add URL %s: %w", u.URL, err)
	}
	cs.newIDs[id] = struct{}{}
	if n, _ := res.RowsAffected(); n == 0 {
		// Either fetched recently enough (a refresh leaves it alone) or, very
		// rarely, a different URL with the same id.
		var known string
		if err := tx.StmtContext(ctx, db.stmts.urlOf).QueryRowContext(ctx, id).Scan(&known); err == nil && known != u.URL {
			slog.Warn("URL id collision: URL not added to the frontier", "url", u.URL, "id", id, "holder", known)
		}
		return nil
	}
	if state == record.StateQueued {
		cs.res.NewByHost[u.Host]++
	} else {
		cs.skipped++
		cs.res.AddClass(u.Skip, 1)
		if u.Soft {
			db.soft[id] = u.Skip
		}
	}
	return nil
}

// rescueTx queues a URL of the run that was skipped softly, now that u
// discovers it without a skip.
func (db *DB) rescueTx(ctx context.Context, tx *sql.Tx, cs *commitState, runID, id int64, reason string, u record.NewURL) error {
	parent := sql.NullInt64{Int64: u.ParentID, Valid: u.ParentID != 0}
	res, err := tx.StmtContext(ctx, db.stmts.rescue).ExecContext(ctx, u.Depth, u.Via, parent, u.Hops, u.Chain, id, runID, reason)
	if err != nil {
		return fmt.Errorf("store: queue %s after all: %w", u.URL, err)
	}
	delete(db.soft, id)
	if n, _ := res.RowsAffected(); n == 1 {
		cs.res.NewByHost[u.Host]++
		cs.skipped--
		cs.res.AddClass(reason, -1)
	}
	return nil
}

// Commit stores a batch in one transaction: each fetch row, its outlinks, the
// URL's new state, the newly discovered URLs, host states, skipped hosts and the
// run's counters. Either all of it is stored or none of it, so a crash between
// two commits loses nothing that was committed and leaves every other URL
// queued. An Outcome with a zero Job only adds its Discovered URLs. Host skips
// apply after the outcomes, so they also cover URLs the same batch discovered.
func (db *DB) Commit(ctx context.Context, runID int64, b record.Batch) (record.CommitResult, error) {
	outs := b.Outcomes
	db.mu.Lock()
	defer db.mu.Unlock()
	if err := db.loadLocked(ctx, runID); err != nil {
		return record.CommitResult{}, err
	}
	cs := &commitState{newIDs: map[int64]struct{}{}, newHosts: map[string]int64{}, seq: db.seq,
		res: record.CommitResult{NewByHost: map[string]int{}}}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return record.CommitResult{}, fmt.Errorf("store: begin commit on %s: %w", db.path, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var pages, errs, skipped, retries, bytes, discovered int64
	now := formatTime(time.Now())
	var buf []byte
	for i := range outs {
		o := &outs[i]
		for _, u := range o.Discovered {
			if err := db.addURLTx(ctx, tx, cs, runID, u, b.Cutoff); err != nil {
				return record.CommitResult{}, err
			}
		}
		if err := saveCookies(ctx, tx, o.Cookies); err != nil {
			return record.CommitResult{}, err
		}
		if o.Job.ID == 0 {
			continue
		}
		var fetchID sql.NullInt64
		var fetchedAt, change sql.NullString
		if f := o.Fetch; f != nil {
			buf = appendOutlinks(buf[:0], o.Links)
			var outlinks any
			if len(o.Links) > 0 {
				outlinks = string(buf)
			}
			res, err := tx.StmtContext(ctx, db.stmts.insFetch).ExecContext(ctx, o.Job.ID, runID, o.Job.Tries+1,
				formatTime(f.At), float64(f.Duration.Microseconds())/1000,
				nullInt(f.Status), nullStr(f.ErrorClass), nullStr(f.Error), nullStr(f.RedirectTo),
				nullStr(f.ContentType), nullStr(f.Charset), f.Size, f.Truncated, nullStr(f.ETag),
				nullStr(f.LastModified), nullStr(f.ContentHash), nullStr(f.Title), nullStr(f.Description),
				nullStr(f.Canonical), nullStr(f.Lang), nullStr(f.MetaRobots), f.NoIndex, f.NoFollow, outlinks, nullStr(f.Change),
				nullBytes(f.Facts), nullInt(f.WordCount), nullStr(f.MainText), nullStr(f.Proxy), nullStr(f.Proto))
			if err != nil {
				return record.CommitResult{}, fmt.Errorf("store: record fetch of %s: %w", o.Job.URL, err)
			}
			id, err := res.LastInsertId()
			if err != nil {
				return record.CommitResult{}, fmt.Errorf("store: record fetch of %s: %w", o.Job.URL, err)
			}
			fetchID = sql.NullInt64{Int64: id, Valid: true}
			bytes += f.Size
			if f.CopyFrom != 0 {
				if _, err := tx.StmtContext(ctx, db.stmts.copyFetch).ExecContext(ctx, f.CopyFrom, id); err != nil {
					return record.CommitResult{}, fmt.Errorf("store: carry forward fetch of %s: %w", o.Job.URL, err)
				}
				if len(f.CarryRules) > 0 {
					rules, _ := json.Marshal(f.CarryRules)
					var carried int64
					_, err := tx.StmtContext(ctx, db.stmts.copyItems).ExecContext(ctx, runID, id, f.CopyFrom, string(rules))
					if err == nil {
						err = tx.StmtContext(ctx, db.stmts.countItems).QueryRowContext(ctx, id).Scan(&carried)
					}
					if err != nil {
						return record.CommitResult{}, fmt.Errorf("store: carry forward items of %s: %w", o.Job.URL, err)
					}
					cs.res.Items += carried
				}
			}
			if f.Status != 0 && o.State == record.StateDone {
				fetchedAt = sql.NullString{String: formatTime(f.At), Valid: true}
			}
			change = nullStr(f.Change)
			if len(f.Body) > 0 {
				if _, err := tx.StmtContext(ctx, db.stmts.insBody).ExecContext(ctx, id, f.BodyEncoding, f.Body); err != nil {
					return record.CommitResult{}, fmt.Errorf("store: keep body of %s: %w", o.Job.URL, err)
				}
			}
			for i, it := range o.Items {
				if _, err := tx.StmtContext(ctx, db.stmts.insItem).ExecContext(ctx, runID, o.Job.ID, id, it.Rule, i,
					nullBytes(it.Data), nullStr(it.Miss)); err != nil {
					return record.CommitResult{}, fmt.Errorf("store: record items of %s: %w", o.Job.URL, err)
				}
				if it.Data != nil {
					cs.res.Items++
				}
			}
		}
		tries := 0
		switch o.State {
		case record.StateQueued:
			tries = 1
			retries++
		case record.StateDone:
			if o.NotPage {
				break
			}
			pages++
			if o.Fetch != nil && o.Fetch.ErrorClass != "" {
				errs++
				cs.res.AddClass(o.Fetch.ErrorClass, 1)
			}
		case record.StateFailed:
			if o.NotPage {
				break
			}
			if o.Fetch != nil {
				pages++
			}
			errs++
			cs.res.AddClass(cmp.Or(o.Reason, failedClass(o.Fetch)), 1)
		case record.StateSkipped:
			skipped++
			cs.res.AddClass(o.Reason, 1)
		default:
			return record.CommitResult{}, fmt.Errorf("store: outcome for %s has unknown state %q", o.Job.URL, o.State)
		}
		if _, err := tx.StmtContext(ctx, db.stmts.updURL).ExecContext(ctx, o.State, nullStr(o.Reason), tries,
			runID, fetchID, fetchedAt, change, o.Job.ID, nullTime(o.RetryAt)); err != nil {
			return record.CommitResult{}, fmt.Errorf("store: update state of %s: %w", o.Job.URL, err)
		}
	}
	for _, n := range cs.res.NewByHost {
		discovered += int64(n)
	}
	skipped += cs.skipped
	for _, h := range b.Hosts {
		id, err := db.hostIDTx(ctx, tx, cs, h.Host)
		if err != nil {
			return record.CommitResult{}, err
		}
		if _, err := tx.StmtContext(ctx, db.stmts.updHost).ExecContext(ctx, nullStr(h.RobotsStatus),
			nullTime(h.RobotsFetchedAt), nullMillis(h.CrawlDelay), nullMillis(h.Delay),
			nullTime(h.BackoffUntil), nullStr(h.ParkedReason), h.Failures, now, id, h.NewRobots, h.RobotsBody); err != nil {
			return record.CommitResult{}, fmt.Errorf("store: update host %s: %w", h.Host, err)
		}
	}
	for _, sk := range b.Skips {
		// A nil slice would be JSON null, whose one NULL value makes NOT IN
		// false for every row.
		except, err := json.Marshal(append([]int64{}, sk.Except...))
		if err != nil {
			return record.CommitResult{}, err
		}
		res, err := tx.StmtContext(ctx, db.stmts.skipHost).ExecContext(ctx, sk.Reason, sk.Host, string(except))
		if err != nil {
			return record.CommitResult{}, fmt.Errorf("store: skip queue of %s: %w", sk.Host, err)
		}
		n, _ := res.RowsAffected()
		skipped += n
		cs.res.AddClass(sk.Reason, n)
		delete(cs.res.NewByHost, sk.Host)
	}
	if runID != 0 {
		if _, err := tx.StmtContext(ctx, db.stmts.updRun).ExecContext(ctx, pages, errs, retries, bytes, discovered, now, skipped, runID); err != nil {
			return record.CommitResult{}, fmt.Errorf("store: update counters of run %d: %w", runID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return record.CommitResult{}, fmt.Errorf("store: commit on %s: %w", db.path, err)
	}
	for id := range cs.newIDs {
		db.seen.add(id)
	}
	for h, id := range cs.newHosts {
		db.hostID[h] = id
	}
	db.seq = cs.seq
	cs.res.Pages, cs.res.Errors, cs.res.Skipped, cs.res.Bytes = pages, errs, skipped, bytes
	return cs.res, nil
}

// failedClass is the class of a failed URL that carries no reason.
func failedClass(f *record.Fetch) string {
	if f != nil && f.ErrorClass != "" {
		return f.ErrorClass
	}
	return "other"
}

// QueuedHosts lists the hosts that have queued URLs.
func (db *DB) QueuedHosts(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT host FROM hosts h
		WHERE EXISTS (SELECT 1 FROM urls u WHERE u.host_id = h.id AND u.state = 'queued') ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list queued hosts in %s: %w", db.path, err)
	}
	defer rows.Close()
	var hosts []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("store: list queued hosts in %s: %w", db.path, err)
		}
		hosts = append(hosts, h)
	}
	return hosts, rows.Err()
}

// QueuedURLs returns up to limit queued URLs of host in crawl order (depth, then
// discovery), leaving out the ids in exclude (those the caller already holds).
func (db *DB) QueuedURLs(ctx context.Context, host string, limit int, exclude map[int64]struct{}) ([]record.Job, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT u.id, u.url, u.depth, u.via, u.tries, u.hops, u.chain, coalesce(u.retry_at, ''),
			coalesce(f.id, 0), coalesce(f.status, 0), coalesce(f.etag, ''), coalesce(f.last_modified, ''), coalesce(f.content_hash, '')
		FROM urls u LEFT JOIN fetches f ON f.id = u.last_fetch_id AND f.run_id < u.run_id AND f.status IS NOT NULL
		WHERE u.host_id = (SELECT id FROM hosts WHERE host = ?) AND u.state = 'queued'
		ORDER BY u.depth, u.seq LIMIT ?`, host, limit+len(exclude))
	if err != nil {
		return nil, fmt.Errorf("store: read queue of %s: %w", host, err)
	}
	defer rows.Close()
	var jobs []record.Job
	for rows.Next() {
		j := record.Job{Host: host}
		p := &j.Prev
		var retryAt string
		if err := rows.Scan(&j.ID, &j.URL, &j.Depth, &j.Via, &j.Tries, &j.Hops, &j.Chain, &retryAt, &p.FetchID, &p.Status, &p.ETag, &p.LastModified, &p.ContentHash); err != nil {
			return nil, fmt.Errorf("store: read queue of %s: %w", host, err)
		}
		j.RetryAt, _ = time.Parse(time.RFC3339Nano, retryAt)
		if _, ok := exclude[j.ID]; ok || len(jobs) == limit {
			continue
		}
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}

// CountQueued returns how many URLs are queued.
func (db *DB) CountQueued(ctx context.Context) (int64, error) {
	var n int64
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM urls WHERE state = 'queued'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count queue in %s: %w", db.path, err)
	}
	return n, nil
}

func nullTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(t), Valid: true}
}

func nullMillis(d time.Duration) sql.NullInt64 {
	return sql.NullInt64{Int64: d.Milliseconds(), Valid: d != 0}
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
func nullInt(n int) sql.NullInt64     { return sql.NullInt64{Int64: int64(n), Valid: n != 0} }

// appendOutlinks writes links as a compact JSON array of [to_id, text, rel]
// triples: one column per page instead of one row per edge keeps the writer fast
// on link-heavy sites, and the links view unpacks it with json_each.
func appendOutlinks(b []byte, links []record.Link) []byte {
	b = append(b, '[')
	for i, l := range links {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, record.URLID(l.URL), 10)
		b = append(b, ',')
		b = jsonstr.Append(b, l.Text)
		if l.Rel != "" {
			b = append(b, ',')
			b = jsonstr.Append(b, l.Rel)
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

// RobotsBody returns the robots.txt body last stored for host: nil when none
// is stored, and an empty, non-nil slice for an empty file.
func (db *DB) RobotsBody(ctx context.Context, host string) ([]byte, error) {
	var body []byte
	var stored bool
	err := db.r.QueryRowContext(ctx, `SELECT robots_body, robots_body IS NOT NULL FROM hosts WHERE host = ?`, host).
		Scan(&body, &stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: read robots.txt of %s: %w", host, err)
	}
	if stored && body == nil {
		body = []byte{}
	}
	return body, nil
}

// HostStates returns the stored politeness state of every host.
func (db *DB) HostStates(ctx context.Context) (map[string]record.HostState, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT host, coalesce(robots_status, ''), coalesce(robots_fetched_at, ''),
		coalesce(crawl_delay_ms, 0), coalesce(delay_ms, 0), coalesce(backoff_until, ''),
		coalesce(parked_reason, ''), failures FROM hosts`)
	if err != nil {
		return nil, fmt.Errorf("store: read hosts of %s: %w", db.path, err)
	}
	defer rows.Close()
	out := map[string]record.HostState{}
	for rows.Next() {
		var h record.HostState
		var fetched, backoff string
		var crawlDelay, delay int64
		if err := rows.Scan(&h.Host, &h.RobotsStatus, &fetched, &crawlDelay, &delay, &backoff,
			&h.ParkedReason, &h.Failures); err != nil {
			return nil, fmt.Errorf("store: read hosts of %s: %w", db.path, err)
		}
		h.RobotsFetchedAt, _ = time.Parse(time.RFC3339Nano, fetched)
		h.BackoffUntil, _ = time.Parse(time.RFC3339Nano, backoff)
		h.CrawlDelay = time.Duration(crawlDelay) * time.Millisecond
		h.Delay = time.Duration(delay) * time.Millisecond
		out[h.Host] = h
	}
	return out, rows.Err()
}

// HostPages counts, per host, the URLs fetched (done or failed) in run runID.
func (db *DB) HostPages(ctx context.Context, runID int64) (map[string]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT h.host, count(*) FROM urls u JOIN hosts h ON h.id = u.host_id
		WHERE u.run_id = ? AND u.state IN ('done', 'failed') GROUP BY h.host`, runID)
	if err != nil {
		return nil, fmt.Errorf("store: count pages per host in %s: %w", db.path, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var h string
		var n int
		if err := rows.Scan(&h, &n); err != nil {
			return nil, fmt.Errorf("store: count pages per host in %s: %w", db.path, err)
		}
		out[h] = n
	}
	return out, rows.Err()
}

// RequeueStale starts a refresh: every URL last fetched successfully before
// cutoff (or never: failures leave fetched_at alone), or whose sitemap lastmod
// is newer than its last fetch, is queued again in run runID, and so is every
// URL an earlier run skipped with one of the reasons in retry (the caller's
// list of reasons that may have passed, such as a parked host). It returns
// how many were queued.
func (db *DB) RequeueStale(ctx context.Context, runID int64, cutoff time.Time, retry []string) (int64, error) {
	reasons, err := json.Marshal(retry)
	if err != nil {
		return 0, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	res, err := db.w.ExecContext(ctx, `UPDATE urls SET state = 'queued', reason = NULL, run_id = ?1, tries = 0
		WHERE run_id < ?1 AND (
			(state IN ('done', 'failed')
				AND (fetched_at IS NULL OR fetched_at < ?2 OR (lastmod IS NOT NULL AND lastmod > fetched_at)))
			OR (state = 'skipped' AND reason IN (SELECT value FROM json_each(?3))))`,
		runID, formatTime(cutoff), reasons)
	if err != nil {
		return 0, fmt.Errorf("store: queue stale URLs in %s: %w", db.path, err)
	}
	db.dropSeen() // the requeued URLs now belong to this run
	return res.RowsAffected()
}

// Bodies calls fn for the latest kept body of every URL (of run runID, or of
// any run when runID is 0), in fetch order. It stops at fn's first error.
func (db *DB) Bodies(ctx context.Context, runID int64, fn func(record.StoredBody) error) error {
	rows, err := db.r.QueryContext(ctx, `SELECT f.id, f.url_id, f.run_id, u.url, coalesce(f.content_type, ''), b.encoding, b.body
		FROM bodies b JOIN fetches f ON f.id = b.fetch_id JOIN urls u ON u.id = f.url_id
		WHERE b.fetch_id IN (SELECT max(b2.fetch_id) FROM bodies b2 JOIN fetches f2 ON f2.id = b2.fetch_id
			WHERE ?1 = 0 OR f2.run_id = ?1 GROUP BY f2.url_id)
		ORDER BY f.id`, runID)
	if err != nil {
		return fmt.Errorf("store: read bodies of %s: %w", db.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b record.StoredBody
		if err := rows.Scan(&b.FetchID, &b.URLID, &b.RunID, &b.URL, &b.ContentType, &b.Encoding, &b.Body); err != nil {
			return fmt.Errorf("store: read bodies of %s: %w", db.path, err)
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ReplaceItems replaces, in one transaction, the items that the named rules
// produced from each fetch.
func (db *DB) ReplaceItems(ctx context.Context, sets []record.ItemSet) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: replace items in %s: %w", db.path, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, s := range sets {
		for _, r := range s.Rules {
			if _, err := tx.ExecContext(ctx, `DELETE FROM items WHERE fetch_id = ? AND rule = ?`, s.FetchID, r); err != nil {
				return fmt.Errorf("store: replace items of fetch %d: %w", s.FetchID, err)
			}
		}
		for i, it := range s.Items {
			if _, err := tx.ExecContext(ctx, `INSERT INTO items(run_id, url_id, fetch_id, rule, idx, data, miss) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				s.RunID, s.URLID, s.FetchID, it.Rule, i, nullBytes(it.Data), nullStr(it.Miss)); err != nil {
				return fmt.Errorf("store: replace items of fetch %d: %w", s.FetchID, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: replace items in %s: %w", db.path, err)
	}
	return nil
}
