package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"reflect"
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
	"github.com/trawl-crawler/trawl/store/record"
)

// crawlOptions are the crawl command's flags that are not crawler.Config.
type crawlOptions struct {
	fileKeys  []string // crawl flags the config file set
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
	cmd := &cobra.Command{
		Use:   "crawl [flags] URL...",
		Short: "Crawl from seed URLs into a SQLite database (resumes an unfinished crawl)",
		Long: `Crawl from the seed URLs into the SQLite database given by --db.

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
	f.Var(durationFlag{&cfg.MaxDuration}, "max-duration", "stop gracefully after this long (e.g. 45m); resumable (0: no limit)")
	f.Var(durationFlag{&cfg.RevisitAfter}, "revisit-after", "in a refresh run, fetch again pages fetched by a run that started this long ago (less a small slack)")
	f.IntVar(&cfg.MaxPagesPerHost, "max-pages-per-host", 0, "fetch at most this many pages from one host in a run (0: no limit)")
	f.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "concurrent fetchers in total")
	f.IntVar(&cfg.PerHost, "per-host", cfg.PerHost, "concurrent requests to one host")
	f.Var(durationFlag{&cfg.Delay}, "delay", "minimum gap between requests to one host, e.g. 0.5 (seconds) or 250ms (robots.txt Crawl-delay wins when larger)")
	f.Var(durationFlag{&cfg.Timeout}, "timeout", "timeout for one request, body included")
	f.Var(sizeFlag{&cfg.MaxBody}, "max-body", "largest body to download (bytes, or e.g. 512K, 10M); longer ones are truncated and recorded as too-large")
	f.StringVar(&cfg.UserAgent, "user-agent", "", "User-Agent header (default \"trawl/<version> (+<contact>)\")")
	f.StringVar(&o.contact, "contact", "", "URL or e-mail address put in the default User-Agent so site owners can reach you")
	f.StringVar(&cfg.RobotsAgent, "robots-agent", cfg.RobotsAgent, "product token matched against robots.txt User-agent lines")
	f.BoolVar(&cfg.IgnoreRobots, "ignore-robots", false, "do not fetch or obey robots.txt (only for sites you own)")
	f.Var(durationFlag{&cfg.MaxCrawlDelay}, "max-crawl-delay", "cap on a robots.txt Crawl-delay")
	f.Var(durationFlag{&cfg.MaxRetryAfter}, "max-retry-after", "longest Retry-After pause to wait out; a host asking for more is parked until the next run")
	f.BoolVar(&cfg.Sitemaps, "sitemaps", cfg.Sitemaps, "read the sitemaps robots.txt lists (or /sitemap.xml) and crawl the URLs in scope")
	f.BoolVar(&cfg.AutoThrottle, "auto-throttle", cfg.AutoThrottle, "let each host's delay follow its response time (see README)")
	f.Float64Var(&cfg.ThrottleTarget, "throttle-target", cfg.ThrottleTarget, "auto-throttle target: the share of --per-host kept in flight while a host keeps its speed (below 1 crawls gentler)")
	f.Var(durationFlag{&cfg.MaxDelay}, "max-delay", "ceiling for the auto-throttled delay")
	f.IntVar(&cfg.Retries, "retries", cfg.Retries, "extra attempts for transient failures (timeouts, resets, 5xx, 429)")
	f.Var(durationFlag{&cfg.RetryBase}, "retry-base", "delay before the first retry; doubles with each attempt, with jitter")
	f.StringVar(&o.maxDBSize, "max-db-size", "", "cap on the database file (a `size`: bytes, or e.g. 500M, 2G); past it the run stops as on a full disk, resumable")
	f.BoolVar(&cfg.StoreBody, "store-body", false, "keep each HTML body (compressed) so trawl extract can re-run rules later")
	f.BoolVar(&cfg.StoreText, "store-text", false, "keep each page's main text (boilerplate removed)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on stderr: text or json")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "log errors only, and no progress line")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log debug detail")
	f.StringVar(&o.progress, "progress", "auto", "live progress line on stderr: auto (on a terminal), always or never")
	f.StringArrayVar(&cfg.Header, "header", nil, "request header 'Name: value' sent to every host (repeatable; per-host headers: host_headers in --config)")
	f.StringArrayVar(&cfg.Cookie, "cookie", nil, "cookie 'name=value' sent to the seeds' hosts (repeatable)")
	f.StringVar(&cfg.CookiesFile, "cookies-file", "", "Netscape cookies.txt (as curl -c and wget --save-cookies write it) loaded into the cookie jar")
	f.Var(secretFlag{&cfg.BasicAuth}, "basic-auth", "HTTP basic auth 'user:password' for the seeds' hosts, or env:VAR or file:PATH holding it (never stored)")
	f.Var(secretFlag{&cfg.Bearer}, "bearer", "bearer token for the seeds' hosts, or env:VAR or file:PATH holding it (never stored)")
	f.StringVar(&cfg.Proxy, "proxy", "", "proxy URL (http://, https:// or socks5://host:port), or none; default: HTTP_PROXY, HTTPS_PROXY and NO_PROXY")
	f.Var(secretFlag{&cfg.ProxyAuth}, "proxy-auth", "the proxy's user:password, or env:VAR or file:PATH holding it (never stored)")
	f.StringVar(&cfg.CACert, "ca-cert", "", "PEM file of CA certificates to trust besides the system's (a company or test CA)")
	f.BoolVar(&cfg.Insecure, "insecure", false, "do not verify TLS certificates (dangerous: logged as a warning at every start)")
	f.StringVar(&cfg.WARC, "warc", "", "directory to write every request and response to, as gzipped WARC 1.1 files")
	f.Var(sizeFlag{&cfg.WARCMaxSize}, "warc-max-size", "start a new WARC file before one grows past this size (default 1G)")
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
			problem = seedError(err).Error()
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

func (a *app) crawl(ctx context.Context, flags *pflag.FlagSet, cfg crawler.Config, o crawlOptions, args []string) error {
	logTo, live := progressWriter(o, a.stderr)
	log, err := newLogger(logTo, o.logFormat, o.quiet, o.verbose)
	if err != nil {
		return usageErr("%w", err)
	}
	a.console = &console{w: logTo, log: log, json: o.logFormat == "json"}
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
			return usageErr("%w", seedError(err))
		}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = crawler.DefaultUserAgent(o.contact)
	}
	cfg.Seeds = seeds
	cfg.CookiesFile = absPath(cfg.CookiesFile)
	cfg.CACert = absPath(cfg.CACert)
	cfg.WARC = absPath(cfg.WARC)
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
		return usageErr("%w", asFlagError(flags, err))
	}
	placeholder, _ := canon.Canonical(check.Seeds[0])
	if _, err := urlkey.NewScope(cfg.Scope, []*url.URL{placeholder}, cfg.Allow, cfg.Deny); err != nil {
		var pe *urlkey.PatternError
		if errors.As(err, &pe) {
			// A config file's patterns were checked with their line
			// numbers already: this one is a flag.
			return usageErr("--%w", err)
		}
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
		var ue *store.UnwritableError
		if errors.Is(err, store.ErrNotTrawl) || errors.Is(err, store.ErrNewerSchema) || errors.As(err, &ue) {
			return usageErr("%w", err) // these name the path already
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

	onTerminal := isTerminal(a.stderr) && !a.console.json
	runCtx, signals := a.watchSignals(ctx, func(s os.Signal) {
		if onTerminal && live == nil {
			fmt.Fprint(a.stderr, eraseLine) // the echoed ^C (live erases it with the progress line)
		}
		a.say(slog.LevelWarn, "stopping: finishing requests in flight (signal again to quit at once; the crawl stays resumable)", "signal", s.String())
	}, true)
	defer signals.stop()
	stopProgress := a.startProgress(c, o, log, live, len(cfg.Rules) > 0)
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
	case errors.Is(runErr, store.ErrDiskFull):
		return &exitError{code: exitFailed, err: fmt.Errorf("run %d stopped: the disk (or --max-db-size) is full; nothing committed was lost: free space and run the same command to resume (%w)", run.ID, runErr)}
	case runErr != nil:
		return &exitError{code: exitFailed, err: fmt.Errorf("run %d failed: %w; fix the cause and run the same command to resume", run.ID, runErr)}
	case res.Status == crawler.StatusInterrupted:
		name, _ := commandName(a.argv0)
		a.say(slog.LevelWarn, fmt.Sprintf("interrupted; run the same command again to resume (%s crawl --db %s)", name, shellQuote(o.db)),
			"run", run.ID, "db", o.db)
		return &exitError{code: signals.exitCode()}
	case res.Status == crawler.StatusStopped:
		// Not an error: a nightly --max-duration ends this way, and -q
		// (errors only) keeps it out of cron's mail; exit code 3 says it.
		budget := res.Budget
		if budget == "" {
			budget = "a budget (--max-pages or --max-duration)"
		}
		a.say(slog.LevelInfo, "stopped by "+budget+"; run the same command again to continue",
			"run", run.ID, "db", o.db, "budget", strings.TrimPrefix(res.Budget, "--"))
		return &exitError{code: exitStopped}
	case !succeeded:
		a.say(slog.LevelError, fmt.Sprintf("run %d finished without a single successful page: every host was unreachable, denied by robots.txt or failing (see the errors view)", run.ID),
			"run", run.ID, "db", o.db)
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

// crawlDefining are the settings that decide which URLs belong to a crawl
// (and, for revisit_after, which are due in a refresh). A resume keeps the
// stored ones, since changing them mid-run would strand or re-admit queued
// URLs; a refresh or --fresh may set them.
var crawlDefining = map[string]bool{"scope": true, "allow": true, "deny": true, "drop_params": true, "revisit_after": true}

// revealing are the settings whose values are not logged: they may carry
// credentials (an Authorization header, a session cookie, a proxy's user).
var revealing = map[string]bool{"header": true, "host_headers": true, "cookie": true, "proxy": true}

// settingKey is the crawler.Config JSON key behind a crawl flag, if the
// flag is a crawl setting that an invocation may override: not a budget
// (always the invocation's), not the extraction settings (keepExtraction),
// not an option of the command itself (--db, --log-format, ...).
func settingKey(flag string) (string, bool) {
	if flag == "contact" {
		return "user_agent", true // --contact is part of the User-Agent
	}
	key := strings.ReplaceAll(flag, "-", "_")
	switch key {
	case "seeds", "max_pages", "max_duration", "rules", "store_body", "store_text", "refresh_cutoff":
		return "", false
	}
	return key, slices.Contains(configKeys(), key)
}

// configKeys lists crawler.Config's JSON keys.
func configKeys() []string {
	var keys []string
	t := reflect.TypeFor[crawler.Config]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

// givenSettings returns the names of the crawl flags this invocation sets,
// on the command line or in its config file.
func givenSettings(flags *pflag.FlagSet, o crawlOptions) []string {
	given := slices.Clone(o.fileKeys)
	flags.Visit(func(f *pflag.Flag) { given = append(given, f.Name) })
	slices.Sort(given)
	return slices.Compact(given)
}

// overrideSettings returns base with the settings this invocation gives taken
// from cfg, for this invocation only: the stored configuration is not
// changed, so a later plain resume or cron run crawls with the crawl's own
// settings again. Each setting that differs is logged at start, so that a
// user sees what this invocation does differently. Settings in keep are
// not taken (with a warning when they differ).
func overrideSettings(base, cfg crawler.Config, given []string, keep map[string]bool, log *slog.Logger) (crawler.Config, error) {
	var stored, now map[string]json.RawMessage
	if err := roundTrip(base, &stored); err != nil {
		return base, err
	}
	if err := roundTrip(cfg, &now); err != nil {
		return base, err
	}
	for _, name := range given {
		key, ok := settingKey(name)
		if !ok {
			continue
		}
		was, is := stored[key], now[key]
		if bytes.Equal(was, is) {
			continue
		}
		if keep[key] {
			log.Warn("setting not changed: it defines the unfinished crawl (use --fresh to start over with it)",
				"setting", key, "stored", shown(was), "given", shown(is))
			continue
		}
		showWas, showIs := shown(was), shown(is)
		if revealing[key] {
			// Headers, cookies and proxy URLs may carry credentials.
			showWas, showIs = "(not shown)", "(not shown)"
		}
		log.Info("setting overridden for this invocation only", "setting", key, "stored", showWas, "now", showIs)
		if is == nil {
			delete(stored, key)
		} else {
			stored[key] = is
		}
	}
	var merged crawler.Config
	b, _ := json.Marshal(stored)
	if err := json.Unmarshal(b, &merged); err != nil {
		return base, err
	}
	// Budgets belong to an invocation, not to the crawl: a cron line's
	// --max-duration must not bind a later manual resume, and the reverse.
	merged.MaxPages, merged.MaxDuration = cfg.MaxPages, cfg.MaxDuration
	return merged, nil
}

// roundTrip converts v to a JSON object map.
func roundTrip(v any, m *map[string]json.RawMessage) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, m)
}

// shown is a JSON setting value as a person reads it.
func shown(v json.RawMessage) string {
	if v == nil {
		return "(unset)"
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// storedBase returns a stored run's configuration with this invocation's new
// seeds and extraction settings: what the run keeps for later invocations.
func storedBase(storedJSON []byte, cfg crawler.Config, flags *pflag.FlagSet, o crawlOptions) (crawler.Config, error) {
	var stored crawler.Config
	if err := json.Unmarshal(storedJSON, &stored); err != nil {
		return stored, err
	}
	for _, s := range cfg.Seeds {
		if !slices.Contains(stored.Seeds, s) {
			stored.Seeds = append(stored.Seeds, s)
		}
	}
	keepExtraction(&stored, cfg, flags, o)
	return stored, nil
}

// prepareRun decides between resuming the last run and starting a new one,
// and returns the run with the configuration it will use.
func (a *app) prepareRun(ctx context.Context, db *store.DB, flags *pflag.FlagSet, cfg crawler.Config, o crawlOptions, log *slog.Logger) (*record.Run, crawler.Config, error) {
	last, err := db.LastRun(ctx)
	if err != nil {
		return nil, cfg, &exitError{code: exitFailed, err: err}
	}
	invocation := cfg
	given := givenSettings(flags, o)
	if last != nil && last.Resumable() && !o.fresh {
		base, err := storedBase(last.Config, cfg, flags, o)
		if err != nil {
			return nil, cfg, &exitError{code: exitFailed, err: fmt.Errorf("run %d has an unreadable configuration: %w; use --fresh", last.ID, err)}
		}
		run, err := overrideSettings(base, cfg, given, crawlDefining, log)
		if err != nil {
			return nil, cfg, &exitError{code: exitFailed, err: err}
		}
		if err := readyRequests(&run, invocation); err != nil {
			return nil, cfg, err
		}
		b, _ := json.Marshal(base)
		if err := db.ResumeRun(ctx, last.ID, b); err != nil {
			return nil, cfg, &exitError{code: exitFailed, err: err}
		}
		log.Info("resuming run", "run", last.ID, "status_was", last.Status, "pages_so_far", last.Pages)
		return last, run, nil
	}
	base := cfg
	if last != nil && !o.fresh {
		// A finished crawl: refresh it with its own settings; those given now
		// apply to this run.
		if stored, err := storedBase(last.Config, cfg, flags, o); err == nil {
			base = stored
			if cfg, err = overrideSettings(base, cfg, given, nil, log); err != nil {
				return nil, cfg, &exitError{code: exitFailed, err: err}
			}
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
		cutoff, err := crawler.RefreshCutoff(ctx, db, time.Now(), time.Duration(cfg.RevisitAfter))
		if err != nil {
			return nil, cfg, &exitError{code: exitFailed, err: err}
		}
		cfg.RefreshCutoff = cutoff
	}
	if err := readyRequests(&cfg, invocation); err != nil {
		return nil, cfg, err
	}
	base.RefreshCutoff = cfg.RefreshCutoff
	b, _ := json.Marshal(base)
	run, err := db.StartRun(ctx, kind, b)
	if err != nil {
		return nil, cfg, &exitError{code: exitFailed, err: err}
	}
	if kind == "refresh" {
		n, err := db.RequeueStale(ctx, run.ID, cfg.RefreshCutoff, crawler.RetrySkipReasons())
		if err != nil {
			return nil, cfg, &exitError{code: exitFailed, err: err}
		}
		log.Info("starting refresh run", "run", run.ID, "due", n, "revisit_after", time.Duration(cfg.RevisitAfter).String())
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
