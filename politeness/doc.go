// Package politeness owns what trawl owes the sites it crawls: robots.txt (RFC 9309),
// per-host delays and concurrency, Crawl-delay, Retry-After, back-off and adaptive
// throttling. It fetches nothing but robots.txt.
package politeness
