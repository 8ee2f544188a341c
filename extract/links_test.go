package extract

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

func TestLinks(t *testing.T) {
	const pageURL = "https://example.com/dir/page.html?p=1#top"
	tests := []struct {
		name string
		html string
		want []Link
	}{
		{"none", `<p>no links</p>`, nil},
		{"relative", `<a href="a.html">A</a>`, []Link{{URL: "https://example.com/dir/a.html", Text: "A"}}},
		{"parent", `<a href="../b">B</a>`, []Link{{URL: "https://example.com/b", Text: "B"}}},
		{"root with query, fragment removed", `<a href="/c?x=1&amp;y=2#sec">C</a>`, []Link{{URL: "https://example.com/c?x=1&y=2", Text: "C"}}},
		{"query only", `<a href="?page=2">next</a>`, []Link{{URL: "https://example.com/dir/page.html?page=2", Text: "next"}}},
		{"scheme-relative", `<a href="//other.org/p">o</a>`, []Link{{URL: "https://other.org/p", Text: "o"}}},
		{"absolute http", `<a href="HTTP://Example.org/X">x</a>`, []Link{{URL: "http://Example.org/X", Text: "x"}}},
		{"href trimmed", "<a href=\"  https://example.com/trim \n\">t</a>", []Link{{URL: "https://example.com/trim", Text: "t"}}},
		{"newlines inside href removed", "<a href=\"/multi\n  line\">m</a>", []Link{{URL: "https://example.com/multi%20%20line", Text: "m"}}},
		{"space escaped", `<a href="/a b">s</a>`, []Link{{URL: "https://example.com/a%20b", Text: "s"}}},
		{"page itself with fragment", `<a href="page.html?p=1#x">self</a>`, []Link{{URL: "https://example.com/dir/page.html?p=1", Text: "self"}}},

		{"skipped hrefs", `<a href="javascript:void(0)">j</a><a href="JavaScript:go()">J</a>` +
			`<a href="mailto:a@example.com">m</a><a href="tel:+123">t</a><a href="data:text/html,x">d</a>` +
			`<a href="">e</a><a href="  ">s</a><a href="#">h</a><a href="#top">f</a><a href=" #x">g</a>` +
			`<a href="ftp://example.com/f">ftp</a><a href="http://">nohost</a><a href="http://:80/">nohost2</a>` +
			`<a href="http://[::1">bad host</a><a href="http://exa mple/">space in host</a><a>no href</a><a name=x>anchor</a>`, nil},

		// What the URL Standard reads differently from RFC 3986 (and net/url).
		{"stray percent", `<a href="100%.html">a</a><a href="/sale/50%off">b</a>`,
			[]Link{{URL: "https://example.com/dir/100%25.html", Text: "a"}, {URL: "https://example.com/sale/50%25off", Text: "b"}}},
		{"backslash is a slash", `<a href="\\evil.example\x">e</a><a href="\y\z">y</a>`,
			[]Link{{URL: "https://evil.example/x", Text: "e"}, {URL: "https://example.com/y/z", Text: "y"}}},
		{"backslash ends the host", `<a href="https://evil.example\@good.example/">e</a>`,
			[]Link{{URL: "https://evil.example/@good.example/", Text: "e"}}},
		{"same scheme without slashes is relative", `<a href="https:foo.html">f</a><a href="http:other.example/">o</a>`,
			[]Link{{URL: "https://example.com/dir/foo.html", Text: "f"}, {URL: "http://other.example/", Text: "o"}}},
		{"extra slashes before the host", `<a href="///example.org/path">x</a>`, []Link{{URL: "https://example.org/path", Text: "x"}}},
		{"colon in first segment", `<a href=":foo.com">c</a><a href="[61:24:74]:98">v</a>`,
			[]Link{{URL: "https://example.com/dir/:foo.com", Text: "c"}, {URL: "https://example.com/dir/[61:24:74]:98", Text: "v"}}},
		{"non-ASCII userinfo", `<a href="http://foo:💩@example.org/">u</a>`, []Link{{URL: "http://foo:%F0%9F%92%A9@example.org/", Text: "u"}}},
		{"bad escape in fragment", `<a href="/t?a#%GH">f</a>`, []Link{{URL: "https://example.com/t?a", Text: "f"}}},
		{"sub-delims kept as written next to escapes", "<a href=\"/a b/(1)!\">p</a><a href=\"/Köln_(Stadt)\">k</a><a href=\"/%28x%29 y\">e</a>",
			[]Link{{URL: "https://example.com/a%20b/(1)!", Text: "p"}, {URL: "https://example.com/K%C3%B6ln_(Stadt)", Text: "k"}, {URL: "https://example.com/%28x%29%20y", Text: "e"}}},
		{"empty segments after dot-segments", `<a href="..//x">d</a>`, []Link{{URL: "https://example.com//x", Text: "d"}}},
		{"DEL encoded", "<a href=\"/a\x7fb\">d</a>", []Link{{URL: "https://example.com/a%7Fb", Text: "d"}}},

		{"area", `<map name=m><area shape=rect coords="0,0,1,1" href="/area" alt=" Area  one "><area nohref alt=x></map>`,
			[]Link{{URL: "https://example.com/area", Text: "Area one"}}},
		{"base applies", `<head><base href="https://cdn.example.net/base/"></head><body><a href="x">x</a><a href="/y">y</a></body>`,
			[]Link{{URL: "https://cdn.example.net/base/x", Text: "x"}, {URL: "https://cdn.example.net/y", Text: "y"}}},
		{"rel", `<a href=/r rel="NoFollow  Noopener">r</a>`, []Link{{URL: "https://example.com/r", Text: "r", Rel: "nofollow noopener", NoFollow: true}}},
		{"rel ugc is not nofollow", `<a href=/r rel="ugc sponsored">r</a>`, []Link{{URL: "https://example.com/r", Text: "r", Rel: "ugc sponsored"}}},
		{"rel token match only", `<a href=/r rel="nofollowme">r</a>`, []Link{{URL: "https://example.com/r", Text: "r", Rel: "nofollowme"}}},
		{"text collapsed across elements", "<a href=/t>  Hello <b>big</b>\n\t<i>world</i> </a>", []Link{{URL: "https://example.com/t", Text: "Hello big world"}}},
		{"script and style not text", `<a href=/t>Go<script>var x=1</script><style>a{}</style> on</a>`, []Link{{URL: "https://example.com/t", Text: "Go on"}}},
		{"aria-label fallback", `<a href=/t aria-label=" Close  menu "><svg></svg></a>`, []Link{{URL: "https://example.com/t", Text: "Close menu"}}},
		{"img alt fallback", `<a href=/t><img src=x.png><img src=l.png alt="Logo  of X"></a>`, []Link{{URL: "https://example.com/t", Text: "Logo of X"}}},
		{"text beats alt", `<a href=/t><img alt=logo> Home</a>`, []Link{{URL: "https://example.com/t", Text: "Home"}}},
		{"no text at all", `<a href=/t><img src=x.png></a>`, []Link{{URL: "https://example.com/t"}}},
		{"duplicates kept in order", `<a href="/d">first</a><a href="/e">e</a><a href="/d#again">second</a>`,
			[]Link{{URL: "https://example.com/d", Text: "first"}, {URL: "https://example.com/e", Text: "e"}, {URL: "https://example.com/d", Text: "second"}}},
		{"svg links left out", `<svg><a href="/svg">s</a></svg><a href=/html>h</a>`, []Link{{URL: "https://example.com/html", Text: "h"}}},
		{"template links left out", `<template><a href="/tpl">t</a></template><a href=/real>r</a>`, []Link{{URL: "https://example.com/real", Text: "r"}}},
		{"link elements are not links", `<head><link rel=next href=/n></head><body><a href=/b>b</a></body>`, []Link{{URL: "https://example.com/b", Text: "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Links(mustParse(t, tt.html, pageURL))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Links =\n  %+v\nwant\n  %+v", got, tt.want)
			}
		})
	}
}

