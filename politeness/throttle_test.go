package politeness

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name              string
		perHost           int
		target            float64
		floor             time.Duration
		prev              ThrottleState
		latency           time.Duration
		status            int
		want              time.Duration
		wantLat, wantBest time.Duration
	}{
		{"a healthy host keeps every slot: no delay", 8, 1, 0, ThrottleState{}, 100 * ms, 200, 0, 100 * ms, 100 * ms},
		{"one slot, healthy: no delay either", 1, 1, 0, ThrottleState{}, 100 * ms, 200, 0, 100 * ms, 100 * ms},
		{"jitter under SlowFloor is not slowing down", 8, 1, 0, ThrottleState{Latency: ms / 10, Best: ms / 10}, 15 * ms, 200, 0, 4*ms + 570*time.Microsecond, ms / 10},
		{"a delay left over decays", 8, 1, 0, ThrottleState{Delay: 400 * ms, Latency: 10 * ms, Best: 10 * ms}, 10 * ms, 200, 200 * ms, 10 * ms, 10 * ms},
		{"twice as slow as its best is still healthy", 8, 1, 0, ThrottleState{Latency: 200 * ms, Best: 100 * ms}, 200 * ms, 200, 0, 200 * ms, 100 * ms},
		// slow = 4: C = 8·2/4 = 4, gap = 400ms·min(1, 4)/4 = 100ms, halfway: 50ms.
		{"four times slower: half the slots", 8, 1, 0, ThrottleState{Latency: 400 * ms, Best: 100 * ms}, 400 * ms, 200, 50 * ms, 400 * ms, 100 * ms},
		// slow = 4: C = 0.5, gap = 400ms·min(1, 0.5)/0.5 = 400ms (idle half the time), halfway: 200ms.
		{"one slot, four times slower", 1, 1, 0, ThrottleState{Latency: 400 * ms, Best: 100 * ms}, 400 * ms, 200, 200 * ms, 400 * ms, 100 * ms},
		// C = 2 of 4: gap = 100ms·1/2, halfway: 25ms.
		{"a lower target crawls gentler", 4, 0.5, 0, ThrottleState{}, 100 * ms, 200, 25 * ms, 100 * ms, 100 * ms},
		{"a higher target than the slots changes nothing", 4, 3, 0, ThrottleState{Latency: 400 * ms, Best: 100 * ms}, 400 * ms, 200, 0, 400 * ms, 100 * ms},
		{"never below the floor", 8, 1, 300 * ms, ThrottleState{Delay: 400 * ms, Latency: 10 * ms, Best: 10 * ms}, 10 * ms, 200, 300 * ms, 10 * ms, 10 * ms},
		{"errors never lower it", 8, 1, 0, ThrottleState{Delay: 400 * ms, Latency: 10 * ms, Best: 10 * ms}, 10 * ms, 503, 400 * ms, 10 * ms, 10 * ms},
		{"429 never lowers it", 8, 1, 0, ThrottleState{Delay: 400 * ms, Latency: 10 * ms, Best: 10 * ms}, 10 * ms, 429, 400 * ms, 10 * ms, 10 * ms},
		{"errors of a slowed host raise it", 1, 1, 0, ThrottleState{Latency: 400 * ms, Best: 100 * ms}, 400 * ms, 500, 200 * ms, 400 * ms, 100 * ms},
		{"ceiling", 1, 1, 0, ThrottleState{Delay: 50 * time.Second, Latency: 300 * time.Second, Best: ms}, 300 * time.Second, 200, 60 * time.Second, 300 * time.Second, ms},
		{"a floor above the ceiling wins", 8, 1, 90 * time.Second, ThrottleState{}, 10 * ms, 200, 90 * time.Second, 10 * ms, 10 * ms},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			th := Throttle{Target: tc.target, PerHost: tc.perHost, Floor: tc.floor, Ceiling: 60 * time.Second}
			got := th.Next(tc.prev, tc.latency, tc.status)
			if got.Delay != tc.want || got.Latency != tc.wantLat || got.Best != tc.wantBest {
				t.Fatalf("Next = %+v; want delay %s, latency %s, best %s", got, tc.want, tc.wantLat, tc.wantBest)
			}
		})
	}
}

// A host that keeps its response time gets no delay however long the crawl,
// so --per-host holds; one that slows down to many times its best gets a
// delay that grows with it.
func TestThrottleKeepsConcurrencyUntilTheHostSlows(t *testing.T) {
	ms := time.Millisecond
	th := Throttle{Target: 1, PerHost: 8, Ceiling: time.Minute}
	var s ThrottleState
	for i := range 1000 {
		s = th.Next(s, time.Duration(50+i%7)*ms, 200)
		if s.Delay != 0 {
			t.Fatalf("response %d: delay %s for a steady host", i, s.Delay)
		}
	}
	for range 50 {
		s = th.Next(s, 800*ms, 200)
	}
	// slow = 800/50 = 16: C = 1, gap = 800ms.
	if s.Delay < 700*ms || s.Delay > 800*ms {
		t.Fatalf("delay %s after slowing to 16x its best, want about 800ms", s.Delay)
	}
}

func TestBackoff(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := 100 * time.Millisecond
	for tries := 1; tries <= 30; tries++ {
		full := base << min(tries-1, 20)
		if full > 10*time.Minute {
			full = 10 * time.Minute
		}
		for range 50 {
			d := Backoff(base, tries, r)
			if d < full/2 || d > full {
				t.Fatalf("Backoff(%s, %d) = %s, want within [%s, %s]", base, tries, d, full/2, full)
			}
		}
	}
	if d := Backoff(base, 0, r); d < base/2 || d > base {
		t.Errorf("Backoff with no failures = %s, want the base's range", d)
	}
}
