package urlkey

import (
	"bytes"
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	whatwgerrors "github.com/nlnwa/whatwg-url/errors"
	whatwgurl "github.com/nlnwa/whatwg-url/url"
	"golang.org/x/net/idna"
)

// Canon canonicalises absolute http and https URLs. The zero value applies only the
// rules that never change what a URL means; the fields add query rules that are
// usually but not always safe, so they are a per-crawl choice.
//
// A URL is first read as a browser reads it (the WHATWG URL Standard): surrounding
// C0 controls and spaces trimmed, tabs and newlines removed, a backslash taken for
// a slash, any number of slashes after the scheme ("http:host", "http:///host"),
// IPv4 addresses in any spelling the Standard accepts ("0x7f.1", "2130706433")
// written as a dotted quad and invalid ones rejected, IDN hosts mapped with the
// Standard's IDNA profile (UTS #46 non-transitional, no STD3 rules) and checked,
// including "xn--" labels. Then, in the order RFC 3986 §6.2.2 applies them:
//   - scheme and host lower-case; one trailing dot on the host removed; IPv6
//     literals in RFC 5952 form;
//   - default port dropped (:80 for http, :443 for https), leading zeros of a port
//     removed;
//   - an empty password and empty credentials dropped ("http://u:@host/" is
//     "http://u@host/", "http://:@host/" is "http://host/"), other userinfo kept,
//     re-escaped the way net/url writes it;
//   - percent-encoding: hex digits upper-case, escaped unreserved characters
//     (ALPHA DIGIT - . _ ~) decoded, spaces, controls, non-ASCII bytes and other
//     characters that may not appear in a URL encoded (and ' in the query, as
//     browsers do), a '%' that starts no escape encoded as %25; escaped reserved
//     characters (%2F, %3F, %26, ...) are kept escaped because decoding them would
//     change the meaning;
//   - empty path becomes "/"; dot-segments removed (RFC 3986 §5.2.4), after decoding,
//     so %2E%2E counts as "..";
//   - fragment dropped: it never reaches the server;
//   - query kept byte for byte (beyond the percent-encoding rules) unless SortQuery or
//     DropParams say otherwise; an empty query loses its "?".
//
// Refused, although a browser would try them: port 0, empty host labels ("a..b"),
// and host characters no DNS name has ("a!b"). Bytes that are not UTF-8 are
// percent-encoded as they are.
//
// Most URLs take a single pass over the string into a stack buffer; the few that
// need the URL Standard's rules beyond RFC 3986 (see Resolve) go through the WHATWG
// parser github.com/nlnwa/whatwg-url first.
//
// The output is a fixed point: canonicalising a canonical URL returns it unchanged,
// and (*url.URL).String of the URL that Canonical returns equals what String returns.
// Canon values are safe for concurrent use as long as DropParams is not modified.
type Canon struct {
	// SortQuery sorts query parameters by name, stably, so repeated names keep
	// their relative order (a=2&a=1 stays as it is, since some servers read the
	// first and some the last). Empty parameters ("a=1&&b=2") are dropped.
	SortQuery bool

	// DropParams lists query parameters to remove, typically trackers: exact names
	// ("fbclid") or prefixes written with a trailing '*' ("utm_*"; a lone "*" drops
	// the whole query). A '*' anywhere else is a literal character. Names are
	// compared case-sensitively after percent-encoding normalisation, so
	// "utm%5Fsource" is matched by "utm_*". When DropParams is non-empty, empty
	// parameters are dropped as well.
	DropParams []string
}

// stackURL is the size of the buffer Canonical assembles into before anything
// reaches the heap; it covers the great majority of real links.
const stackURL = 256

// canonical is a canonical URL with its component boundaries, so that building a
// *url.URL needs no second parse.
type canonical struct {
	s         string // the canonical URL
	schemeEnd int    // s[:schemeEnd] is "http" or "https"
	hostStart int    // s[hostStart:hostEnd] is host[:port]
	hostEnd   int    // the path starts here
	pathEnd   int    // == len(s) when there is no query; else s[pathEnd] == '?'

	user, pass       string // decoded userinfo, if any
	hasUser, hasPass bool
}

// String returns the canonical form of raw. It is Canonical without building a
// *url.URL, and returns raw itself (no allocation) when raw is already canonical.
func (c Canon) String(raw string) (string, error) {
	k, err := c.canon(raw)
	if err != nil {
		return "", err
	}
	return k.s, nil
}

