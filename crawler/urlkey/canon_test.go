package urlkey

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var (
	sortCanon = Canon{SortQuery: true}
	dropCanon = Canon{DropParams: []string{"utm_*", "fbclid"}}
	bothCanon = Canon{SortQuery: true, DropParams: []string{"utm_*", "fbclid"}}
)

// canonCases is the specification by example: every rule of Canon, with the
// inputs that tend to break URL normalisers.
var canonCases = []struct {
	name  string
	canon Canon
	in    string
	want  string // when err is nil
	err   error
}{
	// Already canonical: returned unchanged.
	{name: "canonical", in: "http://example.com/", want: "http://example.com/"},
	{name: "canonical with query", in: "https://example.com/a/b?x=1&y=2", want: "https://example.com/a/b?x=1&y=2"},

	// Scheme and host case; the path keeps its case.
	{name: "upper scheme and host", in: "HTTP://EXAMPLE.COM/Path", want: "http://example.com/Path"},
	{name: "mixed scheme", in: "HtTpS://example.com/a?b#c", want: "https://example.com/a?b"},

	// Empty path.
	{name: "empty path", in: "https://Example.COM", want: "https://example.com/"},
	{name: "empty path with port", in: "http://a.b.c:8080", want: "http://a.b.c:8080/"},
	{name: "empty path with query", in: "http://example.com?q=1", want: "http://example.com/?q=1"},

	// Ports.
	{name: "default http port", in: "http://example.com:80/a", want: "http://example.com/a"},
	{name: "default https port", in: "https://example.com:443/a", want: "https://example.com/a"},
	{name: "443 on http kept", in: "http://example.com:443/", want: "http://example.com:443/"},
	{name: "80 on https kept", in: "https://example.com:80/", want: "https://example.com:80/"},
	{name: "other port kept", in: "http://example.com:8080/", want: "http://example.com:8080/"},
	{name: "leading zeros in port", in: "http://example.com:0080/", want: "http://example.com/"},
	{name: "empty port", in: "http://example.com:/", want: "http://example.com/"},
	{name: "ip with default port", in: "http://1.2.3.4:80/", want: "http://1.2.3.4/"},
	{name: "port too large", in: "http://example.com:99999/", err: ErrPort},
	{name: "port not a number", in: "http://example.com:8o/", err: ErrPort},
	{name: "port zero", in: "http://example.com:0/", err: ErrPort},
	{name: "port negative", in: "http://example.com:-1/", err: ErrPort},

	// Fragment.
	{name: "fragment dropped", in: "http://example.com#frag", want: "http://example.com/"},
	{name: "fragment hides query", in: "http://example.com/a#b?c", want: "http://example.com/a"},
	{name: "fragment after query", in: "http://example.com/a?b=1#c", want: "http://example.com/a?b=1"},

	// Dot-segments (RFC 3986 §5.2.4).
	{name: "dots", in: "http://example.com/a/./b/../c", want: "http://example.com/a/c"},
	{name: "dots above root", in: "http://example.com/../../a", want: "http://example.com/a"},
	{name: "trailing dotdot", in: "http://example.com/a/b/..", want: "http://example.com/a/"},
	{name: "trailing dot", in: "http://example.com/a/.", want: "http://example.com/a/"},
	{name: "only dotdot", in: "http://example.com/..", want: "http://example.com/"},
	{name: "dot-like names kept", in: "http://example.com/a/.b/..c/...", want: "http://example.com/a/.b/..c/..."},
	{name: "encoded dotdot", in: "http://example.com/a/%2E%2E/b", want: "http://example.com/b"},
	{name: "encoded lower dot", in: "http://example.com/a/%2e/b", want: "http://example.com/a/b"},
	{name: "empty segments kept", in: "http://example.com/a//b/../c", want: "http://example.com/a//c"},
	{name: "rfc example", in: "http://example.com/a/b/c/./../../g", want: "http://example.com/a/g"},
	{name: "dots in query untouched", in: "http://example.com/a?x=/../y", want: "http://example.com/a?x=/../y"},

	// Percent-encoding.
	{name: "unreserved decoded", in: "http://example.com/%7euser/%41%62c%2D%5f%2e", want: "http://example.com/~user/Abc-_."},
	{name: "reserved kept, hex upper", in: "http://example.com/a%2fb%3f%3d", want: "http://example.com/a%2Fb%3F%3D"},
	{name: "space and non-ASCII encoded", in: "http://example.com/a b/ü", want: "http://example.com/a%20b/%C3%BC"},
	{name: "lower hex non-ASCII", in: "http://EXAMPLE.com/%c3%a9", want: "http://example.com/%C3%A9"},
	{name: "stray percent", in: "http://example.com/100%.html", want: "http://example.com/100%25.html"},
	{name: "bad escapes", in: "http://example.com/%zz%4", want: "http://example.com/%25zz%254"},
	{name: "unsafe ASCII encoded", in: "http://example.com/a|b{c}^`\"<>?\\", want: "http://example.com/a%7Cb%7Bc%7D%5E%60%22%3C%3E?%5C"},
	{name: "backslash is a slash before the query", in: `http://example.com\a\..\b?c\d`, want: "http://example.com/b?c%5Cd"},
	{name: "quote in query encoded as browsers do", in: "http://example.com/it's?q='x'", want: "http://example.com/it's?q=%27x%27"},
	{name: "sub-delims kept", in: "http://example.com/!$&'()*+,;=:@[]", want: "http://example.com/!$&'()*+,;=:@[]"},
	{name: "non-ASCII everywhere", in: "http://example.com/é?é#é", want: "http://example.com/%C3%A9?%C3%A9"},
	{name: "query escapes", in: "http://example.com/?q=a b&r=%7e%2b%26&s=a+b", want: "http://example.com/?q=a%20b&r=~%2B%26&s=a+b"},
	{name: "query stray percent", in: "http://example.com/?a=%zz", want: "http://example.com/?a=%25zz"},
	{name: "query keeps ? / : @", in: "http://example.com/?next=/a?b:c@d", want: "http://example.com/?next=/a?b:c@d"},

	// Query rules.
	{name: "empty query", in: "http://example.com/?", want: "http://example.com/"},
	{name: "empty query before fragment", in: "http://example.com/a?#x", want: "http://example.com/a"},
	{name: "order kept by default", in: "http://example.com/p?b=2&a=1&b=1", want: "http://example.com/p?b=2&a=1&b=1"},
	{name: "empty params kept by default", in: "http://example.com/p?a=1&&b=2&", want: "http://example.com/p?a=1&&b=2&"},
	{name: "sort stable", canon: sortCanon, in: "http://example.com/p?b=2&a=1&b=1", want: "http://example.com/p?a=1&b=2&b=1"},
	{name: "sort drops empty params", canon: sortCanon, in: "http://example.com/p?b&&a=1&", want: "http://example.com/p?a=1&b"},
	{name: "sort by key only", canon: sortCanon, in: "http://example.com/p?a=2&a=1&a", want: "http://example.com/p?a=2&a=1&a"},
	{name: "drop prefix", canon: dropCanon, in: "http://example.com/p?utm_source=x&id=3&utm_medium=y", want: "http://example.com/p?id=3"},
	{name: "drop everything", canon: dropCanon, in: "http://example.com/p?utm_source=x", want: "http://example.com/p"},
	{name: "drop exact only", canon: dropCanon, in: "http://example.com/p?fbclid=1&fbclidx=2&Fbclid=3", want: "http://example.com/p?fbclidx=2&Fbclid=3"},
	{name: "drop matches decoded name", canon: dropCanon, in: "http://example.com/p?utm%5Fsource=1&b=2", want: "http://example.com/p?b=2"},
	{name: "drop and sort", canon: bothCanon, in: "http://example.com/p?z=1&utm_x=0&a=2&fbclid=9&a=1", want: "http://example.com/p?a=2&a=1&z=1"},
	{name: "drop star", canon: Canon{DropParams: []string{"*"}}, in: "http://example.com/p?a=1&b=2", want: "http://example.com/p"},
	{name: "drop literal star inside", canon: Canon{DropParams: []string{"a*b"}}, in: "http://example.com/p?a*b=1&axb=2", want: "http://example.com/p?axb=2"},

	// Hosts.
	{name: "IDN", in: "http://Bücher.example/", want: "http://xn--bcher-kva.example/"},
	{name: "IDN ideographic dot", in: "http://日本。jp/", want: "http://xn--wgv71a.jp/"},
	{name: "punycode kept", in: "http://XN--BCHER-KVA.example/", want: "http://xn--bcher-kva.example/"},
	{name: "percent-encoded host", in: "http://ex%41mple.com/", want: "http://example.com/"},
	{name: "percent-encoded IDN host", in: "http://b%C3%BCcher.example/", want: "http://xn--bcher-kva.example/"},
	{name: "host trailing dot", in: "http://example.com./", want: "http://example.com/"},
	{name: "trailing dot and port", in: "http://example.com.:8080/", want: "http://example.com:8080/"},
	{name: "underscore allowed", in: "http://a_b.example.com/", want: "http://a_b.example.com/"},
	{name: "two trailing dots", in: "http://example.com../", err: ErrHost},
	{name: "leading dot", in: "http://.example.com/", err: ErrHost},
	{name: "only a dot", in: "http://./", err: ErrHost},
	{name: "space in host", in: "http://exa mple.com/", err: ErrHost},
	{name: "bad escape in host", in: "http://ex%zzample.com/", err: ErrHost},
	{name: "escaped slash in host", in: "http://a%2Fb.com/", err: ErrHost},
	{name: "escaped slash in host, WHATWG path", in: `http://a%2Fb.com\\x`, err: ErrHost},
	{name: "IDN with underscore", in: "http://bü_cher.de/", want: "http://xn--b_cher-3ya.de/"},
	{name: "IDN, STD3 rules off", in: "http://a_b.münchen.example:8080/", want: "http://a_b.xn--mnchen-3ya.example:8080/"},
	{name: "punycode with underscore label", in: "http://a_b.xn--mnchen-3ya.example/", want: "http://a_b.xn--mnchen-3ya.example/"},
	{name: "invalid punycode", in: "http://a.b.c.xn--pokxncvks/", err: ErrHost},
	{name: "empty punycode", in: "https://xn--/", err: ErrHost},
	{name: "escaped byte that is not UTF-8", in: "https://%80.example/", err: ErrHost},
	{name: "fullwidth IPv4", in: "http://０Ｘｃ０．０２５０．０１/", want: "http://192.168.0.1/"},
	{name: "backslash ends the host", in: `http://example.com\evil.com/`, want: "http://example.com/evil.com/"},
	{name: "backslash before userinfo", in: `https://evil.example\@good.example/`, want: "https://evil.example/@good.example/"},
	{name: "colon in host", in: "http://a:b:80/", err: ErrPort},
	{name: "forbidden host character", in: "http://a<b/", err: ErrHost},
	{name: "host character no DNS name has", in: "http://a!b/", err: ErrHost},

	// IPv4: every spelling the URL Standard reads becomes the dotted quad.
	{name: "IPv4 dotted", in: "http://192.168.0.1/", want: "http://192.168.0.1/"},
	{name: "IPv4 one number", in: "http://4294967295/", want: "http://255.255.255.255/"},
	{name: "IPv4 hex", in: "http://0xffffffff", want: "http://255.255.255.255/"},
	{name: "IPv4 mixed", in: "http://192.0x00A80001/", want: "http://192.168.0.1/"},
	{name: "IPv4 octal", in: "http://0300.0250.0.01/", want: "http://192.168.0.1/"},
	{name: "IPv4 short", in: "http://127.1/", want: "http://127.0.0.1/"},
	{name: "IPv4 trailing dot", in: "http://1.2.3.4./", want: "http://1.2.3.4/"},
	{name: "IPv4 percent-encoded", in: "http://%31%32%37.0.0.1/", want: "http://127.0.0.1/"},
	{name: "IPv4 part too large", in: "http://192.168.0.256/", err: ErrHost},
	{name: "IPv4 too large", in: "http://4294967296/", err: ErrHost},
	{name: "IPv4 five parts", in: "http://1.2.3.4.5/", err: ErrHost},
	{name: "IPv4 bad octal", in: "http://1.2.3.08/", err: ErrHost},
	{name: "name ending in a number", in: "http://foo.09/", err: ErrHost},
	{name: "name ending in hex", in: "http://foo.0x4/", err: ErrHost},
	{name: "number inside a name", in: "http://a1.2b.example/", want: "http://a1.2b.example/"},

	// IPv6.
	{name: "IPv6 lower-case", in: "http://[2001:DB8::1]/", want: "http://[2001:db8::1]/"},
	{name: "IPv6 compressed", in: "http://[2001:db8:0:0:0:0:0:1]:8080/", want: "http://[2001:db8::1]:8080/"},
	{name: "IPv6 default port", in: "https://[::1]:443/x", want: "https://[::1]/x"},
	{name: "IPv4-mapped IPv6", in: "http://[::FFFF:127.0.0.1]/", want: "http://[::ffff:127.0.0.1]/"},
	{name: "IPv6 zone", in: "http://[fe80::1%25eth0]/", err: ErrHost},
	{name: "IPv4 in brackets", in: "http://[1.2.3.4]/", err: ErrHost},
	{name: "IPv6 unclosed", in: "http://[::1/", err: ErrHost},
	{name: "IPv6 junk after bracket", in: "http://[::1]x/", err: ErrHost},
	{name: "IPv6 bad port", in: "http://[::1]:x/", err: ErrPort},
	{name: "IPv6 unbracketed", in: "http://::1/", err: ErrPort},
	{name: "IPv6 embedded IPv4", in: "http://[::1.2.3.4]/", want: "http://[::102:304]/"},
	{name: "IPv6 leading zeros", in: "http://[0000:0:0:0:0:0:0:0001]/", want: "http://[::1]/"},

	// Userinfo.
	{name: "empty userinfo dropped", in: "http://@example.com/", want: "http://example.com/"},
	{name: "userinfo kept, decoded", in: "http://user:pa%73s@example.com/", want: "http://user:pass@example.com/"},
	{name: "userinfo escaped like net/url", in: "http://us!er:p@ss@Example.com:80", want: "http://us%21er:p%40ss@example.com/"},
	{name: "empty password dropped", in: "http://user:@example.com/", want: "http://user@example.com/"},
	{name: "empty credentials dropped", in: "https://:@test/", want: "https://test/"},
	{name: "password without user kept", in: "https://:pw@test/", want: "https://:pw@test/"},
	{name: "non-ASCII userinfo", in: "http://foo:💩@example.com/bar", want: "http://foo:%F0%9F%92%A9@example.com/bar"},
	{name: "colon in password", in: "http://u:a:b@example.com/", want: "http://u:a%3Ab@example.com/"},

	// Whitespace and control characters.
	{name: "surrounding whitespace trimmed", in: " \t http://example.com/a \n", want: "http://example.com/a"},
	{name: "C0 and space trimmed", in: "\x00\x1b http://example.com/\x1f \r", want: "http://example.com/"},
	{name: "NUL encoded", in: "http://example.com/a\x00b?\x01c", want: "http://example.com/a%00b?%01c"},
	{name: "newlines and tabs removed", in: "h\tt\ntp://ho\tst:8\n0/a\nb?c\td", want: "http://host/ab?cd"},
	{name: "DEL encoded", in: "http://example.com/\x7f?\x7f", want: "http://example.com/%7F?%7F"},
	{name: "control in fragment", in: "http://example.com/#\x01", want: "http://example.com/"},
	{name: "control in host", in: "http://exa\x01mple.com/", err: ErrHost},

	// Schemes and structure.
	{name: "ftp", in: "ftp://example.com/", err: ErrScheme},
	{name: "mailto", in: "mailto:a@b.c", err: ErrScheme},
	{name: "javascript", in: "javascript:void(0)", err: ErrScheme},
	{name: "data", in: "data:text/html,<p>hi", err: ErrScheme},
	{name: "relative path", in: "/relative/path", err: ErrScheme},
	{name: "relative with dots", in: "example.com/a", err: ErrScheme},
	{name: "scheme-relative", in: "//example.com/a", err: ErrScheme},
	{name: "empty", in: "", err: ErrScheme},
	{name: "scheme only", in: "http:", err: ErrHost},
	{name: "no slashes", in: "http:example.com", want: "http://example.com/"},
	{name: "one slash", in: "https:/example.com/a", want: "https://example.com/a"},
	{name: "backslashes for slashes", in: `http:\\www.example.com\foo`, want: "http://www.example.com/foo"},
	{name: "no host", in: "http://", err: ErrHost},
	{name: "three slashes", in: "http:///a/b", want: "http://a/b"},
	{name: "only slashes", in: "http:////", err: ErrHost},
	{name: "empty host with userinfo", in: "http://user@/a", err: ErrHost},
	{name: "empty host with port", in: "http://:80/a", err: ErrHost},
}

