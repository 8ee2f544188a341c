package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trawl-crawler/trawl/crawler/urlkey"
	"github.com/trawl-crawler/trawl/extract"
	"github.com/trawl-crawler/trawl/extract/memo"
	"github.com/trawl-crawler/trawl/politeness"
	"github.com/trawl-crawler/trawl/store/record"
)

// Store is what the crawler needs from the database. The SQLite store in
// package store implements it; another backend only has to honour the same
// contract.
//
// Commit must store a batch atomically (all or nothing) and must be idempotent
// for discovered URLs (a URL already in the run is ignored). QueuedURLs and
// QueuedHosts must see every batch whose Commit has returned. Commit is called
// from one goroutine; the read methods from another, concurrently with it.
type Store interface {
	Commit(ctx context.Context, runID int64, b record.Batch) (record.CommitResult, error)
	QueuedHosts(ctx context.Context) ([]string, error)
	QueuedURLs(ctx context.Context, host string, limit int, exclude map[int64]struct{}) ([]record.Job, error)
	HostStates(ctx context.Context) (map[string]record.HostState, error)
	RobotsBody(ctx context.Context, host string) ([]byte, error)
	HostPages(ctx context.Context, runID int64) (map[string]int, error)
	CountQueued(ctx context.Context) (int64, error)
}

// Outcome statuses of Run.
const (
	StatusFinished    = record.RunFinished
	StatusStopped     = record.RunStopped
	StatusInterrupted = record.RunInterrupted
	StatusFailed      = record.RunFailed
)

// slowDelay is the per-host gap above which a crawl is warned that it will
// crawl slowly: "delay: 500" (seconds) looks like a hung crawl otherwise.
const slowDelay = time.Minute

// windowSize bounds how many queued URLs of one host are held in memory; the
// rest stay in the store. Memory is therefore flat in the frontier's size.
const windowSize = 64

// Crawler runs one crawl run against a Store.
type Crawler struct {
	cfg   Config
	st    Store
	runID int64
	log   *slog.Logger
	canon urlkey.Canon
	scope *urlkey.Scope
	seeds []*url.URL
	rules []*extract.Rule
	stats stats
	clock clock // the time the scheduler goes by; the wall clock but in tests
	// health are the rules by which responses speak for a URL or its host.
	health politeness.HealthConfig
	traps  *trapGuard
	req    *requestOptions
	admit  *admission         // memory of the pages being extracted
	hrefs  *extract.HrefCache // the links' resolutions, for every page's extraction
	links  *memo.Memo         // the links' facts, encoded (see linkFacts)
	// scratch holds *extract.Scratch: MainText's memory, reused by the
	// pages extracted one after another (see extract.Scratch).
	scratch sync.Pool
	// committed is what this run's commits queued (see committedURLs).
	committed *committedURLs
	login     *loginStep // nil without a login step
	// stop ends the run with an error from a fetcher (a failed login).
	stop context.CancelCauseFunc
}

// New checks cfg and prepares a crawler for run runID. Begin does this for
// a run it resumed or started.
func New(cfg Config, st Store, runID int64, log *slog.Logger) (*Crawler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	seeds, err := seedURLs(cfg, nil)
	if err != nil {
		return nil, err
	}
	return newCrawler(cfg, st, runID, log, seeds)
}

// newCrawler is New for a valid cfg with its seeds canonicalised already
// (seedURLs).
func newCrawler(cfg Config, st Store, runID int64, log *slog.Logger, seeds []*url.URL) (*Crawler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Crawler{cfg: cfg, st: st, runID: runID, log: log, clock: wallClock{}, admit: newAdmission(),
		canon:  urlkey.Canon{DropParams: slices.Clone(cfg.DropParams)},
		health: politeness.HealthConfig{RetryBase: time.Duration(cfg.RetryBase), MaxRetryAfter: time.Duration(cfg.MaxRetryAfter)},
		traps:  newTrapGuard(), seeds: seeds,
		hrefs: extract.NewHrefCache(hrefCacheBytes), links: memo.New(linkMemoBytes), committed: newCommittedURLs()}
	scope, err := urlkey.NewScope(cfg.Scope, c.seeds, cfg.Allow, cfg.Deny)
	if err != nil {
		return nil, err
	}
	c.scope = scope
	if c.rules, err = extract.CompileRules("rules", cfg.Rules); err != nil {
		return nil, err
	}
	if c.req, err = newRequestOptions(&c.cfg, c.seeds); err != nil {
		return nil, err
	}
	if c.login, err = newLoginStep(&c.cfg, c.canon); err != nil {
		return nil, err
	}
	return c, nil
}