// Canonical parses raw, which must be an absolute http or https URL, and returns its
// canonical form. Errors are *Error values wrapping ErrScheme, ErrHost, ErrPort or
// ErrSyntax.
func (c Canon) Canonical(raw string) (*url.URL, error) {
	k, err := c.canon(raw)
	if err != nil {
		return nil, err
	}
	return k.url(), nil
}

// Keys is Canonical that also returns what a crawl files the URL under:
// its canonical text (u.String()) and HostKey(u), which it has from the
// canonicalisation without writing u out again (on a real-site crawl,
// serialising every link and building its host key again was 1.4% of the
// CPU).
func (c Canon) Keys(raw string) (u *url.URL, s, host string, err error) {
	k, err := c.canon(raw)
	if err != nil {
		return nil, "", "", err
	}
	u = k.url()
	return u, k.s, hostKey(u.Scheme, u.Host, u.Port() != ""), nil
}

// Resolve resolves ref (an href as found in a page, or a Location header) against
// base (the page's URL, or its <base href>) as the URL Standard does, and
// canonicalises the result. A nil base means ref must be absolute.
//
// References that RFC 3986 and the URL Standard read alike (no backslash, no
// control character, a scheme followed by "//" and a host) are merged on strings,
// as RFC 3986 §5.2 does; the dot-segments the merge leaves behind are removed by
// canonicalisation. Everything else ("\\host\x", "http:page.html",
// "///host/path", a numeric IPv4 host) is parsed by the WHATWG URL parser, so
// that the URL found is the one a browser would request.
func (c Canon) Resolve(base *url.URL, ref string) (*url.URL, error) {
	k, err := c.resolve(base, ref)
	if err != nil {
		return nil, err
	}
	return k.url(), nil
}

func (c Canon) resolve(base *url.URL, raw string) (canonical, error) {
	if base == nil {
		return c.canon(raw)
	}
	ref := trimSpace(raw)
	if (base.Scheme != "http" && base.Scheme != "https") || !plain(ref) {
		return c.slow(raw, base, ref)
	}
	if n := schemeLen(ref); n > 0 {
		// "http:page.html" and "http:/page.html" against an http base are
		// relative (the URL Standard's special relative state).
		if !strings.EqualFold(ref[:n], base.Scheme) || strings.HasPrefix(ref[n+1:], "//") {
			return c.canon(ref)
		}
		ref = ref[n+1:]
	}
	if strings.HasPrefix(ref, "//") {
		// "//host/x", and "///host/x" too: a special scheme skips extra slashes
		// before the host, which canon leaves to the WHATWG parser.
		return c.canon(base.Scheme + ":" + ref)
	}

	var b strings.Builder
	b.Grow(len(base.Scheme) + len(base.Host) + len(base.Path) + len(base.RawQuery) + len(ref) + 8)
	b.WriteString(base.Scheme)
	b.WriteString("://")
	if base.User != nil {
		b.WriteString(base.User.String())
		b.WriteByte('@')
	}
	b.WriteString(base.Host)
	basePath := base.EscapedPath()
	switch {
	case ref == "" || ref[0] == '#':
		// Same document: the fragment would be dropped anyway.
		b.WriteString(basePath)
		if base.RawQuery != "" {
			b.WriteByte('?')
			b.WriteString(base.RawQuery)
		}
	case ref[0] == '/':
		b.WriteString(ref)
	case ref[0] == '?':
		b.WriteString(basePath)
		b.WriteString(ref)
	default:
		// Merge (§5.2.3): everything up to and including the base's last '/'.
		if i := strings.LastIndexByte(basePath, '/'); i >= 0 {
			b.WriteString(basePath[:i+1])
		} else {
			b.WriteByte('/')
		}
		b.WriteString(ref)
	}
	return c.canon(b.String())
}

// plain reports whether ref has none of the bytes on which RFC 3986 and the URL
// Standard part ways: controls (the URL Standard removes tabs and newlines and
// encodes the rest) and, before the query, backslashes (a '/' in http URLs).
func plain(ref string) bool {
	for i := 0; i < len(ref); i++ {
		if charClass[ref[i]]&clsStop == 0 {
			continue
		}
		if b := ref[i]; b == '?' || b == '#' {
			for _, b := range []byte(ref[i+1:]) {
				if b < 0x20 || b == 0x7f {
					return false
				}
			}
			return true
		}
		return false // a control or a backslash
	}
	return true
}

