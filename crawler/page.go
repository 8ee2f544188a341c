package crawler

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trawl-crawler/trawl/crawler/urlkey"
	"github.com/trawl-crawler/trawl/extract"
	"github.com/trawl-crawler/trawl/politeness"
	"github.com/trawl-crawler/trawl/store/record"
)

// fetchPage fetches one job and turns the response into an outcome for the
// store and an event for the scheduler. It runs on a fetcher goroutine.
//
// A response that is to be extracted is announced to responded first, when
// it is not nil, with everything the host's politeness needs (status,
// latency, Retry-After): the host's slot counts requests on the wire, as
// Scrapy's per-domain slots do, so the host's next request need not wait for
// this page's parse, and its delay counts from the response's arrival.
// The event returned then only frees the fetcher.
func (c *Crawler) fetchPage(f *fetcher, job record.Job, responded func(event)) (record.Outcome, event) {
	start := c.now()
	var hdr http.Header
	// Only a refresh run revalidates, and only a stored 2xx (or a 304 that
	// confirmed one): a 304 then means "the copy you have", which the pages
	// view shows as 200. A new crawl (--fresh) must see every body, since a
	// 304 has no links to follow and its queue starts from the seeds.
	if p := job.Prev; !c.cfg.RefreshCutoff.IsZero() && p.FetchID != 0 && (p.ETag != "" || p.LastModified != "") &&
		(p.Status >= 200 && p.Status <= 299 || p.Status == http.StatusNotModified) {
		hdr = http.Header{}
		if p.ETag != "" {
			hdr.Set("If-None-Match", p.ETag)
		}
		if p.LastModified != "" {
			hdr.Set("If-Modified-Since", p.LastModified)
		}
	}
	var share string
	if c.cfg.StoreBody && c.req.warc != nil {
		hdr, share = c.req.askShare(hdr)
	}
	if c.login != nil {
		c.login.gate.RLock()
	}
	resp, err := f.fetch(job.URL, hdr)
	if c.login != nil {
		c.login.gate.RUnlock()
	}
	latency := c.now().Sub(start)
	if err == nil {
		defer resp.admitted.release()
		if share != "" {
			resp.kept = c.req.takeShare(share, resp.body)
		}
	} else if share != "" {
		c.req.takeShare(share, nil)
	}
	out := record.Outcome{Job: job, NotPage: job.Via == viaSitemap}
	ev := event{kind: evFetched, host: job.Host, latency: latency, job: job}
	fr := &record.Fetch{At: start, Duration: latency}
	out.Fetch = fr
	if err != nil {
		fr.Proxy = c.req.usedProxy(job.URL, nil, err)
		fe := &FetchError{URL: job.URL, Class: fetchClass(err), Err: err}
		fr.ErrorClass, fr.Error = fe.Class, err.Error()
		ev.fail = fe
		c.finishFailure(&out, fe)
		return out, ev
	}
	fr.Proto = takeProto(resp.header)
	fr.Proxy = c.req.usedProxy(job.URL, resp.header, nil)
	out.Cookies = receivedCookies(job.URL, resp.header, start)
	ev.status = resp.status
	fr.Status = resp.status
	fr.ContentType = resp.header.Get("Content-Type")
	fr.ETag = resp.header.Get("ETag")
	fr.LastModified = resp.header.Get("Last-Modified")
	fr.Size = int64(len(resp.body))
	if len(resp.body) > 0 {
		sum := sha256.Sum256(resp.body)
		fr.ContentHash = hex.EncodeToString(sum[:16])
	}
	if resp.status == http.StatusNotModified && job.Prev.FetchID != 0 {
		// Unchanged: carry the previous fetch's facts and links forward.
		fr.Change, fr.CopyFrom = changeUnchanged, job.Prev.FetchID
		for _, r := range c.cfg.Rules {
			fr.CarryRules = append(fr.CarryRules, r.Name)
		}
		fr.ContentType, fr.Size, fr.ContentHash = "", 0, ""
		out.State = record.StateDone
		return out, ev
	}
	fr.Change = change(job.Prev, resp.status, fr.ContentHash)
	if job.Via == viaSitemap && resp.status >= 400 && resp.status < 500 && resp.status != http.StatusTooManyRequests {
		// No sitemap there: an answer, not a failure. Most sites have no
		// /sitemap.xml, and trawl asks for it unbidden.
		out.State = record.StateDone
		return out, ev
	}
	if class := statusClass(resp.status); class != "" {
		fe := &FetchError{URL: job.URL, Status: resp.status, Class: class}
		fr.ErrorClass, fr.Error = class, http.StatusText(resp.status)
		ev.fail = fe
		if resp.status == http.StatusTooManyRequests || resp.status == http.StatusServiceUnavailable {
			if d, ok := politeness.ParseRetryAfter(resp.header.Get("Retry-After"), c.now()); ok {
				ev.retryAfter = d
			}
		}
		if c.health.Defers(ev.retryAfter) {
			// Waiting that long would hold the run (and the next cron slot):
			// the URL is put off to a later run, the rest of its host goes on.
			out.State, out.Reason, out.RetryAt = record.StateSkipped, ClassDeferred, start.Add(ev.retryAfter)
			fr.Error = fmt.Sprintf("%s; Retry-After %s exceeds --max-retry-after %s: put off until %s",
				fr.Error, ev.retryAfter.Round(time.Second), time.Duration(c.cfg.MaxRetryAfter), out.RetryAt.UTC().Format(time.RFC3339))
			return out, ev
		}
		c.finishFailure(&out, fe)
		return out, ev
	}
	out.State = record.StateDone
	if len(resp.body) >= f.maxBody {
		// colly truncates silently at MaxBodySize; a body of exactly the limit
		// is taken as cut short.
		fr.Truncated = true
		fr.ErrorClass, fr.Error = ClassTooLarge, "body truncated at --max-body"
	}
	if responded != nil {
		early := ev
		early.kind = evResponded
		responded(early)
		ev = event{kind: evFetched, host: job.Host, job: job, responded: true}
	}
	switch {
	case resp.status >= 300 && resp.status < 400:
		c.redirect(&out, resp.header.Get("Location"))
	case job.Via == viaSitemap:
		c.readSitemap(&out, resp.body)
	case isHTML(fr.ContentType, resp.body):
		c.extractPage(&out, resp)
	case extract.IsJSON(fr.ContentType) && c.jsonRulesMatch(out.Job.URL):
		c.extractJSON(&out, resp)
	}
	return out, ev
}

