// Command baseline is the reference crawler of trawl's benchmark: an idiomatic,
// bare colly v2 crawler that follows every link within the given hosts and keeps
// nothing but counters. It is built and run by `go run ./bench`, which measures
// its wall time and peak RSS exactly as it measures trawl's.
//
// Usage:
//
//	baseline [-concurrency 16] [-timeout 30s] [-dedup] URL...
//
// It follows only links to the seeds' hosts (host:port). With -dedup, a link
// is visited only if a mutex-guarded set of the absolute URLs already asked
// for does not hold it: colly's own visited check and mark are two steps
// with no lock across them, so without the set concurrent discoveries of
// one URL each fetch it. At the end it prints one line on stdout:
//
//	baseline: responses=N ok=N http_errors=N failed=N requests=N unique=N duplicates=N duration=1.234s rate=123.4/s
//
// responses counts every completed request (OnResponse plus OnError); requests
// counts OnRequest calls and unique the distinct URLs among them, so duplicates
// shows how many fetches colly's racy async visited set let through twice.
package main

import (
	"flag"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"
)

func main() {
	concurrency := flag.Int("concurrency", 16, "requests in flight in total (colly LimitRule Parallelism)")
	timeout := flag.Duration("timeout", 30*time.Second, "timeout for one request")
	dedup := flag.Bool("dedup", false, "visit a link only when a mutex-guarded set of the URLs asked for does not hold it")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: baseline [flags] URL...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || *concurrency < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Args(), *concurrency, *timeout, *dedup); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

// counters are the only state the crawl keeps besides colly's own visited set.
type counters struct {
	ok, httpErrors, failed, requests atomic.Int64

	mu   sync.Mutex
	seen map[uint64]struct{} // FNV-64a of every requested URL
}

// request records one outgoing request's URL.
func (c *counters) request(u string) {
	c.requests.Add(1)
	h := fnv.New64a()
	_, _ = h.Write([]byte(u))
	c.mu.Lock()
	c.seen[h.Sum64()] = struct{}{}
	c.mu.Unlock()
}

func (c *counters) unique() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// askedSet is -dedup's set of the absolute URLs the crawl has asked colly
// to visit.
type askedSet struct {
	mu   sync.Mutex
	urls map[string]struct{}
}

// first reports whether u was not asked for before, and marks it.
func (s *askedSet) first(u string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.urls[u]; ok {
		return false
	}
	s.urls[u] = struct{}{}
	return true
}

func run(seeds []string, concurrency int, timeout time.Duration, dedup bool) error {
	// colly's AllowedDomains compares url.Hostname(), without the port, so on
	// its own it would also admit other ports of the same IP. A URL filter on
	// the exact scheme://host:port/ prefixes restricts the crawl to the seeds'
	// hosts; AllowedDomains is kept as the idiomatic first gate.
	var hostnames, prefixes []string
	for _, s := range seeds {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return fmt.Errorf("seed %q: not an absolute URL", s)
		}
		hostnames = append(hostnames, u.Hostname())
		prefixes = append(prefixes, regexp.QuoteMeta(u.Scheme+"://"+u.Host)+"(/|$)")
	}
	filter, err := regexp.Compile("^(" + strings.Join(prefixes, "|") + ")")
	if err != nil {
		return err
	}

	c := colly.NewCollector(
		colly.Async(true),
		colly.AllowedDomains(hostnames...),
		colly.URLFilters(filter),
	)
	// The default transport keeps 2 idle connections per host; at loopback speed
	// the rest end in TIME_WAIT. Size it like trawl's.
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	c.WithTransport(&http.Transport{
		DialContext:           dialer.DialContext,
		MaxIdleConns:          concurrency * 2,
		MaxIdleConnsPerHost:   concurrency + 1,
		IdleConnTimeout:       30 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	})
	c.SetRequestTimeout(timeout)
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: concurrency}); err != nil {
		return err
	}

	n := &counters{seen: make(map[uint64]struct{})}
	c.OnRequest(func(r *colly.Request) { n.request(r.URL.String()) })
	c.OnResponse(func(*colly.Response) { n.ok.Add(1) })
	c.OnError(func(r *colly.Response, _ error) {
		if r != nil && r.StatusCode > 0 {
			n.httpErrors.Add(1)
		} else {
			n.failed.Add(1)
		}
	})
	asked := &askedSet{urls: make(map[string]struct{})}
	c.OnHTML("a[href]", func(e *colly.HTMLElement) {
		// colly keeps the fragment in the URL it dedups, so "5" and "5#s3" would
		// be two fetches of one page; trawl drops fragments, and so does this.
		href, _, _ := strings.Cut(e.Attr("href"), "#")
		if href == "" {
			return
		}
		if dedup {
			abs := e.Request.AbsoluteURL(href)
			if abs == "" || !asked.first(abs) {
				return
			}
			href = abs
		}
		_ = e.Request.Visit(href)
	})

	start := time.Now()
	for _, s := range seeds {
		asked.first(s)
		if err := c.Visit(s); err != nil {
			return fmt.Errorf("visit %s: %w", s, err)
		}
	}
	c.Wait()
	dur := time.Since(start)

	responses := n.ok.Load() + n.httpErrors.Load() + n.failed.Load()
	unique := n.unique()
	fmt.Printf("baseline: responses=%d ok=%d http_errors=%d failed=%d requests=%d unique=%d duplicates=%d duration=%s rate=%.1f/s\n",
		responses, n.ok.Load(), n.httpErrors.Load(), n.failed.Load(), n.requests.Load(), unique,
		n.requests.Load()-int64(unique), dur.Round(time.Millisecond), float64(responses)/dur.Seconds())
	return nil
}
