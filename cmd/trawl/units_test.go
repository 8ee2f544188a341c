package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0.5": 500 * time.Millisecond, "2": 2 * time.Second, "0": 0, "500": 500 * time.Second, " 1.25 ": 1250 * time.Millisecond,
		"250ms": 250 * time.Millisecond, "1m30s": 90 * time.Second, "24h": 24 * time.Hour, "-1s": -time.Second, "-1": -time.Second,
	} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "1x", "0x10", "NaN", "Inf", "1e300", "1_000", "5 s"} {
		if got, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"10M": 10 << 20, "10MB": 10 << 20, "10MiB": 10 << 20, "10 MiB": 10 << 20, "10m": 10 << 20,
		"512K": 512 << 10, "2G": 2 << 30, "1T": 1 << 40, "1.5G": 3 << 29, "1048576": 1 << 20, "1": 1,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "M", "0", "-1M", "lots", "1e6", "0x10", "1.5", "9999999T", "10Q"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
	for _, n := range []int64{1, 1000, 1 << 10, 10 << 20, 3 << 29, 1<<40 + 1} {
		if got, err := parseSize(formatSize(n)); err != nil || got != n {
			t.Errorf("formatSize(%d) = %q, read back as %d, %v", n, formatSize(n), got, err)
		}
	}
}

// onePage serves one page without links and no robots.txt, so that a crawl
// of it is one request whatever the delay.
func onePage(t *testing.T) *fixtures.Host {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	h.Handle("/", fixtures.Status(200, map[string]string{"Content-Type": "text/html"}, "<html><title>one</title><p>only page</p></html>"))
	return h
}

// storedConfig is the configuration the latest run of db keeps.
func storedConfig(t *testing.T, db string) map[string]any {
	t.Helper()
	var raw string
	if err := openDB(t, db).QueryRow(`SELECT config FROM runs ORDER BY id DESC LIMIT 1`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestDurationsAndSizesReadAlike checks that flags and config keys read
// durations (a bare number is seconds) and sizes (10M) with one syntax.
func TestDurationsAndSizesReadAlike(t *testing.T) {
	h := onePage(t)
	dir := t.TempDir()
	want := func(t *testing.T, db string) {
		t.Helper()
		cfg := storedConfig(t, db)
		if cfg["delay"] != "500ms" || cfg["max_body"] != float64(10<<20) || cfg["timeout"] != "1m30s" || cfg["retry_base"] != "3s" {
			t.Fatalf("stored delay %v, max_body %v, timeout %v, retry_base %v; want 500ms, %d, 1m30s, 3s",
				cfg["delay"], cfg["max_body"], cfg["timeout"], cfg["retry_base"], 10<<20)
		}
	}
	t.Run("flags", func(t *testing.T) {
		db := filepath.Join(dir, "flags.db")
		r := trawl(t, "crawl", "--db", db, "--quiet", "--ignore-robots", "--sitemaps=false",
			"--delay", "0.5", "--max-body", "10M", "--timeout", "90", "--retry-base", "3s", h.URL+"/")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		want(t, db)
	})
	t.Run("config", func(t *testing.T) {
		conf := filepath.Join(dir, "units.yaml")
		writeFile(t, conf, "delay: 0.5\nmax_body: 10M\ntimeout: 90\nretry_base: 3s\nignore_robots: true\nsitemaps: false\nquiet: true\n")
		db := filepath.Join(dir, "config.db")
		if r := trawl(t, "crawl", "--config", conf, "--db", db, h.URL+"/"); r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		want(t, db)
	})
	t.Run("errors", func(t *testing.T) {
		r := trawl(t, "crawl", "--db", filepath.Join(dir, "bad.db"), "--delay", "soon", h.URL+"/")
		wantOneLineError(t, r, exitUsage, `"soon" is not a duration`)
		r = trawl(t, "crawl", "--db", filepath.Join(dir, "bad.db"), "--max-body", "lots", h.URL+"/")
		wantOneLineError(t, r, exitUsage, `"lots" is not a size`)
		conf := filepath.Join(dir, "bad.yaml")
		writeFile(t, conf, "delay: 0.5\nmax_body: lots\n")
		r = trawl(t, "crawl", "--config", conf, "--db", filepath.Join(dir, "bad.db"), h.URL+"/")
		wantOneLineError(t, r, exitUsage, conf+`:2: "lots" is not a size`)
	})
}

// TestSlowDelaysAreWarned checks that a delay or a Crawl-delay above a minute
// is announced: "delay: 500" is 500 seconds, which looks like a hung crawl.
func TestSlowDelaysAreWarned(t *testing.T) {
	h := onePage(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "slow.yaml")
	writeFile(t, conf, "delay: 500\nignore_robots: true\nsitemaps: false\n")
	r := trawl(t, "crawl", "--config", conf, "--db", filepath.Join(dir, "slow.db"), h.URL+"/")
	if r.code != 0 || !strings.Contains(r.stderr, "above a minute") || !strings.Contains(r.stderr, "delay=8m20s") {
		t.Fatalf("delay: 500: exit %d, want a warning naming 8m20s; stderr:\n%s", r.code, r.stderr)
	}
	r = trawl(t, "crawl", "--db", filepath.Join(dir, "fast.db"), "--delay", "0.5", "--ignore-robots", "--sitemaps=false", h.URL+"/")
	if r.code != 0 || strings.Contains(r.stderr, "above a minute") {
		t.Fatalf("--delay 0.5: exit %d, want no warning; stderr:\n%s", r.code, r.stderr)
	}

	// robots.txt asking for two minutes, allowed by --max-crawl-delay: the
	// crawl is stopped by --max-duration long before the page is due.
	h.SetRobots(200, "User-agent: *\nCrawl-delay: 120\n")
	r = trawl(t, "crawl", "--db", filepath.Join(dir, "robots.db"), "--max-crawl-delay", "5m", "--max-duration", "1", "--sitemaps=false", h.URL+"/")
	if r.code != exitStopped || !strings.Contains(r.stderr, "Crawl-delay is above a minute") || !strings.Contains(r.stderr, "crawl_delay=2m0s") {
		t.Fatalf("Crawl-delay 120: exit %d, want %d and a warning; stderr:\n%s", r.code, exitStopped, r.stderr)
	}
}

// TestJSONLogsWriteDurationsAsText checks that a duration in a JSON log line
// reads "24h0m0s", not a count of nanoseconds.
func TestJSONLogsWriteDurationsAsText(t *testing.T) {
	h := onePage(t)
	db := filepath.Join(t.TempDir(), "refresh.db")
	args := []string{"crawl", "--db", db, "--log-format", "json", "--ignore-robots", "--sitemaps=false", h.URL + "/"}
	if r := trawl(t, args...); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	r := trawl(t, args...)
	if r.code != 0 {
		t.Fatalf("refresh: exit %d: %s", r.code, r.stderr)
	}
	for _, line := range jsonLines(t, r.stderr) {
		if line["msg"] == "starting refresh run" {
			if line["revisit_after"] != "24h0m0s" {
				t.Fatalf("revisit_after = %#v, want \"24h0m0s\"", line["revisit_after"])
			}
			return
		}
	}
	t.Fatalf("no refresh line in:\n%s", r.stderr)
}
