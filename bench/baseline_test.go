package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
)

// TestBaselineDedup runs the colly baseline with -dedup on a generated site
// at the concurrency of the benchmarks: it must ask for no URL twice and
// still reach every URL the site has, so that the baseline bench real
// compares trawl with is colly doing the same work once. The site is dense
// in links (100 to 200 a page) so that the race is met: without -dedup,
// colly asked for 3 and 64 URLs twice in two of three runs.
func TestBaselineDedup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the baseline")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
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
