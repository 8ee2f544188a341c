package crawler

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/store/record"
)

// maxBatch bounds one transaction. Batches form naturally: while a commit runs,
// outcomes queue up and the next commit takes them all.
const maxBatch = 512

// Part of a commit's cost is the same however many outcomes it holds (the
// transaction's begin and end, the WAL frames of the pages every commit
// touches: the run's counters, the hosts', the indexes' inner pages), so
// the writer waits up to lingerWait for lingerBatch outcomes before it
// commits fewer. On the crawl of four real documentation sites
// (bench/README.md, in-process profile), waiting 2 ms for 16 made commits
// of 5.9 outcomes and the writer 10.0% of the CPU; waiting 20 ms for 64
// made them 14.7 outcomes and the writer 8.7%, 7.9% with the store's
// larger WAL checkpoint interval (store/db.go). The wait is short beside a
// fetch and holds no host back (a host's request ends when its response
// is read, not when it is committed); an outcome committed later is
// acknowledged later and, on a kill, fetched again. A crawl of fewer
// fetchers than lingerBatch waits for as many outcomes as it has
// fetchers: with one, it never waits.
const (
	lingerBatch = 64
	lingerWait  = 20 * time.Millisecond
)

// writer is the one goroutine that writes crawl results. Fetchers hand it
// outcomes over a bounded channel (back-pressure when the disk is slow); the
// dispatcher hands it host updates and the outcomes it decides itself
// through an unbounded side queue so that the dispatcher never blocks on the
// writer, which itself waits on the dispatcher to read its
// acknowledgements.
type writer struct {
	st      Store
	runID   int64
	in      <-chan record.Outcome
	events  chan<- event
	stats   *stats
	cutoff  time.Time // see record.Batch.Cutoff
	lingerN int       // outcomes worth waiting lingerWait for: lingerBatch, or the fetchers if fewer

	committed *committedURLs // what commits queued, for the pages to come

	mu     sync.Mutex
	side   record.Batch // host states, skips, job-less discoveries and decided outcomes
	sideN  int          // enqueue calls merged into side
	notify chan struct{}
}

// newWriter returns the writer of run runID, whose batches carry cutoff (see
// record.Batch.Cutoff), for a crawl of fetchers fetchers.
func newWriter(st Store, runID int64, cutoff time.Time, fetchers int, in <-chan record.Outcome, events chan<- event, s *stats, committed *committedURLs) *writer {
	return &writer{st: st, runID: runID, cutoff: cutoff, lingerN: min(lingerBatch, fetchers), in: in, events: events, stats: s,
		committed: committed, notify: make(chan struct{}, 1)}
}

// remember adds to w.committed the URLs the committed outcomes queued
// without a skip, but not those of the hosts whose outcomes the store
// dropped (lost: see record.CommitResult.Lost), nor the job-less ones.
func (w *writer) remember(outcomes []record.Outcome, lost []string) {
	for i := range outcomes {
		o := &outcomes[i]
		if o.Job.ID == 0 || slices.Contains(lost, o.Job.Host) {
			continue
		}
		for j := range o.Discovered {
			if d := &o.Discovered[j]; d.Skip == "" {
				w.committed.add(d.Key())
			}
		}
	}
}

// enqueue adds host updates, skips and job-less discoveries (sitemaps) to the
// next transaction. It never blocks. Each call is acknowledged once committed.
func (w *writer) enqueue(b record.Batch) {
	w.mu.Lock()
	w.side.Hosts = append(w.side.Hosts, b.Hosts...)
	w.side.Skips = append(w.side.Skips, b.Skips...)
	w.side.Outcomes = append(w.side.Outcomes, b.Outcomes...)
	w.side.Releases = append(w.side.Releases, b.Releases...)
	w.sideN++
	w.mu.Unlock()
	w.wake()
}

// decided adds an outcome the dispatcher decided without a request to the
// next transaction. It never blocks. It is acknowledged like a fetcher's
// outcome, by its job.
func (w *writer) decided(o record.Outcome) {
	w.mu.Lock()
	w.side.Outcomes = append(w.side.Outcomes, o)
	w.mu.Unlock()
	w.wake()
}

func (w *writer) wake() {
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

func (w *writer) takeSide() (record.Batch, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	b, n := w.side, w.sideN
	w.side, w.sideN = record.Batch{}, 0
	return b, n
}

// linger adds to batch what arrives within lingerWait, up to w.lingerN
// outcomes, and reports whether in was closed.
func (w *writer) linger(batch []record.Outcome) ([]record.Outcome, bool) {
	t := time.NewTimer(lingerWait)
	defer t.Stop()
	for len(batch) < w.lingerN {
		select {
		case o, ok := <-w.in:
			if !ok {
				return batch, true
			}
			batch = append(batch, o)
		case <-t.C:
			return batch, false
		}
	}
	return batch, false
}

// run commits until in is closed and drained. After a failed commit it keeps
// draining (so fetchers never block) but writes nothing more: the uncommitted
// URLs stay queued for the next run.
func (w *writer) run(ctx context.Context) {
	failed := false
	for closed := false; !closed; {
		var batch []record.Outcome
		select {
		case o, ok := <-w.in:
			if !ok {
				closed = true
			} else {
				batch = append(batch, o)
			}
		case <-w.notify:
		}
	drain:
		for !closed && len(batch) < maxBatch {
			select {
			case o, ok := <-w.in:
				if !ok {
					closed = true
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		if !closed && len(batch) > 0 && len(batch) < w.lingerN {
			batch, closed = w.linger(batch)
		}
		b, sides := w.takeSide()
		b.Outcomes = append(b.Outcomes, batch...)
		b.Cutoff = w.cutoff
		if failed || (len(b.Outcomes) == 0 && len(b.Hosts) == 0 && len(b.Skips) == 0 && len(b.Releases) == 0) {
			continue
		}
		res, err := w.st.Commit(ctx, w.runID, b)
		if err != nil {
			failed = true
			w.events <- event{kind: evWriteFailed, err: err}
			continue
		}
		w.stats.committed(res)
		w.remember(b.Outcomes, res.Lost)
		ev := event{kind: evCommitted, newByHost: res.NewByHost, sides: sides, lost: res.Lost}
		ev.acks = make([]ack, 0, len(b.Outcomes))
		for _, o := range b.Outcomes {
			// The login's fetches were never the dispatcher's to wait for.
			if o.Job.ID != 0 && o.Job.Via != viaLogin {
				ev.acks = append(ev.acks, ack{job: o.Job, state: o.State})
			}
		}
		w.events <- ev
	}
}
