package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Thresholds of the text-density heuristic (lengths in non-space
// characters), after readability's, which were tuned on real pages.
const (
	minParagraph    = 25   // shorter blocks say nothing about where the content is
	minSiblingText  = 80   // a sibling paragraph this long joins the main block ...
	maxLinkDensity  = 0.5  // containers with more link text than this are navigation
	siblingShare    = 0.2  // a sibling block scoring this share of the best joins it
	maxSiblingLinks = 0.25 // ... if at most this share of it is link text
	minSiblingScore = 10   // and never less than this
	// A <main> or <article> is the content unless the densest block outside
	// it has more than 1/minLandmarkShare times its non-link text.
	minLandmarkShare = 0.5
	// An article split in parts is taken whole when minSplitParts other
	// blocks score at least splitShare of the best and share an ancestor.
	minSplitParts = 1
	splitShare    = 0.5
)

// A heading is taken for the page's title only with at least minTitleWords
// words or more than minTitleRunes characters (scripts without spaces): a
// shorter one ("New bridge") may just share words with it.
const (
	minTitleWords = 3
	minTitleRunes = 16
)

// maxMainTextRunes bounds the main text of one page, which is stored with
// every fetch: a book-length page keeps its first million characters.
const maxMainTextRunes = 1 << 20

// MainText returns the readable main content of a page, the way reader
// modes find it, as plain text: paragraphs separated by a blank line ("\n\n"),
// white space inside them collapsed.
//
// Boilerplate is left out wherever it is: nav, header, footer, aside,
// script, style, noscript, template, dialog, svg, form controls and the
// like; elements hidden with the hidden attribute, aria-hidden or an inline
// display:none; ARIA landmarks other than main (navigation, banner,
// contentinfo, complementary, search); and elements whose class or id has
// a word like nav, menu, footer, header, sidebar, banner, ad, share or
// social, unless it also has one like content, main, article or post. A
// name never drops an element that holds the <main> or half the text of
// the page: that is a wrapper named for its layout ("container
// has-sidebar"), and its boilerplate parts go by their own. A <form> is
// dropped on the same terms: an ASP.NET page holds its whole body in one.
// Comments, cookie banners, related, recommended, popular and trending
// posts are dropped whatever other words they have and however much text
// they hold, unless they hold the page's <main>, <article> or <h1>. A
// <header> that holds a heading inside the chosen <main> or <article> is
// kept: that is the article's title, not the site's banner. But an h1 or
// h2 that repeats the page's <title> (or all of it but the site's name) is
// left out, as article extractors leave the title out of the text: it is a
// fact of its own.
//
// The content is the first <main> (or role=main) unless it is empty or
// mostly links. Else it is the block with the most paragraph text and
// fewest links: the inline content of a block (text and phrasing elements
// such as <span>s between <br>s, outside its child blocks) is a paragraph
// that gives its length, less its link text, to the block's parent and half
// to its grandparent (beside child blocks, to the block itself and half to
// its parent); list items and headings give nothing, so a list of
// headlines never wins. The best-scoring block (weighted by its share of
// non-link text) wins; when another block, neither inside nor around it,
// scores at least half as well, their nearest common ancestor wins instead
// (an article cut in two by an ad); and siblings that score nearly as well,
// or are long paragraphs, join it. The <article> with the most text
// replaces that choice when it holds it or at least half its non-link
// text; a smaller one is a teaser. Inside the content, lists, tables and
// blocks that are mostly links are left out (related articles, tag clouds,
// tables of contents).
func MainText(d *Doc) string {
	root := d.root()
	if root == nil {
		return ""
	}
	body := findElement(root, atom.Body)
	if body == nil {
		body = root
	}
	m := mainText{body: body, root: root, bodyText: -1}
	m.stats, m.skipped = d.scratch.take()
	defer func() { d.scratch.give(m.stats, m.skipped, m.peak) }()
	lm := m.landmark(body)
	if lm != nil && lm.DataAtom != atom.Article {
		// A <main> needs no comparison with the rest of the page: the
		// common case costs one measure of it.
		m.keepHeader = true
		m.clearStats()
		if st := m.measure(lm, false); usable(st) {
			return m.render([]*html.Node{lm})
		}
		m.keepHeader = false
		lm = nil
	}
	m.clearStats()
	m.measure(body, false)
	roots := m.densest(body)
	if lm != nil && m.trustArticle(lm, roots) {
		// Measured again with the article's own header kept.
		m.clearStats()
		m.keepHeader = true
		m.measure(lm, false)
		return m.render([]*html.Node{lm})
	}
	return m.render(roots)
}

// Scratch is the memory MainText works in, kept from page to page: the
// statistics and answers it holds for a page's elements. Made anew for
// each page, they were three quarters of what MainText allocated
// (BenchmarkDocs/MainText: 20.2 MB for 750 pages, 4.8 MB with a Scratch).
// A Scratch serves one Doc at a time; see Doc.UseScratch.
type Scratch struct {
	stats   map[*html.Node]textStat
	skipped map[*html.Node]bool
	// links is the array Extract's links were last appended to: grown
	// by doubling for each page, those were 3% of what a crawl of the
	// documentation sites allocated.
	links []Link
}

// maxScratch bounds the maps a Scratch keeps after a page: a larger
// page's are dropped, so that one huge page leaves no memory behind and
// clearing the maps for the next page stays cheap.
const maxScratch = 4096

// take returns s's maps, empty, or new ones when s has none (or is nil).
func (s *Scratch) take() (map[*html.Node]textStat, map[*html.Node]bool) {
	if s == nil || s.stats == nil {
		return make(map[*html.Node]textStat, 64), make(map[*html.Node]bool, 16)
	}
	stats, skipped := s.stats, s.skipped
	s.stats, s.skipped = nil, nil
	return stats, skipped
}

// give keeps stats and skipped, emptied, for the next page, unless they
// grew past maxScratch (peak is the most stats held at once). Emptied,
// they hold no pointer into the page's tree.
func (s *Scratch) give(stats map[*html.Node]textStat, skipped map[*html.Node]bool, peak int) {
	if s == nil || max(peak, len(stats)) > maxScratch || len(skipped) > maxScratch {
		return
	}
	clear(stats)
	clear(skipped)
	s.stats, s.skipped = stats, skipped
}

// maxScratchLinks bounds the links array a Scratch keeps: a crawl keeps a
// Scratch for each page it extracts at once, and pages of thousands of
// links are few enough to grow an array of their own.
const maxScratchLinks = 4096

// takeLinks returns the links array of s, emptied, or nil. It clears the
// links of the page before unless Release already has (a Scratch of a
// benchmark or test that is never released).
func (s *Scratch) takeLinks() []Link {
	if s == nil {
		return nil
	}
	clear(s.links)
	return s.links[:0]
}

// Release drops what the last page left in s, its links, once they have
// been read: a Scratch kept between pages (a crawler keeps one for each
// page it extracts at once) must hold no page's strings, or a crawl's
// memory would grow by that many pages' links (peak RSS 137 to 171 MB on
// the documentation crawl of bench real).
func (s *Scratch) Release() {
	if s != nil {
		clear(s.links)
		s.links = s.links[:0]
	}
}

// keepLinks keeps links and their array for the next page, unless it is
// larger than maxScratchLinks.
func (s *Scratch) keepLinks(links []Link) {
	if s == nil {
		return
	}
	s.links = nil
	if cap(links) <= maxScratchLinks {
		s.links = links
	}
}

// usable reports whether a landmark with these statistics can be the
// content: it is neither empty nor mostly links (a <main> left for a
// script to fill, an <article> that is a list of links).
func usable(st textStat) bool {
	return st.text > st.link && st.linkDensity() <= maxLinkDensity
}

// trustArticle reports whether the <article> a, not the densest blocks
// roots, is the content: it is usable and holds the densest block or at
// least minLandmarkShare of their non-link text; else it may be the teaser
// of a related post.
func (m *mainText) trustArticle(a *html.Node, roots []*html.Node) bool {
	st := m.stats[a]
	if !usable(st) {
		return false
	}
	dense := 0
	for _, r := range roots {
		if contains(a, r) {
			return true
		}
		rs := m.stats[r]
		dense += rs.text - rs.link
	}
	return float64(st.text-st.link) >= minLandmarkShare*float64(dense)
}

// contains reports whether n is a or an ancestor of it.
func contains(a, n *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == a {
			return true
		}
	}
	return false
}

