package crawler

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/record"
)

// fakeStore is a Store made of functions, so that a test of the scheduler
// says what each read and commit does (usually memStore's, some of them
// wrapped to watch or to fail) without a database.
type fakeStore struct {
	commit      func(ctx context.Context, runID int64, b record.Batch) (record.CommitResult, error)
	queuedHosts func(ctx context.Context) ([]string, error)
	queuedURLs  func(ctx context.Context, host string, limit int, exclude map[int64]struct{}) ([]record.Job, error)
	hostStates  func(ctx context.Context) (map[string]record.HostState, error)
	robotsBody  func(ctx context.Context, host string) ([]byte, error)
	hostPages   func(ctx context.Context, runID int64) (map[string]int, error)
	countQueued func(ctx context.Context) (int64, error)
}

var _ Store = (*fakeStore)(nil)

func (f *fakeStore) Commit(ctx context.Context, runID int64, b record.Batch) (record.CommitResult, error) {
	return f.commit(ctx, runID, b)
}
func (f *fakeStore) QueuedHosts(ctx context.Context) ([]string, error) { return f.queuedHosts(ctx) }
func (f *fakeStore) QueuedURLs(ctx context.Context, host string, limit int, exclude map[int64]struct{}) ([]record.Job, error) {
	return f.queuedURLs(ctx, host, limit, exclude)
}
func (f *fakeStore) HostStates(ctx context.Context) (map[string]record.HostState, error) {
	return f.hostStates(ctx)
}
func (f *fakeStore) RobotsBody(ctx context.Context, host string) ([]byte, error) {
	return f.robotsBody(ctx, host)
}
func (f *fakeStore) HostPages(ctx context.Context, runID int64) (map[string]int, error) {
	return f.hostPages(ctx, runID)
}
func (f *fakeStore) CountQueued(ctx context.Context) (int64, error) { return f.countQueued(ctx) }

// memStore is a frontier in memory that keeps the Store contract for one
// run: Commit is atomic and ignores URLs the run has seen, and the reads see
// every commit that returned. It keeps no fetches, only each URL's state.
type memStore struct {
	mu    sync.Mutex
	urls  map[string]*memURL
	byID  map[int64]*memURL
	hosts map[string]record.HostState
	seq   int
}

type memURL struct {
	job    record.Job
	seq    int
	state  string
	reason string
	tries  int // attempts committed, retries included
}

func newMemStore() *memStore {
	return &memStore{urls: map[string]*memURL{}, byID: map[int64]*memURL{}, hosts: map[string]record.HostState{}}
}

// fake returns a Store whose functions are m's; a test may replace some.
func (m *memStore) fake() *fakeStore {
	return &fakeStore{commit: m.commit, queuedHosts: m.queuedHosts, queuedURLs: m.queuedURLs,
		hostStates: m.hostStates, robotsBody: m.robotsBody, hostPages: m.hostPages, countQueued: m.countQueued}
}

// queue adds URLs of host (paths under it) as queued, as an earlier
// invocation of the run would have left them.
func (m *memStore) queue(host string, paths ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range paths {
		m.add(record.NewURL{URL: host + p, Host: host, Via: viaLink, Depth: 1})
	}
}

// add records n unless the run has seen its URL, and reports whether it
// was queued.
func (m *memStore) add(n record.NewURL) bool {
	if _, seen := m.urls[n.URL]; seen {
		return false
	}
	m.seq++
	u := &memURL{job: record.Job{ID: record.URLID(n.URL), URL: n.URL, Host: n.Host, Depth: n.Depth, Via: n.Via,
		Hops: n.Hops, Chain: n.Chain}, seq: m.seq, state: record.StateQueued}
	if n.Skip != "" {
		u.state, u.reason = record.StateSkipped, n.Skip
	}
	m.urls[n.URL], m.byID[u.job.ID] = u, u
	return n.Skip == ""
}

func (m *memStore) commit(_ context.Context, _ int64, b record.Batch) (record.CommitResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	res := record.CommitResult{NewByHost: map[string]int{}, Classes: map[string]int64{}}
	for _, o := range b.Outcomes {
		if u := m.byID[o.Job.ID]; o.Job.ID != 0 && u != nil {
			u.state, u.reason, u.job.RetryAt = o.State, o.Reason, o.RetryAt
			if o.Fetch != nil {
				u.tries++
			}
			switch {
			case o.State == record.StateQueued:
				u.job.Tries++
			case o.State == record.StateSkipped:
				res.Skipped++
				res.Classes[o.Reason]++
			case !o.NotPage:
				res.Pages++
				if o.State == record.StateFailed {
					res.Errors++
					res.Classes[o.Reason]++
				}
			}
		}
		for _, n := range o.Discovered {
			if m.add(n) {
				res.NewByHost[n.Host]++
			} else if n.Skip != "" {
				res.Skipped++
			}
		}
	}
	for _, s := range b.Skips {
		for _, u := range m.urls {
			if u.job.Host == s.Host && u.state == record.StateQueued && !slices.Contains(s.Except, u.job.ID) {
				u.state, u.reason = record.StateSkipped, s.Reason
				res.Skipped++
			}
		}
	}
	for _, h := range b.Hosts {
		if old, ok := m.hosts[h.Host]; ok && !h.NewRobots {
			h.RobotsBody = old.RobotsBody
		}
		m.hosts[h.Host] = h
	}
	return res, nil
}

