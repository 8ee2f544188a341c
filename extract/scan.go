package extract

import (
	"bytes"
	"errors"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxScanDepth bounds the open-element stack of Scan: deeper elements are
// read as if they were empty (their text still counts), so that a page of
// a million unclosed tags costs no more than a page of nested ones.
const maxScanDepth = 1024

// Extracted is what Extract finds in a parsed page and Scan in a page's
// tokens: its facts, rich facts and links as Facts, Rich, Links and
// UnfollowedLinks give them.
type Extracted struct {
	Page       Page
	Rich       RichFacts
	Links      []Link
	Unfollowed []Unfollowed
}

// Scan extracts a page's facts, rich facts and links in one pass of the
// HTML tokenizer over body, holding no tree: memory is the body and what is
// found, where a parsed tree costs about ten times the body (a 10 MB page
// with 790,000 elements allocated 114 MB). It is the path for huge pages.
//
// Everything means what it means on a Doc, with these differences, where a
// tokenizer cannot know what a tree builder knows:
//   - elements are matched by their end tags and the tree builder's implied
//     ends are not applied, so a stray end tag ends nothing and a missing one
//     ends with its parent;
//   - <base href> applies to the links after it (it is in <head>, before
//     them, on every sane page);
//   - MainText is the text of the first <main> (or role=main) when it has
//     any, else of the whole body, leaving out what MainText leaves out by
//     tag, role and hidden attributes, but without the density heuristic and
//     class-name rules, which need the tree.
//
// hrefs, when not nil, is the cache its hrefs are resolved through (see
// Doc.UseHrefCache).
func Scan(body []byte, contentType string, pageURL *url.URL, hrefs *HrefCache) (*Extracted, error) {
	if pageURL == nil {
		return nil, errors.New("extract: scan: nil page URL")
	}
	text, name := DecodeHTML(body, contentType)
	if s := newScanner(name, pageURL, hrefs); s.runFast(text) {
		return s.out, nil
	}
	s := newScanner(name, pageURL, hrefs)
	s.run(html.NewTokenizer(bytes.NewReader(text)))
	return s.out, nil
}

func newScanner(charset string, pageURL *url.URL, hrefs *HrefCache) *scanner {
	s := &scanner{
		d:       &Doc{URL: pageURL, Base: pageURL, Charset: charset},
		out:     &Extracted{Page: Page{Charset: charset}},
		heading: collapser{limit: maxHeadingText},
		anchor:  collapser{limit: maxLinkText},
	}
	if hrefs != nil {
		s.d.UseHrefCache(hrefs)
	}
	return s
}

// open is one element on the scanner's stack, with what it implies for the
// text inside it.
type open struct {
	a      atom.Atom
	name   string // for elements without an atom
	skip   bool   // boilerplate or hidden: not main text
	inert  bool   // template, svg, math: not part of the HTML document
	isMain bool
}

type scanner struct {
	d   *Doc
	out *Extracted

	unfollowed unfollowedSet

	stack    []open
	skip     int // open elements with skip set
	inert    int
	inMain   int
	mainSeen bool // a first <main> has ended: later ones are not it
	inHead   bool
	inBody   bool

	haveTitle, haveDesc, haveBase bool
	robots                        []string
	metaLang                      string

	raw atom.Atom // the raw-text element whose text comes next (title, script)
	ld  bool      // the script is JSON-LD

	headingLevel string // "h1".."h6" while inside a heading
	heading      collapser

	link       *Link // the <a> being read
	anchor     collapser
	anchorAria string
	anchorAlt  string

	main, all paragraphs

	el  html.Node  // see element
	tok html.Token // see token
}

func (s *scanner) run(z *html.Tokenizer) {
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			// io.EOF, or a read error a byte reader cannot have: keep what
			// was found either way.
			s.finish()
			return
		}
		s.feed(z, tt)
	}
}

