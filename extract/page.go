package extract

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/idna"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
)

// Doc is one fetched page, decoded and parsed once. Every extractor (built-in
// facts and links, user rules) reads the same Doc, so a page is never parsed
// twice. A Doc is not modified by this package after Parse returns and may be
// read by several extractors concurrently as long as none of them modifies the
// tree or the URLs.
type Doc struct {
	// Document is the goquery document for user rules (CSS selectors).
	*goquery.Document
	// URL is the final URL of the response (after the redirect that the
	// crawler followed, if any); it is what relative references in the page
	// are relative to when there is no <base href>.
	URL *url.URL
	// Base is the URL that relative links resolve against: URL with the
	// page's first valid <base href> applied, or URL itself (the same
	// pointer) when there is none.
	Base *url.URL
	// Charset is the canonical name of the encoding the body was decoded
	// from, as reported by DecodeHTML.
	Charset string

	hrefs   *HrefCache // see UseHrefCache; nil resolves every href
	dir     string     // the cache's key for this page's base (dirKey)
	scratch *Scratch   // see UseScratch; nil makes MainText's memory anew
}

// UseScratch makes MainText and Extract of d work in s's memory, kept
// from the page before, until d is done with: s must serve no other Doc
// meanwhile, and Extract's links are in it (see Extract).
func (d *Doc) UseScratch(s *Scratch) {
	d.scratch = s
}

// UseHrefCache makes the extractors of d look its hrefs up in c, and add
// to it what they resolve. It must be called before d is read, from the
// goroutine that parsed it; c may be shared by many Docs.
func (d *Doc) UseHrefCache(c *HrefCache) {
	d.hrefs, d.dir = c, dirKey(d.base(), d.Charset)
}

// Parse decodes body to UTF-8 (see DecodeHTML) and parses it once into a Doc.
// contentType is the response's Content-Type header, pageURL the final,
// absolute URL of the response.
//
// The first <base href> in the document is resolved against pageURL and
// becomes Base, as in browsers; a base that does not parse, or whose scheme
// is data: or javascript:, is ignored (browsers ignore those too), leaving
// Base equal to pageURL.
//
// The tree is x/net/html's: fastTree builds it for the pages it knows (most
// well-formed ones) at about half the cost, html.Parse for all others.
//
// body may be aliased by the Doc (DecodeHTML does not copy valid UTF-8) and
// must not be modified afterwards. The errors are a nil pageURL and a page
// nested deeper than html.Parse takes (TooDeep): the HTML5 parser recovers
// from any malformed HTML, as browsers do.
func Parse(body []byte, contentType string, pageURL *url.URL) (*Doc, error) {
	if pageURL == nil {
		return nil, errors.New("extract: parse: nil page URL")
	}
	text, name := DecodeHTML(body, contentType)
	root, ok := fastTree(text)
	if !ok {
		var err error
		if root, err = html.Parse(bytes.NewReader(text)); err != nil {
			return nil, fmt.Errorf("extract: parse %s: %w", pageURL.Redacted(), err)
		}
	}
	gd := goquery.NewDocumentFromNode(root)
	gd.Url = pageURL
	d := &Doc{Document: gd, URL: pageURL, Base: pageURL, Charset: name}
	if b := baseURL(root, pageURL); b != nil {
		d.Base = b
	}
	return d, nil
}

// baseURL returns pageURL with the first <base href> in the document applied,
// or nil when there is no usable one.
func baseURL(root *html.Node, pageURL *url.URL) *url.URL {
	var href string
	found := false
	walk(root, func(n *html.Node) bool {
		if found {
			return false
		}
		if !isHTML(n) {
			return true
		}
		switch n.DataAtom {
		case atom.Template:
			return false // inert content, not part of the document
		case atom.Base:
			href, found = attr(n, "href")
		}
		return !found
	})
	href = cleanHref(href)
	if !found || href == "" {
		return nil
	}
	u := resolveBase(pageURL, href)
	if u == nil {
		return nil
	}
	switch u.Scheme {
	case "data", "javascript":
		return nil
	case "http", "https":
		if u.Host == "" {
			return nil
		}
	}
	return u
}

// root returns the document node, or nil for a zero Doc.
func (d *Doc) root() *html.Node {
	if d == nil || d.Document == nil || d.Selection == nil || len(d.Nodes) == 0 {
		return nil
	}
	return d.Nodes[0]
}