// now is the crawl's time (see clock).
func (c *Crawler) now() time.Time { return c.clock.Now() }

// Result is how a run ended.
type Result struct {
	Status string // StatusFinished, StatusStopped, ...
	// Budget, when a budget stopped the run, is its flag: "--max-pages" or
	// "--max-duration".
	Budget string
	Stats  Stats
}

type taskKind int

const (
	taskPage   taskKind = iota // fetch a page
	taskRobots                 // fetch a host's robots.txt
)

// task is a request for a fetcher. Outcomes decided without a request go
// to the writer directly (see dispatcher.decide).
type task struct {
	kind taskKind
	job  record.Job
}

type eventKind int

const (
	// evFetched: a fetcher is done with a page task (and free again).
	evFetched eventKind = iota
	// evResponded: a page's response is in and its extraction begins; the
	// host's slot is free (see fetchPage).
	evResponded
	evRobots
	evCommitted
	evWriteFailed
)

// ack tells the dispatcher that a job's outcome is durable.
type ack struct {
	job   record.Job
	state string
}

type event struct {
	kind eventKind
	host string
	// evFetched, evResponded
	status     int
	latency    time.Duration
	retryAfter time.Duration
	// fail is why the request failed (evFetched), or why robots.txt could
	// not be read (evRobots); nil when it did not.
	fail *FetchError
	// evRobots
	robots       *politeness.Robots
	robotsStatus politeness.RobotsStatus
	// abandoned: the request was cut short by a stop and records nothing;
	// its URL stays queued (evFetched, evRobots).
	abandoned bool
	// responded (evFetched): an evResponded for the job went first and
	// did the host's part.
	responded bool
	job       record.Job
	// evCommitted
	acks      []ack
	newByHost map[string]int
	sides     int      // host skips committed
	lost      []string // hosts whose lease another worker took over (HostLeaser)
	err       error
}

