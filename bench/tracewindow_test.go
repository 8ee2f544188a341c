package main

import (
	"fmt"
	"os"
	"runtime/trace"
	"time"
)

// traceWindow writes a Go execution trace of part of a crawl: from start
// after the crawl began, for length, or until the crawl ends. A window mid-
// crawl leaves out the start (seeds, robots.txt, one host's first links) and
// the tail (the last pages of the largest host), where fewer goroutines have
// work and no single one can hold up the others. bench/goroutines reads the
// file and says how each goroutine spent the window.
type traceWindow struct {
	done   chan struct{} // closed when the crawl has ended
	result chan windowResult
}

// windowResult is what the process did during the traced window.
type windowResult struct {
	traced     bool // false: the crawl ended before the window began
	wall, cpu  time.Duration
	loadBefore string // /proc/loadavg's 1, 5 and 15 minute averages
	loadAfter  string
	err        error
}

// startTraceWindow starts the timer of a window traced to path.
func startTraceWindow(path string, start, length time.Duration) *traceWindow {
	w := &traceWindow{done: make(chan struct{}), result: make(chan windowResult, 1)}
	go func() { w.result <- w.run(path, start, length) }()
	return w
}

func (w *traceWindow) run(path string, start, length time.Duration) windowResult {
	wait := time.NewTimer(start)
	defer wait.Stop()
	select {
	case <-wait.C:
	case <-w.done:
		return windowResult{}
	}
	f, err := os.Create(path)
	if err != nil {
		return windowResult{err: err}
	}
	res := windowResult{traced: true, loadBefore: sampleLoad("").avg}
	u0, t0 := selfUsage(), time.Now()
	if err := trace.Start(f); err != nil {
		f.Close()
		return windowResult{err: fmt.Errorf("start the trace: %w", err)}
	}
	end := time.NewTimer(length)
	defer end.Stop()
	select {
	case <-end.C:
	case <-w.done:
	}
	trace.Stop()
	res.wall, res.cpu = time.Since(t0), selfUsage().cpu()-u0.cpu()
	res.loadAfter = sampleLoad("").avg
	if err := f.Close(); err != nil {
		res.err = err
	}
	return res
}

// finish ends the window if it is still open and returns what it measured.
func (w *traceWindow) finish() windowResult {
	close(w.done)
	return <-w.result
}
