package extract

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

const scanPage = `<!DOCTYPE html>
<html lang="en-GB"><head>
<meta charset="utf-8">
<title>  The   Book &amp; more </title>
<base href="/docs/">
<meta name="description" content="A  page
about things">
<meta name="robots" content="NoFollow, noarchive">
<meta property="og:title" content="OG title">
<meta name="twitter:card" content="summary">
<link rel="canonical" href="canon.html#x">
<link rel="alternate" hreflang="de" href="/de/">
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"Book","name":"B"},{"@type":"Person"}]}</script>
<style>p { color: red }</style>
</head>
<body>
<nav><a href="/">Home</a> <a href="a.html" rel="Next  NoFollow">Next</a></nav>
<template><a href="hidden.html">no</a><a href="javascript:hidden()">no</a><h1>no</h1></template>
<svg><a href="svg.html"><title>icon</title></a></svg>
<main>
<h1>Chapter <em>one</em></h1>
<p>First paragraph with a <a href="b.html#frag">link to b</a>.</p>
<h2 hidden>hidden heading</h2>
<p>Second<br>line <a href="c.html" aria-label="C page"></a><a href="d.html"><img alt="D image"></a></p>
<map><area href="e.html" alt="E area"></map>
<a href="mailto:x@y">mail</a><a href="javascript:void(0)">js</a>
</main>
<footer><p>Footer text</p><link rel="canonical" href="/not-this"></footer>
</body></html>`

// Scan must find what the tree extractors find on the same page.
func TestScanMatchesTheTreeExtractors(t *testing.T) {
	u, _ := url.Parse("http://example.test/book/page.html")
	d, err := Parse([]byte(scanPage), "text/html", u)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Scan([]byte(scanPage), "text/html", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := Facts(d); !reflect.DeepEqual(s.Page, want) {
		t.Errorf("Page:\n got %+v\nwant %+v", s.Page, want)
	}
	if want := Links(d); !reflect.DeepEqual(s.Links, want) {
		t.Errorf("Links:\n got %+v\nwant %+v", s.Links, want)
	}
	if want := UnfollowedLinks(d); !reflect.DeepEqual(s.Unfollowed, want) || len(want) != 2 {
		t.Errorf("Unfollowed:\n got %+v\nwant %+v (two: mailto and javascript)", s.Unfollowed, want)
	}
	want := Rich(d)
	want.MainText, want.WordCount = "", 0
	got := s.Rich
	got.MainText, got.WordCount = "", 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Rich:\n got %+v\nwant %+v", got, want)
	}
	// Spot checks, so that the test does not pass on two equal mistakes.
	if s.Page.Title != "The Book & more" || s.Page.Canonical != "http://example.test/docs/canon.html" || !s.Page.NoFollow {
		t.Errorf("Page = %+v", s.Page)
	}
	if len(s.Links) != 6 || s.Links[1].Rel != "next nofollow" || !s.Links[1].NoFollow ||
		s.Links[3].Text != "C page" || s.Links[4].Text != "D image" || s.Links[5].Text != "E area" {
		t.Errorf("Links = %+v", s.Links)
	}
	if len(s.Rich.JSONLD) != 2 || s.Rich.OpenGraph["og:title"] != "OG title" || len(s.Rich.Hreflang) != 1 {
		t.Errorf("Rich = %+v", s.Rich)
	}
}

// The main text of a scanned page is its <main>, less what is hidden.
func TestScanMainText(t *testing.T) {
	u, _ := url.Parse("http://example.test/")
	s, _ := Scan([]byte(scanPage), "", u, nil)
	want := "Chapter one\n\nFirst paragraph with a link to b.\n\nSecond\n\nline\n\nmailjs"
	if s.Rich.MainText != want || s.Rich.WordCount != 12 {
		t.Errorf("MainText = %q (%d words), want %q", s.Rich.MainText, s.Rich.WordCount, want)
	}
	s, _ = Scan([]byte(`<body><nav>Menu</nav><p>Only <b>this</b></p><script>x()</script><p hidden>not</p></body>`), "", u, nil)
	if s.Rich.MainText != "Only this" {
		t.Errorf("without <main>: MainText = %q, want the body's text less boilerplate", s.Rich.MainText)
	}
}

// A page of a million unclosed elements is scanned with a bounded stack.
func TestScanDeepPage(t *testing.T) {
	u, _ := url.Parse("http://example.test/")
	page := "<title>deep</title>" + strings.Repeat("<div><span>", 100000) + `<a href="/x">x</a>`
	s, _ := Scan([]byte(page), "", u, nil)
	if s.Page.Title != "deep" || len(s.Links) != 1 || s.Links[0].URL != "http://example.test/x" {
		t.Errorf("Scan = %+v, %+v", s.Page, s.Links)
	}
}

// Extract's one walk gives what the three walks give.
func TestExtractIsFactsRichAndLinks(t *testing.T) {
	u, _ := url.Parse("http://example.test/book/page.html")
	for _, page := range []string{scanPage, `<p>no head <a href="x">x</a><h1>H</h1>`, ""} {
		d, _ := Parse([]byte(page), "text/html", u)
		e := Extract(d)
		if !reflect.DeepEqual(e.Page, Facts(d)) || !reflect.DeepEqual(e.Rich, Rich(d)) || !reflect.DeepEqual(e.Links, Links(d)) ||
			!reflect.DeepEqual(e.Unfollowed, UnfollowedLinks(d)) {
			t.Errorf("Extract(%.40q) differs from Facts, Rich, Links and UnfollowedLinks:\n%+v", page, e)
		}
	}
}
