package extract

import (
	"bytes"
	"io"

	lexer "github.com/tdewolff/parse/v2/html"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// runFast scans text with the lexer of fastTree, making the calls on s
// that run makes with x/net/html's tokenizer, in two thirds of the time
// (BenchmarkScanHuge; a huge page's scan was mostly that tokenizer's). It reports false, with s
// spent, for a page the two could read differently (see tokens), which
// must then be scanned by run from the start. Inline <svg> and <math>,
// which the lexer hands over whole, are read by x/net/html's tokenizer.
func (s *scanner) runFast(text []byte) bool {
	z, ok := newTokens(text)
	if !ok {
		return false
	}
	z.reuse = true // s.start keeps no attribute
	for {
		tt, data := z.lex.Next()
		switch tt {
		case lexer.ErrorToken:
			if z.lex.Err() != io.EOF {
				return false
			}
			s.finish()
			return true
		case lexer.TextToken:
			if !plainText(data) {
				return false
			}
			s.text(html.UnescapeString(string(data)))
		case lexer.CommentToken:
			if _, ok := commentText(data); !ok {
				return false
			}
		case lexer.DoctypeToken:
			if !bytes.HasSuffix(data, []byte(">")) {
				return false
			}
		case lexer.StartTagToken:
			t, ok := z.startTag()
			if !ok {
				return false
			}
			s.start(s.tokenOf(t), t.selfClose)
			if rawElement(t.a) {
				if t.selfClose {
					return false // raw to x/net/html's tokenizer all the same
				}
				text, ok := z.rawContent(t)
				if !ok {
					return false
				}
				if text != "" {
					s.text(text)
				}
				s.end(t.a, t.name)
			}
		case lexer.EndTagToken:
			t, ok := z.endTag(data)
			if !ok {
				return false
			}
			s.end(t.a, t.name)
		case lexer.SVGToken, lexer.MathToken:
			if !s.island(z.whole(data)) {
				return false
			}
		default:
			return false
		}
	}
}

// rawElement reports whether x/net/html's tokenizer reads the text after
// a's start tag raw, up to its end tag.
func rawElement(a atom.Atom) bool {
	switch a {
	case atom.Iframe, atom.Noembed, atom.Noframes, atom.Noscript, atom.Plaintext, atom.Script, atom.Style, atom.Textarea, atom.Title, atom.Xmp:
		return true
	}
	return false
}

// tokenOf is t as s.token would make it.
func (s *scanner) tokenOf(t token) *html.Token {
	tok := &s.tok
	tok.Type, tok.DataAtom, tok.Data, tok.Attr = html.StartTagToken, t.a, t.name, t.attr
	return tok
}

// island feeds the scanner an <svg> or <math> element, start tag to end
// tag, read by x/net/html's tokenizer, which reads it as it would in the
// page when its last token is the element's end tag, ending raw.
func (s *scanner) island(raw []byte) bool {
	if !bytes.HasSuffix(raw, []byte(">")) {
		return false
	}
	z := html.NewTokenizer(bytes.NewReader(raw))
	ended := false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return ended && z.Err() == io.EOF
		}
		// Raw, before feed reads the tag name (which it reads only once).
		r := z.Raw()
		ended = tt == html.EndTagToken && (bytes.EqualFold(r, []byte("</svg>")) || bytes.EqualFold(r, []byte("</math>")))
		s.feed(z, tt)
	}
}
