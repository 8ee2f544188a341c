// Package record holds the records a crawl and its store exchange: the
// URLs the frontier is given, the jobs it hands out, the outcome of each
// fetch, host and run state. crawler speaks these types through its Store
// interface, and every store backend (SQLite in store, PostgreSQL in
// store/postgres) reads and writes them, so neither side depends on the
// other's database.
package record

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"net/http"
	"time"
)

// ErrLocked means another worker holds the right to work on the database
// (for SQLite, another live process holds the run lock). Every backend's
// lock error matches it, so that a caller needs no backend's error type.
var ErrLocked = errors.New("database is locked by another trawl process")

// URL states in the urls table.
const (
	StateQueued  = "queued"  // waiting to be fetched in the current run
	StateDone    = "done"    // fetched with a final answer (2xx, 3xx, 304, 4xx) in the run named by run_id
	StateFailed  = "failed"  // gave up after retries; reason holds the error class
	StateSkipped = "skipped" // never fetched; reason says why (out-of-scope, robots-denied, ...)
)

// A URL is fetched at most once per run: the seen set holds the ids of the URLs
// that belong to the current run, and a URL known from an earlier run is queued
// again (keeping its id and history) when a later run discovers it.

// URLID is the id a canonical URL is stored under: the first 63 bits of its
// SHA-256. Deriving the id from the URL lets a page's outlinks be written as ids
// without looking each target up, which keeps the link graph off the hot path.
// Two URLs share an id with probability about n²/2⁶⁴ (1 in 36 million for a
// million URLs); Commit detects that case and logs it rather than merging them.
func URLID(canonical string) int64 {
	sum := sha256.Sum256([]byte(canonical))
	return int64(binary.BigEndian.Uint64(sum[:8]) >> 1)
}

// NewURL is a URL to add to the frontier, already canonicalised by the caller.
type NewURL struct {
	URL      string // canonical URL
	Host     string // politeness key: scheme://host:port
	Depth    int    // link hops from a seed
	Via      string // seed, link, redirect, sitemap
	ParentID int64  // the page it was found on, 0 for seeds
	// Skip, when not empty, records the URL as skipped with this reason (for
	// example "out-of-scope") instead of queueing it, so that the link graph can
	// name every target and every decision is queryable.
	Skip string
	// LastMod is a sitemap's <lastmod> for the URL, kept for refresh runs.
	LastMod string
	// Revisit queues a URL known from an earlier run even when it was fetched
	// after the batch's Cutoff (seeds, redirect targets).
	Revisit bool
	// Hops counts the redirects that led to the URL (0 unless Via is redirect).
	Hops int
	// Chain counts the fruitless pages of its own URL shape that led to it
	// (see crawler's trap guard); 0 for most URLs.
	Chain int
	// Soft makes Skip a guess (a crawler trap, say): if a later commit of the
	// same run discovers the URL without a skip, the URL is queued after all.
	Soft bool
	// ID is URLID(URL) when the caller has it already, or 0 for the store
	// to compute it. A page's links are hashed once where they are found,
	// in parallel, and not twice more (outlinks, frontier) by the one
	// goroutine that writes. An ID that is not URLID(URL) files the URL
	// under another URL's id.
	ID int64
}

// Key returns u's URL id: ID, or URLID(URL) when ID is 0.
func (u NewURL) Key() int64 {
	if u.ID != 0 {
		return u.ID
	}
	return URLID(u.URL)
}

// Job is a queued URL handed to a fetcher.
type Job struct {
	ID    int64
	URL   string
	Host  string
	Depth int
	Via   string // how the URL was found: seed, link, redirect, sitemap
	Tries int    // failed attempts so far in this run
	Hops  int    // redirects that led to it
	Chain int    // see NewURL.Chain
	// RetryAt, when not zero, is the earliest time the URL may be asked
	// again: it asked for a long Retry-After in an earlier attempt.
	RetryAt time.Time

	// The URL's last fetch with a response in an earlier run, for conditional
	// requests and change detection; zero when there is none.
	Prev Previous
}

// Previous is what the store remembers of a URL's last response.
type Previous struct {
	FetchID      int64
	Status       int
	ETag         string
	LastModified string
	ContentHash  string
}

