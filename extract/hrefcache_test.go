package extract

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/trawl-crawler/trawl/extract/memo"
)

// Links resolved through a shared cache are the links resolved without one,
// from pages of one directory, of other directories, with a <base href> and
// in another charset; and the repeated hrefs are found in the cache.
func TestHrefCacheGivesTheSameLinks(t *testing.T) {
	pages := []struct{ url, ct, body string }{
		{"http://example.test/docs/a.html", "text/html", `<a href="b.html">b</a><a href="../up.html">up</a><a href="?q=1">q</a><a href="">self</a><a href="javascript:x()">js</a><a href="/abs?x=ü">abs</a>`},
		{"http://example.test/docs/c.html?page=2", "text/html", `<a href="b.html">b</a><a href="../up.html">up</a><a href="?q=1">q</a><a href="">self</a><a href="/abs?x=ü">abs</a>`},
		{"http://example.test/other/d.html", "text/html", `<a href="b.html">b</a><a href="../up.html">up</a>`},
		{"http://example.test/docs/e.html", "text/html", `<base href="/else/"><a href="b.html">b</a><a href="../up.html">up</a>`},
		{"http://example.test/docs/f.html", "text/html; charset=windows-1252", "<a href=\"/abs?x=\xfc\">abs</a><a href=\"b.html\">b</a>"},
		{"https://example.test/docs/a.html", "text/html", `<a href="b.html">b</a><a href="//other.test/x">x</a>`},
	}
	cache := NewHrefCache(1 << 16)
	for round := range 2 {
		for _, p := range pages {
			u, _ := url.Parse(p.url)
			plain, _ := Parse([]byte(p.body), p.ct, u)
			cached, _ := Parse([]byte(p.body), p.ct, u)
			cached.UseHrefCache(cache)
			want, got := Extract(plain), Extract(cached)
			if !reflect.DeepEqual(got.Links, want.Links) || !reflect.DeepEqual(got.Unfollowed, want.Unfollowed) {
				t.Errorf("round %d, %s:\n got %+v %+v\nwant %+v %+v", round, p.url, got.Links, got.Unfollowed, want.Links, want.Unfollowed)
			}
			scanned, _ := Scan([]byte(p.body), p.ct, u, cache)
			if !reflect.DeepEqual(scanned.Links, want.Links) {
				t.Errorf("round %d, scan of %s:\n got %+v\nwant %+v", round, p.url, scanned.Links, want.Links)
			}
		}
	}
	if hits, _, _ := cache.Stats(); hits < 20 {
		t.Errorf("%d look-ups found a resolution; the second round alone repeats every cacheable href", hits)
	}
}

// A full shard is emptied, not grown: the cache stays within its bound.
func TestHrefCacheIsBounded(t *testing.T) {
	cache := NewHrefCache(memo.Shards * 512)
	u, _ := url.Parse("http://example.test/")
	for i := range 1000 {
		d, _ := Parse([]byte(`<a href="p`+string(rune('a'+i%26))+`/`+url.PathEscape(string(rune(0x100+i)))+`">x</a>`), "", u)
		d.UseHrefCache(cache)
		Links(d)
	}
	if _, _, n := cache.Stats(); n >= 1000 || n == 0 {
		t.Errorf("cache holds %d of 1,000 resolutions in %d bytes, want some and not all", n, memo.Shards*512)
	}
}
