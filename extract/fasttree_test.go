package extract

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// sameTree returns "" when a and b are the same tree, else where they
// first differ.
func sameTree(a, b *html.Node, path string) string {
	if a.Type != b.Type || a.Data != b.Data || a.DataAtom != b.DataAtom || a.Namespace != b.Namespace {
		return fmt.Sprintf("%s: %v %q %q vs %v %q %q", path, a.Type, a.Data, a.Namespace, b.Type, b.Data, b.Namespace)
	}
	if len(a.Attr) != len(b.Attr) {
		return fmt.Sprintf("%s <%s>: attributes %v vs %v", path, a.Data, a.Attr, b.Attr)
	}
	for i := range a.Attr {
		if a.Attr[i] != b.Attr[i] {
			return fmt.Sprintf("%s <%s>: attribute %v vs %v", path, a.Data, a.Attr[i], b.Attr[i])
		}
	}
	ca, cb := a.FirstChild, b.FirstChild
	for i := 0; ca != nil || cb != nil; i++ {
		if ca == nil || cb == nil {
			return fmt.Sprintf("%s/%d <%s>: children end apart (%v vs %v)", path, i, a.Data, ca == nil, cb == nil)
		}
		if ca.Parent != a || cb.Parent != b || (ca.PrevSibling == nil) != (i == 0) {
			return fmt.Sprintf("%s/%d: broken links", path, i)
		}
		if d := sameTree(ca, cb, fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
		if ca.NextSibling == nil && a.LastChild != ca {
			return fmt.Sprintf("%s <%s>: LastChild is not the last child", path, a.Data)
		}
		ca, cb = ca.NextSibling, cb.NextSibling
	}
	return ""
}

// checkFastTree parses page both ways; it fails when fastTree accepts the
// page and builds another tree than html.Parse, and reports whether it
// accepted it.
func checkFastTree(t *testing.T, name string, page []byte) bool {
	t.Helper()
	fast, ok := fastTree(page)
	if !ok {
		return false
	}
	want, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if d := sameTree(fast, want, ""); d != "" {
		t.Errorf("%s: fastTree's tree is not html.Parse's: %s", name, d)
	}
	return true
}

// TestFastTreeIsParse checks fastTree against html.Parse on documents made
// to reach each rule it follows and each it gives up on, on the real pages
// in testdata and, when they are installed, on the pages under 1 MB of the
// documentation packages the real-site benchmark crawls (see realPages;
// all 34,000 with TRAWL_FASTTREE_DOCS=all: 30 s).
func TestFastTreeIsParse(t *testing.T) {
	cases := []struct {
		doc  string
		fast bool // whether fastTree is expected to take it
	}{
		{"<!DOCTYPE html><html><head><title>T &amp; t</title></head><body><p>x</p></body></html>", true},
		{"<p>no html, head or body", true},
		{"  \n<!-- c --> <!doctype html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n</head>\n<body>\n<p>a<p>b\n</body>\n</html>\n<!-- after -->\n", true},
		{`<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd"><html xmlns="http://www.w3.org/1999/xhtml"><head/><body><br/><div/>x</body></html>`, true},
		{"<ul><li>a<li>b<ul><li>c</ul></ul><dl><dt>t<dd>d<dt>u</dl>", true},
		{"<div><p>a<div>b</div>c</div><h1>h<h2>i</h2>", true},
		{"<pre>\nline</pre><textarea>\nx &lt; y</textarea><listing>\n\nz</listing>", true},
		{"<p><b>bold <i>both</i></b> <a href='/x?a=1&amp;b=2&#38;c'>l</a> <code>c</code></p>", true},
		{"<p><b>x<span>y</b>z</p>", true},
		{"<script>if (a < b && c) { x = '</div>' }</script><style>p > a {}</style>", true},
		{"<head><noscript><link rel=stylesheet href=n.css></noscript></head><body><noscript><p>no &amp; js</p></noscript></body>", true},
		{"<form><input type=hidden name=a><button>b</button></form><form>x</form></form>", true},
		{"<p>a</p></p><hr><p>b<hr>c", true},
		{"<body><p>x</body><p>after body</p>", true},
		{"<rustdoc-search></rustdoc-search><wbr><img src=a alt=''><span>s</span></span></div>", true},
		{"<body>text &notit; &amp &lt;b&gt; 1 < 2</body>", true},
		{"<p>a</p><!--x-->\n<!---->", true},

		{"<table><tr><td>x</table>", true},
		{"<!DOCTYPE html><p><table><colgroup><col><col></colgroup><thead><tr><th>h<td>d</thead>\n<tbody><tr><td><b>x</b><table><td>in</table><td>y</tr></tbody></table>", true},
		{"<p>quirks: the table stays in the p<table><col><tr><td>x</td></tr></table>", true},
		{"<table><tr><td><i>x</td><td>y</i></td></tr></table>", true},
		{"<table>x<tr><td>y</table>", false}, // foster parenting
		{"<table><caption>c</caption><tr><td>y</table>", true},
		{"<table><caption><b>bold <i>c</caption><tr><td>y</td><td>z</table>", true},
		{"<table><caption>c<tr><td>y</table><table><caption>d</table>e", true},
		{"<table><caption><p>a<table><tr><td>in</table>b</caption><tbody><tr><td>y</table>", true},
		{"<table><caption>c</td></tbody></body>x</caption><col></table>", true},
		{"<table><tr><td>a<caption>c</caption><td>b</table>", true},
		{"<table><caption>c<th>h</table>", true}, // th: x/net/html's caption mode lacks it, its body mode ignores it
		{"<object data=f.swf><param name=movie value=f.swf><b>x</object>y<p>z", true},
		{"<p><b>a<object>b</b>c</object>d</b></p><applet>e<marquee>f</marquee></applet>", true},
		{"<div>a<td>b<tr><head><col>c</div>", true},
		{"<html><head></head>\n<meta charset=utf-8><title>t</title><script>s</script><link rel=x><style>p{}</style>\n<body>x", true},
		{"<head><title>a</title></head><!-- c --><base href=/><noscript>n</noscript>", true},
		{"<head></head><template>t</template>", false}, // template
		{"<table><caption>c<select><option>o</select></caption></table>", true},
		{"<table><tr><td>a<table><tr><td>b</table></td></tr><tr><td>c</table>", true},
		{"<svg><path d=M0/></svg>", true},
		{`<p><svg class=i viewbox="0 0 1 1" xmlns:xlink="http://www.w3.org/1999/xlink"><lineargradient/><use xlink:href="#a"/><clippath><rect/></clippath><text>a &amp; b</text></svg>x</p>`, true},
		{"<div><svg><g><svg><path/></svg></g></svg><math><mi>x</mi><mn>1</mn></math></div>", true},
		{"<svg><foreignObject><p>html</p></foreignObject></svg>", false}, // an integration point
		{"<svg><p>breaks out</svg>", false},
		{"<svg><path>", false},
		{`<svg><text>"</text></svg><p>x</p><svg></svg>`, false}, // the lexer's quote runs past </svg>
		{"<script><!-- if (a) x() --></script><script>// <!-- old\n</script>", true},
		{"<!--[if IE]><p class=x>&amp;</p><![endif]--><!-- <!-- nested -->", true},
		{"<b>x<p>y</b>z</p>", false},        // a furthest block: the adoption agency
		{"<p><b>x</p>y", false},             // reconstruction
		{"<a href=1>x<a href=2>y", false},   // nested <a>
		{"<p a=1 a=2>x", false},             // duplicate attribute
		{"<a href='?a=1&b=2'>x</a>", false}, // an entity html.Parse leaves alone in attributes
		{"<p>a\r\nb", false},                // carriage return
		{"<select><option>a</select>", true},
		{"<form><select name=s><optgroup label=g><option value=1 selected>a<option>b</optgroup><option>c</select><input name=q></form>", true},
		{"<p><select><option><b>x</b><select>closes it<hr><option>o</p>", true},
		{"<select><option>a<input>after</select>", true},
		{"<option>a<option>b<optgroup>c<option>d", true},
		{"<ul><li><select><option>a<li>b</select></ul>", true},
		{"<table><tr><td><select><option>x</select></td></tr></table>", true},
		{"<table><select><option>x</select></table>", false},      // foster parenting
		{"<script><!-- <script> x </script> --></script>", false}, // the double-escaped state
		{"<p></>x", false},
		{"<p><![CDATA[x]]>", false},
		{"<!--->x-->", false},
		{"<div", false},
		{"<noscript>a</noscript>b</noscript>", true},
		{"<title>unclosed", false},
	}
	for _, c := range cases {
		if got := checkFastTree(t, fmt.Sprintf("%q", c.doc), []byte(c.doc)); got != c.fast {
			t.Errorf("%q: fastTree took it: %v, want %v", c.doc, got, c.fast)
		}
	}

	realPages(t, false, func(path string, page []byte) bool { return checkFastTree(t, path, page) })
}

// realPages runs check on real pages, decoded, and logs how many it took
// (returned true for): the readability pages of testdata and, when they are
// installed, the documentation packages' pages, every 16th of them (all
// with TRAWL_FASTTREE_DOCS=all, 34,000) and, with huge, every one over 1 MB.
func realPages(t *testing.T, huge bool, check func(path string, page []byte) bool) {
	t.Helper()
	run := func(what string, paths []string) {
		took := 0
		for _, path := range paths {
			p, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			text, _ := DecodeHTML(p, "text/html")
			if check(path, text) {
				took++
			}
		}
		if len(paths) > 0 {
			t.Logf("%s: taken %d of %d pages checked", what, took, len(paths))
		}
	}
	pages, _ := filepath.Glob("testdata/readability-pages/*/source.html")
	if len(pages) == 0 {
		t.Fatal("no readability pages in testdata")
	}
	run("readability pages", pages)
	all := os.Getenv("TRAWL_FASTTREE_DOCS") == "all"
	for _, root := range docRoots {
		if r, err := filepath.EvalSymlinks(root); err == nil {
			root = r
		}
		var paths []string
		seen := 0
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			big := info.Size() > 1<<20 // scanned, not parsed
			if seen++; big && huge || !big && (all || seen%16 == 1) {
				paths = append(paths, path)
			}
			return nil
		})
		run(root, paths)
	}
}

