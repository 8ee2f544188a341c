package crawler

import (
	"context"

	"golang.org/x/sync/semaphore"
)

// Memory admission for parsing. A parsed tree costs about ten times its body
// (x/net/html nodes, attributes and text: a 10 MB page with 790,000 elements
// allocated 114 MB), so a few large pages parsed at once, not the crawl's
// size, set trawl's peak memory. Pages above hugePage are therefore scanned
// with the tokenizer instead (extract.Scan: the body, the lexer's copy of
// it and what is found, about three times the body), and every
// page takes its estimated cost from one budget before its body is read (by
// its Content-Length) or, without one, before it is extracted; it gives the
// cost back once extracted.
const (
	// hugePage is the body size above which a page is scanned, not parsed
	// into a tree (unless a user rule needs the tree).
	hugePage = 1 << 20
	// treeCost and scanCost estimate the bytes in use per body byte while a
	// page is parsed into a tree and while it is scanned.
	treeCost, scanCost = 12, 3
	// parseBudget is the estimated memory that pages being extracted may hold
	// at once; a page costing more waits until it can have it all.
	parseBudget = 48 << 20
)

// admission bounds the memory of the pages being extracted at once.
type admission struct{ sem *semaphore.Weighted }

func newAdmission() *admission { return &admission{sem: semaphore.NewWeighted(parseBudget)} }

// cost estimates the memory a page of size bytes holds while it is read
// and extracted.
func cost(size int64, html, tree bool) int64 {
	switch {
	case !html:
		return max(size, 1)
	case tree:
		return max(size*treeCost, 1)
	}
	return max(size*scanCost, 1)
}

// acquire waits until n more bytes fit the budget, and returns their
// release. A cost above the budget takes the whole budget: such a page waits
// until it is alone.
func (a *admission) acquire(n int64) (release func()) {
	n = min(n, parseBudget)
	// Never fails: the context is never done and n fits the budget.
	_ = a.sem.Acquire(context.Background(), n)
	return func() { a.sem.Release(n) }
}
