package crawler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"

	"github.com/trawl-crawler/trawl/politeness"
	"github.com/trawl-crawler/trawl/store/record"
)

const (
	// robotsMaxAge is how long a host's robots.txt is trusted (RFC 9309 §2.4
	// asks crawlers not to use a cached copy for more than 24 hours).
	robotsMaxAge = 24 * time.Hour
	// stopGrace is how long requests in flight may go on after a stop.
	stopGrace = 5 * time.Second
	// robotsAttempts is how many times an unreachable robots.txt is tried
	// before its host is parked.
	robotsAttempts = 3
)

// dispatcher owns the scheduling state. Only its loop goroutine touches it.
type dispatcher struct {
	c           *Crawler
	tasks       chan<- task  // to the fetchers
	events      <-chan event // from the fetchers and the writer
	w           *writer
	reads       *reader // the store reads of the scheduling path
	cancelFetch func()  // cuts requests in flight short, after a stop's grace
	budget      string  // the budget flag that stopped the run, if one did
	fr          *frontier
	idle        int
	inflight    int          // tasks (pages until extracted, robots.txt) on fetchers
	awaiting    int          // pages dispatched and outcomes decided, not yet committed
	parkAtStart []*hostQueue // hosts whose stored pause outlasts --max-retry-after
	sidePending int          // side writes (host states, skips, sitemaps) not yet committed
	dispatched  int          // pages requested by this invocation, for --max-pages
	rng         *rand.Rand
	lease       *leasing // the hosts leased to this worker, on a HostLeaser; nil otherwise
}

// newDispatcher builds the scheduler of a run from what the store holds:
// its hosts, their pages so far and their politeness state. It hands tasks
// to the fetchers, takes events from them and from w, and cancels the
// fetches in flight with cancelFetch after a stop's grace. ctx is the
// run's, which a graceful stop does not cancel; the dispatcher's store
// reads take it.
func (c *Crawler) newDispatcher(ctx context.Context, tasks chan<- task, events <-chan event, w *writer, cancelFetch func()) (*dispatcher, error) {
	d := &dispatcher{c: c, tasks: tasks, events: events, w: w, cancelFetch: cancelFetch,
		fr: newFrontier(c.cfg.PerHost), idle: c.cfg.Concurrency,
		rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x7472776c))}
	if hl, ok := c.st.(HostLeaser); ok {
		// Hosts come from claims, with their state (see leasing).
		d.lease = newLeasing(hl, c)
	} else if err := d.loadHosts(ctx); err != nil {
		return nil, err
	}
	n, err := c.st.CountQueued(ctx)
	if err != nil {
		return nil, err
	}
	c.stats.queued.Store(n)
	d.reads = newReader(ctx, c.st)
	return d, nil
}

// loadHosts schedules every host with queued URLs, with its pages so far
// in the run and its stored politeness state.
func (d *dispatcher) loadHosts(ctx context.Context) error {
	c := d.c
	hosts, err := c.st.QueuedHosts(ctx)
	if err != nil {
		return err
	}
	pages, err := c.st.HostPages(ctx, c.runID)
	if err != nil {
		return err
	}
	states, err := c.st.HostStates(ctx)
	if err != nil {
		return err
	}
	for _, key := range hosts {
		h := d.host(key)
		h.pages = pages[key]
		if st, ok := states[key]; ok && d.adoptState(h, st) {
			d.parkAtStart = append(d.parkAtStart, h)
		}
		d.fr.fix(h)
	}
	return nil
}

// adoptState takes a host's stored politeness state into h, and reports
// whether the host is to be parked: still inside a pause longer than this
// run may wait.
func (d *dispatcher) adoptState(h *hostQueue, st record.HostState) (park bool) {
	c := d.c
	now := c.now()
	if limit := time.Duration(c.cfg.MaxRetryAfter); limit > 0 && st.BackoffUntil.Sub(now) > limit {
		// Parked again, or the run would sleep until the host allows it.
		h.capped, h.parked, h.pausedUntil = true, ClassParked, st.BackoffUntil
		h.parkedWhy = fmt.Sprintf("the host asked for a pause until %s, longer than --max-retry-after %s",
			st.BackoffUntil.UTC().Format(time.RFC3339), limit)
		park = true
	} else if st.BackoffUntil.After(now) {
		h.next, h.pausedUntil = st.BackoffUntil, st.BackoffUntil
	}
	h.storedRobots = st
	if c.cfg.AutoThrottle && st.Delay > h.delay {
		// Start where the throttle left the host, not at full speed.
		h.delay = min(st.Delay, max(time.Duration(c.cfg.MaxDelay), h.delay))
	}
	return park
}

