package crawler

import (
	"context"
	"time"
)

// RunStarts is what RefreshCutoff needs of the store: when runs started.
type RunStarts interface {
	// FirstStartSince returns the start of the earliest run that started
	// at or after t, or the zero time when none did.
	FirstStartSince(ctx context.Context, t time.Time) (time.Time, error)
}

// maxDueSlack caps the tolerance on revisit-after (a twentieth of it).
const maxDueSlack = 15 * time.Minute

// RefreshCutoff returns the time before which a page's last fetch makes it
// due in a refresh run starting now: the page is due when the run that
// fetched it started revisitAfter ago or earlier, less a small slack.
//
// Measuring from run starts, not from each page's fetch, is what makes a
// nightly cron line with --revisit-after 24h refresh every night: a page
// fetched at 02:15:07 by a run that started at 02:15:00 is due at 02:15:00
// the next night, and so is one fetched at 05:00 by a three-hour crawl. The
// slack absorbs the seconds by which cron and process start-up vary.
//
// Runs never overlap (the run lock), so "fetched by a run that started
// before T" is "fetched before the first run that started at or after T".
func RefreshCutoff(ctx context.Context, runs RunStarts, now time.Time, revisitAfter time.Duration) (time.Time, error) {
	slack := min(revisitAfter/20, maxDueSlack)
	first, err := runs.FirstStartSince(ctx, now.Add(-revisitAfter+slack))
	if err != nil {
		return time.Time{}, err
	}
	if first.IsZero() || first.After(now) {
		return now.UTC(), nil
	}
	return first.UTC(), nil
}
