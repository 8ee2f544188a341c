package extract

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file converts the strings that rule fields take from a page into
// typed values. Each converter reports false instead of failing: a value
// that does not convert is missing, never an error for the whole page.

// parseInt reads an integer written for people: an optional sign (including
// U+2212 minus), digits, and thousands separators (see parseNumber). A
// fraction of zeros ("12.00") is allowed; any other fraction, an exponent,
// anything else around the number, or a value out of int64's range is not.
// A price like "$1,299" needs a regex to drop the currency.
func parseInt(s string) (int64, bool) {
	n, ok := parseNumber(s)
	if !ok || n.exp != "" || strings.Trim(n.frac, "0") != "" {
		return 0, false
	}
	v, err := strconv.ParseInt(n.sign+n.int, 10, 64)
	return v, err == nil
}

// parseFloat reads a decimal number written for people (see parseNumber),
// with an optional exponent. Infinities and NaN cannot be written, and values
// out of float64's range are rejected, so the value always encodes as JSON.
func parseFloat(s string) (float64, bool) {
	n, ok := parseNumber(s)
	if !ok {
		return 0, false
	}
	text := n.sign + n.int
	if n.frac != "" {
		text += "." + n.frac
	}
	if n.exp != "" {
		text += "e" + n.exp
	}
	v, err := strconv.ParseFloat(text, 64)
	return v, err == nil
}

// number is a decimal number split into its parts, digits only.
type number struct {
	sign, int, frac, exp string // exp holds its own sign
}

// parseNumber splits a number as pages write it. Spaces (including no-break
// and thin spaces), '_' and apostrophes between digits are thousands
// separators, and so is whichever of '.' and ',' is not the decimal one.
// Of '.' and ',', when both occur the last one is the decimal separator
// ("1.299,95" and "1,299.95" are both 1299.95); a '.' alone is a decimal
// point unless it occurs more than once ("1.299.000"); a ',' alone is a
// decimal comma when it occurs once and is not followed by exactly three
// digits ("12,5" is 12.5, "1,299" is 1299). This is a guess where the text
// is ambiguous ("1,299" in German means 1.299); a regex can pin it down.
func parseNumber(s string) (number, bool) {
	var n number
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "−"); ok { // U+2212 minus sign
		n.sign, s = "-", rest
	} else if s != "" && (s[0] == '-' || s[0] == '+') {
		if s[0] == '-' {
			n.sign = "-"
		}
		s = s[1:]
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp := s[i+1:]
		s = s[:i]
		sign := ""
		if exp != "" && (exp[0] == '-' || exp[0] == '+') {
			sign, exp = exp[:1], exp[1:]
		}
		if !allDigits(exp) {
			return n, false
		}
		n.exp = sign + exp
	}
	dot, comma := strings.Count(s, "."), strings.Count(s, ",")
	var dec byte // the decimal separator, 0 if none
	switch {
	case dot > 0 && comma > 0:
		if strings.LastIndexByte(s, '.') > strings.LastIndexByte(s, ',') {
			dec = '.'
		} else {
			dec = ','
		}
	case dot == 1:
		dec = '.'
	case comma == 1 && len(s)-strings.IndexByte(s, ',')-1 != 3:
		dec = ','
	}
	intPart, frac := s, ""
	if dec != 0 {
		i := strings.LastIndexByte(s, dec)
		if strings.IndexByte(s, dec) != i {
			return n, false // two decimal separators
		}
		intPart, frac = s[:i], s[i+1:]
		if !allDigits(frac) && frac != "" {
			return n, false
		}
	}
	// Digits of the integer part, checking that separators split it into
	// groups of three (or of two before the last, the Indian way:
	// "1,00,000"), so that "1.2.3" or "12 5" is not taken for a number.
	var b strings.Builder
	group, groups := 0, 0 // digits in the current group; groups ended
	for i := 0; i < len(intPart); {
		r, size := utf8.DecodeRuneInString(intPart[i:])
		switch {
		case '0' <= r && r <= '9':
			b.WriteRune(r)
			group++
		case r == ',' || r == '.' || r == '_' || r == '\'' || r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\u2009':
			if group == 0 || groups > 0 && group != 2 && group != 3 {
				return n, false
			}
			group, groups = 0, groups+1
		default:
			return n, false
		}
		i += size
	}
	if groups > 0 && group != 3 {
		return n, false
	}
	n.int, n.frac = b.String(), frac
	if n.int == "" {
		if n.frac == "" {
			return n, false
		}
		n.int = "0" // ".5"
	}
	return n, true
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseBool reads the usual ways pages say yes or no, case-insensitively:
// true/false, yes/no, y/n, on/off, 1/0.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "on", "1":
		return true, true
	case "false", "no", "n", "off", "0":
		return false, true
	}
	return false, false
}

