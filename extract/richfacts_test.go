package extract

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const richPage = `<!DOCTYPE html>
<html lang="en"><head>
<title>Wool hat</title>
<meta property="og:title" content=" Wool
  hat ">
<meta property="og:image" content="https://cdn.example.com/hat-1.jpg">
<meta property="og:image" content="https://cdn.example.com/hat-2.jpg">
<meta property="OG:Type" content="product">
<meta property="article:published_time" content="2024-03-01">
<meta property="og:empty" content="">
<meta name="og:site_name" content="Example Shop">
<meta name="twitter:card" content="summary_large_image">
<meta property="twitter:site" content="@example">
<meta name="twitter:label1" value="Price">
<meta name="description" content="not social">
<link rel="alternate" hreflang="en" href="https://example.com/en/hat">
<link rel="alternate" hreflang=" de " href="/de/hut#x">
<link rel="alternate" hreflang="x-default" href="https://example.com/hat">
<link rel="alternate" type="application/rss+xml" href="/feed">
<link rel="alternate" hreflang="fr" href="javascript:void(0)">
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Organization", "name": "Example"}
</script>
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebPage", "@id": "https://example.com/hat#page", "name": "Wool hat"},
  {"@type": "Product", "name": "Wool hat", "offers": {"@type": "Offer", "price": "12.50"}},
  {"@context": "https://other.example/", "@type": "Thing"},
  "not a node"
]}
</script>
<script type="application/ld+json">{"@type": "Broken", "name": "missing brace"</script>
<script type="Application/LD+JSON; charset=utf-8">[{"@type": "A"}, {"@type": "B"}, [{"@type": "C"}]]</script>
<script type="application/ld+json"><!--
{"@type": "Commented"};
--></script>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "WebSite", "@graph": {"@type": "Person", "name": "solo"}}
</script>
<script type="application/ld+json"></script>
<script type="text/javascript">var ld = {"@type": "NotLD"};</script>
</head><body>
<link rel="alternate" hreflang="es" href="/es/">
<h1>Wool <em>hat</em></h1>
<h2>Details</h2>
<h3> </h3>
<h2>Reviews<script>x()</script></h2>
<template><h2>Template</h2></template>
<p>Warm and soft.</p>
</body></html>`

