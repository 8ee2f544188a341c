// Command goroutines reads a Go execution trace and says, for each goroutine
// of the traced window, how much of it the goroutine spent running on a CPU,
// in a system call, runnable but waiting for a CPU, and blocked. Goroutines
// are grouped by the function they were started with, and named by the
// role they play in trawl's crawler (the writer, the dispatcher, the
// fetchers, ...) when a frame of theirs says so.
//
// A crawl is as fast as its slowest serial part: a goroutine that does its
// work alone (the SQLite writer, the dispatcher) and is busy most of the
// window holds up everything that waits on it, however many cores are idle.
// See "Is one goroutine the bottleneck?" in bench/README.md.
//
// Usage:
//
//	TRAWL_BENCH_TRACE=trace.out go test -run '^$' -bench Crawl -benchtime 1x ./bench
//	cd bench/goroutines && go run . ../../trace.out
//	go run . -stacks writer,dispatcher ../../trace.out   # where their time went
//
// It is a module of its own so that golang.org/x/exp, which reads the trace,
// is no dependency of trawl.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	all := flag.Bool("all", false, "list every single goroutine, not only those busy 1% of the window or more")
	stacks := flag.String("stacks", "", "comma-separated roles or start functions (writer,dispatcher) to show where their time went")
	top := flag.Int("top", 20, "with -stacks, how many functions and stacks to show")
	hz := flag.Int("hz", 100, "the CPU profile's sampling rate, when the trace has its samples (go test -cpuprofile: 100)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: goroutines [-all] [-stacks role,...] trace.out")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	var names []string
	if *stacks != "" {
		names = strings.Split(*stacks, ",")
	}
	if *hz <= 0 {
		fmt.Fprintln(os.Stderr, "goroutines: -hz must be positive")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *all, names, *top, *hz, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "goroutines:", err)
		os.Exit(1)
	}
}

func run(path string, all bool, stacks []string, top, hz int, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := analyze(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := rep.print(out, all, hz); err != nil {
		return err
	}
	for _, name := range stacks {
		if err := rep.printStacks(out, name, top); err != nil {
			return err
		}
	}
	return nil
}
