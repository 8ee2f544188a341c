package crawler

import (
	"context"
	"log/slog"
	"time"

	"github.com/trawl-crawler/trawl/store/record"
)

// fetchLogLevel is the level of the one line per request (trawl crawl -v):
// a request log, as wget and Scrapy print, that costs one Enabled check per
// fetch when it is off.
const fetchLogLevel = slog.LevelDebug

// logFetch logs one page request's outcome, as the writer will record it:
// the URL, the HTTP status (0 when there was no response), the body size,
// the time it took, and what becomes of the URL (done, failed, skipped, or
// retry when it is queued again), with the error class and message of a
// failure. An outcome decided without a request (requested false: robots.txt
// forbids the URL, or could not be read) is logged as "not fetched".
func (c *Crawler) logFetch(ctx context.Context, o record.Outcome, requested bool) {
	if !c.log.Enabled(ctx, fetchLogLevel) {
		return
	}
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs, slog.String("url", o.Job.URL))
	state := o.State
	if state == record.StateQueued {
		state = "retry"
	}
	if f := o.Fetch; requested && f != nil {
		attrs = append(attrs, slog.Int("status", f.Status), slog.Int64("size", f.Size),
			slog.Float64("duration_ms", millis(f.Duration)), slog.String("outcome", state))
		if o.Job.Tries > 0 {
			attrs = append(attrs, slog.Int("attempt", o.Job.Tries+1))
		}
		if f.Change != "" {
			attrs = append(attrs, slog.String("change", f.Change))
		}
		if f.RedirectTo != "" {
			attrs = append(attrs, slog.String("redirect_to", f.RedirectTo))
		}
		if f.ErrorClass != "" {
			attrs = append(attrs, slog.String("class", f.ErrorClass), slog.String("error", f.Error))
		}
	} else {
		attrs = append(attrs, slog.String("outcome", state))
		if f != nil && f.ErrorClass != "" {
			attrs = append(attrs, slog.String("class", f.ErrorClass), slog.String("error", f.Error))
		} else if o.Reason != "" {
			attrs = append(attrs, slog.String("class", o.Reason))
		}
	}
	if n := countItems(o.Items); n > 0 {
		attrs = append(attrs, slog.Int("items", n))
	}
	msg := "fetch"
	if !requested {
		msg = "not fetched"
	}
	c.log.LogAttrs(ctx, fetchLogLevel, msg, attrs...)
}

// logRobots logs one robots.txt request (trawl crawl -v).
func (c *Crawler) logRobots(ctx context.Context, host, status string, took time.Duration, err error) {
	if !c.log.Enabled(ctx, fetchLogLevel) {
		return
	}
	attrs := []slog.Attr{slog.String("url", host+"/robots.txt"), slog.String("robots", status),
		slog.Float64("duration_ms", millis(took))}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.log.LogAttrs(ctx, fetchLogLevel, "fetch robots.txt", attrs...)
}

// countItems counts the items among a page's rule results (misses are not
// items).
func countItems(items []record.Item) int {
	n := 0
	for _, it := range items {
		if it.Data != nil {
			n++
		}
	}
	return n
}

// millis is d in milliseconds, to the microsecond: a loopback or cached
// response takes well under one.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
