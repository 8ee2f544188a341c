package pgtest

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

var pg Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// TestDatabasesAreSeparate: each test's database is its own, reachable with
// the DSN given, and a wrong password is refused (the server checks
// passwords, so tests of a bad login mean something).
func TestDatabasesAreSeparate(t *testing.T) {
	ctx := context.Background()
	a, b := pg.NewDatabase(t), pg.NewDatabase(t)
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, `CREATE TABLE only_in_a (x int)`); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	var n int
	if err := cb.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("table of database a seen in b: %d, %v", n, err)
	}
	var user string
	if err := ca.QueryRow(ctx, `SELECT current_user`).Scan(&user); err != nil || user != superuser {
		t.Fatalf("current_user = %q, %v", user, err)
	}
	if c, err := pgx.Connect(ctx, pg.DSN(t, superuser, "wrong", "postgres")); err == nil {
		c.Close(ctx)
		t.Fatal("a wrong password was accepted")
	}
}

// TestServerRunsUnprivileged: run as root, the server must run as another
// user (PostgreSQL refuses root), and its files must be that user's.
func TestServerRunsUnprivileged(t *testing.T) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pg.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var dataDir string
	if err := c.QueryRow(ctx, `SHOW data_directory`).Scan(&dataDir); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 && ownerUID(st) == 0 {
		t.Fatalf("data directory %s is root's", dataDir)
	}
}

// TestRestart: a restart ends the connections open before it, keeps the
// data, and the server takes new connections after it.
func TestRestart(t *testing.T) {
	ctx := context.Background()
	dsn := pg.NewDatabase(t)
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `CREATE TABLE kept (x int)`); err != nil {
		t.Fatal(err)
	}
	pg.Restart(t)
	if _, err := c.Exec(ctx, `SELECT 1`); err == nil {
		t.Error("a connection from before the restart still works")
	}
	c2, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect after the restart: %v", err)
	}
	defer c2.Close(ctx)
	if _, err := c2.Exec(ctx, `SELECT count(*) FROM kept`); err != nil {
		t.Fatalf("the data did not survive the restart: %v", err)
	}
}