// textStat counts the non-space characters under an element, all of them
// and those inside links; and those of its inline content (text and
// phrasing elements that are its own children, not inside a child block),
// which is the element's own paragraph when it holds no blocks, and an
// anonymous paragraph of it when it does.
type textStat struct {
	text, link             int
	inlineText, inlineLink int
	hasBlock               bool // a child element is a block
	blockUnder             bool // a descendant is a block
}

// linkDensity is the share of the text that is link text.
func (s textStat) linkDensity() float64 {
	if s.text == 0 {
		return 0
	}
	return float64(s.link) / float64(s.text)
}

// ownInline is the non-link text of the element's inline content.
func (s textStat) ownInline() int { return s.inlineText - s.inlineLink }

// mainText holds the state of one MainText call.
type mainText struct {
	body       *html.Node
	stats      map[*html.Node]textStat // of every block measured and every element holding one, boilerplate excluded
	skipped    map[*html.Node]bool     // skip's answers for elements with attributes, <header> excepted
	root       *html.Node              // of the document
	title      *string                 // the words of its <title> (see titleWords); nil until needed
	sawH1      bool                    // isTitle has looked at an h1
	sawH2      bool                    // and at an h2
	bodyText   int                     // text of body, class and id names not considered; -1 until needed
	keepHeader bool                    // inside a landmark: keep <header> with a heading
	peak       int                     // the most stats held at once (see Scratch.give)
}

