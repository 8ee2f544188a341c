package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// round is a report of one round in which trawl and trawl --warc fetched
// pages each, in the given wall and CPU times.
func round(pages int, trawlWall, trawlCPU, warcWall, warcCPU time.Duration) *realReport {
	return &realReport{
		trawl: &trawlResult{child: &childResult{wall: trawlWall, usage: usage{user: trawlCPU}}}, trawlFetches: pages,
		warc: &trawlResult{child: &childResult{wall: warcWall, usage: usage{user: warcCPU / 2, sys: warcCPU / 2}}}, warcFetches: pages,
	}
}

func TestRoundRatiosAndTheirMedians(t *testing.T) {
	reps := []*realReport{
		round(1000, 10*time.Second, 20*time.Second, 20*time.Second, 30*time.Second),         // 0.50, CPU 1.50
		round(1000, 10*time.Second, 20*time.Second, 10*time.Second, 22*time.Second),         // 1.00, CPU 1.10
		round(1000, 10*time.Second, 20*time.Second, 12500*time.Millisecond, 24*time.Second), // 0.80, CPU 1.20
	}
	var out bytes.Buffer
	printRounds(&out, reps)
	for _, want := range []string{
		"3 rounds",
		"trawl --warc/trawl pages/s       median 0.80  (0.50, 1.00, 0.80)",
		"trawl --warc/trawl CPU per page  median 1.20  (1.50, 1.10, 1.20)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printRounds wrote\n%s\nwant a line with %q", out.String(), want)
		}
	}
	// Crawlers that did not run have no ratio, not a zero.
	if strings.Contains(out.String(), "limit") || strings.Contains(out.String(), "colly") {
		t.Errorf("ratios of crawlers that did not run:\n%s", out.String())
	}
}

// TestReportSaysWhenTwiceCollyIsAboveTheLimit checks the colly/limit line of
// a round: when twice colly's pages/s is above the limit's, the 2x and 0.85
// targets cannot both be met, and the report must say so; otherwise it
// must not.
func TestReportSaysWhenTwiceCollyIsAboveTheLimit(t *testing.T) {
	for _, tt := range []struct {
		collyWall time.Duration
		want      string
		above     bool
	}{
		{15 * time.Second, "ratio colly/limit pages/s: 0.67 (2x colly is 1.33 of the limit: above it)\n", true},
		{25 * time.Second, "ratio colly/limit pages/s: 0.40\n", false},
	} {
		rep := &realReport{
			args:         []string{"bench", "real"},
			seeds:        []string{"http://127.0.0.2:1/", "http://127.0.0.3:1/", "http://127.0.0.4:1/", "http://127.0.0.5:1/"},
			limit:        &childResult{wall: 10 * time.Second},
			limitSummary: map[string]string{"responses": "1000"},
			colly:        &baselineResult{child: &childResult{wall: tt.collyWall}, summary: map[string]string{"responses": "1000"}},
		}
		var out bytes.Buffer
		if err := rep.print(&out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), tt.want) {
			t.Errorf("colly %s against the limit's 10 s: report\n%s\nwant the line %q", tt.collyWall, out.String(), tt.want)
		}
		if got := strings.Contains(out.String(), "above it"); got != tt.above {
			t.Errorf("colly %s: says 2x colly is above the limit = %v, want %v", tt.collyWall, got, tt.above)
		}
	}
}
