package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store/postgres/pgtest"
)

// pg is the throwaway PostgreSQL server of the tests that crawl into, and
// read from, a PostgreSQL database; TestMain runs every test through it.
var pg pgtest.Server

// trawlIn runs the binary in dir with env added to the environment.
func trawlIn(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, trawlBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run trawl %v: %v", args, err)
	}
	return r
}

// password is the password in a postgres:// URL.
func password(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := u.User.Password()
	if !ok || len(p) < 8 {
		t.Fatalf("%s has no password to look for", dsn)
	}
	return p
}

// noSecret fails t when r's output shows secret.
func noSecret(t *testing.T, r result, secret string) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Fatalf("the password is in the output:\n%s%s", r.stdout, r.stderr)
	}
}

// pgTables returns the tables and views of the database at dsn, sorted.
func pgTables(t *testing.T, dsn string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// sortedLines returns s's lines after the first (a header), sorted, with
// the header first: for outputs whose row order follows fetch order, which
// two crawls need not share.
func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) > 1 {
		slices.Sort(lines[1:])
	}
	return strings.Join(lines, "\n")
}

// TestPostgresCrawlReadsAsSQLite crawls one fixture site twice (a crawl and
// a refresh) into PostgreSQL and into SQLite, and checks that the read
// commands give the same answers on both: query (SQL both dialects share),
// export (pages, links, items), runs, diff and extract; that query on
// PostgreSQL is read-only by the server's doing; and that export --format
// sqlite turns either into a SQLite file holding every row.
func TestPostgresCrawlReadsAsSQLite(t *testing.T) {
	dsn := pg.NewDatabase(t)
	secret := password(t, dsn)
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 2, PagesPerHost: 30, Seed: 7,
		BrokenPermille: 60, RedirectPermille: 60, CrossHostPermille: 100, MinBytes: 500, MaxBytes: 1500})
	dir := t.TempDir()
	conf := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(conf, []byte("store_body: true\nrules:\n  - name: page\n    fields:\n      title: title\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sq := filepath.Join(dir, "site.db")
	for _, db := range []string{sq, dsn} {
		args := append([]string{"crawl", "--db", db, "--config", conf, "--delay", "0", "--revisit-after", "0s", "--quiet"}, cl.Seeds()...)
		for run := 1; run <= 2; run++ { // a crawl, then the same command refreshes
			r := trawl(t, args...)
			noSecret(t, r, secret)
			if r.code != exitOK || !strings.Contains(r.stdout, "status=finished") || !strings.Contains(r.stdout, " db="+dbName(db)) {
				t.Fatalf("crawl %d of %s: exit %d\n%s%s", run, dbName(db), r.code, r.stdout, r.stderr)
			}
		}
	}
	// same runs a read command on both databases and compares the outputs
	// (normalised by norm, when given).
	same := func(t *testing.T, norm func(string) string, args ...string) string {
		t.Helper()
		var outs [2]string
		for i, db := range []string{sq, dsn} {
			full := slices.Clone(args)
			full = slices.Insert(full, 1, db)
			r := trawl(t, full...)
			noSecret(t, r, secret)
			if r.code != exitOK {
				t.Fatalf("%v on %s: exit %d: %s", args, dbName(db), r.code, r.stderr)
			}
			outs[i] = r.stdout
			if norm != nil {
				outs[i] = norm(outs[i])
			}
		}
		if outs[0] != outs[1] {
			t.Fatalf("%v: SQLite and PostgreSQL differ:\n--- SQLite\n%s\n--- PostgreSQL\n%s", args, outs[0], outs[1])
		}
		if strings.TrimSpace(outs[0]) == "" {
			t.Fatalf("%v: no rows to compare: %q", args, outs[0])
		}
		return outs[0]
	}

	t.Run("query", func(t *testing.T) {
		for _, q := range []string{
			`SELECT url, status, title, state FROM pages ORDER BY url`,
			`SELECT state, reason, count(*) AS n FROM urls GROUP BY state, reason ORDER BY state, reason`,
			`SELECT from_url, to_url, text, status FROM broken_links ORDER BY from_url, to_url, text`,
			`SELECT url, redirect_to, target_status FROM redirects ORDER BY url, run_id`,
			`SELECT rule, url, run_id, idx FROM item_rows WHERE data IS NOT NULL ORDER BY url, run_id`,
			`SELECT run_id, new, changed, unchanged, gone FROM run_changes ORDER BY run_id`,
		} {
			for _, f := range []string{"csv", "json", "table"} {
				same(t, nil, "query", q, "--format", f)
			}
		}
		// The listing names the same tables and views with the same counts,
		// but for the tables of who works on the database (and holds which
		// hosts) and of the schema.
		norm := func(s string) string {
			var keep []string
			for _, l := range strings.Split(s, "\n") {
				// trawl_meta on PostgreSQL names the schema's version;
				// SQLite keeps it in the file's header.
				if !strings.HasPrefix(l, "run_lock,") && !strings.HasPrefix(l, "workers,") && !strings.HasPrefix(l, "trawl_meta,") &&
					!strings.HasPrefix(l, "leases,") && !strings.HasPrefix(l, "run_workers,") {
					keep = append(keep, l)
				}
			}
			return sortedLines(strings.Join(keep, "\n"))
		}
		same(t, norm, "query", "--format", "csv")
	})

	t.Run("query is read-only", func(t *testing.T) {
		before := scalarPG(t, dsn, `SELECT count(*) FROM urls`)
		for _, q := range []string{
			`DELETE FROM urls`,
			`WITH d AS (DELETE FROM urls RETURNING 1) SELECT count(*) FROM d`,
			`SELECT set_config('default_transaction_read_only', 'off', false)`, // allowed, but ends with the transaction
			`SELECT nextval(pg_get_serial_sequence('runs', 'id'))`,
			`SET default_transaction_read_only = off`,
			`CREATE TABLE x (a int)`,
			`COPY urls TO STDOUT`,
			`SELECT 1; DELETE FROM urls`,
		} {
			r := trawl(t, "query", dsn, q)
			noSecret(t, r, secret)
			if strings.HasPrefix(q, "SELECT set_config") {
				if r.code != exitOK {
					t.Errorf("%s: exit %d: %s", q, r.code, r.stderr)
				}
				continue
			}
			if r.code != exitUsage || !strings.Contains(r.stderr, "refused") && !strings.Contains(r.stderr, "one SQL statement") {
				t.Errorf("%s: exit %d, stderr %q; want refused with exit 2", q, r.code, r.stderr)
			}
		}
		// A write through the session's default after set_config: still
		// refused, since each query is its own read-only transaction.
		if r := trawl(t, "query", dsn, `WITH d AS (DELETE FROM urls RETURNING 1) SELECT count(*) FROM d`); r.code != exitUsage ||
			!strings.Contains(r.stderr, "read-only") {
			t.Errorf("a write in WITH: exit %d, %s", r.code, r.stderr)
		}
		if after := scalarPG(t, dsn, `SELECT count(*) FROM urls`); after != before {
			t.Fatalf("urls went from %d to %d rows", before, after)
		}
		if slices.Contains(pgTables(t, dsn), "x") {
			t.Fatal("a table was created")
		}
		// SQLite's JSON functions fail there, with a note on the dialects.
		r := trawl(t, "query", dsn, `SELECT json_extract(data, '$.title') FROM items`)
		if r.code != exitUsage || !strings.Contains(r.stderr, "note: this database is PostgreSQL") || !strings.Contains(r.stderr, "data->>'price'") {
			t.Errorf("json_extract on PostgreSQL: exit %d, %s", r.code, r.stderr)
		}
		pgOut := trawl(t, "query", dsn, `SELECT url, data->>'title' AS title FROM item_rows WHERE run_id = 1 AND data IS NOT NULL ORDER BY url`, "--format", "csv")
		sqOut := trawl(t, "query", sq, `SELECT url, json_extract(data, '$.title') AS title FROM item_rows WHERE run_id = 1 AND data IS NOT NULL ORDER BY url`, "--format", "csv")
		if pgOut.code != 0 || pgOut.stdout != sqOut.stdout || strings.Count(pgOut.stdout, "\n") < 10 {
			t.Errorf("the items' titles in each dialect differ:\n%s%s\n---\n%s%s", pgOut.stdout, pgOut.stderr, sqOut.stdout, sqOut.stderr)
		}
		// JSON columns are JSON text in every format, not bytes.
		j := trawl(t, "query", dsn, `SELECT data FROM items WHERE data IS NOT NULL ORDER BY id LIMIT 1`, "--format", "csv")
		if !strings.Contains(j.stdout, `{""title"":`) {
			t.Errorf("a json column reads %q", j.stdout)
		}
	})

	t.Run("export", func(t *testing.T) {
		same(t, sortedLines, "export", "--what", "links", "--format", "csv")
		same(t, sortedLines, "export", "--what", "items", "--format", "csv")
		same(t, sortedLines, "export", "--what", "items", "--rule", "page", "--run", "1", "--format", "csv")
		// Pages: times and durations differ between two crawls, and so
		// does a URL's depth (the hops to the first page that linked it,
		// which depends on which of the concurrent fetches committed
		// first); the rest does not.
		pages := func(s string) string {
			var out []string
			for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("%q: %v", l, err)
				}
				for _, k := range []string{"fetched_at", "duration_ms", "fetch_id", "url_id", "depth"} {
					delete(m, k)
				}
				b, _ := json.Marshal(m)
				out = append(out, string(b))
			}
			slices.Sort(out)
			return strings.Join(out, "\n")
		}
		same(t, pages, "export", "--what", "pages", "--run", "2")
	})

	t.Run("runs and diff", func(t *testing.T) {
		runs := func(s string) string {
			recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, r := range recs {
				r[3], r[4] = "", "" // started_at, finished_at
				b.WriteString(strings.Join(r, ",") + "\n")
			}
			return b.String()
		}
		same(t, runs, "runs", "--format", "csv")
		// The one worker of each run, with the pages it recorded: the
		// run's own count.
		r := trawl(t, "runs", dsn, "--workers", "--format", "csv")
		recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if r.code != exitOK || err != nil || len(recs) != 3 {
			t.Fatalf("runs --workers: exit %d, %d rows (%v): %s%s", r.code, len(recs), err, r.stdout, r.stderr)
		}
		if h := strings.Join(recs[0], ","); h != "run,worker,hostname,pid,started_at,stopped_at,pages,errors,claims,dropped,hosts_held" {
			t.Errorf("runs --workers header %s", h)
		}
		for i, rec := range recs[1:] {
			want := scalarPG(t, dsn, fmt.Sprintf(`SELECT pages FROM runs WHERE id = %d`, i+1))
			if rec[0] != strconv.Itoa(i+1) || rec[5] == "" || rec[6] != strconv.FormatInt(want, 10) || rec[9] != "0" || rec[10] != "0" {
				t.Errorf("runs --workers row %v: want run %d, stopped, %d pages, nothing dropped or held", rec, i+1, want)
			}
		}
		r = trawl(t, "runs", sq, "--workers")
		wantOneLineError(t, r, exitUsage, "--workers: "+sq+" is a SQLite database")
		same(t, nil, "diff", "1", "2", "--all", "--format", "csv")
		r = trawl(t, "diff", dsn, "1", "9")
		noSecret(t, r, secret)
		wantOneLineError(t, r, exitUsage, "no such run 9 in postgres://trawl@")
	})

	t.Run("extract", func(t *testing.T) {
		out := same(t, func(s string) string { return s[:strings.Index(s, " db=")] }, "extract", "--config", conf)
		if !strings.Contains(out, "items=") || strings.Contains(out, "pages=0 ") {
			t.Fatalf("extract: %s", out)
		}
	})

	t.Run("export sqlite", func(t *testing.T) {
		tables := []string{"runs", "hosts", "urls", "fetches", "items", "bodies", "cookies"}
		for _, src := range []string{dsn, sq} {
			out := filepath.Join(t.TempDir(), "copy.db")
			r := trawl(t, "export", src, "--format", "sqlite", "--out", out)
			noSecret(t, r, secret)
			if r.code != exitOK || !strings.Contains(r.stderr, "exported ") {
				t.Fatalf("export %s: exit %d: %s", dbName(src), r.code, r.stderr)
			}
			if _, err := os.Stat(out + ".tmp"); !os.IsNotExist(err) {
				t.Errorf("%s.tmp left behind: %v", out, err)
			}
			copyDB := openDB(t, out)
			for _, table := range tables {
				q := `SELECT count(*) FROM ` + table
				want := trawl(t, "query", src, q, "--format", "csv")
				var got int64
				if err := copyDB.QueryRow(q).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if want.stdout != "count\n"+itoa(got)+"\n" && want.stdout != "count(*)\n"+itoa(got)+"\n" {
					t.Errorf("%s of %s: source %q, copy %d", table, dbName(src), want.stdout, got)
				}
				if table != "cookies" && got == 0 {
					t.Errorf("%s: no rows to compare", table)
				}
			}
			for _, q := range []string{`SELECT url, status, title, content_hash, outlink_count, facts FROM pages ORDER BY url`,
				`SELECT from_url, to_url, text FROM links ORDER BY from_url, to_url, text`,
				`SELECT run_id, rule, url, data FROM item_rows ORDER BY item_id`} {
				a := trawl(t, "query", src, q, "--format", "jsonl")
				b := trawl(t, "query", out, q, "--format", "jsonl")
				if a.code != 0 || b.code != 0 || a.stdout != b.stdout {
					t.Errorf("%s: the source and the copy differ:\n%s%s\n---\n%s%s", q, a.stdout[:min(len(a.stdout), 500)], a.stderr,
						b.stdout[:min(len(b.stdout), 500)], b.stderr)
				}
			}
			if sqlite3, err := exec.LookPath("sqlite3"); err == nil {
				o, err := exec.Command(sqlite3, out, "SELECT count(*) FROM pages WHERE status = 200").CombinedOutput()
				if err != nil || strings.TrimSpace(string(o)) == "0" {
					t.Errorf("sqlite3 reads the copy: %v: %s", err, o)
				}
			}
			// The copy is a trawl database of its own: a crawl refreshes it.
			r = trawl(t, append([]string{"crawl", "--db", out, "--config", conf, "--delay", "0", "--revisit-after", "0s", "--quiet"}, cl.Seeds()...)...)
			if r.code != exitOK || !strings.Contains(r.stdout, "run=3 ") && !strings.Contains(r.stdout, "run=4 ") {
				t.Errorf("a crawl of the copy: exit %d: %s%s", r.code, r.stdout, r.stderr)
			}
		}
		r := trawl(t, "export", dsn, "--format", "sqlite")
		wantOneLineError(t, r, exitUsage, "--format sqlite writes a database file: give --out FILE")
		r = trawl(t, "export", dsn, "--format", "sqlite", "--out", filepath.Join(t.TempDir(), "x.db"), "--what", "links")
		wantOneLineError(t, r, exitUsage, "--what does not apply to --format sqlite")
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// scalarPG runs a query of one integer on the database at dsn.
func scalarPG(t *testing.T, dsn, q string) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestPostgresBadInput: a PostgreSQL database that cannot be used, at
// start, is bad input: one line naming the cause, exit 2, nothing written,
// and never the password.
func TestPostgresBadInput(t *testing.T) {
	good := pg.NewDatabase(t)
	secret := password(t, good)
	u, _ := url.Parse(good)
	name := strings.TrimPrefix(u.Path, "/")
	wrong := pg.DSN(t, "trawl", "not-the-password-4711", name)
	unreachable := "postgres://trawl:" + secret + "@localhost/" + name + "?host=" + url.QueryEscape(filepath.Join(t.TempDir(), "no-server-here")) + "&sslmode=disable"

	other := pg.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE invoices (id int)`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	seed := "http://127.0.0.1:9/" // never fetched: the database is refused first
	cases := []struct {
		name, dsn, want string
		tables          []string // what the database holds before and after
	}{
		{"unreachable", unreachable, "cannot reach the PostgreSQL server", nil},
		{"wrong password", wrong, "PostgreSQL refused the login", []string{}},
		{"another application's tables", other, "holds other tables (invoices)", []string{"invoices"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, args := range [][]string{
				{"crawl", seed, "--db", c.dsn},
				{"query", c.dsn, "SELECT 1"},
				{"query", c.dsn},
				{"export", c.dsn},
				{"export", c.dsn, "--format", "sqlite", "--out", filepath.Join(t.TempDir(), "out.db")},
				{"runs", c.dsn},
				{"diff", c.dsn, "1", "2"},
				{"extract", c.dsn, "--config", "../../examples/books.yaml"},
			} {
				r := trawl(t, args...)
				noSecret(t, r, secret)
				noSecret(t, r, "not-the-password-4711")
				wantOneLineError(t, r, exitUsage, c.want)
				if r.stdout != "" {
					t.Errorf("%v: stdout %q", args, r.stdout)
				}
			}
			if c.tables != nil {
				dsn := good
				if c.dsn == other {
					dsn = other
				}
				if got := pgTables(t, dsn); !slices.Equal(got, c.tables) && !(len(got) == 0 && len(c.tables) == 0) {
					t.Fatalf("the database holds %v, want %v: something was written", got, c.tables)
				}
			}
		})
	}

	t.Run("no seeds, empty database", func(t *testing.T) {
		r := trawl(t, "crawl", "--db", good)
		wantOneLineError(t, r, exitUsage, "no seed URLs and no crawl to resume in postgres://trawl@")
		noSecret(t, r, secret)
		if got := pgTables(t, good); len(got) != 0 {
			t.Fatalf("tables were created: %v", got)
		}
		r = trawl(t, "query", good)
		wantOneLineError(t, r, exitUsage, "not a trawl database: it has no trawl tables")
	})

	t.Run("max-db-size", func(t *testing.T) {
		r := trawl(t, "crawl", seed, "--db", good, "--max-db-size", "10M")
		wantOneLineError(t, r, exitUsage, "--max-db-size caps a SQLite file")
	})
}

// TestPostgresFromEnvAndConfig: TRAWL_DB names the database when neither
// --db nor the config file does; the config file's db: wins over it, and
// --db over both.
func TestPostgresFromEnvAndConfig(t *testing.T) {
	site := fixtures.NewMutableSite()
	h := fixtures.MustHost(t, fixtures.HostConfig{}, site)
	site.Set("/", `<title>home</title><a href="/a">a</a>`, fixtures.Validators{})
	site.Set("/a", "<title>a</title>", fixtures.Validators{})
	dsn := pg.NewDatabase(t)
	secret := password(t, dsn)
	dir := t.TempDir()
	env := []string{dbEnv + "=" + dsn}

	r := trawlIn(t, dir, env, "crawl", h.URL+"/", "--delay", "0", "--quiet")
	noSecret(t, r, secret)
	if r.code != exitOK || !strings.Contains(r.stdout, "db=postgres://trawl@") {
		t.Fatalf("crawl with %s: exit %d: %s%s", dbEnv, r.code, r.stdout, r.stderr)
	}
	if n := scalarPG(t, dsn, `SELECT count(*) FROM pages`); n != 2 {
		t.Fatalf("%d pages in PostgreSQL, want 2", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "trawl.db")); !os.IsNotExist(err) {
		t.Fatalf("trawl.db was written: %v", err)
	}

	conf := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(conf, []byte("db: from-config.db\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = trawlIn(t, dir, env, "crawl", h.URL+"/", "--config", conf, "--delay", "0", "--quiet")
	if r.code != exitOK || !strings.Contains(r.stdout, "db=from-config.db") {
		t.Fatalf("crawl with db: in the config: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	r = trawlIn(t, dir, env, "crawl", h.URL+"/", "--config", conf, "--db", "flag.db", "--delay", "0", "--quiet")
	if r.code != exitOK || !strings.Contains(r.stdout, "db=flag.db") {
		t.Fatalf("crawl with --db: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if n := scalarPG(t, dsn, `SELECT count(*) FROM runs`); n != 1 {
		t.Fatalf("%d runs in PostgreSQL, want the first crawl's only", n)
	}
	// postgresql:// is the same backend.
	alt := "postgresql" + strings.TrimPrefix(dsn, "postgres")
	r = trawl(t, "runs", alt, "--format", "csv")
	if r.code != exitOK || !strings.Contains(r.stdout, "1,crawl,finished") {
		t.Fatalf("runs on %s: exit %d: %s%s", dbName(alt), r.code, r.stdout, r.stderr)
	}
}

// TestIsPostgres: only a postgres:// or postgresql:// URL names PostgreSQL;
// anything else, however odd, is a SQLite path. dbName never shows a
// password.
func TestIsPostgres(t *testing.T) {
	for db, want := range map[string]bool{
		"postgres://u@h/d": true, "postgresql://u:pw@h:5433/d?sslmode=disable": true, "POSTGRES://u@h/d": true,
		"site.db": false, "postgres.db": false, "./postgres://x": false, "host=h dbname=d": false,
		"/tmp/postgres:/x.db": false, "file:postgres://x": false,
	} {
		if got := isPostgres(db); got != want {
			t.Errorf("isPostgres(%q) = %v, want %v", db, got, want)
		}
	}
	for db, want := range map[string]string{
		"postgres://u:s3cret@h/d":                "postgres://u@h/d",
		"postgresql://u@h/d?password=s3cret&x=1": "postgresql://u@h/d?password=xxxxx&x=1",
		"site.db":                                "site.db",
		"postgres://u:s3cret@h/d%zz":             "the PostgreSQL URL given",
	} {
		if got := dbName(db); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("dbName(%q) = %q, want %q", db, got, want)
		}
	}
}

// TestLeaseSettings: --lease and --heartbeat reach the PostgreSQL backend,
// a pair that would let a live worker lose its hosts is bad input, and so
// is either on a SQLite file.
func TestLeaseSettings(t *testing.T) {
	dsn := pg.NewDatabase(t)
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 1, PagesPerHost: 5, Seed: 3})
	r := trawl(t, append([]string{"crawl", "--db", dsn, "--delay", "0", "-q", "--lease", "9s", "--heartbeat", "3s"}, cl.Seeds()...)...)
	if r.code != exitOK {
		t.Fatalf("crawl with --lease 9s --heartbeat 3s: exit %d: %s", r.code, r.stderr)
	}
	r = trawl(t, append([]string{"crawl", "--db", dsn, "--lease", "5s", "--heartbeat", "2s"}, cl.Seeds()...)...)
	wantOneLineError(t, r, exitUsage, "heartbeat 2s is more than a third of lease 5s")
	sq := filepath.Join(t.TempDir(), "site.db")
	r = trawl(t, append([]string{"crawl", "--db", sq, "--lease", "30s"}, cl.Seeds()...)...)
	wantOneLineError(t, r, exitUsage, "--lease and --heartbeat are for workers sharing a PostgreSQL crawl")
	if _, err := os.Stat(sq); err == nil {
		t.Errorf("a refused crawl created %s", sq)
	}
}
