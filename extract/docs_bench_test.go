package extract

import (
	"bytes"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// docRoots are the documentation packages the real-site benchmark crawls.
var docRoots = []string{"/usr/share/doc/python3-doc/html", "/usr/share/doc/postgresql-doc-15/html",
	"/usr/share/doc/python-django-doc/html", "/usr/share/doc/rust-doc/html"}

// docPages is every 32nd HTML page under 1 MB (the pages trawl parses into
// a tree) of the Debian documentation packages that the real-site
// benchmark crawls (go run ./bench real installs them), about 750 pages,
// with their URLs; the benchmarks skip without them.
func docPages(b *testing.B) (pages [][]byte, urls []*url.URL) {
	for _, root := range docRoots {
		i := 0
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
				return nil
			}
			if i++; i%32 != 0 {
				return nil
			}
			p, err := os.ReadFile(path)
			if err != nil || len(p) > 1<<20 {
				return nil
			}
			pages = append(pages, p)
			urls = append(urls, &url.URL{Scheme: "http", Host: "docs.test", Path: strings.TrimPrefix(path, "/usr/share/doc")})
			return nil
		})
	}
	if len(pages) == 0 {
		b.Skip("no documentation packages installed (go run ./bench real installs them)")
	}
	return pages, urls
}

// docDocs is docPages parsed.
func docDocs(b *testing.B) []*Doc {
	var out []*Doc
	hrefs := NewHrefCache(8 << 20) // as a crawl resolves them
	pages, urls := docPages(b)
	for i, p := range pages {
		if doc, err := Parse(p, "text/html", urls[i]); err == nil {
			doc.UseHrefCache(hrefs)
			out = append(out, doc)
		}
	}
	return out
}

// BenchmarkParseTree measures what fastTree saves: html.Parse and fastTree
// (which leaves the pages it does not take to html.Parse, as Parse does)
// on the same real pages, per page.
//
//	go test -run '^$' -bench ParseTree -benchtime 5x ./extract/
func BenchmarkParseTree(b *testing.B) {
	pages, _ := docPages(b)
	for _, bc := range []struct {
		name  string
		parse func(p []byte)
	}{
		{"html.Parse", func(p []byte) { _, _ = html.Parse(bytes.NewReader(p)) }},
		{"fastTree", func(p []byte) {
			if _, ok := fastTree(p); !ok {
				_, _ = html.Parse(bytes.NewReader(p))
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, p := range pages {
					bc.parse(p)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pages)), "ns/page")
		})
	}
}

// BenchmarkDocs measures what trawl does with a parsed real page: Extract
// (facts, rich facts with the main text, links) and, of that, MainText,
// per page, in one Scratch as in a crawl. The Docs it holds make the
// collector's share larger than in a crawl.
//
//	go test -run '^$' -bench Docs -benchtime 5x ./extract/
func BenchmarkDocs(b *testing.B) {
	docs := docDocs(b)
	for _, bc := range []struct {
		name string
		run  func(d *Doc)
	}{
		{"Extract", func(d *Doc) { Extract(d) }},
		{"MainText", func(d *Doc) { MainText(d) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var s Scratch // as a crawl's extractions share one
			for b.Loop() {
				for _, d := range docs {
					d.UseScratch(&s)
					bc.run(d)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(docs)), "ns/page")
		})
	}
}

// BenchmarkScanHuge measures Scan, the path of pages too large to parse
// into a tree, on the pages over 1 MB of the documentation packages (46
// of rust-doc's, the largest 10 MB), per MB:
//
//	go test -run '^$' -bench ScanHuge -benchtime 3x ./extract/
func BenchmarkScanHuge(b *testing.B) {
	var pages [][]byte
	for _, root := range docRoots {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
				return nil
			}
			if fi, err := d.Info(); err != nil || fi.Size() <= 1<<20 {
				return nil
			}
			if p, err := os.ReadFile(path); err == nil {
				pages = append(pages, p)
			}
			return nil
		})
	}
	if len(pages) == 0 {
		b.Skip("no documentation packages installed (go run ./bench real installs them)")
	}
	total := 0
	for _, p := range pages {
		total += len(p)
	}
	u := &url.URL{Scheme: "http", Host: "docs.test", Path: "/rust/"}
	hrefs := NewHrefCache(8 << 20)
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range pages {
			if _, err := Scan(p, "text/html", u, hrefs); err != nil {
				b.Fatal(err)
			}
		}
	}
}
