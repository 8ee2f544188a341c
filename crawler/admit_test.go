package crawler

import (
	"testing"
	"time"
)

// A huge page that takes the whole scan budget, and another waiting for it,
// hold up no page parsed into a tree. With one budget for both, the small
// page waited behind the huge one at the front of the queue.
func TestHugePagesHoldUpNoSmallPage(t *testing.T) {
	a := newAdmission()
	scanning := a.newGrant()
	scanning.ensure(cost(10<<20, true, false))
	if scanning.p != scanPool || scanning.n != scanBudget {
		t.Fatalf("a 10 MB scan holds %d of pool %d, want the whole scan budget %d", scanning.n, scanning.p, scanBudget)
	}
	waiting := make(chan struct{})
	go func() {
		g := a.newGrant()
		g.ensure(cost(10<<20, true, false)) // waits for scanning
		g.release()
		close(waiting)
	}()
	admitted := make(chan struct{})
	go func() {
		g := a.newGrant()
		g.ensure(cost(100<<10, true, true))
		g.release()
		close(admitted)
	}()
	select {
	case <-admitted:
	case <-time.After(10 * time.Second):
		t.Fatal("a 100 KB page waited while a huge page was scanned")
	}
	select {
	case <-waiting:
		t.Fatal("the second huge page was admitted while the first held the whole scan budget")
	default:
	}
	scanning.release()
	<-waiting
}

// A grant that needs more waits without holding what it has, and ends up
// holding what it asked for in the pool it asked of.
func TestGrantGrowsAndMoves(t *testing.T) {
	a := newAdmission()
	g := a.newGrant()
	g.ensure(treePool, 1<<20)
	g.ensure(treePool, 512<<10) // already has more
	if g.p != treePool || g.n != 1<<20 {
		t.Fatalf("holds %d of pool %d, want 1 MB of the tree pool", g.n, g.p)
	}
	g.ensure(cost(2<<20, true, false)) // the body turned out huge
	if g.p != scanPool || g.n != 6<<20 {
		t.Fatalf("holds %d of pool %d, want 6 MB of the scan pool", g.n, g.p)
	}
	// The tree pool got its 1 MB back: all of it can be had at once.
	if !a.sems[treePool].TryAcquire(treeBudget) {
		t.Fatal("the tree pool did not get back what the grant held")
	}
	a.sems[treePool].Release(treeBudget)
	g.ensure(treePool, 1<<30) // a rule needs the tree of a huge page: the whole budget
	if g.p != treePool || g.n != treeBudget || !a.sems[scanPool].TryAcquire(scanBudget) {
		t.Fatalf("holds %d of pool %d, want the whole tree budget and nothing of the scan pool", g.n, g.p)
	}
	g.release()
	g.release()
	if !a.sems[treePool].TryAcquire(treeBudget) {
		t.Fatal("release did not give everything back")
	}
}
