package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/trawl-crawler/trawl/store/jsonstr"
	"github.com/trawl-crawler/trawl/store/record"
)

// Commit stores a batch in one transaction: each fetch row, its outlinks, the
// URL's new state, the newly discovered URLs, host states, skipped hosts and the
// run's counters. Either all of it is stored or none of it, so a crash between
// two commits loses nothing that was committed and leaves every other URL
// queued. An Outcome with a zero Job only adds its Discovered URLs. Host skips
// apply after the outcomes, so they also cover URLs the same batch discovered.
// What each outcome adds to the counters is its record.Outcome.Tally. A
// full disk (or MaxSize) fails the commit with an error that matches
// ErrDiskFull.
func (db *DB) Commit(ctx context.Context, runID int64, b record.Batch) (record.CommitResult, error) {
	res, err := db.commit(ctx, runID, b)
	return res, db.diskFull(err)
}

func (db *DB) commit(ctx context.Context, runID int64, b record.Batch) (record.CommitResult, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if err := db.loadLocked(ctx, runID); err != nil {
		return record.CommitResult{}, err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return record.CommitResult{}, fmt.Errorf("store: begin commit on %s: %w", db.path, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	c := db.newCommit(tx, runID, b.Cutoff)
	for i := range b.Outcomes {
		if err := c.recordOutcome(ctx, &b.Outcomes[i]); err != nil {
			return record.CommitResult{}, err
		}
	}
	if err := c.recordHosts(ctx, b.Hosts); err != nil {
		return record.CommitResult{}, err
	}
	if err := c.skipHosts(ctx, b.Skips); err != nil {
		return record.CommitResult{}, err
	}
	if err := c.countInRun(ctx); err != nil {
		return record.CommitResult{}, err
	}
	if err := tx.Commit(); err != nil {
		return record.CommitResult{}, fmt.Errorf("store: commit on %s: %w", db.path, err)
	}
	db.keep(c)
	return c.res, nil
}

// commit is one Commit's transaction and what it has recorded so far. What
// it would add to the DB's caches (URL ids, host ids, the frontier's
// sequence) waits here until the transaction commits: a rolled-back
// transaction leaves the caches as they were.
type commit struct {
	db     *DB
	tx     *sql.Tx
	runID  int64
	cutoff time.Time // see record.Batch.Cutoff
	now    string    // when host and run rows are updated

	newIDs   map[int64]struct{}
	newHosts map[string]int64
	seq      int64

	stmts map[*sql.Stmt]*sql.Stmt // the prepared statements bound to tx

	res        record.CommitResult
	retries    int64 // what res does not count: see record.Tally
	discovered int64 // URLs newly queued, also those a host skip takes out again
	buf        []byte
}

func (db *DB) newCommit(tx *sql.Tx, runID int64, cutoff time.Time) *commit {
	return &commit{db: db, tx: tx, runID: runID, cutoff: cutoff, now: formatTime(time.Now()),
		newIDs: map[int64]struct{}{}, newHosts: map[string]int64{}, seq: db.seq, stmts: map[*sql.Stmt]*sql.Stmt{},
		res: record.CommitResult{NewByHost: map[string]int{}}}
}

// stmt returns one of the prepared statements bound to the transaction,
// binding it once per transaction rather than once per row.
func (c *commit) stmt(ctx context.Context, s *sql.Stmt) *sql.Stmt {
	bound, ok := c.stmts[s]
	if !ok {
		bound = c.tx.StmtContext(ctx, s)
		c.stmts[s] = bound
	}
	return bound
}

// recordOutcome stores what one job produced: the URLs it discovered, the
// cookies it received, its fetch and the URL's new state, and counts it.
func (c *commit) recordOutcome(ctx context.Context, o *record.Outcome) error {
	for _, u := range o.Discovered {
		if err := c.addURL(ctx, u); err != nil {
			return err
		}
	}
	if err := saveCookies(ctx, c.tx, o.Cookies); err != nil {
		return err
	}
	if o.Job.ID == 0 {
		return nil // discoveries only
	}
	t, err := o.Tally()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	fetchID, err := c.recordFetch(ctx, o)
	if err != nil {
		return err
	}
	c.res.Count(t)
	c.retries += t.Retries
	return c.updateURL(ctx, o, fetchID, t.Retries)
}

// addURL adds a discovered URL to the run's frontier: queued, or skipped
// with its reason. A URL the run already has is left alone, unless it was
// skipped softly and is now found without a skip.
func (c *commit) addURL(ctx context.Context, u record.NewURL) error {
	db := c.db
	id := u.Key()
	_, inTx := c.newIDs[id]
	if db.seen.has(id) || inTx {
		if reason, ok := db.soft[id]; ok && u.Skip == "" {
			return c.rescue(ctx, id, reason, u)
		}
		return nil
	}
	hostID, err := c.hostID(ctx, u.Host)
	if err != nil {
		return err
	}
	state, reason := record.StateQueued, sql.NullString{}
	if u.Skip != "" {
		state, reason = record.StateSkipped, sql.NullString{String: u.Skip, Valid: true}
	}
	c.seq++
	res, err := c.stmt(ctx, db.stmts.insURL).ExecContext(ctx, id, u.URL, hostID, u.Depth, c.seq,
		state, reason, u.Via, nullID(u.ParentID), c.runID, nullStr(u.LastMod), u.Revisit || c.cutoff.IsZero(),
		formatTime(c.cutoff), u.Hops, u.Chain)
	if err != nil {
		return fmt.Errorf("store: add URL %s: %w", u.URL, err)
	}
	c.newIDs[id] = struct{}{}
	if n, _ := res.RowsAffected(); n == 0 {
		// Either fetched recently enough (a refresh leaves it alone) or, very
		// rarely, a different URL with the same id.
		var known string
		if err := c.stmt(ctx, db.stmts.urlOf).QueryRowContext(ctx, id).Scan(&known); err == nil && known != u.URL {
			slog.Warn("URL id collision: URL not added to the frontier", "url", u.URL, "id", id, "holder", known)
		}
		return nil
	}
	if state == record.StateQueued {
		c.res.NewByHost[u.Host]++
		c.discovered++
		return nil
	}
	c.res.Skipped++
	c.res.AddClass(u.Skip, 1)
	if u.Soft {
		db.soft[id] = u.Skip
	}
	return nil
}

// rescue queues a URL of the run that was skipped softly, now that u
// discovers it without a skip, and takes back its skip.
func (c *commit) rescue(ctx context.Context, id int64, reason string, u record.NewURL) error {
	res, err := c.stmt(ctx, c.db.stmts.rescue).ExecContext(ctx, u.Depth, u.Via, nullID(u.ParentID), u.Hops, u.Chain,
		id, c.runID, reason)
	if err != nil {
		return fmt.Errorf("store: queue %s after all: %w", u.URL, err)
	}
	delete(c.db.soft, id)
	if n, _ := res.RowsAffected(); n == 1 {
		c.res.NewByHost[u.Host]++
		c.discovered++
		c.res.Skipped--
		c.res.AddClass(reason, -1)
	}
	return nil
}

// hostID returns the id of host, adding the host when it is new.
func (c *commit) hostID(ctx context.Context, host string) (int64, error) {
	if id, ok := c.db.hostID[host]; ok {
		return id, nil
	}
	if id, ok := c.newHosts[host]; ok {
		return id, nil
	}
	var id int64
	if err := c.stmt(ctx, c.db.stmts.insHost).QueryRowContext(ctx, host).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: add host %s: %w", host, err)
	}
	c.newHosts[host] = id
	return id, nil
}

// recordFetch stores o's fetch: its row with the outlinks, the content and
// items a 304 carries forward, the kept body and the rules' items. It
// returns the fetch's id, not valid when o has no fetch.
func (c *commit) recordFetch(ctx context.Context, o *record.Outcome) (sql.NullInt64, error) {
	f := o.Fetch
	if f == nil {
		return sql.NullInt64{}, nil
	}
	id, err := c.insertFetch(ctx, o)
	if err != nil {
		return sql.NullInt64{}, err
	}
	if f.CopyFrom != 0 {
		if err := c.carryForward(ctx, o, id); err != nil {
			return sql.NullInt64{}, err
		}
	}
	if len(f.Body) > 0 {
		if _, err := c.stmt(ctx, c.db.stmts.insBody).ExecContext(ctx, id, f.BodyEncoding, f.Body); err != nil {
			return sql.NullInt64{}, fmt.Errorf("store: keep body of %s: %w", o.Job.URL, err)
		}
	}
	for i, it := range o.Items {
		if _, err := c.stmt(ctx, c.db.stmts.insItem).ExecContext(ctx, c.runID, o.Job.ID, id, it.Rule, i,
			nullBytes(it.Data), nullStr(it.Miss)); err != nil {
			return sql.NullInt64{}, fmt.Errorf("store: record items of %s: %w", o.Job.URL, err)
		}
		if it.Data != nil {
			c.res.Items++
		}
	}
	return sql.NullInt64{Int64: id, Valid: true}, nil
}

// insertFetch adds o's fetch row and returns its id.
func (c *commit) insertFetch(ctx context.Context, o *record.Outcome) (int64, error) {
	f := o.Fetch
	var outlinks any
	if len(o.Links) > 0 {
		c.buf = appendOutlinks(c.buf[:0], o.Links)
		outlinks = string(c.buf)
	}
	res, err := c.stmt(ctx, c.db.stmts.insFetch).ExecContext(ctx, o.Job.ID, c.runID, o.Job.Tries+1,
		formatTime(f.At), float64(f.Duration.Microseconds())/1000,
		nullInt(f.Status), nullStr(f.ErrorClass), nullStr(f.Error), nullStr(f.RedirectTo),
		nullStr(f.ContentType), nullStr(f.Charset), f.Size, f.Truncated, nullStr(f.ETag),
		nullStr(f.LastModified), nullStr(f.ContentHash), nullStr(f.Title), nullStr(f.Description),
		nullStr(f.Canonical), nullStr(f.Lang), nullStr(f.MetaRobots), f.NoIndex, f.NoFollow, outlinks, nullStr(f.Change),
		nullBytes(f.Facts), nullInt(f.WordCount), nullStr(f.MainText), nullStr(f.Proxy), nullStr(f.Proto))
	if err != nil {
		return 0, fmt.Errorf("store: record fetch of %s: %w", o.Job.URL, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("store: record fetch of %s: %w", o.Job.URL, err)
	}
	return id, nil
}

// carryForward copies into fetch id the content of the fetch a 304
// confirmed (facts, outlinks, hash), and the items of the rules it names.
func (c *commit) carryForward(ctx context.Context, o *record.Outcome, id int64) error {
	f := o.Fetch
	if _, err := c.stmt(ctx, c.db.stmts.copyFetch).ExecContext(ctx, f.CopyFrom, id); err != nil {
		return fmt.Errorf("store: carry forward fetch of %s: %w", o.Job.URL, err)
	}
	if len(f.CarryRules) == 0 {
		return nil
	}
	rules, _ := json.Marshal(f.CarryRules)
	var carried int64
	_, err := c.stmt(ctx, c.db.stmts.copyItems).ExecContext(ctx, c.runID, id, f.CopyFrom, string(rules))
	if err == nil {
		err = c.stmt(ctx, c.db.stmts.countItems).QueryRowContext(ctx, id).Scan(&carried)
	}
	if err != nil {
		return fmt.Errorf("store: carry forward items of %s: %w", o.Job.URL, err)
	}
	c.res.Items += carried
	return nil
}

// updateURL sets the job's URL to its new state, with its latest fetch;
// tries goes up by one for a retry.
func (c *commit) updateURL(ctx context.Context, o *record.Outcome, fetchID sql.NullInt64, tries int64) error {
	var fetchedAt, change sql.NullString
	if f := o.Fetch; f != nil {
		// Only a response the URL keeps as its content is "fetched": a
		// failure leaves the last success (and so the refresh rule) alone.
		if f.Status != 0 && o.State == record.StateDone {
			fetchedAt = sql.NullString{String: formatTime(f.At), Valid: true}
		}
		change = nullStr(f.Change)
	}
	if _, err := c.stmt(ctx, c.db.stmts.updURL).ExecContext(ctx, o.State, nullStr(o.Reason), tries,
		c.runID, fetchID, fetchedAt, change, o.Job.ID, nullTime(o.RetryAt)); err != nil {
		return fmt.Errorf("store: update state of %s: %w", o.Job.URL, err)
	}
	return nil
}

// recordHosts stores what politeness decided about each host.
func (c *commit) recordHosts(ctx context.Context, hosts []record.HostState) error {
	for _, h := range hosts {
		id, err := c.hostID(ctx, h.Host)
		if err != nil {
			return err
		}
		if _, err := c.stmt(ctx, c.db.stmts.updHost).ExecContext(ctx, nullStr(h.RobotsStatus),
			nullTime(h.RobotsFetchedAt), nullMillis(h.CrawlDelay), nullMillis(h.Delay),
			nullTime(h.BackoffUntil), nullStr(h.ParkedReason), h.Failures, c.now, id, h.NewRobots, h.RobotsBody); err != nil {
			return fmt.Errorf("store: update host %s: %w", h.Host, err)
		}
	}
	return nil
}

// skipHosts takes the queued URLs of each host out of the queue with the
// skip's reason, except those in flight, and counts them as skipped.
func (c *commit) skipHosts(ctx context.Context, skips []record.SkipHost) error {
	for _, sk := range skips {
		// A nil slice would be JSON null, whose one NULL value makes NOT IN
		// false for every row.
		except, err := json.Marshal(append([]int64{}, sk.Except...))
		if err != nil {
			return err
		}
		res, err := c.stmt(ctx, c.db.stmts.skipHost).ExecContext(ctx, sk.Reason, sk.Host, string(except))
		if err != nil {
			return fmt.Errorf("store: skip queue of %s: %w", sk.Host, err)
		}
		n, _ := res.RowsAffected()
		c.res.Skipped += n
		c.res.AddClass(sk.Reason, n)
		delete(c.res.NewByHost, sk.Host)
	}
	return nil
}

// countInRun adds what the batch counted to the run's row.
func (c *commit) countInRun(ctx context.Context) error {
	if c.runID == 0 {
		return nil
	}
	r := &c.res
	if _, err := c.stmt(ctx, c.db.stmts.updRun).ExecContext(ctx, r.Pages, r.Errors, c.retries, r.Bytes, c.discovered,
		c.now, r.Skipped, c.runID); err != nil {
		return fmt.Errorf("store: update counters of run %d: %w", c.runID, err)
	}
	return nil
}

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
		b = strconv.AppendInt(b, l.Key(), 10)
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
