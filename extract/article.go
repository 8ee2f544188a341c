package extract

import (
	"encoding/json"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxBylineRunes bounds an author taken from the page's body (rel=author,
// itemprop=author, class byline): longer text is a paragraph, not a name.
const maxBylineRunes = 100

// articleMeta collects, during Rich's walk, the places a page names its
// author, publication date, site and lead image, each source kept apart so
// that the most reliable one that is present wins (see RichFacts.Author).
type articleMeta struct {
	metaAuthor, relAuthor, propAuthor, classAuthor string
	metaAuthorRank                                 int // of metaAuthor; 0 when there is none
	metaDate, propDate, timeDate, firstTime        string
	appName, imageSrc                              string
}

// authorMetaRank ranks the <meta> names (or RDFa properties) that carry
// the author, after Readability: 1 for Dublin Core's creator, 2 for the
// rest, 0 for names that are not an author. Names are lower-case, with
// "." read as ":" (DC.creator is dc:creator).
func authorMetaRank(name string) int {
	switch name {
	case "dc:creator", "dcterm:creator", "dcterms:creator":
		return 1
	case "author", "parsely-author", "sailthru:author", "byl", "citation_author":
		return 2
	}
	return 0
}

// isDateMeta reports whether a <meta name> or itemprop carries the date of
// first publication.
func isDateMeta(name string) bool {
	switch name {
	case "date", "pubdate", "publishdate", "publish_date", "publish-date", "dc.date",
		"dc.date.issued", "dcterms.date", "dcterms.created", "dcterms.issued",
		"parsely-pub-date", "sailthru.date", "citation_publication_date", "datepublished":
		return true
	}
	return false
}

// element looks at one element of the walk.
func (a *articleMeta) element(d *Doc, n *html.Node) {
	switch n.DataAtom {
	case atom.Meta:
		content, _ := attr(n, "content")
		content = collapseSpace(content)
		if content == "" {
			return
		}
		// RDFa properties may list several names: "dc:creator twitter:site".
		if prop, ok := attr(n, "property"); ok {
			for p := range strings.FieldsSeq(strings.ToLower(prop)) {
				a.author(p, content, 0)
			}
		}
		name, ok := attr(n, "name")
		if !ok {
			name, _ = attr(n, "itemprop")
		}
		name = strings.ToLower(strings.TrimSpace(name))
		a.author(strings.ReplaceAll(name, ".", ":"), content, 1)
		switch {
		case isDateMeta(name):
			if a.metaDate == "" {
				a.metaDate = content
			}
		case name == "application-name":
			if a.appName == "" {
				a.appName = content
			}
		}
	case atom.Link:
		if a.imageSrc == "" && hasToken(n, "rel", "image_src") {
			href, _ := attr(n, "href")
			a.imageSrc, _ = d.absURL(href)
		}
	case atom.Time:
		v, ok := attr(n, "datetime")
		if !ok {
			v = nodeText(n)
		}
		if v = strings.TrimSpace(v); v == "" {
			return
		}
		if _, pub := attr(n, "pubdate"); (pub || hasToken(n, "itemprop", "datePublished")) && a.timeDate == "" {
			a.timeDate = v
		}
		if a.firstTime == "" {
			a.firstTime = v
		}
	}
	if a.relAuthor == "" && (n.DataAtom == atom.A || n.DataAtom == atom.Link) && hasToken(n, "rel", "author") {
		if n.DataAtom == atom.A {
			a.relAuthor = shortText(n)
		}
	}
	if n.DataAtom != atom.Meta {
		if a.propAuthor == "" && hasToken(n, "itemprop", "author") {
			a.propAuthor = itempropName(n)
		}
		if a.propDate == "" && n.DataAtom != atom.Time && hasToken(n, "itemprop", "datePublished") {
			if v, ok := attr(n, "content"); ok {
				a.propDate = strings.TrimSpace(v)
			} else {
				a.propDate = nodeText(n)
			}
		}
		if a.classAuthor == "" && n.DataAtom != atom.Body && n.DataAtom != atom.Html && bylineName(n) {
			a.classAuthor = shortText(n)
		}
	}
}

// author records content as the meta author when name carries one and
// ranks above the one recorded; from a name attribute (penalty 1), a
// property of the same rank wins.
func (a *articleMeta) author(name, content string, penalty int) {
	r := authorMetaRank(name)
	if r == 0 || looksLikeURL(content) {
		return
	}
	if r = 2*r + penalty; a.metaAuthorRank == 0 || r < a.metaAuthorRank {
		a.metaAuthor, a.metaAuthorRank = content, r
	}
}

// itempropName returns the author named by an itemprop=author element: its
// nested itemprop=name, or its own short text.
func itempropName(n *html.Node) string {
	var name *html.Node
	walk(n, func(c *html.Node) bool {
		if name == nil && c != n && c.Type == html.ElementNode && hasToken(c, "itemprop", "name") {
			name = c
		}
		return name == nil
	})
	if name != nil {
		if v, ok := attr(name, "content"); ok {
			return collapseSpace(v)
		}
		return shortText(name)
	}
	if v, ok := attr(n, "content"); ok {
		return collapseSpace(v)
	}
	return shortText(n)
}

// bylineName reports whether the class or id of n says it is the byline.
// It runs on every element of every page: a substring test comes first.
func bylineName(n *html.Node) bool {
	for _, at := range n.Attr {
		if at.Namespace != "" || (at.Key != "class" && at.Key != "id") {
			continue
		}
		if !mayNameByline(at.Val) {
			continue
		}
		for w := range nameWords(at.Val) {
			if w == "byline" || w == "author" {
				return true
			}
		}
	}
	return false
}

// mayNameByline reports whether v holds "uthor", "yline", "yLine",
// "UTHOR" or "YLINE", the spellings of the words bylineName looks for
// that class names use, in one pass over v: five substring searches on
// every class and id of every page were a third of bylineName's cost.
func mayNameByline(v string) bool {
	for i := 0; i+5 <= len(v); i++ {
		var rest string
		switch v[i] {
		case 'u':
			rest = "thor"
		case 'U':
			rest = "THOR"
		case 'y':
			rest = "line"
			if v[i+1] == 'L' {
				rest = "Line"
			}
		case 'Y':
			rest = "LINE"
		default:
			continue
		}
		if v[i+1:i+5] == rest {
			return true
		}
	}
	return false
}

// shortText returns the collapsed text of n when it is short enough to be
// a name; else "".
func shortText(n *html.Node) string {
	s := nodeText(n)
	if len([]rune(s)) > maxBylineRunes {
		return ""
	}
	return s
}

// cleanAuthor removes the "By" that bylines start with.
func cleanAuthor(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 3 && strings.EqualFold(s[:3], "by ") {
		s = strings.TrimSpace(s[3:])
	}
	return s
}

// looksLikeURL reports whether s is a URL rather than a name
// (article:author and some author metas hold a profile link).
func looksLikeURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "/")
}

