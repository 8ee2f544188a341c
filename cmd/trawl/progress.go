package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/trawl-crawler/trawl/crawler"
)

// How often the progress line is redrawn, and how often a progress record
// is logged instead with --log-format json --progress always.
const (
	progressEvery     = 500 * time.Millisecond
	progressLogEvery  = 10 * time.Second
	defaultTermColumn = 80
)

// terminalWidth is the number of columns of the terminal w writes to: the
// COLUMNS environment variable when it holds a positive number (which lets
// a user or a test choose), else the terminal's own width, else 0 when w is
// not a terminal.
func terminalWidth(w io.Writer) int {
	if n, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return 0
}

// progressField is one "name value" part of the progress line; rank orders
// what a narrow terminal keeps (0 first).
type progressField struct {
	text string
	rank int
}

// progressLine renders the progress line for s, at most width columns wide
// (a width of 0 or less means defaultTermColumn). The fields a narrow
// terminal cannot hold are left out, least useful first; items only appear
// when the crawl has extraction rules.
func progressLine(s crawler.Stats, elapsed time.Duration, items bool, width int) string {
	if width <= 0 {
		width = defaultTermColumn
	}
	// One column is kept free: writing the last column leaves some terminals
	// in a pending wrap, and the next \r then starts a new row.
	width--
	rate := 0.0
	if elapsed > 0 {
		rate = float64(s.Pages) / elapsed.Seconds()
	}
	fields := []progressField{
		{fmt.Sprintf("pages %d", s.Pages), 0},
		{fmt.Sprintf("queued %d", s.Queued), 3},
		{fmt.Sprintf("in flight %d", s.InFlight), 5},
		{fmt.Sprintf("%.1f pages/s", rate), 4},
		{fmt.Sprintf("errors %d", s.Errors), 2},
	}
	if items {
		fields = append(fields[:1], append([]progressField{{fmt.Sprintf("items %d", s.Items), 1}}, fields[1:]...)...)
	}
	const sep = "  "
	for maxRank := 5; ; maxRank-- {
		var parts []string
		for _, f := range fields {
			if f.rank <= maxRank {
				parts = append(parts, f.text)
			}
		}
		line := strings.Join(parts, sep)
		if displayWidth(line) <= width || maxRank == 0 {
			return truncateWidth(line, max(width, 1))
		}
	}
}

// progressFrame is what one redraw writes: back to the start of the line,
// the line, and clear to its end, so that a shorter line leaves nothing of
// the last one.
func progressFrame(line string) string { return "\r" + line + "\033[K" }

// progressWriter is where a crawl with o writes its logs: stderr itself, or,
// when a redrawn progress line is shown there, a liveLine over it (also
// returned) that keeps the log lines clear of the progress line.
func progressWriter(o crawlOptions, stderr io.Writer) (io.Writer, *liveLine) {
	if o.logFormat == "json" || !showProgress(o, stderr) {
		return stderr, nil
	}
	live := &liveLine{w: stderr}
	return live, live
}

// showProgress reports whether a crawl with o shows its progress on stderr:
// on a terminal unless -q or JSON logs turn it off, or with --progress
// always.
func showProgress(o crawlOptions, stderr io.Writer) bool {
	return o.progress == "always" || (o.progress == "auto" && !o.quiet && o.logFormat != "json" && isTerminal(stderr))
}

// startProgress shows the crawl's progress until the returned function is
// called: a line redrawn in place on a terminal (or with --progress always),
// fitted to the terminal's width; with --log-format json, where a redrawn
// line would break the one-object-per-line format, a progress record every
// progressLogEvery instead, and only with --progress always.
func (a *app) startProgress(c *crawler.Crawl, o crawlOptions, log *slog.Logger, live *liveLine, items bool) func() {
	jsonMode := o.logFormat == "json"
	if !showProgress(o, a.stderr) {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	every := progressEvery
	if jsonMode {
		every = progressLogEvery
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		if live != nil {
			// At once, so that the line is there from the start.
			live.draw(progressLine(c.Stats(), 0, items, terminalWidth(a.stderr)))
		}
		for {
			select {
			case <-done:
				if live != nil {
					live.clear()
				}
				return
			case <-t.C:
				s := c.Stats()
				el := time.Since(s.Start)
				if jsonMode {
					log.Info("progress", "pages", s.Pages, "items", s.Items, "queued", s.Queued, "in_flight", s.InFlight,
						"errors", s.Errors, "elapsed", el.Round(time.Second))
					continue
				}
				if live != nil {
					live.draw(progressLine(s, el, items, terminalWidth(a.stderr)))
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}