// Run crawls until the frontier is empty, a budget is spent, ctx is cancelled
// (a graceful stop: no new requests, in-flight ones finish, everything is
// flushed) or the store fails. Every URL not committed stays queued, so a later
// Run continues exactly.
func (c *Crawler) Run(ctx context.Context) (Result, error) {
	c.stats.start = c.now()
	if c.cfg.Insecure {
		c.log.Warn("--insecure: TLS certificates are not verified; anyone between trawl and the sites can read and change what is fetched, credentials included")
	}
	if d := time.Duration(c.cfg.Delay); d > slowDelay {
		c.log.Warn("--delay is above a minute: each host gets one request per delay at most", "delay", d.String())
	}
	c.logPoliteness()
	// Writes must survive the graceful stop that cancelling ctx asks for.
	wctx := context.WithoutCancel(ctx)

	seeds := make([]record.NewURL, 0, len(c.seeds))
	for _, u := range c.seeds {
		seeds = append(seeds, record.NewURL{URL: u.String(), Host: urlkey.HostKey(u), Via: viaSeed, Revisit: true})
	}
	if _, err := c.st.Commit(wctx, c.runID, record.Batch{Outcomes: []record.Outcome{{Discovered: seeds}}, Cutoff: c.cfg.RefreshCutoff}); err != nil {
		return Result{Status: StatusFailed}, fmt.Errorf("add seeds: %w", err)
	}

	// The fetch context outlives a graceful stop: requests in flight may
	// finish, for up to stopGrace (see dispatcher.loop).
	fctx, cancelFetch := context.WithCancel(wctx)
	defer cancelFetch()
	defer func() {
		hits, misses, held := c.hrefs.Stats()
		c.log.Debug("href resolutions", "cached", hits, "resolved", misses, "held", held)
	}()
	tasks := make(chan task, c.cfg.Concurrency)
	outcomes := make(chan record.Outcome, c.cfg.Concurrency*4)
	events := make(chan event, c.cfg.Concurrency*4)
	w := newWriter(c.st, c.runID, c.cfg.RefreshCutoff, c.cfg.Concurrency, outcomes, events, &c.stats, c.committed)
	d, err := c.newDispatcher(wctx, tasks, events, w, cancelFetch)
	if err != nil {
		return Result{Status: StatusFailed}, err
	}
	defer d.reads.stop() // the loop stops it; this, when the run fails before the loop
	f := newFetcher(fctx, &c.cfg, c.admit)
	if err := c.req.loadCookies(wctx, c.st); err != nil {
		return Result{Status: StatusFailed}, err
	}
	c.req.log = c.log
	wr, err := c.openWARC()
	if err != nil {
		return Result{Status: StatusFailed}, err
	}
	c.req.warc = wr
	if wr != nil {
		defer func() {
			if err := wr.Close(); err != nil {
				c.log.Error("WARC file not finished", "dir", c.cfg.WARC, "err", err)
			}
		}()
	}
	c.req.configure(f.transport)
	rt := c.req.wrap(f.transport)
	f.c.WithTransport(rt)
	f.c.SetCookieJar(c.req.jar)
	robotsClient := &http.Client{Transport: rt, Jar: c.req.jar, Timeout: time.Duration(c.cfg.Timeout)}
	if c.login != nil {
		if err := c.firstLogin(wctx, rt); err != nil {
			return Result{Status: StatusFailed, Stats: c.Stats()}, err
		}
	}
	ctx, c.stop = context.WithCancelCause(ctx)
	defer c.stop(nil)

	var workers sync.WaitGroup
	for range c.cfg.Concurrency {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for t := range tasks {
				c.work(fctx, f, robotsClient, t, outcomes, events)
			}
		}()
	}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		w.run(wctx)
	}()

	status, runErr := d.loop(ctx)

	close(tasks)
	// Drain events until the workers and the writer have stopped, so that none
	// of them blocks on a full channel.
	stopped := make(chan struct{})
	go func() {
		workers.Wait()
		close(outcomes)
		<-writerDone
		close(stopped)
	}()
	for done := false; !done; {
		select {
		case ev := <-events:
			if ev.kind == evWriteFailed && runErr == nil {
				runErr, status = ev.err, StatusFailed
			}
		case <-stopped:
			done = true
		}
	}
	var loginErr *LoginError
	if errors.As(context.Cause(ctx), &loginErr) && runErr == nil {
		status, runErr = StatusFailed, loginErr
	}
	budget := d.budget
	if status != StatusStopped {
		budget = ""
	}
	return Result{Status: status, Budget: budget, Stats: c.Stats()}, runErr
}

