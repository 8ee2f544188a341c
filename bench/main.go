// Command bench compares trawl's crawl throughput and memory with a bare colly
// crawler on the same generated multi-host site.
//
// It starts a generated site (package fixtures) on loopback addresses, builds
// trawl (./cmd/trawl) and the baseline (./bench/baseline), runs each as a child
// process that crawls the whole site, and reports for each its pages, wall time,
// pages per second, CPU time and peak RSS, trawl's database size, and the ratio of
// trawl's pages per second to the baseline's. See bench/README.md.
//
// Usage, from anywhere inside the module:
//
//	go run ./bench [-pages 20000] [-hosts 4] [-concurrency 16] [-per-host 4]
//	               [-only both|trawl|baseline] [-runs 1] [-timeout 10m] [-keep]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
)

// options are the command's flags.
type options struct {
	pages       int
	hosts       int
	concurrency int
	perHost     int
	only        string
	keep        bool
	timeout     time.Duration
	throttle    bool
	trawlArgs   string
	repeat      int
	uniform     bool
	// dedup puts a mutex-guarded set of the URLs asked for in front of
	// colly's racy visited check (the baseline's -dedup).
	dedup bool
}

// collyDedupUsage is the help of both benchmarks' -colly-dedup.
const collyDedupUsage = "run the colly baseline with -dedup: a mutex-guarded set of the URLs asked for in front of colly's visited check, whose check and mark race"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "real" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := runRealCommand(ctx, os.Args[2:], os.Stdout)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench real:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	fs.IntVar(&o.pages, "pages", 20000, "pages of the generated site, in total over all hosts")
	fs.IntVar(&o.hosts, "hosts", 4, "hosts of the generated site")
	fs.IntVar(&o.concurrency, "concurrency", 16, "requests in flight in total, for both crawlers")
	fs.IntVar(&o.perHost, "per-host", 4, "trawl's concurrent requests per host (--per-host)")
	fs.StringVar(&o.only, "only", "both", "which crawler to run: trawl, baseline or both")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (binaries, database, logs)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "stop a crawler that runs longer than this")
	fs.BoolVar(&o.throttle, "throttle", false, "leave trawl's --auto-throttle on (a politeness feature the baseline lacks)")
	fs.StringVar(&o.trawlArgs, "trawl-args", "", "extra flags for `trawl crawl`, space-separated")
	fs.BoolVar(&o.uniform, "uniform", false, "the old site shape: 10-30 KB pages with 20-60 links, instead of a long tail")
	fs.BoolVar(&o.dedup, "colly-dedup", false, collyDedupUsage)
	fs.IntVar(&o.repeat, "runs", 1, "run each crawler this many times, alternating which goes first, and report the medians")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./bench [flags]")
		fs.PrintDefaults()
	}
	_ = fs.Parse(os.Args[1:])
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		fs.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func (o options) check() error {
	switch {
	case o.hosts < 1:
		return fmt.Errorf("-hosts %d: want at least 1", o.hosts)
	case o.pages < o.hosts:
		return fmt.Errorf("-pages %d: want at least one page per host", o.pages)
	case o.concurrency < 1 || o.perHost < 1:
		return errors.New("-concurrency and -per-host: want at least 1")
	case o.only != "both" && o.only != "trawl" && o.only != "baseline":
		return fmt.Errorf("-only %q: want trawl, baseline or both", o.only)
	case o.repeat < 1:
		return fmt.Errorf("-runs %d: want at least 1", o.repeat)
	case o.timeout <= 0:
		return fmt.Errorf("-timeout %s: want more than zero", o.timeout)
	}
	return nil
}

// site is the generated site: by default page sizes 2 KB to 10 MB and 5 to
// 1,000 links a page, long-tailed (fixtures.GenConfig.LongTail).
func (o options) site() fixtures.GenConfig {
	cfg := fixtures.GenConfig{
		Hosts:             o.hosts,
		PagesPerHost:      o.pages / o.hosts,
		Seed:              1,
		DisableLog:        true,
		BrokenPermille:    10,
		RedirectPermille:  10,
		CrossHostPermille: 50,
	}
	if !o.uniform {
		cfg.LongTail = true
		cfg.MinBytes, cfg.MaxBytes = 2_000, 10_000_000
		cfg.MinLinks, cfg.MaxLinks = 5, 1000
	}
	return cfg
}