// url builds the *url.URL whose String() is k.s, slicing k.s rather than copying.
func (k *canonical) url() *url.URL {
	u := &url.URL{
		Scheme: k.s[:k.schemeEnd],
		Host:   k.s[k.hostStart:k.hostEnd],
	}
	p := k.s[k.hostEnd:k.pathEnd]
	u.Path = p
	// net/url writes Path escaped with its own rules, which escape !'()*[] and
	// would decode nothing; RawPath carries our exact spelling (valid for
	// EscapedPath, since every escape we emit is well-formed).
	if needsRawPath(p) {
		u.RawPath = p
		if strings.IndexByte(p, '%') >= 0 {
			u.Path, _ = url.PathUnescape(p) // cannot fail: canon emits only valid escapes
		}
	}
	if k.pathEnd < len(k.s) {
		u.RawQuery = k.s[k.pathEnd+1:]
	}
	if k.hasUser {
		if k.hasPass {
			u.User = url.UserPassword(k.user, k.pass)
		} else {
			u.User = url.User(k.user)
		}
	}
	return u
}

// needsRawPath reports whether p contains a '%' or a character net/url would
// escape in a path although we keep it literal (!'()*[]).
func needsRawPath(p string) bool {
	for i := 0; i < len(p); i++ {
		if charClass[p[i]]&clsRawPath != 0 {
			return true
		}
	}
	return false
}

// errSlow is how the single pass says "this URL is outside the part of the
// grammar I handle": the caller hands it to the WHATWG parser. It never reaches
// callers of the package.
var errSlow = errors.New("needs the WHATWG parser")

// canon is String and Canonical: the single pass of scan over raw, or, for the
// rare URL it leaves to the WHATWG parser, that parser's result put through
// scan again.
func (c Canon) canon(raw string) (canonical, error) {
	k, err := c.scan(raw, trimSpace(raw), false)
	if err == errSlow {
		return c.slow(raw, nil, trimSpace(raw))
	}
	return k, err
}

// slow parses ref, against base if it is not nil, with the WHATWG URL parser and
// canonicalises what it gives; raw is what errors quote.
//
// The parser does the structure (slashes and backslashes, relative references,
// userinfo, port, percent-encoding) and IPv4 and IPv6 addresses, but not domain
// names: its IDNA applies the STD3 rules the URL Standard turns off (it rejects
// "a_b.xn--mnchen-3ya.example"), and its lax mode can turn an invalid name into
// an address. So a hook hands every http(s) host to appendHost first; a name
// that is not a number reaches the parser as a placeholder and is put back in
// the result.
func (c Canon) slow(raw string, base *url.URL, ref string) (canonical, error) {
	var (
		name    string // the canonical name the placeholder stands for, if any
		hostErr error  // why the last host was rejected
	)
	hook := func(u *whatwgurl.Url, host string) string {
		name, hostErr = "", nil
		if s := u.Scheme(); (s != "http" && s != "https") || host == "" || host[0] == '[' {
			return host
		}
		var stack [stackURL]byte
		buf, err := appendHost(stack[:0], raw, host, false)
		switch {
		case err == errSlow:
			return string(buf) // a name ending in a number: the IPv4 parser's
		case err != nil:
			hostErr = err
			return ""
		}
		name = string(buf)
		return hostPlaceholder
	}
	p := whatwgurl.NewParser(whatwgurl.WithPreParseHostFunc(hook))
	var (
		u   *whatwgurl.Url
		err error
	)
	if base == nil {
		u, err = p.Parse(ref)
	} else {
		u, err = p.ParseRef(base.String(), ref)
	}
	if hostErr != nil {
		return canonical{}, hostErr
	}
	if err != nil {
		return canonical{}, whatwgError(raw, err)
	}
	if s := u.Scheme(); s != "http" && s != "https" {
		return canonical{}, fail(raw, ErrScheme, "scheme "+strconv.Quote(s))
	}
	href := u.Href(true)
	if name != "" {
		href = withHost(u, name)
	}
	k, err := c.scan(raw, href, true)
	if err == errSlow { // scan in final mode does not give up; this is a bug
		err = fail(raw, ErrSyntax, "unexpected form "+strconv.Quote(href))
	}
	return k, err
}

// hostPlaceholder is the host slow shows the WHATWG parser in place of a
// domain name it has already canonicalised.
const hostPlaceholder = "h"

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

