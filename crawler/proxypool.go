package crawler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/crawler/urlkey"
	"github.com/trawl-crawler/trawl/politeness"
)

// ClassProxy is the error class of a fetch that found no proxy to go
// through: every proxy of --proxy was failing, or resting after failing.
// A proxy failure is never the site's, so it leaves the host's health
// alone; the URL is retried like one that met a refused connection.
const ClassProxy = "proxy"

// ProxyList is Config.Proxy: empty (the environment's HTTP_PROXY,
// HTTPS_PROXY and NO_PROXY), [ProxyNone], or one or more proxy URLs. It is
// stored as a string when it holds one URL, as trawl stored it before lists,
// and reads either form.
type ProxyList []string

// MarshalJSON writes one proxy as a string, several as a list.
func (p ProxyList) MarshalJSON() ([]byte, error) {
	if len(p) == 1 {
		return json.Marshal(p[0])
	}
	return json.Marshal([]string(p))
}

// UnmarshalJSON reads a string or a list of strings.
func (p *ProxyList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*p = nil
		if one != "" {
			*p = ProxyList{one}
		}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*p = list
	return nil
}

// Proxy rest: a failing proxy is not asked again for half to all of
// proxyRestBase, doubled for each failure in a row, up to
// politeness.Backoff's cap (10 minutes).
// A success ends the row.
const proxyRestBase = 10 * time.Second

// proxyPool spreads requests over the proxies of --proxy and keeps their
// health.
//
// Requests are spread per host, not per request: a host's requests go
// through one proxy (hosts are given proxies in turn, in the order they
// are first asked for) for as long as it works, so that a site sees one
// client address, and a login session or a per-address rate limit holds.
// When a host's proxy fails, the host moves to the next working proxy and
// stays there.
//
// A proxy failure (see proxyFailure) rests the proxy and sends the same
// request again at once through another, within the one attempt: a proxy
// going down costs the URL nothing of its retries. Only when every proxy
// is failing or resting does the fetch fail, with ClassProxy.
type proxyPool struct {
	proxies []*poolProxy
	log     *slog.Logger
	now     func() time.Time

	mu     sync.Mutex
	byHost map[string]int // host key -> index in proxies
	next   int            // the proxy the next new host gets
	rng    *rand.Rand
}

// poolProxy is one proxy of the pool and its health.
type poolProxy struct {
	url  *url.URL // with --proxy-auth's credentials
	name string   // scheme://host:port, as fetches.proxy records it

	// Guarded by the pool's mutex.
	restUntil time.Time
	fails     int // failures in a row
}

// newProxyPool builds the pool of list (checked by checkProxy), with user
// as every proxy's credentials when not nil.
func newProxyPool(list ProxyList, user *url.Userinfo) (*proxyPool, error) {
	p := &proxyPool{log: logger(nil), now: time.Now, byHost: map[string]int{},
		rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x70727879))}
	for _, raw := range list {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("proxy %q: %w", raw, err)
		}
		name := (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
		if user != nil && u.User == nil {
			c := *u
			c.User = user
			u = &c
		}
		p.proxies = append(p.proxies, &poolProxy{url: u, name: name})
	}
	return p, nil
}

// proxyKey is the request context key under which the pool tells the
// transport's Proxy function which proxy to dial.
type proxyKey struct{}

// proxyFor is the transport's Proxy function: the proxy the pool chose for
// the request.
func proxyFor(r *http.Request) (*url.URL, error) {
	if p, ok := r.Context().Value(proxyKey{}).(*poolProxy); ok {
		return p.url, nil
	}
	return nil, nil
}

// pick returns the proxy for host: its own while it works, else the next
// working one, which becomes its own. It skips those in tried.
func (p *proxyPool) pick(host string, tried map[int]bool) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if i, ok := p.byHost[host]; ok && !tried[i] && !p.proxies[i].restUntil.After(now) {
		return i, true
	}
	for k := range p.proxies {
		i := (p.next + k) % len(p.proxies)
		if tried[i] || p.proxies[i].restUntil.After(now) {
			continue
		}
		p.next = (i + 1) % len(p.proxies)
		p.byHost[host] = i
		return i, true
	}
	return 0, false
}

// failed rests proxy i after a failure of a request that started at start.
// A failure of a request sent before the proxy was rested (many were in
// flight when it went down) does not lengthen the rest.
func (p *proxyPool) failed(i int, start time.Time, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	px := p.proxies[i]
	now := p.now()
	if px.restUntil.After(start) {
		return
	}
	px.fails++
	rest := politeness.Backoff(proxyRestBase, px.fails, p.rng)
	px.restUntil = now.Add(rest)
	p.log.Warn("proxy failing: rested, its requests go through another", "proxy", px.name, "reason", why,
		"rest", rest.Round(time.Second).String(), "failures", px.fails)
}

// worked ends proxy i's row of failures.
func (p *proxyPool) worked(i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	px := p.proxies[i]
	if px.fails > 0 {
		p.log.Info("proxy working again", "proxy", px.name)
	}
	px.fails, px.restUntil = 0, time.Time{}
}

// proxyTransport sends requests through the pool's proxies.
type proxyTransport struct {
	pool *proxyPool
	next http.RoundTripper
}

// ProxiesDownError is a request that no proxy could carry: every one was
// resting or failed it. Its class is ClassProxy.
type ProxiesDownError struct {
	URL string
	// Last is the last proxy failure, nil when every proxy was resting.
	Last error
}

func (e *ProxiesDownError) Error() string {
	if e.Last == nil {
		return fmt.Sprintf("%s: no proxy to go through: every proxy is resting after failures", e.URL)
	}
	return fmt.Sprintf("%s: no proxy to go through: every proxy failed or is resting (last: %v)", e.URL, e.Last)
}