// work runs one task on a fetcher goroutine.
func (c *Crawler) work(ctx context.Context, f *fetcher, robotsClient *http.Client, t task, outcomes chan<- record.Outcome, events chan<- event) {
	switch t.kind {
	case taskRobots:
		origin, err := url.Parse(t.job.Host)
		if err != nil {
			events <- event{kind: evRobots, host: t.job.Host, robots: politeness.DisallowAll(),
				robotsStatus: politeness.RobotsDisallowAllError}
			return
		}
		start := c.now()
		rb, rs, err := politeness.FetchRobots(ctx, robotsClient, origin, c.cfg.UserAgent)
		ev := event{kind: evRobots, host: t.job.Host, robots: rb, robotsStatus: rs, latency: c.now().Sub(start)}
		if ctx.Err() == nil {
			c.logRobots(ctx, t.job.Host, string(rs), ev.latency, err)
		}
		robotsURL := t.job.Host + "/robots.txt"
		switch {
		case err != nil && ctx.Err() != nil:
			ev.abandoned = true
		case err != nil:
			ev.fail = &FetchError{URL: robotsURL, Class: classify(err), Err: err}
			c.log.Warn("robots.txt unavailable", "host", t.job.Host, "status", rs, "err", err)
		case rs == politeness.RobotsDisallowAll5xx:
			ev.fail = &FetchError{URL: robotsURL, Class: ClassHTTP5xx, Err: errors.New("robots.txt answered with a server error")}
		case rs == politeness.RobotsDisallowAllStatus:
			ev.fail = &FetchError{URL: robotsURL, Class: ClassOther, Err: errors.New("robots.txt answered with an unexpected status")}
		}
		events <- ev
	case taskPage:
		var responded func(event)
		if c.login == nil {
			// With a login, afterFetch may find the session lost and
			// retry the page: the host is not done with it until then.
			responded = func(ev event) { events <- ev }
		}
		o, ev := c.fetchPage(f, t.job, responded)
		if c.login != nil {
			var logins []record.Outcome
			var err error
			o, logins, err = c.login.afterFetch(ctx, o)
			for _, l := range logins {
				outcomes <- l
			}
			if err != nil {
				c.log.Error("logging in again failed; stopping", "err", err)
				c.stop(err)
			}
		}
		if !ev.responded && ctx.Err() != nil && ev.fail != nil && ev.fail.Status == 0 {
			// Cut short by a stop: record nothing; the URL stays queued.
			events <- event{kind: evFetched, host: t.job.Host, abandoned: true, job: t.job}
			return
		}
		c.logFetch(ctx, o, true)
		// The event before the outcome: the dispatcher learns of the
		// response (a Retry-After it keeps for the retry) before the
		// writer can acknowledge the outcome.
		events <- ev
		outcomes <- o
	}
}

var errStoreFailed = errors.New("store failed")

// Stats is a snapshot of a run's counters.
type Stats struct {
	Start    time.Time
	Pages    int64 // final fetch outcomes committed (done or failed), as runs.pages
	Errors   int64 // of those, failures, as runs.errors
	Skipped  int64 // URLs set aside by a policy, as runs.skipped
	Bytes    int64
	InFlight int64
	Queued   int64 // URLs waiting, approximate while running
	Items    int64 // items the extraction rules recorded
	ByClass  map[string]int64
}

// stats are the run's counters. The committed ones are added from the
// store's CommitResult, so that they are what the database holds (a batch
// that failed to commit counts nowhere) and agree with the runs row.
type stats struct {
	start                     time.Time
	pages, errs, skipped, byt atomic.Int64
	items                     atomic.Int64
	inflight, queued          atomic.Int64
	mu                        sync.Mutex
	byClass                   map[string]int64
}

// committed adds what one commit recorded.
func (s *stats) committed(res record.CommitResult) {
	s.pages.Add(res.Pages)
	s.errs.Add(res.Errors)
	s.skipped.Add(res.Skipped)
	s.byt.Add(res.Bytes)
	s.items.Add(res.Items)
	if len(res.Classes) == 0 {
		return
	}
	s.mu.Lock()
	if s.byClass == nil {
		s.byClass = map[string]int64{}
	}
	for k, v := range res.Classes {
		s.byClass[k] += v
	}
	s.mu.Unlock()
}

// Stats returns the current counters; safe to call while Run runs.
func (c *Crawler) Stats() Stats {
	s := Stats{Start: c.stats.start, Pages: c.stats.pages.Load(), Errors: c.stats.errs.Load(), Skipped: c.stats.skipped.Load(),
		Bytes: c.stats.byt.Load(), InFlight: c.stats.inflight.Load(), Queued: c.stats.queued.Load(),
		Items:   c.stats.items.Load(),
		ByClass: map[string]int64{}}
	c.stats.mu.Lock()
	for k, v := range c.stats.byClass {
		s.ByClass[k] = v
	}
	c.stats.mu.Unlock()
	return s
}