// whatwgError turns a failure of the WHATWG parser into an *Error.
func whatwgError(raw string, err error) error {
	t := string(whatwgerrors.Type(err))
	switch {
	case strings.Contains(t, "port"):
		return fail(raw, ErrPort, t)
	case strings.Contains(t, "host"), strings.Contains(t, "IPv"), strings.Contains(t, "ToASCII"):
		return fail(raw, ErrHost, t)
	case strings.Contains(t, "missing a scheme"):
		return fail(raw, ErrScheme, "missing scheme")
	case t == "":
		t = err.Error()
	}
	return fail(raw, ErrSyntax, t)
}

// scan canonicalises s (raw with surrounding white space trimmed) in one pass:
// split it into its parts, append each part's canonical form to a stack buffer,
// and keep the boundaries. It returns errSlow for what it leaves to the WHATWG
// parser, unless final is set: then s is that parser's output, which never
// needs it again.
func (c Canon) scan(raw, s string, final bool) (canonical, error) {
	var k canonical

	// The scheme first: it rejects data: URIs, which can be megabytes long,
	// before anything reads the whole string.
	n := schemeLen(s)
	if n == 0 {
		if i := strings.IndexByte(s, ':'); i > 0 && strings.ContainsAny(s[:i], "\t\n\r") {
			return k, errSlow // "ht\ttp://": the URL Standard removes tabs and newlines
		}
		return k, fail(raw, ErrScheme, badScheme(s))
	}
	var https bool
	switch scheme := s[:n]; {
	case strings.EqualFold(scheme, "http"):
	case strings.EqualFold(scheme, "https"):
		https = true
	default:
		return k, fail(raw, ErrScheme, "scheme "+strconv.Quote(scheme))
	}
	rest := s[n+1:]
	if !final {
		if !plain(rest) {
			return k, errSlow
		}
		// "http:host", "http:/host", "http:///host": the URL Standard finds the
		// host all the same.
		if len(rest) < 3 || rest[0] != '/' || rest[1] != '/' || rest[2] == '/' {
			return k, errSlow
		}
	}
	if !strings.HasPrefix(rest, "//") {
		return k, fail(raw, ErrHost, `missing "//" and host after scheme`)
	}
	rest = rest[2:]

	// Split authority / path / query, dropping the fragment.
	authEnd := len(rest)
	for i := 0; i < len(rest); i++ {
		if b := rest[i]; b == '/' || b == '?' || b == '#' {
			authEnd = i
			break
		}
	}
	auth := rest[:authEnd]
	rest = rest[authEnd:]
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	path, query, hasQuery := strings.Cut(rest, "?")

	userinfo := ""
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		userinfo, auth = auth[:i], auth[i+1:]
	}
	host, port, err := splitHostPort(raw, auth)
	if err != nil {
		return k, err
	}
	portNum := 0
	if port != "" {
		if portNum, err = parsePort(raw, port); err != nil {
			return k, err
		}
	}

	var stack [stackURL]byte
	buf := stack[:0]
	if https {
		buf = append(buf, "https://"...)
		k.schemeEnd = 5
	} else {
		buf = append(buf, "http://"...)
		k.schemeEnd = 4
	}

	if userinfo != "" {
		u, p, _ := strings.Cut(userinfo, ":")
		k.user, k.pass = unescapeLenient(u), unescapeLenient(p)
		// As in the URL Standard, an empty password is no password, and empty
		// credentials are none ("http://:@host/" is "http://host/").
		k.hasPass = k.pass != ""
		k.hasUser = k.hasPass || k.user != ""
	}
	if k.hasUser {
		buf = appendEscaped(buf, k.user, clsUser)
		if k.hasPass {
			buf = append(buf, ':')
			buf = appendEscaped(buf, k.pass, clsUser)
		}
		buf = append(buf, '@')
	}

	k.hostStart = len(buf)
	if buf, err = appendHost(buf, raw, host, final); err != nil {
		return k, err
	}
	if portNum != 0 && !(portNum == 80 && !https) && !(portNum == 443 && https) {
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, int64(portNum), 10)
	}
	k.hostEnd = len(buf)

	if path == "" {
		buf = append(buf, '/')
	} else {
		// path starts with '/': the authority ended at the first '/', '?' or '#'.
		buf = appendNormalised(buf, path, clsPath)
		buf = append(buf[:k.hostEnd], removeDotSegments(buf[k.hostEnd:])...)
	}
	k.pathEnd = len(buf)

	if hasQuery {
		buf = append(buf, '?')
		buf = appendNormalised(buf, query, clsQuery)
		if c.SortQuery || len(c.DropParams) > 0 {
			q := c.rewriteQuery(buf[k.pathEnd+1:])
			buf = buf[:k.pathEnd+1+len(q)]
		}
		if len(buf) == k.pathEnd+1 {
			buf = buf[:k.pathEnd] // an empty query loses its '?'
		}
	}

	// Already canonical (the common case for links net/url resolved): return
	// the caller's string and save the copy. The comparison does not allocate.
	if string(buf) == raw {
		k.s = raw
	} else {
		k.s = string(buf)
	}
	return k, nil
}

