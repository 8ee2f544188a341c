package crawler

import (
	"hash/maphash"
	"strings"
	"sync"
)

// Crawler traps (a calendar, session ids, an ever deeper path, endless query
// permutations) are normal on the web, and a crawl must end by itself without
// a depth limit. trapGuard decides which links of a fetched page lead into
// one, from three signals:
//
//   - URL shape: a path with every run of digits made 0 and any query made
//     "?", so /calendar/2026/01 and /calendar/2031/07 are one shape, and so
//     are /search?a=1&b=2 and /search?b=3&sid=x.
//   - Novelty, and how deep a chain of one shape runs without it: a page is
//     fruitless when fewer than minNovel of its links were not linked
//     recently. A list or an archive page brings new links; a calendar
//     month, a session-id copy or a permutation brings one or two, besides
//     the site navigation everyone links. A link of a fruitless page to its
//     own shape is one more link in the page's chain (store.NewURL.Chain);
//     past chainLimit it is a trap. A calendar runs chainLimit months each
//     way; a late find on a legitimate site ends in a page with nothing new.
//   - Content identity: the page's title, main text and link texts with
//     digits masked. Links to its own shape found on a fruitless page are
//     traps once more than dupLimit pages of the shape had its text, and on
//     any page once more than copyLimit had (permutations, each bringing new
//     links, of a search that finds nothing).
//
// A legitimate site of one shape (20,000 /product/N pages linked from list
// pages) is crawled whole: list pages bring new links, so their chains start
// over. Every trap is soft (store.NewURL.Soft): a URL that a page not in a
// trap links too is queued after all, so a product page that looks like a
// chain costs nothing.
//
// Paths that repeat a segment (or a group of up to three) three times in a
// row, or that have more than maxSegments segments, are traps whatever the
// page, as in Heritrix's PathologicalPathDecideRule.
//
// All state is bounded: a lossy table of recently linked URLs (seeded
// 64-bit hashes) shared by all hosts, and text counters in a map that
// starts over when it fills (a trap is noticed again within its next
// pages). It is safe for concurrent use.
type trapGuard struct {
	mu     sync.Mutex
	seed   maphash.Seed
	recent []uint64          // direct-mapped by hash: URLs linked recently (0 = empty)
	counts map[uint64]uint32 // textKey(host, shape, text) -> pages
}

const (
	minNovel    = 3  // fewer new links than this make a page fruitless
	chainLimit  = 20 // fruitless pages of one shape in a row before their links are traps
	dupLimit    = 10 // fruitless pages of one shape with one text before their links are traps
	copyLimit   = 20 // pages of one shape with one text, fruitless or not, before their links are traps
	maxSegments = 32 // path segments beyond which a URL is a trap
	recentSlots = 1 << 18
	maxCounts   = 1 << 18
)

func newTrapGuard() *trapGuard {
	return &trapGuard{seed: maphash.MakeSeed(), recent: make([]uint64, recentSlots), counts: map[uint64]uint32{}}
}

// pageSignals is what the guard needs of a fetched page.
type pageSignals struct {
	host, url string
	chain     int      // the page's own chain (record.Job.Chain)
	text      []string // title, main text and link texts: its content, read as if joined by newlines
	links     []string // canonical URLs of its followed links, distinct
}

// linkVerdict is the guard's word on one link.
type linkVerdict struct {
	trap  bool
	chain int // record.NewURL.Chain for the link
}

// traps returns the verdicts on p's links that are traps or carry a chain,
// by index in p.links, and records what p says for the pages after it.
//
// It runs for every page with links, on every link: it builds no string
// per link (a page of more than 128 links grows one slice of hashes), and
// hashes outside its lock, which every fetcher takes.
func (g *trapGuard) traps(p pageSignals) map[int]linkVerdict {
	shape := urlShape(p.url)
	var out map[int]linkVerdict
	verdict := func(i int, v linkVerdict) {
		if out == nil {
			out = map[int]linkVerdict{}
		}
		out[i] = v
	}
	var same []int
	origin := authority(p.url)
	var idBuf [128]uint64
	ids := idBuf[:0]
	for i, l := range p.links {
		// The table of recent links is this process's own and lossy: a
		// seeded 64-bit hash serves it as well as the stored URL id, at a
		// fraction of a SHA-256.
		ids = append(ids, maphash.String(g.seed, l)|1) // never 0, the empty slot
		if pathological(l) {
			verdict(i, linkVerdict{trap: true})
			continue
		}
		if l != p.url && authority(l) == origin && sameShape(l, shape) {
			same = append(same, i)
		}
	}
	key := g.textKey(p.host, shape, p.text)

	g.mu.Lock()
	novel := 0
	for _, id := range ids {
		slot := &g.recent[id&(recentSlots-1)]
		if *slot != id {
			novel++
			*slot = id
		}
	}
	dups := g.bump(key)
	g.mu.Unlock()

	fruitless := novel < minNovel
	if !fruitless && dups <= copyLimit {
		return out // brings new links and is no copy: a list, an archive
	}
	chain := p.chain + 1
	trap := dups > dupLimit || chain > chainLimit // copies beyond copyLimit are beyond dupLimit too
	for _, i := range same {
		verdict(i, linkVerdict{trap: trap, chain: chain})
	}
	return out
}