// ldArticle is what RichFacts takes from a JSON-LD node.
type ldArticle struct {
	Type          json.RawMessage `json:"@type"`
	Author        json.RawMessage `json:"author"`
	Creator       json.RawMessage `json:"creator"`
	DatePublished string          `json:"datePublished"`
	DateCreated   string          `json:"dateCreated"`
	Publisher     json.RawMessage `json:"publisher"`
	Image         json.RawMessage `json:"image"`
	ThumbnailURL  string          `json:"thumbnailUrl"`
}

// isLDArticleType reports whether t is a schema.org type whose author, date and image are
// the page's: CreativeWorks that are the page's content.
func isLDArticleType(t string) bool {
	t = strings.TrimPrefix(strings.TrimPrefix(t, "http://schema.org/"), "https://schema.org/")
	switch t {
	case "Article", "NewsArticle", "BlogPosting", "Report", "ScholarlyArticle", "TechArticle",
		"AnalysisNewsArticle", "OpinionNewsArticle", "ReportageNewsArticle", "ReviewNewsArticle",
		"BackgroundNewsArticle", "LiveBlogPosting", "SocialMediaPosting", "DiscussionForumPosting",
		"Review", "Recipe", "HowTo", "WebPage", "ItemPage", "AboutPage", "MedicalWebPage", "CreativeWork":
		return true
	}
	return false
}