// Values of fetches.change.
const (
	changeNew       = "new"
	changeChanged   = "changed"
	changeUnchanged = "unchanged"
	changeGone      = "gone"
)

// change compares a response with the URL's previous one.
func change(prev record.Previous, status int, hash string) string {
	wasThere := prev.Status >= 200 && prev.Status < 300 || prev.Status == http.StatusNotModified
	switch {
	case prev.FetchID == 0:
		return changeNew
	case (status == http.StatusNotFound || status == http.StatusGone) && wasThere:
		return changeGone
	case status == prev.Status && hash == prev.ContentHash,
		status >= 200 && status < 300 && prev.Status == http.StatusNotModified && hash == prev.ContentHash:
		return changeUnchanged
	}
	return changeChanged
}

// finishFailure decides between another attempt and giving up.
func (c *Crawler) finishFailure(out *record.Outcome, fe *FetchError) {
	// No proxy to go through is no fault of the URL's: retried like a
	// refused connection.
	if (fe.Retryable() || fe.Class == ClassProxy) && out.Job.Tries < c.cfg.Retries {
		out.State = record.StateQueued
		return
	}
	if fe.Class == ClassHTTP4xx {
		// A definite answer (404, 410, ...): the page is known, with that status.
		out.State = record.StateDone
		return
	}
	// Out of attempts (a 5xx, 429 or network failure), or failed for good: the
	// next run asks again.
	out.State, out.Reason = record.StateFailed, fe.Class
}