func (d *dispatcher) host(key string) *hostQueue {
	_, known := d.fr.hosts[key]
	h := d.fr.host(key, time.Duration(d.c.cfg.Delay), func() *politeness.Health {
		return politeness.NewHealth(d.c.health, d.rng)
	})
	if !known && d.lease != nil {
		h.unheld = true // until claimed
	}
	return h
}

// loop schedules until the crawl is finished or stopped, and returns the run
// status. Cancelling ctx stops the crawl gracefully. The reads it started
// are over when it returns.
func (d *dispatcher) loop(ctx context.Context) (string, error) {
	defer d.reads.stop()
	c := d.c
	for _, h := range d.parkAtStart {
		c.log.Warn("host parked", "host", h.key, "reason", h.parkedWhy)
		d.skipHost(h, ClassParked)
	}
	d.parkAtStart = nil
	timer := c.clock.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	done := ctx.Done()
	var deadline <-chan time.Time
	if c.cfg.MaxDuration > 0 {
		t := c.clock.NewTimer(time.Duration(c.cfg.MaxDuration))
		defer t.Stop()
		deadline = t.C()
	}
	stopping, status := false, StatusFinished
	var runErr error
	confirmRounds := 0
	// After a signal or --max-duration, requests in flight get stopGrace to
	// finish; then they are cut short and their URLs stay queued, so that a
	// stop (a cron slot ending) is not held up by slow servers for up to
	// --timeout. A --max-pages stop lets them finish: they are in budget.
	var grace <-chan time.Time
	graceTimer := c.clock.NewTimer(stopGrace)
	graceTimer.Stop()
	defer graceTimer.Stop()
	startGrace := func() {
		if grace == nil {
			graceTimer.Reset(stopGrace)
			grace = graceTimer.C()
		}
	}
	for {
		now := c.now()
		if d.lease != nil {
			d.releaseIdle(now, false)
			if !stopping && runErr == nil {
				d.claim(now)
			}
		}
		if !stopping {
			d.dispatch(ctx, now)
			if c.cfg.MaxPages > 0 && d.dispatched >= c.cfg.MaxPages {
				stopping, status, d.budget = true, StatusStopped, "--max-pages"
			}
		}
		if runErr != nil && d.inflight == 0 {
			// The writer failed: nothing more will be committed or
			// acknowledged, and whatever was not committed stays queued.
			return StatusFailed, runErr
		}
		quiet := d.inflight == 0 && d.awaiting == 0 && d.sidePending == 0
		idle := quiet && d.fr.peek() == nil && d.reads.pending == 0
		if idle || stopping && quiet {
			if runErr != nil {
				return StatusFailed, runErr
			}
			if d.lease != nil {
				st, end, err := d.leasedEnd(ctx, now, stopping, status)
				if err != nil || end {
					return st, err
				}
				if d.sidePending > 0 {
					continue // its hosts handed back: once committed, look again
				}
				goto wait // others still crawl: claim again later
			}
			n, err := c.st.CountQueued(context.WithoutCancel(ctx))
			if err != nil {
				return StatusFailed, err
			}
			c.stats.queued.Store(n)
			if n == 0 {
				return StatusFinished, nil
			}
			if stopping {
				return status, nil
			}
			// Queued URLs of hosts the scheduler does not hold: pick them up.
			confirmRounds++
			if confirmRounds > 3 {
				return StatusStopped, fmt.Errorf("%d URLs stay queued but none can be scheduled", n)
			}
			if err := d.reloadHosts(context.WithoutCancel(ctx)); err != nil {
				return StatusFailed, err
			}
			continue
		}
	wait:
		var wake, claimWake <-chan time.Time
		if d.lease != nil && !stopping && runErr == nil {
			claimWake = d.claimWake(now)
		}
		if top := d.fr.peek(); top != nil && d.idle > 0 && !stopping {
			if wait := top.ready.Sub(now); wait > 0 {
				timer.Reset(wait)
				wake = timer.C()
			}
		}
		if wake != nil && quiet && d.reads.pending == 0 {
			c.clock.Idle()
		}
		select {
		case ev := <-d.events:
			if ev.kind == evFetched || len(ev.acks) > 0 {
				confirmRounds = 0 // real progress: the stuck-queue check starts over
			}
			if err := d.handle(ev); err != nil {
				runErr, stopping = err, true
			}
		case res := <-d.reads.results:
			if err := d.afterRead(res); err != nil && runErr == nil {
				// A store that cannot be read cannot be crawled from:
				// stop as when it cannot be written.
				runErr, stopping = err, true
			}
		case <-wake:
		case <-claimWake:
		case <-done:
			done = nil
			stopping, status = true, StatusInterrupted
			startGrace()
		case <-grace:
			grace = make(chan time.Time) // never again
			if d.inflight > 0 {
				c.log.Info("abandoning requests still in flight; their URLs stay queued", "tasks", d.inflight)
				d.cancelFetch()
			}
		case <-deadline:
			deadline = nil
			if !stopping {
				c.log.Info("--max-duration reached; stopping", "after", time.Duration(c.cfg.MaxDuration))
				stopping, status, d.budget = true, StatusStopped, "--max-duration"
			}
			startGrace()
		}
	}
}