// clearStats empties m.stats for another measure.
func (m *mainText) clearStats() {
	m.peak = max(m.peak, len(m.stats))
	clear(m.stats)
}

// landmark returns the first <main> (or role=main) element, else the
// <article> with the most text, else nil; boilerplate is not searched.
func (m *mainText) landmark(body *html.Node) *html.Node {
	var main *html.Node
	var articles []*html.Node
	walk(body, func(n *html.Node) bool {
		if main != nil || n.Type != html.ElementNode {
			return main == nil
		}
		if n != body && m.skip(n) {
			return false
		}
		if n.DataAtom == atom.Main || hasToken(n, "role", "main") {
			main = n
			return false
		}
		if n.DataAtom == atom.Article {
			articles = append(articles, n)
			return false // a nested article is part of this one
		}
		return true
	})
	if main != nil {
		return main
	}
	var best *html.Node
	bestText := 0
	m.keepHeader = true
	for _, a := range articles {
		if t := m.measure(a, false).text; t > bestText {
			best, bestText = a, t
		}
	}
	m.keepHeader = false
	return best
}

// measure records the text statistics of n and every element under it that
// is not boilerplate, and returns n's.
func (m *mainText) measure(n *html.Node, inLink bool) textStat {
	var s textStat
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			k := countNonSpace(c.Data)
			s.text += k
			s.inlineText += k
			if inLink {
				s.link += k
				s.inlineLink += k
			}
		case html.ElementNode:
			if m.skip(c) {
				continue
			}
			cs := m.measure(c, inLink || c.DataAtom == atom.A)
			s.text += cs.text
			s.link += cs.link
			if isBlock(c) {
				s.hasBlock, s.blockUnder = true, true
			} else {
				s.inlineText += cs.text
				s.inlineLink += cs.link
				s.blockUnder = s.blockUnder || cs.blockUnder
			}
		}
	}
	// Only blocks and what holds them are looked up again: what is scored
	// (a block, its parent and grandparent), rendered as a paragraph or
	// judged for its links is one of them. Most elements are phrasing
	// (spans, links, code), and a memo of all of them cost more than
	// measuring them.
	if s.blockUnder || isBlock(n) {
		m.stats[n] = s
	}
	return s
}

