// Package crawler owns a crawl run: frontier scheduling over per-host queues, the
// bounded pool of fetchers (colly), retries, graceful shutdown and statistics. It sees
// the database only through the Store interface declared here.
package crawler