func isHTML(contentType string, body []byte) bool {
	if contentType == "" {
		contentType = http.DetectContentType(body)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return strings.Contains(strings.ToLower(contentType), "html")
	}
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// How a URL entered the frontier (urls.via).
const (
	viaSeed     = "seed"
	viaLink     = "link"
	viaRedirect = "redirect"
	viaSitemap  = "sitemap"       // a sitemap file
	viaListed   = "sitemap-entry" // a URL a sitemap lists
	viaFollow   = "follow"        // a URL a JSON rule's follow gave
)

// readSitemap queues the URLs a sitemap lists (and the files a sitemap index
// names), keeping each <lastmod>.
func (c *Crawler) readSitemap(out *record.Outcome, body []byte) {
	sm, err := extract.ParseSitemap(body)
	if err != nil {
		out.Fetch.ErrorClass, out.Fetch.Error = ClassParse, err.Error()
		return
	}
	add := func(entries []extract.SitemapURL, depth int, via string) {
		for _, e := range entries {
			u, err := c.canon.Canonical(e.Loc)
			if err != nil {
				continue
			}
			n := c.discover(u, out.Job, depth, via)
			n.LastMod = e.LastMod
			out.Discovered = append(out.Discovered, n)
		}
	}
	add(sm.Children, out.Job.Depth, viaSitemap)
	add(sm.URLs, out.Job.Depth+1, viaListed)
}

const (
	// maxURLLength is the longest URL trawl requests; longer ones (browsers
	// and servers commonly give up between 2 and 8 KB) are recorded as
	// too-long, their text cut at this length.
	maxURLLength = 4096
	// maxRedirects is the longest chain of redirects followed; a target
	// beyond it is recorded as too-many-redirects.
	maxRedirects = 10
)

// redirect records a 3xx's target and sends it back through the frontier.
// A target trawl cannot fetch still gets a row, with the reason.
func (c *Crawler) redirect(out *record.Outcome, location string) {
	job := out.Job
	if strings.TrimSpace(location) == "" {
		out.Fetch.ErrorClass, out.Fetch.Error = ClassBadURL, "redirect without a Location"
		return
	}
	base, err := url.Parse(job.URL)
	if err != nil {
		return
	}
	target, err := c.canon.Resolve(base, location)
	if err != nil {
		n := c.unfetchable(location, err, job, viaRedirect)
		n.Hops = job.Hops + 1
		out.Fetch.RedirectTo = n.URL
		out.Discovered = append(out.Discovered, n)
		return
	}
	n := c.discover(target, job, job.Depth+1, viaRedirect)
	n.Hops = job.Hops + 1
	if n.Skip == "" && n.Hops > maxRedirects {
		n.Skip = ClassTooManyRedirects
	}
	out.Fetch.RedirectTo = n.URL
	out.Discovered = append(out.Discovered, n)
}

// discover builds the frontier entry for a URL found by job.
func (c *Crawler) discover(u *url.URL, job record.Job, depth int, via string) record.NewURL {
	return c.discovered(c.judge(u), job, depth, via)
}

// urlFacts is what a canonical URL says of itself, on whichever page it is
// found: its text, its host, and the decisions that depend on nothing else.
type urlFacts struct {
	url    string // canonical; cut at maxURLLength (see clipURL)
	host   string // urlkey.HostKey
	skip   string // ClassTooLong or ClassOutOfScope, else ""
	logout bool   // the login step's logout pattern matches (asked only when skip is "")
	id     int64  // record.URLID(url)
}

// judge takes the decisions on u that depend on u alone.
func (c *Crawler) judge(u *url.URL) urlFacts {
	return c.judgeKeys(u, u.String(), urlkey.HostKey(u))
}

// judgeKeys is judge for a u whose text s and host key are known.
func (c *Crawler) judgeKeys(u *url.URL, s, host string) urlFacts {
	f := urlFacts{url: s, host: host}
	switch {
	case len(f.url) > maxURLLength:
		f.url, f.skip = clipURL(f.url), ClassTooLong
	case !c.scope.InScope(u):
		f.skip = ClassOutOfScope
	}
	// A skipped URL is never fetched: whether it would log out is moot.
	f.logout = f.skip == "" && c.login != nil && c.login.isLogout(u)
	f.id = record.URLID(f.url)
	return f
}

// discovered builds the frontier entry for a URL found by job at depth.
func (c *Crawler) discovered(f urlFacts, job record.Job, depth int, via string) record.NewURL {
	n := record.NewURL{URL: f.url, Host: f.host, Depth: depth, Via: via, ParentID: job.ID, Skip: f.skip, ID: f.id}
	switch {
	case n.Skip != "":
	case c.cfg.MaxDepth > 0 && depth > c.cfg.MaxDepth:
		n.Skip = ClassMaxDepth
	case f.logout:
		n.Skip = ClassLogout
	}
	return n
}

// linkFacts canonicalises raw, a link's URL as extracted, and judges it,
// through the crawl's memo of links (see linkMemoBytes): sites repeat their
// links from page to page, and canonicalising one cost about a
// microsecond, 2.2 million times on the four documentation sites. The
// facts depend on the URL and the crawl's settings alone. A link that is
// no URL trawl can fetch is not remembered (it is rare, and its error is
// not a string).
//
// Two memos were tried before this one: a map of 32,768 urlFacts, which the
// collector marked on every cycle (it cost more than it saved, and 5-10 MB
// of peak), and a memo.Memo measured end to end only, where a few per cent
// are lost in the noise of a crawl (trawl's CPU a page was 1.28 times the
// limit's with it and without). This one, with the URL id kept in it, took
// linkFacts from 3.4-3.6% of the in-process profile of the four-site crawl
// to 1.4-1.5% (bench/README, 2026-12-03).
func (c *Crawler) linkFacts(raw string) (urlFacts, error) {
	if v, ok := c.links.GetString(raw); ok {
		return decodeFacts(v, raw), nil
	}
	u, s, host, err := c.canon.Keys(raw)
	if err != nil {
		return urlFacts{}, err
	}
	f := c.judgeKeys(u, s, host)
	c.links.Put(raw, encodeFacts(f, raw))
	return f, nil
}

// linkMemoBytes bounds the crawl's memo of links (see linkFacts): about
// 100 bytes a link, so some 35,000 of them, against the 24,133 URLs of the
// four documentation sites.
const linkMemoBytes = 4 << 20

// encodeFacts is f as linkFacts remembers it for the link raw: the id in
// eight bytes, then the canonical URL (empty when it is raw itself, the
// usual case), the host, the skip and whether it logs out, separated by
// NULs, which none of them holds (a canonical URL percent-encodes them).
func encodeFacts(f urlFacts, raw string) string {
	u := f.url
	if u == raw {
		u = ""
	}
	logout := "0"
	if f.logout {
		logout = "1"
	}
	b := make([]byte, 8, 8+len(u)+len(f.host)+len(f.skip)+4)
	binary.LittleEndian.PutUint64(b, uint64(f.id))
	b = append(append(append(append(append(append(b, u...), 0), f.host...), 0), f.skip...), 0)
	return string(append(b, logout...))
}

// decodeFacts reverses encodeFacts.
func decodeFacts(v, raw string) urlFacts {
	id := int64(binary.LittleEndian.Uint64([]byte(v[:8])))
	u, v, _ := strings.Cut(v[8:], "\x00")
	host, v, _ := strings.Cut(v, "\x00")
	skip, logout, _ := strings.Cut(v, "\x00")
	if u == "" {
		u = raw
	}
	return urlFacts{url: u, host: host, skip: skip, logout: logout == "1", id: id}
}

// unfetchable records raw, a link or Location found by job that is no URL
// trawl can fetch (err says why), as skipped: another scheme, or no usable
// URL. Having no host of its own, it is filed under job's host.
func (c *Crawler) unfetchable(raw string, err error, job record.Job, via string) record.NewURL {
	reason := ClassBadURL
	if errors.Is(err, urlkey.ErrScheme) {
		reason = ClassScheme
	}
	if len(raw) > maxURLLength {
		raw = clipURL(raw)
	}
	return record.NewURL{URL: raw, Host: job.Host, Depth: job.Depth + 1, Via: via, ParentID: job.ID, Skip: reason}
}

// clipURL cuts an over-long URL to maxURLLength bytes and marks the cut with
// "…", which no canonical URL contains, so the record cannot collide with a
// real URL.
func clipURL(s string) string {
	return strings.ToValidUTF8(s[:maxURLLength], "") + "…"
}

// hrefCacheBytes bounds the crawl's cache of resolved hrefs (see
// extract.HrefCache): 8 MB of keys and URLs, about the 10 MB its earlier
// map of 32,768 entries took.
const hrefCacheBytes = 8 << 20

// extractPage extracts an HTML page's facts and links once, from one parsed
// tree, or for a huge page from one tokenizer pass (see admit.go), and
// records them.
func (c *Crawler) extractPage(out *record.Outcome, resp *response) {
	pageURL, err := url.Parse(out.Job.URL)
	if err != nil {
		return
	}
	fr := out.Fetch
	if sniffed := http.DetectContentType(resp.body); !strings.HasPrefix(sniffed, "text/") {
		// Binary bytes served as HTML: parsing them would only make up a
		// title and links out of noise.
		fr.ErrorClass, fr.Error = ClassParse, "the body is "+sniffed+", not HTML"
		return
	}
	tree := len(resp.body) <= hugePage || c.rulesMatch(out.Job.URL)
	// Without a Content-Length nothing was admitted yet; a page whose tree a
	// rule needs costs more than was.
	resp.admitted.ensure(cost(int64(len(resp.body)), true, tree))
	var found *extract.Extracted
	if tree {
		var doc *extract.Doc
		doc, err = extract.Parse(resp.body, fr.ContentType, pageURL)
		if extract.TooDeep(err) {
			// Browsers parse pages nested deeper than the parser's 512
			// elements; without the excess nesting, so do we.
			doc, err = extract.Parse(extract.Flatten(resp.body), fr.ContentType, pageURL)
		}
		if err != nil {
			fr.ErrorClass, fr.Error = ClassParse, err.Error()
			return
		}
		doc.UseHrefCache(c.hrefs)
		sc, _ := c.scratch.Get().(*extract.Scratch)
		if sc == nil {
			sc = new(extract.Scratch)
		}
		defer func() { // found.Links are in it until here
			sc.Release()
			c.scratch.Put(sc)
		}()
		doc.UseScratch(sc)
		found = extract.Extract(doc)
		doc.UseScratch(nil)
		out.Items = runRules(c.rules, doc, out.Job.URL)
	} else if found, err = extract.Scan(resp.body, fr.ContentType, pageURL, c.hrefs); err != nil {
		fr.ErrorClass, fr.Error = ClassParse, err.Error()
		return
	}
	p, rich, links := found.Page, found.Rich, found.Links
	fr.Title, fr.Description, fr.Canonical, fr.Lang = p.Title, p.Description, p.Canonical, p.Lang
	fr.MetaRobots, fr.Charset = p.Robots, p.Charset
	hNoIndex, hNoFollow := extract.HeaderRobots(resp.header)
	fr.NoIndex, fr.NoFollow = p.NoIndex || hNoIndex, p.NoFollow || hNoFollow

	if b, err := json.Marshal(rich); err == nil && string(b) != "{}" {
		fr.Facts = b
	}
	fr.WordCount = rich.WordCount
	if c.cfg.StoreText {
		fr.MainText = rich.MainText
	}
	if c.cfg.StoreBody {
		fr.Body, fr.BodyEncoding = c.keepBody(resp), "gzip"
	}

	out.Links = make([]record.Link, 0, len(links))
	seen := make(map[string]struct{}, len(links))
	var followed []string        // canonical, for the trap guard
	var at []int32               // aligned with followed: its index in out.Discovered, or -1
	var unusable []record.NewURL // links that are no URL trawl can fetch
	if !fr.NoFollow {
		followed = make([]string, 0, len(links))
		at = make([]int32, 0, len(links))
	}
	for _, l := range links {
		f, err := c.linkFacts(l.URL)
		if err != nil {
			if !fr.NoFollow {
				unusable = append(unusable, c.unfetchable(l.URL, err, out.Job, viaLink))
			}
			continue
		}
		out.Links = append(out.Links, record.Link{URL: f.url, Text: l.Text, Rel: l.Rel, ID: f.id})
		if fr.NoFollow {
			continue
		}
		if _, dup := seen[f.url]; dup {
			continue
		}
		seen[f.url] = struct{}{}
		followed = append(followed, f.url)
		if c.committed.has(f.id) {
			// The run has it queued already: the store would change
			// nothing for it (see committedURLs).
			at = append(at, -1)
			continue
		}
		at = append(at, int32(len(out.Discovered)))
		out.Discovered = append(out.Discovered, c.discovered(f, out.Job, out.Job.Depth+1, viaLink))
	}
	if len(followed) > 0 {
		// The page's text for content identity: its title, main text and
		// link texts (a list page's text is mostly in its links), up to
		// about 64 KB.
		text := make([]string, 0, 2+len(links))
		text = append(text, p.Title, rich.MainText)
		size := len(p.Title) + 1 + len(rich.MainText)
		for _, l := range links {
			if size > 64<<10 {
				break
			}
			text = append(text, l.Text)
			size += 1 + len(l.Text)
		}
		verdicts := c.traps.traps(pageSignals{host: out.Job.Host, url: out.Job.URL, chain: out.Job.Chain,
			text: text, links: followed})
		for i, v := range verdicts {
			if at[i] < 0 {
				continue
			}
			n := &out.Discovered[at[i]]
			n.Chain = v.chain
			if v.trap && n.Skip == "" {
				n.Skip, n.Soft = ClassTrap, true
			}
		}
	}
	out.Discovered = append(out.Discovered, unusable...)
	if !fr.NoFollow {
		for _, l := range found.Unfollowed {
			err := error(urlkey.ErrSyntax)
			if l.Scheme != "" {
				err = urlkey.ErrScheme
			}
			out.Discovered = append(out.Discovered, c.unfetchable(l.Href, err, out.Job, viaLink))
		}
	}
}

// rulesMatch reports whether a user rule for HTML runs on pageURL, and so
// needs the page's tree.
func (c *Crawler) rulesMatch(pageURL string) bool {
	for _, r := range c.rules {
		if !r.ForJSON() && r.Matches(pageURL) {
			return true
		}
	}
	return false
}

// jsonRulesMatch reports whether a JSON rule runs on pageURL: a JSON
// response is decoded only then.
func (c *Crawler) jsonRulesMatch(pageURL string) bool {
	for _, r := range c.rules {
		if r.ForJSON() && r.Matches(pageURL) {
			return true
		}
	}
	return false
}

// runRules runs every HTML rule that matches pageURL on the parsed page.
func runRules(rules []*extract.Rule, doc *extract.Doc, pageURL string) []record.Item {
	var items []record.Item
	for _, r := range rules {
		if !r.ForJSON() && r.Matches(pageURL) {
			found, miss := r.Extract(doc)
			items = appendItems(items, r.Name(), found, miss)
		}
	}
	return items
}

// runJSONRules runs every JSON rule that matches pageURL on the decoded
// response.
func runJSONRules(rules []*extract.Rule, doc *extract.JSONDoc, pageURL string) []record.Item {
	var items []record.Item
	for _, r := range rules {
		if r.ForJSON() && r.Matches(pageURL) {
			found, miss := r.ExtractJSON(doc)
			items = appendItems(items, r.Name(), found, miss)
		}
	}
	return items
}

// appendItems appends what rule found on a page to items, as the store
// keeps it: each item as JSON, then the miss, if any.
func appendItems(items []record.Item, rule string, found []map[string]any, miss string) []record.Item {
	for _, it := range found {
		b, err := json.Marshal(it)
		if err != nil {
			items = append(items, record.Item{Rule: rule, Miss: "unencodable value: " + err.Error()})
			continue
		}
		items = append(items, record.Item{Rule: rule, Data: b})
	}
	if miss != "" {
		items = append(items, record.Item{Rule: rule, Miss: miss})
	}
	return items
}

// jsonCost estimates the bytes a decoded JSON response holds per body
// byte (maps, slices, strings and json.Number text): 5.9 on a 116 KB API
// page of 100 items.
const jsonCost = 8

// extractJSON runs the JSON rules that match a JSON response: their items,
// and the URLs their follow gives, which go to the frontier as a page's
// links do (canonicalised, checked against the scope and --max-depth, and
// recorded in the page's links with rel "follow:RULE") but are not judged
// as crawler traps: a rule asked for them, and an API's next page, which
// brings one new URL per page, would look like one. An X-Robots-Tag
// nofollow keeps them from being followed.
func (c *Crawler) extractJSON(out *record.Outcome, resp *response) {
	pageURL, err := url.Parse(out.Job.URL)
	if err != nil {
		return
	}
	fr := out.Fetch
	resp.admitted.ensure(treePool, max(int64(len(resp.body))*jsonCost, 1))
	doc, err := extract.ParseJSON(resp.body, pageURL)
	if err != nil {
		if !fr.Truncated { // a body cut at --max-body is too-large, which says why
			fr.ErrorClass, fr.Error = ClassParse, err.Error()
		}
		return
	}
	if c.cfg.StoreBody {
		fr.Body, fr.BodyEncoding = c.keepBody(resp), "gzip"
	}
	fr.NoIndex, fr.NoFollow = extract.HeaderRobots(resp.header)
	out.Items = runJSONRules(c.rules, doc, out.Job.URL)
	if fr.NoFollow {
		return
	}
	seen := map[string]bool{}
	for _, r := range c.rules {
		if !r.ForJSON() || !r.Matches(out.Job.URL) {
			continue
		}
		for _, ref := range r.Follow(doc) {
			u, err := c.canon.Resolve(pageURL, ref)
			if err != nil {
				out.Discovered = append(out.Discovered, c.unfetchable(ref, err, out.Job, viaFollow))
				continue
			}
			s := u.String()
			if len(s) > maxURLLength {
				s = clipURL(s)
			}
			out.Links = append(out.Links, record.Link{URL: s, Rel: "follow:" + r.Name()})
			if seen[s] {
				continue
			}
			seen[s] = true
			out.Discovered = append(out.Discovered, c.discover(u, out.Job, out.Job.Depth+1, viaFollow))
		}
	}
}

// keepBody is resp's body gzipped for the bodies table: from the WARC
// record's compression of it when there is one, else compressed here.
func (c *Crawler) keepBody(resp *response) []byte {
	if resp.kept != nil {
		return resp.kept.Gzip()
	}
	return c.req.zip.Compress(resp.body).Gzip()
}
