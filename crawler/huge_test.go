package crawler

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/trawl-crawler/trawl/fixtures"
)

// A page above hugePage is scanned rather than parsed into a tree, and still
// gives its title, facts and links, and a reason for a link it cannot follow.
func TestHugePageKeepsItsFactsAndLinks(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<html lang="en"><head><title>Huge  page</title><meta name="description" content="big">` +
		`<meta property="og:type" content="website"></head><body><main><h1>All items</h1>`)
	for i := 0; b.Len() <= hugePage+1000; i++ {
		fmt.Fprintf(&b, "<div class=item><h2>Item %d</h2><p>Some words about item %d.</p></div>\n", i, i)
	}
	b.WriteString(`<a href="small.html">small</a><a href="mailto:list@example.test">mail</a></main></body></html>`)
	site := fstest.MapFS{
		"index.html": {Data: []byte(`<title>Index</title><a href="huge.html">huge</a>`)},
		"huge.html":  {Data: []byte(b.String())},
		"small.html": {Data: []byte(`<title>Small</title>`)},
	}
	h, err := fixtures.StartStatic(fixtures.HostConfig{}, site)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	db := testDB(t)
	crawlRun(t, db, testConfig(h.URL+"/"))
	var title, desc, lang, facts string
	var size, words int
	err = db.Reader().QueryRowContext(context.Background(), `SELECT f.title, f.description, f.lang, f.facts, f.size, f.word_count
		FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.url = ?`, h.URL+"/huge.html").Scan(&title, &desc, &lang, &facts, &size, &words)
	if err != nil {
		t.Fatal(err)
	}
	if size <= hugePage || title != "Huge page" || desc != "big" || lang != "en" ||
		!strings.Contains(facts, `"og:type":"website"`) || !strings.Contains(facts, `"Item 100"`) || words < 10000 {
		t.Errorf("huge page: size %d, title %q, description %q, lang %q, %d words, facts %.200s", size, title, desc, lang, words, facts)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.url = ? AND f.status = 200`, h.URL+"/small.html"); n != 1 {
		t.Errorf("the huge page's link was fetched %d times, want 1", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE url = 'mailto:list@example.test' AND reason = ?`, ClassScheme); n != 1 {
		t.Errorf("the huge page's mailto link has %d rows with reason %s, want 1", n, ClassScheme)
	}
}
