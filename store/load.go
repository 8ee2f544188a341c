package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Load copies every row of the trawl database src, of either backend read
// through database/sql (the SQLite store's Reader, or PostgreSQL's), into
// db, which must hold no rows yet (a file Open has just created): trawl
// export --format sqlite. The tables and columns are db's, which both
// backends share by name; generated columns are computed again, json
// columns become text as SQLite keeps them, and the run lock and the rows
// that describe a PostgreSQL schema (trawl_meta's application and
// schema_version) are left out, since the copy is a database of its own.
// It returns the number of rows copied per table.
func (db *DB) Load(ctx context.Context, src *sql.DB) (map[string]int64, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	tables, err := db.loadTables(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, db.diskFull(fmt.Errorf("store: load %s: %w", db.path, err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	counts := make(map[string]int64, len(tables))
	for _, t := range tables {
		n, err := loadTable(ctx, tx, src, t)
		if err != nil {
			return nil, db.diskFull(fmt.Errorf("store: load table %s into %s: %w", t.name, db.path, err))
		}
		counts[t.name] = n
	}
	if err := tx.Commit(); err != nil {
		return nil, db.diskFull(fmt.Errorf("store: load %s: %w", db.path, err))
	}
	// The copy's caches (seen set, host ids, discovery sequence) load from
	// its rows when a crawl needs them.
	db.dropSeen()
	return counts, nil
}

// loadedTable is a table of the destination and its stored columns.
type loadedTable struct {
	name  string
	cols  []string
	where string // a filter on the source rows, or ""
}

// loadTables lists db's tables in creation order with the columns a copy
// writes (not the generated ones, which SQLite computes).
func (db *DB) loadTables(ctx context.Context) ([]loadedTable, error) {
	rows, err := db.w.QueryContext(ctx, `SELECT name FROM sqlite_schema
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name != 'run_lock' ORDER BY rowid`)
	if err != nil {
		return nil, fmt.Errorf("store: list tables of %s: %w", db.path, err)
	}
	var tables []loadedTable
	for rows.Next() {
		var t loadedTable
		if err := rows.Scan(&t.name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: list tables of %s: %w", db.path, err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list tables of %s: %w", db.path, err)
	}
	for i := range tables {
		t := &tables[i]
		// hidden is 2 or 3 for a generated column, 1 for a virtual table's.
		t.cols, err = db.strings(ctx, "columns", `SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0 ORDER BY cid`, t.name)
		if err != nil {
			return nil, err
		}
		if t.name == "trawl_meta" {
			t.where = ` WHERE key NOT IN ('application', 'schema_version')`
		}
	}
	return tables, nil
}

// loadTable copies table t's rows from src through tx.
func loadTable(ctx context.Context, tx *sql.Tx, src *sql.DB, t loadedTable) (int64, error) {
	quoted := make([]string, len(t.cols))
	for i, c := range t.cols {
		quoted[i] = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
	}
	list := strings.Join(quoted, ", ")
	rows, err := src.QueryContext(ctx, `SELECT `+list+` FROM "`+t.name+`"`+t.where)
	if err != nil {
		return 0, fmt.Errorf("read the source: %w", err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return 0, fmt.Errorf("read the source: %w", err)
	}
	var jsonCols []int
	for i, ct := range types {
		if n := ct.DatabaseTypeName(); n == "JSON" || n == "JSONB" {
			jsonCols = append(jsonCols, i) // PostgreSQL's json, which database/sql reads as bytes
		}
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO "`+t.name+`"(`+list+`) VALUES (`+strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ")+`)`)
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, fmt.Errorf("read the source: %w", err)
		}
		for _, i := range jsonCols {
			if b, ok := vals[i].([]byte); ok {
				vals[i] = string(b)
			}
		}
		if _, err := ins.ExecContext(ctx, vals...); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read the source: %w", err)
	}
	return n, nil
}
