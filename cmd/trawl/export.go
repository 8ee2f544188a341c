package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trawl-crawler/trawl/store"
)

// exportOptions are the export command's flags.
type exportOptions struct {
	what   string // items, pages or links
	rule   string // items of this rule only
	run    int64  // 0: the latest run
	out    string // "" or "-": stdout
	format string // jsonl, csv or sqlite
}

// formatSQLite is export's format for a copy of the whole database.
const formatSQLite = "sqlite"

func (a *app) exportCmd() *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export DB",
		Short: "Write the pages, links or extracted items of a run as JSONL or CSV, or the whole database as a SQLite file",
		Long: `Write what one run of the trawl database DB recorded, one record per line,
as JSONL (the default) or CSV. Rows are streamed: memory stays flat however
large the export.

--what pages (the default): the latest fetch of each URL fetched in the run,
  the run's rows of the run_pages view, with the columns of the pages view
  (url_id, url, host, ..., status, title, ..., outlink_count, word_count,
  facts). URLs the run skipped without a
  fetch are not pages; see the errors view for them.
--what links: the outlinks of those same fetches: from_url, to_url, text,
  rel (to_url is empty when the target was never recorded).
--what items: what the extraction rules produced in the run (--rule NAME for
  one rule). JSONL: {"rule", "url", "run", "fetched_at", "data"}, the rule's
  fields nested under "data" so that they never collide with these keys.
  CSV: rule, url, run, then one column per field of the items (in the
  order they first appear; a field named rule, url or run is data.rule, ...):
  text as it is, numbers and true/false as JSON writes them, nested objects
  and lists as JSON, an absent or null field empty. Rows that record a
  page where a rule found nothing are not items; query the items table's
  miss column for those.

--run N picks the run (default: the latest). In JSONL, columns holding JSON
(data, facts) are embedded as JSON values, integers and reals are numbers and
NULL is null; in CSV (RFC 4180, header row) NULL is an empty field.

--format sqlite --out FILE copies the whole database, every run and every
table's rows, into a new trawl SQLite file: a crawl held in PostgreSQL (or
SQLite) handed on as one file, which trawl query, sqlite3 and a later
trawl crawl --db FILE read as any trawl database. --what, --rule and --run
do not apply to it.

--out FILE writes to FILE.tmp and renames it to FILE when the export is
complete, so FILE is never left half written (Ctrl-C or an error removes
FILE.tmp and leaves an existing FILE as it was).

` + exitCodesHelp(exitOK, exitFailed, exitUsage, exitInterrupted, exitTerminated),
		Example: `  trawl export site.db > pages.jsonl
  trawl export site.db --what links --format csv --out links.csv
  trawl export site.db --what items --rule product --out products.jsonl
  trawl export site.db --what pages --run 2 | jq -r 'select(.status >= 400) | .url'
  trawl export postgres://trawl@db.example/crawl --format sqlite --out crawl.db`,
		Args: argCount(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.format == formatSQLite {
				for _, name := range []string{"what", "rule", "run"} {
					if cmd.Flags().Changed(name) {
						return usageErr("--%s does not apply to --format sqlite, which copies the whole database", name)
					}
				}
			}
			if cmd.Flags().Changed("run") && o.run < 1 {
				return usageErr("--run %d: run ids start at 1", o.run)
			}
			return a.export(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.what, "what", "pages", "what to export: pages, links or items")
	f.StringVar(&o.rule, "rule", "", "with --what items: only the items of this rule")
	f.Int64Var(&o.run, "run", 0, "run to export (default: the latest run)")
	f.StringVarP(&o.out, "out", "o", "", "output file, replaced only when the export is complete (default: stdout)")
	f.StringVarP(&o.format, "format", "f", formatJSONL, "output format: jsonl, csv, or sqlite (the whole database as one SQLite file; needs --out)")
	return cmd
}

// exportRows returns the rows that o asks for.
func exportRows(ctx context.Context, db exportSource, o exportOptions) (*sql.Rows, error) {
	switch o.what {
	case "pages":
		return db.RunPages(ctx, o.run)
	case "links":
		return db.RunLinks(ctx, o.run)
	}
	return db.RunItems(ctx, o.run, o.rule)
}

// isJSONColumn reports whether an exported column holds JSON text, which
// JSONL embeds as a JSON value rather than a string.
func isJSONColumn(name string) bool { return name == "data" || name == "facts" }

