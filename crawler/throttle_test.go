package crawler

import (
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name                 string
		delay, floor, crawlD time.Duration
		prevLatency, latency time.Duration
		status               int
		target               float64
		want                 time.Duration
	}{
		{"first response moves halfway to latency", 0, 0, 0, 0, 100 * ms, 200, 1, 50 * ms},
		{"smoothed latency", 100 * ms, 0, 0, 100 * ms, 200 * ms, 200, 1, 115 * ms},
		{"fast server lowers the delay", 400 * ms, 0, 0, 10 * ms, 10 * ms, 200, 1, 205 * ms},
		{"never below --delay", 400 * ms, 300 * ms, 0, 10 * ms, 10 * ms, 200, 1, 300 * ms},
		{"never below Crawl-delay", 400 * ms, 0, 350 * ms, 10 * ms, 10 * ms, 200, 1, 350 * ms},
		{"errors never lower it", 400 * ms, 0, 0, 10 * ms, 10 * ms, 503, 1, 400 * ms},
		{"errors may raise it", 0, 0, 0, 1000 * ms, 1000 * ms, 500, 1, 500 * ms},
		{"higher target crawls harder", 0, 0, 0, 100 * ms, 100 * ms, 200, 2, 25 * ms},
		{"ceiling", 50 * time.Second, 0, 0, 300 * time.Second, 300 * time.Second, 200, 1, 60 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Crawler{cfg: DefaultConfig()}
			c.cfg.Delay = Duration(tc.floor)
			c.cfg.ThrottleTarget = tc.target
			h := &hostQueue{delay: tc.delay, crawlDelay: tc.crawlD, latency: tc.prevLatency}
			got := c.throttle(h, event{latency: tc.latency, status: tc.status})
			if got != tc.want {
				t.Fatalf("delay = %s, want %s", got, tc.want)
			}
		})
	}
}
