package extract

import (
	"bytes"
	"strings"

	"github.com/tdewolff/parse/v2"
	lexer "github.com/tdewolff/parse/v2/html"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// tokens reads a page with tdewolff/parse's lexer, which slices its input
// where x/net/html's tokenizer copies, for fastTree and the fast path of
// Scan. What it hands over is what x/net/html's tokenizer would: where the
// two could read the input differently its methods say so (ok false), and
// the page must be read by x/net/html instead.
type tokens struct {
	input []byte
	in    *parse.Input // the lexer's copy of input
	lex   *lexer.Lexer
	attrs []html.Attribute
	// reuse: each tag's attributes are read into the same slice, good
	// until the next tag (the scanner's way); else they stay (the tree's).
	reuse bool
}

// newTokens is a reader of text, or false for a page with a carriage
// return or a NUL, which x/net/html turns into other text than the lexer
// hands over.
func newTokens(text []byte) (*tokens, bool) {
	if bytes.IndexByte(text, '\r') >= 0 || bytes.IndexByte(text, 0) >= 0 {
		return nil, false
	}
	// The lexer lower-cases tag and attribute names in place, and wants a
	// byte to spare for its terminating NUL.
	buf := make([]byte, len(text), len(text)+1)
	copy(buf, text)
	in := parse.NewInputBytes(buf)
	return &tokens{input: text, in: in, lex: lexer.NewLexer(in)}, true
}

// token is one start or end tag.
type token struct {
	end       bool
	a         atom.Atom
	name      string
	attr      []html.Attribute
	selfClose bool
}

// plainText reports whether html.Parse reads a text token's bytes as the
// lexer does: "</>" it drops, and "<![CDATA[" is a comment to it.
func plainText(data []byte) bool {
	return !bytes.Contains(data, []byte("</")) && !bytes.HasPrefix(data, []byte("<!"))
}

// endTag is the end tag the lexer is at, or false when its name or end is
// not what x/net/html would read.
func (z *tokens) endTag(data []byte) (token, bool) {
	name := z.lex.Text()
	if !validName(name) || !bytes.HasSuffix(data, []byte(">")) {
		return token{}, false
	}
	return token{end: true, a: atom.Lookup(name), name: string(name)}, true
}

// rawContent reads the text of raw-text (or RCDATA) element t, whose start
// tag was the last token, and its end tag, which must be there: the text
// as x/net/html's tokenizer gives it.
func (z *tokens) rawContent(t token) (string, bool) {
	switch t.a {
	case atom.Script, atom.Style, atom.Title, atom.Textarea, atom.Xmp, atom.Iframe:
		// The lexer reads these raw itself.
		s := ""
		tt, data := z.lex.Next()
		if tt == lexer.TextToken {
			if t.a == atom.Script && bytes.Contains(data, []byte("<!--")) && bytes.Contains(bytes.ToLower(data), []byte("<script")) {
				// "<!--" and then "<script": the double-escaped state, in
				// which "</script>" ends nothing. Without the second, both
				// tokenizers end the script at its first "</script>".
				return "", false
			}
			s = string(data)
			if t.a == atom.Title || t.a == atom.Textarea {
				s = html.UnescapeString(s)
			}
			tt, data = z.lex.Next()
		}
		return s, tt == lexer.EndTagToken && string(z.lex.Text()) == t.name && bytes.HasSuffix(data, []byte(">"))
	case atom.Noscript, atom.Noembed, atom.Noframes:
	default:
		return "", false
	}
	// noscript, noembed and noframes are raw text to x/net/html but not to
	// the lexer: their text is the input up to their end tag, which must be
	// the first one.
	start := z.in.Offset() // just after the start tag
	for {
		tt, data := z.lex.Next()
		switch tt {
		case lexer.ErrorToken:
			return "", false
		case lexer.EndTagToken:
			if string(z.lex.Text()) != t.name {
				continue
			}
			if !bytes.HasSuffix(data, []byte(">")) {
				return "", false
			}
			raw := z.input[start : z.in.Offset()-len(data)]
			if bytes.Contains(bytes.ToLower(raw), []byte("</"+t.name)) {
				return "", false
			}
			return string(raw), true
		}
	}
}

// whole is the input of the token the lexer handed over last, as it was
// before the lexer lower-cased it.
func (z *tokens) whole(data []byte) []byte {
	end := z.in.Offset()
	return z.input[end-len(data) : end]
}

// startTag reads a start tag's name and attributes.
func (z *tokens) startTag() (token, bool) {
	if z.reuse {
		z.attrs = z.attrs[:0]
	}
	name := z.lex.Text()
	if !validName(name) {
		return token{}, false
	}
	t := token{a: atom.Lookup(name)}
	if t.a != 0 {
		t.name = t.a.String()
	} else {
		t.name = string(name)
	}
	start := len(z.attrs)
	for {
		tt, _ := z.lex.Next()
		switch tt {
		case lexer.AttributeToken:
			key, raw := z.lex.AttrKey(), z.lex.AttrVal()
			if !validName(key) || len(z.attrs)-start >= 64 { // 64: spares the quadratic check below
				return token{}, false
			}
			val, ok := attrValue(raw)
			if !ok {
				return token{}, false
			}
			k := atom.String(key)
			for _, a := range z.attrs[start:] {
				if a.Key == k {
					return token{}, false // duplicates: not worth knowing which tokenizer keeps what
				}
			}
			if len(z.attrs) == cap(z.attrs) {
				// A new chunk, and this tag's attributes moved to it: the
				// earlier tags keep theirs where they are, so nothing is
				// copied twice (growing one slice by append copied each
				// attribute about twice, and kept every old array alive).
				chunk := make([]html.Attribute, len(z.attrs)-start, max(256, 2*(len(z.attrs)-start)))
				copy(chunk, z.attrs[start:])
				z.attrs, start = chunk, 0
			}
			z.attrs = append(z.attrs, html.Attribute{Key: k, Val: val})
		case lexer.StartTagVoidToken, lexer.StartTagCloseToken:
			t.selfClose = tt == lexer.StartTagVoidToken
			if len(z.attrs) > start {
				// Chunks shared by the page's elements; each element's
				// slice is capped so that appending to it copies.
				t.attr = z.attrs[start:len(z.attrs):len(z.attrs)]
			}
			return t, true
		default:
			return token{}, false // end of input inside the tag
		}
	}
}

// validName is a tag or attribute name both tokenizers read the same way.
func validName(s []byte) bool {
	if len(s) == 0 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == ':' || c == '.') {
			return false
		}
	}
	return true
}

