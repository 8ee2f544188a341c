package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/crawler/urlkey"
	"github.com/trawl-crawler/trawl/store"
)

// crawlOptions are the crawl command's flags that are not crawler.Config.
type crawlOptions struct {
	db        string
	seedsFile string
	fresh     bool
	contact   string
	logFormat string
	quiet     bool
	verbose   bool
	progress  string
	maxDBSize string
	config    string
}

func (a *app) crawlCmd() *cobra.Command {
	cfg := crawler.DefaultConfig()
	var o crawlOptions
	var delay, timeout, retryBase, maxCrawlDelay, maxRetryAfter, maxDelay, maxDuration, revisitAfter time.Duration
	cmd := &cobra.Command{
		Use:   "crawl [flags] URL...",
		Short: "Crawl from seed URLs into a SQLite database (resumes an unfinished crawl)",
		Long: `Crawl from the seed URLs into the SQLite database given by --db.

If the database holds an unfinished crawl (interrupted, killed, stopped by a
budget), the same command resumes it exactly: its seeds and settings are kept in
the database, and limits given again on the command line override them. If the
last crawl finished, the same command starts a refresh run: pages last fetched
longer ago than --revisit-after are fetched again with conditional requests
(If-None-Match / If-Modified-Since), and every page is recorded as new,
changed, unchanged or gone. --fresh starts a new crawl from the seeds.

Exit codes: 0 finished, 1 failed, 2 bad input, 3 stopped by a budget
(resumable), 4 database locked by another trawl, 5 finished without a single
successful page (a dead site), 130/143 interrupted (resumable).`,
		Example: `  trawl crawl https://example.com --db site.db
  trawl crawl --seeds-file seeds.txt --scope domain --max-depth 3 --db site.db
  trawl crawl --db site.db              # resume the crawl stored in site.db`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Delay = crawler.Duration(delay)
			cfg.Timeout = crawler.Duration(timeout)
			cfg.RetryBase = crawler.Duration(retryBase)
			cfg.MaxCrawlDelay = crawler.Duration(maxCrawlDelay)
			cfg.MaxRetryAfter = crawler.Duration(maxRetryAfter)
			cfg.MaxDelay = crawler.Duration(maxDelay)
			cfg.MaxDuration = crawler.Duration(maxDuration)
			cfg.RevisitAfter = crawler.Duration(revisitAfter)
			if o.config != "" {
				fc, err := loadConfig(o.config)
				if err != nil {
					return usageErr("%w", err)
				}
				fc.apply(cmd.Flags(), &cfg, &o)
				args = append(args, fc.Seeds...)
			}
			return a.crawl(cmd.Context(), cmd.Flags(), cfg, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.db, "db", "trawl.db", "SQLite database file to write (created if missing)")
	f.StringVar(&o.config, "config", "", "YAML config file: any crawl setting (keys as the flags, with _) plus extraction rules; flags override it")
	f.StringVar(&o.seedsFile, "seeds-file", "", "file with one seed URL per line (# comments allowed)")
	f.BoolVar(&o.fresh, "fresh", false, "start a new crawl from the seeds, abandoning an unfinished one")
	f.StringVar(&cfg.Scope, "scope", cfg.Scope, "which links to follow: host (the seeds' hosts), domain (their registrable domains) or any")
	f.StringArrayVar(&cfg.Allow, "allow", nil, "only follow URLs matching this regexp (repeatable)")
	f.StringArrayVar(&cfg.Deny, "deny", nil, "never follow URLs matching this regexp (repeatable)")
	f.StringSliceVar(&cfg.DropParams, "drop-params", nil, "query parameters to remove before deduplicating URLs: names or prefixes with * (e.g. 'utm_*,fbclid,sessionid')")
	f.IntVar(&cfg.MaxDepth, "max-depth", 0, "maximum link hops from a seed (0: no limit)")
	f.IntVar(&cfg.MaxPages, "max-pages", 0, "stop after fetching this many pages in this invocation; resumable (0: no limit)")
	f.DurationVar(&maxDuration, "max-duration", 0, "stop gracefully after this long (e.g. 45m); resumable (0: no limit)")
	f.DurationVar(&revisitAfter, "revisit-after", time.Duration(cfg.RevisitAfter), "in a refresh run, fetch again pages last fetched longer ago than this")
	f.IntVar(&cfg.MaxPagesPerHost, "max-pages-per-host", 0, "fetch at most this many pages from one host in a run (0: no limit)")
	f.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "concurrent fetchers in total")
	f.IntVar(&cfg.PerHost, "per-host", cfg.PerHost, "concurrent requests to one host")
	f.DurationVar(&delay, "delay", time.Duration(cfg.Delay), "minimum gap between requests to one host (robots.txt Crawl-delay wins when larger)")
	f.DurationVar(&timeout, "timeout", time.Duration(cfg.Timeout), "timeout for one request, body included")
	f.Int64Var(&cfg.MaxBody, "max-body", cfg.MaxBody, "largest body to download in bytes; longer ones are truncated and recorded as too-large")
	f.StringVar(&cfg.UserAgent, "user-agent", "", "User-Agent header (default \"trawl/<version> (+<contact>)\")")
	f.StringVar(&o.contact, "contact", "", "URL or e-mail address put in the default User-Agent so site owners can reach you")
	f.StringVar(&cfg.RobotsAgent, "robots-agent", cfg.RobotsAgent, "product token matched against robots.txt User-agent lines")
	f.BoolVar(&cfg.IgnoreRobots, "ignore-robots", false, "do not fetch or obey robots.txt (only for sites you own)")
	f.DurationVar(&maxCrawlDelay, "max-crawl-delay", time.Duration(cfg.MaxCrawlDelay), "cap on a robots.txt Crawl-delay")
	f.DurationVar(&maxRetryAfter, "max-retry-after", time.Duration(cfg.MaxRetryAfter), "longest Retry-After pause to wait out; a host asking for more is parked until the next run")
	f.BoolVar(&cfg.Sitemaps, "sitemaps", cfg.Sitemaps, "read the sitemaps robots.txt lists (or /sitemap.xml) and crawl the URLs in scope")
	f.BoolVar(&cfg.AutoThrottle, "auto-throttle", cfg.AutoThrottle, "let each host's delay follow its response time (see README)")
	f.Float64Var(&cfg.ThrottleTarget, "throttle-target", cfg.ThrottleTarget, "auto-throttle target: 1 leaves a host idle about as long as it takes to answer; higher crawls harder")
	f.DurationVar(&maxDelay, "max-delay", time.Duration(cfg.MaxDelay), "ceiling for the auto-throttled delay")
	f.IntVar(&cfg.Retries, "retries", cfg.Retries, "extra attempts for transient failures (timeouts, resets, 5xx, 429)")
	f.DurationVar(&retryBase, "retry-base", time.Duration(cfg.RetryBase), "delay before the first retry; doubles with each attempt, with jitter")
	f.StringVar(&o.maxDBSize, "max-db-size", "", "cap on the database file (e.g. 500M, 2G); past it the run stops as on a full disk, resumable")
	f.BoolVar(&cfg.StoreBody, "store-body", false, "keep each HTML body (compressed) so trawl extract can re-run rules later")
	f.BoolVar(&cfg.StoreText, "store-text", false, "keep each page's main text (boilerplate removed)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on stderr: text or json")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "log errors only, and no progress line")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log debug detail")
	f.StringVar(&o.progress, "progress", "auto", "live progress line on stderr: auto (on a terminal), always or never")
	return cmd
}