// trimSpace removes what the URL Standard strips from both ends of a URL: C0
// controls and spaces, which covers the ASCII whitespace HTML allows around an
// href.
func trimSpace(s string) string {
	for len(s) > 0 && s[0] <= ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] <= ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// schemeLen returns the length of s's scheme (RFC 3986 §3.1: ALPHA *( ALPHA /
// DIGIT / "+" / "-" / "." ) followed by ':'), or 0 if s has none, i.e. is relative.
func schemeLen(s string) int {
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z':
		case '0' <= b && b <= '9' || b == '+' || b == '-' || b == '.':
			if i == 0 {
				return 0
			}
		case b == ':':
			return i
		default:
			return 0
		}
	}
	return 0
}

// splitHostPort splits an authority (userinfo removed) into host and port text.
// A bracketed host keeps its brackets off: the caller sees the IPv6 literal.
func splitHostPort(raw, auth string) (host, port string, err error) {
	if strings.HasPrefix(auth, "[") {
		end := strings.IndexByte(auth, ']')
		if end < 0 {
			return "", "", fail(raw, ErrHost, `missing "]" after IPv6 address`)
		}
		host, rest := auth[:end+1], auth[end+1:]
		if rest == "" {
			return host, "", nil
		}
		if rest[0] != ':' {
			return "", "", fail(raw, ErrHost, "unexpected "+strconv.Quote(rest)+` after "]"`)
		}
		return host, rest[1:], nil
	}
	// The first ':' ends the host, as in the URL Standard: "a:b:80" has the
	// port "b:80", which is no port.
	if i := strings.IndexByte(auth, ':'); i >= 0 {
		return auth[:i], auth[i+1:], nil
	}
	return auth, "", nil
}

// parsePort parses a decimal port; 0 means "no port" to the caller, so port 0
// itself is rejected (nothing can be fetched from it anyway).
func parsePort(raw, port string) (int, error) {
	n := 0
	for i := 0; i < len(port); i++ {
		b := port[i]
		if b < '0' || b > '9' {
			return 0, fail(raw, ErrPort, strconv.Quote(port)+" is not a number")
		}
		n = n*10 + int(b-'0')
		if n > 65535 {
			return 0, fail(raw, ErrPort, strconv.Quote(port)+" is out of range")
		}
	}
	if n == 0 {
		return 0, fail(raw, ErrPort, strconv.Quote(port)+" is out of range")
	}
	return n, nil
}

// appendHost appends the canonical form of host: an IPv6 literal in brackets, a
// dotted-decimal IPv4 address, or a lower-case ASCII name without a trailing dot.
// It does what the URL Standard's host parser does, except that a name with a
// character no DNS name can have ("a!b", "a..b") is rejected, and that other
// IPv4 spellings ("0x7f.1", "2130706433") are left to the WHATWG parser
// (errSlow) unless final is set, when they are errors.
func appendHost(buf []byte, raw, host string, final bool) ([]byte, error) {
	if host == "" {
		return buf, fail(raw, ErrHost, "empty host")
	}
	if host[0] == '[' {
		return appendIPv6(buf, raw, host, final)
	}
	start := len(buf)
	for i := 0; i < len(host); i++ {
		b := host[i]
		switch {
		case 'A' <= b && b <= 'Z':
			b += 'a' - 'A'
		case charClass[b]&clsHost != 0:
		case b == '%' || b >= utf8.RuneSelf:
			// Percent-escapes or non-ASCII: rare, so this path may allocate.
			return appendDomain(buf[:start], raw, host, final)
		default:
			return buf[:start], fail(raw, ErrHost, "invalid character "+strconv.QuoteRune(rune(b))+" in host")
		}
		buf = append(buf, b)
	}
	return finishHost(buf, start, raw, final, false)
}

