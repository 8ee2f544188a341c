package crawler

import (
	"context"
	"sync"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/record"
)

// handedOver is a real store that counts the discoveries pages hand it.
type handedOver struct {
	*store.DB
	mu         sync.Mutex
	discovered int
}

func (h *handedOver) Commit(ctx context.Context, runID int64, b record.Batch) (record.CommitResult, error) {
	h.mu.Lock()
	for _, o := range b.Outcomes {
		if o.Job.ID != 0 {
			h.discovered += len(o.Discovered)
		}
	}
	h.mu.Unlock()
	return h.DB.Commit(ctx, runID, b)
}

// A link to a URL the run has committed is not handed to the store again,
// and the crawl still records every reachable URL, each fetched once.
func TestCommittedLinksAreNotHandedOverAgain(t *testing.T) {
	cl := fixtures.MustGenerated(t, fixtures.GenConfig{Hosts: 2, PagesPerHost: 150, Seed: 11,
		MinLinks: 20, MaxLinks: 60, MinBytes: 2000, MaxBytes: 4000})
	db := testDB(t)
	cfg := testConfig(cl.Seeds()...)
	run := startRun(t, db, cfg)
	st := &handedOver{DB: db}
	c, err := New(cfg, st, run.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(context.Background())
	if err != nil || res.Status != StatusFinished {
		t.Fatalf("Run: %s, %v", res.Status, err)
	}
	want := cl.Reachable(-1)
	checkTruth(t, db, cl, want)
	// Each page links to 20-60 others: handing over every distinct link of
	// every page would be more than 20 a page.
	links := queryInt(t, db, `SELECT count(*) FROM links`)
	if st.discovered*3 > links {
		t.Errorf("%d discoveries handed over for %d links of %d pages: committed ones were handed over again", st.discovered, links, len(want))
	}
}
