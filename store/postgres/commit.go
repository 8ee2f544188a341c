package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/trawl-crawler/trawl/store/record"
)

// The statements of a commit. They are those of the SQLite backend
// (store/frontier.go) in PostgreSQL's dialect; a change to one is a change
// to both, and the contract tests (store/storetest) hold them to the same
// results.
const (
	// insURL adds a discovered URL, or takes a URL known from an earlier run
	// into this one when the batch's rules say it is due again.
	insURL = `INSERT INTO urls(id, url, host_id, depth, seq, state, reason, via, parent_id, first_run, run_id, lastmod, hops, chain)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $14, $15)
		ON CONFLICT (id) DO UPDATE SET depth = excluded.depth, seq = excluded.seq, state = excluded.state, hops = excluded.hops,
			chain = excluded.chain,
			reason = excluded.reason, via = excluded.via, parent_id = excluded.parent_id, run_id = excluded.run_id, tries = 0,
			lastmod = coalesce(excluded.lastmod, urls.lastmod)
		WHERE urls.url = excluded.url AND urls.run_id < excluded.run_id
			AND ($12::boolean OR excluded.state = 'skipped' OR urls.fetched_at IS NULL OR urls.fetched_at < $13::text
				OR (excluded.lastmod IS NOT NULL AND excluded.lastmod > urls.fetched_at))`
	urlOf  = `SELECT url FROM urls WHERE id = $1`
	rescue = `UPDATE urls SET state = 'queued', reason = NULL, depth = $1, via = $2, parent_id = $3, hops = $4, chain = $5
		WHERE id = $6 AND run_id = $7 AND state = 'skipped' AND reason = $8`
	copyFetch = `UPDATE fetches SET (content_type, charset, size, content_hash, title, description, canonical,
		lang, meta_robots, noindex, nofollow, outlinks, facts, word_count, main_text, etag, last_modified) =
		(SELECT p.content_type, p.charset, p.size, p.content_hash, p.title, p.description, p.canonical, p.lang,
			p.meta_robots, p.noindex, p.nofollow, p.outlinks, p.facts, p.word_count, p.main_text,
			coalesce(fetches.etag, p.etag), coalesce(fetches.last_modified, p.last_modified)
		FROM fetches p WHERE p.id = $1) WHERE id = $2`
	// copyItems carries items forward and counts them as CommitResult.Items
	// does: items, not misses.
	copyItems = `WITH c AS (INSERT INTO items(run_id, url_id, fetch_id, rule, idx, data, miss)
		SELECT $1, url_id, $2, rule, idx, data, miss FROM items
		WHERE fetch_id = $3 AND rule = ANY($4::text[]) ORDER BY id RETURNING data)
		SELECT count(*) FROM c WHERE data IS NOT NULL`
	// insHost returns the id of host, adding it when new. Unlike an upsert,
	// it uses up no identity value for a host that exists, so host ids run
	// 1, 2, 3 as on SQLite.
	insHost = `WITH ins AS (INSERT INTO hosts(host) SELECT $1::text WHERE NOT EXISTS (SELECT 1 FROM hosts WHERE host = $1::text)
		ON CONFLICT (host) DO NOTHING RETURNING id)
		SELECT id FROM ins UNION ALL SELECT id FROM hosts WHERE host = $1::text`
	insFetch = `INSERT INTO fetches(url_id, run_id, attempt, fetched_at, duration_ms, status, error_class, error,
		redirect_to, content_type, charset, size, truncated, etag, last_modified, content_hash, title, description,
		canonical, lang, meta_robots, noindex, nofollow, outlinks, change, facts, word_count, main_text, proxy, proto)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)
		RETURNING id`
	insItem = `INSERT INTO items(run_id, url_id, fetch_id, rule, idx, data, miss) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	insBody = `INSERT INTO bodies(fetch_id, encoding, body) VALUES ($1, $2, $3)
		ON CONFLICT (fetch_id) DO UPDATE SET encoding = excluded.encoding, body = excluded.body`
	updURL = `UPDATE urls SET state = $1, reason = $2, tries = tries + $3, run_id = $4,
		last_fetch_id = coalesce($5, last_fetch_id), fetched_at = coalesce($6, fetched_at),
		gone_run = CASE WHEN $7::text = 'gone' THEN $4 WHEN $7::text IS NULL THEN gone_run ELSE NULL END, retry_at = $9 WHERE id = $8`
	updRun = `UPDATE runs SET pages = pages + $1, errors = errors + $2, retries = retries + $3,
		bytes = bytes + $4, discovered = discovered + $5, updated_at = $6, skipped = skipped + $7 WHERE id = $8`
	updHost = `UPDATE hosts SET robots_status = $1, robots_fetched_at = $2, crawl_delay_ms = $3,
		delay_ms = $4, backoff_until = $5, parked_reason = $6, failures = $7, updated_at = $8,
		robots_body = CASE WHEN $10::boolean THEN $11::bytea ELSE robots_body END WHERE id = $9`
	skipHost = `UPDATE urls SET state = 'skipped', reason = $1
		WHERE host_id = (SELECT id FROM hosts WHERE host = $2) AND state = 'queued'
			AND id <> ALL($3::bigint[])`
	insCookie = `INSERT INTO cookies (url, name, domain, path, value, expires, secure, http_only, same_site, received_at, seq)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, (SELECT COALESCE(MAX(seq), 0) + 1 FROM cookies))
		ON CONFLICT (url, domain, path, name) DO UPDATE SET
			value = excluded.value, expires = excluded.expires, secure = excluded.secure,
			http_only = excluded.http_only, same_site = excluded.same_site,
			received_at = excluded.received_at, seq = excluded.seq`
)

// loadLocked fills the write-side caches for run runID on first use.
// Callers hold db.mu.
func (db *DB) loadLocked(ctx context.Context, runID int64) error {
	if db.seen != nil && db.seenRun == runID {
		return nil
	}
	db.seen, db.soft = nil, nil
	rows, err := db.pool.Query(ctx, `SELECT id FROM urls WHERE run_id = $1`, runID)
	if err != nil {
		return fmt.Errorf("postgres: load URL ids from %s: %w", db.target, err)
	}
	seen := map[int64]struct{}{}
	var id int64
	_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
		seen[id] = struct{}{}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: load URL ids from %s: %w", db.target, err)
	}
	if err := db.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM urls`).Scan(&db.seq); err != nil {
		return fmt.Errorf("postgres: load frontier sequence from %s: %w", db.target, err)
	}
	db.seen, db.seenRun, db.soft = seen, runID, map[int64]string{}
	return nil
}

