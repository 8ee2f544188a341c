package crawler

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/store/record"
)

// reader runs the scheduler's store reads (the next window of a host's
// queue, a host's stored robots.txt) on goroutines of their own, so that a
// slow read (a long queue, a busy disk) holds back only the host it is for,
// never the scheduling of the others. The dispatcher starts reads and takes
// their results on its loop; stop, which the dispatcher calls before its
// loop returns, cancels the reads in progress and waits for them.
type reader struct {
	st      Store
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	results chan readResult
	pending int // reads started whose results the loop has not taken (loop goroutine only)
}

type readKind int

const (
	readQueue  readKind = iota // the next URLs of a host's queue
	readRobots                 // a host's stored robots.txt
	readClaim                  // hosts leased to this worker (HostLeaser)
)

// readResult is one read's answer, for the dispatcher's loop.
type readResult struct {
	kind readKind
	host string
	// readQueue
	limit int
	seq   uint64 // the host's moreSeq when the read started
	jobs  []record.Job
	// readRobots
	body      []byte
	fetchedAt time.Time
	// readClaim
	leases []record.HostLease
	err    error
}

// newReader returns a reader whose reads take ctx (the run's: it survives
// the graceful stop that the crawl's own context asks for).
func newReader(ctx context.Context, st Store) *reader {
	ctx, cancel := context.WithCancel(ctx)
	return &reader{st: st, ctx: ctx, cancel: cancel, results: make(chan readResult, 16)}
}

// queue starts reading up to limit queued URLs of h that it has not
// claimed.
func (r *reader) queue(h *hostQueue, limit int) {
	host, seq, exclude := h.key, h.moreSeq, maps.Clone(h.claimed)
	r.start(func(ctx context.Context) readResult {
		jobs, err := r.st.QueuedURLs(ctx, host, limit, exclude)
		return readResult{kind: readQueue, host: host, limit: limit, seq: seq, jobs: jobs, err: err}
	})
}

// robots starts reading the robots.txt stored for host, fetched at
// fetchedAt.
func (r *reader) robots(host string, fetchedAt time.Time) {
	r.start(func(ctx context.Context) readResult {
		body, err := r.st.RobotsBody(ctx, host)
		return readResult{kind: readRobots, host: host, body: body, fetchedAt: fetchedAt, err: err}
	})
}

func (r *reader) start(read func(context.Context) readResult) {
	r.pending++
	r.wg.Go(func() {
		res := read(r.ctx)
		select {
		case r.results <- res:
		case <-r.ctx.Done():
		}
	})
}

// stop cancels the reads in progress and waits for them; their results are
// dropped. It may be called more than once.
func (r *reader) stop() {
	r.cancel()
	r.wg.Wait()
}