// appendDomain handles hosts that are percent-encoded or internationalised:
// decode, map to punycode with the URL Standard's IDNA profile, then validate
// like any ASCII host.
func appendDomain(buf []byte, raw, host string, final bool) ([]byte, error) {
	h := unescapeLenient(host)
	if !utf8.ValidString(h) {
		return buf, fail(raw, ErrHost, "host is not UTF-8 once decoded")
	}
	mapped := false
	if !isASCII(h) {
		var err error
		if h, err = idnaProfile().ToASCII(h); err != nil {
			return buf, fail(raw, ErrHost, err.Error())
		}
		mapped = true
	}
	start := len(buf)
	for i := 0; i < len(h); i++ {
		b := h[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		} else if charClass[b]&clsHost == 0 {
			return buf[:start], fail(raw, ErrHost, "invalid character "+strconv.QuoteRune(rune(b))+" in host")
		}
		buf = append(buf, b)
	}
	return finishHost(buf, start, raw, final, mapped)
}

// finishHost checks the lower-case ASCII host in buf[start:]: labels (see
// checkLabels), punycode labels (validated and normalised by the IDNA profile
// unless mapped says that was done), and IPv4 addresses.
func finishHost(buf []byte, start int, raw string, final, mapped bool) ([]byte, error) {
	buf, err := checkLabels(buf, start, raw)
	if err != nil {
		return buf, err
	}
	if !mapped && hasACELabel(buf[start:]) {
		// "xn--" labels must be valid punycode of a valid label.
		h, err := idnaProfile().ToASCII(string(buf[start:]))
		if err != nil {
			return buf[:start], fail(raw, ErrHost, err.Error())
		}
		return finishHost(append(buf[:start], h...), start, raw, final, true)
	}
	if h := buf[start:]; endsInNumber(h) && !isDottedQuad(h) {
		if final {
			return buf[:start], fail(raw, ErrHost, strconv.Quote(string(h))+" is not a valid IPv4 address")
		}
		return buf, errSlow // with the name, for slow's hook
	}
	return buf, nil
}

// appendIPv6 appends a bracketed IPv6 literal in RFC 5952 form. Literals with
// anything but hex digits and colons (an embedded IPv4 address, a zone) are the
// WHATWG parser's to judge.
func appendIPv6(buf []byte, raw, host string, final bool) ([]byte, error) {
	lit := host[1 : len(host)-1]
	if !final {
		for i := 0; i < len(lit); i++ {
			if b := lit[i]; b != ':' && charClass[b]&clsHex == 0 {
				return buf, errSlow
			}
		}
	}
	addr, err := netip.ParseAddr(lit)
	if err != nil || !addr.Is6() || addr.Zone() != "" {
		return buf, fail(raw, ErrHost, strconv.Quote(host)+" is not an IPv6 address")
	}
	buf = append(buf, '[')
	buf = addr.AppendTo(buf)
	return append(buf, ']'), nil
}

// idnaProfile returns the URL Standard's domain-to-ASCII (UTS #46
// non-transitional, CheckBidi and CheckJoiners on, CheckHyphens, STD3 rules and
// DNS length checks off). It is built per call, on the rare path, to keep
// package state immutable.
func idnaProfile() *idna.Profile {
	return idna.New(idna.MapForLookup(), idna.BidiRule(), idna.CheckJoiners(true),
		idna.Transitional(false), idna.StrictDomainName(false), idna.CheckHyphens(false),
		idna.VerifyDNSLength(false))
}

// hasACELabel reports whether a lower-case host has a label starting "xn--".
func hasACELabel(h []byte) bool {
	for i := 0; i+4 <= len(h); i++ {
		if (i == 0 || h[i-1] == '.') && string(h[i:i+4]) == "xn--" {
			return true
		}
	}
	return false
}

// endsInNumber is the URL Standard's test for a host the IPv4 parser must read:
// its last label is decimal digits, or "0x" and hex digits.
func endsInNumber(h []byte) bool {
	last := h[bytes.LastIndexByte(h, '.')+1:]
	if len(last) >= 2 && last[0] == '0' && last[1] == 'x' {
		for _, b := range last[2:] {
			if charClass[b]&clsHex == 0 {
				return false
			}
		}
		return true
	}
	for _, b := range last {
		if b < '0' || b > '9' {
			return false
		}
	}
	return len(last) > 0
}

