package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/crawler/urlkey"
	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/postgres"
	"github.com/trawl-crawler/trawl/store/record"
)

func (a *app) crawlCmd() *cobra.Command {
	cfg := crawler.DefaultConfig()
	var o crawlOptions
	cmd := &cobra.Command{
		Use:   "crawl [flags] URL...",
		Short: "Crawl from seed URLs into a SQLite or PostgreSQL database (resumes an unfinished crawl)",
		Long: `Crawl from the seed URLs into the database given by --db: a SQLite file, or
a PostgreSQL database named by a postgres:// (or postgresql://) URL, as in
--db postgres://trawl@db.example/crawl. Without --db, the config file's db:
key, then the TRAWL_DB environment variable, then trawl.db is used. A
password is best kept out of the URL: PGPASSWORD and ~/.pgpass are read,
and trawl never prints one.

If the database holds an unfinished crawl (interrupted, killed, stopped by a
budget), the same command resumes it exactly: its seeds and settings are kept in
the database; settings given again apply to that invocation only. If the
last crawl finished, the same command starts a refresh run: pages fetched by a
run that started --revisit-after ago or more are fetched again with conditional requests
(If-None-Match / If-Modified-Since), and every page is recorded as new,
changed, unchanged or gone. --fresh starts a new crawl from the seeds.

Durations are seconds ("0.5", "2") or take a unit ("250ms", "45m", "24h");
sizes are bytes or take a unit ("512K", "10M", "2G", powers of 1024). The
config file reads them the same way.

` + exitCodesHelp(),
		Example: `  trawl crawl https://example.com --db site.db
  trawl crawl https://example.com --db postgres://trawl@localhost/crawl
  trawl crawl --seeds-file seeds.txt --scope domain --max-depth 3 --db site.db
  trawl crawl --db site.db              # resume the crawl stored in site.db`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.logFormat == "json" {
				// Set before the config file is read, so that its errors
				// are JSON records too; crawl replaces it with the final one.
				log, _ := newLogger(a.stderr, o.logFormat, o.quiet, o.verbose)
				a.console = &console{w: a.stderr, log: log, json: true}
			}
			if o.config != "" {
				fc, err := loadConfig(o.config)
				if err != nil {
					return usageErr("%w", err)
				}
				fc.apply(cmd.Flags(), &cfg, &o)
				args = append(args, fc.seeds...)
			}
			if v := os.Getenv(dbEnv); v != "" && !cmd.Flags().Changed("db") && !slices.Contains(o.fileKeys, "db") {
				o.db = v
			}
			return a.crawl(cmd.Context(), cmd.Flags(), cfg, o, args)
		},
	}
	crawlFlags(cmd.Flags(), &cfg, &o)
	return cmd
}

// seedLine is a line of a seeds file that is not blank or a comment.
type seedLine struct {
	url     string
	line    int
	problem string // why the line is not one URL, if it is not
}

// readSeeds reads a seeds file: one URL per line; blank lines and comments
// are ignored. A comment is a line starting with '#', or the rest of a line
// from a '#' that follows a space or tab ("http://a/ # home"); a '#' inside a
// URL is its fragment. Whether each URL can be crawled is the crawl's to
// say (seedProblems reports it with the line).
func readSeeds(path string) ([]seedLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--seeds-file: %w", err)
	}
	defer f.Close()
	var seeds []seedLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if n == 1 {
			text = strings.TrimPrefix(text, "\ufeff") // a byte order mark
		}
		line := strings.TrimSpace(text)
		if strings.HasPrefix(line, "#") {
			continue
		}
		for i := 1; i < len(line); i++ {
			if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
				line = strings.TrimSpace(line[:i])
				break
			}
		}
		switch {
		case line == "":
			continue
		case strings.ContainsAny(line, " \t\v\f"):
			seeds = append(seeds, seedLine{url: line, line: n,
				problem: fmt.Sprintf("%q is not one URL: write one URL per line, and start a comment with \" #\"", line)})
		default:
			seeds = append(seeds, seedLine{url: line, line: n})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return seeds, nil
}

// seedProblems is the error for the seeds that cannot be crawled, from
// Invocation.CheckSeeds (err) over the command line's nArgs seeds followed
// by the good lines of the seeds file path. Every bad line of the file is
// reported as "FILE:LINE: problem", in the order of the file; with none, the
// first bad argument is.
func seedProblems(err error, nArgs int, path string, lines []seedLine) error {
	var bad []seedLine
	var good []seedLine
	for _, l := range lines {
		if l.problem != "" {
			bad = append(bad, l)
		} else {
			good = append(good, l)
		}
	}
	var argErr error
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var se *crawler.SeedError
		if !errors.As(e, &se) {
			continue
		}
		if se.Index < nArgs {
			if argErr == nil {
				argErr = seedError(se.Err)
			}
			continue
		}
		l := good[se.Index-nArgs]
		l.problem = seedError(se.Err).Error()
		bad = append(bad, l)
	}
	if len(bad) > 0 {
		slices.SortFunc(bad, func(a, b seedLine) int { return a.line - b.line })
		msgs := make([]string, len(bad))
		for i, l := range bad {
			msgs[i] = fmt.Sprintf("%s:%d: %s", path, l.line, l.problem)
		}
		return errors.New(strings.Join(msgs, "\n"))
	}
	return argErr
}

