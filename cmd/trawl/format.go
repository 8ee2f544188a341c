package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/width"

	"github.com/trawl-crawler/trawl/store/jsonstr"
)

// Output formats shared by `trawl query` and `trawl export`.
//
// Decisions, documented in the commands' help:
//   - table: for people. Aligned columns under a header and a rule, numbers
//     right-aligned, NULL shown as "NULL" (so that it differs from an empty
//     string), control characters escaped (\n, \t), BLOBs as x'hex', cells
//     longer than the width cut with "…". At most tableMaxRows rows.
//   - csv: RFC 4180 quoting through encoding/csv, a header row, lines ending
//     in \n; NULL is an empty field, BLOBs are base64.
//   - tsv: a header row, fields separated by tabs; tab, newline, carriage
//     return and backslash inside a value are written \t, \n, \r and \\;
//     NULL is an empty field, BLOBs are base64.
//   - json: one array of objects; jsonl: one object per line. Keys are the
//     column names in column order (a repeated name gets a suffix: id, id_2);
//     integers and reals are numbers, NULL is null, text is a string, BLOBs
//     are base64 strings. A REAL keeps a fractional part (2.0, not 2), and
//     ±infinity is written 9e999 / -9e999, as SQLite's own JSON functions do.
const (
	formatTable = "table"
	formatCSV   = "csv"
	formatTSV   = "tsv"
	formatJSON  = "json"
	formatJSONL = "jsonl"
)

// tableMaxRows caps the rows the table format buffers (it needs every row to
// size the columns); the machine-readable formats stream without a cap.
const tableMaxRows = 10000

// defaultCellWidth is the default width, in terminal columns, beyond which
// the table format cuts a cell.
const defaultCellWidth = 60

// errTableFull is returned by the table writer's writeRow when the row cap is
// reached; the caller stops reading and says so.
var errTableFull = errors.New("table row cap reached")

// rawJSON is a TEXT value known to hold JSON (items.data, fetches.facts): the
// JSON formats embed it as a value, compacted onto one line, instead of as a
// string. Text that is not valid JSON is written as a string.
type rawJSON string

// rowWriter writes one result set: writeHeader once, writeRow per row, then
// close, which flushes (and, for json, closes the array). Values are what
// database/sql scans into an any from modernc's driver: nil, int64, float64,
// string, []byte, bool or time.Time, plus rawJSON.
type rowWriter interface {
	writeHeader(cols []string) error
	writeRow(vals []any) error
	close() error
}

// tableOptions tune the table format.
type tableOptions struct {
	null     string // how NULL is shown
	maxWidth int    // cut cells wider than this many columns; 0: never
	maxRows  int    // buffer at most this many rows; 0: tableMaxRows
	noCut    []bool // per column: never cut (may be shorter than the columns)
	// width, when positive, is the terminal's width: columns named in
	// dropFirst are left out, in that order, until the table fits.
	width     int
	dropFirst []string
}

// newRowWriter returns a writer for format, writing to w.
func newRowWriter(format string, w io.Writer, topt tableOptions) (rowWriter, error) {
	switch format {
	case formatTable:
		if topt.maxRows <= 0 {
			topt.maxRows = tableMaxRows
		}
		return &tableWriter{w: w, opt: topt}, nil
	case formatCSV:
		return &csvWriter{w: bufio.NewWriterSize(w, 64<<10)}, nil
	case formatTSV:
		return &tsvWriter{w: bufio.NewWriterSize(w, 64<<10), esc: tsvEscaper()}, nil
	case formatJSON, formatJSONL:
		return &jsonWriter{w: bufio.NewWriterSize(w, 64<<10), array: format == formatJSON}, nil
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

// copyRows writes the rows of a query to w: the header, every row, then
// w.close. prepare, when not nil, may replace values before each row is
// written (export marks JSON columns with it). Memory stays constant: one
// row is held at a time, except by the table writer. It returns the number of
// rows written and, separately, the error reading the rows (an SQL error) and
// the error writing them, since they lead to different exit codes. When the
// table writer's row cap is reached, writeErr is errTableFull and the rows
// written so far have been printed.
func copyRows(rows *sql.Rows, w rowWriter, prepare func([]any)) (n int64, readErr, writeErr error) {
	cols, err := rows.Columns()
	if err != nil {
		return 0, err, nil
	}
	if err := w.writeHeader(cols); err != nil {
		return 0, nil, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err, nil
		}
		if prepare != nil {
			prepare(vals)
		}
		if err := w.writeRow(vals); err != nil {
			if errors.Is(err, errTableFull) {
				if err := w.close(); err != nil {
					return n, nil, err
				}
			}
			return n, nil, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err, nil
	}
	return n, nil, w.close()
}

// jsonWriter writes JSON objects, as one array or one per line.
type jsonWriter struct {
	w       *bufio.Writer
	array   bool
	keys    [][]byte // `"name":` for each column, prepared once
	buf     []byte
	compact bytes.Buffer
	rows    int
}

func (j *jsonWriter) writeHeader(cols []string) error {
	j.keys = make([][]byte, len(cols))
	for i, name := range uniqueNames(cols) {
		k := jsonstr.Append(nil, name)
		j.keys[i] = append(k, ':')
	}
	if j.array {
		_, err := j.w.WriteString("[")
		return err
	}
	return nil
}

func (j *jsonWriter) writeRow(vals []any) error {
	b := j.buf[:0]
	if j.array {
		if j.rows > 0 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = append(b, '{')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, j.keys[i]...)
		b = j.appendValue(b, v)
	}
	b = append(b, '}')
	if !j.array {
		b = append(b, '\n')
	}
	j.buf = b
	j.rows++
	_, err := j.w.Write(b)
	return err
}

func (j *jsonWriter) close() error {
	if j.array {
		if j.rows > 0 {
			j.w.WriteString("\n")
		}
		j.w.WriteString("]\n")
	}
	return j.w.Flush()
}

// appendValue appends v as a JSON value.
func (j *jsonWriter) appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case float64:
		switch {
		case math.IsNaN(v):
			return append(b, "null"...)
		case math.IsInf(v, 1):
			return append(b, "9e999"...)
		case math.IsInf(v, -1):
			return append(b, "-9e999"...)
		}
		return appendFloat(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case string:
		return jsonstr.Append(b, v)
	case []byte:
		return jsonstr.Append(b, base64.StdEncoding.EncodeToString(v))
	case time.Time:
		return jsonstr.Append(b, v.Format(time.RFC3339Nano))
	case rawJSON:
		j.compact.Reset()
		if err := json.Compact(&j.compact, []byte(v)); err != nil {
			return jsonstr.Append(b, string(v))
		}
		return append(b, j.compact.Bytes()...)
	}
	return jsonstr.Append(b, fmt.Sprint(v))
}