func (m *memStore) queuedHosts(context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	var hosts []string
	for _, u := range m.urls {
		if u.state == record.StateQueued && !seen[u.job.Host] {
			seen[u.job.Host] = true
			hosts = append(hosts, u.job.Host)
		}
	}
	sort.Strings(hosts)
	return hosts, nil
}

func (m *memStore) queuedURLs(_ context.Context, host string, limit int, exclude map[int64]struct{}) ([]record.Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var us []*memURL
	for _, u := range m.urls {
		if _, ex := exclude[u.job.ID]; u.job.Host == host && u.state == record.StateQueued && !ex {
			us = append(us, u)
		}
	}
	sort.Slice(us, func(i, j int) bool {
		if us[i].job.Depth != us[j].job.Depth {
			return us[i].job.Depth < us[j].job.Depth
		}
		return us[i].seq < us[j].seq
	})
	var jobs []record.Job
	for _, u := range us[:min(limit, len(us))] {
		jobs = append(jobs, u.job)
	}
	return jobs, nil
}

func (m *memStore) hostStates(context.Context) (map[string]record.HostState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]record.HostState, len(m.hosts))
	for k, v := range m.hosts {
		out[k] = v
	}
	return out, nil
}

func (m *memStore) robotsBody(_ context.Context, host string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hosts[host].RobotsBody, nil
}

func (m *memStore) hostPages(context.Context, int64) (map[string]int, error) {
	return map[string]int{}, nil
}

func (m *memStore) countQueued(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for _, u := range m.urls {
		if u.state == record.StateQueued {
			n++
		}
	}
	return n, nil
}

// url returns what m holds of rawURL: its state, reason and attempts.
func (m *memStore) url(rawURL string) (state, reason string, tries int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.urls[rawURL]
	if u == nil {
		return "", "", 0
	}
	return u.state, u.reason, u.tries
}

// fakeClock is a clock the test moves: it stands still while anything is in
// flight and, driven by drive, jumps to the next timer when the scheduler
// waits for nothing else (see clock.Idle).
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	armed  map[*fakeTimer]struct{}
	idle   chan struct{}
	jumped time.Duration // the time moved on so far
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), armed: map[*fakeTimer]struct{}{},
		idle: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) timer {
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

func (c *fakeClock) Idle() {
	select {
	case c.idle <- struct{}{}:
	default:
	}
}

// next moves the clock to the earliest armed timer and fires every timer
// due then.
func (c *fakeClock) next() {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first *fakeTimer
	for t := range c.armed {
		if first == nil || t.at.Before(first.at) {
			first = t
		}
	}
	if first == nil {
		return
	}
	if first.at.After(c.now) {
		c.jumped += first.at.Sub(c.now)
		c.now = first.at
	}
	for t := range c.armed {
		if !t.at.After(c.now) {
			delete(c.armed, t)
			t.fire(c.now)
		}
	}
}

// drive moves clk on whenever the scheduler waits only for it, until done
// is closed.
func drive(clk *fakeClock, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case <-clk.idle:
			clk.next()
		}
	}
}

type fakeTimer struct {
	c  *fakeClock
	ch chan time.Time
	at time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Reset(d time.Duration) {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.drain()
	t.at = t.c.now.Add(d)
	if d <= 0 {
		delete(t.c.armed, t)
		t.fire(t.c.now)
		return
	}
	t.c.armed[t] = struct{}{}
}

func (t *fakeTimer) Stop() {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	delete(t.c.armed, t)
	t.drain()
}

func (t *fakeTimer) fire(now time.Time) {
	select {
	case t.ch <- now:
	default:
	}
}

func (t *fakeTimer) drain() {
	select {
	case <-t.ch:
	default:
	}
}

// runOn runs run runID of cfg against st on clk, which drive moves, and
// returns how it ended. A crawl that has not ended after a minute of real
// time is stopped, and the test fails.
func runOn(tb testing.TB, st Store, runID int64, clk *fakeClock, cfg Config) (Result, error) {
	tb.Helper()
	c, err := New(cfg, st, runID, nil)
	if err != nil {
		tb.Fatal(err)
	}
	c.clock = clk
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { drive(clk, done) })
	defer wg.Wait()
	defer close(done)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := c.Run(ctx)
	if ctx.Err() != nil {
		tb.Fatalf("the crawl had not ended after a minute: %s, %v", res.Status, err)
	}
	return res, err
}

// crawlRunOn starts a run of cfg in db and crawls it to the end on clk.
func crawlRunOn(tb testing.TB, db *store.DB, clk *fakeClock, cfg Config) Result {
	tb.Helper()
	b, _ := json.Marshal(cfg)
	run, err := db.StartRun(context.Background(), "crawl", b)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := runOn(tb, db, run.ID, clk, cfg)
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return res
}

// stamps records when, on a fake clock, a server received each request.
type stamps struct {
	clk *fakeClock
	mu  sync.Mutex
	all []stamp
}

type stamp struct {
	path string
	at   time.Time
}

// wrap records every request h serves.
func (s *stamps) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.all = append(s.all, stamp{path: r.URL.Path, at: s.clk.Now()})
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// list returns the stamps in the order the requests came.
func (s *stamps) list() []stamp {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.all)
}

// pages returns the stamps of requests other than robots.txt, in order.
func (s *stamps) pages() []stamp {
	var out []stamp
	for _, st := range s.list() {
		if st.path != "/robots.txt" {
			out = append(out, st)
		}
	}
	return out
}

// of returns the times path was requested.
func (s *stamps) of(path string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Time
	for _, st := range s.all {
		if st.path == path {
			out = append(out, st.at)
		}
	}
	return out
}
