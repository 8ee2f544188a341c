package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trawl-crawler/trawl/crawler/urlkey"
	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store"
)

// docSite is one real site of `bench real`: a Debian package's HTML
// documentation, served as its own loopback host.
type docSite struct {
	pkg  string // the Debian package that installs it
	root string // its document root
}

// docSites are the four documentation sets of the real-site benchmark: a
// few hundred 100 KB pages with ~300 links each (Python), a thousand small
// ones (PostgreSQL, Django) and twenty thousand with a long tail up to 10 MB
// and ~790,000 elements (Rust's standard library reference).
var docSites = []docSite{
	{"python3-doc", "/usr/share/doc/python3-doc/html"},
	{"postgresql-doc-15", "/usr/share/doc/postgresql-doc-15/html"},
	{"python-django-doc", "/usr/share/doc/python-django-doc/html"},
	{"rust-doc", "/usr/share/doc/rust-doc/html"},
}

// realOptions are the flags of `bench real`.
type realOptions struct {
	concurrency int
	perHost     int
	timeout     time.Duration
	keep        bool
	install     bool
	only        string
	trawlArgs   string
	defaults    time.Duration
	rounds      int
	collyDedup  bool
}

// runRealCommand is `go run ./bench real [flags]`.
func runRealCommand(ctx context.Context, args []string, w io.Writer) error {
	var o realOptions
	fs := flag.NewFlagSet("bench real", flag.ExitOnError)
	fs.IntVar(&o.concurrency, "concurrency", 16, "requests in flight in total, for every crawler")
	fs.IntVar(&o.perHost, "per-host", 8, "trawl's --per-host")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "stop a crawler that runs longer than this")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (binaries, database, logs)")
	fs.BoolVar(&o.install, "install", true, "apt-get install the documentation packages that are missing")
	fs.StringVar(&o.only, "only", "", "comma-separated subset of limit,colly,trawl,warc,defaults (default: limit,colly,trawl); limit runs both limits, following links and over the known URLs")
	fs.StringVar(&o.trawlArgs, "trawl-args", "", "extra flags for trawl crawl, space-separated")
	fs.IntVar(&o.rounds, "rounds", 1, "measure this many times, every other round in the opposite order, and print each ratio's median")
	fs.BoolVar(&o.collyDedup, "colly-dedup", true, collyDedupUsage)
	fs.DurationVar(&o.defaults, "defaults-for", 2*time.Minute, "with -only defaults: how long trawl with default flags runs (--max-duration)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./bench real [flags]")
		fs.PrintDefaults()
	}
	_ = fs.Parse(args)
	want := map[string]bool{"limit": true, "colly": true, "trawl": true}
	if o.only != "" {
		want = map[string]bool{}
		for _, s := range strings.Split(o.only, ",") {
			switch s {
			case "limit", "colly", "trawl", "warc", "defaults":
				want[s] = true
			default:
				return fmt.Errorf("-only %q: want limit, colly, trawl, warc or defaults", s)
			}
		}
	}
	if err := ensureDocs(ctx, o.install); err != nil {
		return err
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "trawl-bench-real-")
	if err != nil {
		return err
	}
	defer func() {
		if o.keep {
			fmt.Fprintf(w, "kept: %s\n", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()

	var seeds []string
	for i, s := range docSites {
		h, err := fixtures.StartStatic(fixtures.HostConfig{IP: fmt.Sprintf("127.0.0.%d", 2+i), DisableLog: true}, os.DirFS(s.root))
		if err != nil {
			return err
		}
		defer h.Close()
		seeds = append(seeds, h.URL+"/")
	}

	bins := map[string]string{}
	for name, pkg := range map[string]string{"limit": "./bench/limit", "colly": "./bench/baseline", "trawl": "./cmd/trawl"} {
		if !want[name] && !(name == "trawl" && (want["defaults"] || want["warc"])) {
			continue
		}
		bins[name] = filepath.Join(dir, name)
		if err := build(ctx, root, bins[name], pkg); err != nil {
			return err
		}
	}
	if o.rounds < 1 {
		o.rounds = 1
	}
	var reps []*realReport
	for round := range o.rounds {
		// Odd rounds run the crawlers in the opposite order (A B, B A, ...),
		// so that a machine whose speed drifts favours none of them.
		rdir := filepath.Join(dir, fmt.Sprintf("round%d", round+1))
		if err := os.Mkdir(rdir, 0o755); err != nil {
			return err
		}
		rep, err := measureReal(ctx, o, want, bins, rdir, seeds, round%2 == 1)
		if err != nil {
			return err
		}
		if err := rep.print(w); err != nil {
			return err
		}
		reps = append(reps, rep)
	}
	if len(reps) > 1 {
		printRounds(w, reps)
	}
	return nil
}

// crawlArgs is the command line of the measured trawl crawl into db: no
// delay, -per-host and -concurrency, then extra, -trawl-args and the seeds.
func (o realOptions) crawlArgs(db string, seeds []string, extra ...string) []string {
	args := []string{"crawl", "--db", db, "--delay", "0", "--per-host", fmt.Sprint(o.perHost),
		"--concurrency", fmt.Sprint(o.concurrency), "--quiet", "--progress", "never"}
	args = append(append(args, extra...), strings.Fields(o.trawlArgs)...)
	return append(args, seeds...)
}

// measureReal runs the crawlers of want once, in order or reversed, with
// their files in dir.
func measureReal(ctx context.Context, o realOptions, want map[string]bool, bins map[string]string, dir string, seeds []string, reverse bool) (*realReport, error) {
	rep := &realReport{opts: o, args: os.Args, seeds: seeds, load: []loadSample{sampleLoad("start")}}
	var steps []func() error
	if want["limit"] {
		// The crawl that follows links finds the reachable set, which the
		// limit proper then fetches and every check compares with; so it
		// runs first whatever the order of the round.
		fmt.Fprintln(os.Stderr, "bench real: fetch+parse limit following links...")
		known := filepath.Join(dir, "limit-urls.tsv")
		args := append([]string{"-concurrency", fmt.Sprint(o.concurrency), "-out", known}, seeds...)
		res, err := runChild(ctx, bins["limit"], args, filepath.Join(dir, "limit-links.stderr"), o.timeout)
		if err != nil {
			return nil, err
		}
		rep.links = res
		rep.linksSummary = parseSummary(res.stdout, "limit: ")
		if rep.reachable, err = readReachable(known); err != nil {
			return nil, err
		}
		rep.load = append(rep.load, sampleLoad("after limit+links"))
		steps = append(steps, func() error {
			fmt.Fprintln(os.Stderr, "bench real: fetch+parse limit over the known URLs...")
			args := []string{"-concurrency", fmt.Sprint(o.concurrency), "-urls", known}
			res, err := runChild(ctx, bins["limit"], args, filepath.Join(dir, "limit.stderr"), o.timeout)
			if err != nil {
				return err
			}
			rep.limit = res
			rep.limitSummary = parseSummary(res.stdout, "limit: ")
			rep.load = append(rep.load, sampleLoad("after limit"))
			return nil
		})
	}
	if want["colly"] {
		steps = append(steps, func() error {
			fmt.Fprintln(os.Stderr, "bench real: colly baseline...")
			b, err := runBaseline(ctx, options{concurrency: o.concurrency, timeout: o.timeout, dedup: o.collyDedup}, bins["colly"], filepath.Join(dir, "colly.stderr"), seeds)
			if err != nil {
				return err
			}
			rep.colly = b
			rep.load = append(rep.load, sampleLoad("after colly"))
			return nil
		})
	}
	if want["trawl"] {
		steps = append(steps, func() error {
			fmt.Fprintln(os.Stderr, "bench real: trawl...")
			db := filepath.Join(dir, "trawl.db")
			res, err := runChild(ctx, bins["trawl"], o.crawlArgs(db, seeds), filepath.Join(dir, "trawl.stderr"), o.timeout)
			if err != nil {
				return err
			}
			rep.trawl = parseTrawl(ctx, res, db)
			rep.trawlURLs, rep.trawlFetches, err = fetchedURLs(ctx, db)
			if err != nil {
				return err
			}
			rep.load = append(rep.load, sampleLoad("after trawl"))
			return nil
		})
	}
	if want["warc"] {
		steps = append(steps, func() error {
			// The same crawl as trawl's, writing every exchange to WARC files
			// too, so that the cost of --warc is a ratio of this run.
			fmt.Fprintln(os.Stderr, "bench real: trawl --warc...")
			db := filepath.Join(dir, "warc.db")
			warcDir := filepath.Join(dir, "warc")
			res, err := runChild(ctx, bins["trawl"], o.crawlArgs(db, seeds, "--warc", warcDir), filepath.Join(dir, "warc.stderr"), o.timeout)
			if err != nil {
				return err
			}
			rep.warc = parseTrawl(ctx, res, db)
			if _, rep.warcFetches, err = fetchedURLs(ctx, db); err != nil {
				return err
			}
			rep.warcBytes = dirSize(warcDir)
			rep.load = append(rep.load, sampleLoad("after warc"))
			return nil
		})
	}
	if want["defaults"] {
		steps = append(steps, func() error {
			fmt.Fprintln(os.Stderr, "bench real: trawl with default flags...")
			db := filepath.Join(dir, "defaults.db")
			args := []string{"crawl", "--db", db, "--quiet", "--progress", "never", "--max-duration", o.defaults.String()}
			args = append(args, seeds...)
			res, err := runChild(ctx, bins["trawl"], args, filepath.Join(dir, "defaults.stderr"), o.defaults+time.Minute)
			if err != nil {
				return err
			}
			rep.defaults = parseTrawl(ctx, res, db)
			return nil
		})
	}
	if reverse {
		slices.Reverse(steps)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// ensureDocs installs the documentation packages whose document root is
// missing (apt-get update, then apt-get install -y), or says how to.
func ensureDocs(ctx context.Context, install bool) error {
	var missing []string
	for _, s := range docSites {
		if _, err := os.Stat(filepath.Join(s.root, "index.html")); err != nil {
			missing = append(missing, s.pkg)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if !install {
		return fmt.Errorf("missing %s: run apt-get install -y %s", strings.Join(missing, ", "), strings.Join(missing, " "))
	}
	for _, argv := range [][]string{{"apt-get", "update"}, append([]string{"apt-get", "install", "-y"}, missing...)} {
		fmt.Fprintf(os.Stderr, "bench real: %s\n", strings.Join(argv, " "))
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w (the real-site benchmark needs %s)", strings.Join(argv, " "), err, strings.Join(missing, ", "))
		}
	}
	for _, s := range docSites {
		if _, err := os.Stat(filepath.Join(s.root, "index.html")); err != nil {
			return fmt.Errorf("%s installed but %s has no index.html", s.pkg, s.root)
		}
	}
	return nil
}

// readReachable reads the limit's URL list and canonicalises it the way
// trawl does: the set of URLs a complete crawl must fetch, with statuses.
func readReachable(path string) (map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var canon urlkey.Canon
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		u, s, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		c, err := canon.String(u)
		if err != nil {
			continue
		}
		out[c], _ = strconv.Atoi(s)
	}
	return out, sc.Err()
}

// fetchedURLs returns how often trawl fetched each URL, sitemap probes left
// out (they are not links of the sites), and the total number of fetches.
func fetchedURLs(ctx context.Context, dbPath string) (map[string]int, int, error) {
	db, err := store.OpenReadOnly(ctx, dbPath)
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	rows, err := db.Reader().QueryContext(ctx,
		`SELECT u.url, count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.via != 'sitemap' GROUP BY u.id`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := map[string]int{}
	total := 0
	for rows.Next() {
		var u string
		var n int
		if err := rows.Scan(&u, &n); err != nil {
			return nil, 0, err
		}
		out[u] = n
		total += n
	}
	return out, total, rows.Err()
}

// realReport is what `bench real` prints.
type realReport struct {
	opts         realOptions
	args         []string
	seeds        []string
	load         []loadSample
	limit        *childResult // over the known URLs
	limitSummary map[string]string
	links        *childResult // following links
	linksSummary map[string]string
	reachable    map[string]int
	colly        *baselineResult
	trawl        *trawlResult
	trawlURLs    map[string]int
	trawlFetches int
	defaults     *trawlResult
	warc         *trawlResult
	warcFetches  int
	warcBytes    int64
}

// realRow is one crawler's figures.
type realRow struct {
	name  string
	pages int64
	child *childResult
	db    int64 // bytes; -1 when the crawler stores nothing
}

func (r realRow) rate() float64 {
	if s := r.child.wall.Seconds(); s > 0 {
		return float64(r.pages) / s
	}
	return 0
}

func (r *realReport) print(w io.Writer) error {
	fmt.Fprintf(w, "\ntrawl real-site benchmark: go run ./bench real %s\n", commandLine(r.args[min(2, len(r.args)):]))
	fmt.Fprintf(w, "machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	for i, s := range docSites {
		fmt.Fprintf(w, "site %d: %s (%s) at %s\n", i+1, s.pkg, s.root, r.seeds[i])
	}
	if r.limit != nil || r.colly != nil || r.trawl != nil {
		fmt.Fprintf(w, "concurrency %d in total; trawl --per-host %d --delay 0, robots obeyed (none served)\n", r.opts.concurrency, r.opts.perHost)
	}
	fmt.Fprintln(w)
	var rows []realRow
	if r.limit != nil {
		n, _ := strconv.ParseInt(r.limitSummary["responses"], 10, 64)
		rows = append(rows, realRow{"limit", n, r.limit, -1})
	}
	if r.links != nil {
		n, _ := strconv.ParseInt(r.linksSummary["responses"], 10, 64)
		rows = append(rows, realRow{"limit+links", n, r.links, -1})
	}
	if r.colly != nil {
		rows = append(rows, realRow{"colly", r.colly.get("responses"), r.colly.child, -1})
	}
	if r.trawl != nil {
		rows = append(rows, realRow{"trawl", int64(r.trawlFetches), r.trawl.child, r.trawl.dbBytes + r.trawl.walBytes})
	}
	if r.warc != nil {
		rows = append(rows, realRow{"trawl --warc", int64(r.warcFetches), r.warc.child, r.warc.dbBytes + r.warc.walBytes})
	}
	if r.defaults != nil {
		rows = append(rows, realRow{"trawl defaults", r.defaults.pages, r.defaults.child, r.defaults.dbBytes + r.defaults.walBytes})
	}
	fmt.Fprintf(w, "%-15s %8s %8s %9s %8s %8s %8s %8s %10s %9s %5s\n", "", "pages", "wall s", "pages/s", "CPU s", "srv CPU", "idle s", "steal s", "peak RSS", "db", "exit")
	rates := map[string]float64{}
	for _, x := range rows {
		db := "-"
		if x.db >= 0 {
			db = fmt.Sprintf("%.1f MB", mb(x.db))
		}
		exit := strconv.Itoa(x.child.exitCode)
		if x.child.timedOut {
			exit += " (timeout)"
		}
		fmt.Fprintf(w, "%-15s %8d %8.2f %9.1f %8.2f %8.2f %8.2f %8.2f %7.1f MB %9s %5s\n", x.name, x.pages, x.child.wall.Seconds(), x.rate(),
			x.child.usage.cpu().Seconds(), x.child.serverCPU.Seconds(), x.child.machine.idle.Seconds(), x.child.machine.steal.Seconds(),
			mb(x.child.usage.maxRSS), db, exit)
		rates[x.name] = x.rate()
	}
	fmt.Fprintln(w)
	for _, x := range rows {
		if x.child.exitCode != 0 {
			fmt.Fprintf(w, "%s exited %d; stderr (tail):\n%s\n", x.name, x.child.exitCode, x.child.stderr)
		}
	}
	if rates["limit"] > 0 && rates["trawl"] > 0 {
		verdict := "meets"
		if rates["trawl"]/rates["limit"] < 0.85 {
			verdict = "MISSES"
		}
		fmt.Fprintf(w, "ratio trawl/limit pages/s: %.2f (%s the 0.85 target)\n", rates["trawl"]/rates["limit"], verdict)
	}
	if rates["limit+links"] > 0 && rates["trawl"] > 0 {
		fmt.Fprintf(w, "ratio trawl/limit+links pages/s: %.2f (against the limit that finds its links, as a crawler must)\n", rates["trawl"]/rates["limit+links"])
	}
	if rates["colly"] > 0 && rates["trawl"] > 0 {
		verdict := "meets"
		if rates["trawl"]/rates["colly"] < 2 {
			verdict = "MISSES"
		}
		fmt.Fprintf(w, "ratio trawl/colly pages/s: %.2f (%s the 2x target)\n", rates["trawl"]/rates["colly"], verdict)
	}
	if rates["trawl"] > 0 && rates["trawl --warc"] > 0 {
		verdict := "meets"
		if rates["trawl --warc"]/rates["trawl"] < 0.85 {
			verdict = "MISSES"
		}
		fmt.Fprintf(w, "ratio trawl --warc/trawl pages/s: %.2f (%s the at-most-15%%-slower target); WARC files %.1f MB\n",
			rates["trawl --warc"]/rates["trawl"], verdict, mb(r.warcBytes))
	}
	if rates["limit"] > 0 && rates["colly"] > 0 {
		fmt.Fprintf(w, "ratio colly/limit pages/s: %.2f", rates["colly"]/rates["limit"])
		if twice := 2 * rates["colly"] / rates["limit"]; twice > 1 {
			// Then the two targets cannot both be met: 2x colly is faster
			// than fetching and parsing every page allows.
			fmt.Fprintf(w, " (2x colly is %.2f of the limit: above it)", twice)
		}
		fmt.Fprintln(w)
	}
	if r.trawl != nil {
		rss := mb(r.trawl.child.usage.maxRSS)
		verdict := "meets"
		if rss > 150 {
			verdict = "MISSES"
		}
		fmt.Fprintf(w, "trawl peak RSS %.1f MB (%s the 150 MB target); CPU per page %s", rss, verdict, perFetch(r.trawl.child.usage.cpu(), int64(r.trawlFetches)))
		if r.limit != nil {
			n, _ := strconv.ParseInt(r.limitSummary["responses"], 10, 64)
			fmt.Fprintf(w, ", limit's %s", perFetch(r.limit.usage.cpu(), n))
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "trawl: status=%s, %s\n", r.trawl.summary["status"], statusList(r.trawl.byStatus))
	}
	if r.colly != nil {
		fmt.Fprintf(w, "colly: %d requests of %d distinct URLs (%d duplicates)\n", r.colly.get("requests"), r.colly.get("unique"), r.colly.get("duplicates"))
	}
	if r.defaults != nil {
		fmt.Fprintf(w, "trawl with default flags (--per-host 2 --delay 250ms, auto-throttle) for %s: status=%s, %d pages\n",
			r.opts.defaults, r.defaults.summary["status"], r.defaults.pages)
		// The delay is the bound of a polite crawl: the next request to a
		// host goes 250 ms after its last response arrived (spaceAfter), so
		// a host gets at most 1/(250 ms + its response time) a second.
		rates, err := hostRates(context.Background(), r.defaults.path)
		if err != nil {
			fmt.Fprintf(w, "  per-host rates: %v\n", err)
		}
		for _, h := range rates {
			bound := 1 / (0.25 + h.meanMS/1000)
			fmt.Fprintf(w, "  %-28s %5d fetches in %6.1f s: %.2f/s; 1/(delay + mean response %.1f ms) = %.2f/s: %.2f of it\n",
				h.host, h.fetches, h.span, h.rate(), h.meanMS, bound, h.rate()/bound)
		}
	}
	fmt.Fprintln(w, "\nload average (1, 5, 15 min):")
	for _, l := range r.load {
		fmt.Fprintf(w, "  %-19s %s\n", l.when, l.avg)
	}
	return r.check(w)
}

// check fails unless trawl fetched every reachable URL exactly once and
// nothing else.
func (r *realReport) check(w io.Writer) error {
	if r.trawl == nil {
		return nil
	}
	var problems []string
	if r.trawl.child.exitCode != 0 || r.trawl.summary["status"] != "finished" {
		problems = append(problems, fmt.Sprintf("trawl exited %d with status %q", r.trawl.child.exitCode, r.trawl.summary["status"]))
	}
	var dups, missing, extra []string
	for u, n := range r.trawlURLs {
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s (%d times)", u, n))
		}
		if r.reachable != nil {
			if _, ok := r.reachable[u]; !ok {
				extra = append(extra, u)
			}
		}
	}
	for u := range r.reachable {
		if _, ok := r.trawlURLs[u]; !ok {
			missing = append(missing, u)
		}
	}
	for _, l := range []struct {
		what string
		urls []string
	}{{"fetched more than once", dups}, {"reachable but not fetched", missing}, {"fetched but not reachable", extra}} {
		if len(l.urls) == 0 {
			continue
		}
		sort.Strings(l.urls)
		problems = append(problems, fmt.Sprintf("%d URLs %s, e.g. %s", len(l.urls), l.what, strings.Join(l.urls[:min(5, len(l.urls))], ", ")))
	}
	if r.reachable != nil {
		fmt.Fprintf(w, "\nreachable set (from the limit's crawl, canonicalised as trawl does): %d URLs; trawl fetched %d distinct URLs in %d fetches\n",
			len(r.reachable), len(r.trawlURLs), r.trawlFetches)
	}
	if len(problems) > 0 {
		return errors.New("trawl did not fetch exactly the reachable set once:\n  " + strings.Join(problems, "\n  "))
	}
	fmt.Fprintln(w, "check: trawl fetched every reachable URL exactly once")
	return nil
}

// dirSize is the total size of the files under dir (0 when it is missing).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// hostRate is how fast one host was fetched, first request to last.
type hostRate struct {
	host    string
	fetches int64
	span    float64 // seconds from the first fetch's start to the last's
	meanMS  float64 // mean fetches.duration_ms
}

func (h hostRate) rate() float64 {
	if h.span <= 0 {
		return 0
	}
	return float64(h.fetches-1) / h.span
}

// hostRates reads each host's fetch rate from a crawl's database.
func hostRates(ctx context.Context, dbPath string) ([]hostRate, error) {
	db, err := store.OpenReadOnly(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Reader().QueryContext(ctx, `SELECT h.host, count(*),
			(julianday(max(f.fetched_at)) - julianday(min(f.fetched_at))) * 86400, avg(f.duration_ms)
		FROM fetches f JOIN urls u ON u.id = f.url_id JOIN hosts h ON h.id = u.host_id
		GROUP BY h.host ORDER BY h.host`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []hostRate
	for rows.Next() {
		var h hostRate
		if err := rows.Scan(&h.host, &h.fetches, &h.span, &h.meanMS); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// roundRatio is one of the ratios printRounds reports: crawler a's figure
// over crawler b's, pages/s or CPU per page.
type roundRatio struct {
	a, b string
	cpu  bool // CPU per page; false: pages/s
}

func (rr roundRatio) name() string {
	what := "pages/s"
	if rr.cpu {
		what = "CPU per page"
	}
	return fmt.Sprintf("%s/%s %s", crawlerNames[rr.a], crawlerNames[rr.b], what)
}

// crawlerNames are the crawlers' names in the report.
var crawlerNames = map[string]string{"limit": "limit", "links": "limit+links", "colly": "colly", "trawl": "trawl", "warc": "trawl --warc"}

// run returns the child and the pages of one of the round's crawlers (a key
// of crawlerNames); ok is false when it did not run.
func (r *realReport) run(name string) (c *childResult, pages int64, ok bool) {
	switch {
	case name == "limit" && r.limit != nil:
		n, _ := strconv.ParseInt(r.limitSummary["responses"], 10, 64)
		return r.limit, n, true
	case name == "links" && r.links != nil:
		n, _ := strconv.ParseInt(r.linksSummary["responses"], 10, 64)
		return r.links, n, true
	case name == "colly" && r.colly != nil:
		return r.colly.child, r.colly.get("responses"), true
	case name == "trawl" && r.trawl != nil:
		return r.trawl.child, int64(r.trawlFetches), true
	case name == "warc" && r.warc != nil:
		return r.warc.child, int64(r.warcFetches), true
	}
	return nil, 0, false
}

// of is the ratio in round r; ok is false when either crawler did not run.
func (rr roundRatio) of(r *realReport) (float64, bool) {
	figure := func(name string) (float64, bool) {
		c, pages, ok := r.run(name)
		switch {
		case !ok || pages <= 0 || c.wall <= 0:
			return 0, false
		case rr.cpu:
			return c.usage.cpu().Seconds() / float64(pages), true
		default:
			return float64(pages) / c.wall.Seconds(), true
		}
	}
	a, aok := figure(rr.a)
	b, bok := figure(rr.b)
	if !aok || !bok || b == 0 {
		return 0, false
	}
	return a / b, true
}

var roundRatios = []roundRatio{
	{"trawl", "limit", false}, {"trawl", "colly", false}, {"trawl", "limit", true},
	{"trawl", "links", false}, {"colly", "limit", false},
	{"warc", "trawl", false}, {"warc", "trawl", true},
}

// printRounds prints each ratio of every round, and its median: on a
// machine whose speed moves from minute to minute (other tenants), one
// round's ratio is not a measurement.
func printRounds(w io.Writer, reps []*realReport) {
	fmt.Fprintf(w, "\n%d rounds (every other one in the opposite order):\n", len(reps))
	for _, rr := range roundRatios {
		var vs []float64
		var cells []string
		for _, rep := range reps {
			if v, ok := rr.of(rep); ok {
				vs = append(vs, v)
				cells = append(cells, fmt.Sprintf("%.2f", v))
			}
		}
		if len(vs) == 0 {
			continue
		}
		fmt.Fprintf(w, "  %-32s median %.2f  (%s)\n", rr.name(), median(vs), strings.Join(cells, ", "))
	}
}
