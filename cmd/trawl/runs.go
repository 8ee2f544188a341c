package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trawl-crawler/trawl/store"
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
SELECT r.id AS run, r.kind,
	CASE WHEN r.status = 'running' AND NOT ?1 THEN 'interrupted (process gone)' ELSE r.status END AS status,
	CASE WHEN ?2 THEN substr(r.started_at, 1, 19) || 'Z' ELSE r.started_at END AS started_at,
	CASE WHEN ?2 THEN substr(r.finished_at, 1, 19) || 'Z' ELSE r.finished_at END AS finished_at,
	r.resumes, r.pages, r.errors, r.skipped,
	r.retries, r.bytes, c.new, c.changed, c.unchanged, c.gone, c.newly_broken_links
FROM runs r JOIN run_changes c ON c.run_id = r.id ORDER BY r.id`, &held, format == formatTable)
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
		Long: `Compare the latest fetch of every URL in run RUN_A with the one in RUN_B.
Each row says how the URL differs:

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
				r := db.Reader()
				if err := runsExist(cmd.Context(), r, args[0], ra, rb); err != nil {
					return err
				}
				if all {
					return nil
				}
				err := r.QueryRowContext(cmd.Context(), diffSQL+`
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

// diffSQL defines d, the difference between the latest fetch of each URL in
// runs ?1 and ?2; the statement that follows selects from it.
const diffSQL = `
WITH a AS (SELECT f.url_id, CASE f.status WHEN 304 THEN 200 ELSE f.status END AS status, f.content_hash, f.title
		FROM fetches f WHERE f.id IN (SELECT max(id) FROM fetches WHERE run_id = ?1 GROUP BY url_id)),
	b AS (SELECT f.url_id, CASE f.status WHEN 304 THEN 200 ELSE f.status END AS status, f.content_hash, f.title
		FROM fetches f WHERE f.id IN (SELECT max(id) FROM fetches WHERE run_id = ?2 GROUP BY url_id)),
	d AS (
		SELECT u.url,
			CASE WHEN a.url_id IS NULL THEN 'added'
				WHEN b.url_id IS NULL THEN 'not-fetched'
				WHEN a.status IS NOT b.status THEN 'status'
				WHEN a.content_hash IS NOT b.content_hash THEN 'content'
				ELSE 'same' END AS diff,
			a.status AS status_a, b.status AS status_b, a.title AS title_a, b.title AS title_b
		FROM (SELECT url_id FROM a UNION SELECT url_id FROM b) x
		JOIN urls u ON u.id = x.url_id
		LEFT JOIN a ON a.url_id = x.url_id
		LEFT JOIN b ON b.url_id = x.url_id)`

// runsExist returns a usage error naming the database for the first of runs
// that it does not hold.
func runsExist(ctx context.Context, r *sql.DB, path string, runs ...int64) error {
	for _, id := range runs {
		var exists bool
		var latest sql.NullInt64
		err := r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?), (SELECT max(id) FROM runs)`, id).Scan(&exists, &latest)
		switch {
		case err != nil:
			return &exitError{code: exitFailed, err: fmt.Errorf("%s: %w", path, err)}
		case exists:
			continue
		case !latest.Valid:
			return usageErr("no such run %d in %s: it has no runs yet", id, path)
		default:
			return usageErr("no such run %d in %s (the latest is %d; see trawl runs %s)", id, path, latest.Int64, path)
		}
	}
	return nil
}