// seedError is the message for a seed URL that canonicalisation refused; a
// *urlkey.Error starts with the quoted URL.
func seedError(err error) error {
	var ue *urlkey.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("invalid seed URL %w", err)
	}
	return fmt.Errorf("invalid seed URL: %w", err)
}

func newLogger(w io.Writer, format string, quiet, verbose bool) (*slog.Logger, error) {
	level := slog.LevelInfo
	switch {
	case quiet:
		level = slog.LevelError
	case verbose:
		level = slog.LevelDebug
	}
	// Durations as "24h0m0s", not nanoseconds (slog's JSON default).
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() == slog.KindDuration {
			a.Value = slog.StringValue(a.Value.Duration().String())
		}
		return a
	}}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// crawl runs the crawl command: it reads the seeds, checks what can be
// checked before the database is touched, opens it, and hands the rest to
// crawler.Begin; it prints what happened and maps it to an exit code.
func (a *app) crawl(ctx context.Context, flags *pflag.FlagSet, cfg crawler.Config, o crawlOptions, args []string) error {
	logTo, live := progressWriter(o, a.stderr)
	log, err := newLogger(logTo, o.logFormat, o.quiet, o.verbose)
	if err != nil {
		return usageErr("%w", err)
	}
	a.console = &console{w: logTo, log: log, json: o.logFormat == "json"}
	seeds := slices.Clone(args)
	var lines []seedLine
	if o.seedsFile != "" {
		if lines, err = readSeeds(o.seedsFile); err != nil {
			return usageErr("%w", err)
		}
		for _, l := range lines {
			if l.problem == "" {
				seeds = append(seeds, l.url)
			}
		}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = crawler.DefaultUserAgent(o.contact)
	}
	cfg.Seeds = seeds
	for _, s := range crawler.Settings() {
		if s.Path {
			p := s.Field(&cfg).(*string)
			*p = absPath(*p)
		}
	}
	inv := &crawler.Invocation{Config: cfg, Given: givenSettings(flags, o), Fresh: o.fresh}
	if err := seedProblems(inv.CheckSeeds(), len(args), o.seedsFile, lines); err != nil {
		return usageErr("%w", err)
	}
	if o.progress != "auto" && o.progress != "always" && o.progress != "never" {
		return usageErr("--progress %q: want auto, always or never", o.progress)
	}
	// Validate what can be validated before touching the database; seeds may
	// come from the database when resuming.
	if err := cfg.CheckSettings(); err != nil {
		var pe *urlkey.PatternError
		if errors.As(err, &pe) {
			// A config file's patterns were checked with their line
			// numbers already: this one is a flag.
			return usageErr("--%w", err)
		}
		return usageErr("%w", asFlagError(flags, err))
	}
	if len(seeds) == 0 && !hasCrawl(ctx, o.db) {
		return usageErr("no seed URLs and no crawl to resume in %s: give a URL or --seeds-file", dbName(o.db))
	}

	var maxSize int64
	if o.maxDBSize != "" {
		n, err := parseSize(o.maxDBSize)
		if err != nil {
			return usageErr("--max-db-size: %w", err)
		}
		maxSize = n
	}
	lease, heartbeat, err := leaseTimes(o)
	if err != nil {
		return usageErr("--%w", err)
	}
	if (o.lease != "" || o.heartbeat != "") && !isPostgres(o.db) {
		return usageErr("--lease and --heartbeat are for workers sharing a PostgreSQL crawl; %s is a SQLite file, crawled by one process", o.db)
	}
	outage, err := dbOutage(o)
	if err != nil {
		return usageErr("--db-outage %q: %w", o.dbOutage, err)
	}
	if o.dbOutage != "" && !isPostgres(o.db) {
		return usageErr("--db-outage is for a crawl on PostgreSQL, a server that may go away for a while; %s is a SQLite file", o.db)
	}
	db, err := openWrite(ctx, o.db, maxSize, postgres.Heartbeat(heartbeat, lease), postgres.Outage(outage))
	if err != nil {
		return err
	}
	defer db.Close()
	cr, err := crawler.Begin(ctx, db, inv, log)
	if err != nil {
		var ie *crawler.InputError
		if errors.As(err, &ie) {
			return usageErr("%w", ie.Err)
		}
		return lockOrFailure(err)
	}
	defer cr.Close(ctx)

	onTerminal := isTerminal(a.stderr) && !a.console.json
	runCtx, signals := a.watchSignals(ctx, func(s os.Signal) {
		if onTerminal && live == nil {
			fmt.Fprint(a.stderr, eraseLine) // the echoed ^C (live erases it with the progress line)
		}
		a.say(slog.LevelWarn, "stopping: finishing requests in flight (signal again to quit at once; the crawl stays resumable)", "signal", s.String())
	}, true)
	defer signals.stop()
	stopProgress := a.startProgress(cr, o, log, live, len(cr.Config.Rules) > 0)
	end, runErr := cr.Run(runCtx)
	stopProgress()

	runID := cr.RunID
	a.summary(runID, end.Result, end.Run, dbName(o.db))
	switch {
	case errors.Is(runErr, store.ErrDiskFull):
		return &exitError{code: exitFailed, err: fmt.Errorf("run %d stopped: the disk (or --max-db-size) is full; nothing committed was lost: free space and run the same command to resume (%w)", runID, runErr)}
	case runErr != nil:
		return &exitError{code: exitFailed, err: fmt.Errorf("run %d failed: %w; fix the cause and run the same command to resume", runID, runErr)}
	case end.Status == crawler.StatusInterrupted:
		name, _ := commandName(a.argv0)
		a.say(slog.LevelWarn, fmt.Sprintf("interrupted; run the same command again to resume (%s crawl --db %s)", name, shellQuote(dbName(o.db))),
			"run", runID, "db", dbName(o.db))
		return &exitError{code: signals.exitCode()}
	case end.Status == crawler.StatusStopped:
		// Not an error: a nightly --max-duration ends this way, and -q
		// (errors only) keeps it out of cron's mail; exit code 3 says it.
		budget := end.Budget
		if budget == "" {
			budget = "a budget (--max-pages or --max-duration)"
		}
		a.say(slog.LevelInfo, "stopped by "+budget+"; run the same command again to continue",
			"run", runID, "db", dbName(o.db), "budget", strings.TrimPrefix(end.Budget, "--"))
		return &exitError{code: exitStopped}
	case !end.Succeeded:
		a.say(slog.LevelError, fmt.Sprintf("run %d finished without a single successful page: every host was unreachable, denied by robots.txt or failing (see the errors view)", runID),
			"run", runID, "db", dbName(o.db))
		return &exitError{code: exitNoSuccess}
	}
	return nil
}

