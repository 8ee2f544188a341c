package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

// stackFrames is how many frames of a stack -stacks prints.
const stackFrames = 24

// printStacks writes, for the goroutines of the groups whose role or start
// function is name, where their time went: the functions of the CPU
// profile's samples (when the trace has them), and the stacks at which they
// sat in system calls and were blocked.
func (r *report) printStacks(out io.Writer, name string, top int) error {
	var members []*goroutine
	for _, gr := range r.groups() {
		if gr.role == name || gr.start == name {
			members = append(members, gr.members...)
		}
	}
	if len(members) == 0 {
		return fmt.Errorf("no goroutines with role or start function %q", name)
	}
	win := r.window().Seconds()
	fmt.Fprintf(out, "\n%s: %d goroutines\n", name, len(members))

	cum, flat := map[string]int{}, map[string]int{}
	samples := 0
	for _, g := range members {
		for s, n := range g.samples {
			samples += n
			seen := map[string]bool{}
			leaf := true
			for f := range s.Frames() {
				if leaf {
					flat[f.Func] += n
					leaf = false
				}
				if !seen[f.Func] {
					seen[f.Func] = true
					cum[f.Func] += n
				}
			}
		}
	}
	if samples == 0 {
		fmt.Fprintln(out, "no CPU profile samples (take a CPU profile while tracing: go test -cpuprofile)")
	} else {
		fmt.Fprintf(out, "CPU profile samples: %d of the trace's %d\n", samples, r.samples)
		for _, part := range []struct {
			title string
			m     map[string]int
		}{{"by function, cumulative", cum}, {"by function, flat", flat}} {
			fmt.Fprintf(out, "  %s:\n", part.title)
			for _, k := range topKeys(part.m, top) {
				fmt.Fprintf(out, "    %5.1f%%  %s\n", 100*float64(part.m[k])/float64(samples), k)
			}
		}
	}
	for _, part := range []struct {
		title string
		get   func(*goroutine) map[trace.Stack]time.Duration
	}{
		{"in system calls", func(g *goroutine) map[trace.Stack]time.Duration { return g.sysStacks }},
		{"blocked", func(g *goroutine) map[trace.Stack]time.Duration { return g.waitStacks }},
	} {
		byText := map[string]time.Duration{}
		for _, g := range members {
			for s, d := range part.get(g) {
				byText[stackText(s)] += d
			}
		}
		fmt.Fprintf(out, "%s, by stack (%% of the window, summed over the goroutines):\n", part.title)
		for _, k := range topKeys(byText, min(top, 8)) {
			if byText[k].Seconds() < win/1000 {
				break
			}
			fmt.Fprintf(out, "  %5.1f%%\n%s", 100*byText[k].Seconds()/win, k)
		}
	}
	return nil
}

// stackText is the first frames of s, one a line.
func stackText(s trace.Stack) string {
	if s == trace.NoStack {
		return "        (no stack: the state began before the window)\n"
	}
	var b strings.Builder
	n := 0
	for f := range s.Frames() {
		if n++; n > stackFrames {
			b.WriteString("        ...\n")
			break
		}
		fmt.Fprintf(&b, "        %s\n", f.Func)
	}
	return b.String()
}

// topKeys is the n keys of m with the largest values.
func topKeys[V cmp.Ordered](m map[string]V, n int) []string {
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), strings.Compare(a, b)) })
	return keys[:min(n, len(keys))]
}