// densest returns the block(s) of body with the most text and fewest links,
// in document order; body itself when there are no paragraphs to go by.
// body must have been measured.
func (m *mainText) densest(body *html.Node) []*html.Node {
	scores := make(map[*html.Node]float64)
	var order []*html.Node // scored blocks in a deterministic order, for ties
	add := func(n *html.Node, v float64) {
		if n == nil || n.Type != html.ElementNode {
			return
		}
		if _, ok := scores[n]; !ok {
			order = append(order, n)
		}
		scores[n] += v
	}
	walk(body, func(n *html.Node) bool {
		if n == body {
			return true // may be the document node, on a frameset page
		}
		if n.Type != html.ElementNode || m.skip(n) {
			return false
		}
		if st := m.stats[n]; scoresText(n) && st.ownInline() >= minParagraph {
			own := float64(st.ownInline())
			if st.hasBlock {
				// Text beside blocks, as in <div>text<br>text<div>..</div></div>:
				// an anonymous paragraph of n.
				add(n, own)
				add(n.Parent, own/2)
			} else {
				add(n.Parent, own)
				if n.Parent != body {
					add(n.Parent.Parent, own/2)
				}
			}
		}
		return true
	})
	final := func(n *html.Node) float64 { return scores[n] * (1 - m.stats[n].linkDensity()) }
	var top *html.Node
	topScore := 0.0
	for _, n := range order {
		if s := final(n); s > topScore {
			top, topScore = n, s
		}
	}
	if top == nil || top == body || top.Parent == nil {
		return []*html.Node{body}
	}
	top = splitArticle(top, body, order, final, topScore)
	if top == body || top.Parent == nil {
		return []*html.Node{body}
	}
	threshold := max(minSiblingScore, siblingShare*topScore)
	var roots []*html.Node
	for c := top.Parent.FirstChild; c != nil; c = c.NextSibling {
		if c == top {
			roots = append(roots, c)
			continue
		}
		if c.Type != html.ElementNode || m.skip(c) {
			continue
		}
		st := m.stats[c]
		switch {
		case final(c) >= threshold:
			roots = append(roots, c)
		case scoresText(c) && !st.hasBlock && st.ownInline() >= minSiblingText && st.linkDensity() < maxSiblingLinks:
			roots = append(roots, c)
		}
	}
	return roots
}

// splitArticle returns the nearest ancestor of top, below body, that also
// holds minSplitParts other blocks scoring nearly as well as top (at least
// splitShare of its score): an article whose parts a sidebar or an ad
// separates. It returns top when there is none.
func splitArticle(top, body *html.Node, order []*html.Node, final func(*html.Node) float64, topScore float64) *html.Node {
	var alts []*html.Node
	for _, n := range order {
		if n != top && final(n) >= splitShare*topScore && !contains(n, top) && !contains(top, n) {
			alts = append(alts, n)
		}
	}
	if len(alts) < minSplitParts {
		return top
	}
	for a := top.Parent; a != nil && a != body; a = a.Parent {
		k := 0
		for _, n := range alts {
			if contains(a, n) {
				k++
			}
		}
		if k >= minSplitParts {
			return a
		}
	}
	return top
}

// scoresText reports whether the inline text of block n is running text
// that says where the content is: that of paragraphs, quotations,
// preformatted blocks, cells and generic blocks (pages that never use
// <p>, or set their text in spans between <br>s). The text of list items,
// headings and the like is not: a list of headlines with teasers must not
// outscore the article.
func scoresText(n *html.Node) bool {
	switch n.DataAtom {
	case atom.P, atom.Pre, atom.Blockquote, atom.Td, atom.Div, atom.Section, atom.Article,
		atom.Main, atom.Form:
		return true
	}
	return false
}

// render writes the text of roots as paragraphs.
func (m *mainText) render(roots []*html.Node) string {
	var r paragraphs
	r.flush() // sets the limit
	size := 0
	for _, n := range roots {
		size += m.stats[n].text
	}
	r.b.Grow(size + size/4) // the spaces and paragraph breaks
	for _, n := range roots {
		r.flush()
		m.renderNode(&r, n)
	}
	r.flush()
	return r.String()
}

// renderNode writes the text under n, starting a new paragraph at every
// block and <br>, leaving out boilerplate and link-heavy containers.
func (m *mainText) renderNode(r *paragraphs, n *html.Node) {
	for c := n.FirstChild; c != nil && !r.full(); c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			r.cur.write(c.Data)
		case html.ElementNode:
			if m.skip(c) {
				continue
			}
			if c.DataAtom == atom.Br {
				r.flush()
				continue
			}
			if !isBlock(c) {
				m.renderNode(r, c)
				continue
			}
			if m.linkHeavy(c) || m.isTitle(c) {
				continue
			}
			r.flush()
			m.renderNode(r, c)
			r.flush()
		}
	}
}