// commitState carries what a transaction will add to the caches once it
// commits; a rolled-back transaction must leave them untouched.
type commitState struct {
	tx       pgx.Tx
	runID    int64
	newIDs   map[int64]struct{}
	newHosts map[string]int64
	seq      int64
	skipped  int64 // discovered URLs recorded as skipped at once (out of scope, too deep)
	// The run's counters this batch adds.
	pages, errs, retries, bytes int64
	res                         record.CommitResult
	released                    []string  // hosts handed back (Batch.Releases)
	extended                    []string  // hosts whose leases the lease check extended
	checkedAt                   time.Time // when the lease check was sent
}

// commitOnce is one attempt at Commit (see retry.go).
func (db *DB) commitOnce(ctx context.Context, runID int64, b record.Batch) (record.CommitResult, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if res, done, err := db.settlePending(ctx); err != nil || done {
		return res, err
	}
	if err := db.loadLocked(ctx, runID); err != nil {
		return record.CommitResult{}, err
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return record.CommitResult{}, fmt.Errorf("postgres: begin commit on %s: %w", db.target, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	cs := &commitState{tx: tx, runID: runID, newIDs: map[int64]struct{}{}, newHosts: map[string]int64{}, seq: db.seq,
		res: record.CommitResult{NewByHost: map[string]int{}}}
	b, lost, dropped, err := db.checkLeases(ctx, tx, cs, b)
	if err != nil {
		return record.CommitResult{}, fmt.Errorf("postgres: check leases on %s: %w", db.target, err)
	}
	now := formatTime(time.Now())
	for i := range b.Outcomes {
		if err := db.commitOutcome(ctx, cs, &b.Outcomes[i], b.Cutoff); err != nil {
			return record.CommitResult{}, err
		}
	}
	var discovered int64
	for _, n := range cs.res.NewByHost {
		discovered += int64(n)
	}
	skipped := cs.skipped
	for _, h := range b.Hosts {
		if err := db.saveHost(ctx, cs, h, now); err != nil {
			return record.CommitResult{}, err
		}
	}
	for _, sk := range b.Skips {
		tag, err := tx.Exec(ctx, skipHost, sk.Reason, sk.Host, append([]int64{}, sk.Except...))
		if err != nil {
			return record.CommitResult{}, fmt.Errorf("postgres: skip queue of %s: %w", sk.Host, err)
		}
		n := tag.RowsAffected()
		skipped += n
		cs.res.AddClass(sk.Reason, n)
		delete(cs.res.NewByHost, sk.Host)
	}
	if runID != 0 {
		if _, err := tx.Exec(ctx, updRun, cs.pages, cs.errs, cs.retries, cs.bytes, discovered, now, skipped, runID); err != nil {
			return record.CommitResult{}, fmt.Errorf("postgres: update counters of run %d: %w", runID, err)
		}
	}
	cs.res.Pages, cs.res.Errors, cs.res.Skipped, cs.res.Bytes = cs.pages, cs.errs, skipped, cs.bytes
	cs.res.Lost = lost
	if err := db.releaseIn(ctx, tx, cs, b.Releases); err != nil {
		return record.CommitResult{}, fmt.Errorf("postgres: release hosts on %s: %w", db.target, err)
	}
	if err := db.countCommit(ctx, tx, cs, dropped); err != nil {
		return record.CommitResult{}, fmt.Errorf("postgres: count commit on %s: %w", db.target, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return record.CommitResult{}, db.unanswered(cs, fmt.Errorf("postgres: commit on %s: %w", db.target, err))
	}
	return db.applied(cs), nil
}

// applied adds what committed transaction cs wrote to the caches, and
// returns its result.
func (db *DB) applied(cs *commitState) record.CommitResult {
	for id := range cs.newIDs {
		db.seen[id] = struct{}{}
	}
	for h, id := range cs.newHosts {
		db.hostID[h] = id
	}
	db.seq = cs.seq
	db.commits++
	db.forget(cs.res.Lost)
	db.forget(cs.released)
	db.extended(cs.extended, cs.checkedAt)
	return cs.res
}

// commitOutcome stores one outcome: its discovered URLs and cookies, then
// (for a job) its fetch with items and body, the URL's new state and the
// counters it adds.
func (db *DB) commitOutcome(ctx context.Context, cs *commitState, o *record.Outcome, cutoff time.Time) error {
	for _, u := range o.Discovered {
		if err := db.addURL(ctx, cs, u, cutoff); err != nil {
			return err
		}
	}
	for _, c := range o.Cookies {
		if _, err := cs.tx.Exec(ctx, insCookie, clean(c.URL), clean(c.Name), clean(c.Domain), clean(c.Path), clean(c.Value),
			tim(c.Expires), flag(c.Secure), flag(c.HTTPOnly), str(c.SameSite), formatTime(c.Received)); err != nil {
			return fmt.Errorf("postgres: keep cookie %s from %s: %w", c.Name, c.URL, err)
		}
	}
	if o.Job.ID == 0 {
		return nil
	}
	var fetchID, fetchedAt, change any
	if f := o.Fetch; f != nil {
		id, err := db.saveFetch(ctx, cs, o)
		if err != nil {
			return err
		}
		fetchID = id
		if f.Status != 0 && o.State == record.StateDone {
			fetchedAt = formatTime(f.At)
		}
		change = str(f.Change)
	}
	tries := 0
	switch o.State {
	case record.StateQueued:
		tries = 1
		cs.retries++
	case record.StateDone:
		if o.NotPage {
			break
		}
		cs.pages++
		if o.Fetch != nil && o.Fetch.ErrorClass != "" {
			cs.errs++
			cs.res.AddClass(o.Fetch.ErrorClass, 1)
		}
	case record.StateFailed:
		if o.NotPage {
			break
		}
		if o.Fetch != nil {
			cs.pages++
		}
		cs.errs++
		cs.res.AddClass(cmp.Or(o.Reason, failedClass(o.Fetch)), 1)
	case record.StateSkipped:
		cs.skipped++
		cs.res.AddClass(o.Reason, 1)
	default:
		return fmt.Errorf("postgres: outcome for %s has unknown state %q", o.Job.URL, o.State)
	}
	if _, err := cs.tx.Exec(ctx, updURL, o.State, str(o.Reason), tries, cs.runID, fetchID, fetchedAt, change,
		o.Job.ID, tim(o.RetryAt)); err != nil {
		return fmt.Errorf("postgres: update state of %s: %w", o.Job.URL, err)
	}
	return nil
}

// saveFetch records o's fetch with its items and body, carrying a 304's
// content (and the items of the rules still configured) forward from the
// fetch it confirmed, and returns the new fetch's id.
func (db *DB) saveFetch(ctx context.Context, cs *commitState, o *record.Outcome) (int64, error) {
	f := o.Fetch
	var outlinks any
	if len(o.Links) > 0 {
		outlinks = string(appendOutlinks(nil, o.Links))
	}
	var id int64
	err := cs.tx.QueryRow(ctx, insFetch, o.Job.ID, cs.runID, o.Job.Tries+1,
		formatTime(f.At), float64(f.Duration.Microseconds())/1000,
		num(f.Status), str(f.ErrorClass), str(f.Error), str(f.RedirectTo),
		str(f.ContentType), str(f.Charset), f.Size, flag(f.Truncated), str(f.ETag),
		str(f.LastModified), str(f.ContentHash), str(f.Title), str(f.Description),
		str(f.Canonical), str(f.Lang), str(f.MetaRobots), flag(f.NoIndex), flag(f.NoFollow), outlinks, str(f.Change),
		jsonText(f.Facts), num(f.WordCount), str(f.MainText), str(f.Proxy), str(f.Proto)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("postgres: record fetch of %s: %w", o.Job.URL, err)
	}
	cs.bytes += f.Size
	if f.CopyFrom != 0 {
		if _, err := cs.tx.Exec(ctx, copyFetch, f.CopyFrom, id); err != nil {
			return 0, fmt.Errorf("postgres: carry forward fetch of %s: %w", o.Job.URL, err)
		}
		if len(f.CarryRules) > 0 {
			var carried int64
			if err := cs.tx.QueryRow(ctx, copyItems, cs.runID, id, f.CopyFrom, f.CarryRules).Scan(&carried); err != nil {
				return 0, fmt.Errorf("postgres: carry forward items of %s: %w", o.Job.URL, err)
			}
			cs.res.Items += carried
		}
	}
	if len(f.Body) > 0 {
		if _, err := cs.tx.Exec(ctx, insBody, id, f.BodyEncoding, f.Body); err != nil {
			return 0, fmt.Errorf("postgres: keep body of %s: %w", o.Job.URL, err)
		}
	}
	for i, it := range o.Items {
		if _, err := cs.tx.Exec(ctx, insItem, cs.runID, o.Job.ID, id, clean(it.Rule), i, jsonText(it.Data), str(it.Miss)); err != nil {
			return 0, fmt.Errorf("postgres: record items of %s: %w", o.Job.URL, err)
		}
		if it.Data != nil {
			cs.res.Items++
		}
	}
	return id, nil
}

// failedClass is the class of a failed URL that carries no reason.
func failedClass(f *record.Fetch) string {
	if f != nil && f.ErrorClass != "" {
		return f.ErrorClass
	}
	return "other"
}

// hostIDTx returns host's id, adding the host in the transaction if new.
func (db *DB) hostIDTx(ctx context.Context, cs *commitState, host string) (int64, error) {
	if id, ok := db.hostID[host]; ok {
		return id, nil
	}
	if id, ok := cs.newHosts[host]; ok {
		return id, nil
	}
	var id int64
	err := cs.tx.QueryRow(ctx, insHost, clean(host)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		// Another writer added it between the statement's snapshot and
		// its insert; it is there now.
		err = cs.tx.QueryRow(ctx, `SELECT id FROM hosts WHERE host = $1`, clean(host)).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: add host %s: %w", host, err)
	}
	cs.newHosts[host] = id
	return id, nil
}

// addURL adds one discovered URL to the frontier of the run, unless the run
// has it already; a URL the run skipped softly is queued after all when
// discovered without a skip.
func (db *DB) addURL(ctx context.Context, cs *commitState, u record.NewURL, cutoff time.Time) error {
	id := record.URLID(u.URL)
	_, inTx := cs.newIDs[id]
	if _, seen := db.seen[id]; seen || inTx {
		if reason, ok := db.soft[id]; ok && u.Skip == "" {
			return db.rescue(ctx, cs, id, reason, u)
		}
		return nil
	}
	hostID, err := db.hostIDTx(ctx, cs, u.Host)
	if err != nil {
		return err
	}
	state, reason := record.StateQueued, any(nil)
	if u.Skip != "" {
		state, reason = record.StateSkipped, u.Skip
	}
	cs.seq++
	var parent any
	if u.ParentID != 0 {
		parent = u.ParentID
	}
	tag, err := cs.tx.Exec(ctx, insURL, id, clean(u.URL), hostID, u.Depth, cs.seq,
		state, reason, u.Via, parent, cs.runID, str(u.LastMod), u.Revisit || cutoff.IsZero(),
		formatTime(cutoff), u.Hops, u.Chain)
	if err != nil {
		return fmt.Errorf("postgres: add URL %s: %w", u.URL, err)
	}
	cs.newIDs[id] = struct{}{}
	if tag.RowsAffected() == 0 {
		// Either fetched recently enough (a refresh leaves it alone) or, very
		// rarely, a different URL with the same id.
		var known string
		if err := cs.tx.QueryRow(ctx, urlOf, id).Scan(&known); err == nil && known != u.URL {
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

// rescue queues a URL of the run that was skipped softly, now that u
// discovers it without a skip.
func (db *DB) rescue(ctx context.Context, cs *commitState, id int64, reason string, u record.NewURL) error {
	var parent any
	if u.ParentID != 0 {
		parent = u.ParentID
	}
	tag, err := cs.tx.Exec(ctx, rescue, u.Depth, u.Via, parent, u.Hops, u.Chain, id, cs.runID, reason)
	if err != nil {
		return fmt.Errorf("postgres: queue %s after all: %w", u.URL, err)
	}
	delete(db.soft, id)
	if tag.RowsAffected() == 1 {
		cs.res.NewByHost[u.Host]++
		cs.skipped--
		cs.res.AddClass(reason, -1)
	}
	return nil
}

// saveHost writes a host's politeness state; its robots.txt body only with
// a new robots.txt fetch.
func (db *DB) saveHost(ctx context.Context, cs *commitState, h record.HostState, now string) error {
	id, err := db.hostIDTx(ctx, cs, h.Host)
	if err != nil {
		return err
	}
	if _, err := cs.tx.Exec(ctx, updHost, str(h.RobotsStatus), tim(h.RobotsFetchedAt), millis(h.CrawlDelay), millis(h.Delay),
		tim(h.BackoffUntil), str(h.ParkedReason), h.Failures, now, id, h.NewRobots, h.RobotsBody); err != nil {
		return fmt.Errorf("postgres: update host %s: %w", h.Host, err)
	}
	return nil
}
