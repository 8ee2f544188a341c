package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"modernc.org/sqlite"

	"github.com/trawl-crawler/trawl/store/postgres"
)

func (a *app) queryCmd() *cobra.Command {
	var format string
	var maxWidth int
	cmd := &cobra.Command{
		Use:   "query DB [SQL]",
		Short: "Run a read-only SQL query on a trawl database (SQLite or PostgreSQL) and print the result",
		Long: `Run one SQL statement on the trawl database DB and print the result, or,
without SQL, list the tables and views with what each holds and how many
rows each table has.

The database is opened read-only: SELECT, WITH, VALUES, EXPLAIN and PRAGMA
statements that only read run; anything that would write (INSERT, UPDATE,
DELETE, CREATE, DROP, ALTER, ATTACH, VACUUM, REINDEX, ANALYZE, a PRAGMA that
sets a value, BEGIN...) is refused with exit code 2 and the file is left
untouched. Queries work while a crawl is writing to the same database: they
read the last committed state and never wait for the crawl, nor it for them.

Formats (--format):
  table  aligned columns for reading (the default). NULL is shown as NULL,
         newlines and tabs as \n and \t, BLOBs as x'hex'; cells wider than
         --max-width are cut with "…". At most 10000 rows are shown: use
         another format (or LIMIT) for more.
  csv    RFC 4180 CSV with a header row; NULL is an empty field.
  tsv    tab-separated with a header row; tab, newline, CR and backslash in
         values are written \t, \n, \r and \\; NULL is an empty field.
  json   one array of objects keyed by column name.
  jsonl  one object per line.
The csv, tsv, json and jsonl formats stream every row and are complete. In
JSON, integers and reals are numbers, NULL is null, text is a string and a
BLOB is a base64 string; a column name that repeats gets a suffix (id, id_2).
In csv and tsv, BLOBs are base64 too.

DB may be a PostgreSQL URL (postgres://user@host/dbname): the query then runs
in a READ ONLY transaction on a session whose default is read-only, so the
server refuses any write; SELECT, WITH, VALUES, TABLE, EXPLAIN and SHOW run.
The tables, columns and views are the same, but the SQL is PostgreSQL's:
data->>'price' where SQLite has json_extract(data, '$.price'),
json_array_elements for json_each, string_agg for group_concat (the
PostgreSQL section of docs/schema.md has example queries).

SQL that starts with a comment ("-- ...") must follow "--", as in
trawl query site.db -- "-- my query
SELECT ...". An SQL error, or a statement that would write, is bad input.

` + exitCodesHelp(exitOK, exitFailed, exitUsage),
		Example: `  trawl query site.db                       # tables and views, with row counts
  trawl query site.db "SELECT status, count(*) FROM pages GROUP BY status"
  trawl query site.db "SELECT * FROM broken_links" --format csv > broken.csv
  trawl query site.db "SELECT url, title FROM pages WHERE status = 200" --format jsonl
  trawl query site.db "SELECT rule, json_extract(data, '$.price') AS price FROM items"
  trawl query site.db "PRAGMA table_info(fetches)"
  trawl query postgres://trawl@db.example/crawl "SELECT rule, data->>'price' AS price FROM items"`,
		Args: argCount(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case formatTable, formatCSV, formatTSV, formatJSON, formatJSONL:
			default:
				return usageErr("--format %q: want table, csv, tsv, json or jsonl", format)
			}
			if maxWidth < 0 {
				return usageErr("--max-width %d: want 0 (no limit) or more", maxWidth)
			}
			topt := tableOptions{null: "NULL", maxWidth: maxWidth, maxRows: tableMaxRows}
			if len(args) == 1 {
				return a.listTables(cmd.Context(), args[0], format, topt)
			}
			return a.query(cmd.Context(), args[0], args[1], format, topt)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&format, "format", "f", formatTable, "output format: table, csv, tsv, json or jsonl")
	f.IntVar(&maxWidth, "max-width", defaultCellWidth, "table format: cut cells wider than this many characters (0: no limit)")
	return cmd
}

