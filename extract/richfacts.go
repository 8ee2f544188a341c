package extract

import (
	"bytes"
	"encoding/json"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Caps that keep one odd page from bloating the facts stored with it.
const (
	maxHeadingText  = 300 // runes per heading
	maxHeadingLevel = 200 // headings kept per level (h1, h2, ...)
	maxJSONLDDepth  = 3   // nesting of arrays and @graph that is flattened
)

// RichFacts are the page facts beyond Page that a scraping crawl records:
// the outline, social-media metadata, language alternates, structured data
// and the size of the main text. They are stored as one JSON column, hence
// the JSON names; empty facts are left out.
type RichFacts struct {
	// Headings maps "h1" ... "h6" to the texts of those headings in
	// document order (white space collapsed, empty ones left out, at most
	// 200 per level of at most 300 runes each). The whole page counts,
	// navigation included: this is the outline search engines see.
	Headings map[string][]string `json:"headings,omitempty"`
	// OpenGraph maps Open Graph properties (og:title, og:image,
	// article:published_time, product:price:amount, ...) to their content,
	// from <meta property=...> (or name=..., a common mistake). Keys are
	// lower-case; when a property repeats (several og:image), the first
	// wins. Values are as written, not resolved.
	OpenGraph map[string]string `json:"opengraph,omitempty"`
	// Twitter maps Twitter card properties (twitter:card, twitter:site,
	// ...) to their content (or value, the older attribute), first wins.
	Twitter map[string]string `json:"twitter,omitempty"`
	// Hreflang lists the <link rel=alternate hreflang=... href=...> of
	// <head>, in document order, URLs absolute. Like canonical links,
	// alternates outside <head> are ignored, as search engines ignore them.
	Hreflang []Alternate `json:"hreflang,omitempty"`
	// JSONLD holds the JSON-LD structured data of every
	// <script type="application/ld+json">, compacted, one entry per
	// node: a block that is a JSON array contributes each of its objects,
	// and a block with "@graph" contributes each node of the graph (with
	// the block's @context added to nodes without their own), so that a
	// query finds a Product by its @type wherever the page put it. A
	// @graph wrapper is kept as a node too when it has an @type of its
	// own. Blocks that are not valid JSON (after removing the HTML comment
	// or CDATA wrapper and trailing semicolon some sites add) are skipped:
	// a page's broken markup is never a failure.
	JSONLD []json.RawMessage `json:"jsonld,omitempty"`
	// Author is the byline, names joined with ", ": from the JSON-LD
	// of the page's article (author, else creator), else <meta
	// name=author> (or dc.creator, parsely-author, ...), article:author
	// when it is a name rather than a profile URL, an itemprop=author,
	// the text of a rel=author link, and last the short text (at most 100
	// runes, "By" dropped) of the first element whose class or id has the
	// word byline or author.
	Author string `json:"author,omitempty"`
	// Published is when the page says it was first published, in RFC
	// 3339: the JSON-LD datePublished (else dateCreated) of its article,
	// else article:published_time, a date <meta> (date, pubdate,
	// dc.date, ...), itemprop=datePublished, a <time pubdate> and last
	// the first <time>; the first of these that is a readable date wins.
	// A date without a zone is taken as UTC.
	Published string `json:"published,omitempty"`
	// SiteName is the name of the site or publication: og:site_name, else
	// the JSON-LD publisher's name, else <meta name=application-name>.
	SiteName string `json:"site_name,omitempty"`
	// Image is the lead image, an absolute URL: og:image, else
	// twitter:image, the JSON-LD image of the article, and
	// <link rel=image_src>.
	Image string `json:"image,omitempty"`
	// WordCount is the number of words of MainText (see CountWords).
	WordCount int `json:"-"`
	// MainText is MainText(d), kept so that a caller storing both the
	// facts and the text does not compute it twice.
	MainText string `json:"-"`
}

// Alternate is one language version of a page, from hreflang.
type Alternate struct {
	// Lang is the hreflang value as written, trimmed ("en-GB", "x-default").
	Lang string `json:"lang"`
	// URL is absolute, resolved against the page's base.
	URL string `json:"url"`
}

// Rich returns the rich facts of a parsed page: one walk of the tree for
// the head metadata, headings, JSON-LD and article facts, plus MainText.
func Rich(d *Doc) RichFacts {
	visit, done := richVisitor(d)
	walk(d.root(), visit)
	return done()
}

// richVisitor returns Rich's walk as a tree visitor and the function that
// completes the facts after the walk, MainText included (see factsVisitor).
func richVisitor(d *Doc) (visit func(*html.Node) bool, done func() RichFacts) {
	var f RichFacts
	var article articleMeta
	heading := collapser{limit: maxHeadingText}
	visit = func(n *html.Node) bool {
		if !isHTML(n) {
			return true
		}
		if n.Type == html.ElementNode {
			article.element(d, n)
		}
		switch n.DataAtom {
		case atom.Template:
			return false
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
			level := n.Data // the parser lower-cases tag names: "h1"
			if len(f.Headings[level]) >= maxHeadingLevel {
				return false // an API reference has thousands: their text is not read
			}
			heading.reset()
			heading.writeNode(n)
			if len(heading.buf) > 0 {
				if f.Headings == nil {
					f.Headings = make(map[string][]string)
				}
				f.Headings[level] = append(f.Headings[level], heading.String())
			}
			return false
		case atom.Meta:
			f.meta(n)
		case atom.Link:
			if n.Parent != nil && n.Parent.DataAtom == atom.Head && hasToken(n, "rel", "alternate") {
				lang, ok := attr(n, "hreflang")
				href, _ := attr(n, "href")
				if u, resolved := d.resolve(href); ok && resolved && strings.TrimSpace(lang) != "" {
					f.Hreflang = append(f.Hreflang, Alternate{Lang: strings.TrimSpace(lang), URL: u})
				}
			}
		case atom.Script:
			if typ, _ := attr(n, "type"); isJSONLDType(typ) {
				f.JSONLD = appendJSONLD(f.JSONLD, scriptText(n))
			}
			return false
		}
		return true
	}
	done = func() RichFacts {
		article.finish(d, &f)
		f.MainText = MainText(d)
		f.WordCount = CountWords(f.MainText)
		return f
	}
	return visit, done
}

// meta records an Open Graph or Twitter <meta>.
func (f *RichFacts) meta(n *html.Node) {
	key, ok := attr(n, "property")
	if !ok {
		key, ok = attr(n, "name")
	}
	if !ok {
		return
	}
	key = strings.ToLower(strings.TrimSpace(key))
	content, ok := attr(n, "content")
	if !ok {
		content, _ = attr(n, "value")
	}
	content = collapseSpace(content)
	prefix, _, found := strings.Cut(key, ":")
	if !found || content == "" {
		return
	}
	var m *map[string]string
	switch prefix {
	case "og", "article", "book", "profile", "music", "video", "product":
		m = &f.OpenGraph
	case "twitter":
		m = &f.Twitter
	default:
		return
	}
	if *m == nil {
		*m = make(map[string]string)
	}
	if _, dup := (*m)[key]; !dup {
		(*m)[key] = content
	}
}

// isJSONLDType reports whether a script type attribute is JSON-LD
// ("application/ld+json", any case, parameters allowed).
func isJSONLDType(typ string) bool {
	typ, _, _ = strings.Cut(typ, ";")
	return strings.EqualFold(strings.TrimSpace(typ), "application/ld+json")
}

// scriptText returns the text content of a script element (the parser
// gives it one text child; a DOM built otherwise may have several).
func scriptText(n *html.Node) string {
	if c := n.FirstChild; c != nil && c.NextSibling == nil && c.Type == html.TextNode {
		return c.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

// appendJSONLD parses one JSON-LD block and appends its nodes to out (see
// RichFacts.JSONLD). An invalid block appends nothing.
func appendJSONLD(out []json.RawMessage, text string) []json.RawMessage {
	text = strings.TrimSpace(text)
	// Wrappers from the days of XHTML and browsers without script support.
	for _, w := range [...][2]string{{"<!--", "-->"}, {"//<![CDATA[", "//]]>"}, {"<![CDATA[", "]]>"}} {
		if rest, ok := strings.CutPrefix(text, w[0]); ok {
			text = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), w[1]))
		}
	}
	text = strings.TrimSpace(strings.TrimSuffix(text, ";"))
	if text == "" {
		return out
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(text)); err != nil {
		return out // invalid JSON: skipped
	}
	return appendLDNodes(out, buf.Bytes(), nil, 0)
}

