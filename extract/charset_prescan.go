package extract

import (
	"bytes"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// prescan runs the HTML Standard's "prescan a byte stream to determine its
// encoding" over b and returns the WHATWG name of the encoding a <meta>
// declares, mapped the way the algorithm maps it (UTF-16 means UTF-8,
// x-user-defined means windows-1252), or "" when there is none; declarations
// of unknown labels are skipped. It is the Standard's algorithm
// rather than golang.org/x/net/html/charset's prescan, which tokenizes and so
// skips <meta> inside <script> and <style>: browsers do not, and neither do
// the html5lib tests. A declaration cut off by the end of b does not count.
func prescan(b []byte) (label string) {
	for i := 0; i < len(b); {
		lt := bytes.IndexByte(b[i:], '<')
		if lt < 0 {
			return ""
		}
		i += lt
		rest := b[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			// The two dashes may be those of "<!--" itself: "<!-->" is a
			// whole comment.
			end := bytes.Index(rest[2:], []byte("-->"))
			if end < 0 {
				return ""
			}
			i += 2 + end + 3
		case len(rest) > 5 && hasFoldPrefix(rest[1:], "meta") && (isSpaceByte(rest[5]) || rest[5] == '/'):
			next, label, ok := metaCharset(b, i+6)
			if !ok {
				return ""
			}
			if label != "" {
				return label
			}
			i = next
		case len(rest) > 1 && isASCIILetter(rest[1]), len(rest) > 2 && rest[1] == '/' && isASCIILetter(rest[2]):
			j := i + 2
			for j < len(b) && !isSpaceByte(b[j]) && b[j] != '>' {
				j++
			}
			for {
				var ok, more bool
				if j, _, _, more, ok = attribute(b, j); !ok {
					return ""
				}
				if !more {
					break
				}
			}
			i = j + 1
		case len(rest) > 1 && (rest[1] == '!' || rest[1] == '/' || rest[1] == '?'):
			end := bytes.IndexByte(rest[2:], '>')
			if end < 0 {
				return ""
			}
			i += 2 + end + 1
		default:
			i++
		}
	}
	return ""
}

// metaCharset reads the attributes of a <meta> tag starting at b[i] and
// returns the position after the tag, the WHATWG name of the encoding it
// declares ("" if none, if the label is unknown or if the declaration is
// incomplete, such as content= without http-equiv=content-type), and false when b ends inside the tag.
func metaCharset(b []byte, i int) (next int, label string, ok bool) {
	// The Standard skips an attribute whose name was already seen; only
	// these three names matter, so only they are remembered (a list of all
	// names would make a tag with many attributes quadratic).
	var seenHTTPEquiv, seenContent, seenCharset bool
	gotPragma := false
	needPragma := 0 // 0: unset, 1: needs http-equiv=content-type, 2: does not
	charset := ""
	for {
		var name, value []byte
		var more bool
		if i, name, value, more, ok = attribute(b, i); !ok {
			return i, "", false
		}
		if !more {
			break
		}
		switch {
		case equalFoldASCII(name, "http-equiv"):
			if seenHTTPEquiv {
				continue
			}
			seenHTTPEquiv = true
			gotPragma = equalFoldASCII(value, "content-type")
		case equalFoldASCII(name, "content"):
			if seenContent {
				continue
			}
			seenContent = true
			if charset == "" {
				if c := contentCharset(string(value)); c != "" {
					charset, needPragma = c, 1
				}
			}
		case equalFoldASCII(name, "charset"):
			if seenCharset {
				continue
			}
			seenCharset = true
			charset, needPragma = string(value), 2
		}
	}
	if needPragma == 0 || (needPragma == 1 && !gotPragma) || charset == "" {
		return i + 1, "", true
	}
	e, err := htmlindex.Get(charset)
	if err != nil {
		return i + 1, "", true // an unknown label: the prescan goes on
	}
	name, err := htmlindex.Name(e)
	if err != nil {
		return i + 1, "", true
	}
	switch name {
	case "utf-16le", "utf-16be":
		// A page that could be read this far as ASCII is not UTF-16.
		return i + 1, "utf-8", true
	case "x-user-defined":
		return i + 1, "windows-1252", true
	}
	return i + 1, name, true
}

// attribute is the Standard's "get an attribute" step of the prescan: it
// reads one attribute at b[i] and returns the position after it, its name and
// its value as parts of b (not lower-cased, which the callers do only for
// the few names they compare, so that skipping tags allocates nothing), and
// more=false when the tag ends instead. ok is false when b ends first.
func attribute(b []byte, i int) (next int, name, value []byte, more, ok bool) {
	for i < len(b) && (isSpaceByte(b[i]) || b[i] == '/') {
		i++
	}
	if i >= len(b) {
		return i, nil, nil, false, false
	}
	if b[i] == '>' {
		return i, nil, nil, false, true
	}
	start := i
	for {
		if i >= len(b) {
			return i, nil, nil, false, false
		}
		c := b[i]
		if c == '=' && i > start {
			name = b[start:i]
			i++
			break
		}
		if isSpaceByte(c) {
			name = b[start:i]
			for i < len(b) && isSpaceByte(b[i]) {
				i++
			}
			if i >= len(b) {
				return i, nil, nil, false, false
			}
			if b[i] != '=' {
				return i, name, nil, true, true
			}
			i++
			break
		}
		if c == '/' || c == '>' {
			return i, b[start:i], nil, true, true
		}
		i++
	}
	for i < len(b) && isSpaceByte(b[i]) {
		i++
	}
	if i >= len(b) {
		return i, nil, nil, false, false
	}
	if q := b[i]; q == '"' || q == '\'' {
		end := bytes.IndexByte(b[i+1:], q)
		if end < 0 {
			return len(b), nil, nil, false, false
		}
		return i + 1 + end + 1, name, b[i+1 : i+1+end], true, true
	}
	if b[i] == '>' {
		return i, name, nil, true, true
	}
	start = i
	for {
		if i >= len(b) {
			return i, nil, nil, false, false
		}
		if c := b[i]; isSpaceByte(c) || c == '>' {
			return i, name, b[start:i], true, true
		}
		i++
	}
}

// contentCharset is the Standard's "extract a character encoding from a meta
// element" applied to a content attribute's value.
func contentCharset(s string) string {
	for {
		i := strings.Index(strings.ToLower(s), "charset")
		if i < 0 {
			return ""
		}
		s = strings.TrimLeft(s[i+len("charset"):], "\t\n\f\r ")
		if !strings.HasPrefix(s, "=") {
			continue
		}
		s = strings.TrimLeft(s[1:], "\t\n\f\r ")
		if s == "" {
			return ""
		}
		if q := s[0]; q == '"' || q == '\'' {
			end := strings.IndexByte(s[1:], q)
			if end < 0 {
				return ""
			}
			return s[1 : 1+end]
		}
		if end := strings.IndexAny(s, "\t\n\f\r ;"); end >= 0 {
			return s[:end]
		}
		return s
	}
}

// equalFoldASCII reports whether b is the lower-case ASCII string s,
// ignoring ASCII case.
func equalFoldASCII(b []byte, s string) bool {
	return len(b) == len(s) && hasFoldPrefix(b, s)
}

// hasFoldPrefix reports whether b starts with the lower-case ASCII prefix p,
// ignoring ASCII case.
func hasFoldPrefix(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if lowerASCII(b[i]) != p[i] {
			return false
		}
	}
	return true
}

// isSpaceByte reports whether c is ASCII whitespace as HTML defines it.
func isSpaceByte(c byte) bool {
	return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

// lowerASCII lower-cases an ASCII upper-case letter and leaves other bytes.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
