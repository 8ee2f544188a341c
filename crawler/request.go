package crawler

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/publicsuffix"

	"github.com/trawl-crawler/trawl/crawler/deflate"
	"github.com/trawl-crawler/trawl/crawler/urlkey"
	"github.com/trawl-crawler/trawl/crawler/warc"
	"github.com/trawl-crawler/trawl/store/record"
)

// Secret is a credential given by reference, so that it stays out of shell
// history and of the database: "env:VAR" reads an environment variable,
// "file:PATH" a file (its trailing newline dropped), each time a crawl starts
// or resumes. A value written inline is used by the invocation that gives it
// and never stored: the stored configuration says only that one was given.
type Secret struct {
	// From is "env:VAR", "file:PATH" (absolute) or SecretInline.
	From  string `json:"from"`
	value string
}

// SecretInline is Secret.From for a secret written in the flag or config
// file itself.
const SecretInline = "inline"

// ParseSecret reads a flag or config value: "env:VAR", "file:PATH" (a
// relative PATH is taken relative to dir) or the secret itself.
func ParseSecret(v, dir string) Secret {
	switch {
	case strings.HasPrefix(v, "env:"):
		return Secret{From: v}
	case strings.HasPrefix(v, "file:"):
		p := strings.TrimPrefix(v, "file:")
		if !filepath.IsAbs(p) {
			if abs, err := filepath.Abs(filepath.Join(dir, p)); err == nil {
				p = abs
			}
		}
		return Secret{From: "file:" + p}
	case v == "":
		return Secret{}
	}
	return Secret{From: SecretInline, value: v}
}

// IsZero reports whether no secret was given.
func (s Secret) IsZero() bool { return s.From == "" }

// Inline reports whether s carries a value written inline (not a reference).
func (s Secret) Inline() bool { return s.value != "" }

// resolve returns the secret's value; setting names the setting for messages.
func (s Secret) resolve(setting string) (string, error) {
	switch {
	case s.value != "":
		return s.value, nil
	case strings.HasPrefix(s.From, "env:"):
		name := strings.TrimPrefix(s.From, "env:")
		v := os.Getenv(name)
		if v == "" {
			return "", fmt.Errorf("%s: environment variable %s is unset or empty", setting, name)
		}
		return v, nil
	case strings.HasPrefix(s.From, "file:"):
		path := strings.TrimPrefix(s.From, "file:")
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s: %w", setting, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("%s: %s is empty", setting, path)
		}
		return v, nil
	case s.From == SecretInline:
		flag := strings.ReplaceAll(setting, "_", "-")
		return "", fmt.Errorf("%s: this crawl was started with the secret written in --%s, and secrets are never stored; "+
			"give --%s again, or give it as env:VAR or file:PATH so that a resume can read it", setting, flag, flag)
	}
	return "", fmt.Errorf("%s: %q is not env:VAR, file:PATH or a value", setting, s.From)
}

// validateRequest checks the request settings that need no file or
// environment: header lines, cookie pairs, one kind of credential.
func (c *Config) validateRequest() error {
	for _, h := range c.Header {
		if _, _, err := parseHeader(h); err != nil {
			return fmt.Errorf("header %q: %w", h, err)
		}
	}
	for host, hs := range c.HostHeaders {
		if host == "" || strings.ContainsAny(host, "/ ") {
			return fmt.Errorf("host_headers: %q is not a host (write example.com or example.com:8080)", host)
		}
		for _, h := range hs {
			if _, _, err := parseHeader(h); err != nil {
				return fmt.Errorf("host_headers %s: header %q: %w", host, h, err)
			}
		}
	}
	for _, kv := range c.Cookie {
		if _, err := parseCookiePair(kv); err != nil {
			return fmt.Errorf("cookie %q: %w", kv, err)
		}
	}
	if c.WARCMaxSize < 0 {
		return fmt.Errorf("warc-max-size %d: want more than zero", c.WARCMaxSize)
	}
	if err := checkProxy(c.Proxy); err != nil {
		return err
	}
	if err := c.validateLogin(); err != nil {
		return err
	}
	if !c.BasicAuth.IsZero() && !c.Bearer.IsZero() {
		return errors.New("basic-auth and bearer: give one of them, not both")
	}
	return nil
}