// Fetch is the outcome of one HTTP attempt.
type Fetch struct {
	At           time.Time
	Duration     time.Duration
	Status       int    // 0 when there was no response
	ErrorClass   string // empty on success; dns, connect, timeout, tls, http-4xx, ...
	Error        string
	RedirectTo   string
	ContentType  string
	Charset      string
	Size         int64
	Truncated    bool
	ETag         string
	LastModified string
	ContentHash  string
	// Change compares this response with the previous one: new, changed,
	// unchanged or gone; empty when not applicable.
	Change string
	// CopyFrom, for a 304 Not Modified, names the fetch whose content (facts,
	// outlinks, hash) this one carries forward, so the page keeps its facts
	// and its links stay in the graph.
	CopyFrom int64
	// CarryRules, with CopyFrom, are the extraction rules whose items of the
	// CopyFrom fetch this one carries forward too: a page confirmed
	// unchanged still has them in this run (trawl export's default), and
	// the items of a rule no longer in the config are left behind.
	CarryRules  []string
	Title       string
	Description string
	Canonical   string
	Lang        string
	MetaRobots  string
	NoIndex     bool
	NoFollow    bool
	Facts       []byte // JSON: headings, OpenGraph, Twitter card, hreflang, JSON-LD
	WordCount   int
	MainText    string
	Body        []byte // the response body, compressed, when bodies are kept
	// BodyEncoding says how Body is compressed ("gzip").
	BodyEncoding string
	Proxy        string // the proxy the request went through (scheme://host:port); empty: direct
	Proto        string // the response's HTTP version: HTTP/1.1, HTTP/2.0
}

// Item is one record a user extraction rule produced from a page, or a miss.
type Item struct {
	Rule string
	Data []byte // a JSON object; nil for a miss
	Miss string // why the page gave no (complete) item
}

// Link is one outlink of a page, as stored in the page's fetch row.
type Link struct {
	URL  string // canonical target URL
	Text string
	Rel  string
	// ID is URLID(URL), or 0 for the store to compute it (see NewURL.ID).
	ID int64
}

// Key returns l's URL id: ID, or URLID(URL) when ID is 0.
func (l Link) Key() int64 {
	if l.ID != 0 {
		return l.ID
	}
	return URLID(l.URL)
}

// Outcome is everything one job produced; Commit stores it atomically.
type Outcome struct {
	Job Job
	// State is the URL's new state: StateDone, StateFailed, StateSkipped, or
	// StateQueued for a retry later (its tries counter goes up).
	State  string
	Reason string // error or skip class for failed and skipped URLs
	// RetryAt, for a URL put off to a later run, is when it may be asked
	// again; the zero time clears it.
	RetryAt time.Time
	Fetch   *Fetch // nil when nothing was fetched (robots-denied, ...)
	Links   []Link
	Items   []Item // what user rules extracted; stored with the fetch
	// Cookies are those the response set; stored with the fetch, so a
	// resumed crawl keeps its session (see DB.Cookies).
	Cookies []Cookie
	// Discovered are the URLs found on the page (and redirect targets) that the
	// frontier should know; URLs already known are ignored.
	Discovered []NewURL
	// NotPage marks a fetch that serves the crawl but is not one of its pages
	// (a sitemap file): it is stored like any other but counted neither as
	// a page nor as an error.
	NotPage bool
}

// CommitResult tells the scheduler what a commit added to the frontier.
type CommitResult struct {
	// NewByHost counts the URLs newly queued per host.
	NewByHost map[string]int
	// Pages, Errors and Skipped are what the batch added to the run's
	// counters: Pages counts final outcomes with a fetch; Errors the final
	// outcomes that are failures (a fetch with an error class, or a failed
	// URL); Skipped the URLs set aside by a policy. Retried attempts count in
	// none of them. Classes counts Errors and Skipped by class or reason.
	Pages, Errors, Skipped, Bytes int64
	Classes                       map[string]int64
	// Items counts the items the batch recorded (a rule's miss is not an
	// item), for the progress line and summary's "items".
	Items int64
	// Lost, on a store whose hosts are leased to one worker at a time,
	// names the hosts whose lease another worker took over: the batch's
	// outcomes for them were dropped, not recorded, and their URLs stay
	// queued for the new holder.
	Lost []string
}

// HostLease is a host a worker was given to crawl alone (on a store shared
// by several workers), with what the store knows of it.
type HostLease struct {
	Host  string
	State HostState // its politeness state, as HostStates gives it
	Pages int       // URLs fetched from it in the run so far, as HostPages counts them
}

