// Command limit is the fetch+parse limit of trawl's real-site benchmark: the
// least work any crawler of these sites must do, and so the ceiling for
// trawl's pages per second. It is built and run by `go run ./bench real`.
//
// It follows every <a href> and <area href> of the given hosts breadth-first
// with a keep-alive GET loop on a fixed pool of workers: each body is read
// whole and every HTML body parsed with golang.org/x/net/html; a redirect is
// not followed but its Location queued like a link, as trawl does. A seen-set
// under a mutex makes every URL one request. Nothing is stored.
//
// With -urls it is the limit as the real-site issue measured it: a GET loop
// over a list of known URLs (a file in the -out format, written by a crawl
// of the first kind), each HTML body parsed into a DOM, no link looked for,
// resolved or queued. That is less work than any crawler can do, which must
// find its links; the benchmark reports trawl against both.
//
// Usage:
//
//	limit [-concurrency 16] [-out urls.tsv] URL...
//	limit [-concurrency 16] [-out urls.tsv] -urls urls.tsv
//
// At the end it prints one line on stdout:
//
//	limit: responses=N ok=N other=N failed=N duration=1.234s rate=123.4/s
//
// and, with -out, writes every URL it requested with its status
// ("URL<TAB>status", 0 for a failure), for the benchmark's reachable set.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func main() {
	concurrency := flag.Int("concurrency", 16, "requests in flight in total")
	out := flag.String("out", "", "write the requested URLs and their statuses here")
	known := flag.String("urls", "", "fetch the URLs of this file (URL<TAB>status lines) and follow no links")
	flag.Parse()
	if (flag.NArg() == 0) == (*known == "") || *concurrency < 1 {
		fmt.Fprintln(os.Stderr, "usage: limit [-concurrency 16] [-out FILE] URL... | -urls FILE")
		os.Exit(2)
	}
	seeds, follow := flag.Args(), true
	if *known != "" {
		var err error
		if seeds, err = readURLs(*known); err != nil {
			fmt.Fprintln(os.Stderr, "limit:", err)
			os.Exit(1)
		}
		follow = false
	}
	if err := run(seeds, follow, *concurrency, *out); err != nil {
		fmt.Fprintln(os.Stderr, "limit:", err)
		os.Exit(1)
	}
}

// crawl is the shared state: the queue, the seen-set and the results.
type crawl struct {
	prefixes []string // "scheme://host:port/" of the seeds

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []string
	active  int
	seen    map[string]struct{}
	status  map[string]int
	ok      int
	other   int
	failed  int
	stopped bool
}

func (c *crawl) inScope(u string) bool {
	for _, p := range c.prefixes {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

// add queues the URLs not seen before.
func (c *crawl) add(urls []string) {
	c.mu.Lock()
	for _, u := range urls {
		if _, dup := c.seen[u]; dup || !c.inScope(u) {
			continue
		}
		c.seen[u] = struct{}{}
		c.queue = append(c.queue, u)
	}
	c.mu.Unlock()
	c.cond.Broadcast()
}

// next returns the next URL, or false when the crawl is over.
func (c *crawl) next() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queue) == 0 && c.active > 0 {
		c.cond.Wait()
	}
	if len(c.queue) == 0 {
		c.stopped = true
		c.cond.Broadcast()
		return "", false
	}
	u := c.queue[0]
	c.queue = c.queue[1:]
	c.active++
	return u, true
}

func (c *crawl) done(u string, status int) {
	c.mu.Lock()
	c.status[u] = status
	switch {
	case status == 0:
		c.failed++
	case status == http.StatusOK:
		c.ok++
	default:
		c.other++
	}
	c.active--
	c.mu.Unlock()
	c.cond.Broadcast()
}

// readURLs reads the URLs of a file in the -out format.
func readURLs(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var urls []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if u, _, _ := strings.Cut(sc.Text(), "\t"); u != "" {
			urls = append(urls, u)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("%s: no URLs", path)
	}
	return urls, nil
}

// run crawls from seeds, or with follow false fetches exactly them.
func run(seeds []string, follow bool, concurrency int, out string) error {
	c := &crawl{seen: map[string]struct{}{}, status: map[string]int{}}
	c.cond = sync.NewCond(&c.mu)
	for _, s := range seeds {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return fmt.Errorf("seed %q: not an absolute URL", s)
		}
		if p := u.Scheme + "://" + u.Host + "/"; !slices.Contains(c.prefixes, p) {
			c.prefixes = append(c.prefixes, p)
		}
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	client := &http.Client{
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			MaxIdleConns:        concurrency * 2,
			MaxIdleConnsPerHost: concurrency + 1,
			IdleConnTimeout:     30 * time.Second,
		},
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	start := time.Now()
	c.add(seeds)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				u, ok := c.next()
				if !ok {
					return
				}
				status, links := fetch(client, u, follow)
				c.add(links)
				c.done(u, status)
			}
		}()
	}
	wg.Wait()
	dur := time.Since(start)
	n := c.ok + c.other + c.failed
	fmt.Printf("limit: responses=%d ok=%d other=%d failed=%d duration=%s rate=%.1f/s\n",
		n, c.ok, c.other, c.failed, dur.Round(time.Millisecond), float64(n)/dur.Seconds())
	if out == "" {
		return nil
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	for u, s := range c.status {
		fmt.Fprintf(bw, "%s\t%d\n", u, s)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fetch GETs u and returns its status and, when follow is set, the links of
// its body (or its redirect target). A failure is status 0.
func fetch(client *http.Client, u string, follow bool) (int, []string) {
	resp, err := client.Get(u)
	if err != nil {
		return 0, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, nil
	}
	base, err := url.Parse(u)
	if err != nil {
		return resp.StatusCode, nil
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 && follow {
		if loc := resp.Header.Get("Location"); loc != "" {
			if l, ok := resolve(base, loc); ok {
				return resp.StatusCode, []string{l}
			}
		}
		return resp.StatusCode, nil
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/html" && mt != "application/xhtml+xml" {
		return resp.StatusCode, nil
	}
	root, err := html.Parse(bytes.NewReader(body))
	if err != nil || !follow {
		return resp.StatusCode, nil
	}
	var links []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.DataAtom == atom.A || n.DataAtom == atom.Area) {
			for _, a := range n.Attr {
				if a.Key == "href" && a.Namespace == "" {
					if l, ok := resolve(base, a.Val); ok {
						links = append(links, l)
					}
					break
				}
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(root)
	return resp.StatusCode, links
}

// resolve makes href absolute against base, without its fragment.
func resolve(base *url.URL, href string) (string, bool) {
	href = strings.TrimSpace(href)
	if href == "" || href[0] == '#' {
		return "", false
	}
	ref, err := url.Parse(href)
	if err != nil {
		return "", false
	}
	r := base.ResolveReference(ref)
	if r.Scheme != "http" && r.Scheme != "https" {
		return "", false
	}
	r.Fragment, r.RawFragment = "", ""
	return r.String(), true
}
