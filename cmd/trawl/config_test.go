package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
)

func TestExampleConfigsScrapeTheDemoSite(t *testing.T) {
	url, stop, err := serveDemo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	dir := t.TempDir()

	books := filepath.Join(dir, "books.db")
	if r := trawl(t, "crawl", "--config", "../../examples/books.yaml", "--db", books, "--quiet", url); r.code != 0 {
		t.Fatalf("books.yaml: exit %d: %s", r.code, r.stderr)
	}
	var items, misses, withPrice int
	var title string
	var year int
	conn := openDB(t, books)
	conn.QueryRow(`SELECT count(*) FILTER (WHERE data IS NOT NULL), count(*) FILTER (WHERE miss IS NOT NULL),
		count(*) FILTER (WHERE json_type(data, '$.price') = 'real') FROM items WHERE rule = 'book'`).Scan(&items, &misses, &withPrice)
	if items != 10 || withPrice != 10 || misses != 1 {
		t.Fatalf("book items %d (with a float price %d), misses %d; want 10, 10, 1 (the out-of-print page)", items, withPrice, misses)
	}
	conn.QueryRow(`SELECT json_extract(data, '$.title'), json_extract(data, '$.year') FROM item_rows WHERE url LIKE '%/deep-water.html'`).Scan(&title, &year)
	if title != "Deep Water" || year != 2015 {
		t.Fatalf("deep-water item: %q %d", title, year)
	}
	var bodies, texts int
	conn.QueryRow(`SELECT (SELECT count(*) FROM bodies), (SELECT count(*) FROM fetches WHERE main_text IS NOT NULL)`).Scan(&bodies, &texts)
	if bodies < 20 || texts < 20 {
		t.Fatalf("store_body/store_text: %d bodies, %d texts", bodies, texts)
	}

	// Edit a rule and re-extract from the stored bodies: no request is sent.
	edited := filepath.Join(dir, "edited.yaml")
	os.WriteFile(edited, []byte(`rules:
  - name: book
    match: "/books/[^/]+\\.html$"
    select: article.book
    fields:
      title: {css: .title, required: true}
      shout: {css: .title, regex: "^(\\S+)"}
`), 0o644)
	before := 0
	r := trawl(t, "extract", books, "--config", edited)
	if r.code != 0 || !strings.Contains(r.stdout, "items=10") {
		t.Fatalf("extract: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	conn.QueryRow(`SELECT count(*) FROM items WHERE rule = 'book' AND json_extract(data, '$.shout') IS NOT NULL
		AND json_extract(data, '$.price') IS NULL`).Scan(&before)
	if before != 10 {
		t.Fatalf("after re-extraction %d items have the new field and no old one, want 10", before)
	}

	cat := filepath.Join(dir, "catalogue.db")
	if r := trawl(t, "crawl", "--config", "../../examples/catalogue.yaml", "--db", cat, "--quiet", url); r.code != 0 {
		t.Fatalf("catalogue.yaml: exit %d: %s", r.code, r.stderr)
	}
	var authors, nested, titles int
	conn = openDB(t, cat)
	conn.QueryRow(`SELECT count(*), sum(json_array_length(data, '$.books')) FROM items WHERE rule = 'author' AND data IS NOT NULL`).Scan(&authors, &nested)
	conn.QueryRow(`SELECT json_array_length(data, '$.titles') FROM items WHERE rule = 'catalogue'`).Scan(&titles)
	if authors != 5 || nested != 10 || titles != 10 {
		t.Fatalf("authors %d with %d nested books, catalogue titles %d; want 5, 10, 10", authors, nested, titles)
	}
}

func TestConfigErrorsBeforeAnyRequest(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(`scope: host
delay: soon
colour: blue
rules:
  - name: products
    fields:
      title: {css: "h1[", required: true}
      price: {css: .price, regex: "([0-9", type: money}
`), 0o644)
	r := trawl(t, "crawl", "--config", bad, "--db", filepath.Join(dir, "x.db"), h.URL+"/")
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", r.code, exitUsage, r.stderr)
	}
	if h.Log.Len() != 0 {
		t.Fatalf("%d requests were sent despite a broken config", h.Log.Len())
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err == nil {
		t.Fatal("a database was created for a broken config")
	}
	for _, want := range []string{"bad.yaml:2", "duration"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	// With the syntax right, every semantic problem is reported with its line.
	os.WriteFile(bad, []byte(`scope: host
colour: blue
rules:
  - name: products
    fields:
      title: {css: "h1[", required: true}
      price: {css: .price, regex: "([0-9", type: money}
`), 0o644)
	r = trawl(t, "crawl", "--config", bad, "--db", filepath.Join(dir, "x.db"), h.URL+"/")
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", r.code, exitUsage, r.stderr)
	}
	for _, want := range []string{`bad.yaml:2: unknown key "colour"`, "bad.yaml:6", "bad.yaml:7", "regex", "money"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if h.Log.Len() != 0 {
		t.Fatalf("%d requests were sent despite a broken config", h.Log.Len())
	}
}
