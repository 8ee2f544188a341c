package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
)

// freshSite is a home page linking n pages, each with an ETag, so that a run
// which revalidated instead of fetching would get 304s and no links.
func freshSite(t *testing.T, n int) (*fixtures.Host, []string) {
	site := fixtures.NewMutableSite()
	var home strings.Builder
	home.WriteString("<title>home</title>")
	paths := []string{"/"}
	for i := range n {
		p := fmt.Sprintf("/p/%d", i)
		fmt.Fprintf(&home, `<a href="%s">%s</a>`, p, p)
		site.Set(p, fmt.Sprintf(`<title>%d</title><a href="/">home</a>`, i), fixtures.Validators{ETag: true})
		paths = append(paths, p)
	}
	site.Set("/", home.String(), fixtures.Validators{ETag: true, LastModified: true})
	return fixtures.MustHost(t, fixtures.HostConfig{}, site), paths
}

// TestFreshRecrawlsEverything checks that --fresh reaches every page an empty
// database would, with full GETs, after a finished crawl and after a stopped one.
func TestFreshRecrawlsEverything(t *testing.T) {
	h, paths := freshSite(t, 12)
	db := filepath.Join(t.TempDir(), "fresh.db")
	base := []string{"crawl", h.URL + "/", "--db", db, "--delay", "0", "--sitemaps=false", "--quiet"}
	fullGETs := func(from int) map[string]int {
		got := map[string]int{}
		for _, e := range h.Log.Entries()[from:] {
			if e.Path == "/robots.txt" {
				continue
			}
			if e.Header.Get("If-None-Match") != "" || e.Header.Get("If-Modified-Since") != "" {
				t.Errorf("%s: a fresh run sent a conditional GET", e.Path)
			}
			if e.Status == 200 {
				got[e.Path]++
			}
		}
		return got
	}
	check := func(name string, from int, r result) {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", name, r.code, r.stderr)
		}
		got := fullGETs(from)
		for _, p := range paths {
			if got[p] != 1 {
				t.Errorf("%s: %s fetched with 200 %d times, want 1", name, p, got[p])
			}
		}
		if !strings.Contains(r.stdout, fmt.Sprintf(" run_pages=%d ", len(paths))) {
			t.Errorf("%s: summary %q, want run_pages=%d", name, r.stdout, len(paths))
		}
	}

	check("first crawl", 0, trawl(t, base...))
	at := h.Log.Len()
	check("fresh after a finished crawl", at, trawl(t, append(base, "--fresh")...))

	// A stopped crawl: --fresh must not lose the URLs the stop left queued.
	if r := trawl(t, append(base, "--fresh", "--max-pages", "3")...); r.code != 3 {
		t.Fatalf("budgeted fresh run: exit %d, want 3: %s", r.code, r.stderr)
	}
	// The README's first query counts pages, not the URLs still queued.
	db2 := filepath.Join(t.TempDir(), "stopped.db")
	if r := trawl(t, "crawl", h.URL+"/", "--db", db2, "--delay", "0", "--quiet", "--max-pages", "3"); r.code != 3 {
		t.Fatalf("budgeted crawl: exit %d, want 3: %s", r.code, r.stderr)
	}
	q := trawl(t, "query", db2, "SELECT status, count(*) AS n FROM pages GROUP BY status", "--format", "csv")
	if q.code != 0 || q.stdout != "status,n\n200,3\n" {
		t.Errorf("pages by status after a stopped run: exit %d:\n%s", q.code, q.stdout)
	}
	at = h.Log.Len()
	check("fresh after a stopped crawl", at, trawl(t, append(base, "--fresh")...))
}

