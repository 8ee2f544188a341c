package crawler

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/store"
	"github.com/trawl-crawler/trawl/store/record"
)

// starts is a list of run start times; the rule is under test, not the store.
type starts []time.Time

func (s starts) FirstStartSince(_ context.Context, t time.Time) (time.Time, error) {
	var first time.Time
	for _, st := range s {
		if !st.Before(t) && (first.IsZero() || st.Before(first)) {
			first = st
		}
	}
	return first, nil
}

func TestRefreshCutoff(t *testing.T) {
	day0 := time.Date(2026, 3, 1, 2, 15, 0, 0, time.UTC)
	day := 24 * time.Hour
	cases := []struct {
		name   string
		runs   starts
		now    time.Time
		revist time.Duration
		want   time.Time // fetches before it are due
	}{
		// The nightly cron line: last night's run started at 02:15:00 and
		// took three hours; tonight's starts 2 s earlier. Every page is due.
		{"nightly, started a little early", starts{day0}, day0.Add(day - 2*time.Second), day, day0.Add(day - 2*time.Second)},
		{"nightly, on time", starts{day0}, day0.Add(day), day, day0.Add(day)},
		// Run again an hour after last night's run started: nothing it
		// fetched is due, everything before it is.
		{"an hour later", starts{day0.Add(-day), day0}, day0.Add(time.Hour), day, day0},
		// A run every 8 s with --revisit-after 8s refreshes everything each time.
		{"every 8 s", starts{day0, day0.Add(8 * time.Second)}, day0.Add(16*time.Second - 100*time.Millisecond), 8 * time.Second, day0.Add(16*time.Second - 100*time.Millisecond)},
		{"no runs yet", nil, day0, day, day0},
		{"revisit 0 makes all due", starts{day0}, day0.Add(time.Second), 0, day0.Add(time.Second)},
	}
	for _, c := range cases {
		got, err := RefreshCutoff(context.Background(), c.runs, c.now, c.revist)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%s: cutoff %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

// TestRefreshCutoffOnTheStore checks the rule against the real runs table.
func TestRefreshCutoffOnTheStore(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "due.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := time.Now()
	r1, err := db.StartRun(ctx, "crawl", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.EndRun(ctx, r1.ID, record.RunFinished); err != nil {
		t.Fatal(err)
	}
	// A day later by the clock the rule is given: run 1's fetches are due.
	now := r1.StartedAt.Add(24*time.Hour - time.Second)
	got, err := RefreshCutoff(ctx, db, now, 24*time.Hour)
	if err != nil || !got.Equal(now.UTC()) {
		t.Fatalf("a day later: %v, %v; want %v", got, err, now)
	}
	// Right away: nothing run 1 fetched is due.
	got, err = RefreshCutoff(ctx, db, time.Now(), 24*time.Hour)
	if err != nil || !got.Equal(r1.StartedAt) || got.Before(before.Add(-time.Second)) {
		t.Fatalf("right away: %v, %v; want run 1's start %v", got, err, r1.StartedAt)
	}
}