// attrValue is an attribute's value as html.Parse gives it.
func attrValue(raw []byte) (string, bool) {
	if len(raw) == 0 {
		return "", true
	}
	if q := raw[0]; q == '"' || q == '\'' {
		if len(raw) < 2 || raw[len(raw)-1] != q {
			return "", false
		}
		raw = raw[1 : len(raw)-1]
	} else if bytes.ContainsAny(raw, "\"'<=`") {
		return "", false
	}
	if bytes.IndexByte(raw, '&') < 0 {
		return string(raw), true
	}
	// In attributes html.Parse leaves some entities without a semicolon
	// alone that it decodes in text: only the ones that end with one are
	// decoded alike.
	for i := bytes.IndexByte(raw, '&'); i >= 0; {
		j := i + 1
		for j < len(raw) && (isAlnum(raw[j]) || raw[j] == '#') {
			j++
		}
		if j == len(raw) || raw[j] != ';' {
			if j > i+1 {
				return "", false
			}
		} else if !knownEntity(raw[i : j+1]) {
			return "", false
		}
		k := bytes.IndexByte(raw[j:], '&')
		if k < 0 {
			break
		}
		i = j + k
	}
	return html.UnescapeString(string(raw)), true
}

// knownEntity reports whether html decodes the whole reference e ("&...;"),
// semicolon and all, not a prefix of it.
func knownEntity(e []byte) bool {
	return !strings.HasSuffix(html.UnescapeString(string(e)), ";")
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// commentText is the text of a comment, not yet decoded (html.Parse
// decodes its references as in text), or false for comments that the two
// tokenizers could end differently (and bogus ones, but for <?...>).
func commentText(raw []byte) ([]byte, bool) {
	if bytes.HasPrefix(raw, []byte("<?")) {
		if !bytes.HasSuffix(raw, []byte(">")) {
			return nil, false
		}
		return raw[1 : len(raw)-1], true
	}
	if len(raw) < 7 || !bytes.HasPrefix(raw, []byte("<!--")) || !bytes.HasSuffix(raw, []byte("-->")) {
		return nil, false
	}
	c := raw[4 : len(raw)-3]
	if bytes.HasPrefix(c, []byte(">")) || bytes.HasPrefix(c, []byte("->")) || bytes.HasSuffix(c, []byte("-")) ||
		bytes.Contains(c, []byte("--!>")) {
		return nil, false
	}
	return c, true
}
