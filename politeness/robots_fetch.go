package politeness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// MaxRobotsRedirects is how many redirects FetchRobots follows. RFC 9309
// §2.3.1.2 says crawlers SHOULD follow at least five; a file reached within
// them is used for the original host.
const MaxRobotsRedirects = 5

// RobotsStatus records how a host's robots.txt was obtained and therefore
// which policy applies. The values are stable strings because the crawler
// stores them in the database; each starts with its effect ("allow-all",
// "disallow-all") except "ok", so a query can tell at a glance why a host was
// or was not crawled.
type RobotsStatus string

const (
	// RobotsOK: a 2xx response; its body was parsed and its rules apply
	// (RFC 9309 §2.3.1.1).
	RobotsOK RobotsStatus = "ok"
	// RobotsAllowAll4xx: a 4xx response, 401, 403 and 429 included. The
	// file is "unavailable" and the crawler MAY access anything
	// (§2.3.1.3); the body is ignored.
	RobotsAllowAll4xx RobotsStatus = "allow-all-4xx"
	// RobotsDisallowAll5xx: a 5xx response. The file is "unreachable" and
	// the crawler MUST assume complete disallow (§2.3.1.4); the body is
	// ignored.
	RobotsDisallowAll5xx RobotsStatus = "disallow-all-5xx"
	// RobotsDisallowAllStatus: a status the RFC does not cover (1xx, a 3xx
	// that cannot be followed, e.g. without a usable Location, or a code
	// outside 100-599). Treated like 5xx: we could not learn the rules, so
	// we do not crawl.
	RobotsDisallowAllStatus RobotsStatus = "disallow-all-status"
	// RobotsDisallowAllError: no usable response: connection, DNS,
	// timeout, TLS or body read error, or context cancellation. Complete
	// disallow (§2.3.1.4); FetchRobots also returns the error.
	RobotsDisallowAllError RobotsStatus = "disallow-all-error"
	// RobotsRedirectLoop: a redirect pointed back to a URL already
	// requested. Treated as unavailable, like 4xx, which §2.3.1.2 permits.
	RobotsRedirectLoop RobotsStatus = "allow-all-redirect-loop"
	// RobotsTooManyRedirects: still redirected after MaxRobotsRedirects
	// hops. Treated as unavailable, like 4xx, which §2.3.1.2 permits.
	RobotsTooManyRedirects RobotsStatus = "allow-all-too-many-redirects"
)

// RobotsFromResponse turns a final (non-redirect) HTTP status and body into
// rules, per RFC 9309 §2.3.1: 2xx bodies are parsed, 4xx allows everything,
// 5xx and anything else disallow everything. Bodies of non-2xx responses are
// ignored: an error page that happens to look like a robots.txt is not one.
func RobotsFromResponse(status int, body []byte) (*Robots, RobotsStatus) {
	switch {
	case status >= 200 && status <= 299:
		return ParseRobots(body), RobotsOK
	case status >= 400 && status <= 499:
		return AllowAll(), RobotsAllowAll4xx
	case status >= 500 && status <= 599:
		return DisallowAll(), RobotsDisallowAll5xx
	default:
		return DisallowAll(), RobotsDisallowAllStatus
	}
}

// FetchRobots fetches origin's /robots.txt with client and returns the rules
// to apply to origin and how they were obtained. Only origin's scheme and
// host are used.
//
// Redirects (301, 302, 303, 307, 308), also to other hosts, are followed by
// FetchRobots itself, up to MaxRobotsRedirects, so that loops and hop counts
// are visible; it uses a shallow copy of client whose CheckRedirect stops at
// the first response, and the caller's client is left untouched (its
// transport, jar and timeout are used). At most MaxRobotsSize bytes of the
// body are read (plus one, to tell a truncated file from one of exactly the
// limit).
//
// The error is non-nil only when no HTTP response could be obtained or read
// (network, DNS, timeout, TLS, context cancellation, an invalid origin); the
// rules are then DisallowAll and the status RobotsDisallowAllError. The error
// names the URL and wraps the cause, so errors.Is(err, context.Canceled)
// tells a shutdown apart from a failing host. HTTP-level outcomes (4xx, 5xx,
// redirect trouble) are reported through the status with a nil error.
func FetchRobots(ctx context.Context, client *http.Client, origin *url.URL, userAgent string) (*Robots, RobotsStatus, error) {
	var scheme string
	if origin != nil {
		scheme = strings.ToLower(origin.Scheme)
	}
	if (scheme != "http" && scheme != "https") || origin.Host == "" {
		return DisallowAll(), RobotsDisallowAllError, fmt.Errorf("robots.txt: invalid origin %q: want http(s)://host", originString(origin))
	}
	if client == nil {
		client = http.DefaultClient
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	target := &url.URL{Scheme: scheme, Host: origin.Host, Path: robotsPath}
	requested := []string{target.String()}
	for hops := 0; ; hops++ {
		resp, err := get(ctx, &c, target, userAgent)
		if err != nil {
			return DisallowAll(), RobotsDisallowAllError, fmt.Errorf("robots.txt %s: %w", target.Redacted(), err)
		}
		if next := redirectTarget(resp, target); next != nil {
			discard(resp.Body)
			if slices.Contains(requested, next.String()) {
				return AllowAll(), RobotsRedirectLoop, nil
			}
			if hops == MaxRobotsRedirects {
				return AllowAll(), RobotsTooManyRedirects, nil
			}
			target = next
			requested = append(requested, next.String())
			continue
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			discard(resp.Body)
			r, st := RobotsFromResponse(resp.StatusCode, nil)
			return r, st, nil
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, MaxRobotsSize+1))
		// A truncated body is closed unread: the transport then drops the
		// connection instead of downloading the rest.
		resp.Body.Close()
		if err != nil {
			return DisallowAll(), RobotsDisallowAllError, fmt.Errorf("robots.txt %s: read body: %w", target.Redacted(), err)
		}
		r, st := RobotsFromResponse(resp.StatusCode, body)
		return r, st, nil
	}
}

// get issues one GET. A *url.Error is unwrapped because it repeats the URL
// that our own wrapping already names.
func get(ctx context.Context, c *http.Client, u *url.URL, userAgent string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	if userAgent != "" {
		req.Header.Set("User-Agent", userAgent)
	}
	req.Header.Set("Accept", "text/plain, */*;q=0.5")
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, err
	}
	return resp, nil
}

// redirectTarget returns where a redirect response points, or nil when resp
// is not a redirect that can be followed (no or bad Location, or a scheme
// other than http/https).
func redirectTarget(resp *http.Response, base *url.URL) *url.URL {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return nil
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil
	}
	next, err := base.Parse(loc)
	if err != nil || (next.Scheme != "http" && next.Scheme != "https") || next.Host == "" {
		return nil
	}
	next.Fragment, next.RawFragment = "", ""
	return next
}

// discard reads a little of an unwanted body so the connection can be
// reused, then closes it.
func discard(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 4<<10)
	body.Close()
}

func originString(u *url.URL) string {
	if u == nil {
		return "<nil>"
	}
	return u.Redacted()
}
