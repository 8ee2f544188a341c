package extract

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// flattenDepth is the nesting Flatten keeps: well below the 512 open
// elements at which golang.org/x/net/html gives up on a document.
const flattenDepth = 256

// TooDeep reports whether err is the HTML parser giving up on a document
// nested too deep ("open stack of elements exceeds 512 nodes"). Browsers
// parse such pages; Flatten makes them parseable.
func TooDeep(err error) bool {
	return err != nil && strings.Contains(err.Error(), "open stack of elements")
}

// Flatten returns body with the start and end tags of elements nested more
// than flattenDepth deep left out, and everything else (text, links,
// <title>, <base>, <meta>) byte for byte as it was: a page a hundred
// thousand elements deep keeps its words and the link at its bottom, and
// parses. Nesting is counted as the tags say, ignoring the parser's
// implied ends, so it overestimates and only ever drops too much nesting.
func Flatten(body []byte) []byte {
	z := html.NewTokenizer(bytes.NewReader(body))
	out := make([]byte, 0, len(body))
	var open []atom.Atom
	dropped := map[atom.Atom]int{}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		raw := z.Raw()
		switch tt {
		case html.StartTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case isVoid(a):
			case len(open) < flattenDepth:
				open = append(open, a)
			case keepDeep(a):
			default:
				dropped[a]++
				continue
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if i := lastIndex(open, a); i >= 0 {
				open = open[:i]
			} else if dropped[a] > 0 {
				dropped[a]--
				continue
			}
		}
		out = append(out, raw...)
	}
}

func lastIndex(open []atom.Atom, a atom.Atom) int {
	for i := len(open) - 1; i >= 0; i-- {
		if open[i] == a {
			return i
		}
	}
	return -1
}

// keepDeep are the elements kept however deep they are: what links and page
// facts are made of. They do not nest (the parser closes an <a> before the
// next), so keeping them adds no depth.
func keepDeep(a atom.Atom) bool {
	switch a {
	case atom.A, atom.Area, atom.Title, atom.Base, atom.Meta, atom.Link:
		return true
	}
	return false
}

func isVoid(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input,
		atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}
