package crawler

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/trawl-crawler/trawl/crawler/deflate"
)

// stallTimeout is how long a response may send nothing (before its headers,
// or mid-body) before it ends in a timeout; --timeout still bounds the
// whole request.
const stallTimeout = 10 * time.Second

// response is what one HTTP attempt returned.
type response struct {
	status   int
	header   http.Header
	body     []byte
	admitted *grant        // its memory, admitted by its Content-Length; never nil
	kept     *deflate.Body // body, compressed already for the WARC record; nil: not yet
}

// fetcher does the HTTP work through one colly collector, configured once. The
// frontier owns deduplication, robots.txt and rate limits, so colly's own are
// switched off, and redirects are returned rather than followed so that every
// hop goes back through scope, robots and dedup.
type fetcher struct {
	c         *colly.Collector
	transport http.RoundTripper // shared with the robots.txt client
	maxBody   int
	admit     *admission
}

// holder carries one request's response out of colly's callback. colly passes
// the same *Context it was given, so results are keyed by job, never by URL.
type holder struct {
	resp     *colly.Response
	admitted *grant
}

// hiddenContentType carries the real Content-Type past colly's charset
// conversion; see newFetcher.
const hiddenContentType = "X-Trawl-Content-Type"

func newFetcher(ctx context.Context, cfg *Config, admit *admission) *fetcher {
	maxBody := int(cfg.MaxBody)
	c := colly.NewCollector(
		colly.UserAgent(cfg.UserAgent),
		colly.AllowURLRevisit(),
		colly.IgnoreRobotsTxt(),
		colly.MaxBodySize(maxBody),
		colly.ParseHTTPErrorResponse(),
		colly.StdlibContext(ctx),
	)
	perHost := cfg.PerHost + 1
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		DialContext:           dialer.DialContext,
		MaxIdleConns:          cfg.Concurrency * 2,
		MaxIdleConnsPerHost:   perHost,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: min(time.Duration(cfg.Timeout), stallTimeout),
		ForceAttemptHTTP2:     true,
	}
	fetchTransport := noReplay{rt: transport, idle: min(time.Duration(cfg.Timeout), stallTimeout)}
	c.WithTransport(fetchTransport)
	c.SetRequestTimeout(time.Duration(cfg.Timeout))
	c.SetRedirectHandler(func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse })
	// colly re-encodes a body to UTF-8 by the Content-Type charset (and, given
	// any ResponseCharacterEncoding, runs it through a decoder that replaces
	// every invalid byte), before we can see the bytes as sent. extract decides
	// the charset itself, from the header, BOM and <meta>, and must also see
	// when the header is wrong. So the charset parameter is hidden from colly
	// while it reads the body and put back afterwards.
	c.OnResponseHeaders(func(r *colly.Response) {
		ct := r.Headers.Get("Content-Type")
		if h, ok := r.Ctx.GetAny("h").(*holder); ok && h.admitted.n == 0 {
			// Bound the bodies and trees in memory before the body is read,
			// by what it says it will be.
			if n, err := strconv.ParseInt(r.Headers.Get("Content-Length"), 10, 64); err == nil && n > 0 {
				n = min(n, int64(maxBody))
				h.admitted.ensure(cost(n, isHTML(ct, nil), n <= hugePage))
			}
		}
		if strings.Contains(strings.ToLower(ct), "charset") {
			r.Headers.Set(hiddenContentType, ct)
			r.Headers.Set("Content-Type", "application/octet-stream")
		}
	})
	c.OnResponse(func(r *colly.Response) {
		if ct := r.Headers.Get(hiddenContentType); ct != "" {
			r.Headers.Set("Content-Type", ct)
			r.Headers.Del(hiddenContentType)
		}
		if h, ok := r.Ctx.GetAny("h").(*holder); ok {
			h.resp = r
		}
	})
	return &fetcher{c: c, transport: fetchTransport, maxBody: maxBody, admit: admit}
}

