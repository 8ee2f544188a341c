package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store/record"
)

// trawlBin is the real binary, built once by TestMain.
var trawlBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trawl-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	trawlBin = filepath.Join(dir, "trawl")
	build := exec.Command("go", "build", "-o", trawlBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build trawl:", err)
		os.Exit(1)
	}
	// pg.Run runs the tests with a throwaway PostgreSQL server, for those
	// that ask for one (postgres_test.go).
	code := pg.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// trawl runs the binary to completion.
func trawl(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, trawlBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run trawl %v: %v", args, err)
	}
	return r
}

func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// recordedURLs returns the fetched URLs with their status, and the number of
// fetch rows per URL that has more than one.
func recordedURLs(t *testing.T, path string) (map[string]int, map[string]int) {
	t.Helper()
	db := openDB(t, path)
	rows, err := db.Query(`SELECT u.url, coalesce(f.status, 0), (SELECT count(*) FROM fetches x WHERE x.url_id = u.id)
		FROM urls u LEFT JOIN fetches f ON f.id = u.last_fetch_id WHERE u.state IN ('done', 'failed') AND u.via != 'sitemap'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got, dups := map[string]int{}, map[string]int{}
	for rows.Next() {
		var u string
		var status, n int
		if err := rows.Scan(&u, &status, &n); err != nil {
			t.Fatal(err)
		}
		got[u] = status
		if n > 1 {
			dups[u] = n
		}
	}
	return got, dups
}

func compare(t *testing.T, want, got map[string]int) {
	t.Helper()
	var d []string
	for k, v := range want {
		if got[k] != v {
			d = append(d, fmt.Sprintf("%s: got %d want %d", k, got[k], v))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			d = append(d, "unexpected "+k)
		}
	}
	sort.Strings(d)
	if len(d) > 0 {
		t.Fatalf("%d differences, first: %s", len(d), strings.Join(d[:min(len(d), 8)], "; "))
	}
}

func TestKill9ResumeIsExact(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 3, PagesPerHost: 150, Seed: 42,
		BrokenPermille: 20, RedirectPermille: 20, CrossHostPermille: 80, MinBytes: 3000, MaxBytes: 6000})
	want := cl.Reachable(-1)
	db := filepath.Join(t.TempDir(), "kill.db")
	args := append([]string{"crawl", "--db", db, "--delay", "0", "--per-host", "2", "--concurrency", "6", "--quiet"}, cl.Seeds()...)

	// Kill the crawler with SIGKILL at five different moments: after the
	// server has answered these many more requests.
	kills := 0
	for _, after := range []int{5, 40, 90, 150, 230} {
		cmd := exec.Command(trawlBin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		base := cl.Log.Len()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		waitErr := make(chan error, 1)
		go func() {
			waitErr <- cl.Log.Wait(ctx, func(rs []fixtures.Request) bool { return len(rs) >= base+after })
		}()
		select {
		case err := <-waitErr:
			if err != nil {
				cancel()
				t.Fatalf("waiting for %d requests: %v", after, err)
			}
			cmd.Process.Kill()
			<-exited
			kills++
			if kills == 1 {
				// The killed run still says "running" in the database;
				// `trawl runs` knows its process is gone.
				if r := trawl(t, "runs", db, "--format", "csv"); !strings.Contains(r.stdout, "interrupted (process gone)") {
					t.Errorf("runs after kill -9: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
				}
			}
		case err := <-exited:
			// It finished before the kill point: nothing left to interrupt.
			t.Logf("crawl ended before the kill at +%d requests: %v", after, err)
		}
		cancel()
	}
	if kills < 5 {
		t.Fatalf("only %d kills landed mid-crawl; make the site bigger", kills)
	}
	r := trawl(t, args...)
	if r.code != 0 {
		t.Fatalf("final resume exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "status=finished") {
		t.Fatalf("summary: %s", r.stdout)
	}
	got, dups := recordedURLs(t, db)
	compare(t, want, got)
	if len(dups) > 0 {
		t.Fatalf("%d URLs were recorded more than once, e.g. %v", len(dups), dups)
	}
	var runs int
	openDB(t, db).QueryRow(`SELECT count(*) FROM runs`).Scan(&runs)
	if runs != 1 {
		t.Fatalf("%d runs, want the one run resumed", runs)
	}
}

func TestSIGINTStopsGracefullyAndResumes(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 2, PagesPerHost: 100, Seed: 9,
		MinBytes: 2000, MaxBytes: 3000, Latency: 5 * time.Millisecond})
	db := filepath.Join(t.TempDir(), "int.db")
	// Not --quiet: the resume hint is a warning, and -q shows errors only.
	args := append([]string{"crawl", "--db", db, "--delay", "0"}, cl.Seeds()...)
	cmd := exec.Command(trawlBin, args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.Log.Wait(ctx, func(rs []fixtures.Request) bool { return len(rs) >= 20 }); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit after SIGINT = %v, want 130; stderr: %s", err, errb.String())
	}
	// The hint is a command the user can paste: trawl spelt as it was
	// started (here an absolute path, not a bare "trawl" that may not be
	// on PATH).
	if hint := "resume (" + trawlBin + " crawl --db " + db + ")"; !strings.Contains(errb.String(), hint) {
		t.Fatalf("no resume hint %q on stderr: %s", hint, errb.String())
	}
	var status string
	openDB(t, db).QueryRow(`SELECT status FROM runs`).Scan(&status)
	if status != record.RunInterrupted {
		t.Fatalf("run status %q, want interrupted", status)
	}
	r := trawl(t, "crawl", "--db", db, "--quiet") // no seeds: everything comes from the database
	if r.code != 0 {
		t.Fatalf("resume exit %d: %s", r.code, r.stderr)
	}
	got, dups := recordedURLs(t, db)
	compare(t, cl.Reachable(-1), got)
	if len(dups) > 0 {
		t.Fatalf("duplicates: %v", dups)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	foreign := filepath.Join(dir, "notes.db")
	fdb, _ := sql.Open("sqlite", foreign)
	if _, err := fdb.Exec(`CREATE TABLE notes(x); INSERT INTO notes VALUES ('keep me')`); err != nil {
		t.Fatal(err)
	}
	fdb.Close()
	before, _ := os.ReadFile(foreign)
	textFile := filepath.Join(dir, "readme.txt")
	os.WriteFile(textFile, []byte("not a database at all, just some text to keep"), 0o644)
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o555)

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"malformed URL", []string{"crawl", "--db", filepath.Join(dir, "a.db"), "http://exa mple.com/"}, "invalid seed URL"},
		{"not http", []string{"crawl", "--db", filepath.Join(dir, "a.db"), "ftp://example.com/"}, "invalid seed URL"},
		{"unknown flag", []string{"crawl", "--bogus", "http://127.0.0.1:1/"}, "unknown flag"},
		{"bad scope", []string{"crawl", "--scope", "planet", "--db", filepath.Join(dir, "a.db"), "http://127.0.0.1:1/"}, "scope"},
		{"bad regexp", []string{"crawl", "--deny", "(", "--db", filepath.Join(dir, "a.db"), "http://127.0.0.1:1/"}, "deny"},
		{"foreign database", []string{"crawl", "--db", foreign, "http://127.0.0.1:1/"}, "not a trawl database"},
		{"text file as database", []string{"crawl", "--db", textFile, "http://127.0.0.1:1/"}, "not a trawl database"},
		{"unwritable directory", []string{"crawl", "--db", filepath.Join(ro, "x.db"), "http://127.0.0.1:1/"}, "cannot create"},
		{"no seeds", []string{"crawl", "--db", filepath.Join(dir, "none.db")}, "no seed"},
		{"zero concurrency", []string{"crawl", "--concurrency", "0", "--db", filepath.Join(dir, "a.db"), "http://127.0.0.1:1/"}, "trawl: --concurrency 0: want at least 1"},
		{"negative delay", []string{"crawl", "--delay", "-1", "--db", filepath.Join(dir, "a.db"), "http://127.0.0.1:1/"}, "trawl: --delay -1s: want zero or more"},
		{"bad scope word", []string{"crawl", "--scope", "hots", "--db", filepath.Join(dir, "a.db"), "http://127.0.0.1:1/"}, `trawl: --scope "hots": want host, domain or any`},
	}
	if os.Geteuid() == 0 {
		// root writes anywhere; the unwritable-directory case cannot fail.
		cases = append(cases[:7], cases[8:]...)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := trawl(t, tc.args...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr: %s", r.code, exitUsage, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("stderr %q: want one line mentioning %q", r.stderr, tc.want)
			}
		})
	}
	if after, _ := os.ReadFile(foreign); !bytes.Equal(before, after) {
		t.Fatal("the foreign database was modified")
	}
	if b, _ := os.ReadFile(textFile); string(b) != "not a database at all, just some text to keep" {
		t.Fatal("the text file was modified")
	}
	if _, err := os.Stat(filepath.Join(dir, "a.db")); err == nil {
		t.Fatal("a database was created for invalid input")
	}
}

func TestHelpIsAccurate(t *testing.T) {
	r := trawl(t, "crawl", "--help")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	for _, flag := range []string{"--db", "--seeds-file", "--scope", "--allow", "--deny", "--max-depth", "--max-pages",
		"--max-pages-per-host", "--concurrency", "--per-host", "--delay", "--timeout", "--max-body", "--user-agent",
		"--fresh", "--log-format", "--quiet", "--verbose"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("crawl --help does not mention %s", flag)
		}
	}
	// Both size flags take the same kind of value, and say so alike.
	for _, flag := range []string{"--max-body size ", "--max-db-size size "} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("crawl --help does not show %q", flag)
		}
	}
}

func TestDemoCrawlsBundledSite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	r := trawl(t, "demo", "--db", db)
	if r.code != 0 {
		t.Fatalf("demo exit %d: %s", r.code, r.stderr)
	}
	conn := openDB(t, db)
	var ok, notFound, denied, redirects int
	conn.QueryRow(`SELECT count(*) FILTER (WHERE status = 200), count(*) FILTER (WHERE status = 404),
		(SELECT count(*) FROM urls WHERE reason = 'robots-denied'), count(*) FILTER (WHERE status = 301 AND redirect_to LIKE '%/books/')
		FROM pages`).Scan(&ok, &notFound, &denied, &redirects)
	// pages holds the pages only: the sitemap the demo lists is read, not counted.
	if ok < 21 || notFound != 1 || denied != 1 || redirects != 1 {
		t.Fatalf("demo crawl: 200=%d 404=%d robots-denied=%d redirects=%d", ok, notFound, denied, redirects)
	}
}

func TestSecondRunIsLockedOut(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 50, Seed: 1,
		MinBytes: 2000, MaxBytes: 3000, Latency: 20 * time.Millisecond})
	db := filepath.Join(t.TempDir(), "lock.db")
	first := exec.Command(trawlBin, "crawl", "--db", db, "--quiet", "--per-host", "1", cl.Seeds()[0])
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { first.Process.Kill(); first.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.Log.Wait(ctx, func(rs []fixtures.Request) bool { return len(rs) >= 3 }); err != nil {
		t.Fatal(err)
	}
	r := trawl(t, "crawl", "--db", db, cl.Seeds()[0])
	if r.code != exitLocked {
		t.Fatalf("second run exit %d, want %d; stderr %s", r.code, exitLocked, r.stderr)
	}
	if !strings.Contains(r.stderr, fmt.Sprintf("process %d", first.Process.Pid)) {
		t.Fatalf("lock message does not name the holder: %s", r.stderr)
	}
	// After the holder dies without cleaning up, the lock is taken over.
	first.Process.Kill()
	first.Wait()
	if r := trawl(t, "crawl", "--db", db, "--quiet", "--delay", "0"); r.code != 0 {
		t.Fatalf("run after the holder died: exit %d: %s", r.code, r.stderr)
	}
}

// TestScheduledRefreshRuns runs the real binary three times over a site that
// changes between runs, as cron would, and checks the change history.
func TestScheduledRefreshRuns(t *testing.T) {
	site := fixtures.NewMutableSite()
	h := fixtures.MustHost(t, fixtures.HostConfig{}, site)
	etag := fixtures.Validators{ETag: true}
	lm := fixtures.Validators{LastModified: true}
	none := fixtures.Validators{}
	links := func(paths ...string) string {
		var b strings.Builder
		for _, p := range paths {
			fmt.Fprintf(&b, `<a href="%s">%s</a>`, p, p)
		}
		return b.String()
	}
	site.Set("/", "<title>home</title>"+links("/a", "/b", "/c", "/d", "/e"), etag)
	site.Set("/a", "<title>a</title>", etag)
	site.Set("/b", "<title>b</title>", lm)
	site.Set("/c", "<title>c</title>", none)
	site.Set("/d", "<title>d</title>", etag)
	site.Set("/e", "<title>e</title>", none)

	db := filepath.Join(t.TempDir(), "cron.db")
	cmd := []string{"crawl", h.URL + "/", "--db", db, "--delay", "0", "--revisit-after", "0s", "--sitemaps=false", "--quiet"}
	type counts struct{ new, changed, unchanged, gone int }
	runCounts := func(run int) counts {
		var c counts
		err := openDB(t, db).QueryRow(`SELECT new, changed, unchanged, gone FROM run_changes WHERE run_id = ?`, run).
			Scan(&c.new, &c.changed, &c.unchanged, &c.gone)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	notModified := func(from int) map[string]bool {
		out := map[string]bool{}
		for _, r := range h.Log.Entries()[from:] {
			if r.Status == 304 {
				out[r.Path] = true
				if r.Bytes != 0 {
					t.Errorf("%s: 304 with a body", r.Path)
				}
			}
		}
		return out
	}

	if r := trawl(t, cmd...); r.code != 0 {
		t.Fatalf("run 1: exit %d: %s", r.code, r.stderr)
	}
	if c := runCounts(1); c != (counts{new: 6}) {
		t.Fatalf("run 1 counts %+v", c)
	}

	// Between runs: /b edited, /d removed, /f added and linked from the home page.
	site.Set("/b", "<title>b, edited</title>", lm)
	site.Remove("/d")
	site.Set("/f", "<title>f</title>", etag)
	site.Set("/", "<title>home</title>"+links("/a", "/b", "/c", "/d", "/e", "/f"), etag)
	logAt := h.Log.Len()
	if r := trawl(t, cmd...); r.code != 0 {
		t.Fatalf("run 2: exit %d: %s", r.code, r.stderr)
	}
	if c := runCounts(2); c != (counts{new: 1, changed: 2, unchanged: 3, gone: 1}) {
		t.Fatalf("run 2 counts %+v, want new 1 (/f), changed 2 (/, /b), unchanged 3 (/a, /c, /e), gone 1 (/d)", c)
	}
	if nm := notModified(logAt); len(nm) != 1 || !nm["/a"] {
		t.Fatalf("run 2 304s: %v, want only /a", nm)
	}
	var goneRun int
	openDB(t, db).QueryRow(`SELECT gone_run FROM urls WHERE url = ?`, h.URL+"/d").Scan(&goneRun)
	if goneRun != 2 {
		t.Fatalf("/d gone_run = %d, want 2", goneRun)
	}

	// Between runs: only /c edited.
	site.Set("/c", "<title>c, edited</title>", none)
	logAt = h.Log.Len()
	if r := trawl(t, cmd...); r.code != 0 {
		t.Fatalf("run 3: exit %d: %s", r.code, r.stderr)
	}
	if c := runCounts(3); c != (counts{changed: 1, unchanged: 6}) {
		t.Fatalf("run 3 counts %+v, want changed 1 (/c), unchanged 6", c)
	}
	nm := notModified(logAt)
	for _, p := range []string{"/", "/a", "/b", "/f"} {
		if !nm[p] {
			t.Errorf("run 3: %s was downloaded again although unchanged with validators", p)
		}
	}
	// trawl diff names each change between runs 1 and 2; trawl runs lists three.
	r := trawl(t, "diff", db, "1", "2", "--format", "csv")
	if r.code != 0 {
		t.Fatalf("diff: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{h.URL + "/,content", h.URL + "/b,content", h.URL + "/d,status,200,404", h.URL + "/f,added"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff 1 2 lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, h.URL+"/a,") {
		t.Errorf("diff lists the unchanged /a (304):\n%s", r.stdout)
	}
	if r := trawl(t, "runs", db, "--format", "jsonl"); r.code != 0 || strings.Count(r.stdout, "\n") != 3 || !strings.Contains(r.stdout, `"kind":"refresh"`) {
		t.Errorf("runs: exit %d:\n%s", r.code, r.stdout)
	}

	// Unchanged pages keep their title and their links.
	var title string
	var outlinks int
	openDB(t, db).QueryRow(`SELECT title, outlink_count FROM pages WHERE url = ?`, h.URL+"/").Scan(&title, &outlinks)
	if title != "home" || outlinks != 6 {
		t.Fatalf("home after a 304: title %q, %d outlinks", title, outlinks)
	}
	// Its content is still the 200 it was: pages shows 200, http_status the 304.
	var status, httpStatus int
	openDB(t, db).QueryRow(`SELECT status, http_status FROM pages WHERE url = ?`, h.URL+"/a").Scan(&status, &httpStatus)
	if status != 200 || httpStatus != 304 {
		t.Errorf("/a after a 304: pages.status %d, http_status %d; want 200 and 304", status, httpStatus)
	}
}

func TestTwoCrawlsStartedAtOnce(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 40, Seed: 6,
		MinBytes: 2000, MaxBytes: 3000, Latency: 5 * time.Millisecond})
	db := filepath.Join(t.TempDir(), "race.db")
	args := []string{"crawl", "--db", db, "--delay", "0", "--quiet", "--sitemaps=false", cl.Seeds()[0]}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			cmd := exec.Command(trawlBin, args...)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			r := result{stdout: out.String(), stderr: errb.String()}
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				r.code = ee.ExitCode()
			}
			results <- r
		}()
	}
	a, b := <-results, <-results
	if a.code > b.code {
		a, b = b, a
	}
	if a.code != 0 || b.code != exitLocked {
		t.Fatalf("exit codes %d and %d, want 0 and %d\nfirst: %s\nsecond: %s", a.code, b.code, exitLocked, a.stderr, b.stderr)
	}
	if !strings.Contains(b.stderr, "in use by trawl process") {
		t.Fatalf("locked run's message: %s", b.stderr)
	}
	var check string
	openDB(t, db).QueryRow(`PRAGMA integrity_check`).Scan(&check)
	if check != "ok" {
		t.Fatalf("integrity_check: %s", check)
	}
	got, dups := recordedURLs(t, db)
	compare(t, cl.Reachable(-1), got)
	if len(dups) > 0 {
		t.Fatalf("duplicates: %v", dups)
	}
}

// TestFullDiskStopsSafelyAndResumes fills the database to its cap (SQLite
// reports SQLITE_FULL exactly as on a full disk), then resumes with room.
func TestFullDiskStopsSafelyAndResumes(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 2, PagesPerHost: 150, Seed: 12, MinBytes: 3000, MaxBytes: 5000})
	db := filepath.Join(t.TempDir(), "full.db")
	args := append([]string{"crawl", "--db", db, "--delay", "0", "--quiet", "--sitemaps=false"}, cl.Seeds()...)
	r := trawl(t, append(args, "--max-db-size", "400K")...)
	if r.code != exitFailed || !strings.Contains(r.stderr, "is full") || !strings.Contains(r.stderr, "resume") {
		t.Fatalf("exit %d, stderr %q; want %d and a full-disk message", r.code, r.stderr, exitFailed)
	}
	var check string
	var status string
	conn := openDB(t, db)
	conn.QueryRow(`PRAGMA integrity_check`).Scan(&check)
	conn.QueryRow(`SELECT status FROM runs`).Scan(&status)
	if check != "ok" || status != "failed" {
		t.Fatalf("after the full disk: integrity %q, run status %q", check, status)
	}
	before, _ := recordedURLs(t, db)
	if len(before) == 0 {
		t.Fatal("nothing was committed before the disk filled; the test proves nothing")
	}
	if r := trawl(t, args...); r.code != 0 {
		t.Fatalf("resume with room: exit %d: %s", r.code, r.stderr)
	}
	got, dups := recordedURLs(t, db)
	compare(t, cl.Reachable(-1), got)
	if len(dups) > 0 {
		t.Fatalf("duplicates after resume: %v", dups)
	}
}

// TestSeedsFileCommentsAndBadLines checks that an inline comment in a seeds
// file is not part of the URL (while a '#' inside a URL stays a fragment),
// and that bad lines are reported as FILE:LINE before any request is sent.
func TestSeedsFileCommentsAndBadLines(t *testing.T) {
	h := fixtures.MustBasicSite(t, fixtures.HostConfig{})
	dir := t.TempDir()
	seeds := filepath.Join(dir, "seeds.txt")
	os.WriteFile(seeds, []byte("\ufeff# the seeds\n"+
		"  "+h.URL+"/about/team.html   # the team\n"+
		h.URL+"/blog/2024/first-post.html#intro\n"+
		"\t\n"+
		h.URL+"/docs/guide/intro.html\t# after a tab\n"+
		h.URL+"/nofollow.html\r\n"), 0o644)
	db := filepath.Join(dir, "seeds.db")
	if r := trawl(t, "crawl", "--seeds-file", seeds, "--db", db, "--quiet", "--delay", "0", "--sitemaps=false"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rows, err := openDB(t, db).Query(`SELECT url FROM urls WHERE via = 'seed' ORDER BY url`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var u string
		rows.Scan(&u)
		got = append(got, u)
	}
	rows.Close()
	want := []string{h.URL + "/about/team.html", h.URL + "/blog/2024/first-post.html",
		h.URL + "/docs/guide/intro.html", h.URL + "/nofollow.html"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("seed URLs stored:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	h.Log.Reset()
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte(h.URL+"/ok.html\n"+
		h.URL+"/two words.html\n"+
		"# fine\n"+
		"http://[::1/\n"+
		h.URL+"/a.html "+h.URL+"/b.html\n"), 0o644)
	r := trawl(t, "crawl", "--seeds-file", bad, "--db", filepath.Join(dir, "bad.db"))
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", r.code, exitUsage, r.stderr)
	}
	for _, w := range []string{bad + `:2: "` + h.URL + `/two words.html" is not one URL`, bad + `:4: invalid seed URL "http://[::1/"`, bad + ":5: "} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	if strings.Contains(r.stderr, bad+":1:") || strings.Contains(r.stderr, bad+":3:") {
		t.Errorf("a good line was reported:\n%s", r.stderr)
	}
	if h.Log.Len() != 0 {
		t.Fatalf("%d requests were sent despite a bad seeds file", h.Log.Len())
	}
	r = trawl(t, "crawl", "--seeds-file", filepath.Join(dir, "missing.txt"), "--db", filepath.Join(dir, "bad.db"))
	wantOneLineError(t, r, exitUsage, filepath.Join(dir, "missing.txt"))
}

// TestBudgetsBelongToTheInvocation: a --max-pages given to one invocation
// does not bind the next one that resumes the run without it.
func TestBudgetsBelongToTheInvocation(t *testing.T) {
	h := fixtures.MustBasicSite(t, fixtures.HostConfig{})
	db := filepath.Join(t.TempDir(), "budget.db")
	if r := trawl(t, "crawl", h.URL+"/", "--db", db, "--delay", "0", "--quiet", "--max-pages", "2"); r.code != exitStopped {
		t.Fatalf("first invocation: exit %d, want %d (stopped by the budget): %s", r.code, exitStopped, r.stderr)
	}
	if r := trawl(t, "crawl", "--db", db, "--delay", "0", "--quiet"); r.code != exitOK || !strings.Contains(r.stdout, "status=finished") {
		t.Fatalf("resume without a budget: exit %d, want it to finish:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestDeadSiteHasItsOwnExitCode: cron can tell a dead site from a finished
// crawl. A run in which no host gave a single successful page (unreachable,
// robots.txt disallowing everything, every page failing) exits 5 and says
// so; a run with failures among successes exits 0.
func TestDeadSiteHasItsOwnExitCode(t *testing.T) {
	dead := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	deadURL := dead.URL
	dead.Close()
	denied := fixtures.MustBasicSite(t, fixtures.HostConfig{})
	denied.SetRobots(200, "User-agent: *\nDisallow: /\n")
	failing := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	failing.SetRobots(404, "")
	failing.Handle("/", fixtures.Status(500, nil, "broken"))
	mixed := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	mixed.SetRobots(404, "")
	mixed.Handle("/{$}", fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, `<a href="/broken">b</a>`))
	mixed.Handle("/broken", fixtures.Status(500, nil, "broken"))

	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		seed string
		want int
	}{
		{"unreachable", deadURL + "/", exitNoSuccess},
		{"robots.txt disallows everything", denied.URL + "/", exitNoSuccess},
		{"every page fails", failing.URL + "/", exitNoSuccess},
		{"failures among successes", mixed.URL + "/", exitOK},
	} {
		r := trawl(t, "crawl", tc.seed, "--db", filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".db"),
			"--quiet", "--delay", "0", "--sitemaps=false", "--retries", "0", "--retry-base", "1ms")
		if r.code != tc.want {
			t.Errorf("%s: exit %d, want %d\n%s", tc.name, r.code, tc.want, r.stderr)
		}
		if !strings.Contains(r.stdout, "status=finished") {
			t.Errorf("%s: summary %q, want status=finished", tc.name, r.stdout)
		}
		if said := strings.Contains(r.stderr, "without a single successful page"); said != (tc.want == exitNoSuccess) {
			t.Errorf("%s: stderr %q", tc.name, r.stderr)
		}
	}
}
