package crawler

import (
	"time"

	"github.com/trawl-crawler/trawl/politeness"
)

// throttle is the auto-throttle for a host whose robots.txt Crawl-delay is
// crawlDelay: never below --delay or the Crawl-delay, never above --max-delay.
// The formula is politeness.Throttle's.
func (c *Crawler) throttle(crawlDelay time.Duration) politeness.Throttle {
	return politeness.Throttle{
		Target:  c.cfg.ThrottleTarget,
		Floor:   max(time.Duration(c.cfg.Delay), crawlDelay),
		Ceiling: time.Duration(c.cfg.MaxDelay),
	}
}
