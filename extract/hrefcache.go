package extract

import (
	"net/url"
	"strings"

	"github.com/trawl-crawler/trawl/extract/memo"
)

// HrefCache remembers what hrefs resolved to, across the pages of a crawl,
// so that an href seen before from the same directory costs one map look-up
// instead of a parse, a resolution and a serialisation. Documentation sites
// repeat most of their links: a page's sidebar, breadcrumbs and footer are
// the same hrefs on every page of its directory (on four Debian doc sets,
// resolving links was about 10% of a crawl's CPU, 2.2 million hrefs).
//
// A relative href means the same from every page of one directory, as long
// as the page has no <base href> of its own that differs, and its charset
// is the same (a query is encoded in it); so the key is the base URL up to
// its last slash, the charset and the href. The hrefs whose meaning depends
// on the rest of the base (empty, query-only, fragment-only) are never
// cached.
//
// The cache is bounded (see memo.Memo) and safe for concurrent use by the
// goroutines that extract pages.
type HrefCache struct {
	m *memo.Memo // href's key -> the URL, or "" for an href that gives no crawlable URL
}

// NewHrefCache returns a cache of about size bytes of keys and URLs (see
// memo.New).
func NewHrefCache(size int) *HrefCache {
	return &HrefCache{m: memo.New(size)}
}

// Stats returns how many look-ups found a resolution, how many did not,
// and how many resolutions the cache holds.
func (c *HrefCache) Stats() (hits, misses int64, held int) { return c.m.Stats() }

// cacheable reports whether href (cleaned) resolves alike from every page
// of a directory.
func cacheable(href string) bool {
	return href != "" && href[0] != '?' && href[0] != '#'
}

// dirKey is what the resolution of a cacheable href depends on besides
// the href: the base up to the last slash of its path, and the charset.
func dirKey(base *url.URL, charset string) string {
	if base == nil {
		return ""
	}
	b := *base
	b.RawQuery, b.ForceQuery, b.Fragment, b.RawFragment = "", false, "", ""
	s := b.String()
	if i := strings.LastIndexByte(s, '/'); i >= 0 && i >= len(b.Scheme)+3 {
		s = s[:i+1]
	}
	return s + "\x00" + charset + "\x00"
}