// readGuard is a SQLite authorizer that lets a connection compile only
// statements that read. SQLite asks it about every table, column, function
// and operation while preparing a statement, so a write is refused before it
// runs, whatever SQL it is hidden in (WITH ... DELETE, a PRAGMA with a value,
// ATTACH, VACUUM INTO). It is the layer that matters: query_only on the
// connection does not stop ATTACH, VACUUM INTO, PRAGMA journal_mode or
// PRAGMA query_only = 0.
type readGuard struct {
	mu      sync.Mutex
	refused string // the first operation refused since the last take
}

// authorize implements sqlite.AuthorizerFn.
func (g *readGuard) authorize(action sqlite.AuthorizerActionCode, arg1, arg2, _, _ string) sqlite.AuthorizerReturnCode {
	what := writeOperation(action, arg1, arg2)
	if what == "" {
		return sqlite.AuthorizerOK
	}
	g.mu.Lock()
	if g.refused == "" {
		g.refused = what
	}
	g.mu.Unlock()
	return sqlite.AuthorizerDeny
}

// take returns and clears the operation refused by the last statement.
func (g *readGuard) take() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.refused
	g.refused = ""
	return s
}

// writeOperation names the operation when an authorizer action is not a read,
// and returns "" for reads.
func writeOperation(action sqlite.AuthorizerActionCode, arg1, arg2 string) string {
	switch action {
	case sqlite.AuthSelect, sqlite.AuthRead, sqlite.AuthRecursive:
		return ""
	case sqlite.AuthFunction:
		if strings.EqualFold(arg2, "load_extension") {
			return "load_extension()"
		}
		return ""
	case sqlite.AuthPragma:
		if readOnlyPragma(arg1, arg2) {
			return ""
		}
		if arg2 == "" {
			return "PRAGMA " + arg1
		}
		return "PRAGMA " + arg1 + " = " + arg2
	case sqlite.AuthInsert:
		return "INSERT into " + arg1
	case sqlite.AuthUpdate:
		return "UPDATE of " + arg1
	case sqlite.AuthDelete:
		return "DELETE from " + arg1
	case sqlite.AuthCreateTable, sqlite.AuthCreateTempTable:
		return "CREATE TABLE " + arg1
	case sqlite.AuthCreateIndex, sqlite.AuthCreateTempIndex:
		return "CREATE INDEX " + arg1
	case sqlite.AuthCreateView, sqlite.AuthCreateTempView:
		return "CREATE VIEW " + arg1
	case sqlite.AuthCreateTrigger, sqlite.AuthCreateTempTrigger:
		return "CREATE TRIGGER " + arg1
	case sqlite.AuthCreateVTable:
		return "CREATE VIRTUAL TABLE " + arg1
	case sqlite.AuthDropTable, sqlite.AuthDropTempTable:
		return "DROP TABLE " + arg1
	case sqlite.AuthDropIndex, sqlite.AuthDropTempIndex:
		return "DROP INDEX " + arg1
	case sqlite.AuthDropView, sqlite.AuthDropTempView:
		return "DROP VIEW " + arg1
	case sqlite.AuthDropTrigger, sqlite.AuthDropTempTrigger:
		return "DROP TRIGGER " + arg1
	case sqlite.AuthDropVTable:
		return "DROP VIRTUAL TABLE " + arg1
	case sqlite.AuthAlterTable:
		return "ALTER TABLE " + arg2
	case sqlite.AuthAttach:
		return "ATTACH"
	case sqlite.AuthDetach:
		return "DETACH"
	case sqlite.AuthReindex:
		return "REINDEX"
	case sqlite.AuthAnalyze:
		return "ANALYZE"
	case sqlite.AuthTransaction:
		return arg1 // BEGIN, COMMIT, ROLLBACK: each query is its own read transaction
	case sqlite.AuthSavepoint:
		return "SAVEPOINT"
	}
	return fmt.Sprintf("operation %d", action)
}

// readOnlyPragma reports whether PRAGMA name (with value, "" for none) only
// reads. A pragma given a value sets it, except for those whose argument names
// what to read; a few pragmas write even without a value.
func readOnlyPragma(name, value string) bool {
	switch strings.ToLower(name) {
	case "wal_checkpoint", "optimize", "incremental_vacuum", "shrink_memory":
		return false // these act even without a value (a checkpoint writes the file)
	case "table_info", "table_xinfo", "table_list", "index_info", "index_xinfo", "index_list",
		"foreign_key_list", "foreign_key_check", "integrity_check", "quick_check":
		return true
	}
	return value == ""
}

