package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/exp/trace"
)

// print writes the report: the window's totals, then every goroutine that
// ran alone in its group (a serial part of the program) and then the
// groups of several (pools of workers, connections).
//
// The trace counts a goroutine as running while it holds a P, whether or
// not the kernel runs its thread: on a machine busy with other processes
// that is more than its CPU time. When the trace holds a CPU profile's
// samples (hz a second), the cpu columns give that CPU time.
func (r *report) print(out io.Writer, all bool, hz int) error {
	win := r.window()
	if win <= 0 {
		return fmt.Errorf("the trace spans no time")
	}
	groups := r.groups()
	var running, syscall, runnable time.Duration
	for _, g := range r.gs {
		running += g.in[trace.GoRunning]
		syscall += g.in[trace.GoSyscall]
		runnable += g.in[trace.GoRunnable]
	}
	cores := func(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()/win.Seconds()) }
	pct := func(d time.Duration) string { return fmt.Sprintf("%.1f%%", 100*d.Seconds()/win.Seconds()) }
	fmt.Fprintf(out, "window %.2f s, %d goroutines, %d Ps\n", win.Seconds(), len(r.gs), r.procs)
	fmt.Fprintf(out, "Ps running: %s of %d; goroutines running %s, in syscalls %s, runnable %s (goroutines at once, on average)\n",
		cores(r.procBusy), r.procs, cores(running), cores(syscall), cores(runnable))
	sampled := func(n int) time.Duration { return time.Duration(n) * time.Second / time.Duration(hz) }
	cpuCol := func(n int, f func(time.Duration) string) string {
		if r.samples == 0 {
			return "-"
		}
		return f(sampled(n))
	}
	if r.samples > 0 {
		fmt.Fprintf(out, "CPU profile: %d samples, %s cores (at %d Hz)\n", r.samples, cores(sampled(r.samples)), hz)
	}
	fmt.Fprintln(out)

	slices.SortFunc(groups, func(a, b *group) int {
		return cmp.Or(cmp.Compare(b.sum(trace.GoRunning)+b.sum(trace.GoSyscall), a.sum(trace.GoRunning)+a.sum(trace.GoSyscall)),
			strings.Compare(a.start, b.start))
	})

	fmt.Fprintln(out, "Single goroutines, % of the window (busy = running + syscall; cpu = CPU profile samples;")
	fmt.Fprintln(out, "starts = times it was given a P, wait = its mean wait for one, runnable / starts):")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%7s %7s %7s %8s %7s %6s %7s %7s\trole\tstart function\twhere\n", "busy", "running", "syscall", "runnable", "blocked", "cpu", "starts", "wait")
	hidden := 0
	for _, gr := range groups {
		if len(gr.members) != 1 {
			continue
		}
		g := gr.members[0]
		if !all && gr.role == "" && g.busy() < win/100 {
			hidden++
			continue
		}
		wait := "-"
		if g.starts > 0 {
			wait = fmt.Sprintf("%.0fµs", float64(g.in[trace.GoRunnable].Microseconds())/float64(g.starts))
		}
		fmt.Fprintf(tw, "%7s %7s %7s %8s %7s %6s %7d %7s\t%s\t%s\t%s\n", pct(g.busy()), pct(g.in[trace.GoRunning]), pct(g.in[trace.GoSyscall]),
			pct(g.in[trace.GoRunnable]), pct(g.in[trace.GoWaiting]), cpuCol(g.sampleCount(), pct), g.starts, wait, cmp.Or(gr.role, "-"), gr.start, why(g, win))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if hidden > 0 {
		fmt.Fprintf(out, "(%d more, each busy under 1%% of the window: -all lists them)\n", hidden)
	}

	fmt.Fprintln(out, "\nGroups of goroutines started alike: the group's time in goroutines at once, on average; busy of one member, % of the window:")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%5s %7s %7s %8s %7s %6s %9s %8s\trole\tstart function\tblocked on\n", "n", "running", "syscall", "runnable", "blocked", "cpu", "busy mean", "busy max")
	for _, gr := range groups {
		if len(gr.members) == 1 {
			continue
		}
		var most time.Duration
		for _, g := range gr.members {
			most = max(most, g.busy())
		}
		busy := gr.sum(trace.GoRunning) + gr.sum(trace.GoSyscall)
		n := 0
		for _, g := range gr.members {
			n += g.sampleCount()
		}
		waits := map[string]time.Duration{}
		for _, g := range gr.members {
			for k, d := range g.waits {
				waits[k] += d
			}
		}
		var on []string
		for _, k := range topKeys(waits, 3) {
			if waits[k] >= win/100 {
				on = append(on, k+" "+cores(waits[k]))
			}
		}
		fmt.Fprintf(tw, "%5d %7s %7s %8s %7s %6s %9s %8s\t%s\t%s\t%s\n", len(gr.members), cores(gr.sum(trace.GoRunning)), cores(gr.sum(trace.GoSyscall)),
			cores(gr.sum(trace.GoRunnable)), cores(gr.sum(trace.GoWaiting)), cpuCol(n, cores), pct(busy/time.Duration(len(gr.members))), pct(most), cmp.Or(gr.role, "-"), gr.start, strings.Join(on, ", "))
	}
	return tw.Flush()
}

// why lists the three largest reasons g was blocked, and its three largest
// syscall sites, as shares of the window.
func why(g *goroutine, win time.Duration) string {
	top := func(m map[string]time.Duration) string {
		var parts []string
		for _, k := range topKeys(m, 3) {
			if m[k] < win/1000 {
				break
			}
			parts = append(parts, fmt.Sprintf("%s %.1f%%", k, 100*m[k].Seconds()/win.Seconds()))
		}
		return strings.Join(parts, ", ")
	}
	var parts []string
	if s := top(g.waits); s != "" {
		parts = append(parts, "blocked: "+s)
	}
	if s := top(g.sysWait); s != "" {
		parts = append(parts, "syscalls: "+s)
	}
	return strings.Join(parts, "; ")
}
