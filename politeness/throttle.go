package politeness

import (
	"math/rand/v2"
	"time"
)

// Throttle computes a host's delay from its observed latency (the
// auto-throttle), in the spirit of Scrapy's AutoThrottle.
//
// Each response's latency L updates a smoothed latency
//
//	lat = L                      (first response)
//	lat = 0.7·lat + 0.3·L        (after that)
//
// and the delay moves halfway towards lat / Target:
//
//	delay' = clamp((delay + lat/Target) / 2,  Floor, Ceiling)
//
// where Floor is max(--delay, robots.txt Crawl-delay) and Ceiling --max-delay.
// Because trawl's delay runs from one response to the next request, a Target
// of 1 leaves a host idle for about as long as it took to answer: a slow or
// struggling server is asked less often, a fast one barely notices. Larger
// targets crawl harder (2 lets a host be busy with us two thirds of the
// time). An error response (5xx, 429) may raise the delay but never lower it,
// since a fast error says nothing about the server's capacity.
type Throttle struct {
	Target  float64       // how busy with us a host may be; 1 means half the time
	Floor   time.Duration // the delay never goes below this
	Ceiling time.Duration // nor above this (unless Floor is higher)
}

// Next returns the host's delay and smoothed latency after a response that
// took latency and had status, given its current delay and smoothed latency
// (0 before the first response).
func (t Throttle) Next(delay, smoothed, latency time.Duration, status int) (newDelay, newSmoothed time.Duration) {
	if smoothed == 0 {
		smoothed = latency
	} else {
		smoothed = (7*smoothed + 3*latency) / 10
	}
	target := time.Duration(float64(smoothed) / t.Target)
	next := (delay + target) / 2
	if status >= 500 || status == 429 {
		next = max(next, delay)
	}
	ceiling := max(t.Ceiling, t.Floor)
	return min(max(next, t.Floor), ceiling), smoothed
}

// Backoff returns the pause before attempt tries+1 after tries consecutive
// failures: base doubled per failure, capped at 10 minutes, with "equal
// jitter" (a uniform draw from the upper half) so that hosts and URLs that
// failed together do not come back together.
func Backoff(base time.Duration, tries int, r *rand.Rand) time.Duration {
	d := base << min(max(tries-1, 0), 20)
	if d <= 0 || d > 10*time.Minute {
		d = 10 * time.Minute
	}
	half := d / 2
	return half + time.Duration(r.Int64N(int64(half)+1))
}
