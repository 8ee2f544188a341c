package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/fixtures"

	"github.com/spf13/pflag"
)

func TestExampleConfigsScrapeTheDemoSite(t *testing.T) {
	url, stop, err := serveDemo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	dir := t.TempDir()

	books := filepath.Join(dir, "books.db")
	if r := trawl(t, "crawl", "--config", "../../examples/books.yaml", "--db", books, "--quiet", url); r.code != 0 {
		t.Fatalf("books.yaml: exit %d: %s", r.code, r.stderr)
	}
	var items, misses, withPrice int
	var title string
	var year int
	conn := openDB(t, books)
	conn.QueryRow(`SELECT count(*) FILTER (WHERE data IS NOT NULL), count(*) FILTER (WHERE miss IS NOT NULL),
		count(*) FILTER (WHERE json_type(data, '$.price') = 'real') FROM items WHERE rule = 'book'`).Scan(&items, &misses, &withPrice)
	if items != 10 || withPrice != 10 || misses != 1 {
		t.Fatalf("book items %d (with a float price %d), misses %d; want 10, 10, 1 (the out-of-print page)", items, withPrice, misses)
	}
	conn.QueryRow(`SELECT json_extract(data, '$.title'), json_extract(data, '$.year') FROM item_rows WHERE url LIKE '%/deep-water.html'`).Scan(&title, &year)
	if title != "Deep Water" || year != 2015 {
		t.Fatalf("deep-water item: %q %d", title, year)
	}
	var bodies, texts int
	conn.QueryRow(`SELECT (SELECT count(*) FROM bodies), (SELECT count(*) FROM fetches WHERE main_text IS NOT NULL)`).Scan(&bodies, &texts)
	if bodies < 20 || texts < 20 {
		t.Fatalf("store_body/store_text: %d bodies, %d texts", bodies, texts)
	}

	// Edit a rule and re-extract from the stored bodies: no request is sent.
	edited := filepath.Join(dir, "edited.yaml")
	os.WriteFile(edited, []byte(`rules:
  - name: book
    match: "/books/[^/]+\\.html$"
    select: article.book
    fields:
      title: {css: .title, required: true}
      shout: {css: .title, regex: "^(\\S+)"}
`), 0o644)
	before := 0
	r := trawl(t, "extract", books, "--config", edited)
	if r.code != 0 || !strings.Contains(r.stdout, "items=10") {
		t.Fatalf("extract: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	conn.QueryRow(`SELECT count(*) FROM items WHERE rule = 'book' AND json_extract(data, '$.shout') IS NOT NULL
		AND json_extract(data, '$.price') IS NULL`).Scan(&before)
	if before != 10 {
		t.Fatalf("after re-extraction %d items have the new field and no old one, want 10", before)
	}

	cat := filepath.Join(dir, "catalogue.db")
	if r := trawl(t, "crawl", "--config", "../../examples/catalogue.yaml", "--db", cat, "--quiet", url); r.code != 0 {
		t.Fatalf("catalogue.yaml: exit %d: %s", r.code, r.stderr)
	}
	var authors, nested, titles int
	conn = openDB(t, cat)
	conn.QueryRow(`SELECT count(*), sum(json_array_length(data, '$.books')) FROM items WHERE rule = 'author' AND data IS NOT NULL`).Scan(&authors, &nested)
	conn.QueryRow(`SELECT json_array_length(data, '$.titles') FROM items WHERE rule = 'catalogue'`).Scan(&titles)
	if authors != 5 || nested != 10 || titles != 10 {
		t.Fatalf("authors %d with %d nested books, catalogue titles %d; want 5, 10, 10", authors, nested, titles)
	}
}

func TestConfigErrorsBeforeAnyRequest(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(`scope: host
delay: soon
colour: blue
rules:
  - name: products
    fields:
      title: {css: "h1[", required: true}
      price: {css: .price, regex: "([0-9", type: money}
`), 0o644)
	r := trawl(t, "crawl", "--config", bad, "--db", filepath.Join(dir, "x.db"), h.URL+"/")
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", r.code, exitUsage, r.stderr)
	}
	if h.Log.Len() != 0 {
		t.Fatalf("%d requests were sent despite a broken config", h.Log.Len())
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err == nil {
		t.Fatal("a database was created for a broken config")
	}
	for _, want := range []string{"bad.yaml:2", "duration"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	// With the syntax right, every semantic problem is reported with its line.
	os.WriteFile(bad, []byte(`scope: host
colour: blue
rules:
  - name: products
    fields:
      title: {css: "h1[", required: true}
      price: {css: .price, regex: "([0-9", type: money}
`), 0o644)
	r = trawl(t, "crawl", "--config", bad, "--db", filepath.Join(dir, "x.db"), h.URL+"/")
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", r.code, exitUsage, r.stderr)
	}
	for _, want := range []string{`bad.yaml:2: unknown key "colour"`, "bad.yaml:6", "bad.yaml:7", "regex", "money"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if h.Log.Len() != 0 {
		t.Fatalf("%d requests were sent despite a broken config", h.Log.Len())
	}
}

// writeFile writes a test file, failing the test if it cannot.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConfigKeysForCrawlOptions checks that every crawl flag that is not a
// crawler setting is also a config key, and that the command line wins.
func TestConfigKeysForCrawlOptions(t *testing.T) {
	h := fixtures.MustBasicSite(t, fixtures.HostConfig{})
	dir := t.TempDir()
	base := "delay: 0\nsitemaps: false\n"

	t.Run("seeds_file", func(t *testing.T) {
		// The seeds file sits next to the config, not in the working directory.
		writeFile(t, filepath.Join(dir, "conf", "seeds.txt"), "# seeds\n"+h.URL+"/about/team.html\n")
		other := filepath.Join(dir, "other-seeds.txt")
		writeFile(t, other, h.URL+"/blog/2024/first-post.html\n")
		conf := filepath.Join(dir, "conf", "seeds.yaml")
		writeFile(t, conf, base+"max_pages: 1\nseeds_file: seeds.txt\n") // only the seed is fetched

		db := filepath.Join(dir, "seeds.db")
		if r := trawl(t, "crawl", "--config", conf, "--db", db, "--quiet"); r.code != exitStopped {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		got, _ := recordedURLs(t, db)
		compare(t, map[string]int{h.URL + "/about/team.html": 200}, got)

		db2 := filepath.Join(dir, "seeds2.db")
		if r := trawl(t, "crawl", "--config", conf, "--db", db2, "--quiet", "--seeds-file", other); r.code != exitStopped {
			t.Fatalf("--seeds-file over the file: exit %d: %s", r.code, r.stderr)
		}
		got, _ = recordedURLs(t, db2)
		compare(t, map[string]int{h.URL + "/blog/2024/first-post.html": 200}, got)
	})

	crawlWith := func(t *testing.T, name, conf string, flags ...string) result {
		t.Helper()
		path := filepath.Join(dir, name+".yaml")
		writeFile(t, path, base+conf)
		db := filepath.Join(t.TempDir(), name+".db")
		args := append([]string{"crawl", "--config", path, "--db", db, h.URL + "/"}, flags...)
		r := trawl(t, args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		return r
	}

	t.Run("log_format", func(t *testing.T) {
		r := crawlWith(t, "json", "log_format: json\n")
		if !strings.HasPrefix(r.stderr, `{"time":`) || strings.Contains(r.stderr, "level=INFO") {
			t.Fatalf("log_format: json, stderr:\n%s", r.stderr)
		}
		r = crawlWith(t, "json", "log_format: json\n", "--log-format", "text")
		if !strings.Contains(r.stderr, "level=INFO") || strings.Contains(r.stderr, `{"time":`) {
			t.Fatalf("--log-format text over the file, stderr:\n%s", r.stderr)
		}
	})

	t.Run("quiet", func(t *testing.T) {
		r := crawlWith(t, "quiet", "quiet: true\n")
		if r.stderr != "" {
			t.Fatalf("quiet: true, stderr:\n%s", r.stderr)
		}
		r = crawlWith(t, "quiet", "quiet: true\n", "--quiet=false")
		if !strings.Contains(r.stderr, "level=INFO") {
			t.Fatalf("--quiet=false over the file, stderr:\n%s", r.stderr)
		}
	})

	t.Run("verbose", func(t *testing.T) {
		// The second crawl of a database reuses the stored robots.txt and
		// says so at debug level.
		path := filepath.Join(dir, "verbose.yaml")
		writeFile(t, path, base+"verbose: true\n")
		db := filepath.Join(t.TempDir(), "verbose.db")
		args := []string{"crawl", "--config", path, "--db", db, "--revisit-after", "0s", h.URL + "/"}
		if r := trawl(t, args...); r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		r := trawl(t, args...)
		if r.code != 0 || !strings.Contains(r.stderr, "level=DEBUG") {
			t.Fatalf("verbose: true: exit %d, want debug lines; stderr:\n%s", r.code, r.stderr)
		}
		r = trawl(t, append(args, "--verbose=false")...)
		if r.code != 0 || strings.Contains(r.stderr, "level=DEBUG") || !strings.Contains(r.stderr, "level=INFO") {
			t.Fatalf("--verbose=false over the file: exit %d, want info and no debug lines; stderr:\n%s", r.code, r.stderr)
		}
	})

	t.Run("progress", func(t *testing.T) {
		// The progress line is cleared with ESC[K when the crawl ends.
		r := crawlWith(t, "progress", "progress: always\nquiet: true\n")
		if !strings.Contains(r.stderr, "\x1b[K") {
			t.Fatalf("progress: always, stderr %q", r.stderr)
		}
		r = crawlWith(t, "progress", "progress: always\nquiet: true\n", "--progress", "never")
		if r.stderr != "" {
			t.Fatalf("--progress never over the file, stderr %q", r.stderr)
		}
	})

	t.Run("max_db_size", func(t *testing.T) {
		cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 60, Seed: 3, MinBytes: 3000, MaxBytes: 5000})
		path := filepath.Join(dir, "size.yaml")
		writeFile(t, path, base+"quiet: true\nmax_db_size: 100K\n")
		args := append([]string{"crawl", "--config", path, "--db", filepath.Join(t.TempDir(), "size.db")}, cl.Seeds()...)
		r := trawl(t, args...)
		if r.code != exitFailed || !strings.Contains(r.stderr, "is full") {
			t.Fatalf("max_db_size: 100K: exit %d, stderr %q; want %d and a full-disk message", r.code, r.stderr, exitFailed)
		}
		args = append([]string{"crawl", "--config", path, "--db", filepath.Join(t.TempDir(), "size.db"), "--max-db-size", "100M"}, cl.Seeds()...)
		if r := trawl(t, args...); r.code != 0 {
			t.Fatalf("--max-db-size 100M over the file: exit %d: %s", r.code, r.stderr)
		}
	})
}

// TestConfigCommandLineOnlyKeys checks that fresh (and config) in a config
// file are refused, saying why, before anything is fetched.
func TestConfigCommandLineOnlyKeys(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	dir := t.TempDir()
	conf := filepath.Join(dir, "nightly.yaml")
	writeFile(t, conf, "scope: host\nfresh: true\nconfig: other.yaml\n")
	r := trawl(t, "crawl", "--config", conf, "--db", filepath.Join(dir, "x.db"), h.URL+"/")
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", r.code, exitUsage, r.stderr)
	}
	for _, want := range []string{
		conf + ":2: fresh: not allowed in a config file; use --fresh on the command line",
		conf + ":3: config: not allowed in a config file; use --config on the command line",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if h.Log.Len() != 0 {
		t.Fatalf("%d requests were sent despite a refused config", h.Log.Len())
	}
}

// TestConfigValueErrorsHaveLines checks that values the crawl would refuse
// are reported with file and line, like syntax and unknown keys, before any
// request and without creating the database.
func TestConfigValueErrorsHaveLines(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	dir := t.TempDir()
	conf := filepath.Join(dir, "bad.yaml")
	writeFile(t, conf, `# a comment
scope: planet
concurrency: 0
timeout: -1s
allow: ["(unclosed"]
log_format: xml
progress: sometimes
max_db_size: lots
throttle_target: 500
max_depth: -1
delay: 1s
`)
	db := filepath.Join(dir, "x.db")
	r := trawl(t, "crawl", "--config", conf, "--db", db, h.URL+"/")
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", r.code, exitUsage, r.stderr)
	}
	for _, want := range []string{
		conf + `:2: scope "planet": want host, domain or any`,
		conf + `:3: concurrency 0`,
		conf + `:4: timeout -1s`,
		conf + `:5: allow`,
		conf + `:6: log_format "xml": want text or json`,
		conf + `:7: progress "sometimes": want auto, always or never`,
		conf + `:8: max_db_size: "lots" is not a size`,
		conf + `:9: throttle-target 500`,
		conf + `:10: max_depth: limits must be zero`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, ":11:") {
		t.Errorf("a valid line was reported:\n%s", r.stderr)
	}
	if h.Log.Len() != 0 {
		t.Fatalf("%d requests were sent despite a broken config", h.Log.Len())
	}
	if _, err := os.Stat(db); err == nil {
		t.Fatal("a database was created for a broken config")
	}

	// A flag on the command line does not excuse a broken file.
	writeFile(t, conf, "delay: 0\nscope: planet\n")
	r = trawl(t, "crawl", "--config", conf, "--db", db, "--scope", "host", h.URL+"/")
	wantOneLineError(t, r, exitUsage, conf+`:2: scope "planet"`)
}

// TestEveryCrawlFlagIsAConfigKey keeps the README's promise that any crawl
// flag can be a key of the config file, as flags are added.
func TestEveryCrawlFlagIsAConfigKey(t *testing.T) {
	keys := map[string]bool{}
	for _, k := range fileKeys() {
		keys[k] = true
	}
	commandLineOnly := map[string]bool{"config": true, "fresh": true, "help": true}
	(&app{}).crawlCmd().Flags().VisitAll(func(f *pflag.Flag) {
		key := strings.ReplaceAll(f.Name, "-", "_")
		if !commandLineOnly[f.Name] && !keys[key] {
			t.Errorf("crawl flag --%s has no config key %q", f.Name, key)
		}
	})
}

// TestEveryCrawlFlagTakesEffectOnResume: a flag given when resuming is
// either a crawl setting (it overrides the stored one for that invocation) or
// one of a known list of options that are never stored, so no flag can be
// silently dropped on a resume or refresh.
func TestEveryCrawlFlagTakesEffectOnResume(t *testing.T) {
	notStored := map[string]bool{"config": true, "fresh": true, "help": true, "db": true, "seeds-file": true,
		"log-format": true, "quiet": true, "verbose": true, "progress": true, "max-db-size": true,
		"lease": true, "heartbeat": true, "db-outage": true, // the worker's own, each invocation's
		"max-pages": true, "max-duration": true, // budgets: always the invocation's
		"store-body": true, "store-text": true, // extraction: kept (keepExtraction)
	}
	(&app{}).crawlCmd().Flags().VisitAll(func(f *pflag.Flag) {
		// The settings this flag, given alone, gives.
		flags := (&app{}).crawlCmd().Flags()
		if err := flags.Set(f.Name, f.DefValue); err != nil {
			flags.Set(f.Name, "1") // a size has no zero to give
		}
		overridable := false
		for _, key := range givenSettings(flags, crawlOptions{}) {
			s, _ := crawler.LookupSetting(key)
			overridable = overridable || s.Class == crawler.Tuning || s.Class == crawler.Defining
		}
		if !overridable && !notStored[f.Name] {
			t.Errorf("crawl flag --%s is neither a stored setting nor an invocation option", f.Name)
		}
	})
}

// TestTyposGetSuggestions checks that a mistyped flag or config key is
// answered with the one probably meant: a swap of letters, a letter left
// out, and the flag spelling (-) in a file whose keys use _ (and the
// reverse). A word close to nothing gets no guess.
func TestTyposGetSuggestions(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"crawl", "--dealy", "1", "http://127.0.0.1:1/"}, "unknown flag: --dealy (did you mean --delay? see trawl crawl --help)"},
		{[]string{"crawl", "--max_pages", "1", "http://127.0.0.1:1/"}, "did you mean --max-pages?"},
		{[]string{"query", "--formt", "csv", db}, "did you mean --format? see trawl query --help"},
		{[]string{"crawl", "--bogus", "http://127.0.0.1:1/"}, "unknown flag: --bogus (see trawl crawl --help)"},
	}
	for i, file := range []struct{ yaml, want string }{
		{"dealy: 1\n", `:1: unknown key "dealy" (did you mean delay?)`},
		{"scope: host\nmax-pages: 3\n", `:2: unknown key "max-pages" (did you mean max_pages?)`},
		{"rulse: []\n", `:1: unknown key "rulse" (did you mean rules?)`},
		{"colour: blue\n", `:1: unknown key "colour"` + "\n"},
	} {
		path := filepath.Join(dir, fmt.Sprintf("c%d.yaml", i))
		writeFile(t, path, file.yaml)
		cases = append(cases, struct {
			args []string
			want string
		}{[]string{"crawl", "--config", path, "--db", db, "http://127.0.0.1:1/"}, path + file.want})
	}
	for _, tc := range cases {
		r := trawl(t, tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("trawl %v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, exitUsage, tc.want)
		}
	}
}

// TestConfigSeedsOneURL checks that "seeds: URL", one seed written without
// list brackets, is that seed (it was refused with yaml.v3's "cannot
// unmarshal !!str into []string"), and that a seeds value that is neither
// is reported with its line in words a user can act on.
func TestConfigSeedsOneURL(t *testing.T) {
	h := fixtures.MustBasicSite(t, fixtures.HostConfig{})
	dir := t.TempDir()
	one := filepath.Join(dir, "one.yaml")
	writeFile(t, one, "seeds: "+h.URL+"/\nmax_depth: 0\nmax_pages: 1\n")
	db := filepath.Join(dir, "one.db")
	if r := trawl(t, "crawl", "--config", one, "--db", db, "-q"); r.code != exitStopped && r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var seed string
	openDB(t, db).QueryRow(`SELECT url FROM urls WHERE depth = 0 AND via = 'seed'`).Scan(&seed)
	if seed != h.URL+"/" {
		t.Fatalf("seed recorded %q, want %q", seed, h.URL+"/")
	}
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, "scope: host\nseeds:\n  home: "+h.URL+"/\n")
	r := trawl(t, "crawl", "--config", bad, "--db", filepath.Join(dir, "bad.db"))
	if want := bad + ":3: seeds: want a URL or a list of URLs"; r.code != exitUsage || !strings.Contains(r.stderr, want) {
		t.Fatalf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, exitUsage, want)
	}
}