// feed hands the token z is at to the scanner.
func (s *scanner) feed(z *html.Tokenizer, tt html.TokenType) {
	switch tt {
	case html.TextToken:
		s.text(string(z.Text()))
	case html.StartTagToken, html.SelfClosingTagToken:
		s.start(s.token(z), tt == html.SelfClosingTagToken)
	case html.EndTagToken:
		tn, _ := z.TagName()
		s.end(atom.Lookup(tn), string(tn))
	}
}

// token is the start tag z is at, as z.Token would return it, but in
// s.tok, whose attribute slice serves every tag: growing a new one for
// each tag was a fifth of what Token cost on huge pages. Nothing keeps a
// token's attributes (the strings in them are new).
func (s *scanner) token(z *html.Tokenizer) *html.Token {
	name, more := z.TagName()
	t := &s.tok
	t.Type, t.Attr = html.StartTagToken, t.Attr[:0]
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		t.Attr = append(t.Attr, html.Attribute{Key: atom.String(k), Val: string(v)})
	}
	if a := atom.Lookup(name); a != 0 {
		t.DataAtom, t.Data = a, a.String()
	} else {
		t.DataAtom, t.Data = 0, string(name)
	}
	return t
}

// element makes s.el a detached element of a token, so that the attribute
// helpers of the tree extractors serve the scanner too. It is the same
// element for every tag (none of them keeps it): one allocated a tag was
// a fifth of what scanning a huge page allocated.
func (s *scanner) element(tok *html.Token) *html.Node {
	s.el = html.Node{Type: html.ElementNode, DataAtom: tok.DataAtom, Data: tok.Data, Attr: tok.Attr}
	return &s.el
}

func (s *scanner) start(tok *html.Token, selfClosing bool) {
	a := tok.DataAtom
	if s.inert > 0 {
		s.push(tok, selfClosing, false, true)
		return
	}
	n := s.element(tok)
	switch a {
	case atom.Svg, atom.Math, atom.Template:
		s.push(tok, selfClosing, true, true)
		return
	case atom.Html:
		if v, ok := attr(n, "lang"); ok && s.out.Page.Lang == "" {
			s.out.Page.Lang = strings.TrimSpace(v)
		}
	case atom.Head:
		s.inHead = !s.inBody
	case atom.Body:
		s.inHead, s.inBody = false, true
	case atom.Title:
		if !s.haveTitle {
			s.raw = atom.Title
		}
	case atom.Base:
		if !s.haveBase {
			s.haveBase = true
			if b := baseURL(&html.Node{Type: html.DocumentNode, FirstChild: n, LastChild: n}, s.d.URL); b != nil {
				s.d.Base = b
				if s.d.hrefs != nil {
					s.d.UseHrefCache(s.d.hrefs)
				}
			}
		}
	case atom.Meta:
		s.meta(n)
	case atom.Link:
		s.headLink(n)
	case atom.Script:
		typ, _ := attr(n, "type")
		s.raw, s.ld = atom.Script, isJSONLDType(typ)
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		s.endHeading()
		s.headingLevel = tok.Data
		s.heading.reset()
	case atom.A:
		s.endAnchor()
		if href, ok := attr(n, "href"); ok {
			if u, ok := s.d.resolve(href); !ok {
				s.unfollowed.note(href)
			} else {
				s.link = &Link{URL: u}
				s.link.Rel, s.link.NoFollow = relOf(n)
				s.anchor.reset()
				s.anchorAria, _ = attr(n, "aria-label")
				s.anchorAlt = ""
			}
		}
	case atom.Area:
		if href, ok := attr(n, "href"); ok {
			if u, ok := s.d.resolve(href); !ok {
				s.unfollowed.note(href)
			} else {
				l := Link{URL: u}
				l.Rel, l.NoFollow = relOf(n)
				alt, _ := attr(n, "alt")
				c := collapser{limit: maxLinkText}
				c.write(alt)
				l.Text = c.String()
				s.out.Links = append(s.out.Links, l)
			}
		}
	case atom.Img:
		if s.link != nil && s.anchorAlt == "" {
			s.anchorAlt, _ = attr(n, "alt")
		}
	case atom.Br:
		s.main.flush()
		s.all.flush()
	}
	if a != atom.Head && a != atom.Html && a != atom.Meta && a != atom.Link && a != atom.Title && a != atom.Base &&
		a != atom.Script && a != atom.Style && a != atom.Noscript && s.inHead {
		// Content the parser would move to <body>: the head has ended.
		s.inHead, s.inBody = false, true
	}
	if isBlock(n) {
		s.main.flush()
		s.all.flush()
	}
	var m mainText // for skipByTag: keepHeader off, as outside a landmark
	skip := m.skipByTag(n)
	if !skip && (a == atom.Main || hasToken(n, "role", "main")) && !s.mainSeen && s.inMain == 0 && s.skip == 0 {
		s.pushMain(tok, selfClosing)
		return
	}
	s.push(tok, selfClosing, skip, false)
}

