package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/store/record"
)

func mustOpen(tb testing.TB) (*DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "t.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, path
}

func mustRun(tb testing.TB, db *DB) *record.Run {
	tb.Helper()
	r, err := db.StartRun(context.Background(), "crawl", []byte(`{"seeds":["http://a.test/"]}`))
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

const hostA = "http://a.test:80"

// addURLs commits urls as discoveries without a fetch (as seeds and
// sitemap entries are) and returns the result.
func addURLs(tb testing.TB, db *DB, runID int64, urls []record.NewURL) (record.CommitResult, error) {
	tb.Helper()
	return db.Commit(context.Background(), runID, record.Batch{Outcomes: []record.Outcome{{Discovered: urls}}})
}

func nu(u string, depth int) record.NewURL {
	return record.NewURL{URL: u, Host: hostA, Depth: depth, Via: "link"}
}

func TestOpenRefusesForeignDatabases(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	// A SQLite database that belongs to another program.
	foreign := filepath.Join(dir, "other.db")
	odb, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := odb.Exec(`CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers(name) VALUES ('x')`); err != nil {
		t.Fatal(err)
	}
	odb.Close()
	before, _ := os.ReadFile(foreign)
	if _, err := Open(ctx, foreign); !errors.Is(err, ErrNotTrawl) {
		t.Fatalf("Open(foreign) = %v, want ErrNotTrawl", err)
	}
	after, _ := os.ReadFile(foreign)
	if !bytes.Equal(before, after) {
		t.Fatal("Open modified a foreign database")
	}
	if _, err := os.Stat(foreign + "-wal"); err == nil {
		t.Fatal("Open left a WAL file beside a foreign database")
	}

	// Not SQLite at all.
	junk := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(junk, []byte("shopping list: eggs, milk, bread, and more text than a header"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, junk); !errors.Is(err, ErrNotTrawl) {
		t.Fatalf("Open(text file) = %v, want ErrNotTrawl", err)
	}
	if b, _ := os.ReadFile(junk); !bytes.HasPrefix(b, []byte("shopping list")) {
		t.Fatal("Open modified a text file")
	}

	if _, err := Open(ctx, dir); err == nil {
		t.Fatal("Open(directory) succeeded")
	}
	if _, err := Open(ctx, filepath.Join(dir, "missing", "x.db")); err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
	if _, err := Open(ctx, filepath.Join(dir, "a?b.db")); err == nil {
		t.Fatal("Open accepted a path with '?'")
	}
}

func TestOpenMigratesAndReopens(t *testing.T) {
	ctx := context.Background()
	db, path := mustOpen(t)
	r := mustRun(t, db)
	db.Close()
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	last, err := db2.LastRun(ctx)
	if err != nil || last == nil || last.ID != r.ID || last.Status != record.RunRunning {
		t.Fatalf("LastRun after reopen = %+v, %v", last, err)
	}
	var v int
	if err := db2.r.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("user_version = %d, %v; want %d", v, err, SchemaVersion())
	}
	ro, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Reader().Exec(`DELETE FROM runs`); err == nil {
		t.Fatal("read-only handle could write")
	}
}

func TestCommitQueuesInOrderAndDeduplicates(t *testing.T) {
	ctx := context.Background()
	db, _ := mustOpen(t)
	run := mustRun(t, db)
	res, err := addURLs(t, db, run.ID, []record.NewURL{nu("http://a.test/", 0)})
	if err != nil || res.NewByHost[hostA] != 1 {
		t.Fatalf("Commit of a seed = %+v, %v", res, err)
	}
	jobs, err := db.QueuedURLs(ctx, hostA, 10, nil)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("QueuedURLs = %v, %v", jobs, err)
	}
	seed := jobs[0]
	out := record.Outcome{Job: seed, State: record.StateDone, Fetch: &record.Fetch{At: time.Now(), Status: 200, Title: "Home"},
		Links:      []record.Link{{URL: "http://a.test/b", Text: "B \"quoted\"\n"}, {URL: "http://a.test/a", Text: "A"}, {URL: "http://a.test/b", Text: "again"}},
		Discovered: []record.NewURL{nu("http://a.test/b", 1), nu("http://a.test/a", 1), nu("http://a.test/b", 1), nu("http://a.test/", 1)}}
	res, err = db.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{out}})
	if err != nil {
		t.Fatal(err)
	}
	if res.NewByHost[hostA] != 2 {
		t.Fatalf("new URLs = %d, want 2 (duplicates and the seed ignored)", res.NewByHost[hostA])
	}
	jobs, err = db.QueuedURLs(ctx, hostA, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].URL != "http://a.test/b" || jobs[1].URL != "http://a.test/a" {
		t.Fatalf("queue = %+v, want b then a (discovery order)", jobs)
	}
	ex := map[int64]struct{}{jobs[0].ID: {}}
	if j, _ := db.QueuedURLs(ctx, hostA, 10, ex); len(j) != 1 || j[0].URL != "http://a.test/a" {
		t.Fatalf("QueuedURLs with exclude = %+v", j)
	}
	// The link graph is queryable through the links view.
	var n int
	var text string
	if err := db.r.QueryRow(`SELECT count(*), max(text) FROM links WHERE from_url = 'http://a.test/' AND to_url = 'http://a.test/b'`).Scan(&n, &text); err != nil || n != 2 {
		t.Fatalf("links to b = %d, %v", n, err)
	}
	if text != "again" && text != "B \"quoted\"\n" {
		t.Fatalf("anchor text = %q", text)
	}
	var pages, discovered int64
	if err := db.r.QueryRow(`SELECT pages, discovered FROM runs WHERE id = ?`, run.ID).Scan(&pages, &discovered); err != nil || pages != 1 || discovered != 3 {
		t.Fatalf("run counters pages=%d discovered=%d err=%v", pages, discovered, err)
	}
}