// noReplay sends every request as its caller made it, and once, and cuts
// off a response that stalls.
//
// A GET without a body counts as replayable, and net/http's transport then
// sends it again by itself when a kept-alive connection fails (the server may
// have seen it: a reset after reading the request), invisible to the retry
// budget and the database: 6 requests on the wire for 3 attempts recorded.
// A body without GetBody makes a request not replayable; the transport
// probes it, finds it empty, and sends no body and no Content-Length.
//
// A body from which no byte arrives for idle, or less than lowSpeedBytes in
// any idle-long stretch (curl's --speed-limit), ends in a timeout then,
// rather than holding a fetcher (and one of its host's slots) until
// --timeout.
type noReplay struct {
	rt   http.RoundTripper
	idle time.Duration
}

// RoundTrip implements http.RoundTripper.
func (n noReplay) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	r := req.Clone(ctx)
	if (req.Body == nil || req.Body == http.NoBody) && req.GetBody == nil {
		r.Body, r.ContentLength = emptyBody{}, 0
	}
	resp, err := n.rt.RoundTrip(r)
	if err != nil && closedIdle(err) && ctx.Err() == nil {
		// The server had closed the kept-alive connection before it read
		// anything: the request never reached it, so sending it again on a
		// new connection is not a second attempt on the wire.
		resp, err = n.rt.RoundTrip(r)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &idleBody{rc: resp.Body, idle: n.idle, cancel: cancel}
	return resp, nil
}

// lowSpeedBytes is the least a body must send per stall period.
const lowSpeedBytes = 1024

// closedIdle reports whether err is net/http finding that the server closed
// a kept-alive connection before any response (its errServerClosedIdle is
// unexported).
func closedIdle(err error) bool {
	return strings.Contains(err.Error(), "server closed idle connection")
}

// errStalled is a response body that sent nothing (or next to nothing, when
// dripping) for too long.
type errStalled struct {
	idle     time.Duration
	dripping bool
}

func (e errStalled) Error() string {
	if e.dripping {
		return fmt.Sprintf("less than %d bytes received in %s", lowSpeedBytes, e.idle)
	}
	return fmt.Sprintf("no data received for %s", e.idle)
}
func (e errStalled) Timeout() bool   { return true }
func (e errStalled) Temporary() bool { return true }

// idleBody cancels its request when one Read waits longer than idle.
type idleBody struct {
	rc     io.ReadCloser
	idle   time.Duration
	cancel func()
	timer  *time.Timer
	fired  atomic.Bool
	since  time.Time // start of the current stretch
	got    int       // bytes received in it
}

func (b *idleBody) Read(p []byte) (int, error) {
	if b.timer == nil {
		b.timer = time.AfterFunc(b.idle, func() { b.fired.Store(true); b.cancel() })
	} else {
		b.timer.Reset(b.idle)
	}
	if b.since.IsZero() {
		b.since = time.Now()
	}
	n, err := b.rc.Read(p)
	b.timer.Stop()
	if err != nil && b.fired.Load() {
		return n, errStalled{idle: b.idle}
	}
	if b.got += n; b.got >= lowSpeedBytes {
		b.since, b.got = time.Now(), 0
	} else if err == nil && time.Since(b.since) > b.idle {
		b.cancel()
		return n, errStalled{idle: b.idle, dripping: true}
	}
	return n, err
}

func (b *idleBody) Close() error {
	if b.timer != nil {
		b.timer.Stop()
	}
	err := b.rc.Close()
	b.cancel()
	return err
}

// emptyBody is a request body net/http cannot rewind.
type emptyBody struct{}

func (emptyBody) Read([]byte) (int, error) { return 0, io.EOF }
func (emptyBody) Close() error             { return nil }

// fetch performs one GET. A non-nil error means there was no complete response.
func (f *fetcher) fetch(rawURL string, hdr http.Header) (*response, error) {
	h := &holder{admitted: f.admit.newGrant()}
	cctx := colly.NewContext()
	cctx.Put("h", h)
	err := f.c.Request(http.MethodGet, rawURL, nil, cctx, hdr)
	if err != nil {
		h.admitted.release()
		return nil, err
	}
	if h.resp == nil {
		h.admitted.release()
		return nil, errNoResponse
	}
	r := h.resp
	resp := &response{status: r.StatusCode, body: r.Body, admitted: h.admitted}
	if r.Headers != nil {
		resp.header = *r.Headers
	} else {
		resp.header = http.Header{}
	}
	return resp, nil
}