// push opens tok's element unless it has no end tag.
func (s *scanner) push(tok *html.Token, selfClosing, skip, inert bool) {
	if selfClosing || voidElement(tok.DataAtom) || len(s.stack) >= maxScanDepth {
		return
	}
	o := open{a: tok.DataAtom, skip: skip, inert: inert}
	if tok.DataAtom == 0 {
		o.name = tok.Data
	}
	s.stack = append(s.stack, o)
	if skip {
		s.skip++
	}
	if inert {
		s.inert++
	}
}

func (s *scanner) pushMain(tok *html.Token, selfClosing bool) {
	if selfClosing || len(s.stack) >= maxScanDepth {
		return
	}
	s.stack = append(s.stack, open{a: tok.DataAtom, name: tok.Data, isMain: true})
	s.inMain++
}

func (s *scanner) end(a atom.Atom, name string) {
	// Pop to the nearest open element of that name; an end tag with none
	// open ends nothing.
	i := len(s.stack) - 1
	for ; i >= 0; i-- {
		o := s.stack[i]
		if o.a == a && (a != 0 || o.name == name) || o.isMain && o.name == name {
			break
		}
	}
	if i < 0 {
		switch a {
		case atom.Head:
			s.inHead = false
		}
		return
	}
	for j := len(s.stack) - 1; j >= i; j-- {
		s.close(s.stack[j])
	}
	s.stack = s.stack[:i]
}

// close ends what element o implied.
func (s *scanner) close(o open) {
	if o.skip {
		s.skip--
	}
	if o.inert {
		s.inert--
		return
	}
	if o.isMain {
		s.inMain--
		s.mainSeen = true
	}
	switch o.a {
	case atom.Head:
		s.inHead = false
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		s.endHeading()
	case atom.A:
		s.endAnchor()
	case atom.Title, atom.Script:
		s.raw = 0
	}
	if isBlock(&html.Node{Type: html.ElementNode, DataAtom: o.a}) {
		s.main.flush()
		s.all.flush()
	}
}

func (s *scanner) text(t string) {
	if s.inert > 0 {
		return
	}
	switch s.raw {
	case atom.Title:
		s.raw = 0
		s.haveTitle = true
		s.out.Page.Title = collapseSpace(t)
		return
	case atom.Script:
		s.raw = 0
		if s.ld {
			s.out.Rich.JSONLD = appendJSONLD(s.out.Rich.JSONLD, t)
		}
		return
	}
	if top := s.top(); top == atom.Style || top == atom.Script || top == atom.Noscript || top == atom.Textarea {
		return
	}
	if s.headingLevel != "" {
		s.heading.write(t)
	}
	if s.link != nil {
		s.anchor.write(t)
	}
	if s.skip > 0 || !s.inBody && s.inHead {
		return
	}
	if s.inMain > 0 && !s.main.full() {
		s.main.cur.write(t)
	}
	if !s.all.full() {
		s.all.cur.write(t)
	}
}