func TestCommitIsAtomic(t *testing.T) {
	ctx := context.Background()
	db, _ := mustOpen(t)
	run := mustRun(t, db)
	if _, err := addURLs(t, db, run.ID, []record.NewURL{nu("http://a.test/", 0)}); err != nil {
		t.Fatal(err)
	}
	jobs, _ := db.QueuedURLs(ctx, hostA, 1, nil)
	good := record.Outcome{Job: jobs[0], State: record.StateDone, Fetch: &record.Fetch{At: time.Now(), Status: 200},
		Discovered: []record.NewURL{nu("http://a.test/new", 1)}}
	bad := record.Outcome{Job: record.Job{ID: 12345, URL: "http://a.test/x"}, State: "bogus"}
	if _, err := db.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{good, bad}}); err == nil {
		t.Fatal("Commit with a bad outcome succeeded")
	}
	var fetches, urls int
	db.r.QueryRow(`SELECT (SELECT count(*) FROM fetches), (SELECT count(*) FROM urls)`).Scan(&fetches, &urls)
	if fetches != 0 || urls != 1 {
		t.Fatalf("after a failed commit: fetches=%d urls=%d, want 0 and 1", fetches, urls)
	}
	// The failed transaction must not have poisoned the seen set.
	res, err := db.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{good}})
	if err != nil || res.NewByHost[hostA] != 1 {
		t.Fatalf("retry commit = %+v, %v", res, err)
	}
}

