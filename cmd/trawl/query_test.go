package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/jsonstr"
	"github.com/trawl-crawler/trawl/store/record"
)

// inProcess runs trawl with args in this process, as main would.
func inProcess(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := (&app{stdout: &out, stderr: &errb}).run(ctx, args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// wantOneLineError checks a failed command: the exit code and one line on
// stderr that mentions want.
func wantOneLineError(t *testing.T, r result, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d; stderr: %s", r.code, code, r.stderr)
	}
	if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("stderr %q: want one line mentioning %q", r.stderr, want)
	}
}

const fixtureHost = "http://a.test:80"

// fixtureDB builds a small trawl database through the store, the way a crawl
// writes it: run 1 crawls / (200, links to /b and /c, two items and a miss),
// /b (a timeout, then 200 on the retry) and /c (404); run 2, a refresh,
// fetches / again with a new title, one link and one item.
func fixtureDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "site.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	queued := func(n int) []record.Job {
		t.Helper()
		jobs, err := db.QueuedURLs(ctx, fixtureHost, 10, nil)
		must(err)
		if len(jobs) != n {
			t.Fatalf("queued %d URLs, want %d: %+v", len(jobs), n, jobs)
		}
		return jobs
	}
	commit := func(run int64, o record.Outcome) {
		t.Helper()
		_, err := db.Commit(ctx, run, record.Batch{Outcomes: []record.Outcome{o}})
		must(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	r1, err := db.StartRun(ctx, "crawl", []byte(`{}`))
	must(err)
	_, err = db.Commit(ctx, r1.ID, record.Batch{Outcomes: []record.Outcome{{Discovered: []record.NewURL{{URL: "http://a.test/", Host: fixtureHost, Via: "seed"}}}}})
	must(err)
	seed := queued(1)[0]
	commit(r1.ID, record.Outcome{Job: seed, State: record.StateDone,
		Fetch: &record.Fetch{At: at, Duration: 1500 * time.Microsecond, Status: 200, ContentType: "text/html",
			Title: "Home", Facts: []byte("{\n  \"h1\": [\"Home\"]\n}")},
		Links: []record.Link{{URL: "http://a.test/b", Text: "B, \"quoted\"\nline", Rel: "nofollow"}, {URL: "http://a.test/c", Text: "C"}},
		Items: []record.Item{{Rule: "product", Data: []byte(`{"name":"Widget","price":9.5}`)},
			{Rule: "author", Data: []byte(`{"name":"Ann"}`)}, {Rule: "product", Miss: "no price"}},
		Discovered: []record.NewURL{{URL: "http://a.test/b", Host: fixtureHost, Depth: 1, Via: "link", ParentID: seed.ID},
			{URL: "http://a.test/c", Host: fixtureHost, Depth: 1, Via: "link", ParentID: seed.ID}}})
	jobs := queued(2)
	b, c := jobs[0], jobs[1]
	commit(r1.ID, record.Outcome{Job: b, State: record.StateQueued, Reason: "timeout",
		Fetch: &record.Fetch{At: at.Add(time.Second), ErrorClass: "timeout", Error: "deadline exceeded"}})
	b = queued(2)[0]
	commit(r1.ID, record.Outcome{Job: b, State: record.StateDone,
		Fetch: &record.Fetch{At: at.Add(2 * time.Second), Status: 200, Title: "B"},
		Links: []record.Link{{URL: "http://a.test/", Text: "Home"}}})
	commit(r1.ID, record.Outcome{Job: c, State: record.StateFailed, Reason: "http-4xx",
		Fetch: &record.Fetch{At: at.Add(3 * time.Second), Status: 404, ErrorClass: "http-4xx"}})
	must(db.EndRun(ctx, r1.ID, record.RunFinished))

	r2, err := db.StartRun(ctx, "refresh", []byte(`{}`))
	must(err)
	_, err = db.Commit(ctx, r2.ID, record.Batch{Outcomes: []record.Outcome{{Discovered: []record.NewURL{{URL: "http://a.test/", Host: fixtureHost, Via: "seed"}}}}})
	must(err)
	seed = queued(1)[0]
	commit(r2.ID, record.Outcome{Job: seed, State: record.StateDone,
		Fetch: &record.Fetch{At: at.Add(time.Hour), Status: 200, Title: "Home v2", Change: "changed"},
		Links: []record.Link{{URL: "http://a.test/b", Text: "B2"}},
		Items: []record.Item{{Rule: "product", Data: []byte(`{"name":"Widget","price":11}`)}}})
	must(db.EndRun(ctx, r2.ID, record.RunFinished))
	return path
}

// fileState is the content of a database file and its WAL ("absent" when
// there is none). An empty WAL, which SQLite creates for a reader of a
// database whose writer checkpointed and removed its WAL on close, holds
// nothing and counts as absent.
func fileState(t *testing.T, path string) [2]string {
	t.Helper()
	var s [2]string
	for i, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		switch {
		case os.IsNotExist(err), err == nil && i == 1 && len(b) == 0:
			s[i] = "absent"
		case err != nil:
			t.Fatal(err)
		default:
			s[i] = fmt.Sprintf("%d bytes, sha256 %x", len(b), sha256.Sum256(b))
		}
	}
	return s
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), "-shm") && !strings.HasSuffix(e.Name(), "-wal") {
			names = append(names, e.Name())
		}
	}
	return names
}