// readSession is where the user's statement runs: a connection or
// transaction on which nothing can be written.
type readSession struct {
	q interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
	// refused returns the write that err (from the last statement) was
	// refused for, or "".
	refused func(err error) string
	// prepare, when not nil, turns a row's values into what the output
	// formats expect (PostgreSQL's json arrives as bytes).
	prepare func(rows *sql.Rows) func([]any)
	close   func()
}

// openSession opens a read session on db. On SQLite it is a connection of
// the read pool with the guard (the authorizer) registered; on PostgreSQL a
// READ ONLY transaction, on a session whose default_transaction_read_only
// is on (postgres.OpenReadOnly), which is rolled back when closed: the
// server refuses every write.
func openSession(ctx context.Context, db readDB) (*readSession, error) {
	if _, ok := db.(*postgres.DB); ok {
		tx, err := db.Reader().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return nil, err
		}
		return &readSession{q: tx, close: func() { tx.Rollback() }, prepare: jsonAsText,
			refused: func(err error) string {
				if postgres.IsReadOnlyViolation(err) {
					return "a write (the server refused it: the transaction is read-only)"
				}
				return ""
			}}, nil
	}
	conn, err := db.Reader().Conn(ctx)
	if err != nil {
		return nil, err
	}
	g := &readGuard{}
	err = conn.Raw(func(dc any) error {
		r, ok := dc.(sqlite.AuthorizerRegisterer)
		if !ok {
			return fmt.Errorf("the SQLite driver (%T) cannot restrict statements to reads", dc)
		}
		return r.RegisterAuthorizer(g.authorize)
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &readSession{q: conn, close: func() { conn.Close() }, refused: func(error) string { return g.take() }}, nil
}

// jsonAsText returns, for rows of PostgreSQL, a prepare function that
// turns the bytes of json columns into text, which they are; other bytes
// (bytea) stay a BLOB.
func jsonAsText(rows *sql.Rows) func([]any) {
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil
	}
	var cols []int
	for i, t := range types {
		if n := t.DatabaseTypeName(); n == "JSON" || n == "JSONB" {
			cols = append(cols, i)
		}
	}
	if len(cols) == 0 {
		return nil
	}
	return func(vals []any) {
		for _, i := range cols {
			if b, ok := vals[i].([]byte); ok {
				vals[i] = string(b)
			}
		}
	}
}

// refusal is the one-line error for a statement that is not a read.
func refusal(what, path string) error {
	if isPostgres(path) {
		return usageErr("query refused: %s: %s is opened read-only; trawl query runs only SELECT, WITH, VALUES, TABLE, EXPLAIN and SHOW statements", what, dbName(path))
	}
	return usageErr("query refused: %s: %s is opened read-only; trawl query runs only SELECT, WITH, VALUES, EXPLAIN and read-only PRAGMA statements", what, path)
}

// checkStatement refuses, before the database sees it, SQL that is not
// exactly one statement of a reading kind. It is the first of three
// layers: on SQLite the guard (the authorizer) refuses whatever writes
// inside an allowed statement, and the connection is opened with
// query_only; on PostgreSQL the transaction and the session are read-only.
func checkStatement(query, path string) error {
	keyword, n := inspectSQL(query)
	switch {
	case n == 0:
		return usageErr("query: no SQL statement given")
	case !isReadStatement(keyword, isPostgres(path)):
		if keyword == "" {
			keyword = "this statement"
		}
		return refusal(keyword, path)
	case n > 1:
		return usageErr("query: give one SQL statement at a time (found %d)", n)
	}
	return nil
}

// isReadStatement reports whether a statement starting with keyword may run
// (on PostgreSQL when pg);
// what it does inside (a PRAGMA's value, a WITH ... DELETE) is the guard's
// business.
func isReadStatement(keyword string, pg bool) bool {
	switch keyword {
	case "SELECT", "WITH", "VALUES", "EXPLAIN":
		return true
	case "PRAGMA":
		return !pg
	case "TABLE", "SHOW":
		return pg
	}
	return false
}