// ldTypes returns the @type of a node, a string or an array of them.
func ldTypes(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

// ldName returns the name(s) in an author or publisher value: a string, an
// object with "name", or an array of either, names joined with ", ".
func ldName(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		if looksLikeURL(s) {
			return ""
		}
		return collapseSpace(s)
	case '{':
		var o struct {
			Name json.RawMessage `json:"name"`
		}
		if json.Unmarshal(raw, &o) == nil {
			return ldName(o.Name)
		}
	case '[':
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil {
			return ""
		}
		var names []string
		for _, e := range elems {
			if s := ldName(e); s != "" && !slices.Contains(names, s) {
				names = append(names, s)
			}
		}
		return strings.Join(names, ", ")
	}
	return ""
}

// ldURL returns the first URL in an image value: a string, an
// ImageObject with "url" (or "contentUrl"), or an array of either.
func ldURL(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		return strings.TrimSpace(s)
	case '{':
		var o struct {
			URL        json.RawMessage `json:"url"`
			ContentURL json.RawMessage `json:"contentUrl"`
		}
		if json.Unmarshal(raw, &o) == nil {
			if u := ldURL(o.URL); u != "" {
				return u
			}
			return ldURL(o.ContentURL)
		}
	case '[':
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil {
			return ""
		}
		for _, e := range elems {
			if u := ldURL(e); u != "" {
				return u
			}
		}
	}
	return ""
}

// fromJSONLD returns the author, date, publisher and image of the first
// article-like JSON-LD node that has each.
func fromJSONLD(nodes []json.RawMessage) (author, date, site, image string) {
	for _, raw := range nodes {
		var a ldArticle
		if json.Unmarshal(raw, &a) != nil {
			continue
		}
		article := false
		for _, t := range ldTypes(a.Type) {
			article = article || isLDArticleType(t)
		}
		if !article {
			continue
		}
		if author == "" {
			author = ldName(a.Author)
			if author == "" {
				author = ldName(a.Creator)
			}
		}
		if date == "" {
			date = firstOf(a.DatePublished, a.DateCreated)
		}
		if site == "" {
			site = ldName(a.Publisher)
		}
		if image == "" {
			image = firstOf(ldURL(a.Image), a.ThumbnailURL)
		}
	}
	return author, date, site, image
}

// firstOf returns the first of xs that is not "".
func firstOf(xs ...string) string {
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			return x
		}
	}
	return ""
}

// finish sets the article facts of f from what the walk collected, the
// Open Graph and Twitter metadata and JSON-LD of f, most reliable first.
func (a *articleMeta) finish(d *Doc, f *RichFacts) {
	ldAuthor, ldDate, ldSite, ldImage := fromJSONLD(f.JSONLD)
	f.Author = cleanAuthor(firstOf(ldAuthor, a.metaAuthor, nonURL(f.OpenGraph["article:author"]),
		a.propAuthor, a.relAuthor, a.classAuthor))
	for _, v := range [...]string{ldDate, f.OpenGraph["article:published_time"], a.metaDate, a.propDate, a.timeDate, a.firstTime} {
		if t, ok := parseDate(v); ok {
			f.Published = t
			break
		}
	}
	f.SiteName = firstOf(f.OpenGraph["og:site_name"], ldSite, a.appName)
	for _, v := range [...]string{f.OpenGraph["og:image"], f.OpenGraph["og:image:url"], f.OpenGraph["og:image:secure_url"],
		f.Twitter["twitter:image"], f.Twitter["twitter:image:src"], ldImage, a.imageSrc} {
		if u, ok := d.absURL(strings.TrimSpace(v)); ok && v != "" {
			f.Image = u
			break
		}
	}
}

// nonURL returns s unless it is a URL.
func nonURL(s string) string {
	if looksLikeURL(s) {
		return ""
	}
	return s
}