// parseHeader splits "Name: value".
func parseHeader(line string) (name, value string, err error) {
	name, value, ok := strings.Cut(line, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	switch {
	case !ok:
		return "", "", errors.New(`want "Name: value"`)
	case !httpguts.ValidHeaderFieldName(name):
		return "", "", fmt.Errorf("%q is not a header name", name)
	case !httpguts.ValidHeaderFieldValue(value):
		return "", "", errors.New("the value has a control character")
	}
	return textproto.CanonicalMIMEHeaderKey(name), value, nil
}

// parseCookiePair reads a --cookie "name=value".
func parseCookiePair(kv string) (*http.Cookie, error) {
	name, value, ok := strings.Cut(kv, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return nil, errors.New(`want "name=value"`)
	}
	c := &http.Cookie{Name: name, Value: strings.TrimSpace(value), Path: "/"}
	if err := c.Valid(); err != nil {
		return nil, err
	}
	return c, nil
}

// requestOptions add the configured headers and credentials to every request,
// as an http.RoundTripper under colly and the robots.txt client. Working in
// the transport means no request can go out without them, and credentials
// are decided per request: the crawler follows no redirect itself (each hop
// is a new request), so a redirect to another host never carries them.
type requestOptions struct {
	next    http.RoundTripper
	headers http.Header
	byHost  map[string]http.Header // key: "host" or "host:port", lower case
	// auth is the Authorization value for the seeds' origins (scheme, host
	// and port: an https seed's credentials do not go to its http twin).
	auth      string
	authHosts map[string]bool
	jar       http.CookieJar
	proxy     func(*http.Request) (*url.URL, error) // nil: direct
	pool      *proxyPool                            // the proxies of --proxy; nil: the environment's, or none
	tls       *tls.Config                           // nil: Go's defaults
	warc      *warc.Writer                          // nil: no --warc
	maxBody   int
	log       *slog.Logger
	zip       *deflate.Compressor // the bodies', for the bodies table and the WARC records
	shared    *sync.Map           // share key → sharedBody, until takeShare
	shareSeq  *atomic.Uint64
	bodyBufs  *sync.Pool // *[]byte: the WARC recordings' body buffers
}

// newRequestOptions reads the request settings of cfg for the seeds: the
// credential from its environment variable or file, the cookie file.
func newRequestOptions(cfg *Config, seeds []*url.URL) (*requestOptions, error) {
	r := &requestOptions{headers: http.Header{}, byHost: map[string]http.Header{}, authHosts: map[string]bool{},
		maxBody: int(cfg.MaxBody), log: logger(nil), zip: new(deflate.Compressor), shared: new(sync.Map), shareSeq: new(atomic.Uint64), bodyBufs: new(sync.Pool)}
	for _, h := range cfg.Header {
		name, value, _ := parseHeader(h)
		r.headers.Add(name, value)
	}
	for host, hs := range cfg.HostHeaders {
		h := http.Header{}
		for _, line := range hs {
			name, value, _ := parseHeader(line)
			h.Add(name, value)
		}
		r.byHost[strings.ToLower(host)] = h
	}
	switch {
	case !cfg.BasicAuth.IsZero():
		v, err := cfg.BasicAuth.resolve("basic_auth")
		if err != nil {
			return nil, err
		}
		if !strings.Contains(v, ":") {
			return nil, errors.New("basic_auth: want user:password")
		}
		r.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(v))
	case !cfg.Bearer.IsZero():
		v, err := cfg.Bearer.resolve("bearer")
		if err != nil {
			return nil, err
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			return nil, errors.New("bearer: the token has a control character")
		}
		r.auth = "Bearer " + v
	}
	for _, s := range seeds {
		r.authHosts[urlkey.HostKey(s)] = true
	}
	proxy, pool, err := newProxy(cfg)
	if err != nil {
		return nil, err
	}
	r.proxy, r.pool = proxy, pool
	if r.tls, err = newTLSConfig(cfg); err != nil {
		return nil, err
	}
	jar, err := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	if err != nil {
		return nil, err
	}
	r.jar = jar
	if cfg.CookiesFile != "" {
		f, err := os.Open(cfg.CookiesFile)
		if err != nil {
			return nil, fmt.Errorf("cookies_file: %w", err)
		}
		fcs, err := readCookiesFile(f, cfg.CookiesFile, time.Now())
		f.Close()
		if err != nil {
			return nil, err
		}
		for _, fc := range fcs {
			jar.SetCookies(fc.url, []*http.Cookie{fc.cookie})
		}
	}
	for _, kv := range cfg.Cookie {
		ck, _ := parseCookiePair(kv)
		for _, s := range seeds {
			jar.SetCookies(&url.URL{Scheme: s.Scheme, Host: s.Host, Path: "/"}, []*http.Cookie{ck})
		}
	}
	return r, nil
}

// cookieStore is the part of the store that keeps the cookie jar across runs.
type cookieStore interface {
	Cookies(ctx context.Context) ([]record.Cookie, error)
}

// loadCookies replays the cookies the sites set in earlier runs, after the
// user's own: a session the site renewed wins over the cookie that started it.
func (r *requestOptions) loadCookies(ctx context.Context, st Store) error {
	cs, ok := st.(cookieStore)
	if !ok {
		return nil
	}
	stored, err := cs.Cookies(ctx)
	if err != nil {
		return err
	}
	for _, c := range stored {
		u, err := url.Parse(c.URL)
		if err != nil {
			continue
		}
		r.jar.SetCookies(u, []*http.Cookie{c.HTTPCookie()})
	}
	return nil
}

// wrap returns r in front of next.
func (r *requestOptions) wrap(next http.RoundTripper) http.RoundTripper {
	w := *r
	w.next = next
	if r.pool != nil {
		w.next = &proxyTransport{pool: r.pool, next: next}
	}
	return &w
}