// Unwrap returns the last proxy failure.
func (e *ProxiesDownError) Unwrap() error { return e.Last }

// viaProxyError is a failed request that a proxy carried, with the proxy's
// name for the fetch's record. Its message and class are the error's.
type viaProxyError struct {
	proxy string
	err   error
}

func (e *viaProxyError) Error() string { return e.err.Error() }
func (e *viaProxyError) Unwrap() error { return e.err }

// hiddenProxy carries the proxy that answered past colly, as hiddenProto
// carries the HTTP version.
const hiddenProxy = "X-Trawl-Proxy"

// RoundTrip sends req through the host's proxy, and through the others in
// turn while proxies fail.
func (t *proxyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	host := urlkey.HostKey(req.URL)
	tried := map[int]bool{}
	var last error
	for {
		i, ok := t.pool.pick(host, tried)
		if !ok {
			return nil, &ProxiesDownError{URL: req.URL.String(), Last: last}
		}
		tried[i] = true
		px := t.pool.proxies[i]
		r := req.WithContext(context.WithValue(req.Context(), proxyKey{}, px))
		if len(tried) > 1 && req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, &viaProxyError{proxy: px.name, err: last}
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r.Body = body
		}
		start := t.pool.now()
		resp, err := t.next.RoundTrip(r)
		if why := proxyFailure(req.URL, resp, err); why != "" {
			if resp != nil {
				io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // only to reuse the connection
				resp.Body.Close()
			}
			t.pool.failed(i, start, why)
			last = fmt.Errorf("proxy %s: %s", px.name, why)
			if req.Context().Err() != nil {
				return nil, req.Context().Err()
			}
			continue
		}
		if err != nil {
			return nil, &viaProxyError{proxy: px.name, err: err}
		}
		t.pool.worked(i)
		resp.Header.Set(hiddenProxy, px.name)
		return resp, nil
	}
}

// proxyStatusErrors are the RFC 9209 Proxy-Status error types that blame
// the proxy itself rather than the site it was to reach.
var proxyStatusErrors = []string{"proxy_internal_error", "proxy_configuration_error", "proxy_loop_detected", "proxy_internal_response"}

// proxyFailure says why a request through a proxy failed because of the
// proxy, or "" when it did not (it worked, or the site failed it). A proxy
// fails a request when
//
//   - no connection to it could be made (refused, unreachable, a timeout
//     or a TLS failure while connecting to the proxy itself);
//   - for a plain http request, the connection to the proxy broke before a
//     response came (a reset or close: the proxy is the only peer of such
//     a request); a timeout waiting for the response is the site's;
//   - it answers 407 Proxy Authentication Required, to a request or to a
//     CONNECT;
//   - it answers a 5xx (to a request or to a CONNECT) carrying an RFC 9209
//     Proxy-Status header that names one of its own errors.
//
// Anything else through a proxy (a 502 about the site, a CONNECT refused
// otherwise, the site's TLS errors) is the URL's, classified as usual.
func proxyFailure(target *url.URL, resp *http.Response, err error) string {
	if err != nil {
		var refused *connectRefusedError
		if errors.As(err, &refused) {
			return refused.why()
		}
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "proxyconnect" {
			return "cannot connect: " + op.Err.Error()
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return ""
		}
		var ne net.Error
		if target.Scheme == "http" && !(errors.As(err, &ne) && ne.Timeout()) {
			return "connection broken: " + err.Error()
		}
		return ""
	}
	return statusFailure(resp.StatusCode, resp.Header)
}

// statusFailure is proxyFailure for a status the proxy answered.
func statusFailure(status int, h http.Header) string {
	if status == http.StatusProxyAuthRequired {
		return "407 Proxy Authentication Required (check --proxy-auth)"
	}
	if status >= 500 {
		ps := strings.ToLower(strings.Join(h.Values("Proxy-Status"), ","))
		for _, e := range proxyStatusErrors {
			if strings.Contains(ps, "error="+e) {
				return fmt.Sprintf("%d with Proxy-Status %s", status, e)
			}
		}
	}
	return ""
}

// connectRefusedError is a proxy's answer to CONNECT other than 200,
// carried out of the transport with its status and headers (net/http
// reports only the status text).
type connectRefusedError struct {
	proxy  string
	status int
	header http.Header
}

func (e *connectRefusedError) Error() string {
	return fmt.Sprintf("proxy %s refused the tunnel: %d %s", e.proxy, e.status, http.StatusText(e.status))
}

// why is the failure it is of the proxy's, or "".
func (e *connectRefusedError) why() string { return statusFailure(e.status, e.header) }

// onConnectResponse is the transport's OnProxyConnectResponse: a refused
// CONNECT becomes a connectRefusedError.
func onConnectResponse(_ context.Context, proxy *url.URL, _ *http.Request, resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return &connectRefusedError{proxy: (&url.URL{Scheme: proxy.Scheme, Host: proxy.Host}).String(),
		status: resp.StatusCode, header: resp.Header.Clone()}
}

// fetchClass is classify for a fetch's error, with the proxy's class.
func fetchClass(err error) string {
	var down *ProxiesDownError
	if errors.As(err, &down) {
		return ClassProxy
	}
	return classify(err)
}

// usedProxy is the proxy a fetch went through, as recorded with it: the
// pool's choice (from the response, or the error), or for the environment's
// proxies the one they name for rawURL.
func (r *requestOptions) usedProxy(rawURL string, h http.Header, err error) string {
	if r.pool == nil {
		return r.proxyName(rawURL)
	}
	if h != nil {
		p := h.Get(hiddenProxy)
		h.Del(hiddenProxy)
		return p
	}
	var via *viaProxyError
	if errors.As(err, &via) {
		return via.proxy
	}
	return ""
}