// FuzzFastTree checks that whatever fastTree takes, it builds as
// html.Parse does.
func FuzzFastTree(f *testing.F) {
	for _, s := range []string{
		"<!DOCTYPE html><html><head><title>T</title></head><body><p>x</p></body></html>",
		"<ul><li>a<li>b</ul><dl><dt>t<dd>d</dl><p><b>x<i>y</i></b></p>",
		"<head><noscript><link href=n></noscript><script>a<b</script></head><body><form><input></form>",
		"<div><a title=t href='/x?a=1&amp;b'>l</a><pre>\nx</pre><textarea>\ny</textarea></div>",
		"<p>a<hr>b</p></p><h1>h<h2>i</h2><!-- c --><span>s</span></div>",
		"<p><svg viewbox='0 0 1 1'><g><path d=M0/></g><text>a&amp;b</text></svg><math><mi>x</mi></math></p>",
		"<script><!-- x() --></script><!--[if IE]>&amp;<![endif]--><?xml &lt;?>",
		"<table><colgroup><col></colgroup><thead><tr><th>h</thead><tbody><tr><td><b>x</b><table><td>in</table><td>y</tr></tbody></table>",
		"<table><caption><b>c<table><tr><td>in</table></caption><tr><td><select><optgroup><option>a<option>b</select></table>",
		"<p><object><param name=a><b>x</b></object><select><option>o<hr><input></select><head><td>z",
		"<head></head>\n<meta charset=utf-8><title>t</title><script>s</script><body>x",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		checkFastTree(t, "fuzz", page)
	})
}

// TestFastTreeLeavesTooDeepPages: a page nested deeper than html.Parse
// takes is left to it, so that the crawler still sees its error and
// flattens the page.
func TestFastTreeLeavesTooDeepPages(t *testing.T) {
	// <html>, <body>, the spans and the <br>, which is open for a moment.
	for spans, ok := range map[int]bool{509: true, 510: false} {
		page := []byte("<body>" + strings.Repeat("<span>", spans) + "<br>")
		if _, err := html.Parse(bytes.NewReader(page)); (err == nil) != ok {
			t.Fatalf("%d spans: html.Parse's error %v", spans, err)
		}
		if got := checkFastTree(t, fmt.Sprint(spans), page); got != ok {
			t.Errorf("%d spans: fastTree took it: %v, want %v", spans, got, ok)
		}
	}
}