// isTitle reports whether n is the first h1 or h2 and repeats the page's
// <title> (or is all of it but the site's name, "Headline | Site"): the
// title is a fact of its own, and article extractors leave it out of the
// text.
func (m *mainText) isTitle(n *html.Node) bool {
	// The headline is the first heading of its level: only the first h1
	// and the first h2 are compared, which keeps the cost per page fixed.
	switch {
	case n.DataAtom == atom.H1 && !m.sawH1:
		m.sawH1 = true
	case n.DataAtom == atom.H2 && !m.sawH2:
		m.sawH2 = true
	default:
		return false
	}
	if m.title == nil {
		t := ""
		if te := findElement(m.root, atom.Title); te != nil {
			t = titleWords(te)
		}
		m.title = &t
	}
	if *m.title == "" {
		return false
	}
	h := titleWords(n)
	long := strings.Count(h, " ") > minTitleWords || utf8.RuneCountInString(h) > minTitleRunes
	return long && strings.Contains(*m.title, h)
}

// titleWords returns the words of the text under n, lower-case, each
// between spaces (" a b "), so that a contiguous run of words is a
// substring. One allocation: it runs on every page.
func titleWords(n *html.Node) string {
	size := 0
	walk(n, func(c *html.Node) bool {
		size += len(c.Data)
		return true
	})
	b := make([]byte, 1, size+2)
	b[0] = ' '
	walk(n, func(c *html.Node) bool {
		if c.Type != html.TextNode {
			return true
		}
		for _, r := range c.Data {
			switch {
			case unicode.IsLetter(r) || unicode.IsNumber(r):
				b = utf8.AppendRune(b, unicode.ToLower(r))
			case b[len(b)-1] != ' ':
				b = append(b, ' ')
			}
		}
		return true
	})
	return string(b)
}

// linkHeavy reports whether n is a container of mostly links: a list, table
// or generic block whose text is more than half link text.
func (m *mainText) linkHeavy(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Ul, atom.Ol, atom.Dl, atom.Table, atom.Div, atom.Section:
	default:
		return false
	}
	st, ok := m.stats[n]
	return ok && st.text > 0 && st.linkDensity() > maxLinkDensity
}

// skip reports whether element n is boilerplate or hidden (see MainText).
func (m *mainText) skip(n *html.Node) bool {
	if n.DataAtom == atom.Header || len(n.Attr) == 0 {
		// A <header>'s answer depends on keepHeader; without attributes
		// the answer is a switch on the tag, cheaper than the memo.
		return m.skipUncached(n)
	}
	if v, ok := m.skipped[n]; ok {
		return v
	}
	v := m.skipUncached(n)
	m.skipped[n] = v
	return v
}

// skipUncached is skip without the memo: each element is looked at by the
// landmark search, the measure, the scoring and the rendering.
func (m *mainText) skipUncached(n *html.Node) bool {
	if m.skipByTag(n) {
		return true
	}
	switch n.DataAtom {
	case atom.Html, atom.Body, atom.Main, atom.Article:
		return false // never dropped for their class names
	}
	kind := boilerplateName(n)
	if n.DataAtom != atom.Form && kind == notBoilerplate {
		return false
	}
	if kind == alwaysBoilerplate {
		// Comments and related posts often outweigh the article: only
		// holding the page's <main>, <article> or <h1> makes them a
		// wrapper.
		return !holdsMain(n) && findElement(n, atom.Article) == nil && findElement(n, atom.H1) == nil
	}
	// A wrapper named for its layout ("container has-sidebar") may hold the
	// whole page: a name never drops the <main>, or half the page's text.
	// Nor does being a <form>: ASP.NET pages put the whole body in one.
	// The counts are taken without regard to names, and only now: most
	// elements have no boilerplate name.
	if m.bodyText < 0 {
		m.bodyText = m.unnamedText(m.body)
	}
	return 2*m.unnamedText(n) < m.bodyText && !holdsMain(n)
}

// unnamedText counts the text under n that skip would keep if it did not
// look at class and id names.
func (m *mainText) unnamedText(n *html.Node) int {
	k := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			k += countNonSpace(c.Data)
		case html.ElementNode:
			if !m.skipByTag(c) {
				k += m.unnamedText(c)
			}
		}
	}
	return k
}

// holdsMain reports whether there is a <main> under n.
func holdsMain(n *html.Node) bool {
	return findElement(n, atom.Main) != nil
}

