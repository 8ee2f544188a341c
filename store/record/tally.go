package record

import (
	"cmp"
	"fmt"
)

// Tally is what one outcome adds to its run's counters (the runs table's
// pages, errors, skipped, retries and bytes; CommitResult). It is the one
// definition of what counts as a page, an error and a skip: every store
// backend counts through Outcome.Tally, so the counters mean the same
// whatever the database.
type Tally struct {
	Pages, Errors, Skipped, Retries, Bytes int64
	// Class is the error class or skip reason that an error or a skip is
	// counted under (CommitResult.Classes); empty for anything else.
	Class string
}

// Tally says what o counts as:
//
//   - an outcome without a job (URLs discovered by a sitemap, say) counts
//     nothing: the store counts the URLs it queues or skips for it;
//   - a retry (StateQueued) counts one retry and nothing else;
//   - a done URL (StateDone) is a page, and an error too when its fetch has
//     an error class (http-4xx, too-large, ...), of that class;
//   - a failed URL (StateFailed) is an error, of its Reason, else of its
//     fetch's error class, else "other"; it is a page when it was fetched
//     (it is not when its host failed first: robots.txt unreachable, host
//     parked);
//   - a skipped URL (StateSkipped) is a skip, of its Reason;
//   - a fetch that serves the crawl without being one of its pages
//     (NotPage: a sitemap file) is neither a page nor an error, though its
//     retries and skips count;
//   - every fetch adds its body's size to Bytes, whatever its state.
//
// An unknown State is an error.
func (o *Outcome) Tally() (Tally, error) {
	var t Tally
	if o.Job.ID == 0 {
		return t, nil
	}
	if o.Fetch != nil {
		t.Bytes = o.Fetch.Size
	}
	switch o.State {
	case StateQueued:
		t.Retries = 1
	case StateDone:
		if o.NotPage {
			break
		}
		t.Pages = 1
		if o.Fetch != nil && o.Fetch.ErrorClass != "" {
			t.Errors, t.Class = 1, o.Fetch.ErrorClass
		}
	case StateFailed:
		if o.NotPage {
			break
		}
		if o.Fetch != nil {
			t.Pages = 1
		}
		t.Errors, t.Class = 1, cmp.Or(o.Reason, failedClass(o.Fetch))
	case StateSkipped:
		t.Skipped, t.Class = 1, o.Reason
	default:
		return Tally{}, fmt.Errorf("outcome for %s has unknown state %q", o.Job.URL, o.State)
	}
	return t, nil
}

// failedClass is the class of a failed URL that carries no reason.
func failedClass(f *Fetch) string {
	if f != nil && f.ErrorClass != "" {
		return f.ErrorClass
	}
	return "other"
}

// Count adds t to the result's pages, errors, skips, bytes and classes
// (retries are the run's alone).
func (r *CommitResult) Count(t Tally) {
	r.Pages += t.Pages
	r.Errors += t.Errors
	r.Skipped += t.Skipped
	r.Bytes += t.Bytes
	r.AddClass(t.Class, t.Errors+t.Skipped)
}
