package crawler

import "time"

// clock is the time a crawl goes by: when each host may be asked again, when
// a retry or a pause ends, when a budget of time is spent. A crawl runs on
// the wall clock; tests of the scheduler run it on a clock they move
// themselves, so that delays, back-offs and pauses of seconds or hours are
// checked exactly and without waiting for them.
type clock interface {
	Now() time.Time
	// NewTimer is time.NewTimer: Reset and Stop leave no stale tick in C.
	NewTimer(d time.Duration) timer
	// Idle is told that the scheduler has nothing in flight (no request, no
	// commit, no store read) and waits for a timer only. The wall clock
	// ignores it; a clock that a test moves moves on to the next timer then,
	// and never while work is in flight, so that a response takes no time on
	// it and the test's timeline is the scheduler's decisions alone.
	Idle()
}

// timer is a time.Timer of a clock.
type timer interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

// wallClock is the real time.
type wallClock struct{}

func (wallClock) Now() time.Time                 { return time.Now() }
func (wallClock) NewTimer(d time.Duration) timer { return wallTimer{time.NewTimer(d)} }
func (wallClock) Idle()                          {}

type wallTimer struct{ t *time.Timer }

func (w wallTimer) C() <-chan time.Time   { return w.t.C }
func (w wallTimer) Reset(d time.Duration) { w.t.Reset(d) }
func (w wallTimer) Stop()                 { w.t.Stop() }