// textKey hashes host, shape and the text parts joined by newlines with
// every run of ASCII digits made one 0 (see maskDigits), without building
// the masked text.
func (g *trapGuard) textKey(host, shape string, text []string) uint64 {
	var h maphash.Hash
	h.SetSeed(g.seed)
	h.WriteString(host)
	h.WriteByte(0)
	h.WriteString(shape)
	h.WriteByte(0)
	for k, s := range text {
		if k > 0 {
			h.WriteByte('\n')
		}
		for i := 0; i < len(s); {
			j := i
			for j < len(s) && !isDigit(s[j]) {
				j++
			}
			h.WriteString(s[i:j])
			if j == len(s) {
				break
			}
			h.WriteByte('0')
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	return h.Sum64()
}

// bump counts one more page under key (see textKey), and returns the
// count. Callers hold g.mu.
func (g *trapGuard) bump(key uint64) uint32 {
	if _, ok := g.counts[key]; !ok && len(g.counts) >= maxCounts {
		clear(g.counts)
	}
	g.counts[key]++
	return g.counts[key]
}

// authority returns the scheme and authority of an absolute URL.
func authority(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
		return u[:i+3+j]
	}
	return u
}

// pathAndQuery returns what follows u's authority ("/" when nothing does).
func pathAndQuery(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[i+3+j:]
		}
		return "/"
	}
	return u
}

// urlShape is u's path with runs of digits made 0 and its query, if any,
// made "?": the URLs one template produces share it.
func urlShape(u string) string {
	u = pathAndQuery(u)
	query := false
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u, query = u[:i], true
	}
	s := maskDigits(u)
	if query {
		s += "?"
	}
	return s
}

// sameShape reports whether urlShape(u) == shape, without building u's.
func sameShape(u, shape string) bool {
	p := pathAndQuery(u)
	query := false
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p, query = p[:i], true
	}
	j := 0
	for i := 0; i < len(p); j++ {
		c := p[i]
		i++
		if isDigit(c) {
			for i < len(p) && isDigit(p[i]) {
				i++
			}
			c = '0'
		}
		if j >= len(shape) || shape[j] != c {
			return false
		}
	}
	if query {
		if j >= len(shape) || shape[j] != '?' {
			return false
		}
		j++
	}
	return j == len(shape)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// maskDigits replaces each run of ASCII digits in s with one 0.
func maskDigits(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	inDigits := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isDigit(c) {
			if !inDigits {
				b.WriteByte('0')
			}
			inDigits = true
			continue
		}
		inDigits = false
		b.WriteByte(c)
	}
	return b.String()
}

// pathological reports whether rawURL's path has more than maxSegments
// segments, or a segment or group of up to three segments repeated three
// times in a row (/a/a/a/, /x/y/x/y/x/y/). rawURL is canonical, so its path
// is as written; the segments are substrings of it, held on the stack.
func pathological(rawURL string) bool {
	p := pathAndQuery(rawURL)
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	p = strings.Trim(p, "/")
	var buf [maxSegments + 1]string
	segs := buf[:0]
	for {
		if len(segs) == len(buf) {
			return true // more than maxSegments
		}
		i := strings.IndexByte(p, '/')
		if i < 0 {
			segs = append(segs, p)
			break
		}
		segs = append(segs, p[:i])
		p = p[i+1:]
	}
	if len(segs) > maxSegments {
		return true
	}
	for period := 1; period <= 3; period++ {
		run := 0 // segments so far that equal the one period before them
		for i := period; i < len(segs); i++ {
			if segs[i] == segs[i-period] && segs[i] != "" {
				run++
				if run >= 2*period {
					return true
				}
			} else {
				run = 0
			}
		}
	}
	return false
}
