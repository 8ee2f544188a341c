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
	for _, r := range s {
		if c.full {
			return
		}
		if unicode.IsSpace(r) {
			c.space = len(c.buf) > 0
			continue
		}
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
		c.buf = utf8.AppendRune(c.buf, r)
		c.n += need
	}
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
	var c collapser
	c.write(s)
	if string(c.buf) == s {
		return s // nothing changed: keep the original, drop the copy
	}
	return c.String()
}

// nodeText returns the collapsed text of n's descendants.
func nodeText(n *html.Node) string {
	var c collapser
	c.writeNode(n)
	return c.String()
}
