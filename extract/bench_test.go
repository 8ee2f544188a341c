package extract

import (
	"fmt"
	"strings"
	"testing"
)

// benchPage returns a realistic documentation-style page of about 20 KB with
// exactly 50 crawlable links (navigation, inline, footer) plus the usual
// non-crawlable ones (mailto:, javascript:, fragments), scripts, styles and
// head metadata.
func benchPage(tb testing.TB) []byte {
	tb.Helper()
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Configuring the widget pipeline — Example Docs</title>
<meta name="description" content="How to configure the widget pipeline: sources, stages, sinks and retries.">
<meta name="robots" content="index, follow, max-snippet:-1">
<link rel="canonical" href="https://docs.example.com/guide/pipeline/">
<link rel="stylesheet" href="/static/css/main.4f3a9c.css">
<link rel="icon" href="/favicon.ico">
<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}</script>
<style>body{font-family:system-ui,sans-serif;margin:0}.nav a{padding:.5rem}</style>
</head>
<body>
<header class="site-header"><nav class="nav" aria-label="Main">
`)
	n := 0
	link := func(href, text, rel string) {
		if rel != "" {
			fmt.Fprintf(&b, `<a class="link" href="%s" rel="%s">%s</a>`+"\n", href, rel, text)
		} else {
			fmt.Fprintf(&b, `<a class="link" href="%s">%s</a>`+"\n", href, text)
		}
		n++
	}
	for i := range 15 {
		link(fmt.Sprintf("/guide/section-%d/", i), fmt.Sprintf("Section %d", i), "")
	}
	b.WriteString(`<a href="#main" class="skip">Skip to content</a><a href="javascript:void(0)" class="menu">Menu</a></nav></header>
<main id="main"><article class="content">
<h1>Configuring the widget pipeline</h1>
`)
	para := `Widgets flow through the pipeline in batches; each stage receives a batch, transforms it and
hands it on. Stages are independent, so a slow stage never blocks the others, and a failed batch
is retried with exponential backoff before it is parked for inspection. `
	for i := range 25 {
		fmt.Fprintf(&b, "<h2 id=\"s%d\">Stage %d</h2>\n<p>%s", i, i, para)
		switch {
		case i%5 == 0:
			link(fmt.Sprintf("https://blog.example.org/posts/%d", i), "an external write-up with a longer title", "nofollow noopener")
		case i%3 == 0:
			link(fmt.Sprintf("../reference/stage-%d.html#options", i), fmt.Sprintf("<code>stage%d</code> options", i), "")
		default:
			link(fmt.Sprintf("/api/v2/stages/%d?lang=go", i), fmt.Sprintf("API for stage <em>%d</em>", i), "")
		}
		b.WriteString(para + "</p>\n")
		if i%4 == 0 {
			b.WriteString("<pre><code>pipeline:\n  stages:\n    - name: parse\n      retries: 3\n</code></pre>\n")
		}
	}
	b.WriteString(`</article></main>
<footer class="site-footer"><ul>
`)
	for i := range 10 {
		b.WriteString("<li>")
		link(fmt.Sprintf("https://example.com/company/page-%d", i), fmt.Sprintf("Company page %d", i), "")
		b.WriteString("</li>\n")
	}
	b.WriteString(`<li><a href="mailto:docs@example.com">Contact</a></li></ul></footer>
<script src="/static/js/app.9b1e2f.js" defer></script>
</body>
</html>
`)
	if n != 50 {
		tb.Fatalf("bench page has %d links, want 50", n)
	}
	return []byte(b.String())
}

// BenchmarkParseFactsLinks measures the whole per-page work of this package
// (decode, one parse, facts, links) on a realistic page; pages/s is the
// single-core throughput it allows.
func BenchmarkParseFactsLinks(b *testing.B) {
	body := benchPage(b)
	u := mustURL(b, "https://docs.example.com/guide/pipeline/")
	d, err := Parse(body, "text/html; charset=utf-8", u)
	if err != nil {
		b.Fatal(err)
	}
	if got := len(Links(d)); got != 50 {
		b.Fatalf("Links found %d, want 50", got)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := Parse(body, "text/html; charset=utf-8", u)
		if err != nil {
			b.Fatal(err)
		}
		_ = Facts(d)
		_ = Links(d)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkParts splits BenchmarkParseFactsLinks into its steps.
func BenchmarkParts(b *testing.B) {
	body := benchPage(b)
	u := mustURL(b, "https://docs.example.com/guide/pipeline/")
	d, err := Parse(body, "text/html; charset=utf-8", u)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(body, "text/html; charset=utf-8", u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Facts", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = Facts(d)
		}
	})
	b.Run("Links", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = Links(d)
		}
	})
}

// BenchmarkDecodeUTF8FastPath measures DecodeHTML on a UTF-8 page: declared
// in the header (the common case: a utf8.Valid scan), only in <meta> (adds
// the 1 KB prescan) and undeclared (prescan plus the whole-body check).
func BenchmarkDecodeUTF8FastPath(b *testing.B) {
	body := benchPage(b)
	for _, bc := range []struct{ name, contentType string }{
		{"header", "text/html; charset=utf-8"},
		{"meta", "text/html"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				out, _ := DecodeHTML(body, bc.contentType)
				if len(out) != len(body) {
					b.Fatal("copied")
				}
			}
		})
	}
	undeclared := []byte(strings.Replace(string(body), `<meta charset="utf-8">`, "", 1))
	b.Run("undeclared", func(b *testing.B) {
		b.SetBytes(int64(len(undeclared)))
		b.ReportAllocs()
		for b.Loop() {
			out, _ := DecodeHTML(undeclared, "text/html")
			if len(out) != len(undeclared) {
				b.Fatal("copied")
			}
		}
	})
}

// BenchmarkDecodeLegacy measures the slow path, a windows-1252 page, for
// comparison with the fast path.
func BenchmarkDecodeLegacy(b *testing.B) {
	body := []byte(strings.Replace(string(benchPage(b)), "—", "\x97", -1))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = DecodeHTML(body, "text/html; charset=windows-1252")
	}
}
