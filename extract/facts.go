package extract

import (
	"net/http"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// agentToken is the product token trawl answers to in <meta name=...> and in
// "trawl:"-prefixed X-Robots-Tag directives, as search engines do for theirs
// (<meta name=googlebot>).
const agentToken = "trawl"

// Page holds the facts every crawl records about an HTML page, whatever the
// user's rules.
type Page struct {
	// Title is the text of the first <title> in tree order (the one in
	// <head> on any sane page; <title> inside SVG does not count), as
	// document.title reports it: trimmed, white space collapsed.
	Title string
	// Description is the content of the first <meta name=description>,
	// trimmed, white space collapsed.
	Description string
	// Canonical is the absolute http(s) URL of the first
	// <link rel=canonical href> in <head>, resolved against the Doc's Base,
	// fragment removed; "" if none. A canonical link outside <head> is
	// ignored, as search engines ignore it: the body may hold user content.
	Canonical string
	// Lang is the lang attribute of <html>, trimmed, or failing that the
	// content of <meta http-equiv=Content-Language>.
	Lang string
	// Robots is the raw content of every <meta name=robots> and
	// <meta name=trawl>, lower-case, joined with ", ", so that what the page
	// said can be stored and queried even when trawl does not act on it
	// (noarchive, max-snippet, ...).
	Robots string
	// NoIndex is set when Robots holds noindex or none: the page asks not to
	// be indexed, so its content should not be kept as a result.
	NoIndex bool
	// NoFollow is set when Robots holds nofollow or none: the page asks that
	// none of its links be followed. Per-link rel=nofollow is in Link.
	NoFollow bool
	// Charset is the encoding the page was decoded from (Doc.Charset).
	Charset string
}

// Facts returns the built-in facts of a parsed page in one walk of its tree.
//
// Robots meta tags are honoured wherever they appear, not only in <head>:
// when a page says noindex, erring on the side of obeying is the polite
// choice. HTTP-level directives are separate: see HeaderRobots.
func Facts(d *Doc) Page {
	visit, done := factsVisitor(d)
	walk(d.root(), visit)
	return done()
}

// factsVisitor returns Facts as a tree visitor (see walk) and the function
// that returns the facts once the walk is over, so that Extract can run it
// in the same walk as the other extractors.
func factsVisitor(d *Doc) (visit func(*html.Node) bool, done func() Page) {
	p := Page{Charset: d.Charset}
	var (
		haveTitle, haveDesc bool
		robots              []string
		metaLang            string
	)
	visit = func(n *html.Node) bool {
		if !isHTML(n) {
			return true
		}
		switch n.DataAtom {
		case atom.Html:
			if v, ok := attr(n, "lang"); ok {
				p.Lang = strings.TrimSpace(v)
			}
		case atom.Template:
			return false // inert content, not part of the document
		case atom.Title:
			if !haveTitle {
				p.Title, haveTitle = nodeText(n), true
			}
			return false
		case atom.Link:
			if p.Canonical == "" && n.Parent != nil && n.Parent.DataAtom == atom.Head && hasToken(n, "rel", "canonical") {
				href, _ := attr(n, "href")
				p.Canonical, _ = d.resolve(href)
			}
		case atom.Meta:
			content, _ := attr(n, "content")
			if name, ok := attr(n, "name"); ok {
				switch strings.ToLower(strings.TrimSpace(name)) {
				case "description":
					if !haveDesc {
						p.Description, haveDesc = collapseSpace(content), true
					}
				case "robots", agentToken:
					c := strings.ToLower(strings.TrimSpace(content))
					if c != "" {
						robots = append(robots, c)
						noindex, nofollow := robotsDirectives(c)
						p.NoIndex = p.NoIndex || noindex
						p.NoFollow = p.NoFollow || nofollow
					}
				}
			} else if eq, ok := attr(n, "http-equiv"); ok && metaLang == "" &&
				strings.EqualFold(strings.TrimSpace(eq), "content-language") {
				metaLang = strings.TrimSpace(content)
			}
		}
		return true
	}
	done = func() Page {
		if p.Lang == "" {
			p.Lang = metaLang
		}
		p.Robots = strings.Join(robots, ", ")
		return p
	}
	return visit, done
}

// HeaderRobots reads the X-Robots-Tag response headers, which carry the same
// directives as <meta name=robots> for any content type. A directive applies
// to trawl when it is generic or follows a "trawl:" agent prefix; one after
// another agent's prefix ("googlebot: noindex") applies to that agent only,
// up to the next prefix in the same header value, as search engines read it.
// noindex and nofollow are reported, "none" meaning both.
func HeaderRobots(h http.Header) (noindex, nofollow bool) {
	for _, value := range h.Values("X-Robots-Tag") {
		agent := ""
		for part := range strings.SplitSeq(strings.ToLower(value), ",") {
			part = strings.TrimSpace(part)
			if name, rest, ok := strings.Cut(part, ":"); ok && isAgentName(strings.TrimSpace(name)) {
				agent, part = strings.TrimSpace(name), rest
			}
			if agent != "" && agent != agentToken {
				continue
			}
			ni, nf := robotsDirectives(part)
			noindex = noindex || ni
			nofollow = nofollow || nf
		}
	}
	return noindex, nofollow
}

// robotsDirectives reports whether a lower-case robots directive list
// (comma- or space-separated, as pages write both) contains noindex or
// nofollow, "none" standing for both.
func robotsDirectives(s string) (noindex, nofollow bool) {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' }) {
		switch f {
		case "noindex":
			noindex = true
		case "nofollow":
			nofollow = true
		case "none":
			noindex, nofollow = true, true
		}
	}
	return noindex, nofollow
}

// isAgentName reports whether s, the text before a colon in an X-Robots-Tag
// part, names a user agent rather than being a directive that takes a value
// (unavailable_after: <date>, max-snippet: <n>, ...).
func isAgentName(s string) bool {
	switch s {
	case "", "unavailable_after", "max-snippet", "max-image-preview", "max-video-preview":
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// hasToken reports whether the space-separated attribute key of n contains
// token, compared ASCII case-insensitively (rel="Canonical", rel="nofollow
// noopener").
func hasToken(n *html.Node, key, token string) bool {
	v, ok := attr(n, key)
	if !ok {
		return false
	}
	for f := range strings.FieldsSeq(v) {
		if strings.EqualFold(f, token) {
			return true
		}
	}
	return false
}
