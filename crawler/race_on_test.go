//go:build race

package crawler

// raceEnabled: the race detector makes the crawler about 12 times slower,
// so the largest end-to-end tests crawl a smaller site under it.
const raceEnabled = true
