// Package jsonstr writes JSON strings without encoding/json's reflection
// and HTML escaping. It is the one encoder of strings that the store (its
// JSON columns, such as fetches.outlinks) and trawl's output formats share,
// so that a string reads the same in the database and in an export.
package jsonstr

import "unicode/utf8"

// Append appends s as a JSON string (RFC 8259): quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD, and no HTML
// escaping, so that URLs with & stay readable.
func Append(b []byte, s string) []byte { return appendString(b, s, false) }

// AppendNoNUL is Append, except that NUL is written as U+FFFD: PostgreSQL
// accepts the escape \u0000 into a json column but then fails every query
// that reads the value as text, so its backend must never write one.
func AppendNoNUL(b []byte, s string) []byte { return appendString(b, s, true) }

func appendString(b []byte, s string, noNUL bool) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case 0:
				if noNUL {
					b = append(b, `\ufffd`...)
					break
				}
				b = append(b, `\u0000`...)
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but end lines in JavaScript.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
