package crawler

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/trawl-crawler/trawl/extract"
	"github.com/trawl-crawler/trawl/fixtures"
)

// apiRules reads the items of fixtures.JSONAPI and follows its next and
// prev links and its items' product pages.
const apiRules = `rules:
  - name: items
    match: /api/items
    select: $.items[*]
    follow: "$['next', 'prev']"
    fields:
      id: {json: $.id, required: true}
      name: $.name
      price: {json: $.price, type: float, required: true}
      tags: {json: "$.tags[*]", all: true}
      url: {json: $.url, type: url}
  - name: products
    match: /api/items
    follow: $.items[*].url
`

func apiSpecs(tb testing.TB, src string) []extract.RuleSpec {
	tb.Helper()
	specs, err := extract.ParseRuleSpecs("api.yaml", []byte(src))
	if err != nil {
		tb.Fatal(err)
	}
	return specs
}

// apiHost serves api under its Path and a small HTML page for each product.
func apiHost(tb testing.TB, api fixtures.JSONAPI) *fixtures.Host {
	h := fixtures.MustHost(tb, fixtures.HostConfig{}, nil)
	h.Handle(api.Path, api)
	h.Handle("/products/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html><title>Product %s</title><h1>%s</h1>", r.URL.Path, r.URL.Path)
	}))
	return h
}

