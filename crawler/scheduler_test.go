package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store/record"
)

// Tests of the scheduler on a Store in memory and a clock the test moves:
// the requests are real, to servers on loopback, and their times are the
// clock's, so that a delay or a back-off of seconds is checked to the
// instant and costs no waiting.

var htmlType = map[string]string{"Content-Type": "text/html"}

// paths returns n paths /p0 ... /pN-1.
func paths(n int) []string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("/p%d", i)
	}
	return ps
}

// siteOn starts a host whose requests are stamped with clk's time, and
// whose paths answer as mux says (a 200 page for any other path).
func siteOn(tb testing.TB, clk *fakeClock, ip string, mux *http.ServeMux) (*fixtures.Host, *stamps) {
	tb.Helper()
	if mux == nil {
		mux = http.NewServeMux()
	}
	mux.Handle("/robots.txt", fixtures.Status(404, nil, ""))
	mux.Handle("/", fixtures.Status(200, htmlType, "<title>page</title>"))
	st := &stamps{clk: clk}
	return fixtures.MustHost(tb, fixtures.HostConfig{IP: ip}, st.wrap(mux)), st
}

// schedConfig is a configuration for scheduler tests: no robots.txt, no
// sitemaps, no auto-throttle, unless a test says otherwise.
func schedConfig(seeds ...string) Config {
	cfg := testConfig(seeds...)
	cfg.IgnoreRobots = true
	cfg.AutoThrottle = false
	return cfg
}

func TestSchedulerKeepsThePerHostLimit(t *testing.T) {
	m := newMemStore()
	var seeds []string
	var hosts []*fixtures.Host
	for i := range 2 {
		h := fixtures.MustHost(t, fixtures.HostConfig{IP: fmt.Sprintf("127.0.0.%d", i+2), Latency: 10 * time.Millisecond},
			fixtures.Status(200, htmlType, "<title>page</title>"))
		m.queue(h.URL, paths(30)...)
		seeds = append(seeds, h.URL+"/")
		hosts = append(hosts, h)
	}
	cfg := schedConfig(seeds...)
	cfg.Concurrency, cfg.PerHost = 12, 2
	if res, err := runOn(t, m.fake(), 1, newFakeClock(), cfg); err != nil || res.Status != StatusFinished {
		t.Fatalf("%s, %v", res.Status, err)
	}
	reached := false
	for _, h := range hosts {
		rs := h.Log.Entries()
		if len(rs) != 31 {
			t.Errorf("%s served %d requests, want 31", h.URL, len(rs))
		}
		n := maxInFlight(rs)
		if n > 2 {
			t.Errorf("%s had %d requests in flight, --per-host 2", h.URL, n)
		}
		reached = reached || n == 2
	}
	if !reached {
		t.Error("no host ever had 2 requests in flight: the limit was never tested")
	}
}

// TestSchedulerHonoursTheDelay: a host is asked at most once per --delay,
// robots.txt included, however many requests --per-host allows, and not
// later than the delay asks either.
func TestSchedulerHonoursTheDelay(t *testing.T) {
	clk := newFakeClock()
	h, st := siteOn(t, clk, "", nil)
	m := newMemStore()
	m.queue(h.URL, paths(5)...)
	cfg := schedConfig(h.URL + "/")
	cfg.IgnoreRobots = false
	cfg.PerHost = 3
	const delay = 30 * time.Second
	cfg.Delay = Duration(delay)
	if res, err := runOn(t, m.fake(), 1, clk, cfg); err != nil || res.Status != StatusFinished {
		t.Fatalf("%s, %v", res.Status, err)
	}
	all := st.list()
	if len(all) != 7 || all[0].path != "/robots.txt" {
		t.Fatalf("requests %v, want robots.txt and 6 pages", all)
	}
	for i := 1; i < len(all); i++ {
		if gap := all[i].at.Sub(all[i-1].at); gap < delay || gap >= 2*delay {
			t.Errorf("%s asked %s after %s; --delay is %s", all[i].path, gap, all[i-1].path, delay)
		}
	}
}

// TestSchedulerRetriesBackOff: each retry of a failing URL waits longer
// than the one before, from --retry-base doubled per attempt (with jitter
// between half and all of it).
func TestSchedulerRetriesBackOff(t *testing.T) {
	clk := newFakeClock()
	mux := http.NewServeMux()
	mux.Handle("/flaky", fixtures.Sequence(fixtures.Status(503, nil, "busy"), fixtures.Status(503, nil, "busy"),
		fixtures.Status(200, htmlType, "<title>at last</title>")))
	h, st := siteOn(t, clk, "", mux)
	m := newMemStore()
	cfg := schedConfig(h.URL + "/flaky")
	cfg.Retries = 2
	const base = 8 * time.Second
	cfg.RetryBase = Duration(base)
	if res, err := runOn(t, m.fake(), 1, clk, cfg); err != nil || res.Status != StatusFinished {
		t.Fatalf("%s, %v", res.Status, err)
	}
	at := st.of("/flaky")
	if len(at) != 3 {
		t.Fatalf("/flaky asked %d times, want 3", len(at))
	}
	if gap := at[1].Sub(at[0]); gap < base/2 || gap > base {
		t.Errorf("first retry after %s, want between %s and %s", gap, base/2, base)
	}
	if gap := at[2].Sub(at[1]); gap < base || gap > 2*base {
		t.Errorf("second retry after %s, want between %s and %s", gap, base, 2*base)
	}
	if state, _, tries := m.url(h.URL + "/flaky"); state != record.StateDone || tries != 3 {
		t.Errorf("/flaky %s after %d attempts, want done after 3", state, tries)
	}
}

