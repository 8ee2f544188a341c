package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trawl-crawler/trawl/store/record"
)

// printRows prints the rows of a canned read-only query in format. check,
// when not nil, vets the database (and the query's arguments) first;
// prepare, when not nil, changes each row before it is written. On a
// terminal (or with COLUMNS set) a table wider than it loses the columns
// of dropFirst, in that order, until it fits, and stderr says which.
func (a *app) printRows(ctx context.Context, path, format string, dropFirst []string, check func(readDB) error,
	query func(readDB) (*sql.Rows, error), prepare func([]any), wrap func(rowWriter) rowWriter) error {
	switch format {
	case formatTable, formatCSV, formatTSV, formatJSON, formatJSONL:
	default:
		return usageErr("--format %q: want table, csv, tsv, json or jsonl", format)
	}
	db, err := openReadOnly(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	if check != nil {
		if err := check(db); err != nil {
			return err
		}
	}
	rows, err := query(db)
	if err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("%s: %w", dbName(path), err)}
	}
	defer rows.Close()
	width := terminalWidth(a.stdout)
	w, err := newRowWriter(format, a.stdout, tableOptions{null: "", maxWidth: defaultCellWidth, width: width, dropFirst: dropFirst})
	if err != nil {
		return usageErr("%w", err)
	}
	tw, _ := w.(*tableWriter)
	if wrap != nil {
		w = wrap(w)
	}
	if _, readErr, writeErr := copyRows(rows, w, prepare); readErr != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("%s: %w", dbName(path), readErr)}
	} else if writeErr != nil && !errors.Is(writeErr, errTableFull) {
		return &exitError{code: exitFailed, err: writeErr}
	}
	if tw != nil && len(tw.hidden) > 0 {
		fmt.Fprintf(a.stderr, "trawl: %d columns left out to fit %d columns (%s); --format csv or jsonl has them all\n",
			len(tw.hidden), width, strings.Join(tw.hidden, ", "))
	}
	return nil
}

// runsDropFirst are the columns of trawl runs that a narrow terminal loses
// first: the rarer counters, then the change counts, then the end time.
var runsDropFirst = []string{"newly_broken_links", "retries", "resumes", "skipped", "unchanged", "gone",
	"changed", "new", "bytes", "finished_at"}