// TestCrawlJSONAPI crawls a paginated JSON API from its first page: every
// page and every product is fetched exactly once (each page is linked from
// two sides, next and prev), and the items table holds exactly the items
// the API lists, ids above 2^53 exact, and a miss for each item without a
// price.
func TestCrawlJSONAPI(t *testing.T) {
	api := fixtures.JSONAPI{Path: "/api/items", Pages: 6, PerPage: 5}
	h := apiHost(t, api)
	db := testDB(t)
	cfg := testConfig(h.URL + api.PageURL(1))
	cfg.Rules = apiSpecs(t, apiRules)
	cfg.StoreBody = true
	_, res := crawlRun(t, db, cfg)
	if res.Status != StatusFinished {
		t.Fatalf("status %s", res.Status)
	}

	// What the server saw: each page and product once, nothing else.
	requests := map[string]int{}
	for _, r := range h.Log.Entries() {
		requests[r.Path]++
	}
	want := map[string]int{"/robots.txt": 1}
	var wantItems []map[string]any
	var wantMisses []string
	for page := 1; page <= api.Pages; page++ {
		want[api.PageURL(page)] = 1
		var misses []string
		for i, it := range api.Items(page) {
			want[it.URL] = 1
			if it.Price == nil {
				misses = append(misses, fmt.Sprintf(`item %d of %d: required field "price" missing: null`, i+1, api.PerPage))
				continue
			}
			tags := make([]any, len(it.Tags))
			for i, tag := range it.Tags {
				tags[i] = tag
			}
			wantItems = append(wantItems, map[string]any{"id": json.Number(strconv.FormatInt(it.ID, 10)), "name": it.Name,
				"price": json.Number(strconv.FormatFloat(*it.Price, 'f', -1, 64)), "tags": tags, "url": h.URL + it.URL})
		}
		wantMisses = append(wantMisses, h.URL+api.PageURL(page)+" "+strings.Join(misses, "; "))
	}
	if !reflect.DeepEqual(requests, want) {
		t.Errorf("requests:\n%v\nwant\n%v", requests, want)
	}

	// What was stored: the items, in page order, exact.
	rows, err := db.Reader().Query(`SELECT i.url, i.data, i.miss FROM item_rows i
		WHERE i.rule = 'items' ORDER BY CAST(substr(i.url, instr(i.url, 'page=') + 5) AS INTEGER), i.idx`)
	if err != nil {
		t.Fatal(err)
	}
	var gotItems []map[string]any
	var gotMisses []string
	for rows.Next() {
		var u string
		var data, miss *string
		if err := rows.Scan(&u, &data, &miss); err != nil {
			t.Fatal(err)
		}
		if miss != nil {
			gotMisses = append(gotMisses, u+" "+*miss)
			continue
		}
		dec := json.NewDecoder(strings.NewReader(*data))
		dec.UseNumber() // the ids must be exact in the stored JSON, not rounded
		var it map[string]any
		if err := dec.Decode(&it); err != nil {
			t.Fatal(err)
		}
		gotItems = append(gotItems, it)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if !reflect.DeepEqual(gotItems, wantItems) {
		t.Errorf("%d items stored, want %d:\n%v\nwant\n%v", len(gotItems), len(wantItems), gotItems, wantItems)
	}
	if !reflect.DeepEqual(gotMisses, wantMisses) {
		t.Errorf("misses:\n%s\nwant\n%s", strings.Join(gotMisses, "\n"), strings.Join(wantMisses, "\n"))
	}
	if n := queryInt(t, db, `SELECT count(*) FROM items WHERE rule = 'products'`); n != 0 {
		t.Errorf("a rule that only follows stored %d items", n)
	}

	// The link graph: the pages and products came by follow, each edge
	// with its rule.
	if n := queryInt(t, db, `SELECT count(*) FROM urls WHERE via = 'follow'`); n != api.Pages-1+api.Pages*api.PerPage {
		t.Errorf("%d URLs with via follow, want %d", n, api.Pages-1+api.Pages*api.PerPage)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM links WHERE rel = 'follow:items'`); n != 2*(api.Pages-1) {
		t.Errorf("%d next/prev edges, want %d", n, 2*(api.Pages-1))
	}
	if n := queryInt(t, db, `SELECT count(*) FROM links WHERE rel = 'follow:products' AND to_url LIKE '%/products/%'`); n != api.Pages*api.PerPage {
		t.Errorf("%d product edges, want %d", n, api.Pages*api.PerPage)
	}
	if n := queryInt(t, db, `SELECT depth FROM urls WHERE url = ?`, h.URL+api.PageURL(api.Pages)); n != api.Pages-1 {
		t.Errorf("last page at depth %d, want %d", n, api.Pages-1)
	}

	// The JSON bodies were kept: re-extracting with the price optional
	// stores every item, without a request.
	before := h.Log.Len()
	specs := apiSpecs(t, strings.Replace(apiRules, "{json: $.price, type: float, required: true}", "{json: $.price, type: float}", 1))
	rx, err := Reextract(context.Background(), db, specs, "items", 0)
	if err != nil {
		t.Fatal(err)
	}
	if rx.Items != api.Pages*api.PerPage || rx.Misses != 0 || rx.Failed != 0 {
		t.Errorf("Reextract = %+v, want %d items", rx, api.Pages*api.PerPage)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM items WHERE rule = 'items' AND data IS NOT NULL`); n != api.Pages*api.PerPage {
		t.Errorf("%d items after Reextract", n)
	}
	if h.Log.Len() != before {
		t.Error("Reextract sent requests")
	}
}

// TestCrawlJSONAPILimits checks what bounds a JSON rule's following: the
// crawl's depth limit and scope, an X-Robots-Tag nofollow, a broken body,
// and references that are no URL.
func TestCrawlJSONAPILimits(t *testing.T) {
	api := fixtures.JSONAPI{Path: "/api/items", Pages: 10, PerPage: 2}
	h := apiHost(t, api)
	h.Handle("/odd", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.api+json")
		fmt.Fprint(w, `{"items": [{"id": 1}], "next": "mailto:x@example.com", "prev": "http://[::1]:0:bad/"}`)
	}))
	h.Handle("/away", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"items": [], "next": "http://elsewhere.example/api/items?page=1"}`)
	}))
	h.Handle("/quiet", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Robots-Tag", "nofollow")
		fmt.Fprint(w, `{"items": [{"id": 2, "price": 1}], "next": "/never"}`)
	}))
	h.Handle("/broken", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"items": [{"id": 3,]}`)
	}))
	db := testDB(t)
	cfg := testConfig(h.URL+api.PageURL(1), h.URL+"/odd", h.URL+"/away", h.URL+"/quiet", h.URL+"/broken")
	cfg.MaxDepth = 3
	cfg.Rules = apiSpecs(t, strings.ReplaceAll(apiRules, "match: /api/items", "match: /"))
	_, res := crawlRun(t, db, cfg)
	if res.Status != StatusFinished {
		t.Fatalf("status %s", res.Status)
	}

	var pages []string
	for _, r := range h.Log.Entries() {
		if strings.HasPrefix(r.Path, api.Path) {
			pages = append(pages, r.Path)
		}
	}
	sort.Strings(pages)
	if want := []string{api.PageURL(1), api.PageURL(2), api.PageURL(3), api.PageURL(4)}; !reflect.DeepEqual(pages, want) {
		t.Errorf("pages fetched %q, want %q (depth 0 to 3)", pages, want)
	}
	reason := func(u string) string {
		var s *string
		if err := db.Reader().QueryRow(`SELECT reason FROM urls WHERE url = ?`, u).Scan(&s); err != nil {
			return "not recorded: " + err.Error()
		}
		if s == nil {
			return ""
		}
		return *s
	}
	for u, want := range map[string]string{
		h.URL + api.PageURL(5):                      ClassMaxDepth,
		"http://elsewhere.example/api/items?page=1": ClassOutOfScope,
		"mailto:x@example.com":                      ClassScheme,
		"http://[::1]:0:bad/":                       ClassBadURL,
	} {
		if got := reason(u); got != want {
			t.Errorf("%s: reason %q, want %q", u, got, want)
		}
	}
	if got := reason(h.URL + "/never"); !strings.HasPrefix(got, "not recorded") {
		t.Errorf("/never was recorded (reason %q) despite X-Robots-Tag: nofollow", got)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM items i JOIN urls u ON u.id = i.url_id WHERE u.url = ? AND i.data IS NOT NULL`, h.URL+"/quiet"); n != 1 {
		t.Errorf("/quiet: %d items, want 1 (nofollow stops links, not items)", n)
	}
	var class, msg string
	if err := db.Reader().QueryRow(`SELECT f.error_class, f.error FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.url = ?`,
		h.URL+"/broken").Scan(&class, &msg); err != nil {
		t.Fatal(err)
	}
	if class != ClassParse || !strings.Contains(msg, "invalid character ']'") {
		t.Errorf("/broken: %s %q, want a parse error", class, msg)
	}
}

// TestJSONResponsesWithoutRules checks that a JSON response is left alone
// (no decoding, no error) when no JSON rule matches its URL, as before JSON
// rules existed.
func TestJSONResponsesWithoutRules(t *testing.T) {
	h := fixtures.MustHost(t, fixtures.HostConfig{}, nil)
	h.Handle("/broken", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"next": "/more",`)
	}))
	db := testDB(t)
	cfg := testConfig(h.URL + "/broken")
	cfg.Rules = apiSpecs(t, apiRules) // match /api/items only
	crawlRun(t, db, cfg)
	if n := queryInt(t, db, `SELECT count(*) FROM fetches WHERE error_class IS NOT NULL`); n != 0 {
		t.Errorf("%d fetches with an error", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM urls`); n != 1 {
		t.Errorf("%d URLs, want only the seed", n)
	}
}
