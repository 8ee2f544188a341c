package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store"
)

// report collects everything the benchmark prints.
type report struct {
	opts     options
	args     []string
	seeds    []string
	site     siteFacts
	load     []loadSample
	trawl    []*trawlResult    // one per run
	baseline []*baselineResult // one per run
}

// siteFacts is what a complete crawl of the generated site finds.
type siteFacts struct {
	urls     int
	byStatus map[int]int
}

// expectSite walks the cluster's link graph (no network) and counts the URLs a
// complete crawl discovers, by the status they answer.
func expectSite(cl *fixtures.Cluster) siteFacts {
	f := siteFacts{byStatus: map[int]int{}}
	cl.Walk(-1, func(e fixtures.Expect) bool {
		f.urls++
		f.byStatus[e.Status]++
		return true
	})
	return f
}

// loadSample is the system load average at one moment.
type loadSample struct {
	when string
	avg  string // "0.49 1.08 2.42" (1, 5 and 15 minutes), or "n/a"
}

func sampleLoad(when string) loadSample {
	b, err := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if err != nil || len(f) < 3 {
		return loadSample{when: when, avg: "n/a"}
	}
	return loadSample{when: when, avg: strings.Join(f[:3], " ")}
}

// trawlResult is one trawl run: its summary line and what its database holds.
type trawlResult struct {
	path     string // the database
	child    *childResult
	summary  map[string]string // key=value fields of the summary line
	pages    int64             // fetch outcomes committed, from the summary line
	byStatus map[string]int64  // fetches by HTTP status ("none" for failures)
	unique   int64             // distinct URLs fetched
	dbBytes  int64
	walBytes int64
	problem  string // why a figure is missing, if one is
}

// baselineResult is one baseline run, from its summary line.
type baselineResult struct {
	child   *childResult
	summary map[string]string
	problem string
}

func (b *baselineResult) get(key string) int64 {
	n, _ := strconv.ParseInt(b.summary[key], 10, 64)
	return n
}

// parseSummary finds the line of out that starts with prefix and returns its
// key=value fields.
func parseSummary(out, prefix string) map[string]string {
	m := map[string]string{}
	for line := range strings.Lines(out) {
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		for f := range strings.FieldsSeq(rest) {
			if k, v, ok := strings.Cut(f, "="); ok {
				m[k] = v
			}
		}
	}
	return m
}

func parseTrawl(ctx context.Context, res *childResult, dbPath string) *trawlResult {
	t := &trawlResult{path: dbPath, child: res, summary: parseSummary(res.stdout, "trawl: ")}
	var problems []string
	if v, ok := t.summary["pages"]; ok {
		t.pages, _ = strconv.ParseInt(v, 10, 64)
	} else {
		problems = append(problems, "no summary line on stdout")
	}
	// Sizes first: opening the database afterwards may create or replay files.
	if st, err := os.Stat(dbPath); err == nil {
		t.dbBytes = st.Size()
	}
	if st, err := os.Stat(dbPath + "-wal"); err == nil {
		t.walBytes = st.Size()
	}
	if err := t.query(ctx, dbPath); err != nil {
		problems = append(problems, err.Error())
	}
	t.problem = strings.Join(problems, "; ")
	return t
}

// query reads the fetch outcomes from the database trawl wrote.
func (t *trawlResult) query(ctx context.Context, dbPath string) error {
	db, err := store.OpenReadOnly(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Reader().QueryContext(ctx,
		`SELECT coalesce(CAST(status AS TEXT), 'none'), count(*) FROM fetches GROUP BY 1`)
	if err != nil {
		return err
	}
	defer rows.Close()
	t.byStatus = map[string]int64{}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return err
		}
		t.byStatus[s] = n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return db.Reader().QueryRowContext(ctx, `SELECT count(DISTINCT url_id) FROM fetches`).Scan(&t.unique)
}

func parseBaseline(res *childResult) *baselineResult {
	b := &baselineResult{child: res, summary: parseSummary(res.stdout, "baseline: ")}
	if _, ok := b.summary["responses"]; !ok {
		b.problem = "no summary line on stdout"
	}
	return b
}