func TestNewRunRequeuesKnownURLs(t *testing.T) {
	ctx := context.Background()
	db, _ := mustOpen(t)
	r1 := mustRun(t, db)
	addURLs(t, db, r1.ID, []record.NewURL{nu("http://a.test/", 0)})
	jobs, _ := db.QueuedURLs(ctx, hostA, 1, nil)
	if _, err := db.Commit(ctx, r1.ID, record.Batch{Outcomes: []record.Outcome{{Job: jobs[0], State: record.StateDone, Fetch: &record.Fetch{At: time.Now(), Status: 200}}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.EndRun(ctx, r1.ID, record.RunFinished); err != nil {
		t.Fatal(err)
	}
	r2 := mustRun(t, db)
	res, err := addURLs(t, db, r2.ID, []record.NewURL{nu("http://a.test/", 0)})
	if err != nil || res.NewByHost[hostA] != 1 {
		t.Fatalf("seed in a new run: %+v, %v", res, err)
	}
	jobs2, _ := db.QueuedURLs(ctx, hostA, 1, nil)
	if len(jobs2) != 1 || jobs2[0].ID != jobs[0].ID {
		t.Fatalf("requeued = %+v, want the same URL id", jobs2)
	}
}

func TestSkipHostAndHostState(t *testing.T) {
	ctx := context.Background()
	db, _ := mustOpen(t)
	run := mustRun(t, db)
	addURLs(t, db, run.ID, []record.NewURL{nu("http://a.test/", 0), nu("http://a.test/2", 1)})
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	_, err := db.Commit(ctx, run.ID, record.Batch{
		Hosts: []record.HostState{{Host: hostA, RobotsStatus: "ok", CrawlDelay: 2 * time.Second, Delay: 2 * time.Second, BackoffUntil: until}},
		Skips: []record.SkipHost{{Host: hostA, Reason: "host-parked"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountQueued(ctx); n != 0 {
		t.Fatalf("queued after skip = %d", n)
	}
	st, err := db.HostStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := st[hostA]
	if h.RobotsStatus != "ok" || h.CrawlDelay != 2*time.Second || !h.BackoffUntil.Equal(until) {
		t.Fatalf("host state = %+v", h)
	}
}

func TestOutlinksJSONIsValid(t *testing.T) {
	links := []record.Link{{URL: "http://a/", Text: "ctl\x01\x1f tab\t", Rel: "nofollow"}, {URL: "http://b/", Text: "bad \xff utf8 ünï \\ \""}}
	b := appendOutlinks(nil, links)
	var v [][]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	if v[0][1] != "ctl\x01\x1f tab\t" || v[0][2] != "nofollow" || v[1][1] != "bad \ufffd utf8 ünï \\ \"" {
		t.Fatalf("decoded %q", v)
	}
	if id := strconv.FormatInt(record.URLID("http://a/"), 10); string(b[2:2+len(id)]) != id {
		t.Fatalf("first id in %s, want %s", b, id)
	}
}

func TestLock(t *testing.T) {
	ctx := context.Background()
	db, _ := mustOpen(t)
	if err := db.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	// A live process holds it: pid 1 always exists.
	if _, err := db.w.Exec(`UPDATE run_lock SET pid = 1, pid_start = ?`, processStart(1)); err != nil {
		t.Fatal(err)
	}
	err := db.Lock(ctx)
	var le *LockError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) || le.PID != 1 || le.Hostname != host {
		t.Fatalf("Lock held by pid 1 = %v", err)
	}
	// A dead process: a child that has exited.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec(`UPDATE run_lock SET pid = ?, pid_start = 'gone'`, cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := db.Lock(ctx); err != nil {
		t.Fatalf("stale lock not taken over: %v", err)
	}
	if err := db.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	db.r.QueryRow(`SELECT count(*) FROM run_lock`).Scan(&n)
	if n != 0 {
		t.Fatal("Unlock left the lock row")
	}
}

func TestURLIDStable(t *testing.T) {
	// Stored ids must never change between versions: this value is in
	// every existing database.
	if got := record.URLID("https://example.com/"); got != 542875998662418542 {
		t.Fatalf("URLID = %d", got)
	}
	if record.URLID("https://example.com/a") == record.URLID("https://example.com/b") {
		t.Fatal("distinct URLs share an id")
	}
}

// TestRobotsBodyKeptAcrossHostUpdates: the body is written with a new
// robots.txt fetch and left alone by the frequent delay updates after it.
func TestRobotsBodyKeptAcrossHostUpdates(t *testing.T) {
	ctx := context.Background()
	db, _ := mustOpen(t)
	run := mustRun(t, db)
	addURLs(t, db, run.ID, []record.NewURL{nu("http://a.test/", 0)})
	body := []byte("User-agent: *\nDisallow: /private\n")
	commit := func(h record.HostState) {
		t.Helper()
		if _, err := db.Commit(ctx, run.ID, record.Batch{Hosts: []record.HostState{h}}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := db.RobotsBody(ctx, "http://unknown.test:80"); err != nil || got != nil {
		t.Fatalf("RobotsBody of an unknown host = %q, %v; want nil, nil", got, err)
	}
	commit(record.HostState{Host: hostA, RobotsStatus: "ok", RobotsFetchedAt: time.Now(), RobotsBody: body, NewRobots: true})
	commit(record.HostState{Host: hostA, RobotsStatus: "ok", Delay: time.Second})
	if got, err := db.RobotsBody(ctx, hostA); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("RobotsBody after a delay update = %q, %v; want %q", got, err, body)
	}
	// An empty robots.txt is stored as empty, not as missing.
	commit(record.HostState{Host: hostA, RobotsStatus: "ok", RobotsFetchedAt: time.Now(), RobotsBody: []byte{}, NewRobots: true})
	if got, err := db.RobotsBody(ctx, hostA); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("RobotsBody of an empty file = %q (nil %v), %v; want empty, not nil", got, got == nil, err)
	}
	// A new fetch that answered 404 has no body: the old one goes.
	commit(record.HostState{Host: hostA, RobotsStatus: "allow-all-4xx", RobotsFetchedAt: time.Now(), NewRobots: true})
	if got, err := db.RobotsBody(ctx, hostA); err != nil || got != nil {
		t.Fatalf("RobotsBody after a 404 = %q, %v; want nil", got, err)
	}
}

// TestOpenSameNewFileAtOnce: processes started together (two cron entries,
// a crawl and a query) may open one new database at the same instant; every
// Open must wait its turn instead of failing with "database is locked".
func TestOpenSameNewFileAtOnce(t *testing.T) {
	ctx := context.Background()
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "new.db")
		errs := make(chan error, 6)
		for range cap(errs) {
			go func() {
				db, err := Open(ctx, path)
				if err == nil {
					err = db.Close()
				}
				errs <- err
			}()
		}
		for range cap(errs) {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}

// TestOpenReadOnlyReportsTheRealCause checks that OpenReadOnly (and Open)
// report ErrNotTrawl only for a file that is not SQLite or holds another
// application's data, and keep the real cause otherwise, naming the file.
func TestOpenReadOnlyReportsTheRealCause(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, path := mustOpen(t)
	mustRun(t, db)
	db.Close()
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	foreign := filepath.Join(dir, "other.db")
	odb, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := odb.Exec(`CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)`); err != nil {
		t.Fatal(err)
	}
	odb.Close()

	newer := write("newer.db", good)
	ndb, err := sql.Open("sqlite", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ndb.Exec(`PRAGMA user_version = 999`); err != nil {
		t.Fatal(err)
	}
	ndb.Close()

	cases := []struct {
		name, path string
		is, isNot  error
		want       string
	}{
		{"text file", write("notes.txt", []byte("shopping list: eggs, milk, bread, and more text than a header")), ErrNotTrawl, nil, "not an SQLite database"},
		{"foreign database", foreign, ErrNotTrawl, nil, "holds other data"},
		{"truncated database", write("truncated.db", good[:len(good)/2]), nil, ErrNotTrawl, "malformed"},
		{"newer schema", newer, ErrNewerSchema, ErrNotTrawl, "schema version 999"},
	}
	for _, c := range cases {
		for _, open := range []struct {
			name string
			f    func(context.Context, string, ...Option) (*DB, error)
		}{
			{"OpenReadOnly", func(ctx context.Context, p string, _ ...Option) (*DB, error) { return OpenReadOnly(ctx, p) }},
			{"Open", Open},
		} {
			before, _ := os.ReadFile(c.path)
			db, err := open.f(ctx, c.path)
			if err == nil {
				db.Close()
				t.Errorf("%s(%s) succeeded", open.name, c.name)
				continue
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("%s(%s) = %v, want %v", open.name, c.name, err, c.is)
			}
			if c.isNot != nil && errors.Is(err, c.isNot) {
				t.Errorf("%s(%s) = %v, must not be %v", open.name, c.name, err, c.isNot)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
				t.Errorf("%s(%s) = %v, want a message naming %s and saying %q", open.name, c.name, err, c.path, c.want)
			}
			if after, _ := os.ReadFile(c.path); !bytes.Equal(before, after) {
				t.Errorf("%s(%s) modified the file", open.name, c.name)
			}
		}
	}
}

// TestCloseCheckpointsTheWAL checks that closing a database leaves no WAL
// behind: the file alone is the whole database, readable where no -shm can
// be created.
func TestCloseCheckpointsTheWAL(t *testing.T) {
	db, path := mustOpen(t)
	mustRun(t, db)
	if _, err := db.r.Exec(`SELECT count(*) FROM runs`); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path + "-wal"); err != nil || st.Size() == 0 {
		t.Fatalf("no WAL content while the database is open (%v); the test proves nothing", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Close the WAL is still there (%v)", err)
	}
}

// TestOpenReadOnlyInReadOnlyDirectory reads databases in a directory the
// process may not write to, where SQLite cannot create a -shm file.
func TestOpenReadOnlyInReadOnlyDirectory(t *testing.T) {
	ctx := context.Background()
	if os.Geteuid() == 0 {
		t.Skip("root may write to any directory, so SQLite can always create the -shm file; run the tests as another user to cover this")
	}
	dir := t.TempDir()

	// A database closed cleanly: the file alone holds everything.
	clean := filepath.Join(dir, "clean.db")
	db, err := Open(ctx, clean)
	if err != nil {
		t.Fatal(err)
	}
	run := mustRun(t, db)
	db.Close()

	// A copy taken while a writer was live: its last commits are only in the
	// WAL, and there is no -shm.
	src, err := Open(ctx, filepath.Join(t.TempDir(), "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	mustRun(t, src)
	walDB := filepath.Join(dir, "wal.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(src.Path() + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(walDB+suffix, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := os.Stat(walDB + "-wal"); err != nil || st.Size() == 0 {
		t.Fatalf("the copy has no WAL content (%v); the test proves nothing", err)
	}

	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o644); err == nil {
		t.Fatal("the directory is still writable; the test proves nothing")
	}

	ro, err := OpenReadOnly(ctx, clean)
	if err != nil {
		t.Fatalf("OpenReadOnly in a read-only directory: %v", err)
	}
	var id int64
	if err := ro.Reader().QueryRow(`SELECT max(id) FROM runs`).Scan(&id); err != nil || id != run.ID {
		t.Fatalf("max run id = %d, %v; want %d", id, err, run.ID)
	}
	ro.Close()

	_, err = OpenReadOnly(ctx, walDB)
	if err == nil || errors.Is(err, ErrNotTrawl) || !strings.Contains(err.Error(), walDB) || !strings.Contains(err.Error(), "must be writable") {
		t.Fatalf("OpenReadOnly of a WAL database in a read-only directory = %v; want an error naming it and saying the directory must be writable", err)
	}
}

// TestStoredTimesSortAsTimes: times are compared as text in SQL, so their
// text must sort as the times do, also within one second.
func TestStoredTimesSortAsTimes(t *testing.T) {
	base := time.Date(2026, 12, 1, 2, 15, 0, 0, time.UTC)
	offsets := []time.Duration{0, 500 * time.Millisecond, 550 * time.Millisecond, 100 * time.Microsecond,
		time.Nanosecond, 999999999, time.Second, 10 * time.Millisecond}
	for _, a := range offsets {
		for _, b := range offsets {
			ta, tb := base.Add(a), base.Add(b)
			if got, want := formatTime(ta) < formatTime(tb), ta.Before(tb); got != want {
				t.Errorf("%s < %s as text: %v, as times: %v", formatTime(ta), formatTime(tb), got, want)
			}
			if back, err := time.Parse(time.RFC3339Nano, formatTime(ta)); err != nil || !back.Equal(ta) {
				t.Errorf("%s reads back as %v, %v", formatTime(ta), back, err)
			}
		}
	}
}

// TestSoftSkipIsQueuedWhenFoundAgain: a URL skipped softly (a suspected
// trap) is queued after all when a later commit discovers it without a skip,
// and the run's skipped counter gives it back; a hard skip stays.
func TestSoftSkipIsQueuedWhenFoundAgain(t *testing.T) {
	ctx := context.Background()
	db, _ := mustOpen(t)
	run := mustRun(t, db)
	soft, hard := nu("http://a.test/soft", 2), nu("http://a.test/hard", 2)
	soft.Skip, soft.Soft, hard.Skip = "trap", true, "out-of-scope"
	if _, err := addURLs(t, db, run.ID, []record.NewURL{soft, hard}); err != nil {
		t.Fatal(err)
	}
	res, err := addURLs(t, db, run.ID, []record.NewURL{nu("http://a.test/soft", 1), nu("http://a.test/hard", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if res.NewByHost[hostA] != 1 || res.Skipped != -1 || res.Classes["trap"] != -1 {
		t.Errorf("second commit: %+v, want the soft skip queued", res)
	}
	jobs, err := db.QueuedURLs(ctx, hostA, 10, nil)
	if err != nil || len(jobs) != 1 || jobs[0].URL != "http://a.test/soft" || jobs[0].Depth != 1 {
		t.Fatalf("queue = %+v, %v; want /soft at depth 1", jobs, err)
	}
	var skipped int
	db.r.QueryRow(`SELECT skipped FROM runs WHERE id = ?`, run.ID).Scan(&skipped)
	if skipped != 1 {
		t.Errorf("runs.skipped = %d, want 1 (the hard skip)", skipped)
	}
}

// TestFirstStartSince: the earliest start at or after t, compared as times.
func TestFirstStartSince(t *testing.T) {
	ctx := context.Background()
	db, _ := mustOpen(t)
	if got, err := db.FirstStartSince(ctx, time.Time{}); err != nil || !got.IsZero() {
		t.Fatalf("no runs: %v, %v; want the zero time", got, err)
	}
	r1, r2 := mustRun(t, db), mustRun(t, db)
	if got, err := db.FirstStartSince(ctx, r1.StartedAt); err != nil || !got.Equal(r1.StartedAt) {
		t.Errorf("since the first start: %v, %v; want %v", got, err, r1.StartedAt)
	}
	if got, err := db.FirstStartSince(ctx, r1.StartedAt.Add(time.Nanosecond)); err != nil || !got.Equal(r2.StartedAt) && !r2.StartedAt.Equal(r1.StartedAt) {
		t.Errorf("just after the first start: %v, %v; want %v", got, err, r2.StartedAt)
	}
	if got, err := db.FirstStartSince(ctx, r2.StartedAt.Add(time.Nanosecond)); err != nil || !got.IsZero() {
		t.Errorf("after every start: %v, %v; want the zero time", got, err)
	}
}

// TestFullDiskIsErrDiskFull fills a capped database: the commit that does
// not fit fails with ErrDiskFull naming the file, and takes nothing with it.
func TestFullDiskIsErrDiskFull(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "full.db")
	db, err := Open(ctx, path, MaxSize(400<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run := mustRun(t, db)
	text := strings.Repeat("words that fill the file ", 400)
	var committed int
	for i := range 1000 {
		u := "http://a.test/" + strconv.Itoa(i)
		_, err = db.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{{
			Job: record.Job{ID: record.URLID(u), URL: u, Host: hostA}, State: record.StateDone,
			Fetch: &record.Fetch{At: time.Now(), Status: 200, MainText: text}}}})
		if err != nil {
			break
		}
		committed++
	}
	if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), path) {
		t.Fatalf("after %d commits: %v; want ErrDiskFull naming %s", committed, err, path)
	}
	if committed == 0 {
		t.Fatal("the first commit did not fit; the test proves nothing")
	}
	var fetches, pages int
	db.r.QueryRow(`SELECT (SELECT count(*) FROM fetches), (SELECT pages FROM runs WHERE id = ?)`, run.ID).Scan(&fetches, &pages)
	if fetches != committed || pages != committed {
		t.Errorf("fetches %d, run pages %d; want the %d commits that fit", fetches, pages, committed)
	}
	if err := db.EndRun(ctx, run.ID, record.RunFailed); err != nil && !errors.Is(err, ErrDiskFull) {
		t.Errorf("EndRun on a full database: %v", err)
	}
}

// TestRunSucceededCountsA304OnlyForAStoredCopy: a 304 is a success when it
// confirmed the stored copy, not when a server answers 304 to a plain GET
// (there is no copy: nothing was fetched).
func TestRunSucceededCountsA304OnlyForAStoredCopy(t *testing.T) {
	ctx := context.Background()
	db, _ := mustOpen(t)
	cases := []struct {
		status int
		change string
		want   bool
	}{{304, "new", false}, {304, "unchanged", true}, {200, "new", true}, {404, "new", false}}
	for _, c := range cases {
		run := mustRun(t, db)
		u := "http://a.test/" + strconv.Itoa(int(run.ID))
		if _, err := addURLs(t, db, run.ID, []record.NewURL{nu(u, 0)}); err != nil {
			t.Fatal(err)
		}
		_, err := db.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{{
			Job: record.Job{ID: record.URLID(u), URL: u, Host: hostA}, State: record.StateDone,
			Fetch: &record.Fetch{At: time.Now(), Status: c.status, Change: c.change}}}})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := db.RunSucceeded(ctx, run.ID); err != nil || got != c.want {
			t.Errorf("a run whose one response is %d (%s): RunSucceeded = %v, %v; want %v", c.status, c.change, got, err, c.want)
		}
	}
}

// TestRefreshDueRuleIsOneRule: a refresh queues the same URLs whether they
// come back through RequeueStale (at its start) or through Commit (when a
// link or sitemap finds them again): those fetched before the cutoff, those
// never fetched successfully, and those whose sitemap lastmod is newer than
// their fetch.
func TestRefreshDueRuleIsOneRule(t *testing.T) {
	ctx := context.Background()
	cutoff := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	lastmod := map[string]string{"http://a.test/changed": "2026-06-01T15:00:00Z"}
	history := func(t *testing.T) (*DB, int64, []record.NewURL) {
		db, _ := mustOpen(t)
		r1 := mustRun(t, db)
		var found []record.NewURL
		for _, u := range []string{"http://a.test/old", "http://a.test/new", "http://a.test/failed", "http://a.test/changed"} {
			n := nu(u, 0)
			n.LastMod = lastmod[u]
			found = append(found, n)
		}
		if _, err := addURLs(t, db, r1.ID, found); err != nil {
			t.Fatal(err)
		}
		at := map[string]time.Time{"http://a.test/old": cutoff.Add(-time.Hour)}
		var outs []record.Outcome
		for _, n := range found {
			o := record.Outcome{Job: record.Job{ID: record.URLID(n.URL), URL: n.URL, Host: hostA}, State: record.StateDone,
				Fetch: &record.Fetch{At: cmp.Or(at[n.URL], cutoff.Add(time.Hour)), Status: 200}}
			if n.URL == "http://a.test/failed" {
				o.State, o.Fetch = record.StateFailed, &record.Fetch{At: cutoff.Add(-time.Hour), ErrorClass: "connect"}
			}
			outs = append(outs, o)
		}
		if _, err := db.Commit(ctx, r1.ID, record.Batch{Outcomes: outs}); err != nil {
			t.Fatal(err)
		}
		if err := db.EndRun(ctx, r1.ID, record.RunFinished); err != nil {
			t.Fatal(err)
		}
		return db, mustRun(t, db).ID, found
	}
	queued := func(db *DB) []string {
		jobs, err := db.QueuedURLs(ctx, hostA, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		var urls []string
		for _, j := range jobs {
			urls = append(urls, j.URL)
		}
		slices.Sort(urls)
		return urls
	}
	want := []string{"http://a.test/changed", "http://a.test/failed", "http://a.test/old"}

	db, r2, _ := history(t)
	if n, err := db.RequeueStale(ctx, r2, cutoff, nil); err != nil || n != 3 {
		t.Fatalf("RequeueStale = %d, %v; want 3", n, err)
	}
	if got := queued(db); !slices.Equal(got, want) {
		t.Errorf("queued by RequeueStale: %v, want %v", got, want)
	}

	db, r2, found := history(t)
	res, err := db.Commit(ctx, r2, record.Batch{Outcomes: []record.Outcome{{Discovered: found}}, Cutoff: cutoff})
	if err != nil || res.NewByHost[hostA] != 3 {
		t.Fatalf("rediscovery = %+v, %v; want 3 queued", res, err)
	}
	if got := queued(db); !slices.Equal(got, want) {
		t.Errorf("queued by Commit: %v, want %v", got, want)
	}
}