func (d *dispatcher) reloadHosts(ctx context.Context) error {
	hosts, err := d.c.st.QueuedHosts(ctx)
	if err != nil {
		return err
	}
	for _, key := range hosts {
		h := d.host(key)
		h.setMore()
		if h.capped {
			d.skipHost(h, h.cappedReason())
		}
		d.fr.fix(h)
	}
	return nil
}

// dispatch hands ready work to idle fetchers.
func (d *dispatcher) dispatch(ctx context.Context, now time.Time) {
	for d.idle > 0 {
		if d.c.cfg.MaxPages > 0 && d.dispatched >= d.c.cfg.MaxPages {
			return
		}
		h := d.fr.peek()
		if h == nil || h.ready.After(now) {
			return
		}
		t, ok := d.take(ctx, h, now)
		d.fr.fix(h)
		if !ok {
			continue
		}
		d.idle--
		d.c.stats.inflight.Store(int64(d.inflight))
		d.tasks <- t
	}
}

// take picks the next task of host h, which is ready. It reports false
// when h has no request to make now: its next URL was decided without one
// (see decide), it waits for a read of the store, or it is out of work.
func (d *dispatcher) take(ctx context.Context, h *hostQueue, now time.Time) (task, bool) {
	cfg := &d.c.cfg
	if d.lease != nil && !d.lease.st.HoldsHost(h.key) {
		// The lease ran out (this worker was away past it): another
		// worker may hold the host now.
		d.lose(h)
		return task{}, false
	}
	h.started = true
	if !cfg.IgnoreRobots && (h.robots == nil || now.Sub(h.robotsAt) > robotsMaxAge) {
		if d.reuseRobots(h, now) {
			d.readAhead(h)
			return task{}, false // the stored copy is being read
		}
		if h.robots == nil || now.Sub(h.robotsAt) > robotsMaxAge {
			h.robotsBusy = true
			h.inflight++
			d.inflight++
			h.next = now.Add(h.delay)
			d.readAhead(h) // while robots.txt is fetched
			return task{kind: taskRobots, job: record.Job{Host: h.key}}, true
		}
	}
	if cfg.MaxPagesPerHost > 0 && h.pages >= cfg.MaxPagesPerHost {
		h.capped = true
		d.skipHost(h, ClassHostCap)
		return task{}, false
	}
	d.readAhead(h)
	// Retries and new URLs take turns, so that URLs failing over and over
	// never hold back the rest of their host.
	var job record.Job
	ok := false
	if !h.lastRetry || len(h.window) == 0 && !h.more {
		job, ok = h.takeRetry(now)
	}
	h.lastRetry = ok
	if !ok {
		if len(h.window) == 0 {
			// The store is being read for more, or there is no more.
			if job, ok = h.takeRetry(now); !ok {
				return task{}, false
			}
			h.lastRetry = true
		} else {
			job = h.window[0]
			h.window = h.window[1:]
			d.readAhead(h)
		}
	}
	if job.Via == viaSitemap && !cfg.Sitemaps {
		// A sitemap file an earlier invocation queued, and this one was
		// given --sitemaps=false: not requested, as in a crawl that never
		// read sitemaps.
		d.decide(ctx, record.Outcome{Job: job, State: record.StateSkipped, Reason: ClassSitemapsOff})
		return task{}, false
	}
	if wait := job.RetryAt.Sub(now); wait > 0 {
		// An earlier run was asked to come back later.
		if d.c.health.Defers(wait) {
			d.decide(ctx, record.Outcome{Job: job, State: record.StateSkipped, Reason: ClassDeferred, RetryAt: job.RetryAt})
			return task{}, false
		}
		h.retries = append(h.retries, retryJob{job: job, notBefore: job.RetryAt})
		return task{}, false
	}
	if fe := h.robotsErr; fe != nil {
		// robots.txt could not be read, which forbids the whole host for now:
		// a failure of the host, recorded with its cause, and asked again by
		// the next run.
		d.decide(ctx, record.Outcome{Job: job, State: record.StateFailed, Reason: fe.Class,
			Fetch: &record.Fetch{At: now, ErrorClass: fe.Class,
				Error: "not requested: robots.txt is unreachable (" + fe.Err.Error() + ")"}})
		return task{}, false
	}
	if h.robots != nil {
		if u, err := url.Parse(job.URL); err == nil && !h.robots.Allowed(cfg.RobotsAgent, u) {
			d.decide(ctx, record.Outcome{Job: job, State: record.StateSkipped, Reason: ClassRobotsDenied})
			return task{}, false
		}
	}
	h.inflight++
	d.inflight++
	d.awaiting++
	if job.Via != viaSitemap { // a sitemap file is not a page of the budgets
		h.pages++
		if job.Tries == 0 {
			d.dispatched++ // --max-pages counts pages, not attempts
		}
	}
	h.next = now.Add(h.delay)
	return task{kind: taskPage, job: job}, true
}

