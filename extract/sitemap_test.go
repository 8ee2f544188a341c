package extract

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"
)

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

const urlset = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc> https://example.com/a </loc><lastmod>2026-01-02</lastmod></url>
  <url><loc>https://example.com/b?x=1&amp;y=2</loc></url>
  <url><lastmod>2026-01-03</lastmod></url>
</urlset>`

const index = `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://example.com/s1.xml.gz</loc><lastmod>2026-02-01T10:00:00Z</lastmod></sitemap>
  <sitemap><loc>https://example.com/s2.xml</loc></sitemap>
</sitemapindex>`

func TestParseSitemap(t *testing.T) {
	cases := []struct {
		name     string
		body     []byte
		urls     string
		children string
	}{
		{"urlset", []byte(urlset), "https://example.com/a@2026-01-02 https://example.com/b?x=1&y=2@", ""},
		{"gzip urlset", gz(urlset), "https://example.com/a@2026-01-02 https://example.com/b?x=1&y=2@", ""},
		{"index", []byte(index), "", "https://example.com/s1.xml.gz@2026-02-01T10:00:00Z https://example.com/s2.xml@"},
		{"text", []byte("https://example.com/x\n\nnot a url\nhttps://example.com/y\n"), "https://example.com/x@ https://example.com/y@", ""},
		{"latin1 declared", []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><urlset><url><loc>https://example.com/c</loc></url></urlset>`), "https://example.com/c@", ""},
		{"truncated keeps entries", []byte(`<urlset><url><loc>https://example.com/a</loc></url><url><loc>https://exa`), "https://example.com/a@", ""},
	}
	join := func(us []SitemapURL) string {
		var s []string
		for _, u := range us {
			s = append(s, u.Loc+"@"+u.LastMod)
		}
		return strings.Join(s, " ")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sm, err := ParseSitemap(tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if got := join(sm.URLs); got != tc.urls {
				t.Errorf("URLs = %q, want %q", got, tc.urls)
			}
			if got := join(sm.Children); got != tc.children {
				t.Errorf("Children = %q, want %q", got, tc.children)
			}
		})
	}
	if _, err := ParseSitemap([]byte("<<<>>>")); err == nil {
		t.Error("garbage parsed without error")
	}
}

func TestParseSitemapCapsEntries(t *testing.T) {
	var b strings.Builder
	b.WriteString("<urlset>")
	for i := range MaxSitemapURLs + 10 {
		fmt.Fprintf(&b, "<url><loc>https://e.com/%d</loc></url>", i)
	}
	b.WriteString("</urlset>")
	sm, err := ParseSitemap([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(sm.URLs) != MaxSitemapURLs {
		t.Fatalf("%d URLs, want the cap %d", len(sm.URLs), MaxSitemapURLs)
	}
}
