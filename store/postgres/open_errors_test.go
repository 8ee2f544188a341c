package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/trawl-crawler/trawl/store/postgres"
)

// snapshot lists every table and view in the database's public schema with
// its row count, so a test can tell that nothing was written.
func snapshot(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `SELECT relname::text, relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND relkind IN ('r', 'v', 'S') ORDER BY relname`)
	if err != nil {
		t.Fatal(err)
	}
	type rel struct{ Name, Kind string }
	rels, err := pgx.CollectRows(rows, pgx.RowToStructByPos[rel])
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rels {
		var n int64
		if r.Kind == "r" {
			if err := c.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{r.Name}.Sanitize()).Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(&b, "%s %s %d; ", r.Name, r.Kind, n)
	}
	return b.String()
}

func run(t *testing.T, dsn string, sql ...string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range sql {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// dbName is the database a postgres:// URL names.
func dbName(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// closedPort returns a loopback TCP port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// TestOpenErrors: a database that cannot be used is reported in one line
// naming it and the cause, as a typed error, and nothing is written: the
// server unreachable, the login refused, no such database, no permission
// to create tables, another application's tables, a newer trawl's schema.
func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	const secret = "s3cret-not-shown"
	good := pg.NewDatabase(t)
	name := dbName(t, good)

	foreign := pg.NewDatabase(t)
	run(t, foreign, `CREATE TABLE customers (id bigint PRIMARY KEY, name text)`,
		`INSERT INTO customers VALUES (1, 'Ada')`, `CREATE VIEW vip AS SELECT * FROM customers`)
	otherMeta := pg.NewDatabase(t)
	run(t, otherMeta, `CREATE TABLE trawl_meta (key text PRIMARY KEY, value text NOT NULL)`,
		`INSERT INTO trawl_meta VALUES ('application', 'someone-else')`)
	newer := pg.NewDatabase(t)
	open(t, newer).Close()
	run(t, newer, `UPDATE trawl_meta SET value = '99' WHERE key = 'schema_version'`)
	noSchema := pg.NewDatabase(t)
	run(t, noSchema, `DROP SCHEMA public`)

	role := "reader_" + strings.ReplaceAll(name, "-", "_")
	run(t, good, fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD '%s'`, pgx.Identifier{role}.Sanitize(), secret))
	t.Cleanup(func() { run(t, adminDSN(t, good), `DROP ROLE IF EXISTS `+pgx.Identifier{role}.Sanitize()) })

	cases := []struct {
		name   string
		dsn    string
		kind   error
		says   string
		before string // the database that must be left as it was, if any
	}{
		{"no server at the socket", fmt.Sprintf("postgres://trawl:%s@/%s?host=%s", secret, name, filepath.Join(t.TempDir(), "nosocket")),
			postgres.ErrUnreachable, "cannot reach the PostgreSQL server", ""},
		{"closed TCP port", fmt.Sprintf("postgres://trawl:%s@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=5", secret, closedPort(t), name),
			postgres.ErrUnreachable, "connection refused", ""},
		{"wrong password", pg.DSN(t, "trawl", secret, name), postgres.ErrAuth, `password authentication failed for user "trawl"`, good},
		{"no password", pg.DSN(t, "trawl", "", name), postgres.ErrAuth, "", good},
		{"unknown user", pg.DSN(t, "nobody_here", secret, name), postgres.ErrAuth, "nobody_here", good},
		{"no such database", pg.DSN(t, "trawl", passwordOf(t, good), "no_such_db"), postgres.ErrNoDatabase, `database "no_such_db" does not exist`, ""},
		{"no permission", pg.DSN(t, role, secret, name), postgres.ErrPermission, "permission denied for schema public", good},
		{"another application's tables", foreign, postgres.ErrNotTrawl, "schema public holds other tables (customers, vip)", foreign},
		{"another application's trawl_meta", otherMeta, postgres.ErrNotTrawl, "holds other tables (trawl_meta)", otherMeta},
		{"newer schema", newer, postgres.ErrNewerSchema, fmt.Sprintf("schema version 99, this trawl knows %d", postgres.SchemaVersion()), newer},
		{"no schema", noSchema, postgres.ErrPermission, "no schema to create tables in", noSchema},
		{"server that never answers", fmt.Sprintf("postgres://trawl:%s@%s/%s?sslmode=disable&connect_timeout=1", secret, silentServer(t), name),
			postgres.ErrUnreachable, "timed out: the server did not answer", ""},
		{"bad URL", "postgres://trawl:" + secret + "@127.0.0.1:notaport/x", postgres.ErrBadURL, "bad PostgreSQL connection string: invalid port", ""},
		{"bad key=value string", "host=/tmp password=" + secret + " port=x", postgres.ErrBadURL, "bad PostgreSQL connection string: invalid port", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before string
			if c.before != "" {
				before = snapshot(t, c.before)
			}
			db, err := postgres.Open(ctx, c.dsn)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			var oe *postgres.OpenError
			msg := err.Error()
			t.Log(msg)
			if !errors.Is(err, c.kind) || !errors.As(err, &oe) {
				t.Errorf("Open = %v (%T), want an *OpenError matching %v", err, err, c.kind)
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, secret) || !strings.Contains(msg, c.says) {
				t.Errorf("Open: %q; want one line saying %q, without the password", msg, c.says)
			}
			if c.kind != postgres.ErrBadURL && (oe == nil || !strings.Contains(msg, oe.Target) || !strings.Contains(oe.Target, "/")) {
				t.Errorf("Open: %q does not name the database", msg)
			}
			if c.before != "" {
				if after := snapshot(t, c.before); after != before {
					t.Errorf("Open changed the database:\nbefore %s\nafter  %s", before, after)
				}
			}
		})
	}
	if s := snapshot(t, good); s != "" {
		t.Errorf("the database the failed logins named has tables: %s", s)
	}
}

// silentServer listens on a loopback port, accepts connections and never
// answers, as a hung server or a firewall that drops packets would look.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String()
}

// passwordOf is the password in a postgres:// URL.
func passwordOf(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := u.User.Password()
	return p
}

// adminDSN is dsn on the maintenance database, for cluster-wide cleanup.
func adminDSN(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/postgres"
	return u.String()
}
