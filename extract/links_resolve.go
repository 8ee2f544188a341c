package extract

import (
	"net/url"
	"strings"

	whatwgurl "github.com/nlnwa/whatwg-url/url"
)

// resolveHref resolves href (already cleaned by cleanHref) against base, which
// may be nil, as the URL Standard does, and returns the absolute URL, or nil
// when a browser would find no http(s) URL. The WHATWG path drops the fragment.
//
// Most hrefs mean the same to RFC 3986 and to the URL Standard; those go
// through net/url, which is several times faster than a WHATWG parser. The
// rest (see plainHref) and everything net/url rejects although browsers
// follow it ("100%.html", "[61:24:74]:98", non-ASCII userinfo) go through the
// WHATWG parser. Hosts are left for browserForm and the frontier's
// canonicalisation to finish (IDNA, IPv4 spellings).
func (d *Doc) resolveHref(base *url.URL, href string) *url.URL {
	if plainHref(base, href) {
		if ref, err := url.Parse(href); err == nil {
			if base == nil {
				return ref
			}
			return base.ResolveReference(ref)
		}
	}
	return d.resolveWHATWG(base, href)
}

// plainHref reports whether net/url resolves href against base as a browser
// does: base is http(s) (or absent), href has no control characters and no
// backslash before its query (a '/' to the URL Standard), a scheme or "//"
// in it is followed by exactly two slashes and a host ("http:x" against an
// http page is relative, "///x" names the host x), and the authority has no
// percent-escape.
func plainHref(base *url.URL, href string) bool {
	if base != nil && base.Scheme != "http" && base.Scheme != "https" {
		return false
	}
	query := false
	for i := 0; i < len(href); i++ {
		switch c := href[i]; {
		case c < 0x20 || c == 0x7f:
			return false
		case c == '\\' && !query:
			return false
		case c == '?' || c == '#':
			query = true
		}
	}
	rest := href
	if s, ok := scheme(href); ok {
		rest = href[len(s)+1:]
		if !strings.HasPrefix(rest, "//") {
			return false
		}
	}
	if !strings.HasPrefix(rest, "//") {
		return true
	}
	if strings.HasPrefix(rest, "///") {
		return false
	}
	// net/url decodes a host before checking it, so "//ho%2Fst/" would
	// become the host "ho" and the path "/st/"; the URL Standard rejects it.
	auth := rest[2:]
	if i := strings.IndexAny(auth, "/?#"); i >= 0 {
		auth = auth[:i]
	}
	return strings.IndexByte(auth, '%') < 0
}

// resolveWHATWG is resolveHref's slow path. A non-ASCII query is encoded in
// the page's charset first, which the parser cannot do for multi-byte
// charsets.
func (d *Doc) resolveWHATWG(base *url.URL, href string) *url.URL {
	if i := strings.IndexByte(href, '?'); i >= 0 && queryEncoder(d.Charset) != nil {
		q := href[i+1:]
		if j := strings.IndexByte(q, '#'); j >= 0 {
			q = q[:j]
		}
		if !isASCII(q) {
			href = href[:i+1] + escapeQuery(q, d.Charset)
		}
	}
	u := parseWHATWG(base, href)
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil
	}
	return u
}

// resolveBase resolves a <base href> against the page's URL. Unlike a link,
// a base may have any scheme; the caller decides which it keeps.
func resolveBase(pageURL *url.URL, href string) *url.URL {
	if plainHref(pageURL, href) {
		if ref, err := url.Parse(href); err == nil {
			return pageURL.ResolveReference(ref)
		}
	}
	return parseWHATWG(pageURL, href)
}

// parseWHATWG parses href against base (nil for none) with the WHATWG URL
// parser and returns the result, without fragment, as a *url.URL, or nil if
// the parser fails. Host parsing is lax because the parser applies the STD3
// rules the URL Standard turns off (it rejects "a_b.bücher.example");
// browserForm and the frontier judge the host.
func parseWHATWG(base *url.URL, href string) *url.URL {
	p := whatwgurl.NewParser(whatwgurl.WithLaxHostParsing())
	var (
		u   *whatwgurl.Url
		err error
	)
	if base == nil {
		u, err = p.Parse(href)
	} else {
		u, err = p.ParseRef(base.String(), href)
	}
	if err != nil {
		return nil
	}
	if h := u.Hostname(); !strings.HasPrefix(h, "[") && strings.ContainsAny(h, forbiddenHost) {
		// Lax parsing keeps a host with a forbidden character ("ho%2Fst"
		// decodes to "ho/st"), which net/url would read as another host.
		return nil
	}
	r, err := url.Parse(escapeStrayPercent(u.Href(true)))
	if err != nil {
		return nil
	}
	return r
}

// forbiddenHost is the URL Standard's forbidden domain code points that
// survive lax host parsing, and '%', which no valid host keeps.
const forbiddenHost = "\x00\t\n\r #%/:<>?@[\\]^|"

// escapeStrayPercent writes a '%' that starts no escape as "%25". The URL
// Standard keeps it literal ("100%.html"); net/url cannot hold it, and servers
// decode "%25" to the same '%'.
func escapeStrayPercent(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])) {
			if last == 0 {
				b.Grow(len(s) + 8)
			}
			b.WriteString(s[last : i+1])
			b.WriteString("25")
			last = i + 1
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