// skipByTag reports whether element n is boilerplate by its tag or ARIA
// role, or hidden: everything skip checks but class and id names.
func (m *mainText) skipByTag(n *html.Node) bool {
	if n.Namespace != "" {
		return true // svg, math: icons and formulas, not prose
	}
	switch n.DataAtom {
	case atom.Nav, atom.Footer, atom.Aside, atom.Script, atom.Style, atom.Noscript,
		atom.Template, atom.Dialog, atom.Iframe, atom.Object, atom.Embed,
		atom.Canvas, atom.Audio, atom.Video, atom.Button, atom.Select, atom.Textarea,
		atom.Input, atom.Label, atom.Menu, atom.Head, atom.Title:
		return true
	case atom.Header:
		if !m.keepHeader || !hasHeading(n) {
			return true
		}
	}
	if hidden(n) {
		return true
	}
	if role, ok := attr(n, "role"); ok {
		switch strings.ToLower(strings.TrimSpace(role)) {
		case "navigation", "banner", "contentinfo", "complementary", "search",
			"dialog", "alertdialog", "menu", "menubar":
			return true
		}
	}
	return false
}

// hidden reports whether n is not rendered: the hidden attribute,
// aria-hidden="true" or an inline display:none or visibility:hidden.
func hidden(n *html.Node) bool {
	if _, ok := attr(n, "hidden"); ok {
		return true
	}
	if v, ok := attr(n, "aria-hidden"); ok && strings.EqualFold(strings.TrimSpace(v), "true") {
		return true
	}
	if style, ok := attr(n, "style"); ok {
		if !mayHide(style) {
			return false // most inline styles: no need to normalise them
		}
		s := strings.ToLower(strings.Join(strings.Fields(style), ""))
		return strings.Contains(s, "display:none") || strings.Contains(s, "visibility:hidden")
	}
	return false
}

// mayHide reports whether an inline style may hide its element: whether it
// says none or hidden in any of the usual cases.
func mayHide(style string) bool {
	for _, w := range [...]string{"none", "hidden", "NONE", "HIDDEN", "None", "Hidden"} {
		if strings.Contains(style, w) {
			return true
		}
	}
	return false
}

// hasHeading reports whether there is an h1-h6 under n.
func hasHeading(n *html.Node) bool {
	found := false
	walk(n, func(c *html.Node) bool {
		switch c.DataAtom {
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
			found = true
		}
		return !found
	})
	return found
}

// A boilerplateKind says what the class and id of an element name.
type boilerplateKind int

const (
	notBoilerplate    boilerplateKind = iota
	namedBoilerplate                  // nav, footer, ...: unless also named content
	alwaysBoilerplate                 // comments, cookies, related: whatever else it is named
)

// boilerplateName reports whether the class or id of n names a boilerplate
// block. Names are split into words at anything but letters and digits and
// at camelCase humps ("mainNav" is main, nav), and whole words are compared:
// "ad" must not match "header" or "download".
func boilerplateName(n *html.Node) boilerplateKind {
	bad, good, never := false, false, false
	for _, a := range n.Attr {
		if a.Namespace != "" || (a.Key != "class" && a.Key != "id") {
			continue
		}
		for w := range nameWords(a.Val) {
			switch w {
			case "comment", "comments", "cookie", "cookies", "consent", "gdpr", "related",
				"recommended", "recommendations", "outbrain", "taboola", "trending", "popular",
				"relatedposts", "yarpp":
				never = true
			case "nav", "navbar", "navigation", "menu", "menubar", "submenu", "footer",
				"header", "masthead", "sidebar", "banner", "ad", "ads", "advert", "adverts",
				"advertisement", "sponsor", "sponsored", "promo", "share", "sharing", "social",
				"breadcrumb", "breadcrumbs", "popup", "modal", "newsletter", "toolbar", "skip",
				"sharedaddy":
				bad = true
			case "content", "main", "article", "post", "entry", "story", "body", "text", "prose":
				good = true
			}
		}
	}
	switch {
	case never:
		return alwaysBoilerplate
	case bad && !good:
		return namedBoilerplate
	}
	return notBoilerplate
}