// TestSchedulerRefillsTheWindow: a host's queue is read a window at a
// time, so that what the scheduler holds stays bounded by the window, not
// by the queue, and every URL is fetched once.
func TestSchedulerRefillsTheWindow(t *testing.T) {
	clk := newFakeClock()
	h, st := siteOn(t, clk, "", nil)
	m := newMemStore()
	const queued = 3*windowSize + 10
	m.queue(h.URL, paths(queued)...)
	fs := m.fake()
	var mu sync.Mutex
	var reads int
	handed := map[string]bool{}
	fs.queuedURLs = func(ctx context.Context, host string, limit int, exclude map[int64]struct{}) ([]record.Job, error) {
		mu.Lock()
		defer mu.Unlock()
		reads++
		if limit <= 0 || limit > windowSize {
			t.Errorf("read %d URLs at once, want at most the window, %d", limit, windowSize)
		}
		held := 0 // handed out and not yet committed: in the window, in flight, awaiting the writer
		for u := range handed {
			if state, _, _ := m.url(u); state == record.StateQueued {
				held++
			}
		}
		if held+limit > 2*windowSize {
			t.Errorf("the scheduler holds %d URLs not yet committed and asks for %d more: its memory grows with the queue", held, limit)
		}
		jobs, err := m.queuedURLs(ctx, host, limit, exclude)
		for _, j := range jobs {
			if handed[j.URL] {
				t.Errorf("%s handed out twice", j.URL)
			}
			handed[j.URL] = true
		}
		return jobs, err
	}
	cfg := schedConfig(h.URL + "/")
	cfg.PerHost = 4
	if res, err := runOn(t, fs, 1, clk, cfg); err != nil || res.Status != StatusFinished {
		t.Fatalf("%s, %v", res.Status, err)
	}
	if reads < queued/windowSize+1 {
		t.Errorf("%d reads of the queue for %d URLs: the window was not refilled", reads, queued)
	}
	asked := map[string]int{}
	for _, s := range st.pages() {
		asked[s.path]++
	}
	for _, p := range append(paths(queued), "/") {
		if asked[p] != 1 {
			t.Errorf("%s asked %d times, want once", p, asked[p])
		}
	}
}

// TestSchedulerStopsOnAReadError: a store that cannot be read stops the run
// with the store's error, whichever read fails, as one that cannot be
// written does; the requests in flight end first. A failing read of a
// host's queue was logged and tried again every second, for ever: the run
// never ended.
func TestSchedulerStopsOnAReadError(t *testing.T) {
	broken := errors.New("disk I/O error")
	for _, tc := range []struct {
		read    string
		breakIt func(fs *fakeStore)
	}{
		{"QueuedHosts", func(fs *fakeStore) {
			fs.queuedHosts = func(context.Context) ([]string, error) { return nil, broken }
		}},
		{"HostPages", func(fs *fakeStore) {
			fs.hostPages = func(context.Context, int64) (map[string]int, error) { return nil, broken }
		}},
		{"HostStates", func(fs *fakeStore) {
			fs.hostStates = func(context.Context) (map[string]record.HostState, error) { return nil, broken }
		}},
		{"CountQueued", func(fs *fakeStore) {
			fs.countQueued = func(context.Context) (int64, error) { return 0, broken }
		}},
		{"QueuedURLs", func(fs *fakeStore) {
			fs.queuedURLs = func(context.Context, string, int, map[int64]struct{}) ([]record.Job, error) { return nil, broken }
		}},
		{"QueuedURLs, later", func(fs *fakeStore) {
			read := fs.queuedURLs
			n := 0
			fs.queuedURLs = func(ctx context.Context, host string, limit int, exclude map[int64]struct{}) ([]record.Job, error) {
				if n++; n > 1 {
					return nil, broken
				}
				return read(ctx, host, limit, exclude)
			}
		}},
	} {
		t.Run(tc.read, func(t *testing.T) {
			clk := newFakeClock()
			h, _ := siteOn(t, clk, "", nil)
			m := newMemStore()
			m.queue(h.URL, paths(2*windowSize)...)
			fs := m.fake()
			tc.breakIt(fs)
			res, err := runOn(t, fs, 1, clk, schedConfig(h.URL+"/"))
			if !errors.Is(err, broken) || res.Status != StatusFailed {
				t.Errorf("%s, %v; want failed with %q", res.Status, err, broken)
			}
		})
	}
}
