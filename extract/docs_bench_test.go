package extract

import (
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docDocs parses every 32nd HTML page under 1 MB (the pages trawl parses
// into a tree) of the Debian documentation packages that the real-site
// benchmark crawls (go run ./bench real installs them), about 750 pages;
// the benchmarks skip without them.
func docDocs(b *testing.B) []*Doc {
	var out []*Doc
	hrefs := NewHrefCache(8 << 20) // as a crawl resolves them
	for _, root := range []string{"/usr/share/doc/python3-doc/html", "/usr/share/doc/postgresql-doc-15/html",
		"/usr/share/doc/python-django-doc/html", "/usr/share/doc/rust-doc/html"} {
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
			u := &url.URL{Scheme: "http", Host: "docs.test", Path: strings.TrimPrefix(path, "/usr/share/doc")}
			if doc, err := Parse(p, "text/html", u); err == nil {
				doc.UseHrefCache(hrefs)
				out = append(out, doc)
			}
			return nil
		})
	}
	if len(out) == 0 {
		b.Skip("no documentation packages installed (go run ./bench real installs them)")
	}
	return out
}

// BenchmarkDocs measures what trawl does with a parsed real page: Extract
// (facts, rich facts with the main text, links) and, of that, MainText,
// per page. The Docs it holds make the collector's share larger than in a
// crawl.
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
			for b.Loop() {
				for _, d := range docs {
					bc.run(d)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(docs)), "ns/page")
		})
	}
}