// resolve turns a raw href from the page into an absolute http or https URL
// without fragment, resolved against Base as the URL Standard does (see
// resolveHref). It reports false for
// hrefs that do not lead to a crawlable page: empty, fragment-only, other
// schemes (javascript:, mailto:, tel:, data:, ftp:, ...), unparsable, or
// without a host. The result is what a browser would request: an IDN host in
// its punycode form and the query percent-encoded (see escapeQuery). colly's
// AbsoluteURL is avoided on purpose: it cost a third of the CPU of a
// link-heavy crawl (see DESIGN.md).
func (d *Doc) resolve(href string) (string, bool) {
	href = cleanHref(href)
	if href == "" || href[0] == '#' {
		return "", false
	}
	if s, ok := scheme(href); ok && !strings.EqualFold(s, "http") && !strings.EqualFold(s, "https") {
		return "", false // decided without parsing: javascript: hrefs can be long
	}
	if d.hrefs == nil || !cacheable(href) {
		return d.resolveNew(href)
	}
	var buf [256]byte
	key := append(append(buf[:0], d.dir...), href...)
	if u, ok := d.hrefs.m.Get(key); ok {
		return u, u != ""
	}
	u, ok := d.resolveNew(href)
	if !ok {
		u = "" // what the cache holds for no URL
	}
	d.hrefs.m.Put(string(key), u)
	return u, ok
}

// resolveNew is resolve without the cache.
func (d *Doc) resolveNew(href string) (string, bool) {
	u := d.resolveHref(d.base(), href) // a new URL; nothing is shared
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") || !d.browserForm(u) {
		return "", false
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String(), true
}

// browserForm rewrites the resolved http(s) URL u in place into what a
// browser would request (see resolve): an IDN host in punycode, the query
// percent-encoded in the page's charset. It reports false when u has no host
// or its host is not a valid domain name.
func (d *Doc) browserForm(u *url.URL) bool {
	if u.Hostname() == "" { // "http://:80/" has a port but no host
		return false
	}
	if !isASCII(u.Host) {
		// url.URL.String would percent-encode the UTF-8 of the host name;
		// browsers (and DNS) use its IDNA (punycode) form instead.
		host, err := idnaProfile().ToASCII(u.Hostname())
		if err != nil {
			return false
		}
		if port := u.Port(); port != "" {
			host += ":" + port
		}
		u.Host = host
	}
	u.RawQuery = escapeQuery(u.RawQuery, d.Charset)
	return true
}

// idnaProfile returns the IDNA processing of the WHATWG URL Standard (UTS #46
// non-transitional, without the STD3 and hyphen checks, so "a_b.bücher.de"
// stays valid). It is built per call, on the rare non-ASCII path, to keep
// package state immutable.
func idnaProfile() *idna.Profile {
	return idna.New(idna.MapForLookup(), idna.BidiRule(), idna.CheckJoiners(true), idna.Transitional(false),
		idna.StrictDomainName(false), idna.CheckHyphens(false))
}

