package politeness

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// rfcCase is one vector of testdata/robots-rfc9309.json.
type rfcCase struct {
	Name          string `json:"name"`
	Robots        string `json:"robots"`
	Agent         string `json:"agent"`
	URL           string `json:"url"`
	Allowed       bool   `json:"allowed"`
	Why           string `json:"why"`
	Section       string `json:"section"`
	Level         string `json:"level"`
	GoogleDiffers bool   `json:"google_differs"`
}

func loadJSON[T any](tb testing.TB, name string) []T {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	var v []T
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return v
}

// pathAfterAuthority returns everything after scheme://authority without
// the fragment, as the conformance README prescribes for path-only APIs.
func pathAfterAuthority(raw string) string {
	rest := raw[strings.Index(raw, "://")+3:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[i:]
	} else {
		rest = ""
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

func TestRobotsConformanceRFC9309(t *testing.T) {
	cases := loadJSON[rfcCase](t, "robots-rfc9309.json")
	if len(cases) != 124 {
		t.Fatalf("loaded %d cases, want 124", len(cases))
	}
	passed := 0
	for _, c := range cases {
		ok := t.Run(c.Name, func(t *testing.T) {
			u, err := url.Parse(c.URL)
			if err != nil {
				t.Fatalf("url.Parse(%q): %v", c.URL, err)
			}
			r := ParseRobots([]byte(c.Robots))
			if got := r.Allowed(c.Agent, u); got != c.Allowed {
				t.Errorf("Allowed(%q, %q) = %v, want %v (§%s %s: %s)", c.Agent, c.URL, got, c.Allowed, c.Section, c.Level, c.Why)
			}
			p := pathAfterAuthority(c.URL)
			if got := r.AllowedPath(c.Agent, p); got != c.Allowed {
				t.Errorf("AllowedPath(%q, %q) = %v, want %v (§%s %s: %s)", c.Agent, p, got, c.Allowed, c.Section, c.Level, c.Why)
			}
		})
		if ok {
			passed++
		}
	}
	t.Logf("RFC 9309 conformance: %d/%d passed", passed, len(cases))
}

func mustURL(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

func TestAllowAllDisallowAll(t *testing.T) {
	for _, p := range []string{"/", "/a", "/a/b?c=d"} {
		if !AllowAll().AllowedPath("trawl", p) {
			t.Errorf("AllowAll disallows %q", p)
		}
		if DisallowAll().AllowedPath("trawl", p) {
			t.Errorf("DisallowAll allows %q", p)
		}
		if DisallowAll().AllowedPath("other", p) {
			t.Errorf("DisallowAll allows %q for another agent", p)
		}
	}
	if !DisallowAll().AllowedPath("trawl", "/robots.txt") {
		t.Error("DisallowAll must still allow /robots.txt")
	}
	var nilRobots *Robots
	if !nilRobots.Allowed("trawl", mustURL(t, "http://h/x")) || !(&Robots{}).AllowedPath("trawl", "/x") {
		t.Error("nil and zero Robots must allow everything")
	}
	if _, ok := nilRobots.CrawlDelay("trawl"); ok || nilRobots.Sitemaps() != nil {
		t.Error("nil Robots has no crawl-delay or sitemaps")
	}
}

func TestAllowedAgentToken(t *testing.T) {
	r := ParseRobots([]byte("User-agent: trawl/1.0 (+https://x)\nDisallow: /t\n\nUser-agent: *\nDisallow: /s\n\nUser-agent: *weird\nDisallow: /w\n\nUser-agent: Bötchen\nDisallow: /b\n"))
	tests := []struct {
		agent, path string
		want        bool
	}{
		{"trawl", "/t", false},
		{"TRAWL", "/t", false},
		{"trawl/2.0", "/t", false}, // version suffix ignored on our side too
		{"trawl", "/s", true},      // specific group replaces "*"
		{"other", "/s", false},
		{"other", "/t", true},
		{"", "/s", false},      // no token: the "*" group
		{"*", "/s", false},     // explicit "*"
		{"*weird", "/w", true}, // a "User-agent: *weird" line names no one
		{"*weird", "/s", false},
		{"B", "/b", true},        // "Bötchen" must not become "B"
		{"bötchen", "/b", false}, // ASCII case folding only
		{"Bötchen", "/b", false},
	}
	for _, tt := range tests {
		if got := r.AllowedPath(tt.agent, tt.path); got != tt.want {
			t.Errorf("AllowedPath(%q, %q) = %v, want %v", tt.agent, tt.path, got, tt.want)
		}
	}
}

func TestAllowedURLForms(t *testing.T) {
	r := ParseRobots([]byte("User-agent: *\n" +
		"Disallow: /a!b\n" +
		"Disallow: /x(1)\n" +
		"Disallow: /sp ace\n" +
		"Disallow: /pipe|\n" +
		"Disallow: /pct%\n" +
		"Disallow: /q?x=%41\n" +
		"Disallow: /exact$\n" +
		"Disallow: /mid$dle\n" +
		"Disallow: /star%2a\n"))
	tests := []struct {
		url  string
		want bool
	}{
		{"http://h/a!b", false},
		{"http://h/a%21b", true}, // reserved: %21 and '!' stay distinct
		{"http://h/x(1)", false},
		{"http://h/x(1)|y", false}, // '|' forces Go to re-escape the path; '(' must survive
		{"http://h/sp%20ace", false},
		{"http://h/pipe%7C", false},
		{"http://h/pipe%7c", false},
		{"http://h/pct%25", false},
		{"http://h/q?x=A", false},
		{"http://h/q?x=%41", false},
		{"http://h/q?x=%61", true},
		{"http://h/exact", false},
		{"http://h/exact?", true}, // ForceQuery keeps the '?'
		{"http://h/exact#frag", false},
		{"http://h/mid$dle", false},
		{"http://h/mid%24dle", false},
		{"http://h/star*", false},
		{"http://h/star%2A", false},
		{"http://h/starX", true},
		{"http://h/robots.txt", true},
		{"http://h/%72obots.txt", true},
	}
	for _, tt := range tests {
		if got := r.Allowed("trawl", mustURL(t, tt.url)); got != tt.want {
			t.Errorf("Allowed(%q) = %v, want %v", tt.url, got, tt.want)
		}
	}
	// URLs built by hand rather than parsed.
	built := []struct {
		u    *url.URL
		want bool
	}{
		{&url.URL{Scheme: "http", Host: "h", Path: "/a!b"}, true}, // read as EscapedPath: /a%21b
		{&url.URL{Scheme: "http", Host: "h", Path: "/a!b", RawPath: "/a!b"}, false},
		{&url.URL{Scheme: "http", Host: "h", Path: "/x(1)"}, true},
		{&url.URL{Scheme: "http", Host: "h", Path: "/sp ace|"}, false},
		{&url.URL{Scheme: "http", Host: "h", Path: "/pct%"}, false},
		{&url.URL{Scheme: "http", Host: "h", Path: "/q", RawQuery: "x=A"}, false},
		{&url.URL{Scheme: "http", Host: "h", Path: "/sp ace"}, false},
		{&url.URL{Scheme: "http", Host: "h", Path: "/a/b", RawPath: "/stale"}, true}, // stale RawPath ignored
		{nil, true},
	}
	for _, tt := range built {
		if got := r.Allowed("trawl", tt.u); got != tt.want {
			t.Errorf("Allowed(%#v) = %v, want %v", tt.u, got, tt.want)
		}
	}
	paths := []struct {
		p    string
		want bool
	}{
		{"a!b", false}, // leading '/' supplied
		{"", true},
		{"?x", true},
		{"/exact#x", false},
		{"/pipe|", false},
	}
	for _, tt := range paths {
		if got := r.AllowedPath("trawl", tt.p); got != tt.want {
			t.Errorf("AllowedPath(%q) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, url, pattern string
	}{
		{"/a/b", "/a/b", "/a/b"},
		{"/%7e%41%2f%2F", "/~A%2F%2F", "/~A%2F%2F"},
		{"/café", "/caf%C3%A9", "/caf%C3%A9"},
		{"/%", "/%25", "/%25"},
		{"/%4", "/%254", "/%254"},
		{"/%zz", "/%25zz", "/%25zz"},
		{"/a*b$", "/a%2Ab%24", "/a*b%24"},
		{"/a?b#c", "/a?b#c", "/a?b#c"},
		{"/!$&'()*+,;=:@[]", "/!%24&'()%2A+,;=:@[]", "/!%24&'()*+,;=:@[]"},
		{"/ \t\x7f<>\"\\^`{|}", "/%20%09%7F%3C%3E%22%5C%5E%60%7B%7C%7D", "/%20%09%7F%3C%3E%22%5C%5E%60%7B%7C%7D"},
	}
	for _, tt := range tests {
		if got := string(appendNormalized(nil, tt.in, modeURL)); got != tt.url {
			t.Errorf("url(%q) = %q, want %q", tt.in, got, tt.url)
		}
		if got := string(appendNormalized(nil, tt.in, modePattern)); got != tt.pattern {
			t.Errorf("pattern(%q) = %q, want %q", tt.in, got, tt.pattern)
		}
	}
}

func TestCrawlDelay(t *testing.T) {
	tests := []struct {
		name   string
		robots string
		agent  string
		want   time.Duration
		ok     bool
	}{
		{"integer", "User-agent: trawl\nCrawl-delay: 10\n", "trawl", 10 * time.Second, true},
		{"fraction", "User-agent: trawl\nCrawl-delay: 0.5\n", "trawl", 500 * time.Millisecond, true},
		{"leading dot", "User-agent: trawl\ncrawl-delay: .25\n", "trawl", 250 * time.Millisecond, true},
		{"trailing dot", "User-agent: trawl\nCrawl-Delay: 2.\n", "trawl", 2 * time.Second, true},
		{"zero", "User-agent: trawl\nCrawl-delay: 0\n", "trawl", 0, true},
		{"comment", "User-agent: trawl\nCrawl-delay: 3 # be nice\n", "trawl", 3 * time.Second, true},
		{"garbage", "User-agent: trawl\nCrawl-delay: soon\n", "trawl", 0, false},
		{"negative", "User-agent: trawl\nCrawl-delay: -1\n", "trawl", 0, false},
		{"exponent", "User-agent: trawl\nCrawl-delay: 1e3\n", "trawl", 0, false},
		{"two dots", "User-agent: trawl\nCrawl-delay: 1.2.3\n", "trawl", 0, false},
		{"huge", "User-agent: trawl\nCrawl-delay: 99999999999999999999999999999\n", "trawl", maxCrawlDelay, true},
		{"bad then good", "User-agent: trawl\nCrawl-delay: x\nCrawl-delay: 4\n", "trawl", 4 * time.Second, true},
		{"star fallback", "User-agent: *\nCrawl-delay: 7\n", "trawl", 7 * time.Second, true},
		{"own group has none", "User-agent: *\nCrawl-delay: 7\nDisallow: /a\n\nUser-agent: trawl\nDisallow: /x\n", "trawl", 0, false},
		// Crawl-delay does not end the run of user-agent lines (§2.2.4), so
		// trawl joins the "*" group here.
		{"delay between agents", "User-agent: *\nCrawl-delay: 7\n\nUser-agent: trawl\nDisallow: /x\n", "trawl", 7 * time.Second, true},
		{"merged groups take max", "User-agent: trawl\nCrawl-delay: 2\nDisallow: /a\n\nUser-agent: x\nDisallow: /\n\nUser-agent: TRAWL\nCrawl-delay: 5\n", "trawl", 5 * time.Second, true},
		{"shared group", "User-agent: a\nCrawl-delay: 3\nUser-agent: trawl\nDisallow: /\n", "trawl", 3 * time.Second, true},
		{"before any group", "Crawl-delay: 9\nUser-agent: trawl\nDisallow: /\n", "trawl", 0, false},
		{"none", "User-agent: trawl\nDisallow: /\n", "trawl", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseRobots([]byte(tt.robots)).CrawlDelay(tt.agent)
			if got != tt.want || ok != tt.ok {
				t.Errorf("CrawlDelay = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSitemaps(t *testing.T) {
	r := ParseRobots([]byte("Sitemap: https://h/a.xml\n" +
		"User-agent: x\nSitemap: https://h/b.xml # comment\nDisallow: /\n" +
		"SITEMAP:https://h/c.xml\nsitemap: https://h/a.xml\nSitemap:\n"))
	want := []string{"https://h/a.xml", "https://h/b.xml", "https://h/c.xml"}
	got := r.Sitemaps()
	if !slices.Equal(got, want) {
		t.Fatalf("Sitemaps() = %q, want %q", got, want)
	}
	got[0] = "mutated"
	if r.Sitemaps()[0] != want[0] {
		t.Error("Sitemaps must return a copy")
	}
	if s := ParseRobots(nil).Sitemaps(); len(s) != 0 {
		t.Errorf("empty file sitemaps = %q", s)
	}
}

func TestParseTolerance(t *testing.T) {
	tests := []struct {
		name, robots, path string
		want               bool
	}{
		{"misspelt disallow", "User-agent: *\nDissallow: /x\n", "/x", false},
		{"useragent", "Useragent: *\nDisallow: /x\n", "/x", false},
		{"user agent", "User agent: *\nDisallow: /x\n", "/x", false},
		{"long-s is not s", "User-agent: *\nDi\u017fallow: /x\n", "/x", true},
		{"NUL bytes", "User-agent: *\x00\nDisallow: /x\n\x00\x00", "/x", true}, // "*\x00" is not "*"
		{"binary garbage", "\xff\xfe\x00U\x00s\x00e\x00r", "/x", true},
		{"only BOM", "\xEF\xBB\xBF", "/x", true},
		{"double star", "User-agent: *\nDisallow: /a**b\n", "/a-b", false},
		{"star dollar", "User-agent: *\nDisallow: /a*$\n", "/a/b", false},
		{"lone dollar", "User-agent: *\nDisallow: $\n", "/", true},
		{"dollar dollar", "User-agent: *\nDisallow: /a$$\n", "/a$", false},
		{"empty user-agent joins", "User-agent:\nUser-agent: trawl\nDisallow: /x\n", "/x", false},
		{"empty disallow closes agents", "User-agent: trawl\nDisallow:\nUser-agent: other\nDisallow: /x\n", "/x", true},
		{"form feed space", "User-agent:\f*\nDisallow:\v/x\n", "/x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseRobots([]byte(tt.robots)).AllowedPath("trawl", tt.path); got != tt.want {
				t.Errorf("AllowedPath(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

func TestParseSizeLimit(t *testing.T) {
	head := "User-agent: *\nDisallow: /early\n"
	filler := strings.Repeat("# padding padding padding padding\n", MaxRobotsSize/34+1)
	body := head + filler + "Disallow: /late\n"
	if len(body) <= MaxRobotsSize {
		t.Fatal("test body too small")
	}
	r := ParseRobots([]byte(body))
	if r.AllowedPath("trawl", "/early") {
		t.Error("rule before the limit was lost")
	}
	if !r.AllowedPath("trawl", "/late") {
		t.Error("rule beyond the limit was applied")
	}

	// A line cut by the limit is dropped, not parsed in part: here the cut
	// would turn "Allow: /private/ok" into "Allow: /private", which ties
	// with the disallow and so would allow all of /private.
	prefix := "User-agent: *\nDisallow: /private\n"
	pad := strings.Repeat("#", MaxRobotsSize-len(prefix)-len("\nAllow: /private"))
	cut := prefix + pad + "\nAllow: /private/ok\n"
	r = ParseRobots([]byte(cut))
	if r.AllowedPath("trawl", "/private/x") {
		t.Error("partial line at the limit was parsed")
	}

	// One line longer than the limit, no line break at all: nothing, no panic.
	if !ParseRobots([]byte(strings.Repeat("x", MaxRobotsSize+10))).AllowedPath("trawl", "/") {
		t.Error("oversized single line must parse to allow-all")
	}

	// A 200 KB rule is still matched whole.
	long := "/" + strings.Repeat("a", 200<<10)
	r = ParseRobots([]byte("User-agent: *\nDisallow: " + long + "/secret\n"))
	if !r.AllowedPath("trawl", long+"/public") || r.AllowedPath("trawl", long+"/secret/x") {
		t.Error("very long rule mismatched")
	}
}

// TestSourceReparses: what Source returns parses to the same rules, and
// stays within the size limit, so a stored copy behaves like the fetched file.
func TestSourceReparses(t *testing.T) {
	body := "\xEF\xBB\xBFUser-agent: trawl\nDisallow: /private\nCrawl-delay: 3\nSitemap: http://a.test/s.xml\n"
	r := ParseRobots([]byte(body))
	again := ParseRobots(r.Source())
	if string(r.Source()) != body {
		t.Errorf("Source() = %q, want the body %q", r.Source(), body)
	}
	if again.AllowedPath("trawl", "/private/x") || !again.AllowedPath("trawl", "/public") {
		t.Error("re-parsed rules differ")
	}
	if d, ok := again.CrawlDelay("trawl"); !ok || d != 3*time.Second {
		t.Errorf("re-parsed crawl-delay = %v, %v", d, ok)
	}
	if len(again.Sitemaps()) != 1 {
		t.Errorf("re-parsed sitemaps = %v", again.Sitemaps())
	}
	if AllowAll().Source() != nil || DisallowAll().Source() != nil {
		t.Error("AllowAll and DisallowAll have no source")
	}
	big := strings.Repeat("# pad\n", MaxRobotsSize/6+10)
	if n := len(ParseRobots([]byte(big)).Source()); n > MaxRobotsSize {
		t.Errorf("Source of an oversized body is %d bytes, more than MaxRobotsSize", n)
	}
}

func TestAllowedConcurrent(t *testing.T) {
	r := ParseRobots([]byte(benchRobots))
	urls := benchURLs(t)
	want := make([]bool, len(urls))
	for i, u := range urls {
		want[i] = r.Allowed("trawl", u)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i, u := range urls {
				if got := r.Allowed("trawl", u); got != want[i] {
					t.Errorf("concurrent Allowed(%s) = %v, want %v", u, got, want[i])
				}
			}
			_, _ = r.CrawlDelay("trawl")
			_ = r.Sitemaps()
		})
	}
	wg.Wait()
}

// refMatch is a slow, obviously correct matcher used to cross-check rule.match:
// the normalised pattern becomes an anchored regular expression.
func refMatch(pattern, target string) bool {
	anchored := strings.HasSuffix(pattern, "$")
	pattern = strings.TrimSuffix(pattern, "$")
	norm := string(appendNormalized(nil, pattern, modePattern))
	parts := strings.Split(norm, "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	expr := "^" + strings.Join(parts, ".*")
	if anchored {
		expr += "$"
	}
	return regexp.MustCompile("(?s)" + expr).MatchString(target)
}

func FuzzRuleMatch(f *testing.F) {
	seeds := [][2]string{
		{"/foo/*/bar", "/foo/x/y/bar"},
		{"/*.php$", "/index.php?x"},
		{"*.gif$", "/a.gif"},
		{"/a**b*", "/ab"},
		{"/a*b*c$", "/abcbc"},
		{"/$", "/"},
		{"/%2A", "/*"},
		{"/caf%c3%a9", "/café"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, target string) {
		if len(pattern) > 64 || len(target) > 64 {
			return
		}
		pattern = "/" + pattern
		target = "/" + target
		r, ok := compileRule(pattern, false)
		if !ok {
			return
		}
		norm := appendNormalized(nil, target, modeURL)
		if got, want := r.match(norm), refMatch(pattern, string(norm)); got != want {
			t.Errorf("match(%q, %q) = %v, regexp says %v", pattern, norm, got, want)
		}
	})
}

func FuzzParseRobots(f *testing.F) {
	f.Add([]byte("User-agent: *\nDisallow: /x\nAllow: /x/y$\nCrawl-delay: 1.5\nSitemap: https://h/s.xml\n"), "/x/y")
	f.Add([]byte("\xEF\xBB\xBFuser-agent:trawl\rdisallow:/*%2A$\r\n"), "/a*")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		r := ParseRobots(body)
		_ = r.AllowedPath("trawl", path)
		if u, err := url.Parse("http://h/" + path); err == nil {
			_ = r.Allowed("trawl", u)
		}
		_, _ = r.CrawlDelay("trawl")
		_ = r.Sitemaps()
		if !r.AllowedPath("trawl", "/robots.txt") {
			t.Error("/robots.txt must always be allowed")
		}
	})
}

// benchRobots is shaped like the robots.txt of a large shop or news site:
// a "*" group of ~35 rules mixing prefixes, wildcards and anchors, a few
// named groups, sitemaps. 50 rules in all.
const benchRobots = `# robots.txt for www.example.com
User-agent: *
Disallow: /account/
Disallow: /cart
Disallow: /checkout/
Disallow: /search
Disallow: /*?sessionid=
Disallow: /*&sessionid=
Disallow: /*?sort=
Disallow: /*&sort=
Disallow: /*?filter=
Disallow: /*.json$
Disallow: /*.xml$
Allow: /sitemap*.xml$
Disallow: /api/
Allow: /api/docs/
Disallow: /admin
Disallow: /wp-admin/
Allow: /wp-admin/admin-ajax.php
Disallow: /tmp/
Disallow: /print/
Disallow: /*/print$
Disallow: /share?
Disallow: /login
Disallow: /logout
Disallow: /register
Disallow: /password-reset
Disallow: /compare/
Disallow: /wishlist/
Disallow: /*/reviews?page=
Disallow: /media/cache/
Allow: /media/
Disallow: /static/private/
Disallow: /café/
Disallow: /%7Euser/
Disallow: /internal
Disallow: /preview/*/draft
Disallow: /*.pdf$
Allow: /docs/*.pdf$
Disallow: /gift-cards/balance
Disallow: /*?replytocom=
Crawl-delay: 1

User-agent: BadBot
User-agent: EvilScraper
Disallow: /

User-agent: trawl
Disallow: /account/
Disallow: /cart
Disallow: /checkout/
Disallow: /search
Disallow: /*?sessionid=
Disallow: /*.json$
Allow: /api/docs/
Disallow: /api/
Disallow: /preview/*/draft
Disallow: /*/print$
Crawl-delay: 0.5

Sitemap: https://www.example.com/sitemap.xml
Sitemap: https://www.example.com/sitemap-news.xml
`

func benchURLs(tb testing.TB) []*url.URL {
	tb.Helper()
	paths := []string{
		"/", "/products/shoes/red-sneaker-42", "/products/shoes?sort=price&page=2",
		"/search?q=red+shoes", "/cart", "/account/orders/123", "/api/docs/v2/index.html",
		"/api/v2/items.json", "/blog/2024/05/how-we-crawl", "/blog/2024/05/how-we-crawl/print",
		"/preview/123/draft", "/preview/123/final", "/media/img/logo.png", "/media/cache/x.png",
		"/category/kids?sessionid=abc123", "/category/kids?color=blue&sessionid=abc",
		"/caf%C3%A9/menu", "/~user/notes", "/sitemap-products.xml", "/static/app.js",
		"/news/world/2024/06/01/some-long-article-title-with-many-words-in-it?utm_source=x&utm_medium=y",
		"/help/faq#shipping", "/checkout/step/2", "/wp-admin/admin-ajax.php",
	}
	urls := make([]*url.URL, len(paths))
	for i, p := range paths {
		urls[i] = mustURL(tb, "https://www.example.com"+p)
	}
	return urls
}

func TestBenchRobotsShape(t *testing.T) {
	n := 0
	for _, l := range strings.Split(benchRobots, "\n") {
		if strings.HasPrefix(l, "Allow:") || strings.HasPrefix(l, "Disallow:") {
			n++
		}
	}
	if n != 50 {
		t.Fatalf("benchRobots has %d rules, want 50", n)
	}
}

// BenchmarkAllowed measures one Allowed call against a parsed 50-rule file;
// each op checks one URL, cycling through a realistic mix.
func BenchmarkAllowed(b *testing.B) {
	r := ParseRobots([]byte(benchRobots))
	urls := benchURLs(b)
	for _, agent := range []string{"trawl", "OtherBot"} {
		b.Run(agent, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.Allowed(agent, urls[i%len(urls)])
				i++
			}
		})
	}
}

func BenchmarkParseRobots(b *testing.B) {
	for _, size := range []int{len(benchRobots), 100 << 10, MaxRobotsSize} {
		body := []byte(strings.Repeat(benchRobots, size/len(benchRobots)+1)[:size])
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				ParseRobots(body)
			}
		})
	}
}

func TestOctetSets(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		wantEscape := b <= ' ' || b >= 0x7F || strings.IndexByte("\"<>\\^`{|}", b) >= 0
		if got := inSet(b, escapeLo, escapeHi); got != wantEscape {
			t.Errorf("escape set: %#x = %v, want %v", c, got, wantEscape)
		}
		wantSpecial := wantEscape || b == '%' || b == '*' || b == '$'
		if got := inSet(b, specialLo, specialHi); got != wantSpecial {
			t.Errorf("special set: %#x = %v, want %v", c, got, wantSpecial)
		}
	}
}