func (o options) runs(name string) bool { return o.only == "both" || o.only == name }

// run performs the benchmark and writes the report to w.
func run(ctx context.Context, o options, w io.Writer) (err error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "trawl-bench-")
	if err != nil {
		return err
	}
	defer func() {
		if o.keep {
			fmt.Fprintf(w, "kept: %s\n", dir)
			return
		}
		if rmErr := os.RemoveAll(dir); err == nil {
			err = rmErr
		}
	}()

	rep := &report{opts: o, args: os.Args, load: []loadSample{sampleLoad("start")}}
	cl, err := fixtures.StartGenerated(o.site())
	if err != nil {
		return err
	}
	defer func() {
		if cErr := cl.Close(); err == nil {
			err = cErr
		}
	}()
	rep.seeds = cl.Seeds()
	rep.site = expectSite(cl)

	var trawlBin, baseBin string
	if o.runs("trawl") {
		trawlBin = filepath.Join(dir, "trawl")
		if err := build(ctx, root, trawlBin, "./cmd/trawl"); err != nil {
			return err
		}
	}
	if o.runs("baseline") {
		baseBin = filepath.Join(dir, "baseline")
		if err := build(ctx, root, baseBin, "./bench/baseline"); err != nil {
			return err
		}
	}

	for i := range o.repeat {
		// Alternate the order, so that a drift in the machine's load does not
		// always favour the same crawler.
		order := []string{"trawl", "baseline"}
		if i%2 == 1 {
			order = []string{"baseline", "trawl"}
		}
		for _, name := range order {
			if !o.runs(name) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "bench: run %d/%d: %s on %d pages...\n", i+1, o.repeat, name, o.pages)
			if name == "trawl" {
				t, err := runTrawl(ctx, o, trawlBin, filepath.Join(dir, fmt.Sprintf("bench-%d.db", i+1)), rep.seeds)
				if err != nil {
					return err
				}
				rep.trawl = append(rep.trawl, t)
				if !o.keep {
					removeDB(t.path)
				}
			} else {
				b, err := runBaseline(ctx, o, baseBin, filepath.Join(dir, fmt.Sprintf("baseline-%d.stderr", i+1)), rep.seeds)
				if err != nil {
					return err
				}
				rep.baseline = append(rep.baseline, b)
			}
			rep.load = append(rep.load, sampleLoad(fmt.Sprintf("after %s #%d", name, i+1)))
		}
	}
	rep.print(w)
	return nil
}

// runTrawl crawls the site with trawl into a new database at db.
func runTrawl(ctx context.Context, o options, bin, db string, seeds []string) (*trawlResult, error) {
	args := []string{"crawl", "--db", db, "--delay", "0",
		"--per-host", fmt.Sprint(o.perHost), "--concurrency", fmt.Sprint(o.concurrency),
		"--quiet", "--progress", "never"}
	if !o.throttle {
		args = append(args, "--auto-throttle=false")
	}
	args = append(args, strings.Fields(o.trawlArgs)...)
	args = append(args, seeds...)
	res, err := runChild(ctx, bin, args, strings.TrimSuffix(db, ".db")+".stderr", o.timeout)
	if err != nil {
		return nil, err
	}
	return parseTrawl(ctx, res, db), nil
}

// runBaseline crawls the site with the colly baseline.
func runBaseline(ctx context.Context, o options, bin, errPath string, seeds []string) (*baselineResult, error) {
	args := []string{"-concurrency", fmt.Sprint(o.concurrency)}
	if o.dedup {
		args = append(args, "-dedup")
	}
	res, err := runChild(ctx, bin, append(args, seeds...), errPath, o.timeout)
	if err != nil {
		return nil, err
	}
	return parseBaseline(res), nil
}

// removeDB deletes a database and its side files, which can be large.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
}

// moduleRoot returns the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run bench from inside the trawl module")
	}
	return filepath.Dir(gomod), nil
}

// build compiles the main package pkg of the module at root into out.
func build(ctx context.Context, root, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}
