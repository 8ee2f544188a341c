// Command trawl is a polite, resumable web crawler and scraper whose output is
// one SQLite file. Run `trawl --help` for the subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Exit codes, documented in README.md; cron jobs and scripts depend on them.
const (
	exitOK          = 0   // the crawl finished (or the command succeeded)
	exitFailed      = 1   // an error ended the run; it can be resumed once fixed
	exitUsage       = 2   // bad flags, URL, config or database path; nothing was changed
	exitStopped     = 3   // a budget (--max-pages, --max-duration) stopped the run; resumable
	exitLocked      = 4   // another trawl process is working on the database
	exitNoSuccess   = 5   // the run finished without one successful page: a dead site
	exitInterrupted = 130 // SIGINT; resumable (143 for SIGTERM)
)

// exitError carries an exit code up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// app holds what the subcommands share: the output streams. Tests run it
// in-process with buffers.
type app struct {
	stdout, stderr io.Writer
	// interrupt, when not nil, replaces the process's signal handling (tests).
	interrupt <-chan os.Signal
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "trawl",
		Short: "A polite, resumable web crawler whose output is one SQLite file",
		Long: `trawl crawls web sites politely (robots.txt, per-host limits) into one SQLite
file that you query with SQL. Re-running the same command resumes an
interrupted crawl exactly where it stopped.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.AddCommand(a.crawlCmd(), a.demoCmd(), a.versionCmd(), a.queryCmd(), a.exportCmd(), a.runsCmd(), a.diffCmd(), a.extractCmd())
	return root
}

// run executes the command line and returns the process exit code.
func (a *app) run(ctx context.Context, args []string) int {
	root := a.root()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(a.stderr, "trawl:", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown flags, missing arguments.
	fmt.Fprintln(a.stderr, "trawl:", err)
	return exitUsage
}

func main() {
	if os.Getenv("GOGC") == "" {
		// trawl's Go heap is small (a few MB live: the frontier is in SQLite
		// and the seen set outside the heap), so at the default GOGC=100 the
		// collector ran over 200 times a second on a fast crawl, 11% of the
		// CPU (gctrace, 1M-page benchmark). A higher target trades a constant
		// ten or twenty MB for that CPU. GOGC in the environment still wins.
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// GOGC 400 lets the heap grow to five times what is live: on a
		// hostile site (a 100,000-link page, bodies cut at --max-body) that
		// was 353 MiB of RSS against 167 MiB at GOGC 100. A soft limit makes
		// the collector work harder only past it.
		debug.SetMemoryLimit(192 << 20)
	}
	a := &app{stdout: os.Stdout, stderr: os.Stderr}
	os.Exit(a.run(context.Background(), os.Args[1:]))
}