func TestRich(t *testing.T) {
	f := Rich(mustParse(t, richPage, "https://example.com/shop/hat"))

	wantHeadings := map[string][]string{"h1": {"Wool hat"}, "h2": {"Details", "Reviews"}}
	if !reflect.DeepEqual(f.Headings, wantHeadings) {
		t.Errorf("Headings = %v", f.Headings)
	}
	wantOG := map[string]string{
		"og:title": "Wool hat", "og:image": "https://cdn.example.com/hat-1.jpg", "og:type": "product",
		"article:published_time": "2024-03-01", "og:site_name": "Example Shop",
	}
	if !reflect.DeepEqual(f.OpenGraph, wantOG) {
		t.Errorf("OpenGraph = %v", f.OpenGraph)
	}
	wantTwitter := map[string]string{"twitter:card": "summary_large_image", "twitter:site": "@example", "twitter:label1": "Price"}
	if !reflect.DeepEqual(f.Twitter, wantTwitter) {
		t.Errorf("Twitter = %v", f.Twitter)
	}
	wantAlt := []Alternate{
		{"en", "https://example.com/en/hat"},
		{"de", "https://example.com/de/hut"},
		{"x-default", "https://example.com/hat"},
	}
	if !reflect.DeepEqual(f.Hreflang, wantAlt) {
		t.Errorf("Hreflang = %v", f.Hreflang)
	}
	wantLD := []string{
		`{"@context":"https://schema.org","@type":"Organization","name":"Example"}`,
		`{"@context":"https://schema.org","@type":"WebPage","@id":"https://example.com/hat#page","name":"Wool hat"}`,
		`{"@context":"https://schema.org","@type":"Product","name":"Wool hat","offers":{"@type":"Offer","price":"12.50"}}`,
		`{"@context":"https://other.example/","@type":"Thing"}`,
		`{"@type":"A"}`,
		`{"@type":"B"}`,
		`{"@type":"C"}`,
		`{"@type":"Commented"}`,
		`{"@context":"https://schema.org","@type":"WebSite"}`,
		`{"@context":"https://schema.org","@type":"Person","name":"solo"}`,
	}
	var gotLD []string
	for _, r := range f.JSONLD {
		gotLD = append(gotLD, string(r))
	}
	if !reflect.DeepEqual(gotLD, wantLD) {
		t.Errorf("JSONLD =\n  %s\nwant\n  %s", strings.Join(gotLD, "\n  "), strings.Join(wantLD, "\n  "))
	}
	if f.MainText != "Wool hat\n\nDetails\n\nReviews\n\nWarm and soft." || f.WordCount != 7 {
		t.Errorf("MainText = %q, WordCount = %d", f.MainText, f.WordCount)
	}

	// The facts are stored as JSON: the word count and text are columns
	// of their own, not part of it.
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"headings":`, `"opengraph":`, `"twitter":`, `"hreflang":[{"lang":"en","url":`, `"jsonld":[{"@context"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s: %s", key, data)
		}
	}
	if strings.Contains(string(data), "Warm and soft") || strings.Contains(string(data), "WordCount") {
		t.Errorf("JSON holds the main text or word count: %s", data)
	}
}

func TestRichEmpty(t *testing.T) {
	f := Rich(mustParse(t, `<p>x</p>`, "https://example.com/"))
	data, err := json.Marshal(f)
	if err != nil || string(data) != "{}" {
		t.Errorf("empty facts = %s, %v", data, err)
	}
	if f := Rich(&Doc{}); f.WordCount != 0 || f.Headings != nil {
		t.Errorf("zero Doc = %+v", f)
	}
}

func TestRichHeadingCaps(t *testing.T) {
	var b strings.Builder
	for range maxHeadingLevel + 5 {
		b.WriteString("<h3>" + strings.Repeat("word ", 100) + "</h3>")
	}
	f := Rich(mustParse(t, b.String(), "https://example.com/"))
	if n := len(f.Headings["h3"]); n != maxHeadingLevel {
		t.Errorf("%d h3 kept, want %d", n, maxHeadingLevel)
	}
	if n := len([]rune(f.Headings["h3"][0])); n > maxHeadingText {
		t.Errorf("heading of %d runes", n)
	}
}

// BenchmarkRichMainText measures the rich facts, main text included, on the
// bench page of BenchmarkParseFactsLinks, parsed once.
func BenchmarkRichMainText(b *testing.B) {
	body := benchPage(b)
	d, err := Parse(body, "text/html; charset=utf-8", mustURL(b, "https://docs.example.com/guide/pipeline/"))
	if err != nil {
		b.Fatal(err)
	}
	if f := Rich(d); f.WordCount < 1000 || len(f.Headings["h2"]) != 25 {
		b.Fatalf("WordCount %d, %d h2", f.WordCount, len(f.Headings["h2"]))
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Rich(d)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkMainText measures MainText alone.
func BenchmarkMainText(b *testing.B) {
	d, err := Parse(benchPage(b), "text/html; charset=utf-8", mustURL(b, "https://docs.example.com/guide/pipeline/"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = MainText(d)
	}
}

func TestRichArticleFacts(t *testing.T) {
	tests := []struct {
		name                         string
		html                         string
		author, published, site, img string
	}{
		{"json-ld first",
			`<head><script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"Site"},` +
				`{"@type":"NewsArticle","author":[{"@type":"Person","name":"Ann Lee"},{"name":"Bo Ng"}],"datePublished":"2024-03-05T10:00:00+01:00",` +
				`"publisher":{"@type":"Organization","name":"The Daily"},"image":{"@type":"ImageObject","url":"/img/lead.jpg"}}]}</script>` +
				`<meta name="author" content="Meta Person"><meta property="og:site_name" content="Daily Site"></head>`,
			"Ann Lee, Bo Ng", "2024-03-05T10:00:00+01:00", "Daily Site", "https://example.com/img/lead.jpg"},
		{"meta and open graph",
			`<head><meta name="author" content="By Jane Doe"><meta property="article:author" content="https://facebook.com/jane">` +
				`<meta property="article:published_time" content="2023-11-02"><meta property="og:image" content="//cdn.example.net/a.png">` +
				`<meta name="application-name" content="App"></head>`,
			"Jane Doe", "2023-11-02T00:00:00Z", "App", "https://cdn.example.net/a.png"},
		{"dublin core property wins over author",
			`<head><meta name="author" content="Plain"><meta property="dc:creator twitter:site" content="Creator Name"></head>`,
			"Creator Name", "", "", ""},
		{"body sources",
			`<body><article><p class="byline">By <a rel="author" href="/u/sam">Sam Roe</a></p>` +
				`<time datetime="2022-01-02T03:04:05Z">Jan 2</time><p>Text.</p></article>` +
				`<link rel="image_src" href="/i.jpg"></body>`,
			"Sam Roe", "2022-01-02T03:04:05Z", "", "https://example.com/i.jpg"},
		{"itemprop author and pubdate",
			`<body><span itemprop="author" itemscope><span itemprop="name">Kim Park</span></span>` +
				`<time datetime="2020-01-01">old</time><time pubdate datetime="2021-06-07T08:09:10-04:00">new</time></body>`,
			"Kim Park", "2021-06-07T08:09:10-04:00", "", ""},
		{"long byline block and bad date ignored",
			`<body><div class="author-bio">` + strings.Repeat("A very long biography of the writer. ", 5) + `</div>` +
				`<meta name="date" content="yesterday"></body>`,
			"", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Rich(mustParse(t, tt.html, "https://example.com/news/story.html"))
			if f.Author != tt.author || f.Published != tt.published || f.SiteName != tt.site || f.Image != tt.img {
				t.Errorf("author %q published %q site %q image %q,\nwant %q %q %q %q",
					f.Author, f.Published, f.SiteName, f.Image, tt.author, tt.published, tt.site, tt.img)
			}
		})
	}
}