// inspectSQL returns the first keyword of query, upper-cased, and how many
// statements it holds, skipping comments, string literals and quoted
// identifiers. A trailing semicolon does not start a statement.
func inspectSQL(query string) (keyword string, statements int) {
	inStmt := false
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			if j := strings.IndexByte(query[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				i = len(query)
			}
			continue
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			if j := strings.Index(query[i+2:], "*/"); j >= 0 {
				i += j + 4
			} else {
				i = len(query)
			}
			continue
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case c == ';':
			inStmt = false
			i++
			continue
		}
		if !inStmt {
			inStmt = true
			statements++
			if statements == 1 {
				j := i
				for j < len(query) && isWordByte(query[j]) {
					j++
				}
				keyword = strings.ToUpper(query[i:j])
			}
		}
		switch c {
		case '\'', '"', '`':
			i = skipQuoted(query, i, c)
		case '$':
			i = skipDollarQuoted(query, i)
		case '[':
			if j := strings.IndexByte(query[i:], ']'); j >= 0 {
				i += j + 1
			} else {
				i = len(query)
			}
		default:
			i++
		}
	}
	return keyword, statements
}

// skipQuoted returns the index after the quoted text starting at query[i],
// where a doubled quote stands for itself.
func skipQuoted(query string, i int, quote byte) int {
	for j := i + 1; j < len(query); j++ {
		if query[j] == quote {
			if j+1 < len(query) && query[j+1] == quote {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(query)
}

// skipDollarQuoted returns the index after PostgreSQL's dollar-quoted text
// ($$...$$ or $tag$...$tag$) starting at query[i], or i+1 when the $ does
// not start one (SQLite's $name parameters, PostgreSQL's $1).
func skipDollarQuoted(query string, i int) int {
	j := i + 1
	for j < len(query) && isWordByte(query[j]) && !(j == i+1 && query[j] >= '0' && query[j] <= '9') {
		j++
	}
	if j >= len(query) || query[j] != '$' {
		return i + 1
	}
	tag := query[i : j+1]
	if k := strings.Index(query[j+1:], tag); k >= 0 {
		return j + 1 + k + len(tag)
	}
	return len(query)
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// query runs one statement and prints its result.
func (a *app) query(ctx context.Context, path, query, format string, topt tableOptions) error {
	if err := checkStatement(query, path); err != nil {
		return err
	}
	db, err := openReadOnly(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	sess, err := openSession(ctx, db)
	if err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("query: %w", err)}
	}
	defer sess.close()

	sqlErr := func(err error) error {
		if what := sess.refused(err); what != "" {
			return refusal(what, path)
		}
		if isPostgres(path) && postgres.IsDialectError(err) {
			return usageErr("query: %w\n%s", err, dialectNote)
		}
		return usageErr("query: %w", err)
	}
	rows, err := sess.q.QueryContext(ctx, query)
	if err != nil {
		return sqlErr(err)
	}
	defer rows.Close()
	w, err := newRowWriter(format, a.stdout, topt)
	if err != nil {
		return usageErr("%w", err)
	}
	var prepare func([]any)
	if sess.prepare != nil {
		prepare = sess.prepare(rows)
	}
	_, readErr, writeErr := copyRows(rows, w, prepare)
	switch {
	case readErr != nil:
		return sqlErr(readErr)
	case errors.Is(writeErr, errTableFull):
		fmt.Fprintf(a.stderr, "trawl: query: showing the first %d rows; use --format csv, tsv, json or jsonl (or LIMIT) for all of them\n", topt.maxRows)
	case writeErr != nil:
		return &exitError{code: exitFailed, err: fmt.Errorf("query: write output: %w", writeErr)}
	}
	return nil
}

// dialectNote follows an SQL error on PostgreSQL, where SQL written for
// SQLite often fails.
const dialectNote = `note: this database is PostgreSQL, whose SQL differs from SQLite's: data->>'price' for json_extract(data, '$.price'), ` +
	`json_array_elements for json_each, string_agg(x, ' ') for group_concat(x, ' '), 'text' in single quotes; ` +
	`docs/schema.md (PostgreSQL) has example queries`

// tableDescriptions says in one line what each table and view of the trawl
// schema holds (see store/migrations.go and README.md).
func tableDescriptions() map[string]string {
	return map[string]string{
		"trawl_meta":        "trawl's own settings for this database (key, value)",
		"runs":              "one row per crawl run (crawl or refresh): status, configuration (JSON), counters",
		"hosts":             "one row per host (scheme://host:port): robots.txt status, Crawl-delay, delay, back-off, parked reason",
		"urls":              "one row per URL ever seen: frontier state, reason, depth, how it was found, last fetch",
		"fetches":           "one row per HTTP attempt: status, error class, timing, validators, page facts, outlinks (JSON)",
		"run_lock":          "the trawl process crawling this database now, if any (at most one row)",
		"workers":           "PostgreSQL: one row per trawl process that crawled the database, with its heartbeat",
		"items":             "records extracted by user rules: rule, page, data (JSON object) or why the page missed",
		"bodies":            "stored response bodies (compressed), one per fetch, when bodies are kept",
		"cookies":           "the crawl's cookie jar: the latest cookie each site set (Set-Cookie), loaded back by a resume or refresh",
		"pages":             "each URL with its latest fetch",
		"run_pages":         "pages per run: each URL with its latest fetch in each run (what export --what pages writes)",
		"run_summary":       "per run, as trawl runs lists it: kind, status, times, counters and changes",
		"links":             "each link on each page's latest fetch: from_url, to_url, anchor text, rel",
		"broken_links":      "links whose target answered 4xx/5xx or failed",
		"errors":            "failed attempts and skipped URLs, with their error class",
		"run_changes":       "per run: how many pages were new, changed, unchanged, gone, and newly broken links",
		"item_rows":         "items with their page URL and fetch time: rule, url, run_id, fetched_at, idx, data, miss",
		"redirects":         "pages that redirect: status, target, and the target's own status and redirect",
		"duplicate_content": "identical 200 responses: content hash, number of copies, their URLs",
		"missing_metadata":  "HTML pages (200) without a title or a meta description",
		"jsonld":            "JSON-LD objects found on pages: url, run_id, @type, data",
	}
}

// objectsSQL lists the tables and views of the database, tables first, in
// the order they were created: name and type ("table" or "view").
func objectsSQL(pg bool) string {
	if pg {
		return `SELECT c.relname::text, CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
			ORDER BY c.relkind IN ('v', 'm'), c.oid`
	}
	return `SELECT name, type FROM sqlite_schema
		WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
		ORDER BY type = 'view', rowid`
}

// scanOne scans the one row of rows into dest and closes them.
func scanOne(rows *sql.Rows, dest ...any) error {
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// listTables prints the tables and views of the database with a description
// and, for tables, the number of rows.
func (a *app) listTables(ctx context.Context, path, format string, topt tableOptions) error {
	db, err := openReadOnly(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	sess, err := openSession(ctx, db)
	if err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("query: %w", err)}
	}
	defer sess.close()

	type object struct{ name, kind string }
	var objects []object
	rows, err := sess.q.QueryContext(ctx, objectsSQL(isPostgres(path)))
	if err != nil {
		return usageErr("query: list tables: %w", err)
	}
	for rows.Next() {
		var o object
		if err := rows.Scan(&o.name, &o.kind); err != nil {
			rows.Close()
			return usageErr("query: list tables: %w", err)
		}
		objects = append(objects, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return usageErr("query: list tables: %w", err)
	}

	topt.null = ""
	topt.noCut = []bool{false, false, false, true}
	w, err := newRowWriter(format, a.stdout, topt)
	if err != nil {
		return usageErr("%w", err)
	}
	if err := w.writeHeader([]string{"name", "type", "rows", "description"}); err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("query: write output: %w", err)}
	}
	desc := tableDescriptions()
	for _, o := range objects {
		var count any // NULL for views: counting them may mean running a join
		if o.kind == "table" {
			var n int64
			q := `SELECT count(*) FROM "` + strings.ReplaceAll(o.name, `"`, `""`) + `"`
			r, err := sess.q.QueryContext(ctx, q)
			if err == nil {
				err = scanOne(r, &n)
			}
			if err != nil {
				return usageErr("query: count rows of %s: %w", o.name, err)
			}
			count = n
		}
		d, ok := desc[o.name]
		if !ok {
			d = "(no description)"
		}
		if err := w.writeRow([]any{o.name, o.kind, count, d}); err != nil {
			return &exitError{code: exitFailed, err: fmt.Errorf("query: write output: %w", err)}
		}
	}
	if err := w.close(); err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("query: write output: %w", err)}
	}
	return nil
}