func TestCanonical(t *testing.T) {
	if len(canonCases) < 40 {
		t.Fatalf("only %d cases", len(canonCases))
	}
	names := make(map[string]bool)
	for _, tc := range canonCases {
		if names[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		names[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.canon.String(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("String(%q) = %q, %v; want error %v", tc.in, got, err, tc.err)
				}
				var e *Error
				if !errors.As(err, &e) || e.URL != tc.in {
					t.Errorf("error %#v does not carry the input URL", err)
				}
				if !strings.HasPrefix(err.Error(), strconv.Quote(tc.in)+": ") || !strings.Contains(err.Error(), tc.err.Error()) {
					t.Errorf("error message %q", err)
				}
				if u, err := tc.canon.Canonical(tc.in); err == nil || u != nil {
					t.Errorf("Canonical(%q) = %v, %v; want nil and an error", tc.in, u, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("String(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			checkCanonical(t, tc.canon, tc.in, got)
		})
	}
}

// checkCanonical asserts the properties every canonical output s of input in has:
// Canonical agrees with String, net/url writes and reads it back unchanged, and
// canonicalising it again changes nothing.
func checkCanonical(t *testing.T, c Canon, in, s string) {
	t.Helper()
	u, err := c.Canonical(in)
	if err != nil {
		t.Fatalf("Canonical(%q): %v, but String succeeded", in, err)
	}
	if u.String() != s {
		t.Fatalf("Canonical(%q).String() = %q; String gave %q", in, u.String(), s)
	}
	if ku, ks, kh, err := c.Keys(in); err != nil || ks != s || kh != HostKey(u) || ku.String() != s {
		t.Fatalf("Keys(%q) = %q, %q, %q, %v; want %q, %q", in, ku, ks, kh, err, s, HostKey(u))
	}
	again, err := c.String(s)
	if err != nil || again != s {
		t.Fatalf("not idempotent: String(%q) = %q, %v", s, again, err)
	}
	p, err := url.Parse(s)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", s, err)
	}
	if p.String() != s {
		t.Fatalf("net/url round trip of %q gives %q", s, p.String())
	}
	if p.Host != u.Host || p.Path != u.Path || p.RawQuery != u.RawQuery || p.Scheme != u.Scheme {
		t.Fatalf("fields differ from url.Parse(%q):\n got %#v\nwant %#v", s, u, p)
	}
	if p.User.String() != u.User.String() {
		t.Fatalf("userinfo of %q: got %q, url.Parse gives %q", s, u.User, p.User)
	}
}

func TestCanonicalURLFields(t *testing.T) {
	u, err := Canon{}.Canonical("HTTP://user:p%40ss@Example.COM:8080/a%2fb/c%20d/(x)?q=%7e#f")
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	checks := []struct{ name, got, want string }{
		{"Scheme", u.Scheme, "http"},
		{"Host", u.Host, "example.com:8080"},
		{"Hostname", u.Hostname(), "example.com"},
		{"Port", u.Port(), "8080"},
		{"Path", u.Path, "/a/b/c d/(x)"},
		{"EscapedPath", u.EscapedPath(), "/a%2Fb/c%20d/(x)"},
		{"RawQuery", u.RawQuery, "q=~"},
		{"Fragment", u.Fragment, ""},
		{"Username", u.User.Username(), "user"},
		{"Password", pw, "p@ss"},
		{"RequestURI", u.RequestURI(), "/a%2Fb/c%20d/(x)?q=~"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

// TestStringReturnsInput checks the allocation-free path: an already canonical URL
// comes back as the very same string.
func TestStringReturnsInput(t *testing.T) {
	in := "https://example.com/docs/a/b?x=1"
	allocs := testing.AllocsPerRun(100, func() {
		s, err := Canon{}.String(in)
		if err != nil || s != in {
			t.Fatalf("String(%q) = %q, %v", in, s, err)
		}
	})
	if allocs != 0 {
		t.Errorf("String of a canonical URL allocates %v times, want 0", allocs)
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := Canon{}.String("http://example.com:99999/")
	want := `"http://example.com:99999/": invalid port: "99999" is out of range`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	// Messages are for people: what a URL without a scheme probably meant,
	// and what is wrong with a scheme that is misspelt rather than missing.
	for in, want := range map[string]string{
		"example.com":          `"example.com": not an http or https URL: missing scheme (did you mean https://example.com/?)`,
		" Example.COM/a b ":    `" Example.COM/a b ": not an http or https URL: missing scheme (did you mean https://example.com/a%20b?)`,
		"example.com:8080/x":   `"example.com:8080/x": not an http or https URL: scheme "example.com" (did you mean https://example.com:8080/x?)`,
		"127.0.0.1:8080":       `"127.0.0.1:8080": not an http or https URL: missing scheme (did you mean https://127.0.0.1:8080/?)`,
		"//cdn.example/lib.js": `"//cdn.example/lib.js": not an http or https URL: missing scheme (did you mean https://cdn.example/lib.js?)`,
		"ht!tp://x":            `"ht!tp://x": not an http or https URL: invalid character '!' in scheme "ht!tp"`,
		"1http://x":            `"1http://x": not an http or https URL: scheme "1http" does not start with a letter`,
		"mailto:a@example.com": `"mailto:a@example.com": not an http or https URL: scheme "mailto"`,
		"/relative/path":       `"/relative/path": not an http or https URL: missing scheme`,
		"":                     `"": not an http or https URL: missing scheme`,
		"exa mple.com":         `"exa mple.com": not an http or https URL: missing scheme`,
	} {
		_, err := Canon{}.String(in)
		if err == nil || err.Error() != want || !errors.Is(err, ErrScheme) {
			t.Errorf("String(%q): got %v\nwant %s", in, err, want)
		}
	}
	long := "data:" + strings.Repeat("A", 10000)
	_, err = Canon{}.String(long)
	if err == nil || len(err.Error()) > 300 || !errors.Is(err, ErrScheme) {
		t.Errorf("long URL error: %.400v", err)
	}
}

func TestResolve(t *testing.T) {
	base, err := Canon{}.Canonical("http://example.com/a/b/c?q#f")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ref, want string
		err       error
	}{
		{ref: "g", want: "http://example.com/a/b/g"},
		{ref: "./g", want: "http://example.com/a/b/g"},
		{ref: "g/", want: "http://example.com/a/b/g/"},
		{ref: "/g", want: "http://example.com/g"},
		{ref: "//Other.com/x", want: "http://other.com/x"},
		{ref: "?y", want: "http://example.com/a/b/c?y"},
		{ref: "g?y", want: "http://example.com/a/b/g?y"},
		{ref: "#s", want: "http://example.com/a/b/c?q"},
		{ref: "g#s", want: "http://example.com/a/b/g"},
		{ref: "", want: "http://example.com/a/b/c?q"},
		{ref: ".", want: "http://example.com/a/b/"},
		{ref: "..", want: "http://example.com/a/"},
		{ref: "../g", want: "http://example.com/a/g"},
		{ref: "../../../../g", want: "http://example.com/g"},
		{ref: "g;x=1/../y", want: "http://example.com/a/b/y"},
		{ref: "g?y/./x", want: "http://example.com/a/b/g?y/./x"},
		{ref: "http:g", want: "http://example.com/a/b/g"},
		{ref: "HTTPS://X.com", want: "https://x.com/"},
		{ref: "100%.html", want: "http://example.com/a/b/100%25.html"},
		{ref: " g h \n", want: "http://example.com/a/b/g%20h"},
		{ref: "mailto:x@y", err: ErrScheme},
		{ref: "javascript:alert(1)", err: ErrScheme},
		{ref: "http://[::1", err: ErrHost},
	}
	for _, tc := range cases {
		u, err := Canon{}.Resolve(base, tc.ref)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Resolve(%q) = %v, %v; want %v", tc.ref, u, err, tc.err)
			}
			continue
		}
		if err != nil || u.String() != tc.want {
			t.Errorf("Resolve(%q) = %v, %v; want %q", tc.ref, u, err, tc.want)
		}
	}

	// Userinfo, port and the base's query rules carry over.
	base2, _ := url.Parse("http://u:p@Example.com:8080/dir/page.html?utm_x=1&a=1")
	for ref, want := range map[string]string{
		"":      "http://u:p@example.com:8080/dir/page.html?a=1",
		"x?b=2": "http://u:p@example.com:8080/dir/x?b=2",
	} {
		u, err := dropCanon.Resolve(base2, ref)
		if err != nil || u.String() != want {
			t.Errorf("Resolve(%q) = %v, %v; want %q", ref, u, err, want)
		}
	}

	// Without a base only absolute references resolve.
	if u, err := (Canon{}).Resolve(nil, "HTTP://a.com"); err != nil || u.String() != "http://a.com/" {
		t.Errorf("Resolve(nil, absolute) = %v, %v", u, err)
	}
	if _, err := (Canon{}).Resolve(nil, "g"); !errors.Is(err, ErrScheme) {
		t.Errorf("Resolve(nil, relative) error = %v, want ErrScheme", err)
	}
}

// TestResolveMatchesNetURL compares Resolve with net/url's ResolveReference
// followed by Canonical, for references net/url can parse.
func TestResolveMatchesNetURL(t *testing.T) {
	bases := []string{"http://example.com/a/b/c?q", "https://example.com", "http://example.com/a/", "http://[::1]:8080/x/y"}
	refs := []string{"g", "./g", "../g", "../..", "/./g", "g/../h", "?", "?a=b", "//h.com", "//h.com/x/../y",
		"https://z.com/p", "a/b/./../c/", "x%2Fy", ";p", "g;x", "%41", ""}
	for _, b := range bases {
		base, err := Canon{}.Canonical(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range refs {
			ref, err := url.Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Canon{}.String(base.ResolveReference(ref).String())
			if err != nil {
				t.Fatalf("%s + %s: %v", b, r, err)
			}
			got, err := Canon{}.Resolve(base, r)
			if err != nil || got.String() != want {
				t.Errorf("Resolve(%q, %q) = %v, %v; want %q", b, r, got, err, want)
			}
		}
	}
}

// TestIdempotentRandom builds URL-like strings from pieces that exercise every
// rule and checks the canonical-form properties on whatever comes out.
func TestIdempotentRandom(t *testing.T) {
	pieces := [][]string{
		{"http://", "https://", "http://", "HTTPS://", "hTTp://", " http://", "http:", "ftp://", ""},
		{"", "@", "u@", "u:p@", "%41:%zz@", "a!b@"},
		{"example.com", "EXAMPLE.com.", "[::1]", "[2001:DB8::0:1]", "bücher.de", "a..b", "x%41y.com",
			"h.com:0080", "h.com:443", "h.com:", "1.2.3.4", "xn--bcher-kva.de", "日本。jp", "a_b", ""},
		{"", "/", "/a", "/.", "/..", "/%2e", "/%2E.", "%2F", "%2f", "%zz", "%", "%4", " ", "é", "\\", "|",
			"[", "]", "'", "(", "~", "%7E", "//", "/./", "/../", ";", "=", "+", "&"},
		{"", "?", "?a=1", "&b", "&&", "=", "&utm_x=1", "&fbclid=2", "%26", "%3D", "%7e", " ", "?", "/../"},
		{"", "#", "#x", "#a?b"},
	}
	r := rand.New(rand.NewPCG(1, 2))
	canons := []Canon{{}, sortCanon, dropCanon, bothCanon}
	n := 0
	for range 20000 {
		var b strings.Builder
		for i, set := range pieces {
			reps := 1
			if i == 3 || i == 4 {
				reps = r.IntN(5)
			}
			for range reps {
				b.WriteString(set[r.IntN(len(set))])
			}
		}
		in := b.String()
		c := canons[r.IntN(len(canons))]
		s, err := c.String(in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("String(%q): error %v is not an *Error", in, err)
			}
			continue
		}
		n++
		checkCanonical(t, c, in, s)
	}
	t.Logf("%d of 20000 random inputs valid", n)
	if n < 3000 {
		t.Errorf("only %d of 20000 random inputs were valid; the generator is too hostile", n)
	}
}

// FuzzCanonical checks, for any input, that Canonical gives an *Error or a
// canonical URL: canon(canon(x)) == canon(x), and net/url reads it back
// unchanged.
func FuzzCanonical(f *testing.F) {
	for _, tc := range canonCases {
		f.Add(tc.in, tc.canon.SortQuery, len(tc.canon.DropParams) > 0)
	}
	for _, in := range whatwgInputs(f) {
		f.Add(in, false, false)
	}
	f.Fuzz(func(t *testing.T, in string, sortQuery, drop bool) {
		c := Canon{SortQuery: sortQuery}
		if drop {
			c.DropParams = dropCanon.DropParams
		}
		s, err := c.String(in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.URL != in {
				t.Fatalf("String(%q): error %v is not an *Error for the input", in, err)
			}
			return
		}
		if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
			t.Fatalf("String(%q) = %q", in, s)
		}
		checkCanonical(t, c, in, s)
	})
}

// FuzzScanAgreesWithWHATWG checks the claim the fast path rests on: whenever
// scan canonicalises a URL itself, the WHATWG parser followed by scan gives
// the same key (or both reject it). Inputs that are not UTF-8 are skipped: the
// parser reads code points, scan encodes the bytes as they are (only a
// Location header can carry such bytes; HTML is decoded first).
func FuzzScanAgreesWithWHATWG(f *testing.F) {
	for _, tc := range canonCases {
		f.Add(tc.in)
	}
	for _, in := range benchURLs {
		f.Add(in)
	}
	for _, in := range whatwgInputs(f) {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !utf8.ValidString(in) {
			return
		}
		s := trimSpace(in)
		fast, err := Canon{}.scan(in, s, false)
		if err == errSlow {
			return
		}
		slow, werr := Canon{}.slow(in, nil, s)
		switch {
		case (err == nil) != (werr == nil):
			t.Fatalf("%q: scan gives %q, %v; WHATWG parser gives %q, %v", in, fast.s, err, slow.s, werr)
		case err == nil && fast.s != slow.s:
			t.Fatalf("%q: scan gives %q; WHATWG parser gives %q", in, fast.s, slow.s)
		}
	})
}

// whatwgInputs returns the inputs of the URL Standard's test data, as seeds.
func whatwgInputs(tb testing.TB) []string {
	data, err := os.ReadFile("testdata/whatwg-urltestdata.json")
	if err != nil {
		tb.Fatal(err)
	}
	var cases []any
	if err := json.Unmarshal(data, &cases); err != nil {
		tb.Fatal(err)
	}
	var ins []string
	for _, c := range cases {
		if m, ok := c.(map[string]any); ok {
			if in, ok := m["input"].(string); ok {
				ins = append(ins, in)
			}
		}
	}
	return ins
}

// benchURLs is a mix shaped like links found on real pages: mostly canonical,
// some with upper case, default ports, dot-segments, escapes, queries, fragments.
var benchURLs = []string{
	"https://example.com/docs/guide/install.html",
	"https://example.com/docs/api/v2/reference?lang=en&page=3",
	"https://example.com/blog/2024/05/17/a-long-title-for-a-post/",
	"https://cdn.example.com/assets/img/logo.png",
	"HTTPS://Example.COM:443/Docs/Index.html#section-2",
	"https://example.com/a/b/../c/./d.html",
	"https://example.com/search?q=hello%20world&utm_source=x&utm_medium=y",
	"https://example.com/%7Euser/caf%c3%a9/",
}

func BenchmarkString(b *testing.B) {
	c := Canon{DropParams: []string{"utm_*"}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := c.String(benchURLs[i%len(benchURLs)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanonical(b *testing.B) {
	for _, bc := range []struct {
		name string
		in   string
	}{
		{"canonical", "https://example.com/docs/guide/install.html"},
		{"upper+port+fragment", "HTTPS://Example.COM:443/Docs/Index.html#section-2"},
		{"dots", "https://example.com/a/b/../c/./d.html"},
		{"escapes", "https://example.com/%7Euser/caf%c3%a9/a%2fb"},
		{"query-drop-sort", "https://example.com/search?z=1&q=hello%20world&utm_source=x&a=2"},
		{"idn", "https://bücher.example/katalog"},
		{"mailto", "mailto:someone@example.com"},
	} {
		c := Canon{SortQuery: true, DropParams: []string{"utm_*"}}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Canonical(bc.in)
			}
		})
	}
	b.Run("mix", func(b *testing.B) {
		c := Canon{DropParams: []string{"utm_*"}}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := c.Canonical(benchURLs[i%len(benchURLs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("net/url.Parse", func(b *testing.B) {
		// For scale: parsing alone with the standard library.
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := url.Parse(benchURLs[i%len(benchURLs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkResolve(b *testing.B) {
	base, _ := Canon{}.Canonical("https://example.com/docs/guide/install.html")
	refs := []string{"../api/", "intro.html", "/blog/", "#top", "https://other.org/x", "?page=2"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := (Canon{}).Resolve(base, refs[i%len(refs)]); err != nil {
			b.Fatal(err)
		}
	}
}