const typesQuery = `SELECT 1 AS i, 2.5 AS r, 3.0 AS whole, 'a,"b"' || char(10) || 'c	d\' AS s, NULL AS n, x'00ff10' AS b, '' AS e`

func TestQueryFormats(t *testing.T) {
	db := fixtureDB(t)
	ctx := context.Background()
	run := func(format string) string {
		t.Helper()
		r := inProcess(t, ctx, "query", db, typesQuery, "--format", format)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("--format %s: exit %d, stderr %q", format, r.code, r.stderr)
		}
		return r.stdout
	}

	const wantObject = `{"i":1,"r":2.5,"whole":3.0,"s":"a,\"b\"\nc\td\\","n":null,"b":"AP8Q","e":""}`
	if got := run("jsonl"); got != wantObject+"\n" {
		t.Errorf("jsonl:\n got %s\nwant %s", got, wantObject)
	}
	if got := run("json"); got != "[\n"+wantObject+"\n]\n" {
		t.Errorf("json:\n got %s", got)
	}
	var objs []map[string]any
	dec := json.NewDecoder(strings.NewReader(run("json")))
	dec.UseNumber()
	if err := dec.Decode(&objs); err != nil || len(objs) != 1 {
		t.Fatalf("json does not parse: %v", err)
	}
	if objs[0]["i"] != json.Number("1") || objs[0]["n"] != nil || objs[0]["s"] != "a,\"b\"\nc\td\\" {
		t.Errorf("json values: %#v", objs[0])
	}

	recs, err := csv.NewReader(strings.NewReader(run("csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"i", "r", "whole", "s", "n", "b", "e"}, {"1", "2.5", "3.0", "a,\"b\"\nc\td\\", "", "AP8Q", ""}}
	if !slices.EqualFunc(recs, want, slices.Equal) {
		t.Errorf("csv = %q, want %q", recs, want)
	}

	if got, want := run("tsv"), "i\tr\twhole\ts\tn\tb\te\n1\t2.5\t3.0\ta,\"b\"\\nc\\td\\\\\t\tAP8Q\t\n"; got != want {
		t.Errorf("tsv:\n got %q\nwant %q", got, want)
	}

	table := run("table")
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("table has %d lines, want header, rule, row:\n%s", len(lines), table)
	}
	for _, want := range []string{`a,"b"\nc\td\`, "NULL", "x'00ff10'", "3.0"} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("table row %q does not show %q", lines[2], want)
		}
	}
	if strings.Fields(lines[0])[0] != "i" || !strings.HasPrefix(lines[1], "-") {
		t.Errorf("table header:\n%s", table)
	}
}

func TestQueryTableAlignsAndCuts(t *testing.T) {
	db := fixtureDB(t)
	r := inProcess(t, context.Background(), "query", db,
		`SELECT url, status, title FROM pages ORDER BY url`, "--max-width", "12")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "" +
		"url           status  title\n" +
		"------------  ------  -------\n" +
		"http://a.te…     200  Home v2\n" +
		"http://a.te…     200  B\n" +
		"http://a.te…     404  NULL\n"
	if r.stdout != want {
		t.Fatalf("table:\n%s\nwant:\n%s", r.stdout, want)
	}
	if got := truncateWidth("日本語のテキスト", 7); got != "日本語…" {
		t.Errorf("wide characters cut to %q", got)
	}
}

func TestQueryTableRowCap(t *testing.T) {
	db := fixtureDB(t)
	ctx := context.Background()
	const many = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10005) SELECT i FROM n`
	r := inProcess(t, ctx, "query", db, many)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if n := strings.Count(r.stdout, "\n"); n != tableMaxRows+2 {
		t.Errorf("table printed %d lines, want %d rows and two header lines", n, tableMaxRows)
	}
	if !strings.Contains(r.stderr, "first 10000 rows") || !strings.Contains(r.stderr, "--format") {
		t.Errorf("stderr %q: want a note that the table was cut and a hint", r.stderr)
	}
	r = inProcess(t, ctx, "query", db, many, "--format", "csv")
	if n := strings.Count(r.stdout, "\n"); r.code != 0 || n != 10006 || r.stderr != "" {
		t.Errorf("csv: exit %d, %d lines, stderr %q; want every row", r.code, n, r.stderr)
	}
}

