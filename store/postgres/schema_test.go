package postgres_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/trawl-crawler/trawl/store"
)

// TestSchemaMatchesSQLite: the PostgreSQL schema has the SQLite schema's
// tables and views, with the same columns in the same order, but for
// SQLite's run_lock, whose place workers takes; docs/schema.md documents
// workers, the other PostgreSQL-only tables and views and the columns
// PostgreSQL adds to a table both have, and its PostgreSQL example queries
// run.
func TestSchemaMatchesSQLite(t *testing.T) {
	ctx := context.Background()
	sq, err := store.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	want := map[string][]string{}
	rows, err := sq.Reader().QueryContext(ctx, `SELECT m.name, m.type, p.name FROM sqlite_schema m, pragma_table_xinfo(m.name) p
		WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, kind, col string
		if err := rows.Scan(&name, &kind, &col); err != nil {
			t.Fatal(err)
		}
		want[kind+" "+name] = append(want[kind+" "+name], col)
	}
	rows.Close()
	delete(want, "table run_lock")

	// The PostgreSQL-only table, as docs/schema.md documents it.
	doc, err := os.ReadFile("../../docs/schema.md")
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile("^#### `([a-z_]+)` \\(PostgreSQL (table|view|columns)\\)$")
	column := regexp.MustCompile("^\\| `([a-z_]+)` \\|")
	var current string
	for _, line := range strings.Split(string(doc), "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			if m[2] == "columns" {
				// Columns PostgreSQL adds, at the end, to a table both have.
				current = "table " + m[1]
				continue
			}
			current = m[2] + " " + m[1]
			want[current] = []string{}
			continue
		}
		if strings.HasPrefix(line, "#") {
			current = ""
		}
		if m := column.FindStringSubmatch(line); m != nil && current != "" {
			want[current] = append(want[current], m[1])
		}
	}
	if want["table workers"] == nil {
		t.Fatal("docs/schema.md documents no workers table")
	}

	db := open(t, pg.NewDatabase(t))
	prow, err := db.Pool().Query(ctx, `SELECT CASE t.table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END || ' ' || c.table_name, c.column_name
		FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	var name, col string
	if _, err := pgx.ForEachRow(prow, []any{&name, &col}, func() error {
		got[name] = append(got[name], col)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for k, cols := range want {
		if !slices.Equal(got[k], cols) {
			t.Errorf("%s: columns\n  on PostgreSQL: %v\n  want:          %v", k, got[k], cols)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("PostgreSQL has %s, which neither SQLite nor docs/schema.md has", k)
		}
	}

	blocks := regexp.MustCompile("(?s)```postgresql\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) == 0 {
		t.Fatal("docs/schema.md has no PostgreSQL example queries")
	}
	for _, b := range blocks {
		for _, q := range strings.Split(b[1], ";") {
			if q = strings.TrimSpace(q); q == "" {
				continue
			}
			r, err := db.Pool().Query(ctx, q)
			if err == nil {
				r.Close()
				err = r.Err()
			}
			if err != nil {
				t.Errorf("example query fails: %v\n%s", err, q)
			}
		}
	}
}