// isDottedQuad reports whether h is an IPv4 address in the form the URL
// Standard writes: four decimal numbers 0-255 without leading zeros.
func isDottedQuad(h []byte) bool {
	parts := 0
	for len(h) > 0 {
		i := bytes.IndexByte(h, '.')
		if i < 0 {
			i = len(h)
		}
		p := h[:i]
		if len(p) == 0 || len(p) > 3 || (len(p) > 1 && p[0] == '0') {
			return false
		}
		n := 0
		for _, b := range p {
			if b < '0' || b > '9' {
				return false
			}
			n = n*10 + int(b-'0')
		}
		if n > 255 {
			return false
		}
		parts++
		if i == len(h) {
			break
		}
		h = h[i+1:]
	}
	return parts == 4
}

// checkLabels drops one trailing dot from the host in buf[start:] (the root label:
// "example.com." is "example.com") and rejects empty hosts and empty labels, which
// no resolver accepts.
func checkLabels(buf []byte, start int, raw string) ([]byte, error) {
	if len(buf) > start && buf[len(buf)-1] == '.' {
		buf = buf[:len(buf)-1]
	}
	h := buf[start:]
	if len(h) == 0 {
		return buf, fail(raw, ErrHost, "empty host")
	}
	if h[0] == '.' || h[len(h)-1] == '.' || bytes.Contains(h, []byte("..")) {
		return buf, fail(raw, ErrHost, "empty label in host "+strconv.Quote(string(h)))
	}
	return buf, nil
}

// isASCII reports whether s has only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// appendNormalised appends s with percent-encoding normalised: valid escapes of
// unreserved characters decoded, other escapes kept with upper-case hex, stray '%'
// encoded as %25, and every byte outside the literal set keep percent-encoded.
func appendNormalised(buf []byte, s string, keep uint8) []byte {
	for i := 0; i < len(s); {
		// Copy the run of bytes that need no work in one append.
		j := i
		for j < len(s) && charClass[s[j]]&keep != 0 {
			j++
		}
		buf = append(buf, s[i:j]...)
		if j == len(s) {
			break
		}
		b := s[j]
		switch {
		case b != '%':
			buf = append(buf, '%', upperHex[b>>4], upperHex[b&15])
			i = j + 1
		case j+2 < len(s) && charClass[s[j+1]]&clsHex != 0 && charClass[s[j+2]]&clsHex != 0:
			v := unhex(s[j+1])<<4 | unhex(s[j+2])
			if charClass[v]&clsUnreserved != 0 {
				buf = append(buf, v)
			} else {
				buf = append(buf, '%', upper(s[j+1]), upper(s[j+2]))
			}
			i = j + 3
		default:
			buf = append(buf, "%25"...)
			i = j + 1
		}
	}
	return buf
}

// appendEscaped percent-encodes every byte of the decoded string s outside keep.
// For userinfo, keep mirrors net/url's own escaping, so (*url.Userinfo).String
// writes the same bytes.
func appendEscaped(buf []byte, s string, keep uint8) []byte {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if charClass[b]&keep != 0 {
			buf = append(buf, b)
		} else {
			buf = append(buf, '%', upperHex[b>>4], upperHex[b&15])
		}
	}
	return buf
}

// unescapeLenient decodes valid percent-escapes and leaves a stray '%' as it is,
// matching appendNormalised's reading of the same bytes.
func unescapeLenient(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && charClass[s[i+1]]&clsHex != 0 && charClass[s[i+2]]&clsHex != 0 {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}

// removeDotSegments implements RFC 3986 §5.2.4 in place on an absolute path
// (p[0] == '/') and returns the shortened slice. The output is built as a sequence
// of "/segment" chunks at the front of p; it never outgrows the input read so far.
func removeDotSegments(p []byte) []byte {
	if !hasDotSegment(p) {
		return p
	}
	w := 0
	for r := 0; r < len(p); {
		e := r + 1
		for e < len(p) && p[e] != '/' {
			e++
		}
		seg := p[r+1 : e]
		last := e == len(p)
		switch {
		case len(seg) == 1 && seg[0] == '.':
			if last {
				w = appendSlash(p, w)
			}
		case len(seg) == 2 && seg[0] == '.' && seg[1] == '.':
			w = max(bytes.LastIndexByte(p[:w], '/'), 0)
			if last {
				w = appendSlash(p, w)
			}
		default:
			w += copy(p[w:], p[r:e])
		}
		r = e
	}
	if w == 0 {
		w = appendSlash(p, w)
	}
	return p[:w]
}

// appendSlash writes '/' at p[w]; safe because a dot segment just read is longer.
func appendSlash(p []byte, w int) int {
	p[w] = '/'
	return w + 1
}

// hasDotSegment reports whether p has a "." or ".." segment, so the common path
// skips the rewrite.
func hasDotSegment(p []byte) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' || i+1 >= len(p) || p[i+1] != '.' {
			continue
		}
		j := i + 2
		if j < len(p) && p[j] == '.' {
			j++
		}
		if j == len(p) || p[j] == '/' {
			return true
		}
	}
	return false
}