func TestQueryJSONRepeatedColumnNames(t *testing.T) {
	db := fixtureDB(t)
	r := inProcess(t, context.Background(), "query", db, `SELECT 1 AS id, 2 AS id, 3 AS id_2`, "-f", "jsonl")
	if want := `{"id":1,"id_2":2,"id_2_2":3}` + "\n"; r.stdout != want {
		t.Fatalf("got %s want %s", r.stdout, want)
	}
}

// writeStatements are statements that would change a database or its
// neighbourhood; dir is where ATTACH and VACUUM INTO would create files.
func writeStatements(dir string) []string {
	return []string{
		`INSERT INTO runs(started_at, updated_at, status) VALUES ('x', 'x', 'running')`,
		`DELETE FROM urls`,
		`UPDATE fetches SET status = 500`,
		`DROP TABLE fetches`,
		`DROP VIEW pages`,
		`CREATE TABLE t(x)`,
		`CREATE TEMP TABLE t(x)`,
		`CREATE INDEX i ON urls(depth)`,
		`ALTER TABLE urls ADD COLUMN x`,
		`ATTACH '` + filepath.Join(dir, "attached.db") + `' AS other`,
		`DETACH other`,
		`PRAGMA user_version = 5`,
		`PRAGMA main.application_id = 1`,
		`PRAGMA query_only = 0`,
		`PRAGMA journal_mode = DELETE`,
		`PRAGMA wal_checkpoint(TRUNCATE)`,
		`PRAGMA wal_checkpoint`,
		`PRAGMA optimize`,
		`VACUUM`,
		`VACUUM INTO '` + filepath.Join(dir, "copy.db") + `'`,
		`REINDEX`,
		`ANALYZE`,
		`BEGIN IMMEDIATE`,
		`  /* a comment */ -- and another
		 insert into trawl_meta values ('k', 'v')`,
		`WITH x AS (SELECT 1) DELETE FROM urls`,
		`WITH x AS (SELECT 1) INSERT INTO trawl_meta SELECT 'k', 'v' FROM x`,
		`WITH x AS (SELECT 1) UPDATE urls SET depth = 9`,
		`SELECT 1; DELETE FROM urls`,
		`SELECT load_extension('libx')`,
	}
}

func TestQueryRefusesWrites(t *testing.T) {
	ctx := context.Background()
	db := fixtureDB(t)
	dir := filepath.Dir(db)

	// A crawl is working on the database: its writer is open, it holds the
	// run lock and its last commit is in the WAL.
	live, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := live.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	run, err := live.StartRun(ctx, "crawl", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}

	before, names := fileState(t, db), dirNames(t, dir)
	if before[1] == "absent" {
		t.Fatal("test setup: want a WAL with the crawl's last commit")
	}
	for _, q := range writeStatements(dir) {
		r := inProcess(t, ctx, "query", db, q)
		wantOneLineError(t, r, exitUsage, "")
		if !strings.Contains(r.stderr, "refused") && !strings.Contains(r.stderr, "one SQL statement") {
			t.Errorf("%s: stderr %q, want a refusal", q, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%s: stdout %q", q, r.stdout)
		}
		if after := fileState(t, db); after != before {
			t.Fatalf("%s changed the database or its WAL", q)
		}
		if got := dirNames(t, dir); !slices.Equal(got, names) {
			t.Fatalf("%s: files %v, want %v", q, got, names)
		}
	}

	// Nothing was written, and the crawl's run and lock are as they were.
	r := inProcess(t, ctx, "query", db, `SELECT (SELECT max(id) FROM runs), (SELECT pid FROM run_lock),
		(SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM urls)`, "-f", "tsv")
	want := fmt.Sprintf("%d\t%d\t%d\t3", run.ID, os.Getpid(), store.SchemaVersion())
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); r.code != 0 || len(lines) != 2 || lines[1] != want {
		t.Fatalf("after the refusals: exit %d, %q, want %q; %s", r.code, r.stdout, want, r.stderr)
	}
}