// export writes what o asks for.
func (a *app) export(ctx context.Context, path string, o exportOptions) error {
	switch o.what {
	case "pages", "links", "items":
	default:
		return usageErr("--what %q: want pages, links or items", o.what)
	}
	switch o.format {
	case formatJSONL, formatCSV:
	case formatSQLite:
		return a.exportSQLite(ctx, path, o)
	default:
		return usageErr("--format %q: want jsonl, csv or sqlite", o.format)
	}
	if o.rule != "" && o.what != "items" {
		return usageErr("--rule applies to --what items only")
	}
	if o.run < 0 {
		return usageErr("--run %d: run ids start at 1", o.run)
	}

	db, err := openReadOnly(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()

	ctx, signals := a.watchSignals(ctx, nil, true)
	defer signals.stop()

	latest, err := db.LastRun(ctx)
	if err != nil {
		return usageErr("export: %w", err)
	}
	switch {
	case o.run == 0 && latest != nil:
		o.run = latest.ID
	case o.run == 0:
		// No run yet: export nothing (a CSV header only).
	default:
		exists, err := db.HasRun(ctx, o.run)
		if err != nil {
			return usageErr("export: %w", err)
		}
		if !exists {
			if latest == nil {
				return usageErr("--run %d: %s has no runs yet", o.run, path)
			}
			return usageErr("--run %d: no such run in %s (the latest is %d)", o.run, path, latest.ID)
		}
	}
	if o.what == "items" && o.rule != "" {
		if err := ruleExists(ctx, db, path, o.rule); err != nil {
			return err
		}
	}

	var out io.Writer = a.stdout
	var file *atomicFile
	if o.out != "" && o.out != "-" {
		if file, err = createAtomic(o.out); err != nil {
			// The output cannot be written: exit 1, as the help says.
			return &exitError{code: exitFailed, err: fmt.Errorf("export: %w", err)}
		}
		defer file.abort() // a no-op after commit
		out = file
	}
	rows, err := exportRows(ctx, db, o)
	if err != nil {
		return a.exportFailed(ctx, signals, file, usageErr("export: %w", err))
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return a.exportFailed(ctx, signals, file, usageErr("export: %w", err))
	}
	var jsonCols []int
	for i, c := range cols {
		if isJSONColumn(c) {
			jsonCols = append(jsonCols, i)
		}
	}
	w, err := newRowWriter(o.format, out, tableOptions{})
	if err != nil {
		return usageErr("%w", err)
	}
	if o.what == "items" && o.format == formatCSV {
		fields, err := db.RunItemFields(ctx, o.run, o.rule)
		if err != nil {
			return a.exportFailed(ctx, signals, file, usageErr("export: %w", err))
		}
		w = &itemColumns{w: w, fields: fields}
	}
	n, readErr, writeErr := copyRows(rows, w, func(vals []any) {
		for _, i := range jsonCols {
			switch v := vals[i].(type) {
			case string:
				vals[i] = rawJSON(v)
			case []byte:
				vals[i] = rawJSON(v)
			}
		}
	})
	switch {
	case readErr != nil:
		return a.exportFailed(ctx, signals, file, usageErr("export: %w", readErr))
	case writeErr != nil:
		return a.exportFailed(ctx, signals, file, &exitError{code: exitFailed, err: fmt.Errorf("export: write output: %w", writeErr)})
	}
	if file != nil {
		if err := file.commit(); err != nil {
			return &exitError{code: exitFailed, err: fmt.Errorf("export: %w", err)}
		}
		fmt.Fprintf(a.stderr, "trawl: exported %d %s of run %d to %s\n", n, o.what, o.run, o.out)
	}
	if n == 0 && o.rule != "" {
		a.noItemsHint(ctx, db, o)
	}
	return nil
}

// exportSQLite copies the database at path into a new SQLite file, o.out,
// written as o.out.tmp and renamed into place when complete.
func (a *app) exportSQLite(ctx context.Context, path string, o exportOptions) error {
	if o.out == "" || o.out == "-" {
		return usageErr("--format sqlite writes a database file: give --out FILE")
	}
	if st, err := os.Stat(o.out); err == nil && st.IsDir() {
		return &exitError{code: exitFailed, err: fmt.Errorf("export: %s is a directory", o.out)}
	}
	src, err := openReadOnly(ctx, path)
	if err != nil {
		return err
	}
	defer src.Close()
	ctx, signals := a.watchSignals(ctx, nil, true)
	defer signals.stop()

	tmp := o.out + ".tmp"
	removeSQLite(tmp) // a stale copy must not be loaded into
	failed := func(err error) error {
		removeSQLite(tmp)
		if ctx.Err() != nil {
			return &exitError{code: signals.exitCode(), err: fmt.Errorf("export: interrupted; %s was not written", o.out)}
		}
		return &exitError{code: exitFailed, err: fmt.Errorf("export: %w", err)}
	}
	dst, err := store.Open(ctx, tmp)
	if err != nil {
		var ue *store.UnwritableError
		if errors.As(err, &ue) {
			err = fmt.Errorf("cannot write %s: %w", o.out, ue.Err)
		}
		return failed(err)
	}
	counts, err := dst.Load(ctx, src.Reader())
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return failed(err)
	}
	// A log or index beside an old FILE would be read as FILE's.
	os.Remove(o.out + "-wal")
	os.Remove(o.out + "-shm")
	if err := os.Rename(tmp, o.out); err != nil {
		return failed(err)
	}
	var total int64
	tables := make([]string, 0, len(counts))
	for t, n := range counts {
		total += n
		tables = append(tables, t)
	}
	slices.Sort(tables)
	parts := make([]string, len(tables))
	for i, t := range tables {
		parts[i] = fmt.Sprintf("%s=%d", t, counts[t])
	}
	fmt.Fprintf(a.stderr, "trawl: exported %d rows of %s to %s (%s)\n", total, dbName(path), o.out, strings.Join(parts, " "))
	return nil
}