func TestLinkTextCap(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"short", "short", "short"},
		{"exactly 200", strings.Repeat("é", 200), strings.Repeat("é", 200)},
		{"multibyte over cap", strings.Repeat("é", 300), strings.Repeat("é", 200)},
		{"no trailing space at cap", strings.Repeat("abcd ", 60), strings.TrimSpace(strings.Repeat("abcd ", 40))},
		{"word across cap", strings.Repeat("x", 199) + " yz", strings.Repeat("x", 199)},
		{"nested elements over cap", strings.Repeat("<span>ab</span> ", 150), strings.TrimSpace(strings.Repeat("ab ", 67))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			links := Links(mustParse(t, `<a href=/x>`+tt.text+`</a>`, "https://example.com/"))
			if len(links) != 1 {
				t.Fatalf("got %d links, want 1", len(links))
			}
			got := links[0].Text
			if n := utf8.RuneCountInString(got); n > maxLinkText {
				t.Errorf("text has %d runes, cap is %d", n, maxLinkText)
			}
			if got != tt.want {
				t.Errorf("text = %q (%d runes), want %q (%d runes)", got, utf8.RuneCountInString(got), tt.want, utf8.RuneCountInString(tt.want))
			}
		})
	}
}

// TestLinksWithoutBase checks that a Doc built by hand without URLs still
// yields the absolute links and drops the relative ones instead of panicking.
func TestLinksWithoutBase(t *testing.T) {
	d := mustParse(t, `<a href="https://example.com/abs">a</a><a href="/rel">r</a>`, "https://example.com/")
	d.URL, d.Base = nil, nil
	want := []Link{{URL: "https://example.com/abs", Text: "a"}}
	if got := Links(d); !reflect.DeepEqual(got, want) {
		t.Errorf("Links = %+v, want %+v", got, want)
	}
	if got := Links(&Doc{}); got != nil {
		t.Errorf("Links(zero Doc) = %+v, want nil", got)
	}
	if got := Facts(&Doc{}); got != (Page{}) {
		t.Errorf("Facts(zero Doc) = %+v, want zero", got)
	}
}

