package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/record"
)

// printSQL runs a canned read-only query and prints it in format. check, when
// not nil, vets the database (and the query's arguments) first. On a terminal
// (or with COLUMNS set) a table wider than it loses the columns of dropFirst,
// in that order, until it fits, and stderr says which.
func (a *app) printSQL(ctx context.Context, path, format string, dropFirst []string, check func(*store.DB) error, q string, args ...any) error {
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
	rows, err := db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("%s: %w", path, err)}
	}
	defer rows.Close()
	width := terminalWidth(a.stdout)
	w, err := newRowWriter(format, a.stdout, tableOptions{null: "", maxWidth: defaultCellWidth, width: width, dropFirst: dropFirst})
	if err != nil {
		return usageErr("%w", err)
	}
	if _, readErr, writeErr := copyRows(rows, w, nil); readErr != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("%s: %w", path, readErr)}
	} else if writeErr != nil && !errors.Is(writeErr, errTableFull) {
		return &exitError{code: exitFailed, err: writeErr}
	}
	if tw, ok := w.(*tableWriter); ok && len(tw.hidden) > 0 {
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
	cmd := &cobra.Command{
		Use:   "runs DB",
		Short: "List the crawl runs of a database with their counters and changes",
		Long: `List every run of the database: kind (crawl or refresh), status, when it
started and ended, how often it was resumed, pages, errors, bytes, and, per
run, how many pages were new, changed, unchanged or gone and how many links
newly point at a gone page.

` + exitCodesHelp(exitOK, exitFailed, exitUsage),
		Example: `  trawl runs site.db
  trawl runs site.db --format json`,
		Args: argCount(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// A run whose process died (kill -9, a second Ctrl-C, a reboot)
			// still says "running" until it is resumed; show it as it is.
			var held bool
			check := func(db *store.DB) error {
				var err error
				held, err = db.LockHeld(cmd.Context())
				return err
			}
			// &held is read when the query runs, after check has set it.
			// The table shows times to the second: nanoseconds made the two
			// time columns 60 characters of a 186-column table.
			return a.printSQL(cmd.Context(), args[0], format, runsDropFirst, check, `
SELECT run_id AS run, kind,
	CASE WHEN status = 'running' AND NOT ?1 THEN 'interrupted (process gone)' ELSE status END AS status,
	CASE WHEN ?2 THEN substr(started_at, 1, 19) || 'Z' ELSE started_at END AS started_at,
	CASE WHEN ?2 THEN substr(finished_at, 1, 19) || 'Z' ELSE finished_at END AS finished_at,
	resumes, pages, errors, skipped, retries, bytes, new, changed, unchanged, gone, newly_broken_links
FROM run_summary ORDER BY run_id`, &held, format == formatTable)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", formatTable, "output format: table, csv, tsv, json or jsonl")
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
				return usageErr("runs must be numbers (see trawl runs %s)", args[0])
			}
			filter := "WHERE diff NOT IN ('same', 'not-fetched')"
			if all {
				filter = ""
			}
			var hidden struct{ notFetched, same int64 }
			check := func(db *store.DB) error {
				if err := runsExist(cmd.Context(), db, args[0], ra, rb); err != nil {
					return err
				}
				if all {
					return nil
				}
				err := db.Reader().QueryRowContext(cmd.Context(), diffSQL+`
SELECT count(*) FILTER (WHERE diff = 'not-fetched'), count(*) FILTER (WHERE diff = 'same') FROM d`, ra, rb).
					Scan(&hidden.notFetched, &hidden.same)
				if err != nil {
					return &exitError{code: exitFailed, err: fmt.Errorf("%s: %w", args[0], err)}
				}
				return nil
			}
			err := a.printSQL(cmd.Context(), args[0], format, nil, check, diffSQL+`
SELECT * FROM d `+filter+` ORDER BY diff, url`, ra, rb)
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

// diffSQL defines d, the difference between the pages of runs ?1 and ?2
// (their rows of the run_pages view, whose status counts a 304 that
// confirmed the stored copy as its 200); the statement that follows selects
// from it.
const diffSQL = `
WITH a AS (SELECT url_id, url, status, content_hash, title FROM run_pages WHERE run_id = ?1),
	b AS (SELECT url_id, url, status, content_hash, title FROM run_pages WHERE run_id = ?2),
	d AS (
		SELECT coalesce(a.url, b.url) AS url,
			CASE WHEN a.url_id IS NULL THEN 'added'
				WHEN b.url_id IS NULL THEN 'not-fetched'
				WHEN a.status IS NOT b.status THEN 'status'
				WHEN a.content_hash IS NOT b.content_hash THEN 'content'
				ELSE 'same' END AS diff,
			a.status AS status_a, b.status AS status_b, a.title AS title_a, b.title AS title_b
		FROM (SELECT url_id FROM a UNION SELECT url_id FROM b) x
		LEFT JOIN a ON a.url_id = x.url_id
		LEFT JOIN b ON b.url_id = x.url_id)`

// runsExist returns a usage error naming the database for the first of runs
// that it does not hold.
func runsExist(ctx context.Context, db *store.DB, path string, runs ...int64) error {
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
			return &exitError{code: exitFailed, err: fmt.Errorf("%s: %w", path, err)}
		case latest == nil:
			return usageErr("no such run %d in %s: it has no runs yet", id, path)
		default:
			return usageErr("no such run %d in %s (the latest is %d; see trawl runs %s)", id, path, latest.ID, path)
		}
	}
	return nil
}
