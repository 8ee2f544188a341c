package extract

import (
	"hash/maphash"
	"net/url"
	"strings"
	"sync"
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
// The cache is bounded: each of its shards is emptied when it reaches its
// share of the entries, which costs a burst of misses, never memory. It is
// safe for concurrent use by the goroutines that extract pages.
type HrefCache struct {
	seed   maphash.Seed
	max    int // entries a shard holds before it is emptied
	shards [hrefShards]hrefShard
}

const hrefShards = 16

type hrefShard struct {
	mu sync.Mutex
	m  map[string]hrefResult
	// hits and misses are counted under mu, which is held anyway: shared
	// atomic counters would be one contended cache line for every href.
	hits, misses int64
}

// hrefResult is a resolution: the URL, or ok false for an href that gives no
// crawlable URL.
type hrefResult struct {
	url string
	ok  bool
}

// NewHrefCache returns a cache of about entries resolutions (at least one
// per shard).
func NewHrefCache(entries int) *HrefCache {
	c := &HrefCache{seed: maphash.MakeSeed(), max: max(1, entries/hrefShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]hrefResult)
	}
	return c
}

// Stats returns how many look-ups found a resolution, how many did not,
// and how many resolutions the cache holds.
func (c *HrefCache) Stats() (hits, misses int64, held int) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		hits, misses, held = hits+s.hits, misses+s.misses, held+len(s.m)
		s.mu.Unlock()
	}
	return hits, misses, held
}

func (c *HrefCache) shard(key []byte) *hrefShard {
	return &c.shards[maphash.Bytes(c.seed, key)%hrefShards]
}

func (c *HrefCache) get(key []byte) (hrefResult, bool) {
	s := c.shard(key)
	s.mu.Lock()
	r, ok := s.m[string(key)] // no allocation: the conversion is only looked up
	if ok {
		s.hits++
	} else {
		s.misses++
	}
	s.mu.Unlock()
	return r, ok
}

func (c *HrefCache) put(key []byte, r hrefResult) {
	s := c.shard(key)
	s.mu.Lock()
	if len(s.m) >= c.max {
		clear(s.m)
	}
	s.m[string(key)] = r
	s.mu.Unlock()
}

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