// escapeQuery percent-encodes what a browser encodes in a query: controls,
// space, non-ASCII, and " ' < >. net/url keeps the raw query as written, so
// without this "?q=a b" would produce a URL with a space in it. Non-ASCII
// text is encoded in the page's charset first, as browsers do (a Shift_JIS
// page's "?q=日本" sends Shift_JIS bytes), a character the charset cannot
// represent becoming a percent-encoded "&#NNNN;"; UTF-8 and UTF-16 pages
// use UTF-8. This is the WHATWG URL Standard's query state.
func escapeQuery(q, charsetName string) string {
	i := 0
	for i < len(q) && !queryEscapes(q[i]) {
		i++
	}
	if i == len(q) {
		return q // the common case: nothing to do, no allocation
	}
	var enc *encoding.Encoder
	if !isASCII(q) {
		enc = queryEncoder(charsetName)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	b.WriteString(q[:i])
	for i < len(q) {
		if c := q[i]; c < utf8.RuneSelf || enc == nil {
			writeQueryByte(&b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(q[i:])
		out, err := enc.String(q[i : i+size])
		if err != nil {
			b.WriteString("%26%23")
			b.WriteString(strconv.Itoa(int(r)))
			b.WriteString("%3B")
		} else {
			for j := 0; j < len(out); j++ {
				writeQueryByte(&b, out[j])
			}
		}
		i += size
	}
	return b.String()
}

// queryEncoder returns the encoder for non-ASCII query text on a page in
// charsetName, or nil where the URL Standard says UTF-8 (UTF-8, UTF-16 and
// replacement pages, or an unknown charset).
func queryEncoder(charsetName string) *encoding.Encoder {
	switch {
	case charsetName == "", charsetName == "utf-8", charsetName == "replacement",
		strings.HasPrefix(charsetName, "utf-16"):
		return nil
	}
	e, err := htmlindex.Get(charsetName)
	if err != nil {
		return nil
	}
	return e.NewEncoder()
}

// writeQueryByte writes c to b, percent-encoded if queryEscapes(c).
func writeQueryByte(b *strings.Builder, c byte) {
	const hex = "0123456789ABCDEF"
	if !queryEscapes(c) {
		b.WriteByte(c)
		return
	}
	b.WriteByte('%')
	b.WriteByte(hex[c>>4])
	b.WriteByte(hex[c&15])
}

// queryEscapes reports whether c is in the WHATWG special-query
// percent-encode set (the fragment, and so '#', is already gone).
func queryEscapes(c byte) bool {
	return c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '<' || c == '>'
}

// isASCII reports whether s has only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// base returns the URL relative references resolve against.
func (d *Doc) base() *url.URL {
	if d.Base != nil {
		return d.Base
	}
	return d.URL
}

// scheme returns the scheme of an href that has one (RFC 3986: a letter, then
// letters, digits, "+", "-" or ".", then ":"), before any "/", "?" or "#".
func scheme(href string) (string, bool) {
	for i := 0; i < len(href); i++ {
		c := href[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9', c == '+', c == '-', c == '.':
			if i == 0 {
				return "", false
			}
		case c == ':':
			return href[:i], i > 0
		default:
			return "", false
		}
	}
	return "", false
}

// cleanHref does to an attribute value what the WHATWG URL parser does before
// parsing: strip leading and trailing C0 controls and spaces, and remove every
// tab and newline inside (templates often wrap long hrefs). net/url would
// instead escape the spaces or reject the control characters. It allocates
// only when a tab or newline is inside.
func cleanHref(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, s)
	}
	return s
}

// Extract returns Facts(d), Rich(d), Links(d) and UnfollowedLinks(d) from
// one walk of the tree: the walks are what they have in common, and a
// page's tree is large (measured on four documentation sites: walking it
// once instead of three times took ~5% of the crawl's CPU off). With a
// Scratch (see Doc.UseScratch) the Links are in its memory, valid until
// the Scratch serves another Doc.
func Extract(d *Doc) *Extracted {
	facts, factsDone := factsVisitor(d)
	rich, richDone := richVisitor(d)
	links, linksDone := linksVisitor(d, d.scratch.takeLinks())
	walkMany(d.root(), [3]func(*html.Node) bool{facts, rich, links}, 0b111)
	e := &Extracted{Page: factsDone(), Rich: richDone()}
	e.Links, e.Unfollowed = linksDone()
	d.scratch.keepLinks(e.Links)
	if len(e.Links) == 0 {
		e.Links = nil // as without a Scratch
	}
	return e
}

// walkMany is walk for several visitors at once: active has bit i set while
// visits[i] wants the node and its descendants.
func walkMany(n *html.Node, visits [3]func(*html.Node) bool, active uint8) {
	if n == nil {
		return
	}
	next := uint8(0)
	for i, v := range visits {
		if active&(1<<i) != 0 && v(n) {
			next |= 1 << i
		}
	}
	if next == 0 {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walkMany(c, visits, next)
	}
}

// walk calls visit for n and its descendants in tree (document) order;
// visit returns false to skip the children of the node it was given.
func walk(n *html.Node, visit func(*html.Node) bool) {
	if n == nil || !visit(n) {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, visit)
	}
}

// isHTML reports whether n is an element in the HTML namespace (not SVG or
// MathML, whose <title> and <a> mean something else).
func isHTML(n *html.Node) bool {
	return n.Type == html.ElementNode && n.Namespace == ""
}

// attr returns the value of the attribute key (lower-case) of n. The HTML
// parser lower-cases attribute names and keeps the first of duplicates.
func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}
