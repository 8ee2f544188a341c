package main

import (
	"io"
	"sync"
)

// eraseLine returns the cursor to the start of the row and clears it.
const eraseLine = "\r\033[K"

// liveLine is stderr while a progress line is drawn on it. Log records and
// trawl's own messages are written through it: each write first erases the
// progress line and, once it has ended its own line, draws the progress line
// again below it, so that a log line never starts where the progress line
// ends and no stale progress stays on screen.
type liveLine struct {
	mu      sync.Mutex
	w       io.Writer
	frame   string // what draws the progress line now; "" when none is shown
	midLine bool   // the last write did not end its line
}

// Write writes p above the progress line.
func (l *liveLine) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.frame != "" && !l.midLine {
		io.WriteString(l.w, eraseLine)
	}
	n, err := l.w.Write(p)
	if len(p) > 0 {
		l.midLine = p[len(p)-1] != '\n'
	}
	if l.frame != "" && !l.midLine {
		io.WriteString(l.w, l.frame)
	}
	return n, err
}

// draw replaces the progress line with line.
func (l *liveLine) draw(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.frame = progressFrame(line)
	if !l.midLine {
		io.WriteString(l.w, l.frame)
	}
}

// clear erases the progress line for good.
func (l *liveLine) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.frame != "" && !l.midLine {
		io.WriteString(l.w, eraseLine)
	}
	l.frame = ""
}
