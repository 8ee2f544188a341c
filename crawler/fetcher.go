package crawler

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gocolly/colly/v2"
)

// response is what one HTTP attempt returned.
type response struct {
	status   int
	header   http.Header
	body     []byte
	reserved int64  // memory admitted for it by its Content-Length
	release  func() // gives reserved back; never nil
}

// fetcher does the HTTP work through one colly collector, configured once. The
// frontier owns deduplication, robots.txt and rate limits, so colly's own are
// switched off, and redirects are returned rather than followed so that every
// hop goes back through scope, robots and dedup.
type fetcher struct {
	c         *colly.Collector
	transport *http.Transport // shared with the robots.txt client
	maxBody   int
	admit     *admission
}

// holder carries one request's response out of colly's callback. colly passes
// the same *Context it was given, so results are keyed by job, never by URL.
type holder struct {
	resp     *colly.Response
	reserved int64
	release  func()
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
		ForceAttemptHTTP2:     true,
	}
	c.WithTransport(transport)
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
		if h, ok := r.Ctx.GetAny("h").(*holder); ok && h.release == nil {
			// Bound the bodies and trees in memory before the body is read,
			// by what it says it will be.
			if n, err := strconv.ParseInt(r.Headers.Get("Content-Length"), 10, 64); err == nil && n > 0 {
				n = min(n, int64(maxBody))
				h.reserved = cost(n, isHTML(ct, nil), n <= hugePage)
				h.release = admit.acquire(h.reserved)
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
	return &fetcher{c: c, transport: transport, maxBody: maxBody, admit: admit}
}

// fetch performs one GET. A non-nil error means there was no complete response.
func (f *fetcher) fetch(rawURL string, hdr http.Header) (*response, error) {
	h := &holder{}
	cctx := colly.NewContext()
	cctx.Put("h", h)
	err := f.c.Request(http.MethodGet, rawURL, nil, cctx, hdr)
	if h.release == nil {
		h.release = func() {}
	}
	if err != nil {
		h.release()
		return nil, err
	}
	if h.resp == nil {
		h.release()
		return nil, errNoResponse
	}
	r := h.resp
	resp := &response{status: r.StatusCode, body: r.Body, reserved: h.reserved, release: h.release}
	if r.Headers != nil {
		resp.header = *r.Headers
	} else {
		resp.header = http.Header{}
	}
	return resp, nil
}