// row is one run's line in the results table.
type row struct {
	name      string
	pages     int64
	ok        int64
	errors    int64
	child     *childResult
	perSecond float64
}

func newRow(name string, pages, ok, errs int64, c *childResult) row {
	r := row{name: name, pages: pages, ok: ok, errors: errs, child: c}
	if s := c.wall.Seconds(); s > 0 {
		r.perSecond = float64(pages) / s
	}
	return r
}

func (t *trawlResult) row(name string) row {
	ok := t.byStatus["200"]
	return newRow(name, t.pages, ok, t.pages-ok, t.child)
}

func (b *baselineResult) row(name string) row {
	return newRow(name, b.get("responses"), b.get("ok"), b.get("http_errors")+b.get("failed"), b.child)
}

// uniquePerSecond is the baseline's rate counting each URL once.
func (b *baselineResult) uniquePerSecond() float64 {
	if s := b.child.wall.Seconds(); s > 0 {
		return float64(b.get("unique")) / s
	}
	return 0
}

func mb(bytes int64) float64 { return float64(bytes) / (1 << 20) }

// runName labels run i of n: "trawl", or "trawl #2" when there are several.
func runName(name string, i, n int) string {
	if n == 1 {
		return name
	}
	return fmt.Sprintf("%s #%d", name, i+1)
}

