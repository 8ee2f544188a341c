package store

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestSchemaDocMatchesMigrations keeps docs/schema.md honest: it must name
// exactly the tables, views and columns (in order) that the migrations create,
// and every example query in it must run.
func TestSchemaDocMatchesMigrations(t *testing.T) {
	doc, err := os.ReadFile("../docs/schema.md")
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile("^### `([a-z_]+)` \\((table|view)\\)$")
	column := regexp.MustCompile("^\\| `([a-z_]+)` \\|")
	documented := map[string][]string{}
	kinds := map[string]string{}
	var current string
	for _, line := range strings.Split(string(doc), "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			current = m[1]
			kinds[current] = m[2]
			documented[current] = []string{}
			continue
		}
		if strings.HasPrefix(line, "## ") {
			current = ""
		}
		if m := column.FindStringSubmatch(line); m != nil && current != "" {
			documented[current] = append(documented[current], m[1])
		}
	}

	db, _ := mustOpen(t)
	rows, err := db.r.Query(`SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	actual := map[string]string{}
	for rows.Next() {
		var name, kind string
		rows.Scan(&name, &kind)
		actual[name] = kind
	}
	rows.Close()
	for name, kind := range actual {
		if kinds[name] != kind {
			t.Errorf("%s %s is not documented as a %s in docs/schema.md", kind, name, kind)
			continue
		}
		var cols []string
		// table_xinfo, not table_info: it also lists generated columns.
		crow, err := db.r.Query(`SELECT name FROM pragma_table_xinfo(?)`, name)
		if err != nil {
			t.Fatal(err)
		}
		for crow.Next() {
			var c string
			crow.Scan(&c)
			cols = append(cols, c)
		}
		crow.Close()
		if !slices.Equal(cols, documented[name]) {
			t.Errorf("%s: columns\n  in the database: %v\n  documented:      %v", name, cols, documented[name])
		}
	}
	for name := range documented {
		if _, ok := actual[name]; !ok {
			t.Errorf("docs/schema.md documents %s, which the migrations do not create", name)
		}
	}

	// Every example query must at least prepare and run on an empty database.
	sqlBlock := regexp.MustCompile("(?s)```sql\n(.*?)```")
	blocks := sqlBlock.FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 8 {
		t.Fatalf("only %d example queries", len(blocks))
	}
	for _, b := range blocks {
		for _, q := range strings.Split(b[1], ";") {
			if q = strings.TrimSpace(q); q == "" {
				continue
			}
			r, err := db.r.QueryContext(context.Background(), q)
			if err != nil {
				t.Errorf("example query fails: %v\n%s", err, q)
				continue
			}
			r.Close()
		}
	}
}