// asFlagError spells err as the flag it is about ("--delay -1s: want zero
// or more") when it starts with the name of a flag given on the command line:
// crawler.Config names its settings the way the flags do, without the
// dashes, and a config file's values were checked with their lines already.
func asFlagError(flags *pflag.FlagSet, err error) error {
	name, _, _ := strings.Cut(err.Error(), " ")
	if f := flags.Lookup(name); f != nil && f.Changed {
		return fmt.Errorf("--%w", err)
	}
	return err
}

// summary prints the end-of-run report: always one line of key=value
// fields on stdout, which scripts parse. The keys keep their order; a field
// with nothing to say (classes when nothing failed or was skipped) is left
// out rather than written empty.
func (a *app) summary(runID int64, res crawler.Result, run *record.Run, dbPath string) {
	dur := time.Since(res.Stats.Start).Round(time.Millisecond)
	classes := make([]string, 0, len(res.Stats.ByClass))
	for k, v := range res.Stats.ByClass {
		classes = append(classes, fmt.Sprintf("%s:%d", k, v))
	}
	sort.Strings(classes)
	var total, errs, skipped int64
	if run != nil {
		total, errs, skipped = run.Pages, run.Errors, run.Skipped
	}
	rate := 0.0
	if dur > 0 {
		rate = float64(res.Stats.Pages) / dur.Seconds()
	}
	fields := []struct{ key, value string }{
		{"run", strconv.FormatInt(runID, 10)},
		{"status", res.Status},
		{"pages", strconv.FormatInt(res.Stats.Pages, 10)},
		{"errors", strconv.FormatInt(res.Stats.Errors, 10)},
		{"skipped", strconv.FormatInt(res.Stats.Skipped, 10)},
		{"items", strconv.FormatInt(res.Stats.Items, 10)},
		{"run_pages", strconv.FormatInt(total, 10)},
		{"run_errors", strconv.FormatInt(errs, 10)},
		{"run_skipped", strconv.FormatInt(skipped, 10)},
		{"queued", strconv.FormatInt(res.Stats.Queued, 10)},
		{"duration", dur.String()},
		{"rate", fmt.Sprintf("%.1f/s", rate)},
		{"classes", strings.Join(classes, ",")},
		{"db", dbPath},
	}
	var b strings.Builder
	b.WriteString("trawl:")
	for _, f := range fields {
		if f.value != "" {
			b.WriteString(" " + f.key + "=" + f.value)
		}
	}
	fmt.Fprintln(a.stdout, b.String())
}

// lockDB takes the database's run lock for this process (see
// lockOrFailure for its errors).
func lockDB(ctx context.Context, db writeDB) error {
	if err := db.Lock(ctx); err != nil {
		return lockOrFailure(err)
	}
	return nil
}

// lockOrFailure maps an error of taking or using the database to its exit
// code: another live process holding it gives exit code 4 (the message
// names it and since when); anything else is a failure.
func lockOrFailure(err error) error {
	if errors.Is(err, record.ErrLocked) {
		return &exitError{code: exitLocked, err: err}
	}
	return &exitError{code: exitFailed, err: err}
}
