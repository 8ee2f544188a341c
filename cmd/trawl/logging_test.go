package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
)

// everyLineJSON parses every line of stderr as one JSON object, failing on
// the first that is not (an empty line included), and returns them.
func everyLineJSON(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	if stderr == "" {
		t.Fatal("stderr is empty")
	}
	if !strings.HasSuffix(stderr, "\n") {
		t.Fatalf("stderr does not end in a newline: %q", stderr[max(0, len(stderr)-80):])
	}
	var recs []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil || m == nil {
			t.Fatalf("stderr line %d is not a JSON object: %q (%v)\nstderr:\n%s", i+1, line, err, stderr)
		}
		if _, ok := m["msg"].(string); !ok {
			t.Fatalf("stderr line %d has no msg: %q", i+1, line)
		}
		recs = append(recs, m)
	}
	return recs
}

// withMsg returns the records whose msg starts with prefix.
func withMsg(recs []map[string]any, prefix string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if strings.HasPrefix(r["msg"].(string), prefix) {
			out = append(out, r)
		}
	}
	return out
}

// TestJSONLogsAreJSONThroughout checks that with --log-format json every
// line trawl crawl writes to stderr is one JSON object: its logs, the
// per-request lines of -v, and its own messages when a budget stops the
// crawl, when a signal interrupts it and when an error ends it.
func TestJSONLogsAreJSONThroughout(t *testing.T) {
	t.Run("budget", func(t *testing.T) {
		cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 40, Seed: 5, MinBytes: 2000, MaxBytes: 3000})
		db := filepath.Join(t.TempDir(), "budget.db")
		args := append([]string{"crawl", "--db", db, "--delay", "0", "--max-pages", "5", "--log-format", "json", "-v",
			"--progress", "always"}, cl.Seeds()...)
		r := trawl(t, args...)
		if r.code != exitStopped {
			t.Fatalf("exit %d, want %d: %s", r.code, exitStopped, r.stderr)
		}
		recs := everyLineJSON(t, r.stderr)
		// The record names the budget that stopped the crawl.
		budget := withMsg(recs, "stopped by --max-pages; run the same command again")
		if len(budget) != 1 || budget[0]["budget"] != "max-pages" || len(withMsg(recs, "fetch")) < 5 {
			t.Fatalf("want a --max-pages budget record and a fetch record per request:\n%s", r.stderr)
		}
	})

	t.Run("interrupted", func(t *testing.T) {
		cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 200, Seed: 6,
			MinBytes: 2000, MaxBytes: 3000, Latency: 20 * time.Millisecond})
		db := filepath.Join(t.TempDir(), "int.db")
		cmd := exec.Command(trawlBin, append([]string{"crawl", "--db", db, "--delay", "0", "--log-format", "json"}, cl.Seeds()...)...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cl.Log.Wait(ctx, func(rs []fixtures.Request) bool { return len(rs) >= 5 }); err != nil {
			t.Fatal(err)
		}
		cmd.Process.Signal(syscall.SIGINT)
		var ee *exec.ExitError
		if err := cmd.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 130 {
			t.Fatalf("exit after SIGINT = %v, want 130; stderr: %s", err, errb.String())
		}
		recs := everyLineJSON(t, errb.String())
		if len(withMsg(recs, "stopping")) != 1 || len(withMsg(recs, "interrupted")) != 1 {
			t.Fatalf("want a stopping and an interrupted record:\n%s", errb.String())
		}
	})

	t.Run("error", func(t *testing.T) {
		r := trawl(t, "crawl", "--db", filepath.Join(t.TempDir(), "x.db"), "--log-format", "json", "ftp://127.0.0.1/")
		if r.code != exitUsage {
			t.Fatalf("exit %d, want %d: %s", r.code, exitUsage, r.stderr)
		}
		recs := everyLineJSON(t, r.stderr)
		if len(recs) != 1 || recs[0]["level"] != "ERROR" || !strings.Contains(recs[0]["msg"].(string), "invalid seed URL") {
			t.Fatalf("want one ERROR record naming the seed: %s", r.stderr)
		}

		conf := filepath.Join(t.TempDir(), "bad.yaml")
		writeFile(t, conf, "scope: planet\ndelay: soon\n")
		r = trawl(t, "crawl", "--config", conf, "--db", filepath.Join(t.TempDir(), "x.db"), "--log-format", "json", "http://127.0.0.1:1/")
		if r.code != exitUsage {
			t.Fatalf("exit %d, want %d: %s", r.code, exitUsage, r.stderr)
		}
		if recs := everyLineJSON(t, r.stderr); len(recs) != 1 || !strings.Contains(recs[0]["msg"].(string), conf+":2:") {
			t.Fatalf("want one record with the config file's errors: %s", r.stderr)
		}
	})
}