// decide records an outcome the dispatcher decided without a request
// (robots.txt forbids the URL or cannot be read; the URL's pause outlasts
// the run). It goes to the writer at once, taking no fetcher's slot, and
// counts as awaiting its commit like a fetched page.
func (d *dispatcher) decide(ctx context.Context, o record.Outcome) {
	d.awaiting++
	d.c.logFetch(ctx, o, false)
	d.w.decided(o)
}

// readAhead starts reading the next URLs of h's queue once its window is
// half empty, so that the window is refilled before it runs dry and the
// store is never read on the dispatcher's goroutine. The window holds at
// most windowSize URLs.
func (d *dispatcher) readAhead(h *hostQueue) {
	if !h.more || h.reading || h.capped || len(h.window) > windowSize/2 {
		return
	}
	h.reading = true
	d.reads.queue(h, windowSize-len(h.window))
}

// afterRead takes the result of a store read into the scheduling state. A
// read that failed is the run's failure.
func (d *dispatcher) afterRead(res readResult) error {
	d.reads.pending--
	if res.kind == readClaim {
		if res.err != nil {
			d.lease.claiming = false
			return fmt.Errorf("claim hosts: %w", res.err)
		}
		d.afterClaim(res)
		return nil
	}
	h := d.host(res.host)
	defer d.fr.fix(h)
	switch res.kind {
	case readQueue:
		h.reading = false
		if res.err != nil {
			return fmt.Errorf("read the queue of %s: %w", res.host, res.err)
		}
		if h.capped {
			return nil // skipped meanwhile: the skip took these URLs too
		}
		if len(res.jobs) < res.limit && res.seq == h.moreSeq {
			h.more = false // none since the read began, either
		}
		for _, j := range res.jobs {
			h.claimed[j.ID] = struct{}{}
		}
		h.window = append(h.window, res.jobs...)
	case readRobots:
		h.robotsReading = false
		if res.err != nil || res.body == nil {
			return nil // fetched again instead
		}
		d.installRobots(h, politeness.ParseRobots(res.body), politeness.RobotsOK, res.fetchedAt)
		d.c.log.Debug("robots.txt reused from the database", "host", h.key, "fetched_at", res.fetchedAt)
	}
	return nil
}

