//go:build unix

package main

import (
	"bytes"
	"crypto/sha256"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	xtrace "golang.org/x/exp/trace"
)

// spin, sleepInSyscall and block are goroutines whose states the test
// knows: started before the trace, as a crawl's goroutines are before its
// window, and each in one state for all of it.
func spin(cpu time.Duration, done chan<- struct{}) {
	sum := sha256.Sum256(nil)
	for start := processCPU(); processCPU()-start < cpu; {
		for range 10_000 {
			sum = sha256.Sum256(sum[:])
		}
	}
	_ = sum
	close(done)
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func sleepInSyscall(fd int, wg *sync.WaitGroup) {
	defer wg.Done()
	var b [1]byte
	_, _ = syscall.Read(fd, b[:]) // a blocking pipe: the goroutine waits in the kernel
}

func block(release <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	<-release
}

// TestAnalyzeKnownGoroutines traces goroutines whose states are known (one
// computing, one in a system call, three blocked on a channel) and checks
// that the analysis gives each its state for most of the window, groups
// the three as one, and names each by its start function.
func TestAnalyzeKnownGoroutines(t *testing.T) {
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	var wg sync.WaitGroup
	release, spun := make(chan struct{}), make(chan struct{})
	wg.Add(4)
	go sleepInSyscall(fds[0], &wg)
	for range 3 {
		go block(release, &wg)
	}
	// The window is as long as the spinner takes to use this much CPU,
	// which the CPU profile taken meanwhile samples 30 times, give or take.
	const spinCPU = 300 * time.Millisecond

	var buf, prof bytes.Buffer
	if err := pprof.StartCPUProfile(&prof); err != nil {
		t.Fatal(err)
	}
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	go spin(spinCPU, spun)
	<-spun
	took := time.Since(start)
	trace.Stop()
	pprof.StopCPUProfile()
	close(release)
	if _, err := syscall.Write(fds[1], []byte{1}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	r, err := analyze(&buf)
	if err != nil {
		t.Fatal(err)
	}
	win := r.window()
	if win < took/2 || win > took*2+time.Second {
		t.Errorf("window %s, the traced work took %s", win, took)
	}
	byStart := map[string]*group{}
	for _, gr := range r.groups() {
		byStart[gr.start] = gr
	}
	const pkg = "github.com/trawl-crawler/trawl/bench/goroutines."
	for _, tc := range []struct {
		fn    string
		n     int
		state xtrace.GoState
		least float64 // share of the window, per member
	}{
		// The spinner starts inside the window, a little after it begins,
		// and ends a little before; on a loaded machine it may wait for a
		// CPU, so running and runnable count together.
		{fn: "spin", n: 1, state: xtrace.GoRunning, least: 0.8},
		{fn: "sleepInSyscall", n: 1, state: xtrace.GoSyscall, least: 0.9},
		{fn: "block", n: 3, state: xtrace.GoWaiting, least: 0.9},
	} {
		gr := byStart[pkg+tc.fn]
		if gr == nil {
			var names []string
			for k := range byStart {
				names = append(names, k)
			}
			t.Errorf("no group started by %s; groups: %s", tc.fn, strings.Join(names, ", "))
			continue
		}
		if len(gr.members) != tc.n {
			t.Errorf("%s: %d goroutines, want %d", tc.fn, len(gr.members), tc.n)
		}
		for _, g := range gr.members {
			got := g.in[tc.state]
			if tc.state == xtrace.GoRunning {
				got += g.in[xtrace.GoRunnable]
			}
			if share := got.Seconds() / win.Seconds(); share < tc.least {
				t.Errorf("%s (goroutine %d): %s %.2f of the window, want at least %.2f (running %s, syscall %s, runnable %s, blocked %s)",
					tc.fn, g.id, tc.state, share, tc.least, g.in[xtrace.GoRunning], g.in[xtrace.GoSyscall], g.in[xtrace.GoRunnable], g.in[xtrace.GoWaiting])
			}
		}
	}
	if gr := byStart[pkg+"sleepInSyscall"]; gr != nil {
		// The syscall's site is the first frame outside the runtime and
		// package syscall.
		if g := gr.members[0]; g.sysWait[pkg+"sleepInSyscall"] < win*9/10 {
			t.Errorf("sleepInSyscall's syscall time by site: %v, want it all in sleepInSyscall", g.sysWait)
		}
	}

	if gr := byStart[pkg+"spin"]; gr != nil {
		// Most of the CPU profile's samples in the window are the spinner's.
		if n := gr.members[0].sampleCount(); r.samples < 10 || n < r.samples/2 {
			t.Errorf("spin has %d of the window's %d CPU profile samples, want most of 10 or more", n, r.samples)
		}
	}

	var out bytes.Buffer
	if err := r.print(&out, false, 100); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{pkg + "spin", pkg + "sleepInSyscall", pkg + "block"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report does not list %s:\n%s", want, out.String())
		}
	}
	t.Logf("\n%s", out.String())
}