// HostRelease hands a leased host back, with how long from now until it
// may be asked again (its delay or back-off still to run).
type HostRelease struct {
	Host string
	Wait time.Duration
}

// HostState is what politeness decided about a host, kept so that it is
// queryable and survives a resume.
type HostState struct {
	Host            string
	RobotsStatus    string
	RobotsFetchedAt time.Time
	CrawlDelay      time.Duration
	Delay           time.Duration // effective gap between requests
	BackoffUntil    time.Time
	ParkedReason    string
	Failures        int // consecutive failures
	// RobotsBody is robots.txt as fetched (nil unless it answered 2xx). It
	// is written only with NewRobots, so that the many updates of a host's
	// delay do not rewrite it.
	RobotsBody []byte
	NewRobots  bool // RobotsStatus, RobotsFetchedAt and RobotsBody come from a new fetch
}

// SkipHost takes a host's queued URLs out of the queue with a reason (for
// example "max-pages-per-host" or "host-parked").
type SkipHost struct {
	Host   string
	Reason string
	// Except are URLs of the host in flight or awaiting their commit: their
	// own outcomes decide their state, so the skip leaves them alone.
	Except []int64
}

// Batch is one transaction's worth of writes.
type Batch struct {
	Outcomes []Outcome
	Hosts    []HostState
	Skips    []SkipHost
	// Releases, on a store whose hosts are leased to one worker at a
	// time, hand hosts back once the batch is stored (the host states and
	// skips before them in it included). Other stores ignore them.
	Releases []HostRelease
	// Cutoff: a URL known from an earlier run is queued again when
	// rediscovered only if its last fetch is older than Cutoff (or a sitemap
	// says it changed since). The zero time queues it always.
	Cutoff time.Time
}

// StoredBody is a kept response body with what is needed to parse it again.
type StoredBody struct {
	FetchID     int64
	URLID       int64
	RunID       int64
	URL         string
	ContentType string
	Encoding    string
	Body        []byte // compressed as Encoding says
}

// ItemSet is the new output of some rules for one stored fetch.
type ItemSet struct {
	FetchID int64
	URLID   int64
	RunID   int64
	Rules   []string // the rules re-run; their old items of this fetch are replaced
	Items   []Item
}

// Run statuses.
const (
	RunRunning     = "running"     // in progress, or its process died (see the run lock)
	RunFinished    = "finished"    // the frontier emptied
	RunStopped     = "stopped"     // a budget (pages, duration) ended it; resumable
	RunInterrupted = "interrupted" // a signal ended it; resumable
	RunFailed      = "failed"      // an error ended it; resumable once the cause is fixed
)

// Run is one row of the runs table.
type Run struct {
	ID         int64
	Kind       string
	Status     string
	Config     []byte // JSON written by the caller; the store does not interpret it
	StartedAt  time.Time
	FinishedAt time.Time
	Resumes    int
	Pages      int64
	Errors     int64 // final outcomes that are failures (see CommitResult)
	Skipped    int64 // URLs not fetched by a policy (scope, robots.txt, caps)
	Retries    int64
	Bytes      int64
	Discovered int64
}

// Resumable reports whether the run ended before its frontier emptied.
func (r *Run) Resumable() bool { return r.Status != RunFinished }

// Cookie is one cookie as a site set it, from the response to URL. Expires
// is absolute (a Max-Age is converted when received); zero means a session
// cookie, which the jar keeps for the whole crawl, across runs.
type Cookie struct {
	URL      string
	Name     string
	Value    string
	Domain   string
	Path     string
	Expires  time.Time
	Secure   bool
	HTTPOnly bool
	SameSite string
	Received time.Time
}

// HTTPCookie is c as net/http's cookie jar takes it.
func (c Cookie) HTTPCookie() *http.Cookie {
	hc := &http.Cookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path,
		Expires: c.Expires, Secure: c.Secure, HttpOnly: c.HTTPOnly}
	switch c.SameSite {
	case "Strict":
		hc.SameSite = http.SameSiteStrictMode
	case "Lax":
		hc.SameSite = http.SameSiteLaxMode
	case "None":
		hc.SameSite = http.SameSiteNoneMode
	}
	return hc
}

// AddClass counts n more errors or skips of class; an empty class or a
// zero n changes nothing.
func (r *CommitResult) AddClass(class string, n int64) {
	if class == "" || n == 0 {
		return
	}
	if r.Classes == nil {
		r.Classes = map[string]int64{}
	}
	r.Classes[class] += n
}
