package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order; migration i (0-based) brings the schema to
// version i+1. A published migration is never edited: a change is a new entry, so
// that every database, however old, reaches the same schema.
var migrations = []string{
	// 1: the core crawl.
	`
CREATE TABLE trawl_meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE runs (
	id          INTEGER PRIMARY KEY,
	started_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL,
	finished_at TEXT,
	status      TEXT NOT NULL CHECK (status IN ('running','finished','stopped','interrupted','failed')),
	kind        TEXT NOT NULL DEFAULT 'crawl',
	config      TEXT NOT NULL DEFAULT '{}',
	resumes     INTEGER NOT NULL DEFAULT 0,
	pages       INTEGER NOT NULL DEFAULT 0,
	errors      INTEGER NOT NULL DEFAULT 0,
	retries     INTEGER NOT NULL DEFAULT 0,
	bytes       INTEGER NOT NULL DEFAULT 0,
	discovered  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE hosts (
	id                INTEGER PRIMARY KEY,
	host              TEXT NOT NULL UNIQUE,
	robots_status     TEXT,
	robots_fetched_at TEXT,
	crawl_delay_ms    INTEGER,
	delay_ms          INTEGER,
	backoff_until     TEXT,
	parked_reason     TEXT,
	failures          INTEGER NOT NULL DEFAULT 0,
	updated_at        TEXT
);

CREATE TABLE urls (
	id            INTEGER PRIMARY KEY,
	url           TEXT NOT NULL UNIQUE,
	host_id       INTEGER NOT NULL REFERENCES hosts(id),
	depth         INTEGER NOT NULL,
	seq           INTEGER NOT NULL,
	state         TEXT NOT NULL CHECK (state IN ('queued','done','failed','skipped')),
	reason        TEXT,
	via           TEXT NOT NULL,
	parent_id     INTEGER,
	first_run     INTEGER NOT NULL,
	run_id        INTEGER NOT NULL,
	tries         INTEGER NOT NULL DEFAULT 0,
	lastmod       TEXT,
	last_fetch_id INTEGER
);
CREATE INDEX urls_queue ON urls(host_id, depth, seq) WHERE state = 'queued';

CREATE TABLE fetches (
	id            INTEGER PRIMARY KEY,
	url_id        INTEGER NOT NULL REFERENCES urls(id),
	run_id        INTEGER NOT NULL REFERENCES runs(id),
	attempt       INTEGER NOT NULL,
	fetched_at    TEXT NOT NULL,
	duration_ms   REAL,
	status        INTEGER,
	error_class   TEXT,
	error         TEXT,
	redirect_to   TEXT,
	content_type  TEXT,
	charset       TEXT,
	size          INTEGER,
	truncated     INTEGER NOT NULL DEFAULT 0,
	etag          TEXT,
	last_modified TEXT,
	content_hash  TEXT,
	title         TEXT,
	description   TEXT,
	canonical     TEXT,
	lang          TEXT,
	meta_robots   TEXT,
	noindex       INTEGER NOT NULL DEFAULT 0,
	nofollow      INTEGER NOT NULL DEFAULT 0,
	outlinks      TEXT
);
CREATE INDEX fetches_url ON fetches(url_id, run_id);
CREATE INDEX fetches_run ON fetches(run_id, error_class);

CREATE TABLE run_lock (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	pid        INTEGER NOT NULL,
	pid_start  TEXT NOT NULL,
	hostname   TEXT NOT NULL,
	since      TEXT NOT NULL
);

CREATE VIEW pages AS
SELECT u.id AS url_id, u.url, h.host, u.depth, u.state, u.reason, u.via,
       f.run_id, f.fetched_at, f.status, f.error_class, f.error, f.redirect_to,
       f.content_type, f.size, f.duration_ms, f.etag, f.last_modified, f.content_hash,
       f.title, f.description, f.canonical, f.lang, f.meta_robots, f.noindex, f.nofollow,
       json_array_length(f.outlinks) AS outlink_count
FROM urls u
JOIN hosts h ON h.id = u.host_id
LEFT JOIN fetches f ON f.id = u.last_fetch_id;

CREATE VIEW links AS
SELECT f.url_id AS from_id, fu.url AS from_url,
       json_extract(j.value, '$[0]') AS to_id, tu.url AS to_url,
       json_extract(j.value, '$[1]') AS text, json_extract(j.value, '$[2]') AS rel,
       f.run_id
FROM urls fu
JOIN fetches f ON f.id = fu.last_fetch_id
JOIN json_each(f.outlinks) j
LEFT JOIN urls tu ON tu.id = json_extract(j.value, '$[0]');

CREATE VIEW broken_links AS
SELECT l.from_url, l.to_url, l.text, t.status, t.error_class
FROM links l
JOIN pages t ON t.url_id = l.to_id
WHERE t.status >= 400 OR (t.error_class IS NOT NULL AND t.state = 'failed');

CREATE VIEW errors AS
SELECT f.run_id, f.fetched_at, u.url, f.attempt, f.status, f.error_class, f.error
FROM fetches f JOIN urls u ON u.id = f.url_id
WHERE f.error_class IS NOT NULL
UNION ALL
SELECT u.run_id, NULL, u.url, 0, NULL, u.reason, NULL
FROM urls u WHERE u.state = 'skipped';
`,
	// 2: scraping: rich page facts, rule items, stored bodies.
	`
ALTER TABLE fetches ADD COLUMN facts TEXT;
ALTER TABLE fetches ADD COLUMN word_count INTEGER;
ALTER TABLE fetches ADD COLUMN main_text TEXT;

CREATE TABLE items (
	id       INTEGER PRIMARY KEY,
	run_id   INTEGER NOT NULL REFERENCES runs(id),
	url_id   INTEGER NOT NULL REFERENCES urls(id),
	fetch_id INTEGER REFERENCES fetches(id),
	rule     TEXT NOT NULL,
	idx      INTEGER NOT NULL,
	data     TEXT,
	miss     TEXT
);
CREATE INDEX items_rule ON items(rule, run_id);
CREATE INDEX items_url ON items(url_id);

CREATE TABLE bodies (
	fetch_id INTEGER PRIMARY KEY REFERENCES fetches(id),
	encoding TEXT NOT NULL,
	body     BLOB NOT NULL
);
`,
	// 3: refresh runs and change history.
	`
ALTER TABLE urls ADD COLUMN fetched_at TEXT;
ALTER TABLE urls ADD COLUMN gone_run INTEGER;
ALTER TABLE fetches ADD COLUMN change TEXT;
CREATE INDEX fetches_change ON fetches(run_id, change);

DROP VIEW broken_links;
DROP VIEW pages;
CREATE VIEW pages AS
SELECT u.id AS url_id, u.url, h.host, u.depth, u.state, u.reason, u.via, u.lastmod, u.gone_run,
       f.id AS fetch_id, f.run_id, f.fetched_at, f.status, f.change, f.error_class, f.error, f.redirect_to,
       f.content_type, f.charset, f.size, f.duration_ms, f.etag, f.last_modified, f.content_hash,
       f.title, f.description, f.canonical, f.lang, f.meta_robots, f.noindex, f.nofollow,
       json_array_length(f.outlinks) AS outlink_count, f.word_count, f.facts
FROM urls u
JOIN hosts h ON h.id = u.host_id
LEFT JOIN fetches f ON f.id = u.last_fetch_id;

CREATE VIEW broken_links AS
SELECT l.from_url, l.to_url, l.text, t.status, t.error_class
FROM links l
JOIN pages t ON t.url_id = l.to_id
WHERE t.status >= 400 OR (t.error_class IS NOT NULL AND t.state = 'failed');

CREATE VIEW run_changes AS
SELECT r.id AS run_id, r.kind, r.status, r.started_at,
	(SELECT count(*) FROM fetches f WHERE f.run_id = r.id AND f.change = 'new') AS new,
	(SELECT count(*) FROM fetches f WHERE f.run_id = r.id AND f.change = 'changed') AS changed,
	(SELECT count(*) FROM fetches f WHERE f.run_id = r.id AND f.change = 'unchanged') AS unchanged,
	(SELECT count(*) FROM fetches f WHERE f.run_id = r.id AND f.change = 'gone') AS gone,
	(SELECT count(*) FROM links l JOIN fetches f ON f.url_id = l.to_id AND f.run_id = r.id AND f.change = 'gone') AS newly_broken_links
FROM runs r;
`,
	// 4: convenience views for common questions.
	`
CREATE VIEW item_rows AS
SELECT i.id AS item_id, i.rule, u.url, i.run_id, f.fetched_at, i.idx, i.data, i.miss
FROM items i JOIN urls u ON u.id = i.url_id LEFT JOIN fetches f ON f.id = i.fetch_id;

CREATE VIEW redirects AS
SELECT p.url, p.status, p.redirect_to, t.status AS target_status, t.redirect_to AS target_redirect_to, p.run_id
FROM pages p LEFT JOIN pages t ON t.url = p.redirect_to
WHERE p.redirect_to IS NOT NULL;

CREATE VIEW duplicate_content AS
SELECT content_hash, count(*) AS copies, group_concat(url, ' ') AS urls
FROM pages WHERE status = 200 AND content_hash IS NOT NULL
GROUP BY content_hash HAVING count(*) > 1;

CREATE VIEW missing_metadata AS
SELECT url, title, description, status
FROM pages
WHERE status = 200 AND content_type LIKE '%html%'
	AND (coalesce(title, '') = '' OR coalesce(description, '') = '');

CREATE VIEW jsonld AS
SELECT p.url, p.run_id, coalesce(json_extract(j.value, '$."@type"'), '') AS type, j.value AS data
FROM pages p JOIN json_each(json_extract(p.facts, '$.jsonld')) j
WHERE p.facts IS NOT NULL;
`,
	// 5: robots.txt bodies, so that a resumed or repeated crawl within the
	// file's 24-hour life does not ask the host again.
	`
ALTER TABLE hosts ADD COLUMN robots_body BLOB;
`,
	// 6: in pages, status is the content's status: a 304 that confirmed the
	// stored copy counts as the 200 it confirmed, so "pages by status" and
	// the views built on pages (duplicate_content, missing_metadata, ...)
	// keep unchanged pages after a refresh; http_status has the raw status.
	// Views that select from pages resolve it by name when queried, so they
	// need not be recreated.
	`
DROP VIEW pages;
CREATE VIEW pages AS
SELECT u.id AS url_id, u.url, h.host, u.depth, u.state, u.reason, u.via, u.lastmod, u.gone_run,
       f.id AS fetch_id, f.run_id, f.fetched_at,
       CASE WHEN f.status = 304 AND f.change = 'unchanged' THEN 200 ELSE f.status END AS status,
       f.status AS http_status, f.change, f.error_class, f.error, f.redirect_to,
       f.content_type, f.charset, f.size, f.duration_ms, f.etag, f.last_modified, f.content_hash,
       f.title, f.description, f.canonical, f.lang, f.meta_robots, f.noindex, f.nofollow,
       json_array_length(f.outlinks) AS outlink_count, f.word_count, f.facts
FROM urls u
JOIN hosts h ON h.id = u.host_id
LEFT JOIN fetches f ON f.id = u.last_fetch_id;
`,
	// 7: skipped URLs get a counter of their own; errors counts failures only.
	`
ALTER TABLE runs ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
`,
	// 8: pages are what a user means by pages: the URLs trawl fetched (or
	// tried to), not the queued and skipped ones (those are in urls), and not
	// the sitemap files it read.
	`
DROP VIEW pages;
CREATE VIEW pages AS
SELECT u.id AS url_id, u.url, h.host, u.depth, u.state, u.reason, u.via, u.lastmod, u.gone_run,
       f.id AS fetch_id, f.run_id, f.fetched_at,
       CASE WHEN f.status = 304 AND f.change = 'unchanged' THEN 200 ELSE f.status END AS status,
       f.status AS http_status, f.change, f.error_class, f.error, f.redirect_to,
       f.content_type, f.charset, f.size, f.duration_ms, f.etag, f.last_modified, f.content_hash,
       f.title, f.description, f.canonical, f.lang, f.meta_robots, f.noindex, f.nofollow,
       json_array_length(f.outlinks) AS outlink_count, f.word_count, f.facts
FROM urls u
JOIN hosts h ON h.id = u.host_id
JOIN fetches f ON f.id = u.last_fetch_id
WHERE u.via != 'sitemap';
`,
	// 9: hostile servers. retry_at keeps when a URL that asked for a long
	// Retry-After may be asked again (a later run honours it); hops counts
	// the redirects that led to a URL, so that a chain ends after a limit;
	// chain counts the pages of its own shape that brought hardly a new link
	// which led to it, so that a crawler trap ends by itself.
	`
ALTER TABLE urls ADD COLUMN retry_at TEXT;
ALTER TABLE urls ADD COLUMN hops INTEGER NOT NULL DEFAULT 0;
ALTER TABLE urls ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
`,
	// 10: the cookie jar, so that a resumed or refreshed crawl keeps the
	// session a site gave it. One row per cookie as the site set it; the
	// crawler replays them into an RFC 6265 jar, which applies the rules.
	`
CREATE TABLE cookies (
	url         TEXT NOT NULL,
	name        TEXT NOT NULL,
	domain      TEXT NOT NULL DEFAULT '',
	path        TEXT NOT NULL DEFAULT '',
	value       TEXT NOT NULL,
	expires     TEXT,
	secure      INTEGER NOT NULL DEFAULT 0,
	http_only   INTEGER NOT NULL DEFAULT 0,
	same_site   TEXT,
	received_at TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	PRIMARY KEY (url, domain, path, name)
) WITHOUT ROWID;
`,
	// 11: how each request went out: through which proxy, over which HTTP
	// version.
	`
ALTER TABLE fetches ADD COLUMN proxy TEXT;
ALTER TABLE fetches ADD COLUMN proto TEXT;
`,
	// 12: run_changes counts pages, as pages does: sitemap files are read
	// but are neither new nor changed pages.
	`
DROP VIEW run_changes;
CREATE VIEW run_changes AS
SELECT r.id AS run_id, r.kind, r.status, r.started_at,
	(SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE f.run_id = r.id AND u.via != 'sitemap' AND f.change = 'new') AS new,
	(SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE f.run_id = r.id AND u.via != 'sitemap' AND f.change = 'changed') AS changed,
	(SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE f.run_id = r.id AND u.via != 'sitemap' AND f.change = 'unchanged') AS unchanged,
	(SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE f.run_id = r.id AND u.via != 'sitemap' AND f.change = 'gone') AS gone,
	(SELECT count(*) FROM links l JOIN fetches f ON f.url_id = l.to_id AND f.run_id = r.id AND f.change = 'gone') AS newly_broken_links
FROM runs r;
`,
	// 13: redirects reads its targets from urls and fetches, not from pages,
	// which since 8 lacks URLs never fetched: a target that is queued or
	// skipped still shows its state.
	`
DROP VIEW redirects;
CREATE VIEW redirects AS
SELECT p.url, p.status, p.redirect_to, tf.status AS target_status, tf.redirect_to AS target_redirect_to, p.run_id,
       tu.state AS target_state, tu.reason AS target_reason
FROM pages p
LEFT JOIN urls tu ON tu.url = p.redirect_to
LEFT JOIN fetches tf ON tf.id = tu.last_fetch_id
WHERE p.redirect_to IS NOT NULL;
`,
	// 14: each rule once. fetches.content_status holds the rule "a 304 Not
	// Modified that confirmed the stored copy counts as the 200 it
	// confirmed" (pages applied it since 6; trawl diff applied it to every
	// 304), for pages, run_pages and whatever else asks for a page's status.
	// run_pages is pages per run: each page's latest fetch in each run, which
	// trawl export and trawl diff read. run_summary is a run's line in trawl
	// runs: its counters with its changes.
	`
ALTER TABLE fetches ADD COLUMN content_status INTEGER
	GENERATED ALWAYS AS (CASE WHEN status = 304 AND change = 'unchanged' THEN 200 ELSE status END) VIRTUAL;

DROP VIEW pages;
CREATE VIEW pages AS
SELECT u.id AS url_id, u.url, h.host, u.depth, u.state, u.reason, u.via, u.lastmod, u.gone_run,
       f.id AS fetch_id, f.run_id, f.fetched_at, f.content_status AS status,
       f.status AS http_status, f.change, f.error_class, f.error, f.redirect_to,
       f.content_type, f.charset, f.size, f.duration_ms, f.etag, f.last_modified, f.content_hash,
       f.title, f.description, f.canonical, f.lang, f.meta_robots, f.noindex, f.nofollow,
       json_array_length(f.outlinks) AS outlink_count, f.word_count, f.facts
FROM urls u
JOIN hosts h ON h.id = u.host_id
JOIN fetches f ON f.id = u.last_fetch_id
WHERE u.via != 'sitemap';

CREATE VIEW run_pages AS
SELECT u.id AS url_id, u.url, h.host, u.depth, u.state, u.reason, u.via, u.lastmod, u.gone_run,
       f.id AS fetch_id, f.run_id, f.fetched_at, f.content_status AS status,
       f.status AS http_status, f.change, f.error_class, f.error, f.redirect_to,
       f.content_type, f.charset, f.size, f.duration_ms, f.etag, f.last_modified, f.content_hash,
       f.title, f.description, f.canonical, f.lang, f.meta_robots, f.noindex, f.nofollow,
       json_array_length(f.outlinks) AS outlink_count, f.word_count, f.facts
FROM fetches f
JOIN urls u ON u.id = f.url_id
JOIN hosts h ON h.id = u.host_id
WHERE u.via != 'sitemap'
	AND f.id = (SELECT max(g.id) FROM fetches g WHERE g.url_id = f.url_id AND g.run_id = f.run_id);

CREATE VIEW run_summary AS
SELECT r.id AS run_id, r.kind, r.status, r.started_at, r.finished_at, r.resumes,
       r.pages, r.errors, r.skipped, r.retries, r.bytes, r.discovered,
       c.new, c.changed, c.unchanged, c.gone, c.newly_broken_links
FROM runs r JOIN run_changes c ON c.run_id = r.id;
`,
	// 15: the login step's URLs (via or reason login: the login page, the
	// form's action) are not pages either, as sitemap files are not:
	// pages, run_pages, run_changes and RunSucceeded leave both out.
	`
DROP VIEW pages;
DROP VIEW run_pages;
DROP VIEW run_changes;
CREATE VIEW pages AS
SELECT u.id AS url_id, u.url, h.host, u.depth, u.state, u.reason, u.via, u.lastmod, u.gone_run,
       f.id AS fetch_id, f.run_id, f.fetched_at, f.content_status AS status,
       f.status AS http_status, f.change, f.error_class, f.error, f.redirect_to,
       f.content_type, f.charset, f.size, f.duration_ms, f.etag, f.last_modified, f.content_hash,
       f.title, f.description, f.canonical, f.lang, f.meta_robots, f.noindex, f.nofollow,
       json_array_length(f.outlinks) AS outlink_count, f.word_count, f.facts
FROM urls u
JOIN hosts h ON h.id = u.host_id
JOIN fetches f ON f.id = u.last_fetch_id
WHERE u.via NOT IN ('sitemap', 'login') AND coalesce(u.reason, '') != 'login';

CREATE VIEW run_pages AS
SELECT u.id AS url_id, u.url, h.host, u.depth, u.state, u.reason, u.via, u.lastmod, u.gone_run,
       f.id AS fetch_id, f.run_id, f.fetched_at, f.content_status AS status,
       f.status AS http_status, f.change, f.error_class, f.error, f.redirect_to,
       f.content_type, f.charset, f.size, f.duration_ms, f.etag, f.last_modified, f.content_hash,
       f.title, f.description, f.canonical, f.lang, f.meta_robots, f.noindex, f.nofollow,
       json_array_length(f.outlinks) AS outlink_count, f.word_count, f.facts
FROM fetches f
JOIN urls u ON u.id = f.url_id
JOIN hosts h ON h.id = u.host_id
WHERE u.via NOT IN ('sitemap', 'login') AND coalesce(u.reason, '') != 'login'
	AND f.id = (SELECT max(g.id) FROM fetches g WHERE g.url_id = f.url_id AND g.run_id = f.run_id);

CREATE VIEW run_changes AS
SELECT r.id AS run_id, r.kind, r.status, r.started_at,
	(SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE f.run_id = r.id AND u.via NOT IN ('sitemap', 'login') AND coalesce(u.reason, '') != 'login' AND f.change = 'new') AS new,
	(SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE f.run_id = r.id AND u.via NOT IN ('sitemap', 'login') AND coalesce(u.reason, '') != 'login' AND f.change = 'changed') AS changed,
	(SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE f.run_id = r.id AND u.via NOT IN ('sitemap', 'login') AND coalesce(u.reason, '') != 'login' AND f.change = 'unchanged') AS unchanged,
	(SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE f.run_id = r.id AND u.via NOT IN ('sitemap', 'login') AND coalesce(u.reason, '') != 'login' AND f.change = 'gone') AS gone,
	(SELECT count(*) FROM links l JOIN fetches f ON f.url_id = l.to_id AND f.run_id = r.id AND f.change = 'gone') AS newly_broken_links
FROM runs r;
`,
}

