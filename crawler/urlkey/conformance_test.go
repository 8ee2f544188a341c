package urlkey_test

import (
	"encoding/json"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trawl-crawler/trawl/crawler/urlkey"
	"github.com/trawl-crawler/trawl/extract"
	"golang.org/x/net/html"
)

// whatwgCase is one object of testdata/whatwg-urltestdata.json: what a browser
// makes of Input resolved against Base.
type whatwgCase struct {
	Input    string  `json:"input"`
	Base     *string `json:"base"`
	Failure  bool    `json:"failure"`
	Href     string  `json:"href"`
	Protocol string  `json:"protocol"`
	Username string  `json:"username"`
	Password string  `json:"password"`
	Hostname string  `json:"hostname"`
	Port     string  `json:"port"`
	Pathname string  `json:"pathname"`
	Search   string  `json:"search"`
}

func (c whatwgCase) base() string {
	if c.Base == nil {
		return ""
	}
	return *c.Base
}

func (c whatwgCase) String() string {
	if c.Base == nil {
		return jsonString(c.Input)
	}
	return jsonString(c.Input) + " against " + jsonString(*c.Base)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// loadWHATWG returns the cases that say something about http and https URLs:
// the base, the input or the result is one.
func loadWHATWG(t testing.TB) []whatwgCase {
	t.Helper()
	data, err := os.ReadFile("testdata/whatwg-urltestdata.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	var cases []whatwgCase
	for _, r := range raw {
		if r[0] == '"' {
			continue // a comment
		}
		var c whatwgCase
		if err := json.Unmarshal(r, &c); err != nil {
			t.Fatal(err)
		}
		if isHTTP(c.base()) || isHTTP(c.Href) || isHTTP(c.Input) {
			cases = append(cases, c)
		}
	}
	return cases
}

// isHTTP reports whether s, read as the URL parser reads it (surrounding C0
// controls and spaces trimmed, tabs and newlines removed, scheme in any case),
// starts with an http or https scheme.
func isHTTP(s string) bool {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	s = strings.ToLower(s)
	return strings.HasPrefix(s, "http:") || strings.HasPrefix(s, "https:")
}

// deliberate lists, in the order trawlKey applies them, how a trawl key differs
// from the URL a browser requests, and why. None changes the host, and each is
// an equivalence servers honour or a request that could only fail.
//
//   - The fragment is dropped: it never reaches the server.
//   - Percent-encoding is normalised (RFC 3986 §6.2.2.2): hex digits upper-case,
//     escaped unreserved characters (ALPHA DIGIT - . _ ~) decoded.
//   - Characters RFC 3986 does not allow in a URL ("|^{}`\ and the like that a
//     browser leaves literal in a path or query) and a '%' that starts no escape
//     are percent-encoded: Go's HTTP client could send them no other way, and
//     servers decode both spellings to the same bytes.
//   - An empty query ("?") is dropped.
//   - One trailing dot of the host is dropped ("example.com." is "example.com").
//   - IPv6 addresses are written in RFC 5952 form, so an IPv4-mapped address keeps
//     its dotted quad ("[::ffff:192.0.2.1]" where a browser writes
//     "[::ffff:c000:201]"): the same address, as net/netip writes it.
//   - Userinfo is re-escaped the way net/url writes it (for the same decoded
//     name and password).
//
// Query sorting and parameter dropping are off in Canon's zero value, which is
// what the test runs.
//
// rejected lists the cases where a browser builds an http(s) URL that trawl
// refuses, and why; each is a URL whose fetch could only fail.
var rejected = map[string]string{
	"http://f:0/c":                 "port 0: no server can listen on it",
	"http://f:00000000000000/c":    "port 0: no server can listen on it",
	"http://./":                    "empty host (the root label alone): nothing to resolve",
	"http://../":                   "empty labels: no resolver accepts them",
	"http://foo.09..":              "empty labels: no resolver accepts them",
	"http://!\"$&'()*+,-.;=_`{}~/": "characters no DNS name has",
}

// selfReference reports whether href names the page it is on, whatever its
// fragment: extract.Links leaves those out (the page is already being
// fetched), so the link path has nothing to say about them.
func selfReference(href string) bool {
	href = strings.TrimFunc(href, func(r rune) bool { return r <= ' ' })
	return href == "" || href[0] == '#'
}

// trawlKey is the key trawl must give the browser's URL c: c's fields with the
// deliberate differences above applied. It is written from the list, not from
// Canon's code, so that the two can disagree.
func trawlKey(c whatwgCase) string {
	var b strings.Builder
	b.WriteString(c.Protocol)
	b.WriteString("//")
	user, pass := unescape(c.Username), unescape(c.Password)
	switch {
	case pass != "":
		b.WriteString(url.UserPassword(user, pass).String() + "@")
	case user != "":
		b.WriteString(url.User(user).String() + "@")
	}
	host := strings.TrimSuffix(c.Hostname, ".")
	if strings.HasPrefix(host, "[") {
		host = "[" + netip.MustParseAddr(host[1:len(host)-1]).String() + "]"
	}
	b.WriteString(host)
	if c.Port != "" {
		b.WriteString(":" + c.Port)
	}
	b.WriteString(normalise(c.Pathname, "!$&'()*+,;=:@/[]"))
	if q := strings.TrimPrefix(c.Search, "?"); q != "" {
		b.WriteString("?" + normalise(q, "!$&'()*+,;=:@/[]?"))
	}
	return b.String()
}

// normalise applies the percent-encoding rules of the deliberate list to a path
// or query; literal lists the reserved characters that stay as they are.
func normalise(s, literal string) string {
	const hex = "0123456789ABCDEF"
	unreserved := func(b byte) bool {
		return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("-._~", b) >= 0
	}
	isHex := func(b byte) bool { return strings.IndexByte("0123456789abcdefABCDEF", b) >= 0 }
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			v := unhex(s[i+1])<<4 | unhex(s[i+2])
			if unreserved(v) {
				b.WriteByte(v)
			} else {
				b.WriteString("%" + strings.ToUpper(s[i+1:i+3]))
			}
			i += 2
		case unreserved(c) || strings.IndexByte(literal, c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

func unhex(b byte) byte {
	switch {
	case b <= '9':
		return b - '0'
	case b <= 'F':
		return b - 'A' + 10
	default:
		return b - 'a' + 10
	}
}

// unescape decodes the valid escapes of s and keeps the rest.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[i+1]) >= 0 &&
			strings.IndexByte("0123456789abcdefABCDEF", s[i+2]) >= 0 {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// redirectPath is what the crawler does with a Location header: Resolve
// against the canonical URL of the response. Bases other than http(s) never
// occur there; for an http(s) result such a base acts as no base.
func redirectPath(t *testing.T, c whatwgCase) (string, error) {
	t.Helper()
	var base *url.URL
	if isHTTP(c.base()) {
		var err error
		if base, err = (urlkey.Canon{}).Canonical(c.base()); err != nil {
			t.Fatalf("base %q: %v", c.base(), err)
		}
	}
	u, err := urlkey.Canon{}.Resolve(base, c.Input)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// linkPath is what the crawler does with <a href>: extract.Links on a page
// whose URL is the base, then Canonical. The href is set on the parsed element
// directly, so that the HTML tokenizer (which turns NUL into U+FFFD, as it does
// in a browser) does not change the input. A base other than http(s) becomes
// about:blank, which resolves every input the way no base does.
func linkPath(t *testing.T, c whatwgCase) (string, bool) {
	t.Helper()
	page := "about:blank"
	if isHTTP(c.base()) {
		u, err := (urlkey.Canon{}).String(c.base())
		if err != nil {
			t.Fatalf("base %q: %v", c.base(), err)
		}
		page = u
	}
	pageURL, err := url.Parse(page)
	if err != nil {
		t.Fatal(err)
	}
	d, err := extract.Parse([]byte(`<a href="">x</a>`), "text/html; charset=utf-8", pageURL)
	if err != nil {
		t.Fatal(err)
	}
	d.Find("a").Nodes[0].Attr = []html.Attribute{{Key: "href", Val: c.Input}}
	links := extract.Links(d)
	if len(links) == 0 {
		return "", false
	}
	s, err := urlkey.Canon{}.String(links[0].URL)
	if err != nil {
		return "", false
	}
	return s, true
}

// TestWHATWGConformance runs every http(s) case of the URL Standard's test data
// through the redirect path and the link path, and requires the browser's URL
// up to the deliberate differences listed above.
func TestWHATWGConformance(t *testing.T) {
	cases := loadWHATWG(t)
	if len(cases) < 400 {
		t.Fatalf("only %d applicable cases", len(cases))
	}
	used := map[string]bool{}
	var failRedirect, failLink int
	for _, c := range cases {
		want, accept := "", !c.Failure && (c.Protocol == "http:" || c.Protocol == "https:")
		if _, ok := rejected[c.Input]; ok && accept {
			used[c.Input] = true
			accept = false
		}
		if accept {
			want = trawlKey(c)
		}
		got, err := redirectPath(t, c)
		switch {
		case accept && err != nil:
			failRedirect++
			t.Errorf("redirect %v: error %v; want %q", c, err, want)
		case accept && got != want:
			failRedirect++
			t.Errorf("redirect %v:\n got %q\nwant %q (browser %q)", c, got, want, c.Href)
		case !accept && err == nil:
			failRedirect++
			t.Errorf("redirect %v: got %q; want an error (browser %q)", c, got, c.Href)
		}
		got, ok := linkPath(t, c)
		if !ok && accept && selfReference(c.Input) {
			continue
		}
		switch {
		case accept && !ok:
			failLink++
			t.Errorf("link %v: dropped; want %q", c, want)
		case accept && got != want:
			failLink++
			t.Errorf("link %v:\n got %q\nwant %q (browser %q)", c, got, want, c.Href)
		case !accept && ok:
			failLink++
			t.Errorf("link %v: got %q; want it dropped (browser %q)", c, got, c.Href)
		}
	}
	for in := range rejected {
		if !used[in] {
			t.Errorf("rejected lists %q, which no case needs", in)
		}
	}
	t.Logf("%d applicable cases; %d fail on the redirect path, %d on the link path", len(cases), failRedirect, failLink)
}

// FuzzLinkAndRedirectAgree checks that an href found in a page and the same
// string in a Location header give one key (or are both rejected), so that a
// URL reached both ways is fetched once. Self-references, which the link path
// leaves out, and input that is not UTF-8, which a decoded HTML page cannot
// hold, are skipped.
func FuzzLinkAndRedirectAgree(f *testing.F) {
	bases := []string{"http://example.org/foo/bar", "https://example.com/a/b/c?q=1", "http://[::1]:8080/x/",
		"https://xn--bcher-kva.example/d/", "http://u:p@127.0.0.1:9/"}
	for _, c := range loadWHATWG(f) {
		f.Add(uint8(0), c.Input)
	}
	for _, ref := range []string{"../g", "//h.example/x", "?q=a b'", "100%.html", `\\evil\x`, "http:g", "https://x/?%zz"} {
		f.Add(uint8(1), ref)
	}
	f.Fuzz(func(t *testing.T, b uint8, ref string) {
		if !utf8.ValidString(ref) || selfReference(ref) {
			return
		}
		base := bases[int(b)%len(bases)]
		c := whatwgCase{Input: ref, Base: &base}
		r, err := redirectPath(t, c)
		l, ok := linkPath(t, c)
		switch {
		case (err == nil) != ok:
			t.Fatalf("%v: redirect path gives %q, %v; link path gives %q, %v", c, r, err, l, ok)
		case ok && r != l:
			t.Fatalf("%v: redirect path gives %q; link path gives %q", c, r, l)
		}
	})
}

// TestKeysStable checks that URLs trawl already read right keep their keys, so
// that a resumed or refreshed crawl does not refetch a site because its keys
// moved. The corpus is every sixth <a href> (up to 200 bytes) of Mozilla
// Readability's 130 real-world test pages, with the key the link path gave
// before it followed the URL Standard; each must get that key from the link
// path and the redirect path now.
func TestKeysStable(t *testing.T) {
	data, err := os.ReadFile("testdata/readability-link-keys.tsv")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://fakehost/test/page.html"
	n := 0
	for line := range strings.Lines(string(data)) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		h, key, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		var href string
		if err := json.Unmarshal([]byte(h), &href); !ok || err != nil {
			t.Fatalf("bad line %q", line)
		}
		n++
		c := whatwgCase{Input: href, Base: &base}
		if got, ok := linkPath(t, c); !ok || got != key {
			t.Errorf("link %q: got %q, %v; was %q", href, got, ok, key)
		}
		if got, err := redirectPath(t, c); err != nil || got != key {
			t.Errorf("redirect %q: got %q, %v; link key was %q", href, got, err, key)
		}
	}
	if n < 2000 {
		t.Fatalf("only %d hrefs", n)
	}
}