// uniqueNames returns the column names with repeats renamed (id, id_2, id_3),
// so that every JSON object has distinct keys.
func uniqueNames(cols []string) []string {
	seen := make(map[string]bool, len(cols))
	out := make([]string, len(cols))
	for i, c := range cols {
		name := c
		for n := 2; seen[name]; n++ {
			name = c + "_" + strconv.Itoa(n)
		}
		seen[name] = true
		out[i] = name
	}
	return out
}

// appendFloat formats a finite REAL the way encoding/json does (plain
// notation between 1e-6 and 1e21, exponent outside), keeping a fractional
// part so that a REAL stays recognisable: 2.0, not 2.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'f' && bytes.IndexByte(b[start:], '.') < 0 {
		b = append(b, '.', '0')
	}
	return b
}

// textValue renders v for csv and tsv: NULL as an empty field, BLOBs as
// base64, REALs as appendFloat writes them.
func textValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		switch {
		case math.IsInf(v, 1):
			return "Inf"
		case math.IsInf(v, -1):
			return "-Inf"
		case math.IsNaN(v):
			return ""
		}
		return string(appendFloat(nil, v))
	case bool:
		if v {
			return "1"
		}
		return "0"
	case string:
		return v
	case []byte:
		return base64.StdEncoding.EncodeToString(v)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	case rawJSON:
		return string(v)
	}
	return fmt.Sprint(v)
}

// csvWriter writes RFC 4180 CSV with encoding/csv.
type csvWriter struct {
	w      *bufio.Writer
	cw     *csv.Writer
	record []string
}

func (c *csvWriter) writeHeader(cols []string) error {
	c.cw = csv.NewWriter(c.w)
	c.record = make([]string, len(cols))
	return c.write(cols)
}

func (c *csvWriter) writeRow(vals []any) error {
	for i, v := range vals {
		c.record[i] = textValue(v)
	}
	return c.write(c.record)
}

// write writes one record. encoding/csv writes a record made of one empty
// field as an empty line, which CSV readers skip; it is written "" instead so
// that a one-column NULL row survives a round trip.
func (c *csvWriter) write(record []string) error {
	if len(record) == 1 && record[0] == "" {
		c.cw.Flush()
		if err := c.cw.Error(); err != nil {
			return err
		}
		_, err := c.w.WriteString("\"\"\n")
		return err
	}
	return c.cw.Write(record)
}

func (c *csvWriter) close() error {
	if c.cw != nil {
		c.cw.Flush()
		if err := c.cw.Error(); err != nil {
			return err
		}
	}
	return c.w.Flush()
}

// tsvWriter writes tab-separated values with backslash escapes.
type tsvWriter struct {
	w   *bufio.Writer
	esc *strings.Replacer
	buf []byte
}

