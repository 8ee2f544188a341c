package crawler

import "sync/atomic"

// committedSlots is the size of a crawl's committedURLs: 1 MB, some 131,000
// URL ids. A site's pages link mostly to the same pages over and over, so
// the ids a page links to are in it on most pages of a large crawl too.
const committedSlots = 1 << 17

// committedURLs remembers, lossily, the ids of URLs that this run's
// commits queued as discoveries without a skip. The run's store then
// holds each of them, not softly skipped, and does nothing for another
// discovery of it (record.Batch: the first discovery of a URL in a run
// decides), so a page need not hand it over again: on the four
// documentation sites, 2.2 million links found some 24,000 URLs, and each
// of the others had been a NewURL built, queued, sent to the writer and
// looked up there.
//
// Only what is committed counts: a discovery made by a fetch that is
// abandoned, or lost with its host's lease, was never recorded, and the
// page that made it is fetched again (and must find it again). A slot
// holds one id; another id taking it only costs a discovery sent again.
type committedURLs struct {
	slots []atomic.Int64
}

func newCommittedURLs() *committedURLs {
	return &committedURLs{slots: make([]atomic.Int64, committedSlots)}
}

func (s *committedURLs) slot(id int64) *atomic.Int64 {
	return &s.slots[uint64(id)%uint64(len(s.slots))]
}

// add remembers id (0 is no id: never remembered).
func (s *committedURLs) add(id int64) {
	if id != 0 {
		s.slot(id).Store(id)
	}
}

// has reports whether id is remembered as committed.
func (s *committedURLs) has(id int64) bool {
	return id != 0 && s.slot(id).Load() == id
}
