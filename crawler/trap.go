package crawler

import (
	"hash/maphash"
	"net/url"
	"strings"
	"sync"

	"github.com/trawl-crawler/trawl/store/record"
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
// All state is bounded: a lossy table of recently linked URL ids shared by
// all hosts, and text counters in a map that starts over when it fills (a
// trap is noticed again within its next pages). It is safe for concurrent
// use.
type trapGuard struct {
	mu     sync.Mutex
	seed   maphash.Seed
	recent []uint64          // direct-mapped by id: URL ids linked recently (0 = empty)
	counts map[uint64]uint32 // hash(host, shape, text) -> pages
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
	text      string   // title, main text and link texts
	links     []string // canonical URLs of its followed links, distinct
}

// linkVerdict is the guard's word on one link.
type linkVerdict struct {
	trap  bool
	chain int // record.NewURL.Chain for the link
}

// traps returns the verdicts on p's links that are traps or carry a chain,
// by index in p.links, and records what p says for the pages after it.
func (g *trapGuard) traps(p pageSignals) map[int]linkVerdict {
	shape := urlShape(p.url)
	out := map[int]linkVerdict{}
	var same []int
	origin := authority(p.url)
	for i, l := range p.links {
		if pathological(l) {
			out[i] = linkVerdict{trap: true}
			continue
		}
		if l != p.url && authority(l) == origin && urlShape(l) == shape {
			same = append(same, i)
		}
	}
	sig := maskDigits(p.text)

	g.mu.Lock()
	novel := 0
	for _, l := range p.links {
		id := uint64(record.URLID(l)) | 1 // never 0, the empty slot
		slot := &g.recent[id&(recentSlots-1)]
		if *slot != id {
			novel++
			*slot = id
		}
	}
	dups := g.bump(p.host, shape, sig)
	g.mu.Unlock()

	fruitless := novel < minNovel
	if !fruitless && dups <= copyLimit {
		return out // brings new links and is no copy: a list, an archive
	}
	chain := p.chain + 1
	trap := dups > dupLimit || chain > chainLimit // copies beyond copyLimit are beyond dupLimit too
	for _, i := range same {
		out[i] = linkVerdict{trap: trap, chain: chain}
	}
	return out
}

// bump counts one more page of shape on host with text, and returns the
// count. Callers hold g.mu.
func (g *trapGuard) bump(host, shape, text string) uint32 {
	var h maphash.Hash
	h.SetSeed(g.seed)
	h.WriteString(host)
	h.WriteByte(0)
	h.WriteString(shape)
	h.WriteByte(0)
	h.WriteString(text)
	k := h.Sum64()
	if _, ok := g.counts[k]; !ok && len(g.counts) >= maxCounts {
		clear(g.counts)
	}
	g.counts[k]++
	return g.counts[k]
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

// urlShape is u's path with runs of digits made 0 and its query, if any,
// made "?": the URLs one template produces share it.
func urlShape(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			u = u[i+3+j:]
		} else {
			u = "/"
		}
	}
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

// maskDigits replaces each run of ASCII digits in s with one 0.
func maskDigits(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	inDigits := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
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
// times in a row (/a/a/a/, /x/y/x/y/x/y/).
func pathological(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
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
