package extract

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// collapser accumulates text with every run of white space (Unicode, so
// including no-break space) turned into one space and none at either end,
// the way the text reads on screen, optionally stopping after limit runes.
// Writing stops early once the limit is reached, so a huge anchor costs no
// more than a short one.
type collapser struct {
	buf   []byte
	n     int  // runes in buf
	limit int  // maximum runes in buf; 0 means no limit
	space bool // a space is due before the next non-space rune
	full  bool // limit reached; further writes are ignored
}

// reset empties c for reuse, keeping its buffer and limit.
func (c *collapser) reset() {
	c.buf, c.n, c.space, c.full = c.buf[:0], 0, false, false
}

// write appends s.
func (c *collapser) write(s string) {
	// Fast path for the ASCII prefix of s (most text on most pages): no
	// rune decoding, no Unicode table look-ups, and each word appended at
	// once (a call of put a byte was most of the cost of text).
	i := 0
	for i < len(s) && !c.full {
		b := s[i]
		if b >= utf8.RuneSelf {
			break
		}
		if asciiSpace(b) {
			c.space = len(c.buf) > 0
			i++
			continue
		}
		j := i + 1
		for j < len(s) && s[j] < utf8.RuneSelf && !asciiSpace(s[j]) {
			j++
		}
		c.putWord(s[i:j])
		i = j
	}
	for _, r := range s[i:] {
		if c.full {
			return
		}
		if unicode.IsSpace(r) {
			c.space = len(c.buf) > 0
			continue
		}
		c.put(r)
	}
}

// asciiSpace reports whether b is one of the ASCII bytes unicode.IsSpace
// takes for space.
func asciiSpace(b byte) bool {
	return b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == '\f' || b == '\v'
}

// putWord appends w, ASCII without space, as put would append its bytes
// one by one: after the space due, and only what fits in the limit.
func (c *collapser) putWord(w string) {
	sp := 0
	if c.space {
		sp = 1
	}
	if c.limit > 0 && c.n+sp+len(w) > c.limit {
		k := c.limit - c.n - sp // the bytes of w that fit
		if k <= 0 {
			c.full = true
			return
		}
		w, c.full = w[:k], true
	}
	if c.space {
		c.buf = append(c.buf, ' ')
		c.space = false
	}
	c.buf = append(c.buf, w...)
	c.n += sp + len(w)
}

// put appends the non-space rune r, after the space due before it, unless
// that would pass the limit, which makes c full.
func (c *collapser) put(r rune) {
	need := 1
	if c.space {
		need = 2
	}
	if c.limit > 0 && c.n+need > c.limit {
		c.full = true
		return
	}
	if c.space {
		c.buf = append(c.buf, ' ')
		c.space = false
	}
	if r < utf8.RuneSelf {
		c.buf = append(c.buf, byte(r))
	} else {
		c.buf = utf8.AppendRune(c.buf, r)
	}
	c.n += need
}

// writeNode appends the text of n's descendants, leaving out what is not
// shown as text (script, style, template, noscript as parsed with scripting
// on).
func (c *collapser) writeNode(n *html.Node) {
	for ch := n.FirstChild; ch != nil && !c.full; ch = ch.NextSibling {
		switch ch.Type {
		case html.TextNode:
			c.write(ch.Data)
		case html.ElementNode:
			switch ch.DataAtom {
			case atom.Script, atom.Style, atom.Template, atom.Noscript:
				continue
			}
			c.writeNode(ch)
		}
	}
}

// String returns the collapsed text.
func (c *collapser) String() string { return string(c.buf) }

// collapseSpace returns s trimmed with each run of white space replaced by one
// space.
func collapseSpace(s string) string {
	if isCollapsed(s) {
		return s // the common case (attribute values, titles): no copy
	}
	var c collapser
	c.write(s)
	if string(c.buf) == s {
		return s // nothing changed: keep the original, drop the copy
	}
	return c.String()
}

// isCollapsed reports whether s is ASCII without leading, trailing, double
// or non-space white space, so that collapseSpace would return it as is.
func isCollapsed(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return s == ""
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= utf8.RuneSelf, b == '\n', b == '\t', b == '\r', b == '\f', b == '\v':
			return false
		case b == ' ' && s[i-1] == ' ':
			return false
		}
	}
	return true
}

// nodeText returns the collapsed text of n's descendants.
func nodeText(n *html.Node) string {
	var c collapser
	c.writeNode(n)
	return c.String()
}
