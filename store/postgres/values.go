package postgres

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/trawl-crawler/trawl/store/jsonstr"
	"github.com/trawl-crawler/trawl/store/record"
)

// timeLayout is how times are written: RFC 3339 in UTC with all nine
// fraction digits, as the SQLite backend writes them, so that they compare
// as text in the order of time and a user's queries read them alike.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// formatTime formats t for storage.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseTime reads a stored time; the empty string is the zero time.
func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// clean makes s storable in a PostgreSQL text column, which refuses NUL
// characters and invalid UTF-8 where SQLite keeps any bytes: an error
// message or header a server sent must not fail the commit of its fetch.
// Invalid bytes become U+FFFD, NUL becomes U+FFFD too.
func clean(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// str is s as a nullable text parameter: NULL when empty.
func str(s string) any {
	if s == "" {
		return nil
	}
	return clean(s)
}

// tim is t as a nullable time parameter: NULL when zero.
func tim(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

// flag is b as SQLite's 0/1.
func flag(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// jsonText is b (JSON) as a nullable json parameter, made storable.
func jsonText(b []byte) any {
	if b == nil {
		return nil
	}
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		b = []byte(clean(string(b)))
	}
	return string(jsonNoNUL(b))
}

// jsonNoNUL replaces the escapes that PostgreSQL cannot turn into text,
// \u0000 and a UTF-16 surrogate without its pair, with \ufffd. A json
// column takes them, but one such string (an anchor text, a JSON-LD block
// from a page) would make every query of the links or jsonld view fail.
func jsonNoNUL(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		// Outside strings, valid JSON has no backslash; inside, each one
		// starts an escape, so escapes are read whole.
		r, ok := hex4(b, i)
		if !ok {
			out = append(out, b[i], b[i+1])
			i++
			continue
		}
		switch {
		case r == 0, utf16.IsSurrogate(r) && r >= 0xdc00:
			out = append(out, `\ufffd`...)
		case utf16.IsSurrogate(r):
			if lo, ok := hex4(b, i+6); ok && lo >= 0xdc00 && lo <= 0xdfff {
				out = append(out, b[i:i+12]...)
				i += 6
			} else {
				out = append(out, `\ufffd`...)
			}
		default:
			out = append(out, b[i:i+6]...)
		}
		i += 5
	}
	return out
}

// hex4 reads the \uXXXX escape at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
	return rune(n), err == nil
}

// appendOutlinks writes links as a compact JSON array of [to_id, text, rel]
// triples, the form of fetches.outlinks in both backends (the links view
// unpacks it).
func appendOutlinks(b []byte, links []record.Link) []byte {
	b = append(b, '[')
	for i, l := range links {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, l.Key(), 10)
		b = append(b, ',')
		b = jsonstr.AppendNoNUL(b, l.Text)
		if l.Rel != "" {
			b = append(b, ',')
			b = jsonstr.AppendNoNUL(b, l.Rel)
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

// timeOf reads a time written by formatTime, strictly.
func timeOf(s string) (time.Time, error) { return time.Parse(timeLayout, s) }

// The n* helpers are str, tim and jsonText, and integers and durations, for the typed
// slices that set-based statements take as arrays: nil is NULL.

// nstr is s as nullable text: nil when empty.
func nstr(s string) *string {
	if s == "" {
		return nil
	}
	c := clean(s)
	return &c
}

// nint is n as a nullable integer: nil when zero.
func nint(n int) *int32 {
	if n == 0 {
		return nil
	}
	v := int32(n)
	return &v
}

// ntime is t as a nullable time: nil when zero.
func ntime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := formatTime(t)
	return &s
}

// nmillis is d as nullable milliseconds: nil when zero.
func nmillis(d time.Duration) *int64 {
	if d == 0 {
		return nil
	}
	v := d.Milliseconds()
	return &v
}

// njson is b (JSON) as nullable json text, made storable: nil when b is.
func njson(b []byte) *string {
	if b == nil {
		return nil
	}
	s := jsonText(b).(string)
	return &s
}
