package crawler

import (
	"context"

	"golang.org/x/sync/semaphore"
)

// Memory admission for parsing. A parsed tree costs about ten times its body
// (x/net/html nodes, attributes and text: a 10 MB page with 790,000 elements
// allocated 114 MB), so a few large pages parsed at once, not the crawl's
// size, set trawl's peak memory. Pages above hugePage are therefore scanned
// with the tokenizer instead (extract.Scan: about twice the body), and every
// page's extraction first takes its estimated cost from one budget.
const (
	// hugePage is the body size above which a page is scanned, not parsed
	// into a tree (unless a user rule needs the tree).
	hugePage = 1 << 20
	// treeCost and scanCost estimate the bytes in use per body byte while a
	// page is parsed into a tree and while it is scanned.
	treeCost, scanCost = 12, 2
	// parseBudget is the estimated memory that pages being extracted may hold
	// at once; a page costing more waits until it can have it all.
	parseBudget = 48 << 20
)

// admission bounds the memory of the pages being extracted at once.
type admission struct{ sem *semaphore.Weighted }

func newAdmission() *admission { return &admission{sem: semaphore.NewWeighted(parseBudget)} }

// acquire waits until a page of size bytes, extracted as a tree or by scan,
// fits the budget, and returns its release.
func (a *admission) acquire(size int, tree bool) (release func()) {
	cost := int64(size) * scanCost
	if tree {
		cost = int64(size) * treeCost
	}
	cost = min(max(cost, 1), parseBudget)
	// Never fails: the context is never done and cost fits the budget.
	_ = a.sem.Acquire(context.Background(), cost)
	return func() { a.sem.Release(cost) }
}