// skipHost takes the rest of h's queue out of the crawl with a reason.
func (d *dispatcher) skipHost(h *hostQueue, reason string) {
	for _, j := range h.window {
		delete(h.claimed, j.ID)
	}
	for _, r := range h.retries {
		delete(h.claimed, r.job.ID)
	}
	h.window, h.retries, h.more = nil, nil, false
	// What is still claimed is in flight or awaiting its commit, and its own
	// outcome will say what became of it; skipping it too would count it
	// twice (and, for a retry, skip it after it was queued again).
	except := make([]int64, 0, len(h.claimed))
	for id := range h.claimed {
		except = append(except, id)
	}
	d.sidePending++
	d.w.enqueue(record.Batch{Skips: []record.SkipHost{{Host: h.key, Reason: reason, Except: except}}})
}

func (h *hostQueue) cappedReason() string {
	if h.parked != "" {
		return h.parked
	}
	return ClassHostCap
}

// handle applies one event to the scheduling state.
func (d *dispatcher) handle(ev event) error {
	c := d.c
	now := c.now()
	switch ev.kind {
	case evWriteFailed:
		return fmt.Errorf("%w: %w", errStoreFailed, ev.err)
	case evCommitted:
		d.awaiting -= len(ev.acks)
		d.sidePending -= ev.sides
		for _, key := range ev.lost {
			d.lose(d.host(key))
		}
		for _, a := range ev.acks {
			h := d.host(a.job.Host)
			if a.state != record.StateQueued || h.capped || h.unheld {
				delete(h.claimed, a.job.ID)
				delete(h.retryAt, a.job.ID)
				continue
			}
			j := a.job
			j.Tries++
			at, ok := h.retryAt[j.ID]
			if !ok {
				at = now.Add(politeness.Backoff(time.Duration(c.cfg.RetryBase), j.Tries, d.rng))
			}
			delete(h.retryAt, j.ID)
			h.retries = append(h.retries, retryJob{job: j, notBefore: at})
			d.fr.fix(h)
		}
		var added int64
		for key, n := range ev.newByHost {
			added += int64(n)
			h := d.host(key)
			if h.unheld {
				continue // its holder, or its next, reads them
			}
			if h.capped {
				d.skipHost(h, h.cappedReason())
				continue
			}
			h.setMore()
			if h.started {
				// Read while the host waits for its delay, not once it may
				// be asked. A host not yet started reads when it is: a crawl
				// that discovers many hosts does not hold a window for each
				// before it gets to them.
				d.readAhead(h)
			}
			d.fr.fix(h)
		}
		c.stats.queued.Add(added - int64(len(ev.acks)))
	case evFetched:
		d.idle++
		d.inflight--
		c.stats.inflight.Store(int64(d.inflight))
		if ev.responded {
			break // its host was told at evResponded
		}
		h := d.host(ev.host)
		if ev.abandoned {
			// Nothing will be committed for it; it stays queued in the store.
			h.inflight--
			d.awaiting--
			delete(h.claimed, ev.job.ID)
			d.fr.fix(h)
			break
		}
		d.responded(h, ev, now)
	case evResponded:
		d.responded(d.host(ev.host), ev, now)
	case evRobots:
		d.idle++
		h := d.host(ev.host)
		h.inflight--
		d.inflight--
		h.robotsBusy = false
		c.stats.inflight.Store(int64(d.inflight))
		if ev.abandoned {
			break
		}
		d.afterRobots(h, ev, now)
		d.spaceAfter(h, now) // with the Crawl-delay robots.txt may have set
		d.fr.fix(h)
	}
	return nil
}

// responded frees h's slot of a page request whose response is in, and
// schedules h by it.
func (d *dispatcher) responded(h *hostQueue, ev event, now time.Time) {
	h.inflight--
	d.spaceAfter(h, now)
	d.afterResponse(h, ev, now)
	d.fr.fix(h)
}

