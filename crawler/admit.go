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
// it and what is found, about three times the body), and every page takes
// its estimated cost from a budget before its body is read (by its
// Content-Length) or, without one, before it is extracted; it gives the cost
// back once extracted.
//
// Scanned pages and the rest draw on budgets of their own. A budget is a
// FIFO semaphore, whose waiter at the front holds up every later one: with
// one budget, a 10 MB page waiting for the 30 MB it costs, while another
// was scanned, held up every small page behind it, and the end of a crawl,
// where rust-doc's largest pages are, ran on one core.
const (
	// hugePage is the body size above which a page is scanned, not parsed
	// into a tree (unless a user rule needs the tree).
	hugePage = 1 << 20
	// treeCost and scanCost estimate the bytes in use per body byte while a
	// page is parsed into a tree and while it is scanned.
	treeCost, scanCost = 12, 3
	// treeBudget is the estimated memory that the pages parsed into trees
	// (and bodies that are not HTML) may hold at once; scanBudget that of
	// the pages being scanned. A page costing more than its budget waits
	// until it is alone in it.
	treeBudget = 24 << 20
	scanBudget = 24 << 20
)

// pool is one of the admission's budgets.
type pool int

const (
	treePool pool = iota // pages parsed into a tree, JSON and other bodies
	scanPool             // huge pages, scanned
)

// budget is the size of pool p.
func (p pool) budget() int64 {
	if p == scanPool {
		return scanBudget
	}
	return treeBudget
}

// admission bounds the memory of the pages being extracted at once.
type admission struct{ sems [2]*semaphore.Weighted }

func newAdmission() *admission {
	return &admission{sems: [2]*semaphore.Weighted{
		treePool: semaphore.NewWeighted(treeBudget),
		scanPool: semaphore.NewWeighted(scanBudget),
	}}
}

// cost estimates the memory a page of size bytes holds while it is read
// and extracted, and the pool it is taken from.
func cost(size int64, html, tree bool) (pool, int64) {
	switch {
	case !html:
		return treePool, max(size, 1)
	case tree:
		return treePool, max(size*treeCost, 1)
	}
	return scanPool, max(size*scanCost, 1)
}

// grant is the memory admitted to one page. It belongs to the goroutine
// handling the page.
type grant struct {
	a *admission
	p pool
	n int64
}

// newGrant returns a grant that holds nothing yet.
func (a *admission) newGrant() *grant { return &grant{a: a} }

// ensure waits until the grant holds at least n bytes of pool p. A cost
// above the budget takes the whole budget. When it must wait, it gives back
// what it holds first: a page holding memory while it waits for more could
// wait for another that does the same.
func (g *grant) ensure(p pool, n int64) {
	n = min(n, p.budget())
	if g.p == p && g.n >= n {
		return
	}
	if g.p == p && g.n > 0 && g.a.sems[p].TryAcquire(n-g.n) {
		g.n = n
		return
	}
	g.release()
	// Never fails: the context is never done and n fits the budget.
	_ = g.a.sems[p].Acquire(context.Background(), n)
	g.p, g.n = p, n
}

// release gives back what the grant holds; it may be called again.
func (g *grant) release() {
	if g.n > 0 {
		g.a.sems[g.p].Release(g.n)
		g.n = 0
	}
}
