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