// SchemaVersion returns the schema version this build of trawl writes.
func SchemaVersion() int { return len(migrations) }

// appID marks a SQLite file as a trawl database (PRAGMA application_id), so that
// trawl refuses to write into somebody else's database.
const appID = 0x7472776c // "trwl"

// migrate brings the schema to SchemaVersion, one transaction per step. The
// version is read inside each write transaction, so two processes opening a new
// database at once cannot both apply the same step.
func migrate(ctx context.Context, db *sql.DB, path string) error {
	for {
		done, err := migrateStep(ctx, db, path)
		if err != nil || done {
			return err
		}
	}
}

func migrateStep(ctx context.Context, db *sql.DB, path string) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: migrate %s: %w", path, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var version int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return false, fmt.Errorf("store: read schema version of %s: %w", path, err)
	}
	if version > SchemaVersion() {
		return false, fmt.Errorf("%w: %s has schema version %d, this trawl knows %d; upgrade trawl",
			ErrNewerSchema, path, version, SchemaVersion())
	}
	if version == SchemaVersion() {
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, migrations[version]); err != nil {
		return false, fmt.Errorf("store: migration %d on %s: %w", version+1, path, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d; PRAGMA application_id = %d`, version+1, appID)); err != nil {
		return false, fmt.Errorf("store: migration %d on %s: %w", version+1, path, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: migration %d on %s: %w", version+1, path, err)
	}
	return false, nil
}
