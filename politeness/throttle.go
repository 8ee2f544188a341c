package politeness

import (
	"math/rand/v2"
	"time"
)

// Throttle computes a host's delay from its observed response times (the
// auto-throttle). It keeps the host at the concurrency the user asked for
// while the server answers as fast as it did at its best, and takes requests
// away as it slows down.
//
// Each response's latency L updates a smoothed latency and the best smoothed
// latency seen:
//
//	lat  = L                      (first response)
//	lat  = 0.7·lat + 0.3·L        (after that)
//	best = min(best, lat)
//
// The host counts as slowed down by slow = lat / max(best, SlowFloor): how
// many times longer it now takes than at its best (a host that answers within
// SlowFloor is never slow). The concurrency aimed for is
//
//	C = Target·PerHost                 while slow ≤ 2
//	C = Target·PerHost · 2/slow        after that
//
// and the delay that holds C requests in flight, given PerHost slots and a
// delay that runs from one response to the next request, is
//
//	gap = 0                            when C ≥ PerHost
//	gap = lat · min(1, PerHost−C) / C  otherwise
//
// The delay moves halfway towards it after each response:
//
//	delay' = clamp((delay + gap) / 2,  Floor, Ceiling)
//
// where Floor is max(--delay, robots.txt Crawl-delay) and Ceiling --max-delay.
// So with the default Target of 1 a healthy server gets --per-host requests
// at once and no delay beyond --delay; one whose answers take more than twice
// as long as its best gets proportionally fewer. An error response (5xx, 429)
// may raise the delay but never lower it, since a fast error says nothing
// about the server's capacity.
type Throttle struct {
	Target  float64       // share of PerHost aimed for; 1 keeps every slot busy
	PerHost int           // the user's --per-host
	Floor   time.Duration // the delay never goes below this
	Ceiling time.Duration // nor above this (unless Floor is higher)
}

// SlowFloor is the response time below which a host is never taken to be
// slowing down, so that the jitter of a fast server (a millisecond against
// a tenth of one) does not throttle it.
const SlowFloor = 20 * time.Millisecond

// ThrottleState is what the auto-throttle keeps of one host.
type ThrottleState struct {
	Delay   time.Duration // the host's current delay
	Latency time.Duration // smoothed response time; 0 before the first response
	Best    time.Duration // lowest smoothed response time seen; 0 before the first
}

// Next returns the host's state after a response that took latency and had
// status.
func (t Throttle) Next(s ThrottleState, latency time.Duration, status int) ThrottleState {
	if s.Latency == 0 {
		s.Latency = latency
	} else {
		s.Latency = (7*s.Latency + 3*latency) / 10
	}
	if s.Best == 0 || s.Latency < s.Best {
		s.Best = s.Latency
	}
	n := float64(max(t.PerHost, 1))
	c := t.Target * n
	if slow := float64(s.Latency) / float64(max(s.Best, SlowFloor)); slow > 2 {
		c *= 2 / slow
	}
	var gap time.Duration
	if c < n {
		gap = time.Duration(float64(s.Latency) * min(1, n-c) / c)
	}
	next := (s.Delay + gap) / 2
	if status >= 500 || status == 429 {
		next = max(next, s.Delay)
	}
	ceiling := max(t.Ceiling, t.Floor)
	s.Delay = min(max(next, t.Floor), ceiling)
	return s
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