// readSeeds reads a seeds file: one URL per line; blank lines and comments
// are ignored. A comment is a line starting with '#', or the rest of a line
// from a '#' that follows a space or tab ("http://a/ # home"); a '#' inside a
// URL is its fragment. Every line that is not one valid URL is reported as
// "FILE:LINE: problem".
func readSeeds(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--seeds-file: %w", err)
	}
	defer f.Close()
	var seeds, bad []string
	var canon urlkey.Canon
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
		var problem string
		switch _, err := canon.Canonical(line); {
		case line == "":
			continue
		case strings.ContainsAny(line, " \t\v\f"):
			problem = fmt.Sprintf("%q is not one URL: write one URL per line, and start a comment with \" #\"", line)
		case err != nil:
			problem = fmt.Sprintf("invalid seed URL %q: %v", line, err)
		}
		if problem != "" {
			bad = append(bad, fmt.Sprintf("%s:%d: %s", path, n, problem))
			continue
		}
		seeds = append(seeds, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(bad) > 0 {
		return nil, errors.New(strings.Join(bad, "\n"))
	}
	return seeds, nil
}

func newLogger(w io.Writer, format string, quiet, verbose bool) (*slog.Logger, error) {
	level := slog.LevelInfo
	switch {
	case quiet:
		level = slog.LevelError
	case verbose:
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// overridable lists the flags that, given again when resuming, replace the
// stored setting. Scope and seeds define the crawl and are kept; budgets
// (--max-pages, --max-duration) always come from the invocation (mergeStored).
var overridable = []string{"max-depth", "max-pages-per-host", "concurrency", "per-host", "delay",
	"timeout", "max-body", "user-agent", "contact", "robots-agent", "ignore-robots", "retries", "retry-base",
	"max-crawl-delay", "max-retry-after", "auto-throttle", "throttle-target", "max-delay"}

func (a *app) crawl(ctx context.Context, flags *pflag.FlagSet, cfg crawler.Config, o crawlOptions, args []string) error {
	log, err := newLogger(a.stderr, o.logFormat, o.quiet, o.verbose)
	if err != nil {
		return usageErr("%w", err)
	}
	seeds := slices.Clone(args)
	if o.seedsFile != "" {
		more, err := readSeeds(o.seedsFile)
		if err != nil {
			return usageErr("%w", err)
		}
		seeds = append(seeds, more...)
	}
	var canon urlkey.Canon
	for _, s := range seeds {
		if _, err := canon.Canonical(s); err != nil {
			return usageErr("invalid seed URL %q: %w", s, err)
		}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = crawler.DefaultUserAgent(o.contact)
	}
	cfg.Seeds = seeds
	if o.progress != "auto" && o.progress != "always" && o.progress != "never" {
		return usageErr("--progress %q: want auto, always or never", o.progress)
	}
	// Validate what can be validated before touching the database; seeds may
	// come from the database when resuming.
	check := cfg
	if len(check.Seeds) == 0 {
		check.Seeds = []string{"http://placeholder.invalid/"}
	}
	if err := check.Validate(); err != nil {
		return usageErr("%w", err)
	}
	placeholder, _ := canon.Canonical(check.Seeds[0])
	if _, err := urlkey.NewScope(cfg.Scope, []*url.URL{placeholder}, cfg.Allow, cfg.Deny); err != nil {
		return usageErr("%w", err)
	}
	if _, err := os.Stat(o.db); errors.Is(err, os.ErrNotExist) && len(seeds) == 0 {
		return usageErr("no seed URLs and no crawl to resume in %s: give a URL or --seeds-file", o.db)
	}

	var opts []store.Option
	if o.maxDBSize != "" {
		n, err := parseSize(o.maxDBSize)
		if err != nil {
			return usageErr("--max-db-size: %w", err)
		}
		opts = append(opts, store.MaxSize(n))
	}
	db, err := store.Open(ctx, o.db, opts...)
	if err != nil {
		if errors.Is(err, store.ErrNotTrawl) || errors.Is(err, store.ErrNewerSchema) {
			return usageErr("%w", err)
		}
		return usageErr("database %s: %w", o.db, err)
	}
	defer db.Close()
	if err := lockDB(ctx, db); err != nil {
		return err
	}
	defer db.Unlock(context.WithoutCancel(ctx))

	run, cfg, err := a.prepareRun(ctx, db, flags, cfg, o, log)
	if err != nil {
		return err
	}
	c, err := crawler.New(cfg, db, run.ID, log)
	if err != nil {
		return usageErr("%w", err)
	}

	runCtx, signals := a.watchSignals(ctx, func(os.Signal) {
		fmt.Fprintln(a.stderr, "\ntrawl: stopping: finishing requests in flight (signal again to quit at once; the crawl stays resumable)")
	}, true)
	defer signals.stop()
	stopProgress := a.startProgress(c, o)
	res, runErr := c.Run(runCtx)
	stopProgress()

	if err := db.EndRun(context.WithoutCancel(ctx), run.ID, res.Status); err != nil && runErr == nil {
		runErr = err
	}
	final, _ := db.GetRun(context.WithoutCancel(ctx), run.ID)
	a.summary(run.ID, res, final, o.db)
	succeeded := true
	if res.Status == crawler.StatusFinished && runErr == nil {
		succeeded, runErr = db.RunSucceeded(context.WithoutCancel(ctx), run.ID)
	}
	switch {
	case runErr != nil && isDiskFull(runErr):
		return &exitError{code: exitFailed, err: fmt.Errorf("run %d stopped: the disk (or --max-db-size) is full; nothing committed was lost: free space and run the same command to resume (%w)", run.ID, runErr)}
	case runErr != nil:
		return &exitError{code: exitFailed, err: fmt.Errorf("run %d failed: %w; fix the cause and run the same command to resume", run.ID, runErr)}
	case res.Status == crawler.StatusInterrupted:
		fmt.Fprintf(a.stderr, "trawl: interrupted; run the same command again to resume (trawl crawl --db %s)\n", o.db)
		return &exitError{code: signals.exitCode()}
	case res.Status == crawler.StatusStopped:
		fmt.Fprintf(a.stderr, "trawl: stopped by a budget (--max-pages or --max-duration); run the same command again to continue\n")
		return &exitError{code: exitStopped}
	case !succeeded:
		fmt.Fprintf(a.stderr, "trawl: run %d finished without a single successful page: every host was unreachable, denied by robots.txt or failing (see the errors view)\n", run.ID)
		return &exitError{code: exitNoSuccess}
	}
	return nil
}

// mergeStored returns a stored run's configuration with the flags in names
// that the command line set taken from cfg, cfg's new seeds added, and the
// extraction settings and budgets of this invocation.
func mergeStored(stored, cfg crawler.Config, flags *pflag.FlagSet, o crawlOptions, names []string) crawler.Config {
	merged := stored
	for _, name := range names {
		if flags.Changed(name) {
			applyFlag(&merged, cfg, name)
		}
	}
	for _, s := range cfg.Seeds {
		if !slices.Contains(merged.Seeds, s) {
			merged.Seeds = append(merged.Seeds, s)
		}
	}
	keepExtraction(&merged, cfg, flags, o)
	// Budgets belong to an invocation, not to the crawl: a cron line's
	// --max-duration must not bind a later manual resume, and the reverse.
	merged.MaxPages, merged.MaxDuration = cfg.MaxPages, cfg.MaxDuration
	return merged
}

// prepareRun decides between resuming the last run and starting a new one,
// and returns the run with the configuration it will use.
func (a *app) prepareRun(ctx context.Context, db *store.DB, flags *pflag.FlagSet, cfg crawler.Config, o crawlOptions, log *slog.Logger) (*store.Run, crawler.Config, error) {
	last, err := db.LastRun(ctx)
	if err != nil {
		return nil, cfg, &exitError{code: exitFailed, err: err}
	}
	if last != nil && last.Resumable() && !o.fresh {
		var stored crawler.Config
		if err := json.Unmarshal(last.Config, &stored); err != nil {
			return nil, cfg, &exitError{code: exitFailed, err: fmt.Errorf("run %d has an unreadable configuration: %w; use --fresh", last.ID, err)}
		}
		merged := mergeStored(stored, cfg, flags, o, overridable)
		b, _ := json.Marshal(merged)
		if err := db.ResumeRun(ctx, last.ID, b); err != nil {
			return nil, cfg, &exitError{code: exitFailed, err: err}
		}
		log.Info("resuming run", "run", last.ID, "status_was", last.Status, "pages_so_far", last.Pages)
		return last, merged, nil
	}
	if last != nil && !o.fresh {
		// A finished crawl: refresh it with its own settings unless the
		// command line says otherwise.
		var stored crawler.Config
		if err := json.Unmarshal(last.Config, &stored); err == nil {
			cfg = mergeStored(stored, cfg, flags, o, append(slices.Clone(overridable), "revisit-after", "scope", "allow", "deny", "drop-params"))
		}
	}
	if len(cfg.Seeds) == 0 {
		return nil, cfg, usageErr("no seed URLs: give a URL or --seeds-file")
	}
	if o.fresh {
		if err := db.AbandonQueue(ctx); err != nil {
			return nil, cfg, &exitError{code: exitFailed, err: err}
		}
	}
	kind := "crawl"
	cfg.RefreshCutoff = time.Time{}
	if last != nil && !o.fresh {
		kind = "refresh"
		cfg.RefreshCutoff = time.Now().Add(-time.Duration(cfg.RevisitAfter)).UTC()
	}
	b, _ := json.Marshal(cfg)
	run, err := db.StartRun(ctx, kind, b)
	if err != nil {
		return nil, cfg, &exitError{code: exitFailed, err: err}
	}
	if kind == "refresh" {
		n, err := db.RequeueStale(ctx, run.ID, cfg.RefreshCutoff, crawler.RetrySkipReasons())
		if err != nil {
			return nil, cfg, &exitError{code: exitFailed, err: err}
		}
		log.Info("starting refresh run", "run", run.ID, "due", n, "revisit_after", time.Duration(cfg.RevisitAfter))
		return run, cfg, nil
	}
	log.Info("starting run", "run", run.ID, "kind", kind, "seeds", len(cfg.Seeds))
	return run, cfg, nil
}

// keepExtraction lets a config file or flags given now replace the stored
// extraction settings: editing the rules and running the same command again
// uses the new rules.
func keepExtraction(dst *crawler.Config, src crawler.Config, flags *pflag.FlagSet, o crawlOptions) {
	if o.config != "" {
		dst.Rules = src.Rules
	}
	if o.config != "" || flags.Changed("store-body") {
		dst.StoreBody = src.StoreBody
	}
	if o.config != "" || flags.Changed("store-text") {
		dst.StoreText = src.StoreText
	}
}

// applyFlag copies the setting behind flag name from src into dst.
func applyFlag(dst *crawler.Config, src crawler.Config, name string) {
	switch name {
	case "max-depth":
		dst.MaxDepth = src.MaxDepth
	case "max-pages-per-host":
		dst.MaxPagesPerHost = src.MaxPagesPerHost
	case "concurrency":
		dst.Concurrency = src.Concurrency
	case "per-host":
		dst.PerHost = src.PerHost
	case "delay":
		dst.Delay = src.Delay
	case "timeout":
		dst.Timeout = src.Timeout
	case "max-body":
		dst.MaxBody = src.MaxBody
	case "user-agent", "contact":
		dst.UserAgent = src.UserAgent
	case "robots-agent":
		dst.RobotsAgent = src.RobotsAgent
	case "ignore-robots":
		dst.IgnoreRobots = src.IgnoreRobots
	case "retries":
		dst.Retries = src.Retries
	case "retry-base":
		dst.RetryBase = src.RetryBase
	case "revisit-after":
		dst.RevisitAfter = src.RevisitAfter
	case "scope":
		dst.Scope = src.Scope
	case "allow":
		dst.Allow = src.Allow
	case "deny":
		dst.Deny = src.Deny
	case "drop-params":
		dst.DropParams = src.DropParams
	case "max-crawl-delay":
		dst.MaxCrawlDelay = src.MaxCrawlDelay
	case "max-retry-after":
		dst.MaxRetryAfter = src.MaxRetryAfter
	case "auto-throttle":
		dst.AutoThrottle = src.AutoThrottle
	case "throttle-target":
		dst.ThrottleTarget = src.ThrottleTarget
	case "max-delay":
		dst.MaxDelay = src.MaxDelay
	}
}

// summary prints the end-of-run report: always one parsable line on stdout.
func (a *app) summary(runID int64, res crawler.Result, run *store.Run, dbPath string) {
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
	fmt.Fprintf(a.stdout, "trawl: run=%d status=%s pages=%d errors=%d skipped=%d run_pages=%d run_errors=%d run_skipped=%d queued=%d duration=%s rate=%.1f/s classes=%s db=%s\n",
		runID, res.Status, res.Stats.Pages, res.Stats.Errors, res.Stats.Skipped, total, errs, skipped, res.Stats.Queued, dur, rate,
		strings.Join(classes, ","), dbPath)
}

// startProgress prints a live progress line on a terminal.
func (a *app) startProgress(c *crawler.Crawler, o crawlOptions) func() {
	show := o.progress == "always"
	if o.progress == "auto" && !o.quiet {
		if f, ok := a.stderr.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				show = true
			}
		}
	}
	if !show {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(a.stderr, "\r\033[K")
				return
			case <-t.C:
				s := c.Stats()
				el := time.Since(s.Start).Seconds()
				rate := 0.0
				if el > 0 {
					rate = float64(s.Pages) / el
				}
				fmt.Fprintf(a.stderr, "\r\033[Kpages %d  queued %d  in flight %d  %.1f pages/s  errors %d",
					s.Pages, s.Queued, s.InFlight, rate, s.Errors)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// isDiskFull reports whether err is SQLite's SQLITE_FULL (or SQLITE_IOERR from
// a full file system).
func isDiskFull(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) && coded.Code()&0xff == 13 {
		return true
	}
	return errors.Is(err, syscall.ENOSPC)
}

// parseSize reads a byte count with an optional K, M, G or T suffix (powers
// of 1024).
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult, t = 1<<10, t[:n-1]
		case 'M':
			mult, t = 1<<20, t[:n-1]
		case 'G':
			mult, t = 1<<30, t[:n-1]
		case 'T':
			mult, t = 1<<40, t[:n-1]
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size (write e.g. 500M or 2G)", s)
	}
	return n * mult, nil
}

// lockDB takes the database's run lock for this process. Another live
// process holding it gives exit code 4 (the message names it and since when);
// anything else is a failure.
func lockDB(ctx context.Context, db *store.DB) error {
	err := db.Lock(ctx)
	var le *store.LockError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &le):
		return &exitError{code: exitLocked, err: err}
	default:
		return &exitError{code: exitFailed, err: err}
	}
}
