package crawler

import (
	"fmt"
	"time"

	"github.com/trawl-crawler/trawl/politeness"
)

// throttle is the auto-throttle for a host whose robots.txt Crawl-delay is
// crawlDelay: never below --delay or the Crawl-delay, never above --max-delay,
// aiming at --per-host requests in flight. The formula is politeness.Throttle's.
func (c *Crawler) throttle(crawlDelay time.Duration) politeness.Throttle {
	return politeness.Throttle{
		Target:  c.cfg.ThrottleTarget,
		PerHost: c.cfg.PerHost,
		Floor:   max(time.Duration(c.cfg.Delay), crawlDelay),
		Ceiling: time.Duration(c.cfg.MaxDelay),
	}
}

// adjustDelay moves h's delay after a response that took latency and had
// status.
func (c *Crawler) adjustDelay(h *hostQueue, latency time.Duration, status int) {
	s := c.throttle(h.crawlDelay).Next(politeness.ThrottleState{Delay: h.delay, Latency: h.latency, Best: h.bestLatency}, latency, status)
	h.delay, h.latency, h.bestLatency = s.Delay, s.Latency, s.Best
}

// logPoliteness tells, at debug level (--verbose), what each host will get:
// the effective per-host concurrency, delay and throttle, so that a user
// sees at once what governs the crawl's speed.
func (c *Crawler) logPoliteness() {
	throttle := "off"
	if c.cfg.AutoThrottle {
		throttle = fmt.Sprintf("on (target %g: %g of %d requests in flight per host while it keeps its speed; max delay %s)",
			c.cfg.ThrottleTarget, min(c.cfg.ThrottleTarget, 1)*float64(c.cfg.PerHost), c.cfg.PerHost, time.Duration(c.cfg.MaxDelay))
	}
	c.log.Debug("politeness", "per_host", min(c.cfg.PerHost, c.cfg.Concurrency), "concurrency", c.cfg.Concurrency,
		"delay", time.Duration(c.cfg.Delay), "auto_throttle", throttle, "robots", !c.cfg.IgnoreRobots)
}
