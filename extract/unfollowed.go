package extract

import (
	"strings"
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
// that every URL it decided about has a reason. Extract returns them too,
// from the walk that finds the links.
func UnfollowedLinks(d *Doc) []Unfollowed {
	visit, done := linksVisitor(d, nil)
	walk(d.root(), visit)
	_, out := done()
	return out
}

// unfollowedSet collects the hrefs a page's link reader could not resolve,
// in document order, each once, at most maxUnfollowed of them. The link
// reader has already resolved every href: noting the ones that failed costs
// nothing more, where a second walk resolved every href again (5% of a
// crawl's CPU on four documentation sites).
type unfollowedSet struct {
	out  []Unfollowed
	seen map[string]struct{}
}

// note records href, which d.resolve rejected.
func (s *unfollowedSet) note(href string) {
	href = cleanHref(href)
	if href == "" || href[0] == '#' || len(s.out) >= maxUnfollowed {
		return
	}
	if _, dup := s.seen[href]; dup {
		return
	}
	if s.seen == nil {
		s.seen = map[string]struct{}{}
	}
	s.seen[href] = struct{}{}
	u := Unfollowed{Href: href}
	if sc, ok := scheme(href); ok && !strings.EqualFold(sc, "http") && !strings.EqualFold(sc, "https") {
		u.Scheme = strings.ToLower(sc)
	}
	s.out = append(s.out, u)
}