func (a *app) runsCmd() *cobra.Command {
	var format string
	var workers bool
	cmd := &cobra.Command{
		Use:   "runs DB",
		Short: "List the crawl runs of a database with their counters and changes",
		Long: `List every run of the database: kind (crawl or refresh), status, when it
started and ended, how often it was resumed, pages, errors, bytes, and, per
run, how many pages were new, changed, unchanged or gone and how many links
newly point at a gone page.

With --workers, on a crawl held in PostgreSQL, list instead the workers that
took part in each run (several trawl crawl processes, on one machine or
many): the machine and process, when each joined and left, the pages and
errors it recorded, how many hosts it claimed, how many of its outcomes
were dropped because another worker had taken their host over, and the
hosts it holds now. A SQLite crawl has one process per run.

` + exitCodesHelp(exitOK, exitFailed, exitUsage),
		Example: `  trawl runs site.db
  trawl runs site.db --format json
  trawl runs postgres://trawl@db.internal/crawl --workers`,
		Args: argCount(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if workers {
				if !isPostgres(args[0]) {
					return usageErr("--workers: %s is a SQLite database, crawled by one process per run; workers are the processes that share a crawl on PostgreSQL", args[0])
				}
				query := func(db readDB) (*sql.Rows, error) {
					return db.Reader().QueryContext(cmd.Context(), `SELECT run_id AS run, worker_id AS worker, hostname, pid,
	started_at, stopped_at, pages, errors, claims, dropped, hosts_held
FROM run_workers ORDER BY run_id, worker_id`)
				}
				return a.printRows(cmd.Context(), args[0], format, nil, nil, query, nil, nil)
			}
			// A run whose process died (kill -9, a second Ctrl-C, a reboot)
			// still says "running" until it is resumed; show it as it is.
			var held bool
			check := func(db readDB) error {
				var err error
				held, err = db.LockHeld(cmd.Context())
				return err
			}
			query := func(db readDB) (*sql.Rows, error) {
				return db.Reader().QueryContext(cmd.Context(), `SELECT run_id AS run, kind, status, started_at, finished_at,
	resumes, pages, errors, skipped, retries, bytes, new, changed, unchanged, gone, newly_broken_links
FROM run_summary ORDER BY run_id`)
			}
			prepare := func(vals []any) {
				if vals[2] == "running" && !held {
					vals[2] = "interrupted (process gone)"
				}
				if format == formatTable {
					// Times to the second: nanoseconds made the two time
					// columns 60 characters of a 186-column table.
					for _, i := range []int{3, 4} {
						if t, ok := vals[i].(string); ok {
							vals[i] = t[:min(len(t), 19)] + "Z"
						}
					}
				}
			}
			return a.printRows(cmd.Context(), args[0], format, runsDropFirst, check, query, prepare, nil)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", formatTable, "output format: table, csv, tsv, json or jsonl")
	cmd.Flags().BoolVar(&workers, "workers", false, "list the workers of each run (a crawl held in PostgreSQL)")
	return cmd
}

func (a *app) diffCmd() *cobra.Command {
	var format string
	var all bool
	cmd := &cobra.Command{
		Use:   "diff DB RUN_A RUN_B",
		Short: "Show what changed between two runs",
		Long: `Compare the pages of run RUN_A with those of RUN_B: the latest fetch of each
URL in the run, as the run_pages view has them (sitemap files are read, but
are not pages). Each row says how the URL differs:

  added        fetched in RUN_B, not in RUN_A
  status       the HTTP status changed (for example 200 -> 404; a 304 Not
               Modified counts as the 200 it confirms)
  content      same status, different content hash
  not-fetched  fetched in RUN_A, not in RUN_B: usually not due for a revisit
               in a refresh run, so there are many (shown with --all)
  same         identical (shown with --all)

A line on stderr counts the rows --all would add.

` + exitCodesHelp(exitOK, exitFailed, exitUsage),
		Example: `  trawl diff site.db 1 2
  trawl diff site.db 3 4 --format csv > changes.csv`,
		Args: argCount(3, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			ra, err1 := strconv.ParseInt(args[1], 10, 64)
			rb, err2 := strconv.ParseInt(args[2], 10, 64)
			if err1 != nil || err2 != nil {
				return usageErr("runs must be numbers (see trawl runs %s)", dbName(args[0]))
			}
			check := func(db readDB) error { return runsExist(cmd.Context(), db, args[0], ra, rb) }
			query := func(db readDB) (*sql.Rows, error) { return db.RunDiff(cmd.Context(), ra, rb) }
			var hidden diffHidden
			wrap := func(w rowWriter) rowWriter {
				if all {
					return w
				}
				hidden.w = w
				return &hidden
			}
			err := a.printRows(cmd.Context(), args[0], format, nil, check, query, nil, wrap)
			if err == nil && hidden.notFetched+hidden.same > 0 {
				fmt.Fprintf(a.stderr, "trawl: diff: not shown: %d not-fetched and %d same URLs (--all shows them)\n", hidden.notFetched, hidden.same)
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", formatTable, "output format: table, csv, tsv, json or jsonl")
	cmd.Flags().BoolVar(&all, "all", false, "also list URLs not fetched in RUN_B and URLs that did not change")
	return cmd
}

// diffHidden writes the rows of a diff but those whose diff (the second
// column) is not-fetched or same, which it counts.
type diffHidden struct {
	w                rowWriter
	notFetched, same int64
}

func (d *diffHidden) writeHeader(cols []string) error { return d.w.writeHeader(cols) }

func (d *diffHidden) writeRow(vals []any) error {
	switch vals[1] {
	case "not-fetched":
		d.notFetched++
		return nil
	case "same":
		d.same++
		return nil
	}
	return d.w.writeRow(vals)
}

func (d *diffHidden) close() error { return d.w.close() }

// runsExist returns a usage error naming the database for the first of runs
// that it does not hold.
func runsExist(ctx context.Context, db runFinder, path string, runs ...int64) error {
	for _, id := range runs {
		exists, err := db.HasRun(ctx, id)
		if err == nil && exists {
			continue
		}
		var latest *record.Run
		if err == nil {
			latest, err = db.LastRun(ctx)
		}
		switch {
		case err != nil:
			return &exitError{code: exitFailed, err: fmt.Errorf("%s: %w", dbName(path), err)}
		case latest == nil:
			return usageErr("no such run %d in %s: it has no runs yet", id, dbName(path))
		default:
			return usageErr("no such run %d in %s (the latest is %d; see trawl runs %s)", id, dbName(path), latest.ID, dbName(path))
		}
	}
	return nil
}
