package crawler

import (
	"context"
	"time"

	"github.com/trawl-crawler/trawl/store/record"
)

// HostLeaser is a Store that several workers (processes, on one machine or
// several) share, whose hosts are leased to one worker at a time: only the
// holder of a host's lease fetches from it, so that --per-host and --delay
// hold across all of them. The PostgreSQL backend is one; the SQLite store
// is not, and a crawl on it schedules every host itself.
//
// A dispatcher on a HostLeaser schedules only the hosts it was given. It
// claims more while it has fetchers to spare, gives up a host once the
// store says it no longer holds it (HoldsHost, or CommitResult.Lost), and
// hands a host back (Batch.Releases, with the time still to wait before
// the host may be asked again) once it has nothing left of it in hand, or
// when the crawl stops. The run's work is over when RunDone says so.
type HostLeaser interface {
	// ClaimHosts leases up to n ready hosts of run runID to this worker.
	// gap is the delay between two requests to a host, which a host whose
	// holder vanished waits after its lease ran out.
	ClaimHosts(ctx context.Context, runID int64, n int, gap time.Duration) ([]record.HostLease, error)
	// HoldsHost reports whether a request may be sent to host now.
	HoldsHost(host string) bool
	// RunDone reports whether no URL is queued and no other worker holds
	// a host.
	RunDone(ctx context.Context) (bool, error)
}

// Claims: at most claimBatch hosts at a time, and after a claim that
// found none, the next no sooner than claimPoll later.
const (
	claimBatch = 16
	claimPoll  = 250 * time.Millisecond
)

// leasing is the dispatcher's part of a HostLeaser: the hosts it holds and
// its claims.
type leasing struct {
	st       HostLeaser
	held     map[string]*hostQueue
	claiming bool      // a claim is being read
	next     time.Time // no claim before, after one that found nothing
	timer    timer     // wakes the loop at next
	// want is how many hosts are worth holding: enough to keep every
	// fetcher busy. Holding more would keep them from other workers; and
	// a claim is made only while no held host is ready (see claim).
	want int
}

func newLeasing(st HostLeaser, c *Crawler) *leasing {
	perHost := max(c.cfg.PerHost, 1)
	want := (c.cfg.Concurrency + perHost - 1) / perHost
	return &leasing{st: st, held: map[string]*hostQueue{}, want: max(want, 1), timer: stopped(c.clock)}
}

// stopped is a timer of clk that is not running.
func stopped(clk clock) timer {
	t := clk.NewTimer(time.Hour)
	t.Stop()
	return t
}

// claim starts a claim when fetchers would otherwise idle: fewer hosts
// held than worth it and none ready now.
func (d *dispatcher) claim(now time.Time) {
	l := d.lease
	if l.claiming || len(l.held) >= l.want || now.Before(l.next) || d.idle == 0 {
		return
	}
	if top := d.fr.peek(); top != nil && !top.ready.After(now) {
		return
	}
	l.claiming = true
	n := min(l.want-len(l.held), claimBatch)
	runID, gap := d.c.runID, time.Duration(d.c.cfg.Delay)
	d.reads.start(func(ctx context.Context) readResult {
		got, err := l.st.ClaimHosts(ctx, runID, n, gap)
		return readResult{kind: readClaim, leases: got, err: err}
	})
}

// claimWake is when the loop should wake to claim again, or nil.
func (d *dispatcher) claimWake(now time.Time) <-chan time.Time {
	l := d.lease
	if l.claiming || len(l.held) >= l.want || !now.Before(l.next) {
		return nil
	}
	l.timer.Reset(l.next.Sub(now))
	return l.timer.C()
}

// afterClaim takes the hosts a claim leased to this worker.
func (d *dispatcher) afterClaim(res readResult) {
	l := d.lease
	l.claiming = false
	now := d.c.now()
	if len(res.leases) == 0 {
		l.next = now.Add(claimPoll)
		return
	}
	l.next = now
	for _, hl := range res.leases {
		h := d.host(hl.Host)
		h.unheld = false
		l.held[h.key] = h
		h.pages = hl.Pages
		h.next = now
		if d.adoptState(h, hl.State) {
			d.c.log.Warn("host parked", "host", h.key, "reason", h.parkedWhy)
			d.skipHost(h, ClassParked)
		}
		h.setMore()
		d.fr.fix(h)
	}
}

// lose forgets a host this worker no longer holds: nothing more is
// requested from it, and what it holds of its queue stays queued for the
// new holder. Outcomes of its requests in flight are dropped by the store.
func (d *dispatcher) lose(h *hostQueue) {
	if h.unheld {
		return
	}
	d.c.log.Warn("host lease lost: another worker holds the host now", "host", h.key)
	delete(d.lease.held, h.key)
	h.unheld = true
	for _, j := range h.window {
		delete(h.claimed, j.ID)
	}
	for _, r := range h.retries {
		delete(h.claimed, r.job.ID)
	}
	h.window, h.retries, h.more = nil, nil, false
	d.fr.fix(h)
}

// releaseIdle hands back the held hosts that have nothing left in hand:
// no URL in the window, no retry waiting, none in flight or awaiting its
// commit, no read of the store under way and nothing more queued (or the
// host set aside). With all, every held host is handed back: a stop, once
// nothing is in flight or awaiting its commit.
func (d *dispatcher) releaseIdle(now time.Time, all bool) {
	var rel []record.HostRelease
	for key, h := range d.lease.held {
		if !all && (h.inflight > 0 || len(h.claimed) > 0 || h.reading || h.robotsReading || h.robotsBusy ||
			len(h.window) > 0 || len(h.retries) > 0 || h.more && !h.capped) {
			continue
		}
		delete(d.lease.held, key)
		h.unheld = true
		for _, j := range h.window {
			delete(h.claimed, j.ID)
		}
		h.window, h.retries, h.more = nil, nil, false
		rel = append(rel, record.HostRelease{Host: key, Wait: max(h.next.Sub(now), 0)})
		d.fr.fix(h)
	}
	if len(rel) > 0 {
		d.sidePending++
		d.w.enqueue(record.Batch{Releases: rel})
	}
}

// leasedEnd decides what a worker on a HostLeaser does with nothing in
// hand (idle, or stopping with nothing in flight): it first hands back the
// hosts it holds; then the run is finished once RunDone says so, and a
// stop ends this worker's part with the stop's status. Otherwise (end
// false) other workers still crawl, and it claims again later.
func (d *dispatcher) leasedEnd(ctx context.Context, now time.Time, stopping bool, status string) (string, bool, error) {
	if len(d.lease.held) > 0 {
		d.releaseIdle(now, true)
		return "", false, nil
	}
	done, err := d.lease.st.RunDone(context.WithoutCancel(ctx))
	switch {
	case err != nil:
		return StatusFailed, true, err
	case done:
		return StatusFinished, true, nil
	case stopping:
		return status, true, nil
	}
	return "", false, nil
}
