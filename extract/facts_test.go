package extract

import (
	"net/http"
	"testing"
)

func TestFacts(t *testing.T) {
	const pageURL = "https://example.com/dir/page.html"
	tests := []struct {
		name string
		html string
		want Page // Charset is always utf-8 here and filled in below
	}{
		{"empty", ``, Page{}},
		{"title collapsed", "<title>\n  Hello\t  World&nbsp;&amp; more \n</title>", Page{Title: "Hello World & more"}},
		{"first title wins", `<title>One</title><title>Two</title>`, Page{Title: "One"}},
		{"title in body counts when head has none", `<body><h1>x</h1><title>Late</title>`, Page{Title: "Late"}},
		{"svg title is not the page title", `<body><svg><title>icon</title></svg>`, Page{}},
		{"head title before svg title", `<title>Page</title><body><svg><title>icon</title></svg>`, Page{Title: "Page"}},
		{"title in template ignored", `<template><title>tpl</title></template>`, Page{}},
		{"description", "<meta name=\"Description\" content=\"  A page\n about  things \">", Page{Description: "A page about things"}},
		{"first description wins", `<meta name=description content=one><meta name=description content=two>`, Page{Description: "one"}},
		{"canonical relative to page", `<link rel="canonical" href="../other.html">`, Page{Canonical: "https://example.com/other.html"}},
		{"canonical relative to base", `<base href="https://www.example.com/base/"><link rel=canonical href="c.html#frag">`, Page{Canonical: "https://www.example.com/base/c.html"}},
		{"canonical rel case and tokens", `<link rel="Canonical alternate" href="https://example.com/x">`, Page{Canonical: "https://example.com/x"}},
		{"canonical first wins", `<link rel=canonical href=/a><link rel=canonical href=/b>`, Page{Canonical: "https://example.com/a"}},
		{"canonical javascript ignored", `<link rel=canonical href="javascript:void(0)">`, Page{}},
		{"canonical in body ignored", `<body><link rel=canonical href=/body>`, Page{}},
		{"canonical trimmed", "<link rel=canonical href=\"  /t \n\">", Page{Canonical: "https://example.com/t"}},
		{"lang", `<html lang=" en-GB ">`, Page{Lang: "en-GB"}},
		{"lang from content-language", `<meta http-equiv="Content-Language" content="de">`, Page{Lang: "de"}},
		{"html lang beats content-language", `<html lang=fr><meta http-equiv=content-language content=de>`, Page{Lang: "fr"}},
		{"robots noindex", `<meta name="ROBOTS" content="NOINDEX, follow">`, Page{Robots: "noindex, follow", NoIndex: true}},
		{"robots nofollow", `<meta name=robots content=nofollow>`, Page{Robots: "nofollow", NoFollow: true}},
		{"robots none", `<meta name=robots content=none>`, Page{Robots: "none", NoIndex: true, NoFollow: true}},
		{"robots space separated", `<meta name=robots content="noindex nofollow">`, Page{Robots: "noindex nofollow", NoIndex: true, NoFollow: true}},
		{"robots merged with trawl", `<meta name=robots content="index, max-snippet:-1"><meta name="Trawl" content="NoFollow">`, Page{Robots: "index, max-snippet:-1, nofollow", NoFollow: true}},
		{"other agents ignored", `<meta name=googlebot content=noindex><meta name=robots content=noarchive>`, Page{Robots: "noarchive"}},
		{"robots in body honoured", `<body><p>x</p><meta name=robots content=noindex>`, Page{Robots: "noindex", NoIndex: true}},
		{"empty robots skipped", `<meta name=robots content=" "><meta name=robots content=nofollow>`, Page{Robots: "nofollow", NoFollow: true}},
		{"everything", `<html lang=en><head><meta charset=utf-8><title>T</title>` +
			`<meta name=description content=D><link rel=canonical href=/c><meta name=robots content=noindex></head><body></body></html>`,
			Page{Title: "T", Description: "D", Canonical: "https://example.com/c", Lang: "en", Robots: "noindex", NoIndex: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Facts(mustParse(t, tt.html, pageURL))
			tt.want.Charset = "utf-8"
			if got != tt.want {
				t.Errorf("Facts =\n  %+v\nwant\n  %+v", got, tt.want)
			}
		})
	}
}

func TestFactsCharset(t *testing.T) {
	d, err := Parse([]byte("<title>caf\xe9</title>"), "text/html; charset=iso-8859-1", mustURL(t, "http://example.com/"))
	if err != nil {
		t.Fatal(err)
	}
	if p := Facts(d); p.Charset != "windows-1252" || p.Title != "café" {
		t.Errorf("Facts = %+v, want charset windows-1252 and title café", p)
	}
}

func TestHeaderRobots(t *testing.T) {
	tests := []struct {
		name     string
		values   []string
		noindex  bool
		nofollow bool
	}{
		{"none set", nil, false, false},
		{"noindex", []string{"noindex"}, true, false},
		{"nofollow", []string{"nofollow"}, false, true},
		{"both", []string{"noindex, nofollow"}, true, true},
		{"none directive", []string{"none"}, true, true},
		{"upper case", []string{"NoIndex"}, true, false},
		{"other directives", []string{"noarchive, nosnippet, max-snippet: -1"}, false, false},
		{"valued directive then generic", []string{"max-snippet: -1, noindex"}, true, false},
		{"unavailable_after with date", []string{"unavailable_after: Friday, 25-Jun-10 15:00:00 PST"}, false, false},
		{"other agent", []string{"googlebot: noindex"}, false, false},
		{"other agent scope spans the value", []string{"googlebot: noindex, nofollow"}, false, false},
		{"our agent", []string{"trawl: nofollow"}, false, true},
		{"our agent upper case", []string{"TRAWL: NoIndex"}, true, false},
		{"agent switch within a value", []string{"otherbot: noindex, trawl: nofollow"}, false, true},
		{"scope resets per header", []string{"googlebot: noindex", "nofollow"}, false, true},
		{"several headers", []string{"noindex", "nofollow"}, true, true},
		{"agent with spaces", []string{"trawl : none"}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.values {
				h.Add("X-Robots-Tag", v)
			}
			ni, nf := HeaderRobots(h)
			if ni != tt.noindex || nf != tt.nofollow {
				t.Errorf("HeaderRobots(%q) = %v, %v; want %v, %v", tt.values, ni, nf, tt.noindex, tt.nofollow)
			}
		})
	}
}