// TestOverridesBelongToTheInvocation: settings given when resuming apply to
// that invocation, are named at start, and are not stored; settings that
// define the crawl are kept, with a warning.
func TestOverridesBelongToTheInvocation(t *testing.T) {
	h, _ := freshSite(t, 12)
	db := filepath.Join(t.TempDir(), "over.db")
	storedDelay := func() string {
		var d, scope string
		var sitemaps bool
		if err := openDB(t, db).QueryRow(`SELECT json_extract(config, '$.delay'), json_extract(config, '$.scope'),
			json_extract(config, '$.sitemaps') FROM runs WHERE id = 1`).Scan(&d, &scope, &sitemaps); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s %s %v", d, scope, sitemaps)
	}
	if r := trawl(t, "crawl", h.URL+"/", "--db", db, "--delay", "1ms", "--max-pages", "2"); r.code != 3 {
		t.Fatalf("first invocation: exit %d: %s", r.code, r.stderr)
	}
	if got := storedDelay(); got != "1ms host true" {
		t.Fatalf("stored settings %q", got)
	}
	r := trawl(t, "crawl", "--db", db, "--delay", "0", "--per-host", "4", "--sitemaps=false", "--scope", "any", "--max-pages", "2")
	if r.code != 3 {
		t.Fatalf("resume with overrides: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"setting overridden for this invocation only", "setting=delay stored=1ms now=0s",
		"setting=per_host stored=2 now=4", "setting=sitemaps stored=true now=false",
		"setting not changed: it defines the unfinished crawl", "setting=scope stored=host given=any",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("resume with overrides: stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if got := storedDelay(); got != "1ms host true" {
		t.Errorf("stored settings after overrides %q, want them unchanged", got)
	}
	// A config file's keys are given settings too.
	conf := filepath.Join(t.TempDir(), "c.yaml")
	writeFile(t, conf, "per_host: 3\n")
	r = trawl(t, "crawl", "--db", db, "--config", conf, "--max-pages", "2")
	if r.code != 3 || !strings.Contains(r.stderr, "setting=per_host stored=2 now=3") {
		t.Errorf("resume with a config file: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	r = trawl(t, "crawl", "--db", db)
	if r.code != 0 || strings.Contains(r.stderr, "overridden") {
		t.Errorf("plain resume: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestOverriddenHeadersAreNotLogged: a header given on a resume may carry a
// credential, so the override line names it without its value.
func TestOverriddenHeadersAreNotLogged(t *testing.T) {
	h, _ := freshSite(t, 4)
	db := filepath.Join(t.TempDir(), "hdr.db")
	if r := trawl(t, "crawl", h.URL+"/", "--db", db, "--delay", "0", "--max-pages", "1"); r.code != 3 {
		t.Fatalf("first invocation: exit %d: %s", r.code, r.stderr)
	}
	r := trawl(t, "crawl", "--db", db, "--header", "Authorization: Bearer s3cret", "--max-pages", "1")
	if r.code != 3 || !strings.Contains(r.stderr, "setting=header") || strings.Contains(r.stderr, "s3cret") {
		t.Errorf("resume with a header: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestRefusedFreshKeepsTheQueue: --fresh with a setting that cannot crawl
// (a secret file that is missing) exits 2 and changes nothing: the
// unfinished run's queue is not given up. (It was given up before the
// setting was refused.)
func TestRefusedFreshKeepsTheQueue(t *testing.T) {
	h, _ := freshSite(t, 6)
	db := filepath.Join(t.TempDir(), "refused.db")
	if r := trawl(t, "crawl", h.URL+"/", "--db", db, "--delay", "0", "--max-pages", "1", "--quiet"); r.code != exitStopped {
		t.Fatalf("first invocation: exit %d: %s", r.code, r.stderr)
	}
	queued := func() int {
		var n int
		if err := openDB(t, db).QueryRow(`SELECT count(*) FROM urls WHERE state = 'queued'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := queued()
	if before == 0 {
		t.Fatal("nothing queued after a stopped run")
	}
	missing := filepath.Join(t.TempDir(), "missing-token")
	r := trawl(t, "crawl", h.URL+"/", "--db", db, "--fresh", "--bearer", "file:"+missing)
	if r.code != exitUsage || !strings.Contains(r.stderr, "missing-token") {
		t.Fatalf("--fresh with a missing secret file: exit %d, want %d naming the file: %s", r.code, exitUsage, r.stderr)
	}
	if got := queued(); got != before {
		t.Errorf("%d URLs queued after the refused --fresh, want the %d it found", got, before)
	}
}