// dateLayouts are the date formats parseDate accepts, most common first:
// ISO 8601/RFC 3339 and its everyday variants, the HTTP and mail formats,
// and English prose dates. Fractional seconds are accepted after the
// seconds of any layout (time.Parse does so). It is a constant table.
var dateLayouts = [...]string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05 Z0700",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006/01/02",
	"2006/01/02 15:04:05",
	"Mon, 2 Jan 2006 15:04:05 Z0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04 Z0700",
	"Mon, 2 Jan 2006 15:04 MST",
	"Monday, 02-Jan-06 15:04:05 MST",
	"Mon Jan _2 15:04:05 2006",
	"Mon Jan _2 15:04:05 MST 2006",
	"January 2, 2006",
	"Jan 2, 2006",
	"Jan. 2, 2006",
	"January 2 2006",
	"Jan 2 2006",
	"2 January 2006",
	"2 Jan 2006",
	"2 January, 2006",
	"2 Jan, 2006",
	"Monday, January 2, 2006",
	"Mon, January 2, 2006",
	"Mon, Jan 2, 2006",
	"Monday, 2 January 2006",
	"Mon, 2 Jan 2006",
	"January 2, 2006 3:04 PM",
	"Jan 2, 2006 3:04 PM",
	"January 2, 2006, 3:04 PM",
	"Jan 2, 2006, 3:04 PM",
	"January 2, 2006 15:04",
	"Jan 2, 2006 15:04",
	"2 January 2006 15:04",
	"2 Jan 2006 15:04",
	"January 2006",
	"Jan 2006",
}

// usZone returns the offsets of the zone abbreviations that US pages and
// mail headers still use; other abbreviations are ambiguous (IST, CST in
// China) and make a date missing rather than silently wrong.
func usZone(name string) (int, bool) {
	const h = 3600
	switch name {
	case "UTC", "GMT", "UT", "Z":
		return 0, true
	case "EST":
		return -5 * h, true
	case "EDT", "CDT":
		return -4 * h, true
	case "CST", "MDT":
		return -6 * h, true
	case "MST", "PDT":
		return -7 * h, true
	case "PST":
		return -8 * h, true
	}
	return 0, false
}

// parseDate reads a date in one of dateLayouts (month and day names in
// English, any case, full or in three letters; "1st", "2nd" ordinals allowed) and returns it
// in RFC 3339, with fractional seconds only when given. A date without a
// time is midnight; a time without a zone is taken as UTC, which is the only
// choice that does not depend on where the crawler runs.
func parseDate(s string) (string, bool) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "", false
	}
	if t, ok := parseLayouts(s); ok {
		return t.Format(time.RFC3339Nano), true
	}
	if c := dropOrdinals(s); c != s {
		if t, ok := parseLayouts(c); ok {
			return t.Format(time.RFC3339Nano), true
		}
	}
	return "", false
}

// parseLayouts tries every layout on s.
func parseLayouts(s string) (time.Time, bool) {
	for _, layout := range dateLayouts {
		t, err := time.ParseInLocation(layout, s, time.UTC)
		if err != nil {
			continue
		}
		if strings.Contains(layout, "MST") {
			// An unknown abbreviation parses as a zero offset in a
			// made-up zone: fix the ones we know, refuse the others.
			name, _ := t.Zone()
			off, ok := usZone(name)
			if !ok {
				return time.Time{}, false
			}
			y, mo, d := t.Date()
			t = time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone(name, off))
		}
		return t, true
	}
	return time.Time{}, false
}

// dropOrdinals removes English ordinal suffixes after day numbers:
// "March 1st, 2024" becomes "March 1, 2024".
func dropOrdinals(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] < '0' || s[i] > '9' || i+3 > len(s) {
			continue
		}
		switch strings.ToLower(s[i+1 : i+3]) {
		case "st", "nd", "rd", "th":
			if i+3 == len(s) || !isASCIILetter(s[i+3]) {
				i += 2
			}
		}
	}
	return b.String()
}

// isASCIILetter reports whether c is an ASCII letter.
func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// absURL resolves a URL taken from the page against its base, as a url
// field wants it: absolute, the fragment kept (it is part of the data, not a
// crawl target), http(s) URLs in the form a browser would request (see
// resolve). Any scheme is allowed (mailto:, tel:, ftp:) except javascript:
// and data:, which name no resource; unparsable values and relative ones on
// a page without a URL are missing.
func (d *Doc) absURL(raw string) (string, bool) {
	raw = cleanHref(raw)
	if raw == "" {
		return "", false
	}
	if sc, ok := scheme(raw); ok && (strings.EqualFold(sc, "javascript") || strings.EqualFold(sc, "data")) {
		return "", false
	}
	ref, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	u := ref
	if base := d.base(); base != nil {
		u = base.ResolveReference(ref)
	}
	switch u.Scheme {
	case "":
		return "", false
	case "http", "https":
		if !d.browserForm(u) {
			return "", false
		}
	}
	return u.String(), true
}