// TestVerboseLogsEveryRequest checks that -v logs one line per request with
// its URL, status, size and time, 404s included, and that the JSON records of
// -v match the requests the server saw: a usable request log.
func TestVerboseLogsEveryRequest(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 30, Seed: 7, BrokenPermille: 100,
		MinBytes: 2000, MaxBytes: 3000})
	dir := t.TempDir()
	args := append([]string{"crawl", "--db", filepath.Join(dir, "text.db"), "--delay", "0", "--sitemaps=false", "-v"}, cl.Seeds()...)
	r := trawl(t, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var found404 bool
	for line := range strings.Lines(r.stderr) {
		if strings.Contains(line, "msg=fetch ") && strings.Contains(line, " status=404 ") &&
			strings.Contains(line, " size=") && strings.Contains(line, " duration_ms=") && strings.Contains(line, " url=") {
			found404 = true
		}
	}
	if !found404 {
		t.Fatalf("-v logged no 404 with url, status, size and duration:\n%s", r.stderr)
	}

	cl.Log.Reset()
	args = append([]string{"crawl", "--db", filepath.Join(dir, "json.db"), "--delay", "0", "--sitemaps=false", "-v",
		"--log-format", "json"}, cl.Seeds()...)
	r = trawl(t, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	logged := map[string]int{}
	for _, rec := range withMsg(everyLineJSON(t, r.stderr), "fetch") {
		u, err := url.Parse(rec["url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := rec["duration_ms"].(float64); !ok {
			t.Fatalf("fetch record without duration_ms: %v", rec)
		}
		if rec["msg"] == "fetch" {
			if _, ok := rec["size"].(float64); !ok {
				t.Fatalf("fetch record without size: %v", rec)
			}
			logged[u.RequestURI()] = int(rec["status"].(float64))
		} else {
			logged[u.RequestURI()] = -1 // robots.txt
		}
	}
	served := map[string]int{}
	for _, req := range cl.Log.Entries() {
		if req.Path == "/robots.txt" {
			served[req.Path] = -1
			continue
		}
		served[req.Path] = req.Status
	}
	compare(t, served, logged)
}

// TestQuietIsErrorsOnly checks that -q keeps stderr empty when nothing went
// wrong, a budget stop (exit 3) included, and still reports an error.
func TestQuietIsErrorsOnly(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 20, Seed: 8, MinBytes: 2000, MaxBytes: 3000})
	db := filepath.Join(t.TempDir(), "q.db")
	r := trawl(t, append([]string{"crawl", "--db", db, "--delay", "0", "-q", "--max-pages", "2"}, cl.Seeds()...)...)
	if r.code != exitStopped || r.stderr != "" {
		t.Fatalf("-q, stopped by a budget: exit %d (want %d), stderr %q (want none)", r.code, exitStopped, r.stderr)
	}
	if !strings.Contains(r.stdout, "status=stopped") {
		t.Fatalf("the summary still goes to stdout; got %q", r.stdout)
	}
	r = trawl(t, "crawl", "--db", db, "-q", "--concurrency", "0")
	wantOneLineError(t, r, exitUsage, "concurrency 0")
}
