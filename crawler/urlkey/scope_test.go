package urlkey

import (
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func mustURLs(t testing.TB, raws ...string) []*url.URL {
	t.Helper()
	us := make([]*url.URL, len(raws))
	for i, raw := range raws {
		u, err := Canon{}.Canonical(raw)
		if err != nil {
			t.Fatal(err)
		}
		us[i] = u
	}
	return us
}

func TestScope(t *testing.T) {
	seeds := []string{"http://example.com/start", "https://docs.example.org:8443/", "http://example.com/private/seed"}
	cases := []struct {
		name        string
		mode        string
		allow, deny []string
		url         string
		why         string // "" means in scope
	}{
		{name: "host: seed", mode: "host", url: "http://example.com/start"},
		{name: "host: same host", mode: "host", url: "http://example.com/other"},
		{name: "host: https upgrade", mode: "host", url: "https://example.com/other"},
		{name: "host: explicit default port", mode: "host", url: "http://example.com:80/x"},
		{name: "host: other port", mode: "host", url: "http://example.com:8080/x", why: "host"},
		{name: "host: subdomain", mode: "host", url: "http://www.example.com/", why: "host"},
		{name: "host: seed port either scheme", mode: "host", url: "http://docs.example.org:8443/a"},
		{name: "host: seed host default port", mode: "host", url: "https://docs.example.org/a", why: "host"},
		{name: "host: other site", mode: "host", url: "https://example.net/", why: "host"},
		{name: "host: not http", mode: "host", url: "ftp://example.com/", why: "scheme"},

		{name: "domain: subdomain", mode: "domain", url: "https://www.example.com/"},
		{name: "domain: deep subdomain", mode: "domain", url: "http://a.b.example.com:8080/"},
		{name: "domain: second seed's domain", mode: "domain", url: "http://blog.example.org/"},
		{name: "domain: other domain", mode: "domain", url: "http://example.net/", why: "domain"},
		{name: "domain: suffix is not a subdomain", mode: "domain", url: "http://notexample.com/", why: "domain"},

		{name: "any: anything", mode: "any", url: "https://anything.net/x"},
		{name: "any: still http only", mode: "any", url: "ftp://anything.net/x", why: "scheme"},

		{name: "deny: matches", mode: "host", deny: []string{`\.pdf$`, `/private/`}, url: "http://example.com/private/x", why: "deny:/private/"},
		{name: "deny: first match named", mode: "host", deny: []string{`\.pdf$`, `/private/`}, url: "http://example.com/private/x.pdf", why: `deny:\.pdf$`},
		{name: "deny: no match", mode: "host", deny: []string{`\.pdf$`}, url: "http://example.com/a.html"},
		{name: "deny: seed exempt", mode: "host", deny: []string{`/private/`}, url: "http://example.com/private/seed"},
		{name: "deny: host checked first", mode: "host", deny: []string{`\.pdf$`}, url: "http://other.com/a.pdf", why: "host"},
		{name: "deny: any mode", mode: "any", deny: []string{`^https?://ads\.`}, url: "http://ads.example.net/", why: `deny:^https?://ads\.`},

		{name: "allow: matches", mode: "host", allow: []string{`^https?://example\.com/docs/`}, url: "https://example.com/docs/a"},
		{name: "allow: no match", mode: "host", allow: []string{`^https?://example\.com/docs/`}, url: "http://example.com/blog", why: "allow"},
		{name: "allow: seed exempt", mode: "host", allow: []string{`/docs/`}, url: "http://example.com/start"},
		{name: "allow: one of several", mode: "domain", allow: []string{`/docs/`, `/api/`}, url: "https://www.example.com/api/v1"},
		{name: "allow and deny: deny wins", mode: "host", allow: []string{`/docs/`}, deny: []string{`/docs/old/`}, url: "http://example.com/docs/old/a", why: "deny:/docs/old/"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewScope(tc.mode, mustURLs(t, seeds...), tc.allow, tc.deny)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Why(u); got != tc.why {
				t.Errorf("Why(%s) = %q, want %q", tc.url, got, tc.why)
			}
			if got := s.InScope(u); got != (tc.why == "") {
				t.Errorf("InScope(%s) = %v, want %v", tc.url, got, tc.why == "")
			}
		})
	}

	s, err := NewScope("any", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.InScope(nil) || s.Why(nil) != "nil" {
		t.Errorf("nil URL: InScope %v, Why %q", s.InScope(nil), s.Why(nil))
	}
}

func TestNewScopeErrors(t *testing.T) {
	seeds := mustURLs(t, "http://example.com/")
	cases := []struct {
		name        string
		mode        string
		seeds       []*url.URL
		allow, deny []string
		mention     string // the error names this
	}{
		{name: "bad mode", mode: "hostname", seeds: seeds, mention: `"hostname"`},
		{name: "empty mode", mode: "", seeds: seeds, mention: `""`},
		{name: "bad allow", mode: "host", seeds: seeds, allow: []string{"ok", "(unclosed"},
			mention: `allow pattern "(unclosed" is not a valid regular expression: missing closing )`},
		{name: "bad deny", mode: "host", seeds: seeds, deny: []string{"a[z"},
			mention: `deny pattern "a[z" is not a valid regular expression: missing closing ] at "[z"`},
		{name: "bare paren", mode: "host", seeds: seeds, allow: []string{"("},
			mention: `allow pattern "(" is not a valid regular expression: missing closing )`},
		{name: "host without seeds", mode: "host", mention: `"host" needs at least one seed`},
		{name: "domain without seeds", mode: "domain", mention: `"domain" needs at least one seed`},
		{name: "nil seed", mode: "host", seeds: []*url.URL{nil}, mention: "nil seed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewScope(tc.mode, tc.seeds, tc.allow, tc.deny)
			if err == nil || s != nil {
				t.Fatalf("NewScope = %v, %v; want an error", s, err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %s", err, tc.mention)
			}
			userInput := tc.name != "nil seed" // a nil seed is the caller's bug
			if userInput && (strings.Contains(err.Error(), "urlkey") || strings.Contains(err.Error(), "error parsing regexp")) {
				t.Errorf("error %q speaks of the code, not the input", err)
			}
			var pe *PatternError
			if (tc.allow != nil || tc.deny != nil) && (!errors.As(err, &pe) || pe.Pattern == "" || pe.Kind == "") {
				t.Errorf("error %#v is not a *PatternError naming the pattern", err)
			}
		})
	}
}

// TestScopeConcurrent is for the race detector: a Scope is shared by all workers.
func TestScopeConcurrent(t *testing.T) {
	s, err := NewScope("domain", mustURLs(t, "https://example.com/"), []string{`/docs/`}, []string{`\.zip$`})
	if err != nil {
		t.Fatal(err)
	}
	us := mustURLs(t, "https://example.com/docs/a", "https://www.example.com/docs/b.zip", "https://other.org/docs/", "https://example.com/")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				for i, u := range us {
					if got, want := s.InScope(u), i == 0 || i == 3; got != want {
						t.Errorf("InScope(%s) = %v", u, got)
						return
					}
					_ = s.Why(u)
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkInScope(b *testing.B) {
	seeds := mustURLs(b, "https://example.com/")
	us := mustURLs(b, "https://example.com/docs/a", "https://other.org/x", "https://www.example.com/b")
	for _, mode := range []string{"host", "domain"} {
		for _, withRE := range []bool{false, true} {
			var deny []string
			name := mode
			if withRE {
				deny, name = []string{`\.(zip|pdf)$`, `/private/`}, mode+"+deny"
			}
			s, err := NewScope(mode, seeds, nil, deny)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					s.InScope(us[i%len(us)])
				}
			})
		}
	}
}

