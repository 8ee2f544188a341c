package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/record"
)

// jsonLines splits JSONL output into lines, failing on a line that is not a
// JSON object.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for line := range strings.Lines(out) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		objs = append(objs, m)
	}
	return objs
}

// jsonKeys returns the keys of a JSON object in the order written.
func jsonKeys(t *testing.T, line string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%q is not an object", line)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// viewColumns returns the columns of a view or table.
func viewColumns(t *testing.T, path, view string) []string {
	t.Helper()
	db, err := store.OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Reader().Query(`SELECT * FROM ` + view + ` LIMIT 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

func TestExportPages(t *testing.T) {
	ctx := context.Background()
	db := fixtureDB(t)
	cols := viewColumns(t, db, "pages")

	// The latest run, a refresh, fetched only the home page.
	r := inProcess(t, ctx, "export", db)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	pages := jsonLines(t, r.stdout)
	if len(pages) != 1 || pages[0]["url"] != "http://a.test/" || pages[0]["title"] != "Home v2" || pages[0]["run_id"] != 2.0 {
		t.Fatalf("latest run: %v", pages)
	}
	if keys := jsonKeys(t, r.stdout); !slices.Equal(keys, cols) {
		t.Fatalf("keys %v, want the pages view's columns %v", keys, cols)
	}

	// Run 1: the latest fetch of each URL in that run (for /b the retry),
	// not the latest fetch overall that the pages view shows.
	r = inProcess(t, ctx, "export", db, "--what", "pages", "--run", "1")
	pages = jsonLines(t, r.stdout)
	if len(pages) != 3 {
		t.Fatalf("run 1: %d pages, want 3:\n%s", len(pages), r.stdout)
	}
	type page struct {
		url    string
		status float64
		title  any
	}
	var got []page
	for _, p := range pages {
		got = append(got, page{p["url"].(string), p["status"].(float64), p["title"]})
		if p["run_id"] != 1.0 {
			t.Errorf("%s: run_id %v", p["url"], p["run_id"])
		}
	}
	want := []page{{"http://a.test/", 200, "Home"}, {"http://a.test/b", 200, "B"}, {"http://a.test/c", 404, nil}}
	if !slices.Equal(got, want) {
		t.Errorf("run 1 pages %v, want %v", got, want)
	}
	if !strings.Contains(r.stdout, `"facts":{"h1":["Home"]}`) || pages[0]["outlink_count"] != 2.0 {
		t.Errorf("facts not embedded as compact JSON, or outlink_count wrong: %s", strings.SplitN(r.stdout, "\n", 2)[0])
	}

	r = inProcess(t, ctx, "export", db, "--run", "1", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("csv: %d records, %v", len(recs), err)
	}
	if !slices.Equal(recs[0], cols) {
		t.Errorf("csv header %v, want %v", recs[0], cols)
	}
	if facts := recs[1][slices.Index(cols, "facts")]; facts != "{\n  \"h1\": [\"Home\"]\n}" {
		t.Errorf("csv facts %q, want the stored text", facts)
	}
}

func TestExportLinks(t *testing.T) {
	ctx := context.Background()
	db := fixtureDB(t)
	r := inProcess(t, ctx, "export", db, "--what", "links", "--run", "1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := `{"from_url":"http://a.test/","to_url":"http://a.test/b","text":"B, \"quoted\"\nline","rel":"nofollow"}
{"from_url":"http://a.test/","to_url":"http://a.test/c","text":"C","rel":null}
{"from_url":"http://a.test/b","to_url":"http://a.test/","text":"Home","rel":null}
`
	if r.stdout != want {
		t.Errorf("run 1 links:\n%s\nwant:\n%s", r.stdout, want)
	}
	r = inProcess(t, ctx, "export", db, "--what", "links", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	wantRecs := [][]string{{"from_url", "to_url", "text", "rel"}, {"http://a.test/", "http://a.test/b", "B2", ""}}
	if err != nil || !slices.EqualFunc(recs, wantRecs, slices.Equal) {
		t.Errorf("latest run links csv %q (%v), want %q", recs, err, wantRecs)
	}
}

func TestExportItems(t *testing.T) {
	ctx := context.Background()
	db := fixtureDB(t)
	r := inProcess(t, ctx, "export", db, "--what", "items")
	want := `{"rule":"product","url":"http://a.test/","run":2,"fetched_at":"2026-01-02T04:04:05.000000000Z","data":{"name":"Widget","price":11}}` + "\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("latest run items: exit %d\n%s\nwant\n%s%s", r.code, r.stdout, want, r.stderr)
	}

	// Run 1 has two items and a miss, which is not exported.
	r = inProcess(t, ctx, "export", db, "--what", "items", "--run", "1")
	items := jsonLines(t, r.stdout)
	if len(items) != 2 || items[0]["rule"] != "product" || items[1]["rule"] != "author" {
		t.Fatalf("run 1 items: %v", items)
	}
	if d, ok := items[0]["data"].(map[string]any); !ok || d["price"] != 9.5 || d["name"] != "Widget" {
		t.Errorf("data not nested as an object: %v", items[0])
	}
	r = inProcess(t, ctx, "export", db, "--what", "items", "--run", "1", "--rule", "author")
	if items := jsonLines(t, r.stdout); len(items) != 1 || items[0]["data"].(map[string]any)["name"] != "Ann" {
		t.Errorf("--rule author: %v", items)
	}

	r = inProcess(t, ctx, "export", db, "--what", "items", "--run", "1", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	// One column per field, in the order the fields first appear.
	wantRecs := [][]string{{"rule", "url", "run", "name", "price"},
		{"product", "http://a.test/", "1", "Widget", "9.5"},
		{"author", "http://a.test/", "1", "Ann", ""}}
	if err != nil || !slices.EqualFunc(recs, wantRecs, slices.Equal) {
		t.Errorf("items csv %q (%v), want %q", recs, err, wantRecs)
	}

	// A misspelt rule is bad input, and the message says which rules there are.
	r = inProcess(t, ctx, "export", db, "--what", "items", "--run", "1", "--rule", "prodcut")
	if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, "author, product") {
		t.Errorf("unknown rule: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestExportOutFile(t *testing.T) {
	ctx := context.Background()
	db := fixtureDB(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "pages.jsonl")

	r := inProcess(t, ctx, "export", db, "--run", "1", "--out", out)
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "exported 3 pages of run 1") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	stdout := inProcess(t, ctx, "export", db, "--run", "1").stdout
	if b, _ := os.ReadFile(out); string(b) != stdout {
		t.Fatalf("file %q, want what stdout gets %q", b, stdout)
	}
	checkDir := func(want ...string) {
		t.Helper()
		if got := dirNames(t, dir); !slices.Equal(got, want) {
			t.Fatalf("files %v, want %v", got, want)
		}
	}
	checkDir("pages.jsonl")

	// A failed export leaves the previous file as it was and no .tmp.
	r = inProcess(t, ctx, "export", db, "--run", "99", "--out", out)
	wantOneLineError(t, r, exitUsage, "no such run")
	if b, _ := os.ReadFile(out); string(b) != stdout {
		t.Fatal("a failed export changed the output file")
	}
	checkDir("pages.jsonl")

	// One that fails midway, after thousands of rows: a page with a corrupt
	// outlinks column comes after one with 5,000 links.
	w, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Exec(`
		INSERT INTO urls(id, url, host_id, depth, seq, state, via, first_run, run_id) VALUES
			(1001, 'http://a.test/many', 1, 1, 1001, 'done', 'link', 2, 2),
			(1002, 'http://a.test/corrupt', 1, 1, 1002, 'done', 'link', 2, 2);
		INSERT INTO fetches(url_id, run_id, attempt, fetched_at, status, outlinks) VALUES
			(1001, 2, 1, '2026-01-02T05:00:00Z', 200,
				(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
				 SELECT json_group_array(json_array(1001, 'link number ' || i)) FROM n)),
			(1002, 2, 1, '2026-01-02T05:00:01Z', 200, '[[1001, "x"], [');`)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	links := filepath.Join(dir, "links.csv")
	r = inProcess(t, ctx, "export", db, "--what", "links", "--format", "csv", "--out", links)
	wantOneLineError(t, r, exitUsage, "malformed JSON")
	checkDir("pages.jsonl")
	// The same export to stdout shows that rows had been written.
	if r := inProcess(t, ctx, "export", db, "--what", "links", "--format", "csv"); r.code != exitUsage || strings.Count(r.stdout, "\n") < 4000 {
		t.Fatalf("to stdout: exit %d after %d lines; want the failure after thousands", r.code, strings.Count(r.stdout, "\n"))
	}

	// A .tmp left by a killed export is replaced.
	os.WriteFile(out+".tmp", []byte("stale"), 0o644)
	if r := inProcess(t, ctx, "export", db, "--run", "1", "--out", out); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	checkDir("pages.jsonl")
}

// signalWriter stands in for stdout: on the first write it delivers SIGINT
// and gives the signal time to cancel the export.
type signalWriter struct {
	sigs   chan os.Signal
	once   sync.Once
	writes int
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.writes++
	w.once.Do(func() {
		w.sigs <- os.Interrupt
		time.Sleep(200 * time.Millisecond)
	})
	return len(p), nil
}

func TestExportInterrupted(t *testing.T) {
	db := bulkItems(t, 20000)
	sigs := make(chan os.Signal, 1)
	out := &signalWriter{sigs: sigs}
	var errb bytes.Buffer
	code := (&app{stdout: out, stderr: &errb, interrupt: sigs}).run(context.Background(), []string{"export", db, "--what", "items"})
	if code != exitInterrupted || !strings.Contains(errb.String(), "interrupted") {
		t.Fatalf("exit %d, stderr %q; want %d", code, errb.String(), exitInterrupted)
	}
	if out.writes > 3 {
		t.Errorf("%d writes after the signal", out.writes)
	}
}

func TestExportBadInput(t *testing.T) {
	ctx := context.Background()
	db := fixtureDB(t)
	dir := t.TempDir()
	text := filepath.Join(dir, "readme.txt")
	os.WriteFile(text, []byte("not a database"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"what", []string{"export", db, "--what", "hosts"}, "--what"},
		{"format", []string{"export", db, "--format", "table"}, "--format"},
		{"rule without items", []string{"export", db, "--rule", "x"}, "--rule"},
		{"run 0", []string{"export", db, "--run", "0"}, "--run 0"},
		{"negative run", []string{"export", db, "--run", "-3"}, "--run -3"},
		{"no such run", []string{"export", db, "--run", "7"}, "no such run in"},
		{"missing database", []string{"export", filepath.Join(dir, "none.db")}, "no database at"},
		{"not a database", []string{"export", text}, "not a trawl database"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantOneLineError(t, inProcess(t, ctx, tc.args...), exitUsage, tc.want)
		})
	}
	// An output that cannot be written is exit 1, as --help says; the
	// message names the file asked for, not the FILE.tmp written first.
	missing := filepath.Join(dir, "no", "x.jsonl")
	r := trawl(t, "export", db, "--out", missing)
	wantOneLineError(t, r, exitFailed, "cannot write "+missing+": no such file or directory")
	if strings.Contains(r.stderr, ".tmp") {
		t.Errorf("stderr %q names the temporary file", r.stderr)
	}
	wantOneLineError(t, trawl(t, "export", db, "--out", dir), exitFailed, "is a directory")
	if r := trawl(t, "export"); r.code != exitUsage || !strings.Contains(r.stderr, "usage: trawl export DB [flags]") {
		t.Errorf("export without a database: exit %d, stderr %q; want %d and the usage line", r.code, r.stderr, exitUsage)
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); !errors.Is(err, os.ErrNotExist) {
		t.Error("exporting a missing database created it")
	}
}

// bulkItems creates a trawl database whose one run has n items spread over
// 1,000 pages, inserted with SQL for speed.
func bulkItems(tb testing.TB, n int) string {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(tb.TempDir(), "bulk.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	run, err := db.StartRun(ctx, "crawl", []byte(`{}`))
	if err != nil {
		tb.Fatal(err)
	}
	db.Close()
	w, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer w.Close()
	_, err = w.Exec(fmt.Sprintf(`
		BEGIN;
		INSERT INTO hosts(id, host) VALUES (1, 'http://bulk.test:80');
		WITH RECURSIVE p(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM p WHERE i < 1000)
		INSERT INTO urls(id, url, host_id, depth, seq, state, via, first_run, run_id, last_fetch_id)
			SELECT i, 'http://bulk.test/page/' || i, 1, 1, i, 'done', 'link', %[1]d, %[1]d, i FROM p;
		INSERT INTO fetches(id, url_id, run_id, attempt, fetched_at, status)
			SELECT id, id, %[1]d, 1, '2026-01-02T03:04:05Z', 200 FROM urls;
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %[2]d)
		INSERT INTO items(run_id, url_id, fetch_id, rule, idx, data)
			SELECT %[1]d, i %% 1000 + 1, i %% 1000 + 1, 'product', i / 1000,
				json_object('n', i, 'name', 'item number ' || i, 'price', i * 0.25, 'tags', json_array('a', 'b'))
			FROM n;
		COMMIT;`, run.ID, n))
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

// heapProbe is an output that counts lines and samples the live heap at
// each write (the export writes through a 64 KiB buffer).
type heapProbe struct {
	lines    int
	peakHeap uint64
	last     []byte
}

func (h *heapProbe) Write(p []byte) (int, error) {
	h.lines += bytes.Count(p, []byte{'\n'})
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h.peakHeap = max(h.peakHeap, ms.HeapInuse)
	h.last = append(h.last[:0], p[max(0, len(p)-512):]...)
	return len(p), nil
}

// TestExportStreamsInConstantMemory exports 200,000 items and checks that
// the heap does not grow with the number of rows: its peak stays within a
// small margin of the peak for 20,000.
func TestExportStreamsInConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a database of 200,000 items")
	}
	export := func(path string) *heapProbe {
		t.Helper()
		h := &heapProbe{}
		var errb bytes.Buffer
		runtime.GC()
		code := (&app{stdout: h, stderr: &errb}).run(context.Background(), []string{"export", path, "--what", "items"})
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		return h
	}
	small := export(bulkItems(t, 20000))
	big := export(bulkItems(t, 200000))
	if small.lines != 20000 || big.lines != 200000 {
		t.Fatalf("exported %d and %d items, want 20000 and 200000", small.lines, big.lines)
	}
	lines := bytes.Split(bytes.TrimSpace(big.last), []byte("\n"))
	var last struct {
		Rule string
		Data struct{ N int }
	}
	if err := json.Unmarshal(lines[len(lines)-1], &last); err != nil || last.Data.N != 200000 || last.Rule != "product" {
		t.Fatalf("last item %s (%v)", lines[len(lines)-1], err)
	}
	t.Logf("peak heap in use: %d KiB for 20,000 items, %d KiB for 200,000", small.peakHeap>>10, big.peakHeap>>10)
	if big.peakHeap > small.peakHeap*3/2+4<<20 {
		t.Fatalf("peak heap grew from %d KiB to %d KiB with ten times the rows", small.peakHeap>>10, big.peakHeap>>10)
	}
}

// BenchmarkExportItems reports the cost of exporting one item.
func BenchmarkExportItems(b *testing.B) {
	path := bulkItems(b, 50000)
	for _, format := range []string{formatJSONL, formatCSV} {
		b.Run(format, func(b *testing.B) {
			for b.Loop() {
				var errb bytes.Buffer
				if code := (&app{stdout: io.Discard, stderr: &errb}).run(context.Background(),
					[]string{"export", path, "--what", "items", "--format", format}); code != 0 {
					b.Fatalf("exit %d: %s", code, errb.String())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/50000, "ns/item")
		})
	}
}

func TestAtomicFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	os.WriteFile(path, []byte("old"), 0o644)
	f, err := createAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "half")
	f.abort()
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("abort changed the file: %q", b)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("abort left the .tmp file")
	}
	f, _ = createAtomic(path)
	io.WriteString(f, "new")
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("the file changed before commit: %q", b)
	}
	if err := f.commit(); err != nil {
		t.Fatal(err)
	}
	f.abort() // after commit: nothing to do
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("after commit: %q", b)
	}
}

func TestExportHelp(t *testing.T) {
	r := inProcess(t, context.Background(), "export", "--help")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, s := range []string{"--what", "pages", "links", "items", "--rule", "--run", "--out", "--format", "jsonl", "csv",
		"FILE.tmp", "trawl export site.db"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("export --help does not mention %s", s)
		}
	}
}

// TestExportItemsCSVColumnPerField checks that a CSV export of items has one
// column per field: text as it is (commas, quotes and newlines quoted by
// CSV), numbers and booleans as JSON writes them, nested values as JSON, an
// absent or null field empty, and a field named like an export column
// renamed data.NAME.
func TestExportItemsCSVColumnPerField(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "items.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	run, err := db.StartRun(ctx, "crawl", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{{Discovered: []record.NewURL{{URL: "http://a.test/", Host: fixtureHost, Via: "seed"}}}}}); err != nil {
		t.Fatal(err)
	}
	jobs, err := db.QueuedURLs(ctx, fixtureHost, 10, nil)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("queued %v, %v", jobs, err)
	}
	_, err = db.Commit(ctx, run.ID, record.Batch{Outcomes: []record.Outcome{{Job: jobs[0], State: record.StateDone,
		Fetch: &record.Fetch{At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Status: 200},
		Items: []record.Item{
			{Rule: "book", Data: []byte(`{"title":"Nets, \"Knots\"\nand more","price":12.50,"tags":["a","b"],"in_stock":true,"url":"/b/1"}`)},
			{Rule: "book", Data: []byte(`{"title":"Deep Water","price":null,"author":{"name":"Ann"},"in_stock":false}`)},
			{Rule: "book", Miss: "no title"},
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	db.EndRun(ctx, run.ID, record.RunFinished)
	db.Close()

	r := trawl(t, "export", path, "--what", "items", "--format", "csv")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	want := [][]string{
		{"rule", "url", "run", "title", "price", "tags", "in_stock", "data.url", "author"},
		{"book", "http://a.test/", "1", "Nets, \"Knots\"\nand more", "12.50", `["a","b"]`, "true", "/b/1", ""},
		{"book", "http://a.test/", "1", "Deep Water", "", "", "false", "", `{"name":"Ann"}`},
	}
	if err != nil || !slices.EqualFunc(recs, want, slices.Equal) {
		t.Fatalf("items csv (%v):\n%q\nwant\n%q", err, recs, want)
	}
}

// TestRefreshKeepsTheItemsOfUnchangedPages checks the nightly scraping
// job: a refresh run in which every page answers 304 Not Modified still has
// each page's items, so that trawl export --what items (the latest run by
// default) exports them all instead of nothing; a rule dropped from the
// config before the refresh is not carried forward.
func TestRefreshKeepsTheItemsOfUnchangedPages(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 12, Seed: 4, Validators: true,
		MinBytes: 500, MaxBytes: 1000})
	dir := t.TempDir()
	db := filepath.Join(dir, "nightly.db")
	conf := filepath.Join(dir, "rules.yaml")
	rules := "rules:\n  - name: title\n    fields:\n      title: {css: title, required: true}\n"
	writeFile(t, conf, "delay: 0\nsitemaps: false\n"+rules+"  - name: gone\n    fields:\n      h: h1\n")
	args := []string{"crawl", "--config", conf, "--db", db, "-q", cl.Seeds()[0]}
	first := trawl(t, args...)
	if first.code != exitOK || !strings.Contains(first.stdout, " items=24 ") {
		t.Fatalf("first crawl: exit %d, %s%s", first.code, first.stdout, first.stderr)
	}
	writeFile(t, conf, "delay: 0\nsitemaps: false\n"+rules)
	refresh := trawl(t, append(args, "--revisit-after", "0s")...)
	if refresh.code != exitOK || !strings.Contains(refresh.stdout, "run=2 ") || !strings.Contains(refresh.stdout, " items=12 ") {
		t.Fatalf("refresh: exit %d, %s%s", refresh.code, refresh.stdout, refresh.stderr)
	}
	var notModified int
	openDB(t, db).QueryRow(`SELECT count(*) FROM fetches WHERE run_id = 2 AND status = 304`).Scan(&notModified)
	if notModified != 12 {
		t.Fatalf("%d pages answered 304 in the refresh, want all 12", notModified)
	}
	r := trawl(t, "export", db, "--what", "items")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != exitOK || len(lines) != 12 {
		t.Fatalf("export after the refresh: exit %d, %d lines, stderr %q", r.code, len(lines), r.stderr)
	}
	for _, l := range lines {
		if !strings.Contains(l, `"rule":"title","url":"`) || !strings.Contains(l, `"run":2,`) || !strings.Contains(l, `"data":{"title":"`) {
			t.Fatalf("item %s: want the title rule's item, in run 2", l)
		}
	}
}

// TestExportUnknownRuleIsBadInput: a --rule no run recorded is a typo (exit
// 2, naming the rules there are), not an empty export.
func TestExportUnknownRuleIsBadInput(t *testing.T) {
	db := fixtureDB(t)
	out := filepath.Join(t.TempDir(), "items.jsonl")
	r := trawl(t, "export", db, "--what", "items", "--rule", "prodcut", "--out", out)
	if r.code != exitUsage || !strings.Contains(r.stderr, `--rule "prodcut"`) || !strings.Contains(r.stderr, "product") {
		t.Fatalf("exit %d, stderr %q; want 2 naming the rule and the rules there are", r.code, r.stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output file written for bad input: %v", err)
	}
	if r := trawl(t, "export", db, "--what", "items", "--rule", "product"); r.code != 0 {
		t.Errorf("a known rule: exit %d: %s", r.code, r.stderr)
	}
}