// RoundTrip adds the headers and, for the seeds' origins, the credential.
func (r *requestOptions) RoundTrip(req *http.Request) (*http.Response, error) {
	host := r.byHost[strings.ToLower(req.URL.Host)]
	if host == nil {
		host = r.byHost[strings.ToLower(req.URL.Hostname())]
	}
	auth := r.auth != "" && r.authHosts[urlkey.HostKey(req.URL)]
	share := req.Header.Get(hiddenShare)
	if len(r.headers) > 0 || host != nil || auth || share != "" {
		// A RoundTripper must not change the request it is given.
		req = req.Clone(req.Context())
		req.Header.Del(hiddenShare)
		for k, v := range r.headers {
			req.Header[k] = v
		}
		for k, v := range host {
			req.Header[k] = v
		}
		if auth {
			req.Header.Set("Authorization", r.auth)
		}
	}
	at := time.Now()
	resp, err := r.next.RoundTrip(req)
	var proxy string
	if resp != nil {
		// The proxy's name is no header the site sent: not archived.
		proxy = resp.Header.Get(hiddenProxy)
		resp.Header.Del(hiddenProxy)
	}
	r.record(req, resp, at, share)
	if resp != nil {
		// colly's Response has no protocol version, nor the proxy that
		// carried it: carry them in headers that fetchPage takes out again.
		resp.Header.Set(hiddenProto, resp.Proto)
		if proxy != "" {
			resp.Header.Set(hiddenProxy, proxy)
		}
	}
	return resp, err
}

// hiddenProto carries the response's HTTP version past colly.
const hiddenProto = "X-Trawl-Proto"

// takeProto removes hiddenProto from h and returns it.
func takeProto(h http.Header) string {
	p := h.Get(hiddenProto)
	h.Del(hiddenProto)
	return p
}

// receivedCookies are the cookies a response set, made ready to store: a
// Max-Age becomes an absolute expiry, since the jar is replayed later.
func receivedCookies(rawURL string, h http.Header, at time.Time) []record.Cookie {
	lines := h.Values("Set-Cookie")
	if len(lines) == 0 {
		return nil
	}
	out := make([]record.Cookie, 0, len(lines))
	for _, line := range lines {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			continue // the jar ignored it too
		}
		sc := record.Cookie{URL: rawURL, Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path,
			Expires: c.Expires, Secure: c.Secure, HTTPOnly: c.HttpOnly, Received: at}
		switch {
		case c.MaxAge > 0:
			sc.Expires = at.Add(time.Duration(c.MaxAge) * time.Second)
		case c.MaxAge < 0:
			sc.Expires = time.Unix(1, 0) // deleted
		}
		switch c.SameSite {
		case http.SameSiteStrictMode:
			sc.SameSite = "Strict"
		case http.SameSiteLaxMode:
			sc.SameSite = "Lax"
		case http.SameSiteNoneMode:
			sc.SameSite = "None"
		}
		out = append(out, sc)
	}
	return out
}

// fileCookie is one line of a cookies.txt file.
type fileCookie struct {
	url    *url.URL
	cookie *http.Cookie
}

// readCookiesFile reads a Netscape cookies.txt as curl (-c) and wget
// (--save-cookies) write it: per line, tab-separated, domain,
// include-subdomains, path, secure, expiry (Unix seconds, 0 for a session
// cookie), name and value. "#HttpOnly_" before the domain marks an HttpOnly
// cookie; other lines starting with '#' are comments. Cookies that expired
// before now are left out. Every bad line is reported as "FILE:LINE: problem".
func readCookiesFile(r io.Reader, name string, now time.Time) ([]fileCookie, error) {
	var out []fileCookie
	var bad []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		httpOnly := false
		if rest, ok := strings.CutPrefix(line, "#HttpOnly_"); ok {
			line, httpOnly = rest, true
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 7 {
			bad = append(bad, fmt.Sprintf("%s:%d: want 7 tab-separated fields (domain, subdomains, path, secure, expiry, name, value), found %d", name, n, len(f)))
			continue
		}
		expiry, err := strconv.ParseInt(f[4], 10, 64)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s:%d: expiry %q is not a number of seconds", name, n, f[4]))
			continue
		}
		host := strings.TrimPrefix(strings.ToLower(f[0]), ".")
		if host == "" || f[5] == "" {
			bad = append(bad, fmt.Sprintf("%s:%d: a cookie needs a domain and a name", name, n))
			continue
		}
		secure := strings.EqualFold(f[3], "TRUE")
		path := f[2]
		if !strings.HasPrefix(path, "/") {
			path = "/"
		}
		c := &http.Cookie{Name: f[5], Value: f[6], Path: path, Secure: secure, HttpOnly: httpOnly}
		if strings.EqualFold(f[1], "TRUE") {
			c.Domain = host
		}
		if expiry != 0 {
			c.Expires = time.Unix(expiry, 0)
			if !c.Expires.After(now) {
				continue
			}
		}
		scheme := "http"
		if secure {
			scheme = "https"
		}
		out = append(out, fileCookie{url: &url.URL{Scheme: scheme, Host: host, Path: path}, cookie: c})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(bad) > 0 {
		return nil, errors.New(strings.Join(bad, "\n"))
	}
	return out, nil
}