// TestReadGuardAlone runs write statements on a guarded connection directly,
// past the statement check, so that the authorizer is shown to refuse them by
// itself.
func TestReadGuardAlone(t *testing.T) {
	ctx := context.Background()
	path := fixtureDB(t)
	dir := filepath.Dir(path)
	before, names := fileState(t, path), dirNames(t, dir)
	db, err := store.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sess, err := openSession(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.close()
	conn := sess.q
	for _, q := range writeStatements(dir) {
		if strings.HasPrefix(q, "SELECT 1;") || q == "REINDEX" {
			continue // a script; REINDEX of nothing compiles to nothing
		}
		rows, err := conn.QueryContext(ctx, q)
		if err == nil {
			err = rows.Err()
			rows.Close()
		}
		what := sess.refused(err)
		if err == nil || what == "" {
			t.Errorf("%s: err %v, refused %q; want refused by the guard", q, err, what)
		}
	}
	for _, q := range []string{`SELECT count(*) FROM pages`, `PRAGMA user_version`, `PRAGMA table_info(urls)`,
		`SELECT * FROM pragma_table_info('urls')`, `EXPLAIN QUERY PLAN SELECT * FROM links`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT * FROM n`, `VALUES (1, 2)`} {
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s: %v", q, err)
		}
		rows.Close()
		if what := sess.refused(nil); what != "" {
			t.Errorf("%s: refused %q", q, what)
		}
	}
	sess.close()
	db.Close()
	if fileState(t, path) != before || !slices.Equal(dirNames(t, dir), names) {
		t.Fatal("the database or its directory changed")
	}
}

// TestQueryLeavesCrashedWALAlone reads a copy of a database taken while a
// crawl was writing (as after kill -9 or a power loss: the last commits are
// only in the WAL). A reader must not checkpoint that WAL into the database.
func TestQueryLeavesCrashedWALAlone(t *testing.T) {
	ctx := context.Background()
	src := fixtureDB(t)
	live, err := store.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if _, err := live.StartRun(ctx, "crawl", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	crashed := filepath.Join(t.TempDir(), "crashed.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(src + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed+suffix, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// store.OpenReadOnly's connections are read-only at the SQLite level only
	// if the driver honours mode=ro; without it, the last connection to close
	// checkpoints the WAL into the file (same content, different bytes).
	rdb, err := store.OpenReadOnly(ctx, crashed)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := rdb.Reader().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var readOnly bool
	conn.Raw(func(dc any) error {
		if c, ok := dc.(interface{ IsReadOnly(string) (bool, error) }); ok {
			readOnly, _ = c.IsReadOnly("main")
		}
		return nil
	})
	conn.Close()
	rdb.Close()
	if !readOnly {
		t.Skip("store.OpenReadOnly opens the database read-write (modernc ignores mode=ro in a DSN that does not start with file:); reading checkpoints a crashed WAL")
	}

	before := fileState(t, crashed)
	for _, args := range [][]string{{"query", crashed, "SELECT count(*) FROM runs"}, {"query", crashed}, {"export", crashed}} {
		if r := inProcess(t, ctx, args...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		if fileState(t, crashed) != before {
			t.Fatalf("%v changed the database or its WAL", args)
		}
	}
}

func TestQueryWhileCrawlWrites(t *testing.T) {
	ctx := context.Background()
	path := fixtureDB(t)
	live, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := live.Lock(ctx); err != nil {
		t.Fatal(err)
	}

	// Another writer holds a write transaction open, as the crawl's writer
	// does while it commits a batch.
	w, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO trawl_meta(key, value) VALUES ('uncommitted', 'x')`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := inProcess(t, ctx, "query", path, `SELECT (SELECT count(*) FROM trawl_meta WHERE key = 'uncommitted'), (SELECT pid FROM run_lock)`, "-f", "csv")
	if r.code != 0 || !strings.HasSuffix(r.stdout, "\n0,"+strconv.Itoa(os.Getpid())+"\n") {
		t.Fatalf("query during a write transaction: exit %d, %q, %s", r.code, r.stdout, r.stderr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("query waited %v for the writer", d)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("the writer could not commit after the query: %v", err)
	}

	// Queries and exports keep working while commits land.
	done := make(chan error)
	go func() {
		var err error
		for i := 0; i < 200 && err == nil; i++ {
			_, err = w.ExecContext(ctx, `INSERT INTO trawl_meta(key, value) VALUES (?, 'x')`, "k"+strconv.Itoa(i))
		}
		done <- err
	}()
	for i := 0; i < 10; i++ {
		if r := inProcess(t, ctx, "query", path, `SELECT count(*) FROM trawl_meta`, "-f", "csv"); r.code != 0 {
			t.Fatalf("query %d during commits: exit %d: %s", i, r.code, r.stderr)
		}
		if r := inProcess(t, ctx, "export", path, "--what", "links"); r.code != 0 {
			t.Fatalf("export %d during commits: exit %d: %s", i, r.code, r.stderr)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("the writer failed while queries ran: %v", err)
	}
	var holder int
	if err := w.QueryRowContext(ctx, `SELECT pid FROM run_lock`).Scan(&holder); err != nil || holder != os.Getpid() {
		t.Fatalf("run lock holder %d (%v), want this process: queries must not touch the lock", holder, err)
	}
}

func TestQueryErrors(t *testing.T) {
	ctx := context.Background()
	db := fixtureDB(t)
	dir := t.TempDir()
	foreign := filepath.Join(dir, "notes.db")
	execSQLite(t, foreign, `CREATE TABLE notes(x); INSERT INTO notes VALUES ('keep me')`)
	text := filepath.Join(dir, "readme.txt")
	os.WriteFile(text, []byte("not a database at all"), 0o644)
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o644)
	missing := filepath.Join(dir, "missing.db")

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing database", []string{"query", missing, "SELECT 1"}, "no database at"},
		{"missing database, list", []string{"query", missing}, "no database at"},
		{"directory", []string{"query", dir, "SELECT 1"}, "directory"},
		{"foreign database", []string{"query", foreign, "SELECT * FROM notes"}, "not a trawl database"},
		{"text file", []string{"query", text, "SELECT 1"}, "not a trawl database"},
		{"empty file", []string{"query", empty}, "not a trawl database"},
		{"no such table", []string{"query", db, "SELECT * FROM nosuch"}, "no such table: nosuch"},
		{"syntax error", []string{"query", db, "SELEKT 1"}, "refused"},
		{"syntax error in a select", []string{"query", db, "SELECT FROM"}, "syntax error"},
		{"runtime error", []string{"query", db, "SELECT json_extract(url, '$.x') FROM urls"}, "malformed JSON"},
		{"two statements", []string{"query", db, "SELECT 1; SELECT 2"}, "one SQL statement"},
		{"empty SQL", []string{"query", db, " -- nothing\n"}, "no SQL statement"},
		{"bad format", []string{"query", db, "SELECT 1", "--format", "xml"}, "--format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantOneLineError(t, inProcess(t, ctx, tc.args...), exitUsage, tc.want)
		})
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Error("querying a missing database created it")
	}
	if b, _ := os.ReadFile(empty); len(b) != 0 {
		t.Error("the empty file was written")
	}
}

func TestQueryListsTables(t *testing.T) {
	ctx := context.Background()
	path := fixtureDB(t)
	// A table trawl does not know about, added by the user.
	w, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(`CREATE TABLE my_notes(x); INSERT INTO my_notes VALUES (1), (2)`); err != nil {
		t.Fatal(err)
	}
	var objects []string
	rows, err := w.Query(`SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		objects = append(objects, s)
	}
	rows.Close()
	w.Close()

	r := inProcess(t, ctx, "query", path)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != len(objects)+2 {
		t.Fatalf("%d lines for %d tables and views:\n%s", len(lines), len(objects), r.stdout)
	}
	byName := map[string][]string{}
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		byName[f[0]] = f
	}
	for _, o := range objects {
		if byName[o] == nil {
			t.Errorf("%s is not listed", o)
		}
	}
	check := func(name, kind, rows, desc string) {
		t.Helper()
		f := byName[name]
		if len(f) < 3 || f[1] != kind || (rows != "" && f[2] != rows) || !strings.Contains(strings.Join(f, " "), desc) {
			t.Errorf("%s: listed as %q, want %s, %s rows, %q", name, f, kind, rows, desc)
		}
	}
	check("urls", "table", "3", "one row per URL ever seen")
	check("fetches", "table", "5", "HTTP attempt")
	check("runs", "table", "2", "crawl run")
	check("my_notes", "table", "2", "(no description)")
	check("pages", "view", "", "each URL with its latest fetch")
	check("broken_links", "view", "", "4xx/5xx")

	// Every format works for the list too.
	r = inProcess(t, ctx, "query", path, "-f", "jsonl")
	var first struct {
		Name, Type, Description string
		Rows                    *int64
	}
	if err := json.Unmarshal([]byte(strings.SplitN(r.stdout, "\n", 2)[0]), &first); err != nil || first.Name == "" || first.Rows == nil {
		t.Fatalf("jsonl list: %q (%v)", r.stdout, err)
	}
}

func TestInspectSQL(t *testing.T) {
	cases := []struct {
		sql     string
		keyword string
		n       int
	}{
		{"SELECT 1", "SELECT", 1},
		{"select 1;", "SELECT", 1},
		{"  -- c;\n /* ; */ with x as (select ';') select * from x ;; ", "WITH", 1},
		{"SELECT ';' AS \"a;b\", `c;d`, [e;f] FROM t", "SELECT", 1},
		{"SELECT 'it''s; fine'", "SELECT", 1},
		{"SELECT 1; SELECT 2", "SELECT", 2},
		{"SELECT 1; /* trailing */ -- done", "SELECT", 1},
		{"pragma table_info(urls)", "PRAGMA", 1},
		{"", "", 0},
		{" ;; -- nothing", "", 0},
		{"(SELECT 1)", "", 1},
		{"SELECT 'unterminated", "SELECT", 1},
	}
	for _, tc := range cases {
		if k, n := inspectSQL(tc.sql); k != tc.keyword || n != tc.n {
			t.Errorf("inspectSQL(%q) = %q, %d; want %q, %d", tc.sql, k, n, tc.keyword, tc.n)
		}
	}
}

func TestJSONAndTextEncoding(t *testing.T) {
	cases := []struct {
		v    any
		json string
		text string
	}{
		{nil, `null`, ``},
		{int64(-42), `-42`, `-42`},
		{9007199254740993.0, `9007199254740992.0`, `9007199254740992.0`},
		{1e-7, `1e-07`, `1e-07`},
		{0.1, `0.1`, `0.1`},
		{math.Inf(1), `9e999`, `Inf`},
		{math.Inf(-1), `-9e999`, `-Inf`},
		{"a<b>&\"\\\x01\u2028\xff", `"a<b>&\"\\\u0001\u2028\ufffd"`, "a<b>&\"\\\x01\u2028\xff"},
		{[]byte("hi"), `"aGk="`, `aGk=`},
		{rawJSON("{\n \"a\": [1, 2]\n}"), `{"a":[1,2]}`, "{\n \"a\": [1, 2]\n}"},
		{rawJSON("not json"), `"not json"`, `not json`},
	}
	var j jsonWriter
	for _, tc := range cases {
		if got := string(j.appendValue(nil, tc.v)); got != tc.json {
			t.Errorf("json(%#v) = %s, want %s", tc.v, got, tc.json)
		}
		if got := textValue(tc.v); got != tc.text {
			t.Errorf("text(%#v) = %q, want %q", tc.v, got, tc.text)
		}
		if s, ok := tc.v.(string); ok {
			var back string
			if err := json.Unmarshal(jsonstr.Append(nil, s), &back); err != nil || back != strings.ToValidUTF8(s, "\ufffd") {
				t.Errorf("%q does not round-trip through encoding/json: %q, %v", s, back, err)
			}
		}
	}
}

// TestCSVOneEmptyColumn: encoding/csv writes a record of one empty field as
// an empty line, which readers skip; the rows must survive.
func TestCSVOneEmptyColumn(t *testing.T) {
	db := fixtureDB(t)
	r := inProcess(t, context.Background(), "query", db, `SELECT title FROM pages ORDER BY url`, "-f", "csv")
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("%q: %d records (%v), want a header and 3 rows", r.stdout, len(recs), err)
	}
}

// TestQueryBinary runs the real binary.
func TestQueryBinary(t *testing.T) {
	db := fixtureDB(t)
	r := trawl(t, "query", db, `SELECT 1 AS one, 'x' AS s, NULL AS n, 1.5 AS f, count(*) AS pages FROM pages`, "--format", "json")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%q: %v", r.stdout, err)
	}
	want := []map[string]any{{"one": 1.0, "s": "x", "n": nil, "f": 1.5, "pages": 3.0}}
	if len(got) != 1 || len(got[0]) != len(want[0]) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want[0] {
		if got[0][k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[0][k], v)
		}
	}

	before := fileState(t, db)
	r = trawl(t, "query", db, "PRAGMA user_version = 5")
	wantOneLineError(t, r, exitUsage, "refused")
	if fileState(t, db) != before {
		t.Fatal("the refused PRAGMA changed the database")
	}
	wantOneLineError(t, trawl(t, "query", filepath.Join(t.TempDir(), "none.db")), exitUsage, "no database at")

	r = trawl(t, "query", "--help")
	for _, s := range []string{"--format", "table", "csv", "tsv", "jsonl", "--max-width", "read-only", "trawl query site.db"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("query --help does not mention %s", s)
		}
	}
}

// TestDiffUnknownRun checks that diff refuses a run the database does not
// hold, naming it and the database, instead of listing every URL.
func TestDiffUnknownRun(t *testing.T) {
	db := fixtureDB(t) // runs 1 and 2
	if r := trawl(t, "diff", db, "1", "2", "--format", "csv", "--all"); r.code != 0 || !strings.Contains(r.stdout, "not-fetched") {
		t.Fatalf("diff 1 2: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	for _, c := range [][]string{{"1", "3"}, {"3", "2"}, {"7", "9"}} {
		r := trawl(t, "diff", db, c[0], c[1])
		missing := c[1]
		if c[0] != "1" {
			missing = c[0]
		}
		wantOneLineError(t, r, exitUsage, "no such run "+missing+" in "+db+" (the latest is 2")
		if r.stdout != "" {
			t.Fatalf("diff %v printed %q", c, r.stdout)
		}
	}

	empty := filepath.Join(t.TempDir(), "empty.db")
	s, err := store.Open(context.Background(), empty)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	wantOneLineError(t, trawl(t, "diff", empty, "1", "2"), exitUsage, "no such run 1 in "+empty+": it has no runs yet")
}

// TestReadCommandsSayWhyADatabaseCannotBeRead runs the read-only commands on
// files that are not readable trawl databases for different reasons, and
// checks that each says the real one (exit 2), naming the file.
func TestReadCommandsSayWhyADatabaseCannotBeRead(t *testing.T) {
	good, err := os.ReadFile(fixtureDB(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := write("truncated.db", good[:len(good)/2])
	newer := write("newer.db", good)
	execSQLite(t, newer, `PRAGMA user_version = 999`)
	foreign := filepath.Join(dir, "notes.db")
	execSQLite(t, foreign, `CREATE TABLE notes(x); INSERT INTO notes VALUES ('keep me')`)
	text := write("readme.txt", []byte("not a database at all, just a few words of text that fill a header"))

	cases := []struct {
		name, path, want string
		notTrawl         bool
	}{
		{"truncated", truncated, "malformed", false},
		{"newer schema", newer, "schema version 999, this trawl knows", false},
		{"foreign SQLite database", foreign, "is not a trawl database", true},
		{"not SQLite", text, "is not a trawl database", true},
	}
	for _, c := range cases {
		for _, args := range [][]string{{"query", c.path, "SELECT 1"}, {"runs", c.path}, {"export", c.path}, {"diff", c.path, "1", "2"}} {
			r := trawl(t, args...)
			wantOneLineError(t, r, exitUsage, c.want)
			if !strings.Contains(r.stderr, c.path) {
				t.Errorf("%s: %v: stderr %q does not name the file", c.name, args[0], r.stderr)
			}
			if !c.notTrawl && strings.Contains(r.stderr, "not a trawl database") {
				t.Errorf("%s: %v: stderr %q blames the file's kind", c.name, args[0], r.stderr)
			}
		}
	}
}

// execSQLite runs statements on the SQLite file at path (created if missing)
// outside trawl, to make databases trawl must refuse or handle.
func execSQLite(t *testing.T, path, stmts string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmts); err != nil {
		t.Fatal(err)
	}
}