// spaceAfter keeps the next request to h at least the host's delay after this
// response arrived. Spacing from the previous response (as Heritrix does)
// rather than from the previous request's start is what makes the gap hold as
// the server sees it: the server received the previous request before we got
// its response, whatever the network and scheduling jitter.
func (d *dispatcher) spaceAfter(h *hostQueue, now time.Time) {
	if t := now.Add(h.delay); t.After(h.next) {
		h.next = t
	}
}

// afterResponse updates a host's politeness state from one response. What
// the response means for its URL and its host is politeness.Health's call;
// the dispatcher only schedules by it.
func (d *dispatcher) afterResponse(h *hostQueue, ev event, now time.Time) {
	scope := politeness.ScopeNone
	if ev.fail != nil {
		scope = ev.fail.Scope()
	}
	v := h.health.Observe(now, politeness.Response{URL: ev.job.URL, Scope: scope,
		RetryAfter: ev.retryAfter, Tries: ev.job.Tries})
	if !v.RetryAt.IsZero() && !v.Deferred {
		h.retryAt[ev.job.ID] = v.RetryAt // for the retry, once its attempt is committed
	}
	if v.HostNext.After(h.next) {
		h.next = v.HostNext
	}
	if v.Park {
		h.capped, h.parked, h.parkedWhy = true, ClassParked, v.Why
		d.c.log.Warn("host parked: its responses say it is broken", "host", h.key, "reason", v.Why)
		d.saveHost(h, v.Pause)
		d.skipHost(h, ClassParked)
		return
	}
	if !v.Pause.IsZero() {
		d.saveHost(h, v.Pause)
	}
	if d.c.cfg.AutoThrottle && ev.status != 0 {
		d.c.adjustDelay(h, ev.latency, ev.status)
		d.spaceAfter(h, now)
		if changed(h.savedDelay, h.delay) {
			h.savedDelay = h.delay
			d.saveHost(h, time.Time{})
		}
	}
}

// changed reports whether the delay moved enough since it was last stored to be
// worth a write (a quarter, or from or to zero).
func changed(saved, now time.Duration) bool {
	diff := now - saved
	if diff < 0 {
		diff = -diff
	}
	return (saved == 0) != (now == 0) || diff*4 > saved
}

// afterRobots installs a host's robots.txt.
func (d *dispatcher) afterRobots(h *hostQueue, ev event, now time.Time) {
	cfg := &d.c.cfg
	switch ev.robotsStatus {
	case politeness.RobotsDisallowAll5xx, politeness.RobotsDisallowAllError, politeness.RobotsDisallowAllStatus:
		// Unreachable: crawl nothing now, ask again later (RFC 9309 §2.3.1.4).
		h.robotsFails++
		h.robotsStatus = ev.robotsStatus
		if h.robotsFails >= robotsAttempts {
			h.robots, h.robotsAt = ev.robots, now
			h.robotsErr = ev.fail
			if h.robotsErr == nil {
				h.robotsErr = &FetchError{URL: h.key + "/robots.txt", Class: ClassOther, Err: errors.New(string(ev.robotsStatus))}
			}
			d.c.log.Warn("robots.txt unreachable; host disallowed for this run", "host", h.key, "status", ev.robotsStatus)
		} else {
			h.next = now.Add(politeness.Backoff(max(time.Duration(cfg.RetryBase), time.Second), h.robotsFails, d.rng))
		}
	default:
		h.robotsFails = 0
		h.robotsErr = nil
		d.installRobots(h, ev.robots, ev.robotsStatus, now)
	}
	st := d.hostState(h, time.Time{})
	if !h.robotsAt.IsZero() {
		st.NewRobots, st.RobotsBody = true, h.robots.Source()
		if h.robotsStatus == politeness.RobotsOK && st.RobotsBody == nil {
			st.RobotsBody = []byte{} // an empty file, not a missing one
		}
	}
	d.enqueueHost(st)
}

