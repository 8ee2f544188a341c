// Package storetest is the contract every trawl store backend keeps: one
// suite of tests that drives a backend through the calls a crawl makes
// (commits of outcomes, queue reads, host state, runs, cookies, kept bodies)
// and asserts exact results, in the records of store/record and in the rows
// of the documented tables and views. The SQLite store and the PostgreSQL
// store both run it; that both pass is what lets crawler, and a user's
// queries, treat them alike.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/store/record"
)

// Backend is a store under test: what crawler and the run lifecycle call,
// and a way to read its tables and views.
type Backend interface {
	crawler.Store
	crawler.BodyStore
	Cookies(ctx context.Context) ([]record.Cookie, error)

	LastRun(ctx context.Context) (*record.Run, error)
	GetRun(ctx context.Context, id int64) (*record.Run, error)
	StartRun(ctx context.Context, kind string, config []byte) (*record.Run, error)
	ResumeRun(ctx context.Context, id int64, config []byte) error
	EndRun(ctx context.Context, id int64, status string) error
	AbandonQueue(ctx context.Context) error
	RequeueStale(ctx context.Context, runID int64, cutoff time.Time, retry []string) (int64, error)
	FirstStartSince(ctx context.Context, t time.Time) (time.Time, error)
	RunSucceeded(ctx context.Context, id int64) (bool, error)

	Lock(ctx context.Context) error
	Unlock(ctx context.Context) error

	// Query runs a read-only query, in SQL both backends read alike (no
	// parameters, JSON columns cast to TEXT), and returns its rows with
	// each value rendered by Text.
	Query(ctx context.Context, sql string) ([][]string, error)
	// Reopen closes the backend and opens the same database again, as a
	// later trawl process would.
	Reopen(t *testing.T) Backend
}

// Text renders one value read from a database, so that both backends'
// drivers give the same text: NULL for null, integers and floats in their
// shortest form, booleans as SQLite's 1 and 0, bytes as text.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// Run runs the contract against backends that open returns, a new empty
// database for each test.
func Run(t *testing.T, open func(t *testing.T) Backend) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.f(&env{t: t, b: open(t), ctx: context.Background()})
		})
	}
}

var cases = []struct {
	name string
	f    func(*env)
}{
	{"QueueOrderAndDedup", testQueueOrderAndDedup},
	{"QueueLimitAndExclude", testQueueLimitAndExclude},
	{"CommitIsAtomic", testCommitIsAtomic},
	{"OutcomeCounters", testOutcomeCounters},
	{"DiscoveredSkips", testDiscoveredSkips},
	{"SoftSkipRescue", testSoftSkipRescue},
	{"SeenSetSurvivesReopen", testSeenSetSurvivesReopen},
	{"LaterRunRediscovery", testLaterRunRediscovery},
	{"RequeueStale", testRequeueStale},
	{"SkipHostAndHostState", testSkipHostAndHostState},
	{"RobotsBody", testRobotsBody},
	{"NotModifiedCarriesForward", testNotModifiedCarriesForward},
	{"GoneRun", testGoneRun},
	{"RetryAt", testRetryAt},
	{"RunLifecycle", testRunLifecycle},
	{"RunSucceeded", testRunSucceeded},
	{"AbandonQueue", testAbandonQueue},
	{"HostsAndPages", testHostsAndPages},
	{"Cookies", testCookies},
	{"BodiesAndReplaceItems", testBodiesAndReplaceItems},
	{"Lock", testLock},
	{"Views", testViews},
	{"StoredText", testStoredText},
}

// env is one test's backend with helpers that fail the test on an error.
type env struct {
	t   *testing.T
	b   Backend
	ctx context.Context
}

// t0 is the time the tests' fetches happen around.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

const (
	hostA = "http://a.test:80"
	hostB = "http://b.test:80"
)

func link(u string, depth int) record.NewURL {
	return record.NewURL{URL: u, Host: hostOf(u), Depth: depth, Via: "link"}
}

func seed(u string) record.NewURL {
	return record.NewURL{URL: u, Host: hostOf(u), Via: "seed", Revisit: true}
}

func hostOf(u string) string {
	if strings.HasPrefix(u, "http://b.test") {
		return hostB
	}
	return hostA
}

func (e *env) startRun() *record.Run {
	e.t.Helper()
	r, err := e.b.StartRun(e.ctx, "crawl", []byte(`{"seeds":["http://a.test/"]}`))
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) commit(runID int64, b record.Batch) record.CommitResult {
	e.t.Helper()
	res, err := e.b.Commit(e.ctx, runID, b)
	if err != nil {
		e.t.Fatalf("Commit: %v", err)
	}
	return res
}

func (e *env) discover(runID int64, urls ...record.NewURL) record.CommitResult {
	e.t.Helper()
	return e.commit(runID, record.Batch{Outcomes: []record.Outcome{{Discovered: urls}}})
}

func (e *env) outcomes(runID int64, outs ...record.Outcome) record.CommitResult {
	e.t.Helper()
	return e.commit(runID, record.Batch{Outcomes: outs})
}

func (e *env) queue(host string, limit int) []record.Job {
	e.t.Helper()
	jobs, err := e.b.QueuedURLs(e.ctx, host, limit, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return jobs
}

// job returns the queued job of url, failing when it is not queued.
func (e *env) job(u string) record.Job {
	e.t.Helper()
	for _, j := range e.queue(hostOf(u), 1000) {
		if j.URL == u {
			return j
		}
	}
	e.t.Fatalf("%s is not queued", u)
	return record.Job{}
}

func (e *env) rows(q string) []string {
	e.t.Helper()
	rows, err := e.b.Query(e.ctx, q)
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	out := []string{}
	for _, r := range rows {
		out = append(out, strings.Join(r, "|"))
	}
	return out
}

// want checks that query q gives exactly the rows want (values joined by |).
func (e *env) want(q string, want ...string) {
	e.t.Helper()
	got := e.rows(q)
	if want == nil {
		want = []string{}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		e.t.Errorf("%s\n got:\n\t%s\nwant:\n\t%s", q, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func (e *env) urlsOf(jobs []record.Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.URL)
	}
	return out
}

func done(j record.Job, at time.Time, status int) record.Outcome {
	return record.Outcome{Job: j, State: record.StateDone, Fetch: &record.Fetch{At: at, Status: status, Size: 100}}
}

func eq[T comparable](e *env, what string, got, want T) {
	e.t.Helper()
	if got != want {
		e.t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func classes(r record.CommitResult) string {
	var parts []string
	for k, v := range r.Classes {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func newByHost(r record.CommitResult) string {
	var parts []string
	for k, v := range r.NewByHost {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}