// nameWords yields the lower-case words of a class or id value.
func nameWords(v string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		start := -1
		emit := func(end int) bool {
			if start < 0 {
				return true
			}
			w := strings.ToLower(v[start:end])
			start = -1
			return yield(w)
		}
		for i := 0; i < len(v); i++ {
			c := v[i]
			alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
			switch {
			case !alnum:
				if !emit(i) {
					return
				}
			case start < 0:
				start = i
			case 'A' <= c && c <= 'Z' && 'a' <= v[i-1] && v[i-1] <= 'z':
				if !emit(i) {
					return
				}
				start = i
			}
		}
		emit(len(v))
	}
}

// findElement returns the first element with atom a under n, or nil.
func findElement(n *html.Node, a atom.Atom) *html.Node {
	var found *html.Node
	walk(n, func(c *html.Node) bool {
		if found == nil && c.Type == html.ElementNode && c.DataAtom == a && c.Namespace == "" {
			found = c
		}
		return found == nil
	})
	return found
}

// countNonSpace counts the runes of s that are not white space.
func countNonSpace(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= utf8.RuneSelf:
			// Rare enough to count the rest rune by rune.
			for _, r := range s[i:] {
				if !unicode.IsSpace(r) {
					n++
				}
			}
			return n
		case b != ' ' && b != '\n' && b != '\t' && b != '\r' && b != '\f' && b != '\v':
			n++
		}
	}
	return n
}

// paragraphs accumulates text as paragraphs joined by blank lines, up to
// maxMainTextRunes.
type paragraphs struct {
	b     strings.Builder
	cur   collapser // the paragraph being written, limited to what is left
	runes int       // in b
}

// flush ends the current paragraph, if it has text.
func (p *paragraphs) flush() {
	if p.cur.limit == 0 { // first use
		p.cur.limit = maxMainTextRunes
	}
	if len(p.cur.buf) == 0 {
		return
	}
	if p.b.Len() > 0 {
		p.b.WriteString("\n\n")
		p.runes += 2
	}
	p.b.Write(p.cur.buf)
	p.runes += p.cur.n
	p.cur.reset()
	p.cur.limit = max(1, maxMainTextRunes-p.runes-2)
}

// full reports whether the text has reached maxMainTextRunes; the rest of
// a page that large is dropped.
func (p *paragraphs) full() bool { return p.cur.full || p.runes+2 >= maxMainTextRunes }

// String returns the text.
func (p *paragraphs) String() string { return p.b.String() }

// CountWords counts the words of s, in any script. A word is a run of
// letters, digits and combining marks, apostrophes and hyphens inside it
// included ("don't", "state-of-the-art" are one word each), and '.', ','
// and ':' inside numbers ("3.14", "10:30"). Chinese and Japanese, written
// without spaces, count one word per Han, Hiragana or Katakana character,
// as word processors count them (a two-character Chinese word counts 2).
// Korean separates words with spaces and counts by runs; Thai, Lao, Khmer
// and Myanmar, also written without spaces, count by runs too and are
// therefore undercounted.
func CountWords(s string) int {
	words := 0
	inWord, digit := false, false
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			// ASCII, the bulk of most text: the same rules without the
			// Unicode tables.
			i++
			switch {
			case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
				if !inWord {
					words++
					inWord = true
				}
				digit = b <= '9'
			case inWord && (b == '\'' || b == '-' || b == '_'):
				digit = false
			case inWord && digit && (b == '.' || b == ',' || b == ':'):
			default:
				inWord = false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case isIdeographic(r):
			words++
			inWord = false
		case r == 'ー' || r == '々' || r == '〆':
			// Katakana length mark and iteration marks continue the
			// previous character: not a word of their own.
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			if !inWord {
				words++
				inWord = true
			}
			digit = unicode.IsDigit(r)
		case unicode.IsMark(r):
			// Combining marks (Devanagari vowel signs, accents) belong
			// to the letter before them.
		case inWord && (r == '\'' || r == '’' || r == '-' || r == '‐' || r == '_'):
			digit = false // inside a word, if a letter follows
		case inWord && digit && (r == '.' || r == ',' || r == ':'):
			// inside a number, if a digit follows
		default:
			inWord = false
		}
	}
	return words
}

// isIdeographic reports whether r is written without spaces between words
// and counts as a word of its own (see CountWords).
func isIdeographic(r rune) bool {
	return r >= 0x2E80 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}