// param is one "name[=value]" of a query, as offsets into it.
type param struct{ start, keyEnd, end int }

// rewriteQuery applies SortQuery and DropParams to an already normalised query
// (without '?'), in place, and returns the shortened slice.
func (c Canon) rewriteQuery(q []byte) []byte {
	var stack [32]param
	ps := stack[:0]
	for start := 0; start <= len(q); {
		end := bytes.IndexByte(q[start:], '&')
		if end < 0 {
			end = len(q)
		} else {
			end += start
		}
		if end > start {
			keyEnd := bytes.IndexByte(q[start:end], '=')
			if keyEnd < 0 {
				keyEnd = end
			} else {
				keyEnd += start
			}
			if !c.dropped(q[start:keyEnd]) {
				ps = append(ps, param{start, keyEnd, end})
			}
		}
		start = end + 1
	}
	if c.SortQuery {
		slices.SortStableFunc(ps, func(a, b param) int {
			return bytes.Compare(q[a.start:a.keyEnd], q[b.start:b.keyEnd])
		})
	}

	// Reassemble through a scratch copy: after sorting, sources and destinations
	// overlap in no useful order.
	var scratch [stackURL]byte
	tmp := append(scratch[:0], q...)
	n := 0
	for i, p := range ps {
		if i > 0 {
			q[n] = '&'
			n++
		}
		n += copy(q[n:], tmp[p.start:p.end])
	}
	return q[:n]
}

// dropped reports whether a parameter name matches DropParams.
func (c Canon) dropped(key []byte) bool {
	for _, pat := range c.DropParams {
		if prefix, ok := strings.CutSuffix(pat, "*"); ok {
			if len(key) >= len(prefix) && string(key[:len(prefix)]) == prefix {
				return true
			}
		} else if string(key) == pat {
			return true
		}
	}
	return false
}

const upperHex = "0123456789ABCDEF"

func unhex(b byte) byte {
	switch {
	case '0' <= b && b <= '9':
		return b - '0'
	case 'a' <= b && b <= 'f':
		return b - 'a' + 10
	default:
		return b - 'A' + 10
	}
}

func upper(b byte) byte {
	if 'a' <= b && b <= 'f' {
		return b - ('a' - 'A')
	}
	return b
}

// Character classes, one bit each in charClass.
const (
	clsUnreserved uint8 = 1 << iota // ALPHA DIGIT - . _ ~ (RFC 3986 §2.3)
	clsPath                         // literal in a canonical path
	clsQuery                        // literal in a canonical query
	clsUser                         // literal in canonical userinfo (as net/url writes it)
	clsHost                         // literal in a lower-case ASCII host name
	clsHex                          // hexadecimal digit
	clsRawPath                      // in a path, makes url.URL need RawPath
	clsStop                         // ends plain's fast scan: controls, '\\', '?', '#'
)

// charClass is a constant lookup table, built once; it is never written after
// initialisation.
var charClass = func() (t [256]uint8) {
	set := func(chars string, cls uint8) {
		for i := 0; i < len(chars); i++ {
			t[chars[i]] |= cls
		}
	}
	const (
		alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		digit = "0123456789"
		unres = alpha + digit + "-._~"
		// sub-delims, ":" and "@" (RFC 3986 pchar) plus "/", and "[" "]" which
		// browsers and net/url leave alone in paths; escaping them would change
		// how some servers read the URL, and they are reserved, so they stay.
		pchar = "!$&'()*+,;=:@/[]"
	)
	set(unres, clsUnreserved|clsPath|clsQuery|clsUser)
	set(pchar, clsPath|clsQuery)
	set("?", clsQuery)
	// The URL Standard encodes ' in the query of http(s) URLs (so that it
	// cannot end an HTML attribute); a literal one would give a second key.
	t['\''] &^= clsQuery
	set("$&+,;=", clsUser)
	set("abcdefghijklmnopqrstuvwxyz"+digit+"-._", clsHost)
	set(digit+"abcdefABCDEF", clsHex)
	set("%!'()*[]", clsRawPath)
	for b := range 0x20 {
		t[b] |= clsStop
	}
	set("\x7f\\?#", clsStop)
	return t
}()