// appendLDNodes appends the node(s) in the compact JSON value raw: the
// objects of an array, the nodes of a @graph, or raw itself when it is an
// object. ctx is the @context inherited from an enclosing @graph block.
func appendLDNodes(out []json.RawMessage, raw []byte, ctx json.RawMessage, depth int) []json.RawMessage {
	if len(raw) == 0 || depth > maxJSONLDDepth {
		return out
	}
	switch raw[0] {
	case '[':
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil {
			return out
		}
		for _, e := range elems {
			out = appendLDNodes(out, e, ctx, depth+1)
		}
	case '{':
		if !bytes.Contains(raw, []byte(`"@graph"`)) {
			return append(out, withContext(raw, ctx)) // the common case: no decoding
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return out
		}
		graph, ok := obj["@graph"]
		if !ok { // "@graph" was inside a string or a nested object
			return append(out, withContext(raw, ctx))
		}
		if c, ok := obj["@context"]; ok {
			ctx = c
		}
		if _, typed := obj["@type"]; typed {
			delete(obj, "@graph")
			if wrapper, err := json.Marshal(obj); err == nil {
				out = append(out, withContext(wrapper, ctx))
			}
		}
		if len(graph) > 0 && graph[0] == '{' {
			graph = append(append([]byte{'['}, graph...), ']') // a graph of one node
		}
		out = appendLDNodes(out, graph, ctx, depth+1)
	}
	return out
}

// withContext returns the compact JSON object raw with "@context": ctx
// added first when it has no @context of its own (a node taken out of a
// @graph keeps the vocabulary it was written in). The object's key order is
// kept.
func withContext(raw []byte, ctx json.RawMessage) json.RawMessage {
	if ctx == nil || bytes.HasPrefix(raw, []byte(`{"@context"`)) || hasTopKey(raw, "@context") {
		return raw
	}
	out := make([]byte, 0, len(raw)+len(ctx)+14)
	out = append(out, `{"@context":`...)
	out = append(out, ctx...)
	if len(raw) > 2 { // not "{}"
		out = append(out, ',')
	}
	return append(out, raw[1:]...)
}

// hasTopKey reports whether the JSON object raw has key at its top level.
func hasTopKey(raw []byte, key string) bool {
	if !bytes.Contains(raw, []byte(`"`+key+`"`)) {
		return false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return false
	}
	_, ok := obj[key]
	return ok
}