func (r *report) print(w io.Writer) {
	o := r.opts
	fmt.Fprintf(w, "\ntrawl benchmark: %s\n", benchCommand(r.args))
	fmt.Fprintf(w, "machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	shape := "long-tailed: 2 KB-10 MB, 5-1,000 links"
	if o.uniform {
		shape = "uniform: 10-30 KB, 20-60 links"
	}
	fmt.Fprintf(w, "site: %d hosts x %d pages (%s), seed 1; of the random links 1%% are broken, 1%% redirect, 5%% cross hosts\n",
		o.hosts, o.pages/o.hosts, shape)
	fmt.Fprintf(w, "      a complete crawl finds %d URLs: %s\n", r.site.urls, statusList(r.site.byStatus))
	fmt.Fprintf(w, "concurrency %d in total; trawl --per-host %d\n\n", o.concurrency, o.perHost)
	if len(r.trawl) > 0 {
		fmt.Fprintf(w, "trawl command:    %s\n", commandLine(r.trawl[0].child.argv))
	}
	if len(r.baseline) > 0 {
		fmt.Fprintf(w, "baseline command: %s\n", commandLine(r.baseline[0].child.argv))
	}

	fmt.Fprintf(w, "\n%-12s %9s %9s %7s %8s %9s %8s %8s %10s %5s\n",
		"", "pages", "ok(2xx)", "other", "wall s", "pages/s", "CPU s", "srv CPU", "peak RSS", "exit")
	var trawlRate, baseRate, baseUnique []float64
	for i, t := range r.trawl {
		x := t.row(runName("trawl", i, len(r.trawl)))
		printRow(w, x)
		trawlRate = append(trawlRate, x.perSecond)
	}
	for i, b := range r.baseline {
		x := b.row(runName("baseline", i, len(r.baseline)))
		printRow(w, x)
		baseRate = append(baseRate, x.perSecond)
		baseUnique = append(baseUnique, b.uniquePerSecond())
	}
	fmt.Fprintln(w)

	for i, t := range r.trawl {
		name := runName("trawl", i, len(r.trawl))
		fmt.Fprintf(w, "%s: status=%s, %d fetches of %d distinct URLs (%s); own duration %s, rate %s\n",
			name, t.summary["status"], sum(t.byStatus), t.unique, statusList(t.byStatus), t.summary["duration"], t.summary["rate"])
		fmt.Fprintf(w, "%s db: %.1f MB (file %.1f MB + wal %.1f MB), %.0f bytes per fetch; CPU per fetch %s\n",
			name, mb(t.dbBytes+t.walBytes), mb(t.dbBytes), mb(t.walBytes), perPage(t.dbBytes+t.walBytes, t.pages),
			perFetch(t.child.usage.cpu(), t.pages))
		r.problems(w, name, t.child, t.problem)
	}
	for i, b := range r.baseline {
		name := runName("baseline", i, len(r.baseline))
		fmt.Fprintf(w, "%s: %d requests of %d distinct URLs (%d duplicates from colly's racy visited set); "+
			"%d ok, %d http errors, %d failed (incl. redirects to visited URLs); CPU per response %s\n",
			name, b.get("requests"), b.get("unique"), b.get("duplicates"), b.get("ok"), b.get("http_errors"), b.get("failed"),
			perFetch(b.child.usage.cpu(), b.get("responses")))
		r.problems(w, name, b.child, b.problem)
	}

	if len(trawlRate) > 0 && len(baseRate) > 0 && median(baseRate) > 0 {
		of := ""
		if len(trawlRate) > 1 {
			of = fmt.Sprintf(" (medians of %d runs)", len(trawlRate))
		}
		ratio := median(trawlRate) / median(baseRate)
		verdict := "meets"
		if ratio < 0.8 {
			verdict = "MISSES"
		}
		fmt.Fprintf(w, "\nratio trawl/baseline pages/s%s: %.2f (%s the 0.8 target)\n", of, ratio, verdict)
		if u := median(baseUnique); u > 0 {
			fmt.Fprintf(w, "  counting only the baseline's distinct URLs: %.2f\n", median(trawlRate)/u)
		}
		if len(trawlRate) > 1 && len(trawlRate) == len(baseRate) {
			fmt.Fprint(w, "  run by run:")
			for i := range trawlRate {
				fmt.Fprintf(w, " %.2f", trawlRate[i]/baseRate[i])
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w, "\nload average (1, 5, 15 min):")
	for _, l := range r.load {
		fmt.Fprintf(w, "  %-19s %s\n", l.when, l.avg)
	}
}

func printRow(w io.Writer, x row) {
	exit := strconv.Itoa(x.child.exitCode)
	if x.child.timedOut {
		exit += " (timeout)"
	}
	fmt.Fprintf(w, "%-12s %9d %9d %7d %8.2f %9.1f %8.2f %8.2f %7.1f MB %5s\n",
		x.name, x.pages, x.ok, x.errors, x.child.wall.Seconds(), x.perSecond,
		x.child.usage.cpu().Seconds(), x.child.serverCPU.Seconds(), mb(x.child.usage.maxRSS), exit)
}

// median returns the median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func perFetch(cpu time.Duration, n int64) time.Duration {
	if n <= 0 {
		return 0
	}
	return (cpu / time.Duration(n)).Round(time.Microsecond / 10)
}

func (r *report) problems(w io.Writer, name string, c *childResult, problem string) {
	if c.exitCode == 0 && problem == "" {
		return
	}
	fmt.Fprintf(w, "%s: exit code %d", name, c.exitCode)
	if c.timedOut {
		fmt.Fprintf(w, ", stopped after -timeout %s", r.opts.timeout)
	}
	if problem != "" {
		fmt.Fprintf(w, "; %s", problem)
	}
	fmt.Fprintln(w)
	if c.stderr != "" {
		fmt.Fprintf(w, "%s stderr (tail):\n%s\n", name, c.stderr)
	}
}

func perPage(bytes, pages int64) float64 {
	if pages == 0 {
		return 0
	}
	return float64(bytes) / float64(pages)
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// statusList formats counts by status as "200: 19000, 404: 200".
func statusList[K comparable, V int | int64](m map[K]V) string {
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%v: %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// benchCommand is the benchmark's own command line, shown as `go run ./bench ...`
// when it was started that way.
func benchCommand(args []string) string {
	if len(args) > 0 && strings.Contains(args[0], "go-build") {
		return "go run ./bench " + commandLine(args[1:])
	}
	return commandLine(args)
}
