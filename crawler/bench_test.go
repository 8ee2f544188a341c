package crawler

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/extract"
	"github.com/trawl-crawler/trawl/fixtures"
)

// BenchmarkPolitenessManyHosts crawls 50 hosts, each limited to one request
// per 100 ms, one of which answers in 2 s, and reports the aggregate request
// rate of the fast hosts as a share of the ideal (49 hosts × 10 requests/s).
// The slow host must not hold the others back. Run with -benchtime=1x:
//
//	go test -run '^$' -bench PolitenessManyHosts -benchtime=1x ./crawler/
func BenchmarkPolitenessManyHosts(b *testing.B) {
	const hosts, pages = 50, 30
	const delay = 100 * time.Millisecond
	log := fixtures.NewRequestLog()
	html := map[string]string{"Content-Type": "text/html"}
	var seeds []string
	var slow string
	for i := range hosts {
		var links strings.Builder
		n := pages
		if i == 0 {
			n = 4 // the slow host: a few pages, so the run stays short
		}
		for p := 1; p < n; p++ {
			fmt.Fprintf(&links, `<a href="/p%d">%d</a>`, p, p)
		}
		cfg := fixtures.HostConfig{IP: fmt.Sprintf("127.0.1.%d", i+1), Log: log}
		if i == 0 {
			cfg.Latency = 2 * time.Second
		}
		h := fixtures.MustHost(b, cfg, fixtures.Status(200, html, links.String()))
		seeds = append(seeds, h.URL+"/")
		if i == 0 {
			slow = strings.TrimPrefix(h.URL, "http://")
		}
	}
	for range b.N {
		log.Reset()
		db := testDB(b)
		cfg := testConfig(seeds...)
		cfg.Concurrency = 16
		cfg.PerHost = 1
		cfg.Delay = Duration(delay)
		cfg.AutoThrottle = false
		cfg.MaxPagesPerHost = pages
		cfg.Timeout = Duration(10 * time.Second)
		b.StartTimer()
		crawlRun(b, db, cfg)
		b.StopTimer()
		var first, last time.Time
		n := 0
		for _, r := range log.Entries() {
			if r.Host == slow {
				continue
			}
			if first.IsZero() || r.Start.Before(first) {
				first = r.Start
			}
			if r.Start.After(last) {
				last = r.Start
			}
			n++
		}
		// n requests over (n/hosts - 1) gaps per host.
		fast := hosts - 1
		ideal := float64(fast) / delay.Seconds()
		measured := float64(n-fast) / last.Sub(first).Seconds()
		b.ReportMetric(measured, "req/s")
		b.ReportMetric(measured/ideal, "of-ideal")
	}
}

// BenchmarkRefreshUnchanged crawls a generated site whose pages all carry
// validators, then refreshes it with nothing changed, and reports how many
// times faster the refresh was (target: at least 3).
//
//	go test -run '^$' -bench RefreshUnchanged -benchtime=1x ./crawler/
func BenchmarkRefreshUnchanged(b *testing.B) {
	cl := fixtures.MustGenerated(b, fixtures.GenConfig{Hosts: 4, PagesPerHost: 1500, Seed: 21, Validators: true, DisableLog: true})
	for range b.N {
		db := testDB(b)
		cfg := testConfig(cl.Seeds()...)
		cfg.Concurrency, cfg.PerHost = 16, 4
		cfg.AutoThrottle = false
		start := time.Now()
		run1, res := crawlRun(b, db, cfg)
		first := time.Since(start)
		if err := db.EndRun(context.Background(), run1.ID, res.Status); err != nil {
			b.Fatal(err)
		}

		start = time.Now()
		cfg.RefreshCutoff = start
		run2, err := db.StartRun(context.Background(), "refresh", []byte("{}"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.RequeueStale(context.Background(), run2.ID, cfg.RefreshCutoff, RetrySkipReasons()); err != nil {
			b.Fatal(err)
		}
		resume(b, db, cfg, run2.ID)
		refresh := time.Since(start)
		unchanged := queryInt(b, db, `SELECT count(*) FROM fetches WHERE run_id = ? AND change = 'unchanged'`, run2.ID)
		if want := queryInt(b, db, `SELECT count(*) FROM fetches WHERE run_id = ?`, run1.ID); unchanged != want {
			b.Fatalf("refresh: %d unchanged of %d", unchanged, want)
		}
		b.ReportMetric(first.Seconds(), "first-s")
		b.ReportMetric(refresh.Seconds(), "refresh-s")
		b.ReportMetric(first.Seconds()/refresh.Seconds(), "speedup")
	}
}

// BenchmarkRulesOverhead crawls the same generated site without extraction
// rules and with two rule sets, and reports the ratio of their page rates
// (target: at least 0.85).
//
//	go test -run '^$' -bench RulesOverhead -benchtime=1x ./crawler/
func BenchmarkRulesOverhead(b *testing.B) {
	cl := fixtures.MustGenerated(b, fixtures.GenConfig{Hosts: 4, PagesPerHost: 1500, Seed: 33, DisableLog: true})
	rules := []extract.RuleSpec{
		{Name: "article", Fields: []extract.FieldSpec{
			{Name: "title", CSS: "h1", Required: true},
			{Name: "subtitle", CSS: "h2"},
			{Name: "lang", CSS: "html", Take: "attr:lang"},
			{Name: "first_paragraph", CSS: "main p"},
			{Name: "words", CSS: "main p", Regex: `(\w+)`},
		}},
		{Name: "nav", Match: "/p/", Select: "nav a", Fields: []extract.FieldSpec{
			{Name: "text", CSS: "", Take: "text"},
			{Name: "href", CSS: "", Take: "attr:href", Type: "url"},
		}},
	}
	crawl := func(withRules bool) float64 {
		db := testDB(b)
		cfg := testConfig(cl.Seeds()...)
		cfg.Concurrency, cfg.PerHost = 16, 4
		cfg.AutoThrottle = false
		if withRules {
			cfg.Rules = rules
		}
		start := time.Now()
		_, res := crawlRun(b, db, cfg)
		return float64(res.Stats.Pages) / time.Since(start).Seconds()
	}
	for range b.N {
		without := crawl(false)
		with := crawl(true)
		b.ReportMetric(without, "pages/s-plain")
		b.ReportMetric(with, "pages/s-rules")
		b.ReportMetric(with/without, "ratio")
	}
}