func (s *scanner) top() atom.Atom {
	if len(s.stack) == 0 {
		return 0
	}
	return s.stack[len(s.stack)-1].a
}

func (s *scanner) endHeading() {
	if s.headingLevel == "" {
		return
	}
	f := &s.out.Rich
	if len(s.heading.buf) > 0 && len(f.Headings[s.headingLevel]) < maxHeadingLevel {
		if f.Headings == nil {
			f.Headings = make(map[string][]string)
		}
		f.Headings[s.headingLevel] = append(f.Headings[s.headingLevel], s.heading.String())
	}
	s.headingLevel = ""
}

func (s *scanner) endAnchor() {
	if s.link == nil {
		return
	}
	if len(s.anchor.buf) == 0 {
		s.anchor.write(s.anchorAria)
	}
	if len(s.anchor.buf) == 0 {
		s.anchor.write(s.anchorAlt)
	}
	s.link.Text = s.anchor.String()
	s.out.Links = append(s.out.Links, *s.link)
	s.link = nil
}

// meta reads the <meta> facts Facts and Rich read.
func (s *scanner) meta(n *html.Node) {
	p := &s.out.Page
	content, _ := attr(n, "content")
	if name, ok := attr(n, "name"); ok {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "description":
			if !s.haveDesc {
				p.Description, s.haveDesc = collapseSpace(content), true
			}
		case "robots", agentToken:
			c := strings.ToLower(strings.TrimSpace(content))
			if c != "" {
				s.robots = append(s.robots, c)
				noindex, nofollow := robotsDirectives(c)
				p.NoIndex = p.NoIndex || noindex
				p.NoFollow = p.NoFollow || nofollow
			}
		}
	} else if eq, ok := attr(n, "http-equiv"); ok && s.metaLang == "" &&
		strings.EqualFold(strings.TrimSpace(eq), "content-language") {
		s.metaLang = strings.TrimSpace(content)
	}
	s.out.Rich.meta(n)
}

// headLink reads <link rel=canonical> and hreflang alternates of <head>.
func (s *scanner) headLink(n *html.Node) {
	if !s.inHead {
		return
	}
	href, _ := attr(n, "href")
	if s.out.Page.Canonical == "" && hasToken(n, "rel", "canonical") {
		s.out.Page.Canonical, _ = s.d.resolve(href)
	}
	if hasToken(n, "rel", "alternate") {
		lang, ok := attr(n, "hreflang")
		if u, resolved := s.d.resolve(href); ok && resolved && strings.TrimSpace(lang) != "" {
			s.out.Rich.Hreflang = append(s.out.Rich.Hreflang, Alternate{Lang: strings.TrimSpace(lang), URL: u})
		}
	}
}

func (s *scanner) finish() {
	s.endHeading()
	s.endAnchor()
	s.out.Unfollowed = s.unfollowed.out
	p := &s.out.Page
	if p.Lang == "" {
		p.Lang = s.metaLang
	}
	p.Robots = strings.Join(s.robots, ", ")
	s.main.flush()
	s.all.flush()
	text := s.main.String()
	if text == "" {
		text = s.all.String()
	}
	s.out.Rich.MainText = text
	s.out.Rich.WordCount = CountWords(text)
}

// relOf returns an <a> or <area>'s rel, normalised as Links does, and
// whether it holds nofollow.
func relOf(n *html.Node) (string, bool) {
	rel, ok := attr(n, "rel")
	if !ok {
		return "", false
	}
	rel = strings.Join(strings.Fields(strings.ToLower(rel)), " ")
	for f := range strings.FieldsSeq(rel) {
		if f == "nofollow" {
			return rel, true
		}
	}
	return rel, false
}

// voidElement reports whether a has no end tag (HTML's void elements).
func voidElement(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input,
		atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}
