//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// peakSampleEvery is how often watchPeakRSS reads a child's high-water mark.
const peakSampleEvery = 20 * time.Millisecond

// watchPeakRSS samples the VmHWM of process pid until stop is closed, and
// returns the largest it read (bytes; 0 if none). It is needed because on
// Linux a child's rusage Maxrss is not its own: exec keeps the larger of
// the process's earlier high-water mark and the new one, and Go starts a
// child sharing the parent's memory until exec, so a child of a bench
// process that had grown to 200 MB reports 200 MB however little it used.
// VmHWM belongs to the memory the exec made, the child's alone.
func watchPeakRSS(pid int, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	path := fmt.Sprintf("/proc/%d/status", pid)
	go func() {
		var peak int64
		t := time.NewTicker(peakSampleEvery)
		defer t.Stop()
		for {
			peak = max(peak, readVmHWM(path))
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// readVmHWM returns the VmHWM line of a /proc status file in bytes, or 0.
func readVmHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(b, []byte("\nVmHWM:"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	f := bytes.Fields(line) // "123456", "kB"
	if len(f) != 2 || string(f[1]) != "kB" {
		return 0
	}
	kb, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil {
		return 0
	}
	return kb << 10
}
