package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// signalWatch turns SIGINT and SIGTERM (or a.interrupt in tests) into a
// cancelled context, and remembers which signal came.
type signalWatch struct {
	mu  sync.Mutex
	got os.Signal

	done, exited chan struct{}
	ch           chan os.Signal // set when the process's own signals are watched
	cancel       context.CancelFunc
}

// watchSignals returns a context cancelled by the first SIGINT or SIGTERM.
// onFirst, when not nil, runs at that moment (to tell the user what happens
// now). With exitOnSecond, a second signal ends the process at once, which is
// safe for every command because nothing uncommitted is ever marked done.
// Call stop when the work is over.
func (a *app) watchSignals(ctx context.Context, onFirst func(os.Signal), exitOnSecond bool) (context.Context, *signalWatch) {
	ctx, cancel := context.WithCancel(ctx)
	w := &signalWatch{done: make(chan struct{}), exited: make(chan struct{}), cancel: cancel}
	sigs := a.interrupt
	if sigs == nil {
		w.ch = make(chan os.Signal, 2)
		signal.Notify(w.ch, os.Interrupt, syscall.SIGTERM)
		sigs = w.ch
	}
	go func() {
		defer close(w.exited)
		select {
		case s := <-sigs:
			w.mu.Lock()
			w.got = s
			w.mu.Unlock()
			if onFirst != nil {
				onFirst(s)
			}
			cancel()
		case <-w.done:
			return
		}
		if !exitOnSecond {
			return
		}
		select {
		case s := <-sigs:
			a.say(slog.LevelWarn, fmt.Sprintf("second signal (%s): exiting now", s), "signal", s.String())
			os.Exit(signalExit(s))
		case <-w.done:
		}
	}()
	return ctx, w
}

// signal returns the signal that cancelled the context, or nil.
func (w *signalWatch) signal() os.Signal {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.got
}

// exitCode is the exit status for an interruption: 143 for SIGTERM, 130
// otherwise (SIGINT, or no signal at all).
func (w *signalWatch) exitCode() int {
	if s := w.signal(); s != nil {
		return signalExit(s)
	}
	return exitInterrupted
}

// stop ends the watch and restores the default signal handling.
func (w *signalWatch) stop() {
	close(w.done)
	<-w.exited
	if w.ch != nil {
		signal.Stop(w.ch)
	}
	w.cancel()
}

func signalExit(s os.Signal) int {
	if s == syscall.SIGTERM {
		return exitTerminated
	}
	return exitInterrupted
}
