package urlkey_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/crawler/urlkey"
	"github.com/trawl-crawler/trawl/extract"
)

// linkPage is a page with the mix of hrefs a documentation or news site has:
// root-relative, relative with dot segments, query strings, absolute links to
// other hosts, fragments and non-http schemes.
func linkPage() []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><head><title>t</title></head><body>\n")
	for i := range 15 {
		fmt.Fprintf(&b, "<a href=\"/guide/section-%d/\">s</a>\n", i)
	}
	for i := range 10 {
		fmt.Fprintf(&b, "<a href=\"../reference/stage-%d.html#options\">r</a>\n", i)
		fmt.Fprintf(&b, "<a href=\"/api/v2/stages/%d?lang=go&amp;v=%d\">a</a>\n", i, i)
	}
	for i := range 10 {
		fmt.Fprintf(&b, "<a href=\"https://blog.example.org/posts/%d\">b</a>\n", i)
	}
	b.WriteString(`<a href="page-2.html">p</a><a href="?page=3">q</a><a href="//cdn.example.net/x.pdf">c</a>
<a href="HTTPS://Docs.Example.com:443/Index.html">i</a><a href="#top">t</a><a href="mailto:a@example.com">m</a>
<a href="javascript:void(0)">j</a></body></html>`)
	return []byte(b.String())
}

// BenchmarkLinkPath measures what the crawler does with a page's links:
// extract.Links, then Canonical with the crawl's rules on each.
func BenchmarkLinkPath(b *testing.B) {
	u, _ := url.Parse("https://docs.example.com/guide/pipeline/")
	d, err := extract.Parse(linkPage(), "text/html; charset=utf-8", u)
	if err != nil {
		b.Fatal(err)
	}
	c := urlkey.Canon{DropParams: []string{"utm_*"}}
	if n := len(extract.Links(d)); n != 49 {
		b.Fatalf("%d links, want 49", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range extract.Links(d) {
			if _, err := c.Canonical(l.URL); err != nil {
				b.Fatal(err)
			}
		}
	}
}