// installRobots makes rb, obtained at time at, the host's robots.txt.
func (d *dispatcher) installRobots(h *hostQueue, rb *politeness.Robots, status politeness.RobotsStatus, at time.Time) {
	cfg := &d.c.cfg
	h.robots, h.robotsStatus, h.robotsAt = rb, status, at
	if cd, ok := rb.CrawlDelay(cfg.RobotsAgent); ok {
		h.crawlDelay = min(cd, time.Duration(cfg.MaxCrawlDelay))
		h.delay = max(h.delay, h.crawlDelay)
		if h.crawlDelay > slowDelay {
			d.c.log.Warn("robots.txt Crawl-delay is above a minute: this host is crawled slowly (--max-crawl-delay caps it)",
				"host", h.key, "crawl_delay", h.crawlDelay.String(), "asked", cd.String())
		}
	}
	if cfg.Sitemaps && !h.sitemapsQueued {
		h.sitemapsQueued = true
		d.queueSitemaps(h, rb.Sitemaps())
	}
}

// reuseRobots installs the robots.txt an earlier invocation stored for h, if
// it is younger than robotsMaxAge and was not an unreachable one (those are
// asked again, RFC 9309 §2.3.1.4), so that a resumed or repeated crawl does
// not fetch it again; a stored file is read off the dispatcher's goroutine
// (see afterRead). It reports whether that read was started; it tries once
// per host.
func (d *dispatcher) reuseRobots(h *hostQueue, now time.Time) (reading bool) {
	st := h.storedRobots
	h.storedRobots = record.HostState{}
	if st.RobotsFetchedAt.IsZero() || now.Sub(st.RobotsFetchedAt) > robotsMaxAge || st.RobotsFetchedAt.After(now) {
		return false
	}
	switch status := politeness.RobotsStatus(st.RobotsStatus); status {
	case politeness.RobotsOK:
		h.robotsReading = true
		d.reads.robots(h.key, st.RobotsFetchedAt)
		return true
	case politeness.RobotsAllowAll4xx, politeness.RobotsRedirectLoop, politeness.RobotsTooManyRedirects:
		d.installRobots(h, politeness.AllowAll(), status, st.RobotsFetchedAt)
		d.c.log.Debug("robots.txt reused from the database", "host", h.key, "fetched_at", st.RobotsFetchedAt)
	}
	return false
}

// saveHost stores h's politeness state. A non-zero pauseUntil is a pause
// (Retry-After, back-off) the host asked for; the latest one is kept in
// every later save of the host, so that a response arriving after the pause
// began does not erase it.
func (d *dispatcher) saveHost(h *hostQueue, pauseUntil time.Time) {
	d.enqueueHost(d.hostState(h, pauseUntil))
}

// enqueueHost hands a host state to the writer's next transaction.
func (d *dispatcher) enqueueHost(st record.HostState) {
	d.sidePending++
	d.w.enqueue(record.Batch{Hosts: []record.HostState{st}})
}

// hostState is what the store keeps of h's politeness state, with
// pauseUntil (see saveHost).
func (d *dispatcher) hostState(h *hostQueue, pauseUntil time.Time) record.HostState {
	if pauseUntil.After(h.pausedUntil) {
		h.pausedUntil = pauseUntil
	}
	return record.HostState{Host: h.key, RobotsStatus: string(h.robotsStatus), RobotsFetchedAt: h.robotsAt,
		CrawlDelay: h.crawlDelay, Delay: h.delay, BackoffUntil: h.pausedUntil, ParkedReason: cmp.Or(h.parkedWhy, h.parked),
		Failures: h.health.Failures()}
}

// queueSitemaps puts a host's sitemaps (those robots.txt names, or
// /sitemap.xml when it names none) into the frontier, where they are fetched
// through the same politeness gate as pages.
func (d *dispatcher) queueSitemaps(h *hostQueue, listed []string) {
	if len(listed) == 0 {
		listed = []string{h.key + "/sitemap.xml"}
	}
	var found []record.NewURL
	for _, s := range listed {
		u, err := d.c.canon.Canonical(s)
		if err != nil {
			continue
		}
		found = append(found, d.c.discover(u, record.Job{}, 0, viaSitemap))
	}
	if len(found) == 0 {
		return
	}
	d.sidePending++
	d.w.enqueue(record.Batch{Outcomes: []record.Outcome{{Discovered: found}}})
}
