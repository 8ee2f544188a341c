package extract

import (
	"bytes"
	"net/url"
	"reflect"
	"testing"

	"golang.org/x/net/html"
)

// checkScanFast scans page both ways; it fails when runFast accepts the
// page and finds other than run, and reports whether it accepted it.
func checkScanFast(t *testing.T, name string, page []byte) bool {
	t.Helper()
	u, _ := url.Parse("http://example.test/docs/page.html")
	fast := newScanner("utf-8", u, nil)
	if !fast.runFast(page) {
		return false
	}
	slow := newScanner("utf-8", u, nil)
	slow.run(html.NewTokenizer(bytes.NewReader(page)))
	if !reflect.DeepEqual(fast.out, slow.out) {
		t.Errorf("%s: runFast found\n%+v\nrun\n%+v", name, fast.out, slow.out)
	}
	return true
}

// TestScanFastIsScan checks runFast against run on documents made to
// reach what it reads and what it leaves to run, on the real pages in
// testdata and, when they are installed, on the documentation packages'
// pages: every huge one (over 1 MB, the pages Scan is for) and every 16th
// of the others (see realPages).
func TestScanFastIsScan(t *testing.T) {
	for _, c := range []struct {
		doc  string
		fast bool
	}{
		{scanPage, true},
		{"<title>a &amp; b</title><h1>x</h1><textarea>t &lt;</textarea><noscript><a href=n>n</a></noscript><p>y", true},
		{"<svg><a href=s><title>i</title></a><style>x</style></svg><math><mi>x</mi></math><a href=after>a</a>", true},
		{"<script/>x</script><p>y", false},
		{"<svg><a href=s>unclosed", false},
		{"<p>a\r\nb", false},
		{"<p></>x", false},
		{"<a href='?a=1&b=2'>x</a>", false},
	} {
		if got := checkScanFast(t, c.doc, []byte(c.doc)); got != c.fast {
			t.Errorf("%q: runFast took it: %v, want %v", c.doc, got, c.fast)
		}
	}

	realPages(t, true, func(path string, page []byte) bool { return checkScanFast(t, path, page) })
}

// FuzzScanFast checks that whatever runFast takes, it finds what run does.
func FuzzScanFast(f *testing.F) {
	f.Add([]byte(scanPage))
	f.Add([]byte("<title>a &amp; b</title><h1>x</h1><textarea>t</textarea><noscript><a href=n>n</a></noscript><p>y"))
	f.Add([]byte("<svg><a href=s><title>i</title></a></svg><main><p>m <a href=x>l</a></p></main>"))
	f.Fuzz(func(t *testing.T, page []byte) {
		checkScanFast(t, "fuzz", page)
	})
}
