package crawler

import (
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/store/record"
)

// TestLinkFactsAreTheSameRemembered: a link's facts read back from the
// crawl's memo are the facts its canonicalisation and judgement give, for
// links that are canonical already, that are not, that are out of scope,
// denied or too long; a link that is no URL stays an error every time.
func TestLinkFactsAreTheSameRemembered(t *testing.T) {
	cfg := testConfig("http://127.0.0.1:1/")
	cfg.Deny = []string{`/private/`}
	c, err := New(cfg, nil, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	links := []string{
		"http://127.0.0.1:1/a",
		"HTTP://127.0.0.1:1/./b/../c#frag",
		"http://127.0.0.1:1/d?b=2&a=1",
		"http://127.0.0.2:1/elsewhere",
		"http://127.0.0.1:1/private/x",
		"http://127.0.0.1:1/" + strings.Repeat("long/", 1000),
		"http://127.0.0.1:1/caf%C3%A9",
	}
	for _, raw := range links {
		u, s, host, err := c.canon.Keys(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		want := c.judgeKeys(u, s, host)
		if want.id != record.URLID(want.url) {
			t.Errorf("%s: id %d, not the id of %s", raw, want.id, want.url)
		}
		for i := range 3 {
			got, err := c.linkFacts(raw)
			if err != nil || got != want {
				t.Errorf("%s, look-up %d: %+v, %v; want %+v", raw, i, got, err, want)
			}
		}
	}
	if hits, _, held := c.links.Stats(); hits != int64(2*len(links)) || held != len(links) {
		t.Errorf("memo: %d hits, %d held; want %d and %d", hits, held, 2*len(links), len(links))
	}
	for range 2 {
		if _, err := c.linkFacts("http://[::1"); err == nil {
			t.Error("a link with a broken host gave facts")
		}
	}
}
