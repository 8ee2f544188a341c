package extract

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxLinkText caps Link.Text: enough to read what a link is about, bounded so
// that an anchor wrapping a whole card or article does not bloat the store.
const maxLinkText = 200

// Link is one outgoing hyperlink of a page.
type Link struct {
	// URL is absolute (resolved against the Doc's Base as the URL Standard
	// does: a backslash is a slash, "http:x" on an http page is relative,
	// "100%.html" is followed), http or https, without fragment, and as a
	// browser would request it: dot segments resolved, an IDN host in
	// punycode, path and query percent-encoded (the query in the page's
	// charset). It is not otherwise canonicalised (case, default port, IPv4
	// spellings, parameter order): that is the frontier's job, with the
	// crawl's own rules.
	URL string
	// Text is the anchor text, white space collapsed, capped at 200 runes.
	// When an <a> has no text, its aria-label is used, then the first
	// non-empty alt text of an image inside it (an image link's text, as
	// search engines read it); for <area>, its alt attribute.
	Text string
	// Rel is the rel attribute, lower-case, white space collapsed
	// ("nofollow noopener").
	Rel string
	// NoFollow is set when Rel contains the token nofollow. It reflects this
	// link only; a page-wide nofollow is in Page.NoFollow and HeaderRobots.
	NoFollow bool
}

// Links returns the page's links from <a href> and <area href> (the elements
// of document.links; SVG links and inert <template> content are left out),
// in document order.
//
// Only links that lead to a crawlable page are returned: hrefs are trimmed
// of surrounding white space, and empty or fragment-only hrefs, other schemes
// (javascript:, mailto:, tel:, data:, ...), hrefs a browser finds no URL in
// and results that are not http or https with a host are skipped.
// Resolution uses net/url where it agrees with the URL Standard and a WHATWG
// parser elsewhere, not colly's AbsoluteURL, which is slow.
//
// Duplicates are kept: the same URL linked twice from one page is two
// links, usually with different anchor text or rel, and both say something
// about the target. Callers that only need the set of URLs deduplicate.
func Links(d *Doc) []Link {
	visit, done := linksVisitor(d, nil)
	walk(d.root(), visit)
	links, _ := done()
	return links
}

// linksVisitor returns Links as a tree visitor and the function that
// returns the links, appended to buf, and the hrefs UnfollowedLinks
// reports, after the walk (see factsVisitor).
func linksVisitor(d *Doc, buf []Link) (visit func(*html.Node) bool, done func() ([]Link, []Unfollowed)) {
	var (
		links      = buf
		unfollowed unfollowedSet
		text       = collapser{limit: maxLinkText} // one buffer reused for every link
	)
	visit = func(n *html.Node) bool {
		if !isHTML(n) {
			return true
		}
		switch n.DataAtom {
		case atom.Template:
			return false // inert content, not part of the document
		case atom.A, atom.Area:
		default:
			return true
		}
		href, ok := attr(n, "href")
		if !ok {
			return true
		}
		u, ok := d.resolve(href)
		if !ok {
			unfollowed.note(href)
			return true
		}
		l := Link{URL: u}
		if rel, ok := attr(n, "rel"); ok {
			l.Rel = strings.Join(strings.Fields(strings.ToLower(rel)), " ")
			for f := range strings.FieldsSeq(l.Rel) {
				if f == "nofollow" {
					l.NoFollow = true
					break
				}
			}
		}
		text.reset()
		if n.DataAtom == atom.Area {
			alt, _ := attr(n, "alt")
			text.write(alt)
		} else {
			anchorText(&text, n)
		}
		l.Text = text.String()
		links = append(links, l)
		return true
	}
	return visit, func() ([]Link, []Unfollowed) { return links, unfollowed.out }
}

// anchorText writes the text of the <a> element n into c, falling back to
// its aria-label and then to the first non-empty alt text of an image
// inside it.
func anchorText(c *collapser, n *html.Node) {
	c.writeNode(n)
	if len(c.buf) > 0 {
		return
	}
	if label, ok := attr(n, "aria-label"); ok {
		c.write(label)
		if len(c.buf) > 0 {
			return
		}
	}
	walk(n, func(m *html.Node) bool {
		if len(c.buf) > 0 {
			return false
		}
		if isHTML(m) && m.DataAtom == atom.Img {
			alt, _ := attr(m, "alt")
			c.write(alt)
			return false
		}
		return true
	})
}
