// Command trawl is a polite, resumable web crawler and scraper whose output is
// one SQLite file. Run `trawl --help` for the subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
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
	// argv0 is how the process was started (os.Args[0]), for hints that show
	// a command to type.
	argv0 string
	// console, once the crawl command has read --log-format, writes trawl's
	// own messages to stderr in that format (see say).
	console *console
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "trawl",
		Short: "A polite, resumable web crawler whose output is one SQLite file",
		Long: `trawl crawls web sites politely (robots.txt, per-host limits) into one SQLite
file that you query with SQL. Re-running the same command resumes an
interrupted crawl exactly where it stopped.

` + exitCodesHelp(),
		Version:       versionLine(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	// Defined here so that cobra does not add -v, which trawl crawl uses for
	// --verbose.
	root.Flags().Bool("version", false, "print trawl's version and database schema version")
	root.SetFlagErrorFunc(suggestFlag)
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
			a.say(slog.LevelError, ee.err.Error(), "exit_code", ee.code)
		}
		return ee.code
	}
	// cobra's own errors: unknown flags, missing arguments.
	a.say(slog.LevelError, err.Error(), "exit_code", exitUsage)
	return exitUsage
}

// argCount is cobra.RangeArgs (max < 0: no upper bound) whose error shows
// the command's usage line, since a count alone does not say which
// arguments are missing.
func argCount(minArgs, maxArgs int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		n := len(args)
		if n >= minArgs && (maxArgs < 0 || n <= maxArgs) {
			return nil
		}
		var want string
		switch {
		case maxArgs == 0:
			want = "no arguments"
		case minArgs == maxArgs:
			want = plural(minArgs, "argument")
		case minArgs+1 == maxArgs:
			want = fmt.Sprintf("%d or %d arguments", minArgs, maxArgs)
		case maxArgs < 0:
			want = "at least " + plural(minArgs, "argument")
		default:
			want = fmt.Sprintf("%d to %d arguments", minArgs, maxArgs)
		}
		return usageErr("%s takes %s, got %d\nusage: %s (see %s --help)", cmd.Name(), want, n, cmd.UseLine(), cmd.CommandPath())
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// memoryLimit is the Go heap's soft limit (runtime/debug.SetMemoryLimit),
// below trawl's 150 MB RSS target by SQLite's page cache and the seen set,
// which live outside the Go heap.
const memoryLimit = 80 << 20

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
		// GOGC=400 lets the heap grow to five times what is live, and what is
		// live peaks when large pages are extracted at once: peak RSS on a
		// four-site crawl of real documentation was 345 MB, 353 MiB on a
		// hostile site (a 100,000-link page, bodies cut at --max-body). A
		// soft limit makes the collector work harder only near it: 80 MiB gave
		// 132.7 MB peak RSS on the documentation (bench/README.md). GOMEMLIMIT
		// still wins.
		debug.SetMemoryLimit(memoryLimit)
	}
	a := &app{stdout: os.Stdout, stderr: os.Stderr, argv0: os.Args[0]}
	os.Exit(a.run(context.Background(), os.Args[1:]))
}
