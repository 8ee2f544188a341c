package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/fixtures"
)

// TestCrawlJSONAPIWithConfig scrapes a paginated JSON API with the real
// binary and a config file, as the README's example does, and exports the
// items; a bad JSONPath in the same file is a usage error naming the file,
// line, rule and field, before any request.
func TestCrawlJSONAPIWithConfig(t *testing.T) {
	api := fixtures.JSONAPI{Path: "/api/items", Pages: 4, PerPage: 3}
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	h.Handle(api.Path, api)
	dir := t.TempDir()
	config := filepath.Join(dir, "api.yaml")
	rules := `seeds: ["%s"]
store_body: true
rules:
  - name: items
    match: /api/items
    select: $.items[*]
    follow: $.next
    fields:
      id: {json: $.id, required: true}
      name: $.name
      price: {json: "%s", type: float}
      tags: {json: "$.tags[*]", all: true}
`
	seed := h.URL + api.PageURL(1)

	writeFile(t, config, fmt.Sprintf(rules, seed, "$.price["))
	db := filepath.Join(dir, "api.db")
	r := trawl(t, "crawl", "--config", config, "--db", db, "--quiet")
	if r.code != exitUsage {
		t.Fatalf("bad JSONPath: exit %d, want %d: %s", r.code, exitUsage, r.stderr)
	}
	if want := config + `:11: rule "items": field "price": json: bad JSONPath "$.price[": unexpected eof`; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if h.Log.Len() != 0 {
		t.Fatalf("%d requests were sent despite a broken config", h.Log.Len())
	}

	writeFile(t, config, fmt.Sprintf(rules, seed, "$.price"))
	if r := trawl(t, "crawl", "--config", config, "--db", db, "--quiet"); r.code != 0 {
		t.Fatalf("crawl: exit %d: %s", r.code, r.stderr)
	}
	fetched := map[string]int{}
	for _, e := range h.Log.Entries() {
		fetched[e.Path]++
	}
	for page := 1; page <= api.Pages; page++ {
		if n := fetched[api.PageURL(page)]; n != 1 {
			t.Errorf("page %d fetched %d times, want 1", page, n)
		}
	}

	r = trawl(t, "export", db, "--what", "items", "--rule", "items")
	if r.code != 0 {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != api.Pages*api.PerPage {
		t.Fatalf("%d items exported, want %d:\n%s", len(lines), api.Pages*api.PerPage, r.stdout)
	}
	first := api.Items(1)[0]
	var got struct {
		URL  string          `json:"url"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"id":%d,"name":%q,"price":%v,"tags":["all","even"]}`, first.ID, first.Name, *first.Price)
	if got.URL != seed || string(got.Data) != want {
		t.Errorf("first item: %s %s\nwant %s %s", got.URL, got.Data, seed, want)
	}
	// The third item of a page has no price: optional here, so it is an
	// item without one.
	if !strings.Contains(lines[2], `"name":"Item 3","tags":["all","even"]}`) {
		t.Errorf("third item: %s", lines[2])
	}
}
