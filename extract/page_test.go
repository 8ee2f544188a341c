package extract

import (
	"net/url"
	"reflect"
	"sync"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

// mustURL parses an absolute URL or fails the test.
func mustURL(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatalf("parse URL %q: %v", s, err)
	}
	return u
}

// mustParse parses literal UTF-8 HTML served from pageURL.
func mustParse(tb testing.TB, src, pageURL string) *Doc {
	tb.Helper()
	d, err := Parse([]byte(src), "text/html; charset=utf-8", mustURL(tb, pageURL))
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return d
}

func TestParseBase(t *testing.T) {
	const pageURL = "https://example.com/dir/page.html?q=1"
	tests := []struct {
		name string
		html string
		want string // Base.String(); pageURL when the base is ignored
	}{
		{"no base", `<title>x</title>`, pageURL},
		{"relative base", `<base href="/docs/v2/">`, "https://example.com/docs/v2/"},
		{"absolute base", `<base href="https://cdn.example.net/static/">`, "https://cdn.example.net/static/"},
		{"scheme-relative base", `<base href="//other.example.org/x/">`, "https://other.example.org/x/"},
		{"base trimmed", "<base href=\"\n  ../up/ \t\">", "https://example.com/up/"},
		{"base with target only is skipped", `<base target="_blank"><base href="/second/">`, "https://example.com/second/"},
		{"base in capitals", `<BASE HREF="/caps/">`, "https://example.com/caps/"},
		{"base in mixed case after other tags", `<title>b</title><bAsE href="/mixed/">`, "https://example.com/mixed/"},
		{"basefont is not a base", `<basefont href="/font/">`, pageURL},
		{"first base wins", `<base href="/first/"><base href="/second/">`, "https://example.com/first/"},
		{"base in body still counts", `<body><p>x</p><base href="/late/">`, "https://example.com/late/"},
		{"base in template ignored", `<template><base href="/tpl/"></template>`, pageURL},
		{"empty base ignored", `<base href="">`, pageURL},
		{"invalid base ignored", `<base href="http://[::1">`, pageURL},
		{"stray percent kept, as browsers do", `<base href="/a%zz/">`, "https://example.com/a%25zz/"},
		{"javascript base ignored", `<base href="javascript:alert(1)">`, pageURL},
		{"data base ignored", `<base href="data:text/html,hi">`, pageURL},
		{"extra slashes before the host", `<base href="http:///path">`, "http://path/"},
		{"backslashes are slashes", `<base href="\\cdn.example\x\">`, "https://cdn.example/x/"},
		{"hostless http base ignored", `<base href="http://">`, pageURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, "<!doctype html><html><head>"+tt.html+"</head><body></body></html>", pageURL)
			if got := d.Base.String(); got != tt.want {
				t.Errorf("Base = %q, want %q", got, tt.want)
			}
			if got := d.URL.String(); got != pageURL {
				t.Errorf("URL = %q, want %q", got, pageURL)
			}
			if tt.want == pageURL && d.Base != d.URL {
				t.Errorf("Base is not URL itself when no base applies")
			}
		})
	}
}

func TestParse(t *testing.T) {
	body, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(`<html><head><meta charset="shift_jis"><title>日本語</title></head><body><p class=x>こんにちは</p></body></html>`))
	if err != nil {
		t.Fatal(err)
	}
	u := mustURL(t, "https://example.jp/")
	d, err := Parse(body, "text/html", u)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if d.Charset != "shift_jis" {
		t.Errorf("Charset = %q, want shift_jis", d.Charset)
	}
	if got := d.Find("p.x").Text(); got != "こんにちは" {
		t.Errorf("goquery text = %q, want こんにちは", got)
	}
	if d.Document.Url != u {
		t.Errorf("goquery Document.Url not set to the page URL")
	}

	if _, err := Parse(body, "text/html", nil); err == nil {
		t.Errorf("Parse with nil URL: want error")
	}

	// Malformed HTML parses as browsers parse it.
	d = mustParse(t, "<p>unclosed <b>bold <i>both</p> after", "https://example.com/")
	if got := d.Find("body").Text(); got != "unclosed bold both after" {
		t.Errorf("malformed HTML text = %q", got)
	}
}

func TestCleanHref(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  /a  ", "/a"},
		{"\x00\x01/a\x1f ", "/a"},
		{"/a\n/b\t/c\r", "/a/b/c"},
		{"/a b", "/a b"},
		{"\u00a0/a", "\u00a0/a"}, // not C0: kept, net/url escapes it
	}
	for _, tt := range tests {
		if got := cleanHref(tt.in); got != tt.want {
			t.Errorf("cleanHref(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestScheme(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"http://x", "http", true},
		{"JavaScript:void(0)", "JavaScript", true},
		{"mailto:a@b", "mailto", true},
		{"svn+ssh://x", "svn+ssh", true},
		{"/a:b", "", false},
		{"a/b:c", "", false},
		{"?a:b", "", false},
		{"#a:b", "", false},
		{"1abc:x", "", false},
		{":x", "", false},
		{"relative", "", false},
	}
	for _, tt := range tests {
		got, ok := scheme(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("scheme(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestCollapseSpace(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"  a  b  ", "a b"},
		{"a\tb", "a b"},
		{"a\u00a0\u00a0b", "a b"},
		{"\n\t ", ""},
		{"x\r\ny", "x y"},
	}
	for _, tt := range tests {
		if got := collapseSpace(tt.in); got != tt.want {
			t.Errorf("collapseSpace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEscapeQuery(t *testing.T) {
	tests := []struct{ q, charset, want string }{
		{"", "utf-8", ""},
		{"a=1&b=%20", "utf-8", "a=1&b=%20"},
		{"q=a b", "windows-1252", "q=a%20b"},
		{"q=\"x\"'<>`{}|", "utf-8", "q=%22x%22%27%3C%3E`{}|"},
		{"q=\x01\x7f", "utf-8", "q=%01%7F"},
		{"q=é", "utf-8", "q=%C3%A9"},
		{"q=é", "", "q=%C3%A9"},
		{"q=é", "utf-16le", "q=%C3%A9"},
		{"q=é€", "windows-1252", "q=%E9%80"},
		{"q=日本", "euc-kr", "q=%EC%ED%DC%E2"},
		{"q=日", "windows-1252", "q=%26%2326085%3B"},
		{"q=\U0001F600", "gbk", "q=%26%23128512%3B"},
	}
	for _, tt := range tests {
		if got := escapeQuery(tt.q, tt.charset); got != tt.want {
			t.Errorf("escapeQuery(%q, %q) = %q, want %q", tt.q, tt.charset, got, tt.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { escapeQuery("a=1&b=two", "utf-8") }); n != 0 {
		t.Errorf("escapeQuery allocates %v times on a clean query, want 0", n)
	}
}

// TestDocConcurrentReaders checks the Doc contract: extractors may read one
// Doc from several goroutines (run with -race).
func TestDocConcurrentReaders(t *testing.T) {
	d := mustParse(t, `<html lang=en><title>T</title><base href="/b/"><a href="x?q=a b">x</a><a href="https://bücher.example/">y</a><p>p</p>`, "https://example.com/")
	want, wantLinks := Facts(d), Links(d)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got := Facts(d); got != want {
				t.Errorf("Facts = %+v, want %+v", got, want)
			}
			if got := Links(d); !reflect.DeepEqual(got, wantLinks) {
				t.Errorf("Links = %+v, want %+v", got, wantLinks)
			}
			if got := d.Find("p").Text(); got != "p" {
				t.Errorf("Find = %q", got)
			}
		})
	}
	wg.Wait()
}
