package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/fixtures"
)

// TestProgressLineFitsTheWidth checks the progress line at terminal widths
// from very narrow to wide: it never reaches the last column (so it never
// wraps and leaves a stale row behind), drops its least useful fields
// first, and shows the items when the crawl has rules.
func TestProgressLineFitsTheWidth(t *testing.T) {
	s := crawler.Stats{Pages: 1234567, Queued: 89012345, InFlight: 16, Errors: 4321, Items: 98765}
	el := 10 * time.Minute
	for _, width := range []int{1, 10, 20, 30, 40, 60, 80, 120, 200} {
		for _, items := range []bool{false, true} {
			line := progressLine(s, el, items, width)
			if w := displayWidth(line); w >= width && width > 1 {
				t.Errorf("width %d, items %v: line %q is %d columns", width, items, line, w)
			}
			if strings.ContainsAny(line, "\r\n\x1b") {
				t.Errorf("width %d: line %q holds control characters", width, line)
			}
			if width >= 40 && !strings.Contains(line, "pages 1234567") {
				t.Errorf("width %d: line %q lacks the page count", width, line)
			}
			if width >= 40 && items != strings.Contains(line, "items 98765") {
				t.Errorf("width %d, items %v: line %q", width, items, line)
			}
		}
	}
	if line := progressLine(s, el, true, 200); line != "pages 1234567  items 98765  queued 89012345  in flight 16  2057.6 pages/s  errors 4321" {
		t.Errorf("wide line %q", line)
	}
	if line := progressLine(s, el, false, 40); line != "pages 1234567  errors 4321" {
		t.Errorf("40-column line %q", line)
	}
	if f := progressFrame("pages 1"); f != "\rpages 1\x1b[K" {
		t.Errorf("frame %q: want a return, the line, and clear to the end of the line", f)
	}
}

// TestProgressLineOnANarrowTerminal runs a crawl with the progress line on
// and COLUMNS=40 (as a 40-column terminal sets it): every frame fits.
func TestProgressLineOnANarrowTerminal(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 300, Seed: 11,
		MinBytes: 2000, MaxBytes: 3000, Latency: 20 * time.Millisecond})
	db := filepath.Join(t.TempDir(), "narrow.db")
	cmd := exec.Command(trawlBin, append([]string{"crawl", "--db", db, "--delay", "0", "--quiet", "--progress", "always"}, cl.Seeds()...)...)
	cmd.Env = append(os.Environ(), "COLUMNS=40")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() { <-ctx.Done(); cmd.Process.Kill() }()

	// Read frames (each starts with \r) until two have been drawn, then stop
	// the crawl and read the rest.
	var frames []string
	rd := bufio.NewReader(stderr)
	signalled := false
	for {
		chunk, err := rd.ReadString('\r')
		if chunk = strings.TrimSuffix(chunk, "\r"); chunk != "" {
			frames = append(frames, chunk)
		}
		if len(frames) >= 2 && !signalled {
			cmd.Process.Signal(syscall.SIGINT)
			signalled = true
		}
		if err != nil {
			break
		}
	}
	cmd.Wait()
	if len(frames) < 2 {
		t.Fatalf("%d progress frames drawn, want at least 2: %q", len(frames), frames)
	}
	for _, f := range frames {
		line, ok := strings.CutSuffix(f, "\x1b[K")
		if !ok && f != "\x1b[K" {
			t.Errorf("frame %q does not end by clearing the rest of the line", f)
		}
		if strings.Contains(line, "\n") {
			t.Errorf("frame %q breaks the line", f)
		}
		if w := displayWidth(line); w >= 40 {
			t.Errorf("frame %q is %d columns on a 40-column terminal", line, w)
		}
	}
}

// TestSummaryLine checks the summary's fields: the item count, and no field
// written empty (classes= when nothing failed or was skipped).
func TestSummaryLine(t *testing.T) {
	h := onePage(t)
	dir := t.TempDir()
	r := trawl(t, "crawl", "--db", filepath.Join(dir, "one.db"), "--quiet", "--ignore-robots", "--sitemaps=false", h.URL+"/")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(r.stdout), "trawl: "))
	var keys []string
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			t.Errorf("summary field %q is empty or not key=value: %s", f, r.stdout)
		}
		keys = append(keys, k)
	}
	if got := strings.Join(keys, " "); got != "run status pages errors skipped items run_pages run_errors run_skipped queued duration rate db" {
		t.Errorf("summary keys %q", got)
	}

	url, stop, err := serveDemo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	r = trawl(t, "crawl", "--config", "../../examples/books.yaml", "--db", filepath.Join(dir, "books.db"), "--quiet", url)
	if r.code != 0 || !strings.Contains(r.stdout, " items=10 ") || !strings.Contains(r.stdout, " classes=") {
		t.Fatalf("books.yaml: exit %d, want items=10 and classes in the summary: %s", r.code, r.stdout)
	}
}

