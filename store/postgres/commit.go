package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/trawl-crawler/trawl/store/record"
)

// The statements of a commit. They do what the SQLite backend's statements
// (store/frontier.go) do, row for row, but for all the rows of a batch at
// once: each takes its rows as arrays (unnest) and is sent in a pipeline
// (pgx.Batch), so that a commit costs a few round trips, not one per row.
// A change to one backend's statements is a change to the other's, and the
// contract tests (store/storetest) hold them to the same results.
const (
	// insURLs adds discovered URLs, or takes URLs known from an earlier run
	// into this one when the batch's rules say they are due again ($14:
	// always, as for a seed or a crawl without a cutoff). It answers, per
	// URL in order, whether a row was written, and for one that was not,
	// the URL its id already holds (to tell a refresh that left it alone
	// from an id collision). The answer's subquery reads the snapshot from
	// before the insert, which holds every row the insert left alone.
	insURLs = `WITH v AS (
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::int[], $5::bigint[], $6::text[], $7::text[],
			$8::text[], $9::bigint[], $10::text[], $11::int[], $12::int[]) WITH ORDINALITY
			AS v(id, url, host_id, depth, seq, state, reason, via, parent_id, lastmod, hops, chain, ord)
	), ins AS (
		INSERT INTO urls(id, url, host_id, depth, seq, state, reason, via, parent_id, first_run, run_id, lastmod, hops, chain)
		SELECT id, url, host_id, depth, seq, state, reason, via, parent_id, $13, $13, lastmod, hops, chain FROM v ORDER BY ord
		ON CONFLICT (id) DO UPDATE SET depth = excluded.depth, seq = excluded.seq, state = excluded.state, hops = excluded.hops,
			chain = excluded.chain,
			reason = excluded.reason, via = excluded.via, parent_id = excluded.parent_id, run_id = excluded.run_id, tries = 0,
			lastmod = coalesce(excluded.lastmod, urls.lastmod)
		WHERE urls.url = excluded.url AND urls.run_id < excluded.run_id
			AND ($14::boolean OR excluded.state = 'skipped' OR urls.fetched_at IS NULL OR urls.fetched_at < $15::text
				OR (excluded.lastmod IS NOT NULL AND excluded.lastmod > urls.fetched_at))
		RETURNING id
	)
	SELECT ins.id IS NOT NULL, CASE WHEN ins.id IS NULL THEN (SELECT u.url FROM urls u WHERE u.id = v.id) END
	FROM v LEFT JOIN ins ON ins.id = v.id ORDER BY v.ord`
	rescue = `UPDATE urls SET state = 'queued', reason = NULL, depth = $1, via = $2, parent_id = $3, hops = $4, chain = $5
		WHERE id = $6 AND run_id = $7 AND state = 'skipped' AND reason = $8`
	// insFetches records fetches and answers their ids in order. The ids
	// are drawn from the identity's sequence in the batch's order, as
	// single inserts would draw them, and answered with their row, so that
	// no assumption about the order of RETURNING is needed.
	insFetches = `WITH v AS (
		SELECT nextval((SELECT pg_get_serial_sequence('fetches', 'id'))::regclass) AS id, t.*
		FROM unnest($1::bigint[], $2::int[], $3::text[], $4::float8[], $5::int[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::text[], $11::bigint[], $12::int[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
			$18::text[], $19::text[], $20::text[], $21::int[], $22::int[], $23::text[], $24::text[], $25::text[], $26::int[],
			$27::text[], $28::text[], $29::text[]) WITH ORDINALITY
			AS t(url_id, attempt, fetched_at, duration_ms, status, error_class, error, redirect_to, content_type, charset,
				size, truncated, etag, last_modified, content_hash, title, description, canonical, lang, meta_robots,
				noindex, nofollow, outlinks, change, facts, word_count, main_text, proxy, proto, ord)
	), ins AS (
		INSERT INTO fetches(id, url_id, run_id, attempt, fetched_at, duration_ms, status, error_class, error,
			redirect_to, content_type, charset, size, truncated, etag, last_modified, content_hash, title, description,
			canonical, lang, meta_robots, noindex, nofollow, outlinks, change, facts, word_count, main_text, proxy, proto)
		SELECT id, url_id, $30, attempt, fetched_at, duration_ms, status, error_class, error,
			redirect_to, content_type, charset, size, truncated, etag, last_modified, content_hash, title, description,
			canonical, lang, meta_robots, noindex, nofollow, outlinks::json, change, facts::json, word_count, main_text, proxy, proto
		FROM v ORDER BY ord
	)
	SELECT id FROM v ORDER BY ord`
	// copyFetches carries 304s' content forward from the fetches they
	// confirmed ($1, into $2).
	copyFetches = `UPDATE fetches SET (content_type, charset, size, content_hash, title, description, canonical,
		lang, meta_robots, noindex, nofollow, outlinks, facts, word_count, main_text, etag, last_modified) =
		(SELECT p.content_type, p.charset, p.size, p.content_hash, p.title, p.description, p.canonical, p.lang,
			p.meta_robots, p.noindex, p.nofollow, p.outlinks, p.facts, p.word_count, p.main_text,
			coalesce(fetches.etag, p.etag), coalesce(fetches.last_modified, p.last_modified)
		FROM fetches p WHERE p.id = c.from_id)
		FROM unnest($1::bigint[], $2::bigint[]) AS c(from_id, id) WHERE fetches.id = c.id`
	// insItems records the batch's items: for each fetch in order ($2, the
	// fetch's place in the batch), first the items carried forward from the
	// fetch a 304 confirmed (of the rules still configured, in their order),
	// then its own, so that item ids run as single inserts would give them.
	// It answers how many carried items are items, not misses (what
	// CommitResult.Items counts); its snapshot holds the carried rows.
	insItems = `WITH c AS (
		SELECT * FROM unnest($2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[])
			AS c(ord, url_id, fetch_id, from_id, rules)
	), n AS (
		SELECT * FROM unnest($7::int[], $8::bigint[], $9::bigint[], $10::text[], $11::int[], $12::text[], $13::text[])
			WITH ORDINALITY AS n(ord, url_id, fetch_id, rule, idx, data, miss, sub)
	), carried AS (
		SELECT c.ord, i.id AS sub, c.url_id, c.fetch_id, i.rule, i.idx, i.data, i.miss
		FROM c JOIN items i ON i.fetch_id = c.from_id AND i.rule IN (SELECT json_array_elements_text(c.rules::json))
	), ins AS (
		INSERT INTO items(run_id, url_id, fetch_id, rule, idx, data, miss)
		SELECT $1, url_id, fetch_id, rule, idx, data, miss FROM (
			SELECT ord, 0 AS part, sub, url_id, fetch_id, rule, idx, data, miss FROM carried
			UNION ALL
			SELECT ord, 1, sub, url_id, fetch_id, rule, idx, data::json, miss FROM n
		) s ORDER BY ord, part, sub
	)
	SELECT count(*) FROM carried WHERE data IS NOT NULL`
	insItem   = `INSERT INTO items(run_id, url_id, fetch_id, rule, idx, data, miss) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	insBodies = `INSERT INTO bodies(fetch_id, encoding, body) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[])
		ON CONFLICT (fetch_id) DO UPDATE SET encoding = excluded.encoding, body = excluded.body`
	// updURLs writes the new state of the batch's URLs; no id may come
	// twice (see segment).
	updURLs = `UPDATE urls SET state = v.state, reason = v.reason, tries = urls.tries + v.tries, run_id = $1,
		last_fetch_id = coalesce(v.fetch_id, urls.last_fetch_id), fetched_at = coalesce(v.fetched_at, urls.fetched_at),
		gone_run = CASE WHEN v.change = 'gone' THEN $1 WHEN v.change IS NULL THEN urls.gone_run ELSE NULL END,
		retry_at = v.retry_at
		FROM unnest($2::bigint[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::text[], $8::text[], $9::text[])
			AS v(id, state, reason, tries, fetch_id, fetched_at, change, retry_at)
		WHERE urls.id = v.id`
	updRun = `UPDATE runs SET pages = pages + $1, errors = errors + $2, retries = retries + $3,
		bytes = bytes + $4, discovered = discovered + $5, updated_at = $6, skipped = skipped + $7 WHERE id = $8`
	// updHosts writes hosts' politeness state; a robots.txt body only with
	// a new robots.txt fetch. No host may come twice (see hostRows).
	updHosts = `UPDATE hosts SET robots_status = v.robots_status, robots_fetched_at = v.robots_fetched_at,
		crawl_delay_ms = v.crawl_delay_ms, delay_ms = v.delay_ms, backoff_until = v.backoff_until,
		parked_reason = v.parked_reason, failures = v.failures, updated_at = $1,
		robots_body = CASE WHEN v.new_robots THEN v.robots_body ELSE hosts.robots_body END
		FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::int[],
			$10::boolean[], $11::bytea[])
			AS v(id, robots_status, robots_fetched_at, crawl_delay_ms, delay_ms, backoff_until, parked_reason, failures,
				new_robots, robots_body)
		WHERE hosts.id = v.id`
	skipHost = `UPDATE urls SET state = 'skipped', reason = $1
		WHERE host_id = (SELECT id FROM hosts WHERE host = $2) AND state = 'queued'
			AND id <> ALL($3::bigint[])`
	// insHost returns the id of host, adding it when new. Unlike an upsert,
	// it uses up no identity value for a host that exists, so host ids run
	// 1, 2, 3 as on SQLite.
	insHost = `WITH ins AS (INSERT INTO hosts(host) SELECT $1::text WHERE NOT EXISTS (SELECT 1 FROM hosts WHERE host = $1::text)
		ON CONFLICT (host) DO NOTHING RETURNING id)
		SELECT id FROM ins UNION ALL SELECT id FROM hosts WHERE host = $1::text`
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

// A commit stores a batch in one transaction: each fetch row, its outlinks,
// the URL's new state, the newly discovered URLs, host states, skipped hosts
// and the run's counters (see Commit).
//
// The batch is planned in memory first (which discoveries are new, their
// sequence numbers, the rows of each table), then sent as set-based
// statements in at most three pipelines on one connection: the
// transaction's start with the new hosts and the fetches, whose ids the
// other rows name; everything else; the run's counters, which add up the
// answers, with the transaction's end. See plan for how the order of single
// statements is kept.
//
// commitOnce is one attempt at it; Commit (retry.go) checks leases and
// waits out a database that went away around it.
func (db *DB) commitOnce(ctx context.Context, runID int64, b record.Batch) (record.CommitResult, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if res, done, err := db.settlePending(ctx); err != nil || done {
		return res, err
	}
	if err := db.loadLocked(ctx, runID); err != nil {
		return record.CommitResult{}, err
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return record.CommitResult{}, fmt.Errorf("postgres: begin commit on %s: %w", db.target, err)
	}
	defer conn.Release()
	committed := false
	defer func() {
		if !committed {
			// A commit that failed half way leaves its transaction open;
			// should the rollback fail too, the pool drops the connection,
			// as it does every connection released inside a transaction.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			defer cancel()
			conn.Exec(rctx, "ROLLBACK") //nolint:errcheck // see above
		}
	}()
	lc, err := db.checkLeases(ctx, conn, b)
	if err != nil {
		return record.CommitResult{}, fmt.Errorf("postgres: check leases on %s: %w", db.target, err)
	}
	p, err := db.plan(runID, lc.batch)
	if err != nil {
		return record.CommitResult{}, err
	}
	p.begun = lc.begun
	if err := db.sendIDs(ctx, conn, p); err != nil {
		return record.CommitResult{}, err
	}
	if err := db.sendRows(ctx, conn, p); err != nil {
		return record.CommitResult{}, err
	}
	res := &p.res
	var discovered int64
	for _, n := range res.NewByHost {
		discovered += int64(n)
	}
	skipped := p.skipped
	for _, sk := range p.skips {
		skipped += sk.n
		res.AddClass(sk.Reason, sk.n)
		delete(res.NewByHost, sk.Host)
	}
	var end pgx.Batch
	if runID != 0 {
		queue(&end, fmt.Sprintf("update counters of run %d", runID), updRun,
			[]any{p.pages, p.errs, p.retries, p.bytes, discovered, p.now, skipped, runID}, nil)
	}
	res.Pages, res.Errors, res.Skipped, res.Bytes = p.pages, p.errs, skipped, p.bytes
	res.Lost = lc.lost
	released := db.queueReleases(&end, lc.batch.Releases)
	db.queueCount(&end, res, lc.dropped)
	queue(&end, "commit", "COMMIT", nil, func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		if err == nil && tag.String() != "COMMIT" {
			err = pgx.ErrTxCommitRollback
		}
		return err
	})
	apply := func() record.CommitResult {
		db.applied(p)
		db.commits++
		db.forget(lc.lost)
		db.forget(released)
		db.extended(lc.extended, lc.checkedAt)
		return *res
	}
	if err := conn.SendBatch(ctx, &end).Close(); err != nil {
		return record.CommitResult{}, db.unanswered(apply, fmt.Errorf("postgres: commit on %s: %w", db.target, err))
	}
	committed = true
	return apply(), nil
}

// applied adds what committed plan p wrote to the caches. Callers hold
// db.mu.
func (db *DB) applied(p *commitPlan) {
	for id := range p.newIDs {
		db.seen[id] = struct{}{}
	}
	for i, h := range p.newHosts {
		db.hostID[h] = p.newHostIDs[i]
	}
	for id, reason := range p.softAdded {
		db.soft[id] = reason
	}
	for id := range p.unsoft {
		delete(db.soft, id)
	}
	db.seq = p.seq
}

// rollbackTimeout bounds the rollback of a failed commit, which runs even
// when the commit's context is done: a server that does not answer is
// left to the pool, which drops the connection.
const rollbackTimeout = 10 * time.Second

// commitPlan is a batch turned into the rows of each statement. Nothing in
// it touches the DB's caches until the transaction commits.
type commitPlan struct {
	runID int64
	begun bool // the transaction's start is sent
	now   string
	// cutoff and always are the parameters of insURLs that the batch shares.
	cutoff string
	seq    int64
	newIDs map[int64]struct{}
	// newHosts are the hosts not known to the cache, in the order of first
	// use (which gives their ids); newHostIDs their ids once sent.
	newHosts   []string
	newHostIDs []int64
	hostIdx    map[string]int
	// softAdded are the URLs this batch skips softly once their insert
	// succeeds; unsoft those a rescue was sent for, which leave the soft
	// set whether or not it queued them.
	softAdded map[int64]string
	tentative map[int64]string // planned soft skips, before their inserts' answers
	unsoft    map[int64]struct{}
	segs      []*segment
	fetches   fetchCols
	copies    []copyRow
	items     []itemRow
	bodies    []bodyRow
	cookies   []record.Cookie
	hosts     []record.HostState
	hostRow   map[string]int
	skips     []skipRow
	// The run's counters this batch adds; skipped counts discovered URLs
	// recorded as skipped at once (out of scope, too deep), and is
	// completed from the inserts' answers.
	pages, errs, retries, bytes, skipped int64
	res                                  record.CommitResult
}

// A segment is a run of the batch's outcomes whose URL statements may be
// sent set-based: all inserts (in order), then all rescues, then all state
// updates. That order gives what single statements in the batch's order
// give as long as no insert, rescue or update names a URL whose state an
// earlier outcome of the segment updated; plan starts a new segment where
// one would.
type segment struct {
	inserts []insertChunk
	rescues []rescueRow
	jobs    urlCols
	jobIDs  map[int64]struct{}
}

// An insertChunk is a run of inserts that share insURLs's $14.
type insertChunk struct {
	always bool
	rows   []insertRow
	cols   insertCols
}

type insertRow struct {
	id    int64
	url   string
	host  string
	state string
	skip  string
	soft  bool
	// hostRef is the host's id, or -(1+i) for newHosts[i] before it has one.
	hostRef int64
}

type insertCols struct {
	id, hostID, seq    []int64
	parent             []*int64
	depth, hops, chain []int32
	url, state, via    []string
	reason, lastmod    []*string
}

type rescueRow struct {
	id     int64
	reason string
	u      record.NewURL
}

type urlCols struct {
	id                                 []int64
	state                              []string
	reason, fetchedAt, change, retryAt []*string
	tries                              []int32
	fetchID                            []*int64
	fetchRef                           []int // index into fetches, or -1
}

// fetchCols are insFetches's columns; ids are filled in once sent.
type fetchCols struct {
	urlID, size                                                                              []int64
	attempt, truncated, noindex, nofollow                                                    []int32
	status, wordCount                                                                        []*int32
	fetchedAt                                                                                []string
	duration                                                                                 []float64
	errorClass, errText, redirectTo, contentType, charset, etag, lastModified, contentHash   []*string
	title, description, canonical, lang, metaRobots, outlinks, change, facts, mainText, prox []*string
	proto                                                                                    []*string
	ids                                                                                      []int64
}

type copyRow struct {
	from  int64
	fetch int // index into fetches
	url   int64
	rules []string
}

type itemRow struct {
	fetch int // index into fetches
	url   int64
	rule  string
	idx   int32
	data  *string
	miss  *string
}

type bodyRow struct {
	fetch    int
	encoding string
	body     []byte
}

type skipRow struct {
	record.SkipHost
	n int64
}

// plan turns b into statements' rows, deciding in memory what the SQLite
// backend decides statement by statement: which discoveries the run has
// already (the seen set), their sequence numbers, rescues of soft skips,
// and the counters that need no answer from the database.
func (db *DB) plan(runID int64, b record.Batch) (*commitPlan, error) {
	p := &commitPlan{runID: runID, now: formatTime(time.Now()), cutoff: formatTime(b.Cutoff), seq: db.seq,
		newIDs: map[int64]struct{}{}, hostIdx: map[string]int{}, softAdded: map[int64]string{},
		tentative: map[int64]string{}, unsoft: map[int64]struct{}{}, hostRow: map[string]int{},
		res: record.CommitResult{NewByHost: map[string]int{}}}
	seg := p.newSegment()
	for i := range b.Outcomes {
		o := &b.Outcomes[i]
		for _, u := range o.Discovered {
			seg = p.addURL(db, seg, u, b.Cutoff)
		}
		p.cookies = append(p.cookies, o.Cookies...)
		if o.Job.ID == 0 {
			continue
		}
		if _, ok := seg.jobIDs[o.Job.ID]; ok {
			seg = p.newSegment()
		}
		if err := p.addJob(seg, o); err != nil {
			return nil, err
		}
	}
	for _, h := range b.Hosts {
		p.hostRef(db, h.Host)
		if i, ok := p.hostRow[h.Host]; ok {
			// A later state of the same host wins, as a later update
			// would; a robots.txt body stays until another replaces it.
			if !h.NewRobots && p.hosts[i].NewRobots {
				h.NewRobots, h.RobotsBody = true, p.hosts[i].RobotsBody
			}
			p.hosts[i] = h
			continue
		}
		p.hostRow[h.Host] = len(p.hosts)
		p.hosts = append(p.hosts, h)
	}
	for _, sk := range b.Skips {
		p.skips = append(p.skips, skipRow{SkipHost: sk})
	}
	return p, nil
}

func (p *commitPlan) newSegment() *segment {
	s := &segment{jobIDs: map[int64]struct{}{}}
	p.segs = append(p.segs, s)
	return s
}

// hostRef returns host's id if known, or its place among the new hosts.
func (p *commitPlan) hostRef(db *DB, host string) int64 {
	if id, ok := db.hostID[host]; ok {
		return id
	}
	i, ok := p.hostIdx[host]
	if !ok {
		i = len(p.newHosts)
		p.hostIdx[host] = i
		p.newHosts = append(p.newHosts, host)
	}
	return -int64(1 + i)
}

// addURL plans one discovered URL: an insert unless the run has it
// already, or the rescue of a URL the run skipped softly when discovered
// without a skip. It returns the segment to go on with.
func (p *commitPlan) addURL(db *DB, seg *segment, u record.NewURL, cutoff time.Time) *segment {
	id := u.Key()
	_, inTx := p.newIDs[id]
	if _, seen := db.seen[id]; seen || inTx {
		if u.Skip != "" {
			return seg
		}
		if _, gone := p.unsoft[id]; gone {
			return seg
		}
		reason, ok := p.tentative[id]
		if !ok {
			reason, ok = db.soft[id]
		}
		if !ok {
			return seg
		}
		if _, ok := seg.jobIDs[id]; ok {
			seg = p.newSegment()
		}
		p.unsoft[id] = struct{}{}
		seg.rescues = append(seg.rescues, rescueRow{id: id, reason: reason, u: u})
		return seg
	}
	if _, ok := seg.jobIDs[id]; ok {
		seg = p.newSegment()
	}
	hostRef := p.hostRef(db, u.Host)
	state := record.StateQueued
	if u.Skip != "" {
		state = record.StateSkipped
		if u.Soft {
			p.tentative[id] = u.Skip
		}
	}
	p.seq++
	p.newIDs[id] = struct{}{}
	always := u.Revisit || cutoff.IsZero()
	if n := len(seg.inserts); n == 0 || seg.inserts[n-1].always != always {
		seg.inserts = append(seg.inserts, insertChunk{always: always})
	}
	ch := &seg.inserts[len(seg.inserts)-1]
	ch.rows = append(ch.rows, insertRow{id: id, url: u.URL, host: u.Host, state: state, skip: u.Skip, soft: u.Soft, hostRef: hostRef})
	c := &ch.cols
	var parent *int64
	if u.ParentID != 0 {
		parent = &u.ParentID
	}
	c.id = append(c.id, id)
	c.url = append(c.url, clean(u.URL))
	c.hostID = append(c.hostID, hostRef)
	c.depth = append(c.depth, int32(u.Depth))
	c.seq = append(c.seq, p.seq)
	c.state = append(c.state, state)
	c.reason = append(c.reason, nstr(u.Skip))
	c.via = append(c.via, u.Via)
	c.parent = append(c.parent, parent)
	c.lastmod = append(c.lastmod, nstr(u.LastMod))
	c.hops = append(c.hops, int32(u.Hops))
	c.chain = append(c.chain, int32(u.Chain))
	return seg
}

// addJob plans an outcome's fetch (with its items, body and carried-forward
// content), the URL's new state, and the counters it adds.
func (p *commitPlan) addJob(seg *segment, o *record.Outcome) error {
	fetch := -1
	var fetchedAt, change *string
	if f := o.Fetch; f != nil {
		fetch = p.addFetch(o)
		if f.Status != 0 && o.State == record.StateDone {
			s := formatTime(f.At)
			fetchedAt = &s
		}
		change = nstr(f.Change)
	}
	tries := int32(0)
	switch o.State {
	case record.StateQueued:
		tries = 1
		p.retries++
	case record.StateDone:
		if o.NotPage {
			break
		}
		p.pages++
		if o.Fetch != nil && o.Fetch.ErrorClass != "" {
			p.errs++
			p.res.AddClass(o.Fetch.ErrorClass, 1)
		}
	case record.StateFailed:
		if o.NotPage {
			break
		}
		if o.Fetch != nil {
			p.pages++
		}
		p.errs++
		p.res.AddClass(cmp.Or(o.Reason, failedClass(o.Fetch)), 1)
	case record.StateSkipped:
		p.skipped++
		p.res.AddClass(o.Reason, 1)
	default:
		return fmt.Errorf("postgres: outcome for %s has unknown state %q", o.Job.URL, o.State)
	}
	seg.jobIDs[o.Job.ID] = struct{}{}
	j := &seg.jobs
	j.id = append(j.id, o.Job.ID)
	j.state = append(j.state, o.State)
	j.reason = append(j.reason, nstr(o.Reason))
	j.tries = append(j.tries, tries)
	j.fetchRef = append(j.fetchRef, fetch)
	j.fetchedAt = append(j.fetchedAt, fetchedAt)
	j.change = append(j.change, change)
	var retryAt *string
	if !o.RetryAt.IsZero() {
		s := formatTime(o.RetryAt)
		retryAt = &s
	}
	j.retryAt = append(j.retryAt, retryAt)
	return nil
}

// addFetch plans o's fetch row, its items and body, and the copy of a
// 304's content (and the items of the rules still configured) from the
// fetch it confirmed. It returns the fetch's place in the batch.
func (p *commitPlan) addFetch(o *record.Outcome) int {
	f := o.Fetch
	c := &p.fetches
	i := len(c.urlID)
	var outlinks *string
	if len(o.Links) > 0 {
		s := string(appendOutlinks(nil, o.Links))
		outlinks = &s
	}
	c.urlID = append(c.urlID, o.Job.ID)
	c.attempt = append(c.attempt, int32(o.Job.Tries+1))
	c.fetchedAt = append(c.fetchedAt, formatTime(f.At))
	c.duration = append(c.duration, float64(f.Duration.Microseconds())/1000)
	c.status = append(c.status, nint(f.Status))
	c.errorClass = append(c.errorClass, nstr(f.ErrorClass))
	c.errText = append(c.errText, nstr(f.Error))
	c.redirectTo = append(c.redirectTo, nstr(f.RedirectTo))
	c.contentType = append(c.contentType, nstr(f.ContentType))
	c.charset = append(c.charset, nstr(f.Charset))
	c.size = append(c.size, f.Size)
	c.truncated = append(c.truncated, flag(f.Truncated))
	c.etag = append(c.etag, nstr(f.ETag))
	c.lastModified = append(c.lastModified, nstr(f.LastModified))
	c.contentHash = append(c.contentHash, nstr(f.ContentHash))
	c.title = append(c.title, nstr(f.Title))
	c.description = append(c.description, nstr(f.Description))
	c.canonical = append(c.canonical, nstr(f.Canonical))
	c.lang = append(c.lang, nstr(f.Lang))
	c.metaRobots = append(c.metaRobots, nstr(f.MetaRobots))
	c.noindex = append(c.noindex, flag(f.NoIndex))
	c.nofollow = append(c.nofollow, flag(f.NoFollow))
	c.outlinks = append(c.outlinks, outlinks)
	c.change = append(c.change, nstr(f.Change))
	c.facts = append(c.facts, njson(f.Facts))
	c.wordCount = append(c.wordCount, nint(f.WordCount))
	c.mainText = append(c.mainText, nstr(f.MainText))
	c.prox = append(c.prox, nstr(f.Proxy))
	c.proto = append(c.proto, nstr(f.Proto))
	p.bytes += f.Size
	if f.CopyFrom != 0 {
		p.copies = append(p.copies, copyRow{from: f.CopyFrom, fetch: i, url: o.Job.ID, rules: f.CarryRules})
	}
	if len(f.Body) > 0 {
		p.bodies = append(p.bodies, bodyRow{fetch: i, encoding: f.BodyEncoding, body: f.Body})
	}
	for k, it := range o.Items {
		p.items = append(p.items, itemRow{fetch: i, url: o.Job.ID, rule: clean(it.Rule), idx: int32(k),
			data: njson(it.Data), miss: nstr(it.Miss)})
		if it.Data != nil {
			p.res.Items++
		}
	}
	return i
}

// sendIDs begins the transaction, adds the new hosts and records the
// fetches, in one pipeline, and notes their ids, which the other rows name.
// With neither to send it sends nothing, and sendRows begins.
func (db *DB) sendIDs(ctx context.Context, conn *pgxpool.Conn, p *commitPlan) error {
	if len(p.newHosts) == 0 && len(p.fetches.urlID) == 0 {
		return nil
	}
	var batch pgx.Batch
	queue(&batch, "begin", "BEGIN", nil, nil)
	p.begun = true
	p.newHostIDs = make([]int64, len(p.newHosts))
	var missing []int
	for i, h := range p.newHosts {
		queue(&batch, "add host "+h, insHost, []any{clean(h)}, func(br pgx.BatchResults) error {
			err := br.QueryRow().Scan(&p.newHostIDs[i])
			if errors.Is(err, pgx.ErrNoRows) {
				// Another writer added it between the statement's
				// snapshot and its insert; it is there now.
				missing = append(missing, i)
				return nil
			}
			return err
		})
	}
	if c := &p.fetches; len(c.urlID) > 0 {
		queue(&batch, "record fetches", insFetches, []any{c.urlID, c.attempt, c.fetchedAt, c.duration, c.status,
			c.errorClass, c.errText, c.redirectTo, c.contentType, c.charset, c.size, c.truncated, c.etag, c.lastModified,
			c.contentHash, c.title, c.description, c.canonical, c.lang, c.metaRobots, c.noindex, c.nofollow, c.outlinks,
			c.change, c.facts, c.wordCount, c.mainText, c.prox, c.proto, p.runID},
			func(br pgx.BatchResults) error {
				rows, err := br.Query()
				if err != nil {
					return err
				}
				c.ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
				if err == nil && len(c.ids) != len(c.urlID) {
					err = fmt.Errorf("%d ids for %d fetches", len(c.ids), len(c.urlID))
				}
				return err
			})
	}
	if err := conn.SendBatch(ctx, &batch).Close(); err != nil {
		return fmt.Errorf("postgres: commit on %s: %w", db.target, err)
	}
	for _, i := range missing {
		if err := conn.QueryRow(ctx, `SELECT id FROM hosts WHERE host = $1`, clean(p.newHosts[i])).Scan(&p.newHostIDs[i]); err != nil {
			return fmt.Errorf("postgres: add host %s: %w", p.newHosts[i], err)
		}
	}
	return nil
}

// sendRows sends the rest of the batch (but the run's counters, which add
// up its answers) in one pipeline, in the order that
// gives what single statements in the batch's order give: per segment the
// URL inserts, rescues and state updates; then the fetches' carried-forward
// content, items and bodies; cookies; host states; host skips last.
func (db *DB) sendRows(ctx context.Context, conn *pgxpool.Conn, p *commitPlan) error {
	var batch pgx.Batch
	if !p.begun {
		queue(&batch, "begin", "BEGIN", nil, nil)
	}
	hostID := func(ref int64) int64 {
		if ref < 0 {
			return p.newHostIDs[-ref-1]
		}
		return ref
	}
	fetchID := func(i int) int64 { return p.fetches.ids[i] }
	for _, seg := range p.segs {
		for k := range seg.inserts {
			ch := &seg.inserts[k]
			for i, ref := range ch.cols.hostID {
				ch.cols.hostID[i] = hostID(ref)
			}
			c := &ch.cols
			queue(&batch, "add URLs", insURLs, []any{c.id, c.url, c.hostID, c.depth, c.seq, c.state, c.reason, c.via,
				c.parent, c.lastmod, c.hops, c.chain, p.runID, ch.always, p.cutoff},
				func(br pgx.BatchResults) error { return p.readInserts(br, ch) })
		}
		for k := range seg.rescues {
			r := &seg.rescues[k]
			var parent any
			if r.u.ParentID != 0 {
				parent = r.u.ParentID
			}
			queue(&batch, "queue "+r.u.URL+" after all", rescue,
				[]any{r.u.Depth, r.u.Via, parent, r.u.Hops, r.u.Chain, r.id, p.runID, r.reason},
				func(br pgx.BatchResults) error {
					tag, err := br.Exec()
					if err == nil && tag.RowsAffected() == 1 {
						p.res.NewByHost[r.u.Host]++
						p.skipped--
						p.res.AddClass(r.reason, -1)
					}
					return err
				})
		}
		if j := &seg.jobs; len(j.id) > 0 {
			j.fetchID = make([]*int64, len(j.id))
			for i, f := range j.fetchRef {
				if f >= 0 {
					id := fetchID(f)
					j.fetchID[i] = &id
				}
			}
			queue(&batch, "update state of URLs", updURLs, []any{p.runID, j.id, j.state, j.reason, j.tries, j.fetchID,
				j.fetchedAt, j.change, j.retryAt}, nil)
		}
	}
	if len(p.copies) > 0 {
		from, to := make([]int64, len(p.copies)), make([]int64, len(p.copies))
		for i, c := range p.copies {
			from[i], to[i] = c.from, fetchID(c.fetch)
		}
		queue(&batch, "carry forward fetches", copyFetches, []any{from, to}, nil)
	}
	db.queueItems(&batch, p, fetchID)
	if len(p.bodies) > 0 {
		ids, enc, body := make([]int64, len(p.bodies)), make([]string, len(p.bodies)), make([][]byte, len(p.bodies))
		for i, b := range p.bodies {
			ids[i], enc[i], body[i] = fetchID(b.fetch), b.encoding, b.body
		}
		queue(&batch, "keep bodies", insBodies, []any{ids, enc, body}, nil)
	}
	for _, c := range p.cookies {
		queue(&batch, "keep cookie "+c.Name+" from "+c.URL, insCookie, []any{clean(c.URL), clean(c.Name), clean(c.Domain),
			clean(c.Path), clean(c.Value), tim(c.Expires), flag(c.Secure), flag(c.HTTPOnly), str(c.SameSite),
			formatTime(c.Received)}, nil)
	}
	if len(p.hosts) > 0 {
		n := len(p.hosts)
		ids, failures := make([]int64, n), make([]int32, n)
		status, fetched, backoff, parked := make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
		crawlDelay, delay := make([]*int64, n), make([]*int64, n)
		newRobots, body := make([]bool, n), make([][]byte, n)
		for i, h := range p.hosts {
			ids[i] = hostID(p.hostRef(db, h.Host))
			status[i], fetched[i], crawlDelay[i], delay[i] = nstr(h.RobotsStatus), ntime(h.RobotsFetchedAt), nmillis(h.CrawlDelay), nmillis(h.Delay)
			backoff[i], parked[i], failures[i] = ntime(h.BackoffUntil), nstr(h.ParkedReason), int32(h.Failures)
			newRobots[i], body[i] = h.NewRobots, h.RobotsBody
		}
		queue(&batch, "update hosts", updHosts, []any{p.now, ids, status, fetched, crawlDelay, delay, backoff, parked,
			failures, newRobots, body}, nil)
	}
	for k := range p.skips {
		sk := &p.skips[k]
		queue(&batch, "skip queue of "+sk.Host, skipHost, []any{sk.Reason, sk.Host, append([]int64{}, sk.Except...)},
			func(br pgx.BatchResults) error {
				tag, err := br.Exec()
				sk.n = tag.RowsAffected()
				return err
			})
	}
	if err := conn.SendBatch(ctx, &batch).Close(); err != nil {
		return fmt.Errorf("postgres: commit on %s: %w", db.target, err)
	}
	return nil
}

// readInserts reads insURLs's answer for ch: the counters and soft skips
// of the URLs written, and a warning for an id that holds another URL.
func (p *commitPlan) readInserts(br pgx.BatchResults, ch *insertChunk) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	i := 0
	var added bool
	var holder *string
	_, err = pgx.ForEachRow(rows, []any{&added, &holder}, func() error {
		if i >= len(ch.rows) {
			return fmt.Errorf("more answers than %d URLs", len(ch.rows))
		}
		r := &ch.rows[i]
		i++
		switch {
		case !added:
			// Either fetched recently enough (a refresh leaves it alone)
			// or, very rarely, a different URL with the same id.
			if holder != nil && *holder != clean(r.url) {
				slog.Warn("URL id collision: URL not added to the frontier", "url", r.url, "id", r.id, "holder", *holder)
			}
		case r.state == record.StateQueued:
			p.res.NewByHost[r.host]++
		default:
			p.skipped++
			p.res.AddClass(r.skip, 1)
			if r.soft {
				p.softAdded[r.id] = r.skip
			}
		}
		return nil
	})
	if err == nil && i != len(ch.rows) {
		err = fmt.Errorf("%d answers for %d URLs", i, len(ch.rows))
	}
	return err
}

// queueItems queues the batch's items, carried and new, in one statement.
func (db *DB) queueItems(batch *pgx.Batch, p *commitPlan, fetchID func(int) int64) {
	var cOrd []int32
	var cURL, cFetch, cFrom []int64
	var cRules []string
	for _, c := range p.copies {
		if len(c.rules) == 0 {
			continue
		}
		rules, _ := json.Marshal(c.rules) // strings always marshal
		cOrd, cURL, cFetch, cFrom, cRules = append(cOrd, int32(c.fetch)), append(cURL, c.url), append(cFetch, fetchID(c.fetch)),
			append(cFrom, c.from), append(cRules, string(rules))
	}
	if len(cOrd) == 0 && len(p.items) == 0 {
		return
	}
	n := len(p.items)
	ord, idx := make([]int32, n), make([]int32, n)
	urlID, fetch := make([]int64, n), make([]int64, n)
	rule := make([]string, n)
	data, miss := make([]*string, n), make([]*string, n)
	for i, it := range p.items {
		ord[i], urlID[i], fetch[i], rule[i], idx[i], data[i], miss[i] = int32(it.fetch), it.url, fetchID(it.fetch), it.rule, it.idx, it.data, it.miss
	}
	queue(batch, "record items", insItems, []any{p.runID, cOrd, cURL, cFetch, cFrom, cRules, ord, urlID, fetch, rule, idx, data, miss},
		func(br pgx.BatchResults) error {
			var carried int64
			err := br.QueryRow().Scan(&carried)
			p.res.Items += carried
			return err
		})
}

// queue adds a statement to batch; read, when not nil, reads its answer
// (else it is executed for its effect). Its error names what it did.
func queue(batch *pgx.Batch, what, sql string, args []any, read func(pgx.BatchResults) error) {
	qq := batch.Queue(sql, args...)
	qq.Fn = func(br pgx.BatchResults) error {
		var err error
		if read != nil {
			err = read(br)
		} else {
			_, err = br.Exec()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
}

// failedClass is the class of a failed URL that carries no reason.
func failedClass(f *record.Fetch) string {
	if f != nil && f.ErrorClass != "" {
		return f.ErrorClass
	}
	return "other"
}
