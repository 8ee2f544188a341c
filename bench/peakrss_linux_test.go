//go:build linux

package main

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestChildPeakRSSIsNotTheParents runs a small child from a process that
// holds 256 MB: the child's peak RSS must be its own, not the parent's
// high-water mark that Linux hands a child's rusage across exec (the bench
// reported a crawler's peak as its server's, 185 and 207 MB, twice each).
func TestChildPeakRSSIsNotTheParents(t *testing.T) {
	held := make([]byte, 256<<20)
	for i := range held {
		held[i] = 1
	}
	// A child alive long enough to be sampled more than once.
	res, err := runChild(t.Context(), "/bin/sleep", []string{"0.2"}, filepath.Join(t.TempDir(), "stderr"), time.Minute)
	runtime.KeepAlive(held)
	if err != nil {
		t.Fatal(err)
	}
	if res.exitCode != 0 {
		t.Fatalf("child exited %d: %s", res.exitCode, res.stderr)
	}
	if mb := res.usage.maxRSS >> 20; mb <= 0 || mb > 64 {
		t.Errorf("child's peak RSS %d MB: want its own few MB, not the parent's 256", mb)
	}
}