// tsvEscaper escapes the characters that would break a TSV line.
func tsvEscaper() *strings.Replacer {
	return strings.NewReplacer("\\", `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)
}

func (t *tsvWriter) writeHeader(cols []string) error {
	vals := make([]any, len(cols))
	for i, c := range cols {
		vals[i] = c
	}
	return t.writeRow(vals)
}

func (t *tsvWriter) writeRow(vals []any) error {
	b := t.buf[:0]
	for i, v := range vals {
		if i > 0 {
			b = append(b, '\t')
		}
		b = append(b, t.esc.Replace(textValue(v))...)
	}
	b = append(b, '\n')
	t.buf = b
	_, err := t.w.Write(b)
	return err
}

func (t *tsvWriter) close() error { return t.w.Flush() }

// tableWriter buffers up to opt.maxRows rows and prints them aligned.
type tableWriter struct {
	w       io.Writer
	opt     tableOptions
	cols    []string
	rows    [][]string
	numeric []bool // per column: every non-NULL value is a number
	// hidden are the columns close left out to fit opt.width.
	hidden []string
}

func (t *tableWriter) writeHeader(cols []string) error {
	t.cols = make([]string, len(cols))
	t.numeric = make([]bool, len(cols))
	for i, c := range cols {
		t.cols[i] = t.cell(i, c)
		t.numeric[i] = true
	}
	return nil
}

func (t *tableWriter) writeRow(vals []any) error {
	if len(t.rows) >= t.opt.maxRows {
		return errTableFull
	}
	row := make([]string, len(vals))
	for i, v := range vals {
		switch v.(type) {
		case nil:
			row[i] = t.opt.null
			continue
		case int64, float64:
		default:
			t.numeric[i] = false
		}
		row[i] = t.cell(i, tableText(v))
	}
	t.rows = append(t.rows, row)
	return nil
}

// tableText renders a value for the table: BLOBs as x'hex', control
// characters escaped so that every row stays on one line.
func tableText(v any) string {
	switch v := v.(type) {
	case []byte:
		n := min(len(v), 64) // the cell is cut anyway; do not hex a megabyte
		s := "x'" + hex.EncodeToString(v[:n])
		if n < len(v) {
			return s + "…"
		}
		return s + "'"
	case string:
		return escapeControl(v)
	case rawJSON:
		return escapeControl(string(v))
	}
	return textValue(v)
}

// escapeControl writes newlines, tabs and other control characters as
// visible escapes.
func escapeControl(s string) string {
	clean := true
	for _, r := range s {
		if unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cell cuts s to the table's width unless column i is exempt.
func (t *tableWriter) cell(i int, s string) string {
	if t.opt.maxWidth <= 0 || (i < len(t.opt.noCut) && t.opt.noCut[i]) {
		return s
	}
	return truncateWidth(s, t.opt.maxWidth)
}

// truncateWidth cuts s to at most max terminal columns, ending in "…" when
// it was cut.
func truncateWidth(s string, max int) string {
	if displayWidth(s) <= max {
		return s
	}
	w := 0
	for i, r := range s {
		rw := runeWidth(r)
		if w+rw > max-1 {
			return s[:i] + "…"
		}
		w += rw
	}
	return s
}

// displayWidth is the number of terminal columns s takes.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// runeWidth is the number of terminal columns r takes: 2 for East Asian wide
// and full-width characters, 0 for combining marks, 1 otherwise.
func runeWidth(r rune) int {
	if r < 0x300 {
		return 1
	}
	if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == '\u200b' {
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

func (t *tableWriter) close() error {
	widths := make([]int, len(t.cols))
	for i, c := range t.cols {
		widths[i] = displayWidth(c)
	}
	for _, row := range t.rows {
		for i, c := range row {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	keep := t.fit(widths)
	bw := bufio.NewWriter(t.w)
	line := func(all []string, right func(int) bool) {
		cells := make([]string, 0, len(keep))
		for _, i := range keep {
			cells = append(cells, all[i])
		}
		for k, c := range cells {
			i := keep[k]
			pad := strings.Repeat(" ", widths[i]-displayWidth(c))
			last := k == len(cells)-1
			switch {
			case right(i):
				bw.WriteString(pad)
				bw.WriteString(c)
			case last:
				bw.WriteString(c) // no trailing blanks
			default:
				bw.WriteString(c)
				bw.WriteString(pad)
			}
			if !last {
				bw.WriteString("  ")
			}
		}
		bw.WriteByte('\n')
	}
	numeric := func(i int) bool { return t.numeric[i] }
	line(t.cols, numeric)
	rules := make([]string, len(t.cols))
	for i := range rules {
		rules[i] = strings.Repeat("-", widths[i])
	}
	line(rules, numeric)
	for _, row := range t.rows {
		line(row, numeric)
	}
	return bw.Flush()
}

// fit returns the indexes of the columns to print: all of them, less those
// of opt.dropFirst (in that order) that must go for the table to fit in
// opt.width, which it records in t.hidden.
func (t *tableWriter) fit(widths []int) []int {
	shown := make([]bool, len(t.cols))
	total := 0
	for i, w := range widths {
		shown[i] = true
		total += w + 2
	}
	total -= 2
	if t.opt.width > 0 {
		for _, name := range t.opt.dropFirst {
			if total <= t.opt.width {
				break
			}
			for i, c := range t.cols {
				if c == name && shown[i] {
					shown[i] = false
					total -= widths[i] + 2
					t.hidden = append(t.hidden, c)
					break
				}
			}
		}
	}
	keep := make([]int, 0, len(t.cols))
	for i, ok := range shown {
		if ok {
			keep = append(keep, i)
		}
	}
	return keep
}
