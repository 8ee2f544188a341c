package crawler

import "time"

// throttle returns host h's new delay after a response, in the spirit of
// Scrapy's AutoThrottle.
//
// Each response's latency L updates a smoothed latency
//
//	lat = L                      (first response)
//	lat = 0.7·lat + 0.3·L        (after that)
//
// and the delay moves halfway towards lat / target:
//
//	delay' = clamp((delay + lat/target) / 2,  floor, --max-delay)
//	floor  = max(--delay, robots.txt Crawl-delay)
//
// Because trawl's delay runs from one response to the next request, a target
// of 1 (the default) leaves a host idle for about as long as it took to answer:
// a slow or struggling server is asked less often, a fast one barely notices.
// Larger targets crawl harder (2 allows a host to be busy with us two thirds of
// the time). An error response (5xx, 429) may raise the delay but never lower
// it, since a fast error says nothing about the server's capacity.
func (c *Crawler) throttle(h *hostQueue, ev event) time.Duration {
	if h.latency == 0 {
		h.latency = ev.latency
	} else {
		h.latency = (7*h.latency + 3*ev.latency) / 10
	}
	target := time.Duration(float64(h.latency) / c.cfg.ThrottleTarget)
	next := (h.delay + target) / 2
	if ev.status >= 500 || ev.status == 429 {
		next = max(next, h.delay)
	}
	floor := max(time.Duration(c.cfg.Delay), h.crawlDelay)
	ceiling := max(time.Duration(c.cfg.MaxDelay), floor)
	return min(max(next, floor), ceiling)
}
