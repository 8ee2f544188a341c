package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
)

// TestBenchSmallSite runs the whole benchmark command on a tiny site, so that
// the command (building both crawlers, running them, parsing their summaries)
// keeps working. It asserts what the report says about correctness, not speed:
// trawl found exactly the site's URLs, and both crawlers exited cleanly.
func TestBenchSmallSite(t *testing.T) {
	ctx := longTest(t, "builds two binaries", 3*time.Minute)
	var out bytes.Buffer
	o := options{pages: 200, hosts: 2, concurrency: 4, perHost: 2, only: "both", timeout: 2 * time.Minute, repeat: 1}
	if err := run(ctx, o, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	report := out.String()

	site := regexp.MustCompile(`a complete crawl finds (\d+) URLs`).FindStringSubmatch(report)
	fetched := regexp.MustCompile(`trawl: status=finished, (\d+) fetches of (\d+) distinct URLs`).FindStringSubmatch(report)
	if site == nil || fetched == nil {
		t.Fatalf("report lacks the site's URL count or trawl's finished status:\n%s", report)
	}
	want, _ := strconv.Atoi(site[1])
	n, _ := strconv.Atoi(fetched[1])
	distinct, _ := strconv.Atoi(fetched[2])
	if n != distinct {
		t.Errorf("trawl fetched %d times for %d distinct URLs: duplicates\n%s", n, distinct, report)
	}
	// trawl also probes /sitemap.xml once per host, a 404 the site's link
	// graph does not contain.
	if distinct != want+o.hosts {
		t.Errorf("trawl fetched %d distinct URLs, want the site's %d plus %d sitemap probes\n%s", distinct, want, o.hosts, report)
	}
	if !regexp.MustCompile(`(?m)^trawl .* 0\s*$`).MatchString(report) || !regexp.MustCompile(`(?m)^baseline .* 0\s*$`).MatchString(report) {
		t.Errorf("a crawler did not exit 0:\n%s", report)
	}
	if !regexp.MustCompile(`ratio trawl/baseline pages/s: \d+\.\d+`).MatchString(report) {
		t.Errorf("report lacks the ratio:\n%s", report)
	}
}

// longTest skips t under -short, saying why, and returns a context that
// ends after d or with t.
func longTest(t *testing.T, why string, d time.Duration) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip(why)
	}
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestBaselineDedup runs the colly baseline with -dedup on a generated site
// at the concurrency of the benchmarks: it must ask for no URL twice and
// still reach every URL the site has, so that the baseline bench real
// compares trawl with is colly doing the same work once. The site is dense
// in links (100 to 200 a page) so that the race is met: without -dedup,
// colly asked for 3 and 64 URLs twice in two of three runs.
func TestBaselineDedup(t *testing.T) {
	ctx := longTest(t, "builds the baseline", 2*time.Minute)
	root, err := moduleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "baseline")
	if err := build(ctx, root, bin, "./bench/baseline"); err != nil {
		t.Fatal(err)
	}
	cl, err := fixtures.StartGenerated(fixtures.GenConfig{Hosts: 2, PagesPerHost: 1000, Seed: 3, DisableLog: true, CrossHostPermille: 50, MinLinks: 100, MaxLinks: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	site := expectSite(cl)

	b, err := runBaseline(ctx, options{concurrency: 16, timeout: time.Minute, dedup: true}, bin, filepath.Join(dir, "baseline.stderr"), cl.Seeds())
	if err != nil {
		t.Fatal(err)
	}
	if b.problem != "" {
		t.Fatalf("baseline: %s", b.problem)
	}
	if d := b.get("duplicates"); d != 0 {
		t.Errorf("baseline -dedup asked for %d URLs twice", d)
	}
	if got := b.get("unique"); got != int64(site.urls) {
		t.Errorf("baseline -dedup asked for %d distinct URLs, the site has %d", got, site.urls)
	}
}