// TestRunsTableFitsTheWidth checks that trawl runs leaves out its lesser
// columns to fit a narrow terminal, says which, and keeps them all when
// not on a terminal.
func TestRunsTableFitsTheWidth(t *testing.T) {
	h := onePage(t)
	db := filepath.Join(t.TempDir(), "runs.db")
	for range 2 {
		if r := trawl(t, "crawl", "--db", db, "--quiet", "--ignore-robots", "--sitemaps=false", h.URL+"/"); r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	}
	runs := func(columns string) result {
		cmd := exec.Command(trawlBin, "runs", db)
		cmd.Env = append(os.Environ(), "COLUMNS="+columns)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("runs: %v: %s", err, errb.String())
		}
		return result{stdout: out.String(), stderr: errb.String()}
	}
	for _, width := range []int{80, 120} {
		r := runs(strconv.Itoa(width))
		for line := range strings.Lines(r.stdout) {
			if w := displayWidth(strings.TrimSuffix(line, "\n")); w > width {
				t.Errorf("COLUMNS=%d: line of %d columns: %q", width, w, line)
			}
		}
		header := strings.Fields(strings.SplitN(r.stdout, "\n", 2)[0])
		if header[0] != "run" || header[1] != "kind" || header[2] != "status" || !strings.Contains(r.stdout, "pages") {
			t.Errorf("COLUMNS=%d: the main columns went: %v", width, header)
		}
		if !strings.Contains(r.stderr, "left out to fit") || !strings.Contains(r.stderr, "newly_broken_links") {
			t.Errorf("COLUMNS=%d: stderr does not say what was left out: %q", width, r.stderr)
		}
	}
	r := runs("") // not a terminal, no COLUMNS: every column
	if header := strings.Fields(strings.SplitN(r.stdout, "\n", 2)[0]); len(header) != 16 || r.stderr != "" {
		t.Errorf("off a terminal: %d columns, stderr %q; want all 16", len(header), r.stderr)
	}
}

// screenRows replays what a terminal shows for out: \r returns to the start
// of the row, ESC[K clears from the cursor to the end of the row, \n ends
// the row. It returns the rows that were ended.
func screenRows(out string) []string {
	var rows []string
	var row []rune
	col := 0
	for i := 0; i < len(out); {
		switch {
		case strings.HasPrefix(out[i:], "\x1b[K"):
			row = row[:min(col, len(row))]
			i += len("\x1b[K")
			continue
		case out[i] == '\r':
			col = 0
		case out[i] == '\n':
			rows = append(rows, string(row))
			row, col = nil, 0
		default:
			r, size := utf8.DecodeRuneInString(out[i:])
			if col < len(row) {
				row[col] = r
			} else {
				row = append(row, r)
			}
			col++
			i += size
			continue
		}
		i++
	}
	return rows
}

// TestLogLinesAboveTheProgressLine checks that with the progress line shown
// each log line (here -v's request log) gets a row of its own: the progress
// line is erased before it and drawn again after, so that no row of the
// screen is a progress line with a log record glued to its end.
func TestLogLinesAboveTheProgressLine(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 30, Seed: 3,
		MinBytes: 2000, MaxBytes: 3000, Latency: 20 * time.Millisecond})
	db := filepath.Join(t.TempDir(), "live.db")
	cmd := exec.Command(trawlBin, append([]string{"crawl", "--db", db, "--delay", "0.05", "--per-host", "1", "-v",
		"--progress", "always", "--sitemaps=false"}, cl.Seeds()...)...)
	cmd.Env = append(os.Environ(), "COLUMNS=100")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("crawl: %v\n%s", err, errb.String())
	}
	out := errb.String()
	if !strings.Contains(out, "pages/s") {
		t.Fatalf("no progress line drawn: %q", out)
	}
	rows := screenRows(out)
	fetches := 0
	for _, row := range rows {
		if !strings.HasPrefix(row, "time=") {
			t.Errorf("row is not a log line of its own: %q", row)
		}
		if strings.Contains(row, "msg=fetch ") {
			fetches++
		}
	}
	if fetches < 30 {
		t.Errorf("%d request lines on screen, want one per page (30)", fetches)
	}
}
