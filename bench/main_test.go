package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestBenchSmallSite runs the whole benchmark command on a tiny site, so that
// the command (building both crawlers, running them, parsing their summaries)
// keeps working. It asserts what the report says about correctness, not speed:
// trawl found exactly the site's URLs, and both crawlers exited cleanly.
func TestBenchSmallSite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
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
