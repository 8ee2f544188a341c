package crawler

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpproxy"
)

// ProxyNone is Config.Proxy for direct connections, whatever the
// environment says.
const ProxyNone = "none"

// checkProxy validates Config.Proxy: empty (the environment's HTTP_PROXY,
// HTTPS_PROXY and NO_PROXY), ProxyNone alone, or http, https or socks5 URLs
// without a password (that goes in ProxyAuth, which is never stored), each
// once.
func checkProxy(list ProxyList) error {
	seen := map[string]bool{}
	for _, p := range list {
		if p == ProxyNone && len(list) > 1 {
			return errors.New("proxy: none means no proxy, and cannot be listed with proxies")
		}
		if seen[p] {
			return fmt.Errorf("proxy %q: listed twice", p)
		}
		seen[p] = true
		if err := checkProxyURL(p); err != nil {
			return err
		}
	}
	return nil
}

// checkProxyURL validates one entry of Config.Proxy.
func checkProxyURL(p string) error {
	if p == "" {
		return errors.New("proxy: an empty URL")
	}
	if p == ProxyNone {
		return nil
	}
	u, err := url.Parse(p)
	if err != nil {
		return fmt.Errorf("proxy %q: %w", p, err)
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return fmt.Errorf("proxy %q: want an http://, https:// or socks5:// URL, or none", p)
	}
	if u.Host == "" {
		return fmt.Errorf("proxy %q: no host", p)
	}
	if _, hasPass := u.User.Password(); hasPass {
		return errors.New("proxy: the URL has a password, and settings are stored: give user:password with --proxy-auth (env:VAR or file:PATH)")
	}
	return nil
}

// newProxy returns the transport's Proxy function for the environment's
// proxies, or the pool of --proxy; neither for ProxyNone. The environment
// is read when the crawl starts (http.ProxyFromEnvironment reads it once
// per process); like curl and wget, loopback hosts never go through an
// environment proxy, but do through --proxy.
func newProxy(cfg *Config) (func(*http.Request) (*url.URL, error), *proxyPool, error) {
	if len(cfg.Proxy) == 1 && cfg.Proxy[0] == ProxyNone {
		return nil, nil, nil
	}
	var user *url.Userinfo
	if !cfg.ProxyAuth.IsZero() {
		v, err := cfg.ProxyAuth.resolve("proxy_auth")
		if err != nil {
			return nil, nil, err
		}
		name, pass, ok := strings.Cut(v, ":")
		if !ok {
			return nil, nil, errors.New("proxy_auth: want user:password")
		}
		user = url.UserPassword(name, pass)
	}
	// withUser adds --proxy-auth to a proxy URL that has no credentials.
	withUser := func(u *url.URL) *url.URL {
		if u == nil || user == nil || u.User != nil {
			return u
		}
		c := *u
		c.User = user
		return &c
	}
	if len(cfg.Proxy) == 0 {
		pf := httpproxy.FromEnvironment().ProxyFunc()
		return func(r *http.Request) (*url.URL, error) {
			u, err := pf(r.URL)
			return withUser(u), err
		}, nil, nil
	}
	pool, err := newProxyPool(cfg.Proxy, user)
	if err != nil {
		return nil, nil, err
	}
	return proxyFor, pool, nil
}

// proxyName is the proxy an environment's proxy setting sends a request
// for rawURL through, as recorded with the fetch: scheme, host and port,
// never credentials; empty for a direct connection.
func (r *requestOptions) proxyName(rawURL string) string {
	if r.proxy == nil {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	p, err := r.proxy(&http.Request{URL: u, Header: http.Header{}})
	if err != nil || p == nil {
		return ""
	}
	return (&url.URL{Scheme: p.Scheme, Host: p.Host}).String()
}

// configure sets the proxy and TLS settings on the transport that colly
// and the robots.txt client share.
func (r *requestOptions) configure(rt http.RoundTripper) {
	t := baseTransport(rt)
	if t == nil {
		return
	}
	t.Proxy = r.proxy
	if r.pool != nil {
		t.OnProxyConnectResponse = onConnectResponse
	}
	r.configureTLS(t)
}

// baseTransport is the *http.Transport under the fetcher's round trippers.
func baseTransport(rt http.RoundTripper) *http.Transport {
	for {
		switch t := rt.(type) {
		case *http.Transport:
			return t
		case noReplay:
			rt = t.rt
		default:
			return nil
		}
	}
}
