package crawler

import (
	"container/heap"
	"time"

	"github.com/trawl-crawler/trawl/politeness"
	"github.com/trawl-crawler/trawl/store/record"
)

// hostQueue is the in-memory part of one host's queue: a bounded window of
// queued URLs read from the store, the jobs waiting to be retried, and the
// politeness state that decides when the host may be asked again.
type hostQueue struct {
	key         string
	window      []record.Job        // in crawl order, not yet dispatched
	retries     []retryJob          // failed attempts waiting for their back-off
	more        bool                // the store may hold queued URLs not in window
	moreSeq     uint64              // counts the commits that queued URLs of the host (see setMore)
	reading     bool                // the next URLs of the queue are being read
	started     bool                // taken from the heap at least once in this run
	inflight    int                 // requests on the wire: robots.txt, or a page until its response is in
	next        time.Time           // earliest start of the next request
	claimed     map[int64]struct{}  // ids in window, retries, in flight or awaiting commit
	pages       int                 // pages fetched from this host in this run
	delay       time.Duration       // effective gap between request starts
	capped      bool                // reached --max-pages-per-host, or parked
	unheld      bool                // on a HostLeaser: another worker's, or nobody's (see leasing)
	health      *politeness.Health  // what the host's responses say of it
	retryAt     map[int64]time.Time // when failed attempts awaiting their commit may be retried
	lastRetry   bool                // the last task taken was a retry
	parked      string              // why the host was parked, if it was (a class)
	parkedWhy   string              // the details, for hosts.parked_reason
	pausedUntil time.Time           // the latest pause the host asked for, kept in hosts.backoff_until

	robots         *politeness.Robots // nil until fetched (or when ignored)
	robotsStatus   politeness.RobotsStatus
	robotsAt       time.Time        // when robots was fetched; refetched after robotsMaxAge
	robotsBusy     bool             // a robots.txt request is in flight
	robotsReading  bool             // the stored robots.txt is being read
	robotsFails    int              // consecutive unreachable robots.txt fetches
	robotsErr      *FetchError      // why robots.txt is unreachable, once given up on
	storedRobots   record.HostState // robots.txt outcome an earlier invocation stored; zero once used
	sitemapsQueued bool             // this process has queued the host's sitemaps
	crawlDelay     time.Duration    // from robots.txt, capped
	latency        time.Duration    // smoothed response time, for the auto-throttle
	bestLatency    time.Duration    // lowest smoothed response time, for the auto-throttle
	savedDelay     time.Duration    // the delay last written to the store
	index          int              // position in the ready heap, -1 when absent
	ready          time.Time        // heap key, computed by readyAt
}

type retryJob struct {
	job       record.Job
	notBefore time.Time
}

func newHostQueue(key string, delay time.Duration, health *politeness.Health) *hostQueue {
	return &hostQueue{key: key, claimed: map[int64]struct{}{}, index: -1, delay: delay, more: true,
		health: health, retryAt: map[int64]time.Time{}}
}

// setMore notes that the store may hold queued URLs of the host not in its
// window. A read of the queue that began before does not unset it: it may
// not have seen them.
func (h *hostQueue) setMore() {
	h.more = true
	h.moreSeq++
}

// hasWork reports whether the host has anything to dispatch now or later.
// A host waiting for a read of the store has none until the read is in.
func (h *hostQueue) hasWork() bool {
	return !h.capped && !h.unheld && !h.robotsBusy && !h.robotsReading &&
		(len(h.window) > 0 || len(h.retries) > 0 || h.more && !h.reading)
}

// readyAt returns when the host could next start a request.
func (h *hostQueue) readyAt() time.Time {
	t := h.next
	if len(h.window) == 0 && (!h.more || h.reading) && len(h.retries) > 0 {
		earliest := h.retries[0].notBefore
		for _, r := range h.retries[1:] {
			if r.notBefore.Before(earliest) {
				earliest = r.notBefore
			}
		}
		if earliest.After(t) {
			t = earliest
		}
	}
	return t
}

// takeRetry removes and returns a retry whose back-off has passed.
func (h *hostQueue) takeRetry(now time.Time) (record.Job, bool) {
	for i, r := range h.retries {
		if !r.notBefore.After(now) {
			h.retries = append(h.retries[:i], h.retries[i+1:]...)
			return r.job, true
		}
	}
	return record.Job{}, false
}

// hostHeap orders hosts by the time they may next be asked. Only hosts with
// work and a free concurrency slot are in it, so the top is always the next
// host a fetcher can serve.
type hostHeap []*hostQueue

func (q hostHeap) Len() int           { return len(q) }
func (q hostHeap) Less(i, j int) bool { return q[i].ready.Before(q[j].ready) }
func (q hostHeap) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

// Push adds x, a *hostQueue; use heap.Push.
func (q *hostHeap) Push(x any) {
	h := x.(*hostQueue)
	h.index = len(*q)
	*q = append(*q, h)
}

// Pop removes the last element; use heap.Pop.
func (q *hostHeap) Pop() any {
	old := *q
	h := old[len(old)-1]
	old[len(old)-1] = nil
	h.index = -1
	*q = old[:len(old)-1]
	return h
}

// frontier is the scheduler's view of all hosts. It is owned by the dispatch
// goroutine and not safe for concurrent use.
type frontier struct {
	hosts   map[string]*hostQueue
	ready   hostHeap
	perHost int
}

func newFrontier(perHost int) *frontier {
	return &frontier{hosts: map[string]*hostQueue{}, perHost: perHost}
}

func (f *frontier) host(key string, delay time.Duration, health func() *politeness.Health) *hostQueue {
	h, ok := f.hosts[key]
	if !ok {
		h = newHostQueue(key, delay, health())
		f.hosts[key] = h
	}
	return h
}

// fix puts h where it belongs: in the heap at its ready time when it has work
// and a free slot, out of it otherwise.
func (f *frontier) fix(h *hostQueue) {
	eligible := h.hasWork() && h.inflight < f.perHost
	switch {
	case eligible && h.index < 0:
		h.ready = h.readyAt()
		heap.Push(&f.ready, h)
	case eligible:
		h.ready = h.readyAt()
		heap.Fix(&f.ready, h.index)
	case h.index >= 0:
		heap.Remove(&f.ready, h.index)
	}
}

// peek returns the host that may be served first, or nil.
func (f *frontier) peek() *hostQueue {
	if len(f.ready) == 0 {
		return nil
	}
	return f.ready[0]
}
