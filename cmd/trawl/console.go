package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
)

// console writes trawl's own messages to stderr (stopping, interrupted, the
// error that ends a command) the way the crawl's logs go: as log records with
// --log-format json, so that every line of stderr is one JSON object, and as
// "trawl: ..." lines in text mode. A message below the log level (anything
// but an error with -q) is not written.
type console struct {
	w    io.Writer
	log  *slog.Logger
	json bool
}

// say writes msg at level; attrs are added to a JSON record (the text line
// carries them in its wording already).
func (c *console) say(level slog.Level, msg string, attrs ...any) {
	if !c.log.Enabled(context.Background(), level) {
		return
	}
	if c.json {
		c.log.Log(context.Background(), level, msg, attrs...)
		return
	}
	fmt.Fprintln(c.w, "trawl: "+msg)
}

// say writes one of trawl's own messages to stderr: through the crawl's
// console once the crawl command has set one up, plainly otherwise.
func (a *app) say(level slog.Level, msg string, attrs ...any) {
	if a.console != nil {
		a.console.say(level, msg, attrs...)
		return
	}
	fmt.Fprintln(a.stderr, "trawl: "+msg)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
