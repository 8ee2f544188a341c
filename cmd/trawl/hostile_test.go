package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
)

// TestHostileWeb crawls fixtures.Hostile with default settings and checks,
// from the servers' own request log and from the database, that the run ends
// by itself within 60 s with bounded memory, fetches all 20 ordinary pages,
// classifies every fault, asks no URL more often than its retry budget, and
// exits 0.
func TestHostileWeb(t *testing.T) {
	hs := fixtures.MustHostile(t)
	db := filepath.Join(t.TempDir(), "hostile.db")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, trawlBin, append([]string{"crawl", "--db", db}, hs.Seeds()...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if testing.Verbose() {
		t.Logf("requests:\n%s", requestLog(hs.Log))
	}
	if ctx.Err() != nil {
		t.Fatalf("the crawl did not end by itself within 60 s\n%s\nrequests:\n%s", tail(stderr.String()), requestLog(hs.Log))
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 || !strings.Contains(stdout.String(), "status=finished") {
		t.Fatalf("exit %d, summary %q, want 0 and finished\n%s", code, stdout.String(), tail(stderr.String()))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peak := ru.Maxrss << 10 // kilobytes on Linux
		t.Logf("peak RSS %d MiB; %s", peak>>20, strings.TrimSpace(stdout.String()))
		if peak > 300<<20 {
			t.Errorf("peak RSS %d MiB, want at most 300 MiB: bodies are capped at --max-body", peak>>20)
		}
	}

	rdb := openDB(t, db)
	site := hs.Site.URL
	for _, p := range hs.Ordinary {
		if s := status(t, rdb, site+p); s != 200 {
			t.Errorf("ordinary page %s: status %d, want 200", p, s)
		}
	}
	type want struct{ state, reason, class string }
	faults := map[string]want{
		fixtures.HostileRetryAfter:    {"skipped", "deferred", "http-5xx"},
		fixtures.Hostile500:           {"failed", "http-5xx", "http-5xx"},
		fixtures.Hostile429:           {"failed", "http-429", "http-429"},
		fixtures.HostileReset:         {"failed", "reset", "reset"},
		fixtures.HostileResetMidBody:  {"failed", "*", "*"},
		fixtures.HostileBadLength:     {"failed", "protocol", "protocol"},
		fixtures.HostileHugeLength:    {"done", "", "too-large"},
		fixtures.HostileHugeChunked:   {"done", "", "too-large"},
		fixtures.HostileGzipBomb:      {"done", "", "too-large"},
		fixtures.HostileSlowDrip:      {"failed", "timeout", "timeout"},
		fixtures.HostileSlowHeaders:   {"failed", "timeout", "timeout"},
		fixtures.HostileStall:         {"failed", "timeout", "timeout"},
		fixtures.HostileDeep:          {"done", "", ""},
		fixtures.HostileBinary:        {"done", "", "parse"},
		fixtures.HostileBadUTF8:       {"done", "", ""},
		fixtures.HostileManyLinks:     {"done", "", ""},
		fixtures.HostileChain:         {"done", "", ""},
		fixtures.HostileLoop:          {"done", "", ""},
		fixtures.HostileRedirectFile:  {"done", "", ""},
		fixtures.HostileRedirectFTP:   {"done", "", ""},
		fixtures.HostileRedirectSlash: {"done", "", ""},
		fixtures.HostileRedirectEmpty: {"done", "", "bad-url"},
		fixtures.HostileNotFound:      {"done", "", "http-4xx"},
	}
	decided := map[string]string{ // URLs never requested, with their reason
		hs.LongURL()[:4096] + "…":        "too-long",
		"javascript:void(0)":             "unsupported-scheme",
		"file:///etc/passwd":             "unsupported-scheme",
		"ftp://ftp.invalid/pub/":         "unsupported-scheme",
		"//":                             "bad-url",
		site + "/chain/12":               "too-many-redirects",
		hs.Robots5xx.URL + "/":           "http-5xx",
		hs.RobotsHuge.URL + "/private/x": "robots-denied",
	}
	for _, p := range []string{fixtures.HostileCalendar, fixtures.HostileSession, fixtures.HostileDeepPath, fixtures.HostileSearch} {
		faults[hs.Traps.URL+p] = want{"done", "", ""}
	}
	if len(faults)+2 != len(hs.Faults) {
		t.Fatalf("the test knows %d faults, the fixture links %d", len(faults)+2, len(hs.Faults))
	}
	for path, w := range faults {
		u := path
		if strings.HasPrefix(path, "/") {
			u = site + path
		}
		var state, reason, class string
		if err := rdb.QueryRow(`SELECT state, coalesce(reason, ''), coalesce(error_class, '') FROM pages WHERE url = ?`, u).
			Scan(&state, &reason, &class); err != nil {
			t.Errorf("%s: no row: %v", path, err)
			continue
		}
		if state != w.state || (w.reason != "*" && reason != w.reason) || (w.class != "*" && class != w.class) {
			t.Errorf("%s: %s %q %q, want %s %q %q", path, state, reason, class, w.state, w.reason, w.class)
		}
		if w.reason == "*" && (reason != "reset" && reason != "protocol") {
			t.Errorf("%s: reason %q, want reset or protocol", path, reason)
		}
	}
	for u, reason := range decided {
		var got string
		if err := rdb.QueryRow(`SELECT coalesce(reason, '') FROM urls WHERE url = ?`, u).Scan(&got); err != nil || got != reason {
			t.Errorf("%.60s: reason %q (%v), want %q", u, got, err, reason)
		}
	}
	for _, p := range []string{"/found-at-the-bottom", "/found-in-bad-utf8"} {
		if s := status(t, rdb, site+p); s != 200 {
			t.Errorf("%s (linked from a broken page): status %d, want 200", p, s)
		}
	}
	for _, u := range []string{hs.RobotsJunk.URL + "/page", hs.RobotsHuge.URL + "/page"} {
		if s := status(t, rdb, u); s != 200 {
			t.Errorf("%s: status %d, want 200 (robots.txt junk or oversized still lets it be crawled)", u, s)
		}
	}

	// The servers' side: every URL within its budget, traps cut short, the
	// 1 GiB bodies cut at --max-body.
	perURL := map[string]int{}
	traps := map[string]int{}
	for _, r := range hs.Log.Entries() {
		perURL[r.Host+r.Path]++
		for _, prefix := range []string{"/calendar/", "/basket", "/files/", "/search"} {
			if "http://"+r.Host == hs.Traps.URL && strings.HasPrefix(r.Path, prefix) {
				traps[prefix]++
			}
		}
		if r.Bytes > 64<<20 {
			t.Errorf("%s: the server wrote %d MiB; the crawler should stop reading at --max-body", r.Path, r.Bytes>>20)
		}
	}
	const budget = 3 // the default --retries 2, plus the first attempt; robots.txt is tried 3 times
	for u, n := range perURL {
		if n > budget {
			t.Errorf("%s requested %d times, budget %d", u, n, budget)
		}
	}
	for prefix, n := range traps {
		if n > 50 {
			t.Errorf("trap %s: %d pages fetched, want at most 50", prefix, n)
		}
	}
	if len(traps) != 4 {
		t.Errorf("traps entered: %v, want all four", traps)
	}
}

func status(t *testing.T, db *sql.DB, u string) int {
	t.Helper()
	var s int
	db.QueryRow(`SELECT coalesce(status, 0) FROM pages WHERE url = ?`, u).Scan(&s)
	return s
}

// requestLog lists the servers' requests, for a failure message.
func requestLog(l *fixtures.RequestLog) string {
	rs := l.Entries()
	if len(rs) == 0 {
		return ""
	}
	t0 := rs[0].Start
	for _, r := range rs {
		if r.Start.Before(t0) {
			t0 = r.Start
		}
	}
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%7.2fs %6.2fs %3d %s %.60s\n", r.Start.Sub(t0).Seconds(), r.End.Sub(r.Start).Seconds(), r.Status, r.Host, r.Path)
	}
	return tail(b.String())
}

func tail(s string) string {
	if len(s) > 12000 {
		return "..." + s[len(s)-12000:]
	}
	return s
}
