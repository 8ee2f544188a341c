package store

import (
	"database/sql"
	"time"
)

// How Go values are written to columns: times as fixed-width text, and the
// zero value of most fields as NULL, so that a query asks "IS NULL" rather
// than knowing each field's zero.

// timeLayout is how the store writes times: RFC 3339 in UTC with all nine
// fraction digits. Times are compared as text in SQL (fetched_at < cutoff),
// and time.RFC3339Nano trims trailing zeros, so that "…:00.5Z" sorted after
// "…:00.55Z". Fixed width sorts as time does; time.RFC3339Nano parses it.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// formatTime formats t for storage.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func nullTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(t), Valid: true}
}

func nullMillis(d time.Duration) sql.NullInt64 {
	return sql.NullInt64{Int64: d.Milliseconds(), Valid: d != 0}
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// nullID is a row id, NULL for 0.
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
func nullInt(n int) sql.NullInt64     { return sql.NullInt64{Int64: int64(n), Valid: n != 0} }
