package extract

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxUnfollowed bounds how many unfollowed hrefs one page reports, so that a
// page of a hundred thousand javascript: links costs no more than a few.
const maxUnfollowed = 100

// Unfollowed is a link that Links leaves out because it leads to no page a
// crawler fetches.
type Unfollowed struct {
	// Href is the href as written, trimmed as browsers trim it.
	Href string
	// Scheme is its scheme in lower case (javascript, mailto, file, ftp,
	// ...); empty when the href is no usable http(s) URL at all.
	Scheme string
}

// UnfollowedLinks returns the distinct hrefs of <a href> and <area href> that
// Links skips, other than empty and fragment-only ones (which are no links):
// other schemes, and hrefs that give no usable http(s) URL. At most
// maxUnfollowed are returned, in document order. A crawler records them so
// that every URL it decided about has a reason.
func UnfollowedLinks(d *Doc) []Unfollowed {
	var out []Unfollowed
	seen := map[string]struct{}{}
	walk(d.root(), func(n *html.Node) bool {
		if len(out) >= maxUnfollowed {
			return false
		}
		if !isHTML(n) {
			return true
		}
		switch n.DataAtom {
		case atom.Template:
			return false
		case atom.A, atom.Area:
		default:
			return true
		}
		href, ok := attr(n, "href")
		if !ok {
			return true
		}
		href = cleanHref(href)
		if href == "" || href[0] == '#' {
			return true
		}
		if _, dup := seen[href]; dup {
			return true
		}
		if _, ok := d.resolve(href); ok {
			return true
		}
		seen[href] = struct{}{}
		u := Unfollowed{Href: href}
		if s, ok := scheme(href); ok && !strings.EqualFold(s, "http") && !strings.EqualFold(s, "https") {
			u.Scheme = strings.ToLower(s)
		}
		out = append(out, u)
		return true
	})
	return out
}
