package extract

import (
	"bytes"
	"cmp"
	"io"
	"slices"
	"strings"

	lexer "github.com/tdewolff/parse/v2/html"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// fastTree builds the tree that html.Parse builds for text, for the pages
// it understands, at about half html.Parse's cost (BenchmarkParseTree); ok
// is false for every other page, which html.Parse must then parse.
//
// html.Parse is a third of a crawl's CPU: most of it goes to its tokenizer,
// which copies every tag name and attribute twice, and to one allocation
// per node. fastTree reads tokens with tdewolff's lexer, which slices the
// input instead of copying it, and takes nodes from slabs. It follows
// x/net/html's tree construction step for step for what well-formed pages
// hold (implied html, head and body, implied end tags of p, li, dd and dt,
// formatting elements closed in order, raw-text elements, forms, tables
// with their implied tbody, tr and colgroup; inline svg and math it hands
// to html.ParseFragment) and gives up on everything else: foster
// parenting, captions, HTML inside foreign content, select, templates,
// frames, formatting elements that would have to be
// reconstructed or adopted, carriage returns and NULs, entities it is not
// sure to decode as html.Parse does in attributes, and any token whose
// text the two tokenizers could read differently. TestFastTreeIsParse
// compares the two trees node for node on real pages.
func fastTree(text []byte) (root *html.Node, ok bool) {
	z, ok := newTokens(text)
	if !ok || len(text) == 0 {
		return nil, false
	}
	b := &builder{tokens: z}
	b.doc = b.node(html.DocumentNode, "", 0)
	b.oe = b.stack[:0]
	if !b.run() {
		return nil, false
	}
	return b.doc, true
}

// insertion modes of the HTML tree construction that fastTree knows.
type mode int

const (
	initial mode = iota
	beforeHTML
	beforeHead
	inHead
	afterHead
	inBody
	afterBody
	afterAfterBody
	inTable
	inTableBody
	inRow
	inCell
	inColumnGroup
	inCaption
)

// builder is fastTree's state: the lexer, the stack of open elements and
// the list of active formatting elements, where nil is a marker (table
// cells and captions push one; fastTree gives up on the other elements
// that do).
type builder struct {
	*tokens
	mode    mode
	doc     *html.Node
	head    *html.Node // for what comes after it and belongs in it
	form    *html.Node
	oe, afe []*html.Node
	stack   [64]*html.Node
	slab    []html.Node
	tooDeep bool
	quirks  bool
	foreign []byte // the whole <svg> or <math> element at hand
}

func (b *builder) node(t html.NodeType, data string, a atom.Atom) *html.Node {
	if len(b.slab) == cap(b.slab) {
		// Slabs double from 64 nodes up to 1,024, so that a small page
		// wastes little and a large one allocates seldom.
		b.slab = make([]html.Node, 0, min(max(2*cap(b.slab), 64), 1024))
	}
	b.slab = b.slab[:len(b.slab)+1]
	n := &b.slab[len(b.slab)-1]
	n.Type, n.Data, n.DataAtom = t, data, a
	return n
}

// top is the current node: the document until <html> is open.
func (b *builder) top() *html.Node {
	if len(b.oe) == 0 {
		return b.doc
	}
	return b.oe[len(b.oe)-1]
}

func appendChild(p, c *html.Node) {
	c.Parent = p
	if l := p.LastChild; l != nil {
		l.NextSibling, c.PrevSibling = c, l
	} else {
		p.FirstChild = c
	}
	p.LastChild = c
}

func (b *builder) addElement(t token) *html.Node {
	n := b.node(html.ElementNode, t.name, t.a)
	n.Attr = t.attr
	appendChild(b.top(), n)
	b.oe = append(b.oe, n)
	if len(b.oe) > 512 {
		// html.Parse gives up here (see TooDeep): let it.
		b.tooDeep = true
	}
	return n
}

func (b *builder) addText(s string) {
	if s == "" {
		return
	}
	t := b.top()
	if l := t.LastChild; l != nil && l.Type == html.TextNode {
		l.Data += s
		return
	}
	appendChild(t, b.node(html.TextNode, s, 0))
}

func (b *builder) addComment(to *html.Node, data string) {
	appendChild(to, b.node(html.CommentNode, data, 0))
}

// run reads every token; false means html.Parse must do it.
func (b *builder) run() bool {
	for !b.tooDeep {
		tt, data := b.lex.Next()
		switch tt {
		case lexer.ErrorToken:
			if b.lex.Err() != io.EOF {
				return false
			}
			for b.mode < inBody {
				b.implied()
			}
			return true
		case lexer.TextToken:
			if !plainText(data) {
				return false
			}
			if !b.text(html.UnescapeString(string(data))) {
				return false
			}
		case lexer.CommentToken:
			c, ok := commentText(data)
			if !ok {
				return false
			}
			// html.Parse decodes references in comments as in text.
			b.comment(html.UnescapeString(string(c)))
		case lexer.DoctypeToken:
			if b.mode != initial {
				continue // ignored in every other mode
			}
			n, quirks, ok := b.doctype(data)
			if !ok {
				return false
			}
			appendChild(b.doc, n)
			b.quirks = quirks
			b.mode = beforeHTML
		case lexer.StartTagToken:
			t, ok := b.startTag()
			if !ok || !b.tag(t) {
				return false
			}
		case lexer.EndTagToken:
			t, ok := b.endTag(data)
			if !ok || !b.tag(t) {
				return false
			}
		case lexer.SVGToken, lexer.MathToken:
			// The lexer hands these over whole, start tag to end tag.
			b.foreign = b.whole(data)
			a := atom.Svg
			if tt == lexer.MathToken {
				a = atom.Math
			}
			if !b.tag(token{a: a, name: a.String()}) {
				return false
			}
		default: // xml
			return false
		}
	}
	return false
}

// doctype is the node html.Parse makes of a doctype, and whether it then
// parses in quirks mode, where a <table> does not close an open <p>. Both
// are html.Parse's, asked on the doctype and a <p><table> after it, but
// for the HTML5 doctype.
func (b *builder) doctype(raw []byte) (n *html.Node, quirks, ok bool) {
	if bytes.EqualFold(raw, []byte("<!doctype html>")) {
		return b.node(html.DoctypeNode, "html", 0), false, true
	}
	if !bytes.HasSuffix(raw, []byte(">")) || bytes.IndexByte(raw[:len(raw)-1], '>') >= 0 {
		return nil, false, false
	}
	doc, err := html.Parse(bytes.NewReader(append(slices.Clip(raw), "<p><table>"...)))
	if err != nil || doc.FirstChild == nil || doc.FirstChild.Type != html.DoctypeNode {
		return nil, false, false
	}
	n = doc.FirstChild
	quirks = true
	for t := range doc.Descendants() {
		if t.DataAtom == atom.Table {
			quirks = t.Parent.DataAtom == atom.P
			break
		}
	}
	doc.RemoveChild(n)
	return n, quirks, true
}

// text handles a text token in the current mode.
func (b *builder) text(s string) bool {
	for {
		switch b.mode {
		case initial, beforeHTML, beforeHead:
			s = strings.TrimLeft(s, whitespace)
			if s == "" {
				return true
			}
			if !b.implied() {
				return false
			}
		case inHead, afterHead:
			if s = b.leadingSpace(s); s == "" {
				return true
			}
			if !b.implied() {
				return false
			}
		case afterBody, afterAfterBody:
			if strings.TrimLeft(s, whitespace) != "" {
				b.mode = inBody
			}
			return b.bodyText(s)
		case inTable, inTableBody, inRow:
			// Whitespace stays where it is; anything else is foster
			// parented, which fastTree leaves to html.Parse.
			if !oneOf(b.top().DataAtom, atom.Table, atom.Tbody, atom.Tfoot, atom.Thead, atom.Tr) || strings.Trim(s, whitespace) != "" {
				return false
			}
			b.addText(s)
			return true
		case inColumnGroup:
			if s = b.leadingSpace(s); s == "" {
				return true
			}
			if b.top().DataAtom != atom.Colgroup {
				return true
			}
			b.pop()
			b.mode = inTable
		default:
			return b.bodyText(s)
		}
	}
}

// leadingSpace adds the whitespace s starts with and returns the rest.
func (b *builder) leadingSpace(s string) string {
	rest := strings.TrimLeft(s, whitespace)
	b.addText(s[:len(s)-len(rest)])
	return rest
}

// whitespace is HTML's, as html.Parse trims it.
const whitespace = " \t\r\n\f"

// implied takes the step that a token unexpected in the current mode
// implies (an html, head or body start tag, a head end tag).
func (b *builder) implied() bool {
	switch b.mode {
	case initial:
		b.mode = beforeHTML
		b.quirks = true // no doctype
	case beforeHTML:
		b.addElement(token{a: atom.Html, name: "html"})
		b.mode = beforeHead
	case beforeHead:
		b.head = b.addElement(token{a: atom.Head, name: "head"})
		b.mode = inHead
	case inHead:
		b.pop()
		b.mode = afterHead
	case afterHead:
		b.addElement(token{a: atom.Body, name: "body"})
		b.mode = inBody
	default:
		return false
	}
	return true
}

func (b *builder) bodyText(s string) bool {
	if n := b.top(); (n.DataAtom == atom.Pre || n.DataAtom == atom.Listing) && n.FirstChild == nil {
		s = strings.TrimPrefix(s, "\n")
	}
	if s == "" {
		return true
	}
	if !b.noReconstruction() {
		return false
	}
	b.addText(s)
	return true
}

// noReconstruction reports whether every active formatting element is
// open, so that html.Parse's reconstruction of them does nothing.
func (b *builder) noReconstruction() bool {
	if len(b.afe) == 0 {
		return true
	}
	n := b.afe[len(b.afe)-1]
	return n == nil || slices.Index(b.oe, n) >= 0
}

func (b *builder) comment(data string) {
	switch b.mode {
	case initial, beforeHTML, afterAfterBody:
		b.addComment(b.doc, data)
	case afterBody:
		b.addComment(b.oe[0], data)
	default:
		b.addComment(b.top(), data)
	}
}

// tag handles a start or end tag in the current mode.
func (b *builder) tag(t token) bool {
	for {
		again, ok := b.step(t)
		if !ok || !again {
			return ok
		}
	}
}

// step handles t once; again is true when the mode changed and t is to be
// handled in the new one.
func (b *builder) step(t token) (again, ok bool) {
	switch b.mode {
	case initial:
		b.mode = beforeHTML
		b.quirks = true // no doctype
		return true, true
	case beforeHTML:
		if !t.end && t.a == atom.Html {
			b.addElement(t)
			b.mode = beforeHead
			return false, true
		}
		if t.end && !oneOf(t.a, atom.Head, atom.Body, atom.Html, atom.Br) {
			return false, true
		}
		return true, b.implied()
	case beforeHead:
		switch {
		case !t.end && t.a == atom.Head:
			b.head = b.addElement(t)
			b.mode = inHead
			return false, true
		case !t.end && t.a == atom.Html:
			return false, false
		case t.end && !oneOf(t.a, atom.Head, atom.Body, atom.Html, atom.Br):
			return false, true
		}
		return true, b.implied()
	case inHead:
		if t.end && t.a == atom.Head {
			b.pop()
			b.mode = afterHead
			return false, true
		}
		if t.end {
			return b.headEnd(t)
		}
		switch t.a {
		case atom.Html, atom.Template:
			return false, false
		case atom.Head:
			return false, true
		case atom.Base, atom.Basefont, atom.Bgsound, atom.Link, atom.Meta:
			b.addElement(t)
			b.pop()
			return false, true
		case atom.Noscript, atom.Noframes, atom.Style, atom.Script, atom.Title:
			return false, b.rawText(t)
		}
		return true, b.implied()
	case afterHead:
		if t.end {
			return b.headEnd(t)
		}
		switch t.a {
		case atom.Body:
			b.addElement(t)
			b.mode = inBody
			return false, true
		case atom.Head:
			return false, true
		case atom.Base, atom.Basefont, atom.Bgsound, atom.Link, atom.Meta, atom.Noframes, atom.Script, atom.Style, atom.Title:
			// They go into the head, closed already.
			b.oe = append(b.oe, b.head)
			b.mode = inHead
			again, ok := b.step(t)
			b.oe = b.oe[:len(b.oe)-1]
			b.mode = afterHead
			return again, ok
		case atom.Html, atom.Frameset, atom.Template:
			return false, false
		}
		return true, b.implied()
	case inBody:
		if t.end {
			return b.bodyEnd(t)
		}
		return false, b.bodyStart(t)
	case afterBody:
		if t.end && t.a == atom.Html {
			b.mode = afterAfterBody
			return false, true
		}
		if !t.end && t.a == atom.Html {
			return false, false
		}
		b.mode = inBody
		return true, true
	case afterAfterBody:
		if !t.end && t.a == atom.Html {
			return false, false
		}
		b.mode = inBody
		return true, true
	case inTable:
		return b.tableStep(t)
	case inTableBody:
		return b.tableBodyStep(t)
	case inRow:
		return b.rowStep(t)
	case inCell:
		return b.cellStep(t)
	case inColumnGroup:
		return b.columnGroupStep(t)
	case inCaption:
		return b.captionStep(t)
	}
	return false, false
}

func (b *builder) pop() { b.oe = b.oe[:len(b.oe)-1] }

// headEnd is what an end tag does in head and after it: body, html and br
// imply what the mode lacks, the rest are ignored (template: html.Parse's).
func (b *builder) headEnd(t token) (again, ok bool) {
	switch t.a {
	case atom.Body, atom.Html, atom.Br:
		return true, b.implied()
	case atom.Template:
		return false, false
	}
	return false, true
}

// clearTo pops the stack down to the nearest of as (or <html>).
func (b *builder) clearTo(as ...atom.Atom) {
	for len(b.oe) > 1 && !oneOf(b.top().DataAtom, as...) && b.top().DataAtom != atom.Html {
		b.pop()
	}
}

// resetMode is x/net/html's resetInsertionMode, for the stacks fastTree
// builds.
func (b *builder) resetMode() bool {
	for i := len(b.oe) - 1; i >= 0; i-- {
		switch b.oe[i].DataAtom {
		case atom.Td, atom.Th:
			b.mode = inCell
		case atom.Tr:
			b.mode = inRow
		case atom.Tbody, atom.Thead, atom.Tfoot:
			b.mode = inTableBody
		case atom.Colgroup:
			b.mode = inColumnGroup
		case atom.Table:
			b.mode = inTable
		case atom.Caption:
			b.mode = inCaption
		case atom.Body:
			b.mode = inBody
		case atom.Template, atom.Head, atom.Frameset, atom.Html:
			return false
		default:
			if i == 0 {
				b.mode = inBody
				return true
			}
			continue
		}
		return true
	}
	return false
}

// clearFormatting pops the active formatting elements down to the last
// marker.
func (b *builder) clearFormatting() {
	for len(b.afe) > 0 {
		n := b.afe[len(b.afe)-1]
		b.afe = b.afe[:len(b.afe)-1]
		if n == nil {
			return
		}
	}
}

func (b *builder) tableStep(t token) (again, ok bool) {
	if t.end {
		switch t.a {
		case atom.Table:
			if b.popUntil(tableScope, atom.Table) {
				return false, b.resetMode()
			}
			return false, true
		case atom.Body, atom.Caption, atom.Col, atom.Colgroup, atom.Html, atom.Tbody, atom.Td, atom.Tfoot, atom.Th, atom.Thead, atom.Tr:
			return false, true
		}
		return false, false // foster parenting
	}
	switch t.a {
	case atom.Caption:
		b.clearTo(atom.Table)
		b.afe = append(b.afe, nil) // a marker
		b.addElement(t)
		b.mode = inCaption
		return false, true
	case atom.Colgroup:
		b.clearTo(atom.Table)
		b.addElement(t)
		b.mode = inColumnGroup
		return false, true
	case atom.Col:
		b.clearTo(atom.Table)
		b.addElement(token{a: atom.Colgroup, name: "colgroup"})
		b.mode = inColumnGroup
		return true, true
	case atom.Tbody, atom.Tfoot, atom.Thead:
		b.clearTo(atom.Table)
		b.addElement(t)
		b.mode = inTableBody
		return false, true
	case atom.Td, atom.Th, atom.Tr:
		b.clearTo(atom.Table)
		b.addElement(token{a: atom.Tbody, name: "tbody"})
		b.mode = inTableBody
		return true, true
	case atom.Style, atom.Script:
		return false, b.rawText(t)
	}
	return false, false // a table in a table, forms, foster parenting
}

func (b *builder) tableBodyStep(t token) (again, ok bool) {
	if t.end {
		switch t.a {
		case atom.Tbody, atom.Tfoot, atom.Thead:
			if b.inScope(tableScope, t.a) >= 0 {
				b.clearTo(atom.Tbody, atom.Tfoot, atom.Thead)
				b.pop()
				b.mode = inTable
			}
			return false, true
		case atom.Table:
			if b.popUntil(tableScope, atom.Tbody, atom.Thead, atom.Tfoot) {
				b.mode = inTable
				return true, true
			}
			return false, true
		case atom.Body, atom.Caption, atom.Col, atom.Colgroup, atom.Html, atom.Td, atom.Th, atom.Tr:
			return false, true
		}
		return b.tableStep(t)
	}
	switch t.a {
	case atom.Tr:
		b.clearTo(atom.Tbody, atom.Tfoot, atom.Thead)
		b.addElement(t)
		b.mode = inRow
		return false, true
	case atom.Td, atom.Th:
		b.clearTo(atom.Tbody, atom.Tfoot, atom.Thead)
		b.addElement(token{a: atom.Tr, name: "tr"})
		b.mode = inRow
		return true, true
	case atom.Caption, atom.Col, atom.Colgroup, atom.Tbody, atom.Tfoot, atom.Thead:
		if b.popUntil(tableScope, atom.Tbody, atom.Thead, atom.Tfoot) {
			b.mode = inTable
			return true, true
		}
		return false, true
	}
	return b.tableStep(t)
}

func (b *builder) rowStep(t token) (again, ok bool) {
	closeRow := func() {
		b.clearTo(atom.Tr)
		b.pop()
		b.mode = inTableBody
	}
	if t.end {
		switch t.a {
		case atom.Tr:
			if b.inScope(tableScope, atom.Tr) >= 0 {
				closeRow()
			}
			return false, true
		case atom.Table:
			if b.inScope(tableScope, atom.Tr) >= 0 {
				closeRow()
				return true, true
			}
			return false, true
		case atom.Tbody, atom.Tfoot, atom.Thead:
			if b.inScope(tableScope, t.a) >= 0 && b.inScope(tableScope, atom.Tr) >= 0 {
				closeRow()
				return true, true
			}
			return false, true
		case atom.Body, atom.Caption, atom.Col, atom.Colgroup, atom.Html, atom.Td, atom.Th:
			return false, true
		}
		return b.tableStep(t)
	}
	switch t.a {
	case atom.Td, atom.Th:
		b.clearTo(atom.Tr)
		b.addElement(t)
		b.afe = append(b.afe, nil) // a marker
		b.mode = inCell
		return false, true
	case atom.Caption, atom.Col, atom.Colgroup, atom.Tbody, atom.Tfoot, atom.Thead, atom.Tr:
		if b.inScope(tableScope, atom.Tr) >= 0 {
			closeRow()
			return true, true
		}
		return false, true
	}
	return b.tableStep(t)
}

func (b *builder) cellStep(t token) (again, ok bool) {
	closeCell := func() {
		b.clearFormatting()
		b.mode = inRow
	}
	if t.end {
		switch t.a {
		case atom.Td, atom.Th:
			if b.popUntil(tableScope, t.a) {
				closeCell()
			}
			return false, true
		case atom.Body, atom.Caption, atom.Col, atom.Colgroup, atom.Html:
			return false, true
		case atom.Table, atom.Tbody, atom.Tfoot, atom.Thead, atom.Tr:
			if b.inScope(tableScope, t.a) < 0 {
				return false, true
			}
			if b.popUntil(tableScope, atom.Td, atom.Th) {
				b.clearFormatting()
			}
			b.mode = inRow
			return true, true
		}
		return b.bodyEnd(t)
	}
	switch t.a {
	case atom.Caption, atom.Col, atom.Colgroup, atom.Tbody, atom.Td, atom.Tfoot, atom.Th, atom.Thead, atom.Tr:
		if b.popUntil(tableScope, atom.Td, atom.Th) {
			closeCell()
			return true, true
		}
		return false, true
	}
	return false, b.bodyStart(t)
}

// captionStep is x/net/html's inCaptionIM, which starts over in the table
// for the table's own tags (but <th>, which x/net/html's list lacks and
// its body mode ignores) and is the body's mode for the rest.
func (b *builder) captionStep(t token) (again, ok bool) {
	closeCaption := func() bool {
		if !b.popUntil(tableScope, atom.Caption) {
			return false
		}
		b.clearFormatting()
		b.mode = inTable
		return true
	}
	if t.end {
		switch t.a {
		case atom.Caption:
			closeCaption()
			return false, true
		case atom.Table:
			return closeCaption(), true
		case atom.Body, atom.Col, atom.Colgroup, atom.Html, atom.Tbody, atom.Td, atom.Tfoot, atom.Th, atom.Thead, atom.Tr:
			return false, true
		}
		return b.bodyEnd(t)
	}
	switch t.a {
	case atom.Caption, atom.Col, atom.Colgroup, atom.Tbody, atom.Td, atom.Tfoot, atom.Thead, atom.Tr:
		return closeCaption(), true
	}
	return false, b.bodyStart(t)
}

func (b *builder) columnGroupStep(t token) (again, ok bool) {
	switch {
	case !t.end && t.a == atom.Col:
		b.addElement(t)
		b.pop()
		return false, true
	case t.end && t.a == atom.Colgroup:
		if b.top().DataAtom == atom.Colgroup {
			b.pop()
			b.mode = inTable
		}
		return false, true
	case t.end && t.a == atom.Col:
		return false, true
	case t.a == atom.Html, t.a == atom.Template:
		return false, false
	}
	if b.top().DataAtom != atom.Colgroup {
		return false, true
	}
	b.pop()
	b.mode = inTable
	return true, true
}

func oneOf(a atom.Atom, as ...atom.Atom) bool {
	for _, x := range as {
		if a == x {
			return true
		}
	}
	return false
}

// rawText adds a raw-text (or RCDATA) element and its text, up to its end
// tag, which must be there.
func (b *builder) rawText(t token) bool {
	b.addElement(t)
	defer b.pop()
	text, ok := b.rawContent(t)
	if t.a == atom.Textarea {
		text = strings.TrimPrefix(text, "\n")
	}
	b.addText(text)
	return ok
}

// addForeign adds the <svg> or <math> element in b.foreign as html.Parse
// builds it, which it has parse it: in foreign content the tag and
// attribute names are adjusted, self-closing tags close and references are
// decoded, by x/net/html's own tables. It must be one element, closed by its
// end tag (a sentinel after it is its sibling, not its child) and all
// foreign, without HTML elements (that broke out or sit in an integration
// point) whose place the rest of the page decides.
func (b *builder) addForeign() bool {
	raw := b.foreign
	b.foreign = nil
	const sentinel = "<trawl-sentinel></trawl-sentinel>"
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(io.MultiReader(bytes.NewReader(raw), strings.NewReader(sentinel)), body)
	if err != nil || len(nodes) != 2 || nodes[0].Type != html.ElementNode || nodes[0].Namespace == "" ||
		nodes[1].Data != "trawl-sentinel" || nodes[1].Namespace != "" {
		return false
	}
	for n := range nodes[0].Descendants() {
		if n.Type == html.ElementNode && n.Namespace == "" {
			return false
		}
	}
	appendChild(b.top(), nodes[0])
	return true
}

// scope is which elements bound a search of the stack (x/net/html's).
type scope int

const (
	defaultScope scope = iota
	listItemScope
	buttonScope
	tableScope
)

// inScope is the index in the stack of the topmost element of as in scope s,
// or -1.
func (b *builder) inScope(s scope, as ...atom.Atom) int {
	for i := len(b.oe) - 1; i >= 0; i-- {
		a := b.oe[i].DataAtom
		if oneOf(a, as...) {
			return i
		}
		if s == tableScope {
			if a == atom.Html || a == atom.Table || a == atom.Template {
				return -1
			}
			continue
		}
		switch {
		case s == listItemScope && (a == atom.Ol || a == atom.Ul), s == buttonScope && a == atom.Button:
			return -1
		case oneOf(a, atom.Applet, atom.Caption, atom.Html, atom.Table, atom.Td, atom.Th, atom.Marquee, atom.Object, atom.Template, atom.Select):
			return -1
		}
	}
	return -1
}

func (b *builder) popUntil(s scope, as ...atom.Atom) bool {
	if i := b.inScope(s, as...); i >= 0 {
		b.oe = b.oe[:i]
		return true
	}
	return false
}

// impliedEnds pops the elements whose end tags are implied, but except.
func (b *builder) impliedEnds(except atom.Atom) {
	for len(b.oe) > 0 {
		switch a := b.top().DataAtom; a {
		case atom.Dd, atom.Dt, atom.Li, atom.Optgroup, atom.Option, atom.P, atom.Rb, atom.Rp, atom.Rt, atom.Rtc:
			if a == except {
				return
			}
			b.pop()
			continue
		}
		return
	}
}

func (b *builder) bodyStart(t token) bool {
	switch t.a {
	case atom.Base, atom.Basefont, atom.Bgsound, atom.Link, atom.Meta:
		b.addElement(t)
		b.pop()
	case atom.Noframes, atom.Script, atom.Style, atom.Title, atom.Textarea, atom.Iframe, atom.Noembed, atom.Noscript:
		return b.rawText(t)
	case atom.Xmp:
		b.popUntil(buttonScope, atom.P)
		return b.noReconstruction() && b.rawText(t)
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center, atom.Details, atom.Dialog, atom.Dir, atom.Div, atom.Dl, atom.Fieldset,
		atom.Figcaption, atom.Figure, atom.Footer, atom.Header, atom.Hgroup, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P, atom.Search, atom.Section,
		atom.Summary, atom.Ul, atom.Pre, atom.Listing:
		b.popUntil(buttonScope, atom.P)
		b.addElement(t)
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		b.popUntil(buttonScope, atom.P)
		if oneOf(b.top().DataAtom, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6) {
			b.pop()
		}
		b.addElement(t)
	case atom.Form:
		if b.form != nil {
			return false
		}
		b.popUntil(buttonScope, atom.P)
		b.form = b.addElement(t)
	case atom.Li, atom.Dd, atom.Dt:
		// x/net/html's loop, which pops to the list item without first
		// popping the implied end tags above it.
		for i := len(b.oe) - 1; i >= 0; i-- {
			n := b.oe[i]
			if n.DataAtom == t.a || (t.a != atom.Li && (n.DataAtom == atom.Dd || n.DataAtom == atom.Dt)) {
				b.oe = b.oe[:i]
				break
			}
			if oneOf(n.DataAtom, atom.Address, atom.Div, atom.P) || !special(n) {
				continue
			}
			break
		}
		b.popUntil(buttonScope, atom.P)
		b.addElement(t)
	case atom.Button:
		if b.inScope(defaultScope, atom.Button) >= 0 || !b.noReconstruction() {
			return false
		}
		b.addElement(t)
	case atom.A, atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.S, atom.Small, atom.Strike, atom.Strong, atom.Tt, atom.U:
		if !b.noReconstruction() {
			return false
		}
		same := 0
		for i := len(b.afe) - 1; i >= 0 && b.afe[i] != nil; i-- {
			n := b.afe[i]
			if n.DataAtom == atom.A && t.a == atom.A {
				return false // an open <a>: the adoption agency's
			}
			if n.DataAtom == t.a && len(n.Attr) == len(t.attr) {
				same++
			}
		}
		if same >= 2 {
			return false // the Noah's Ark clause
		}
		// x/net/html sorts a formatting element's attributes, to compare
		// them faster in that clause.
		slices.SortFunc(t.attr, func(x, y html.Attribute) int {
			return cmp.Or(cmp.Compare(x.Namespace, y.Namespace), cmp.Compare(x.Key, y.Key), cmp.Compare(x.Val, y.Val))
		})
		b.afe = append(b.afe, b.addElement(t))
	case atom.Area, atom.Br, atom.Embed, atom.Img, atom.Keygen, atom.Wbr, atom.Input:
		if t.a == atom.Input {
			b.popUntil(defaultScope, atom.Select)
		}
		if !b.noReconstruction() {
			return false
		}
		b.addElement(t)
		b.pop()
	case atom.Select:
		// x/net/html parses a select's content as the body's (the
		// customizable select): a select inside one closes it.
		if b.popUntil(defaultScope, atom.Select) {
			return true
		}
		if !b.noReconstruction() {
			return false
		}
		b.addElement(t)
	case atom.Option, atom.Optgroup:
		switch {
		case b.inScope(defaultScope, atom.Select) < 0:
			if b.top().DataAtom == atom.Option {
				b.pop()
			}
		case t.a == atom.Option:
			b.impliedEnds(atom.Optgroup)
		default:
			b.impliedEnds(0)
		}
		if !b.noReconstruction() {
			return false
		}
		b.addElement(t)
	case atom.Svg, atom.Math:
		return b.foreign != nil && b.noReconstruction() && b.addForeign()
	case atom.Table:
		if !b.quirks {
			b.popUntil(buttonScope, atom.P)
		}
		b.addElement(t)
		b.mode = inTable
	case atom.Param, atom.Source, atom.Track:
		b.addElement(t)
		b.pop()
	case atom.Hr:
		if b.inScope(buttonScope, atom.P) >= 0 {
			b.impliedEnds(atom.P)
			b.popUntil(defaultScope, atom.P)
		}
		if b.inScope(defaultScope, atom.Select) >= 0 {
			b.impliedEnds(0)
		}
		b.addElement(t)
		b.pop()
	case atom.Applet, atom.Marquee, atom.Object:
		if !b.noReconstruction() {
			return false
		}
		b.addElement(t)
		b.afe = append(b.afe, nil) // a marker
	case atom.Caption, atom.Col, atom.Colgroup, atom.Frame, atom.Head, atom.Tbody, atom.Td, atom.Tfoot, atom.Th, atom.Thead, atom.Tr:
		// Ignored.
	case atom.Html, atom.Body, atom.Frameset, atom.Template, atom.Plaintext, atom.Nobr, atom.Image, atom.Rb, atom.Rtc, atom.Rp, atom.Rt:
		return false
	default:
		if !b.noReconstruction() {
			return false
		}
		b.addElement(t)
	}
	return true
}

func (b *builder) bodyEnd(t token) (again, ok bool) {
	switch t.a {
	case atom.Body:
		if b.inScope(defaultScope, atom.Body) >= 0 {
			b.mode = afterBody
		}
	case atom.Html:
		if b.inScope(defaultScope, atom.Body) >= 0 {
			b.mode = afterBody
			return true, true
		}
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Button, atom.Center, atom.Details, atom.Dialog, atom.Dir, atom.Div, atom.Dl,
		atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Header, atom.Hgroup, atom.Listing, atom.Main, atom.Menu, atom.Nav, atom.Ol,
		atom.Pre, atom.Search, atom.Section, atom.Select, atom.Summary, atom.Ul:
		if b.inScope(defaultScope, t.a) < 0 {
			return false, true
		}
		b.impliedEnds(0)
		b.popUntil(defaultScope, t.a)
	case atom.Form:
		n := b.form
		b.form = nil
		i := b.inScope(defaultScope, atom.Form)
		if n == nil || i < 0 || b.oe[i] != n {
			return false, true
		}
		b.impliedEnds(0)
		i = slices.Index(b.oe, n)
		b.oe = append(b.oe[:i], b.oe[i+1:]...)
	case atom.P:
		if b.inScope(buttonScope, atom.P) < 0 {
			b.addElement(token{a: atom.P, name: "p"})
		}
		b.popUntil(buttonScope, atom.P)
	case atom.Li:
		b.popUntil(listItemScope, atom.Li)
	case atom.Dd, atom.Dt:
		b.popUntil(defaultScope, t.a)
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		b.popUntil(defaultScope, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6)
	case atom.A, atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.Nobr, atom.S, atom.Small, atom.Strike, atom.Strong, atom.Tt, atom.U:
		return false, b.formattingEnd(t)
	case atom.Applet, atom.Marquee, atom.Object:
		if b.popUntil(defaultScope, t.a) {
			b.clearFormatting()
		}
	case atom.Br, atom.Template:
		return false, false
	default:
		b.otherEnd(t)
	}
	return false, true
}

// formattingEnd is the adoption agency algorithm where it has no furthest
// block: the formatting element and what is open inside it are closed.
func (b *builder) formattingEnd(t token) bool {
	if cur := b.top(); cur.Data == t.name && slices.Index(b.afe, cur) < 0 {
		b.pop()
		return true
	}
	var fe *html.Node
	for j := len(b.afe) - 1; j >= 0 && b.afe[j] != nil; j-- {
		if b.afe[j].DataAtom == t.a {
			fe = b.afe[j]
			break
		}
	}
	if fe == nil {
		b.otherEnd(t)
		return true
	}
	i := slices.Index(b.oe, fe)
	if i < 0 || b.inScope(defaultScope, t.a) != i {
		return false
	}
	for _, n := range b.oe[i+1:] {
		if special(n) {
			return false // a furthest block: the agency adopts
		}
	}
	b.oe = b.oe[:i]
	j := slices.Index(b.afe, fe)
	b.afe = append(b.afe[:j], b.afe[j+1:]...)
	return true
}

// otherEnd is x/net/html's "any other end tag".
func (b *builder) otherEnd(t token) {
	for i := len(b.oe) - 1; i >= 0; i-- {
		n := b.oe[i]
		if n.DataAtom == t.a && (t.a != 0 || n.Data == t.name) {
			b.oe = b.oe[:i]
			return
		}
		if special(n) {
			return
		}
	}
}

// special is x/net/html's list of special elements (for HTML elements,
// the only ones fastTree builds).
func special(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Address, atom.Applet, atom.Area, atom.Article, atom.Aside, atom.Base, atom.Basefont, atom.Bgsound, atom.Blockquote, atom.Body,
		atom.Br, atom.Button, atom.Caption, atom.Center, atom.Col, atom.Colgroup, atom.Dd, atom.Details, atom.Dir, atom.Div, atom.Dl, atom.Dt,
		atom.Embed, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form, atom.Frame, atom.Frameset, atom.H1, atom.H2, atom.H3,
		atom.H4, atom.H5, atom.H6, atom.Head, atom.Header, atom.Hgroup, atom.Hr, atom.Html, atom.Iframe, atom.Img, atom.Input, atom.Keygen,
		atom.Li, atom.Link, atom.Listing, atom.Main, atom.Marquee, atom.Menu, atom.Meta, atom.Nav, atom.Noembed, atom.Noframes, atom.Noscript,
		atom.Object, atom.Ol, atom.P, atom.Param, atom.Plaintext, atom.Pre, atom.Script, atom.Section, atom.Select, atom.Source, atom.Style,
		atom.Summary, atom.Table, atom.Tbody, atom.Td, atom.Template, atom.Textarea, atom.Tfoot, atom.Th, atom.Thead, atom.Title, atom.Tr,
		atom.Track, atom.Ul, atom.Wbr, atom.Xmp:
		return true
	}
	return false
}
