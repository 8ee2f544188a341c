package politeness

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name                 string
		delay, floor         time.Duration
		prevLatency, latency time.Duration
		status               int
		target               float64
		want, wantSmoothed   time.Duration
	}{
		{"first response moves halfway to latency", 0, 0, 0, 100 * ms, 200, 1, 50 * ms, 100 * ms},
		{"smoothed latency", 100 * ms, 0, 100 * ms, 200 * ms, 200, 1, 115 * ms, 130 * ms},
		{"fast server lowers the delay", 400 * ms, 0, 10 * ms, 10 * ms, 200, 1, 205 * ms, 10 * ms},
		{"never below the floor", 400 * ms, 300 * ms, 10 * ms, 10 * ms, 200, 1, 300 * ms, 10 * ms},
		{"errors never lower it", 400 * ms, 0, 10 * ms, 10 * ms, 503, 1, 400 * ms, 10 * ms},
		{"429 never lowers it", 400 * ms, 0, 10 * ms, 10 * ms, 429, 1, 400 * ms, 10 * ms},
		{"errors may raise it", 0, 0, 1000 * ms, 1000 * ms, 500, 1, 500 * ms, 1000 * ms},
		{"higher target crawls harder", 0, 0, 100 * ms, 100 * ms, 200, 2, 25 * ms, 100 * ms},
		{"ceiling", 50 * time.Second, 0, 300 * time.Second, 300 * time.Second, 200, 1, 60 * time.Second, 300 * time.Second},
		{"a floor above the ceiling wins", 0, 90 * time.Second, 10 * ms, 10 * ms, 200, 1, 90 * time.Second, 10 * ms},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			th := Throttle{Target: tc.target, Floor: tc.floor, Ceiling: 60 * time.Second}
			got, smoothed := th.Next(tc.delay, tc.prevLatency, tc.latency, tc.status)
			if got != tc.want || smoothed != tc.wantSmoothed {
				t.Fatalf("Next = %s, %s; want %s, %s", got, smoothed, tc.want, tc.wantSmoothed)
			}
		})
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