// TestLinksEncoding checks that link URLs are what a browser would request:
// punycode hosts and percent-encoded queries, in the page's charset.
func TestLinksEncoding(t *testing.T) {
	tests := []struct {
		name        string
		body        []byte
		contentType string
		want        []string
	}{
		{"IDN host", []byte(`<a href="https://Bücher.example/straße">x</a>`), "text/html; charset=utf-8",
			[]string{"https://xn--bcher-kva.example/stra%C3%9Fe"}},
		{"IDN host with port and underscore", []byte(`<a href="http://a_b.münchen.example:8080/">x</a>`), "text/html; charset=utf-8",
			[]string{"http://a_b.xn--mnchen-3ya.example:8080/"}},
		{"IDN base", []byte(`<base href="https://日本.example/dir/"><a href="p">x</a>`), "text/html; charset=utf-8",
			[]string{"https://xn--wgv71a.example/dir/p"}},
		{"invalid IDN skipped", []byte("<a href=\"https://a\u05d0.example/\">mixed direction</a><a href=\"https://\ufffd.example/\">disallowed</a><a href=/ok>ok</a>"), "text/html; charset=utf-8",
			[]string{"https://example.com/ok"}},
		{"query escaped", []byte(`<a href="/s?q=a b&quot;c'&lt;d&gt;&amp;x=%41">x</a>`), "text/html; charset=utf-8",
			[]string{"https://example.com/s?q=a%20b%22c%27%3Cd%3E&x=%41"}},
		{"query UTF-8", []byte(`<a href="/s?q=日本">x</a>`), "text/html; charset=utf-8",
			[]string{"https://example.com/s?q=%E6%97%A5%E6%9C%AC"}},
		{"query in page charset", encode(t, japanese.ShiftJIS, `<a href="/s?q=日本">x</a>`), "text/html; charset=shift_jis",
			[]string{"https://example.com/s?q=%93%FA%96{"}}, // 本 is 0x96 0x7B; "{" needs no escape
		{"query unencodable in page charset", []byte("<a href=\"/s?q=caf\xe9&#26085;\">x</a>"), "text/html; charset=windows-1252",
			[]string{"https://example.com/s?q=caf%E9%26%2326085%3B"}},
		{"path always UTF-8", []byte("<a href=\"/caf\xe9\">x</a>"), "text/html; charset=windows-1252",
			[]string{"https://example.com/caf%C3%A9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.body, tt.contentType, mustURL(t, "https://example.com/"))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range Links(d) {
				got = append(got, l.URL)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("URLs = %q, want %q", got, tt.want)
			}
		})
	}
}
