package extract

import (
	"net/url"
	"strings"
	"unicode/utf8"

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
		if ref, err := url.Parse(escapePath(href)); err == nil {
			if base == nil {
				return ref
			}
			return base.ResolveReference(ref)
		}
	}
	return d.resolveWHATWG(base, href)
}

// escapePath percent-encodes, in the path of href, the bytes a browser
// encodes there (space, non-ASCII, " < > ` { }) and those net/url does not
// keep as written (\ ^ |). Without it net/url would write its own escaping
// of the whole path, which also turns ! ' ( ) * [ ] into escapes: the page's
// "/a b/(1)" would become "/a%20b/%281%29" where a browser asks for
// "/a%20b/(1)". It allocates only when there is something to encode.
func escapePath(href string) string {
	start := 0
	if s, ok := scheme(href); ok {
		start = len(s) + 1
	}
	if strings.HasPrefix(href[start:], "//") {
		i := strings.IndexAny(href[start+2:], "/?#")
		if i < 0 {
			return href
		}
		start += 2 + i
	}
	end := len(href)
	if i := strings.IndexAny(href[start:], "?#"); i >= 0 {
		end = start + i
	}
	i := start
	for i < end && !pathEscapes(href[i]) {
		i++
	}
	if i == end {
		return href
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(href) + 16)
	b.WriteString(href[:i])
	for ; i < end; i++ {
		if c := href[i]; pathEscapes(c) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		} else {
			b.WriteByte(c)
		}
	}
	b.WriteString(href[end:])
	return b.String()
}

// pathEscapes reports whether c in a path must be percent-encoded for
// net/url to keep the path as written.
func pathEscapes(c byte) bool {
	switch c {
	case '"', '<', '>', '\\', '^', '`', '{', '|', '}':
		return true // a switch, not strings.IndexByte: this runs for every byte of every href
	}
	return c <= ' ' || c >= 0x7f
}

// plainHref reports whether net/url resolves href against base as a browser
// does: base is http(s) (or absent), href has no control characters and no
// backslash before its query (a '/' to the URL Standard), a scheme or "//"
// in it is followed by exactly two slashes and a host ("http:x" against an
// http page is relative, "///x" names the host x), the authority has no
// percent-escape, and neither path has an empty segment.
func plainHref(base *url.URL, href string) bool {
	if base != nil && (base.Scheme != "http" && base.Scheme != "https" || strings.Contains(base.EscapedPath(), "//")) {
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
	path := href
	if s, ok := scheme(href); ok {
		path = href[len(s)+1:]
		if !strings.HasPrefix(path, "//") {
			return false
		}
	}
	if strings.HasPrefix(path, "//") {
		if strings.HasPrefix(path, "///") {
			return false
		}
		auth := path[2:]
		if i := strings.IndexAny(auth, "/?#"); i >= 0 {
			auth = auth[:i]
		}
		// An empty authority ("//", "http://?x") is no host to the URL
		// Standard and the base's host to net/url. net/url decodes a host
		// before checking it, so "//ho%2Fst/" would become the host "ho"
		// and the path "/st/"; the URL Standard rejects it.
		if auth == "" || strings.IndexByte(auth, '%') >= 0 {
			return false
		}
		path = path[2+len(auth):]
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	// net/url's dot-segment removal turns a leading "//" into "/"
	// ("..//" against "/a/b" is "//" to the URL Standard, "/" to net/url).
	return !strings.Contains(path, "//")
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
// the parser fails.
//
// The parser's IDNA applies the STD3 rules the URL Standard turns off (it
// rejects "a_b.bücher.example"), so http(s) domain names do not go through it:
// a hook hands it a placeholder and keeps the name, percent-decoded, for
// browserForm and the frontier to judge. Only forbidden characters are
// checked here, since net/url would read "ho%2Fst" as the host "ho".
func parseWHATWG(base *url.URL, href string) *url.URL {
	var (
		name string // the host the placeholder stands for
		bad  bool   // the last host has a forbidden character
	)
	hook := func(u *whatwgurl.Url, host string) string {
		name, bad = "", false
		if s := u.Scheme(); (s != "http" && s != "https") || host == "" || host[0] == '[' {
			return host
		}
		h, err := url.PathUnescape(host)
		if err != nil || !utf8.ValidString(h) || strings.ContainsAny(h, forbiddenHost) {
			bad = true
			return ""
		}
		name = h
		return hostPlaceholder
	}
	p := whatwgurl.NewParser(whatwgurl.WithPreParseHostFunc(hook))
	var (
		u   *whatwgurl.Url
		err error
	)
	if base == nil {
		u, err = p.Parse(href)
	} else {
		u, err = p.ParseRef(base.String(), href)
	}
	if err != nil || bad {
		return nil
	}
	s := u.Href(true)
	if name != "" {
		s = withHost(u, name)
	}
	r, err := url.Parse(escapePath(escapeStrayPercent(s)))
	if err != nil {
		return nil
	}
	return r
}

// hostPlaceholder is what parseWHATWG shows the parser instead of a name.
const hostPlaceholder = "h"

// forbiddenHost is the URL Standard's forbidden domain code points: C0
// controls, DEL and " #%/:<>?@[\]^|".
const forbiddenHost = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f" +
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f #%/:<>?@[\\]^|"

// withHost writes u as its Href does, without fragment, with host in place of
// u's host.
func withHost(u *whatwgurl.Url, host string) string {
	var b strings.Builder
	b.WriteString(u.Protocol())
	b.WriteString("//")
	if u.Username() != "" || u.Password() != "" {
		b.WriteString(u.Username())
		if u.Password() != "" {
			b.WriteByte(':')
			b.WriteString(u.Password())
		}
		b.WriteByte('@')
	}
	b.WriteString(host)
	if u.Port() != "" {
		b.WriteByte(':')
		b.WriteString(u.Port())
	}
	b.WriteString(u.Pathname())
	b.WriteString(u.Search())
	return b.String()
}

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