// removeSQLite removes a SQLite file and the files SQLite keeps beside it.
func removeSQLite(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}

// exportFailed removes the partial output file and returns err, or the
// interruption when a signal caused the failure.
func (a *app) exportFailed(ctx context.Context, signals *signalWatch, file *atomicFile, err error) error {
	if file != nil {
		file.abort()
	}
	if ctx.Err() != nil {
		code := signals.exitCode()
		msg := "export: interrupted"
		if file != nil {
			msg += "; " + file.path + " was not written"
		}
		return &exitError{code: code, err: errors.New(msg)}
	}
	return err
}

// ruleExists returns a usage error when no run of the database recorded an
// item of rule: a misspelt --rule is bad input (exit 2), not an empty export.
// A rule that exists but matched nothing in the run exports nothing (exit 0).
func ruleExists(ctx context.Context, db exportSource, path, rule string) error {
	rules, err := db.Rules(ctx)
	switch {
	case err != nil:
		return usageErr("export: %w", err)
	case slices.Contains(rules, rule):
		return nil
	case len(rules) == 0:
		return usageErr("--rule %q: %s has no items of any rule", rule, path)
	}
	return usageErr("--rule %q: no run of %s has items of that rule (its rules: %s)", rule, path, strings.Join(rules, ", "))
}

// noItemsHint tells, on stderr, which rules the run has when --rule matched
// nothing: a misspelt rule name would otherwise look like an empty result.
func (a *app) noItemsHint(ctx context.Context, db exportSource, o exportOptions) {
	rules, err := db.RunItemRules(ctx, o.run)
	if err != nil {
		return
	}
	if len(rules) == 0 {
		fmt.Fprintf(a.stderr, "trawl: export: run %d has no items\n", o.run)
		return
	}
	fmt.Fprintf(a.stderr, "trawl: export: no items of rule %q in run %d (its rules: %s)\n", o.rule, o.run, strings.Join(rules, ", "))
}

// atomicFile is an output file written as path.tmp and renamed to path by
// commit, so that path is either the complete output or untouched.
type atomicFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
	done bool
}

// createAtomic starts writing path (as path.tmp, replacing a stale one).
func createAtomic(path string) (*atomicFile, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	f, err := os.OpenFile(path+".tmp", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		// The error names path.tmp, which the user never asked for.
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	return &atomicFile{path: path, f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// Write implements io.Writer.
func (a *atomicFile) Write(p []byte) (int, error) { return a.w.Write(p) }

// commit flushes the file to disk and renames it into place.
func (a *atomicFile) commit() error {
	if a.done {
		return errors.New("output file already closed")
	}
	a.done = true
	tmp := a.f.Name()
	err := a.w.Flush()
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, a.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", a.path, err)
	}
	return nil
}

// abort removes the temporary file; it does nothing after commit.
func (a *atomicFile) abort() {
	if a.done {
		return
	}
	a.done = true
	a.f.Close()
	os.Remove(a.f.Name())
}

// itemColumns spreads the data column (the last one) of an items export over
// one column per field, for CSV, and leaves out fetched_at, which the CSV
// has no column for.
type itemColumns struct {
	w      rowWriter
	fields []string
	keep   []int // the columns before data that the CSV has
	vals   []any
	obj    map[string]json.RawMessage
}

func (c *itemColumns) writeHeader(cols []string) error {
	var fixed []string
	c.keep = c.keep[:0]
	for i, col := range cols[:len(cols)-1] {
		if col != "fetched_at" {
			c.keep = append(c.keep, i)
			fixed = append(fixed, col)
		}
	}
	header := slices.Clone(fixed)
	for _, f := range c.fields {
		if slices.Contains(fixed, f) {
			f = "data." + f // the rule's field, not the export's own column
		}
		header = append(header, f)
	}
	c.vals = make([]any, len(header))
	return c.w.writeHeader(header)
}

func (c *itemColumns) writeRow(vals []any) error {
	for j, i := range c.keep {
		c.vals[j] = vals[i]
	}
	n := len(c.keep)
	clear(c.obj)
	var data []byte
	switch v := vals[len(vals)-1].(type) {
	case rawJSON:
		data = []byte(v)
	case string:
		data = []byte(v)
	case []byte:
		data = v
	}
	if err := json.Unmarshal(data, &c.obj); err != nil {
		// Not an object: every field is empty (the export never stops on
		// one odd row).
		clear(c.obj)
	}
	for i, f := range c.fields {
		c.vals[n+i] = fieldText(c.obj[f])
	}
	return c.w.writeRow(c.vals)
}

func (c *itemColumns) close() error { return c.w.close() }

// fieldText is one field of an item as a CSV cell: a string as its text,
// null or absent as NULL (an empty cell), anything else (numbers, true and
// false, nested objects and lists) as its compact JSON.
func fieldText(raw json.RawMessage) any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}
