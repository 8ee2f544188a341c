package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/extract"
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

// TestREADMEJSONExample runs the README's JSON API rules on the response it
// shows, so that the example stays true.
func TestREADMEJSONExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "**JSON APIs.**")
	if !ok {
		t.Fatal("README.md has no **JSON APIs.** paragraph")
	}
	blocks := regexp.MustCompile("(?s)```(json|yaml)\n(.*?)```").FindAllStringSubmatch(section, 2)
	if len(blocks) != 2 || blocks[0][1] != "json" || blocks[1][1] != "yaml" {
		t.Fatalf("the JSON APIs paragraph has no json response and yaml config: %q", blocks)
	}
	specs, err := extract.ParseRuleSpecs("README.md", []byte(blocks[1][2]))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := extract.CompileRules("README.md", specs)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://shop.example/api/products?page=1")
	doc, err := extract.ParseJSON([]byte(blocks[0][2]), u)
	if err != nil {
		t.Fatal(err)
	}
	items, miss := rules[0].ExtractJSON(doc)
	got, _ := json.Marshal(items)
	const want = `[{"id":9007199254740993,"name":"Wool hat","page":"https://shop.example/products/9007199254740993",` +
		`"price":12.5,"tags":["wool","warm"],"variants":[{"sku":"H-RED"},{"sku":"H-BLU"}]}]`
	if miss != "" || string(got) != want {
		t.Errorf("items %s, miss %q\nwant %s", got, miss, want)
	}
	if f := rules[0].Follow(doc); !reflect.DeepEqual(f, []string{"/api/products?page=2"}) {
		t.Errorf("follow %q", f)
	}
	if f := rules[1].Follow(doc); !reflect.DeepEqual(f, []string{"/products/9007199254740993"}) {
		t.Errorf("product-pages follow %q", f)
	}
}