// TestScopeJudgesTheBrowsersHost checks that a scope sees the host a browser
// would visit for redirect targets and links that RFC 3986 and the URL
// Standard read differently.
func TestScopeJudgesTheBrowsersHost(t *testing.T) {
	seeds := mustURLs(t, "https://good.example/")
	s, err := NewScope(ScopeHost, seeds, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	page := seeds[0]
	for _, tc := range []struct {
		ref  string
		want string
		in   bool
	}{
		{`https://evil.example\@good.example/`, "https://evil.example/@good.example/", false},
		{`\\evil.example\x`, "https://evil.example/x", false},
		{`///evil.example/x`, "https://evil.example/x", false},
		{`https:evil.example/x`, "https://good.example/evil.example/x", true},
		{`http:\\evil.example`, "http://evil.example/", false},
		{`https://good.example%2Fevil.example/`, "", false},
	} {
		u, err := Canon{}.Resolve(page, tc.ref)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Resolve(%q) = %v; want an error", tc.ref, u)
			}
			continue
		}
		if err != nil || u.String() != tc.want {
			t.Errorf("Resolve(%q) = %v, %v; want %q", tc.ref, u, err, tc.want)
			continue
		}
		if got := s.InScope(u); got != tc.in {
			t.Errorf("InScope(%q) = %v, want %v", u, got, tc.in)
		}
	}
}
