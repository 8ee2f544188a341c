package extract

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// shopAPI is one page of a paginated product API: three products, the
// third without a price, the first with variants (one lacking its sku).
const shopAPI = `{
  "total": 3,
  "next": "/api/items?page=2",
  "prev": null,
  "links": {"self": " ?page=1 ", "more": ["https://cdn.example/a", "", 7, null]},
  "items": [
    {"id": 9007199254740993, "name": "  Wool\n   hat ", "price": 12.5, "stock": 12, "sale": true,
     "url": "hats/wool?c=red#top", "tags": ["wool", " warm ", "", null], "added": "2024-03-01T10:00:00+01:00",
     "weight": "1,5 kg", "rating": 4.0, "code": "007",
     "variants": [{"sku": "H-RED", "color": "Red"}, {"color": "Green"}]},
    {"id": 2, "name": "Scarf", "price": "15", "stock": null, "sale": false, "url": "https://other.example/scarf",
     "tags": [], "added": "Feb 29, 2024", "note": "last one", "meta": {"a": 1}},
    {"id": 3, "name": "Gloves", "price": null}
  ]
}`

// shopAPIRules is the YAML for shopAPI; its line numbers matter below.
const shopAPIRules = `rules:
  - name: products
    match: /api/
    select: $.items[*]
    follow: $.next
    fields:
      id: $.id
      name: {json: $.name, required: true}
      price: {json: $.price, type: float, required: true}
      stock: $.stock
      sale: $.sale
      url: {json: $.url, type: url}
      tags: {json: "$.tags[*]", all: true}
      added: {json: $.added, type: date}
      weight: {json: $.weight, regex: '([0-9,]+)', type: float}
      rating: $.rating
      code: {json: $.code, type: int}
      note: {json: $.note, default: none}
      variants:
        select: $.variants[*]
        fields:
          sku: {json: $.sku, required: true}
          color: $.color
  - name: page
    fields:
      total: $.total
      first: {json: "$.items[0].name"}
      names: {json: "$.items[*].name", all: true}
  - name: links
    follow: $.links..*
  - name: html
    select: .product
    fields:
      name: h2
`

func mustJSON(tb testing.TB, src, pageURL string) *JSONDoc {
	tb.Helper()
	d, err := ParseJSON([]byte(src), mustURL(tb, pageURL))
	if err != nil {
		tb.Fatalf("ParseJSON: %v", err)
	}
	return d
}

func TestJSONRulesShop(t *testing.T) {
	rules := mustRules(t, shopAPIRules)
	for i, want := range []bool{true, true, true, false} {
		if rules[i].ForJSON() != want {
			t.Errorf("rule %s: ForJSON = %v", rules[i].Name(), !want)
		}
	}
	d := mustJSON(t, shopAPI, "https://shop.example/api/items?page=1")

	items, miss := rules[0].ExtractJSON(d)
	want := []map[string]any{
		{
			"id":     int64(9007199254740993), // above 2^53: not rounded
			"name":   "Wool hat",
			"price":  12.5,
			"stock":  int64(12),
			"sale":   true,
			"url":    "https://shop.example/api/hats/wool?c=red#top",
			"tags":   []any{"wool", "warm"},
			"added":  "2024-03-01T10:00:00+01:00",
			"weight": 1.5,
			"rating": 4.0, // written with a fraction: a float
			"code":   int64(7),
			"note":   "none",
			"variants": []map[string]any{
				{"sku": "H-RED", "color": "Red"},
			}, // Green has no sku: left out
		},
		{
			"id":    int64(2),
			"name":  "Scarf",
			"price": 15.0, // a numeric string converts when a type asks for it
			"sale":  false,
			"url":   "https://other.example/scarf",
			"added": "2024-02-29T00:00:00Z",
			"note":  "last one",
		},
	}
	if !reflect.DeepEqual(items, want) {
		t.Errorf("items =\n%s\nwant\n%s", dump(items), dump(want))
	}
	const wantMiss = `item 3 of 3: required field "price" missing: null`
	if miss != wantMiss {
		t.Errorf("miss = %q\nwant   %q", miss, wantMiss)
	}
	if got := rules[0].Follow(d); !reflect.DeepEqual(got, []string{"/api/items?page=2"}) {
		t.Errorf("Follow = %q", got)
	}

	items, miss = rules[1].ExtractJSON(d)
	wantPage := []map[string]any{{"total": int64(3), "first": "Wool hat", "names": []any{"Wool hat", "Scarf", "Gloves"}}}
	if miss != "" || !reflect.DeepEqual(items, wantPage) {
		t.Errorf("page rule = %s, %q; want %s", dump(items), miss, dump(wantPage))
	}
	if got := rules[1].Follow(d); got != nil {
		t.Errorf("a rule without follow follows %q", got)
	}

	// A rule that only follows: no items, no miss; strings only, trimmed,
	// empty ones and other values left out, object members by name.
	items, miss = rules[2].ExtractJSON(d)
	if items != nil || miss != "" {
		t.Errorf("follow-only rule = %v, %q", items, miss)
	}
	if got, want := rules[2].Follow(d), []string{"https://cdn.example/a", "?page=1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Follow = %q, want %q", got, want)
	}

	// An HTML rule does nothing on JSON, a JSON rule nothing on HTML.
	if items, miss := rules[3].ExtractJSON(d); items != nil || miss != "" {
		t.Errorf("HTML rule on JSON = %v, %q", items, miss)
	}
	h := mustParse(t, `<div class="product"><h2>x</h2></div>`, "https://shop.example/api/")
	if items, miss := rules[0].Extract(h); items != nil || miss != "" {
		t.Errorf("JSON rule on HTML = %v, %q", items, miss)
	}
	if _, err := json.Marshal(items); err != nil {
		t.Errorf("items do not encode: %v", err)
	}
}

// TestJSONRuleFields runs one-field rules on small documents: what each
// kind of JSON value gives with each type, and what makes one missing.
func TestJSONRuleFields(t *testing.T) {
	tests := []struct {
		name  string
		field string // the field's YAML, under "v:"
		doc   string
		want  any    // nil: missing
		why   string // the miss when required (with the field made required)
	}{
		{"string", `$.v`, `{"v": " a  b "}`, "a b", ""},
		{"string untrimmed", `{json: $.v, trim: false}`, `{"v": " a  b "}`, " a  b ", ""},
		{"empty string", `$.v`, `{"v": "  "}`, nil, "empty"},
		{"int", `$.v`, `{"v": -42}`, int64(-42), ""},
		{"int too big for int64 is a float", `$.v`, `{"v": 12345678901234567890}`, 12345678901234567890.0, ""},
		{"float", `$.v`, `{"v": 2.5e3}`, 2500.0, ""},
		{"number out of range", `$.v`, `{"v": 1e999}`, nil, `"1e999" is out of range`},
		{"number as string", `{json: $.v, type: string}`, `{"v": 1.50}`, "1.50", ""},
		{"number to int", `{json: $.v, type: int}`, `{"v": 3.0}`, int64(3), ""},
		{"fraction is no int", `{json: $.v, type: int}`, `{"v": 3.5}`, nil, `"3.5" is not an int`},
		{"string to int", `{json: $.v, type: int}`, `{"v": "1,299"}`, int64(1299), ""},
		{"regex on a number", `{json: $.v, regex: '^(\d)'}`, `{"v": 42}`, "4", ""},
		{"regex miss", `{json: $.v, regex: 'x(\d)'}`, `{"v": "abc"}`, nil, `regex does not match "abc"`},
		{"bool", `$.v`, `{"v": false}`, false, ""},
		{"bool to string", `{json: $.v, type: string}`, `{"v": true}`, "true", ""},
		{"string to bool", `{json: $.v, type: bool}`, `{"v": "yes"}`, true, ""},
		{"bool is no int", `{json: $.v, type: int}`, `{"v": true}`, nil, `"true" is not an int`},
		{"null", `$.v`, `{"v": null}`, nil, "null"},
		{"absent", `$.v`, `{"w": 1}`, nil, `no value matches "$.v"`},
		{"object", `$.v`, `{"v": {"a": 1}}`, nil, "an object, not a value (a nested field reads its members)"},
		{"list", `$.v`, `{"v": [1, 2]}`, nil, "a list, not a value ($.v[*] with all: true selects its elements)"},
		{"list elements", `{json: "$.v[*]", all: true, type: int}`, `{"v": [1, "x", "2"]}`, []any{int64(1), int64(2)}, ""},
		{"no list element converts", `{json: "$.v[*]", all: true, type: int}`, `{"v": ["x"]}`, nil, `"x" is not an int`},
		{"first match", `$..n`, `{"a": {"n": "one"}, "b": {"n": "two"}}`, "one", ""},
		{"filter", `{json: "$.v[?@.k == 'b'].x"}`, `{"v": [{"k": "a", "x": 1}, {"k": "b", "x": 2}]}`, int64(2), ""},
		{"function", `{json: "$.v[?length(@) > 2]"}`, `{"v": ["ab", "abc"]}`, "abc", ""},
		{"date", `{json: $.v, type: date}`, `{"v": "March 1st, 2024"}`, "2024-03-01T00:00:00Z", ""},
		{"url", `{json: $.v, type: url}`, `{"v": "../b?q=1"}`, "https://api.example/b?q=1", ""},
		{"url with other scheme", `{json: $.v, type: url}`, `{"v": "javascript:x()"}`, nil, `"javascript:x()" is not a url`},
		{"default when absent", `{json: $.v, default: 0}`, `{}`, int64(0), ""},
		{"default when null", `{json: $.v, type: float, default: 1}`, `{"v": null}`, 1.0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "- name: r\n  fields:\n    v: " + tt.field + "\n    k: {json: $.k, default: x}\n"
			// k keeps an item whose only other field has a default from
			// being a miss for having no field found.
			doc := tt.doc
			if !strings.Contains(doc, `"k"`) {
				doc = strings.Replace(doc, "{", `{"k": 1, `, 1)
				doc = strings.Replace(doc, ", }", "}", 1)
			}
			r := mustRules(t, src)[0]
			items, miss := r.ExtractJSON(mustJSON(t, doc, "https://api.example/a/list"))
			if miss != "" || len(items) != 1 {
				t.Fatalf("ExtractJSON = %v, %q", items, miss)
			}
			got, ok := items[0]["v"]
			if tt.want == nil {
				if ok {
					t.Errorf("v = %#v, want missing", got)
				}
			} else if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("v = %#v, want %#v", got, tt.want)
			}
			if tt.want != nil || strings.Contains(tt.field, "default") {
				return
			}
			// Required, the same field says why it is missing.
			field := tt.field
			if strings.HasPrefix(field, "{") {
				field = strings.Replace(field, "{", "{required: true, ", 1)
			} else {
				field = "{required: true, json: " + field + "}"
			}
			r = mustRules(t, "- name: r\n  fields:\n    v: "+field+"\n")[0]
			items, miss = r.ExtractJSON(mustJSON(t, doc, "https://api.example/a/list"))
			want := `required field "v" missing: ` + tt.why
			if items != nil || miss != want {
				t.Errorf("required: %v, %q\nwant miss %q", items, miss, want)
			}
		})
	}
}

func TestJSONRuleMisses(t *testing.T) {
	r := mustRules(t, `- name: r
  select: $.items[*]
  fields:
    id: {json: $.id, type: int, required: true}
    name: $.name
`)[0]
	d := func(src string) *JSONDoc { return mustJSON(t, src, "https://api.example/") }
	for _, tt := range []struct{ doc, miss string }{
		{`{"items": []}`, `select "$.items[*]" matched nothing`},
		{`[1, 2]`, `select "$.items[*]" matched nothing`},
		{`{"items": [{"id": 1}, {"name": "x"}, {"id": "two"}, {}, {"id": null}, {"id": 6}]}`,
			`item 2 of 6: required field "id" missing: no value matches "$.id"; ` +
				`item 3 of 6: required field "id" missing: "two" is not an int; ` +
				`item 4 of 6: required field "id" missing: no value matches "$.id"; and 1 more`},
	} {
		items, miss := r.ExtractJSON(d(tt.doc))
		if miss != tt.miss {
			t.Errorf("%s: miss = %q\nwant %q", tt.doc, miss, tt.miss)
		}
		if strings.Contains(tt.doc, `"id": 6`) && len(items) != 2 {
			t.Errorf("%s: %d complete items, want 2", tt.doc, len(items))
		}
	}

	// An item none of whose fields is found is a miss, defaults or not.
	r = mustRules(t, "- name: r\n  select: $[*]\n  fields:\n    a: $.a\n    b: {json: $.b, default: 1}\n")[0]
	items, miss := r.ExtractJSON(d(`[{"a": "x"}, {"c": 1}]`))
	if len(items) != 1 || miss != "item 2 of 2: no field found" {
		t.Errorf("ExtractJSON = %v, %q", items, miss)
	}

	// Without select, the response is the item.
	r = mustRules(t, "- name: r\n  fields:\n    a: {json: $.a, required: true}\n")[0]
	if items, miss := r.ExtractJSON(d(`{"b": 1}`)); items != nil || miss != `required field "a" missing: no value matches "$.a"` {
		t.Errorf("ExtractJSON = %v, %q", items, miss)
	}
	if items, miss := r.ExtractJSON(nil); items != nil || miss != "no document" {
		t.Errorf("ExtractJSON(nil) = %v, %q", items, miss)
	}

	// A field without json is the item's value itself.
	r = mustRules(t, "- name: r\n  select: $.tags[*]\n  fields:\n    tag: {type: string}\n")[0]
	items, miss = r.ExtractJSON(d(`{"tags": ["a", 2, null]}`))
	if miss != "item 3 of 3: no field found" || !reflect.DeepEqual(items, []map[string]any{{"tag": "a"}, {"tag": "2"}}) {
		t.Errorf("ExtractJSON = %v, %q", items, miss)
	}
}

func TestJSONRuleErrors(t *testing.T) {
	const src = `rules:
  - name: a
    select: $.items[
    follow: $..
    fields:
      x: {json: "$.x[?@.y =="}
      y: {json: items}
      z: {json: $.z, take: text}
      c: {css: h1}
      n: {select: "$.v[", fields: {k: $.k}}
      m: {json: $.m, fields: {k: $.k}}
      t: {json: $.t, type: int, default: x}
      d: {json: $.d, default: [1]}
  - name: b
    fields:
      h: h1
      j: $.j
  - name: c
    fields:
      e: {type: int}
  - name: f
    follow: $.next
`
	specs, err := ParseRuleSpecs("api.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := CompileRules("api.yaml", specs)
	if err == nil || rules != nil {
		t.Fatalf("CompileRules = %v, %v", rules, err)
	}
	want := []string{
		`api.yaml:2: rule "a": select: bad JSONPath "$.items[": unexpected eof at position 9`,
		`api.yaml:2: rule "a": follow: bad JSONPath "$..": unexpected eof`,
		`api.yaml:6: rule "a": field "x": json: bad JSONPath "$.x[?@.y ==": `,
		`api.yaml:7: rule "a": field "y": json: bad JSONPath "items": unexpected identifier at position 1; a JSONPath starts with "$"`,
		`api.yaml:8: rule "a": field "z": take does not apply to a json field`,
		`api.yaml:9: rule "a": field "c": css in a JSON rule (it has follow): a rule reads HTML (css) or JSON (json), not both`,
		`api.yaml:10: rule "a": field "n": select: bad JSONPath "$.v[": `,
		`api.yaml:11: rule "a": field "m": a field with fields needs select: the sub-items' JSONPath`,
		`api.yaml:11: rule "a": field "m": json does not apply to a nested field`,
		`api.yaml:12: rule "a": field "t": default: "x" is not an int`,
		`api.yaml:13: rule "a": field "d": default: [1] is not a JSON string, number or boolean`,
		`api.yaml:16: rule "b": field "h": css in a JSON rule (field "j" uses json)`,
		// A field of a rule without select and without json or css.
		`api.yaml:20: rule "c": field "e": css is empty, and without select there is no item element`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("%d errors, want %d:\n%s", len(lines), len(want), err)
	}
	for i, w := range want {
		if i < len(lines) && !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d:\n  %s\nwant prefix\n  %s", i, lines[i], w)
		}
	}
}

func TestJSONRuleSpecRoundTrip(t *testing.T) {
	specs, err := ParseRuleSpecs("api.yaml", []byte(shopAPIRules))
	if err != nil {
		t.Fatal(err)
	}
	if f := specs[0].Fields[0]; f.JSON != "$.id" || f.CSS != "" {
		t.Errorf("short form $.id = %+v, want a json field", f)
	}
	data, err := json.Marshal(specs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"follow":"$.next"`) || !strings.Contains(string(data), `"json":"$.id"`) {
		t.Errorf("stored specs lack follow or json: %s", data)
	}
	back, err := ParseRuleSpecs("stored.json", data)
	if err != nil {
		t.Fatal(err)
	}
	r1, err := CompileRules("api.yaml", specs)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := CompileRules("stored", back)
	if err != nil {
		t.Fatal(err)
	}
	d := mustJSON(t, shopAPI, "https://shop.example/api/items")
	for i := range r1 {
		i1, m1 := r1[i].ExtractJSON(d)
		i2, m2 := r2[i].ExtractJSON(d)
		if !reflect.DeepEqual(i1, i2) || m1 != m2 || !reflect.DeepEqual(r1[i].Follow(d), r2[i].Follow(d)) {
			t.Errorf("rule %s: YAML and stored specs extract differently:\n%s\n%s", r1[i].Name(), dump(i1), dump(i2))
		}
	}
}

func TestParseJSON(t *testing.T) {
	u := mustURL(t, "https://api.example/x?token=1")
	for _, tt := range []struct{ body, err string }{
		{"\xef\xbb\xbf{\"a\": 1}", ""},
		{` [1, "two", null] `, ""},
		{`{"a": 1`, "the body ends before the JSON value does"},
		{``, "the body ends before the JSON value does"},
		{`{"a": 1} {"b": 2}`, "data after the JSON value at byte 10"},
		{`{"a": 1,}`, "invalid character '}' looking for beginning of object key string (at byte 9)"},
		{`<html>`, "invalid character '<' looking for beginning of value (at byte 1)"},
	} {
		d, err := ParseJSON([]byte(tt.body), u)
		if tt.err == "" {
			if err != nil || d == nil {
				t.Errorf("%q: %v", tt.body, err)
			}
			continue
		}
		if err == nil || !strings.HasSuffix(err.Error(), tt.err) || !strings.Contains(err.Error(), "https://api.example/x") {
			t.Errorf("%q: error %v, want one naming the URL and ending %q", tt.body, err, tt.err)
		}
	}
	if _, err := ParseJSON([]byte(`{}`), nil); err == nil {
		t.Error("nil URL accepted")
	}
}

func TestIsJSON(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json":                    true,
		"application/json; charset=utf-8":     true,
		"Application/JSON":                    true,
		"application/ld+json":                 true,
		"application/vnd.api+json; v=2":       true,
		"application/problem+json":            true,
		"text/json":                           false,
		"text/html":                           false,
		"application/jsonl":                   false,
		"application/x-ndjson":                false,
		"":                                    false,
		"application/json; charset=\"broken":  false,
		"text/javascript; charset=utf-8":      false,
		"application/geo+json-seq":            false,
		"application/hal+json;profile=x;a=b":  true,
		"application/vnd.github.v3+json":      true,
		"multipart/form-data; boundary=+json": false,
	} {
		if got := IsJSON(ct); got != want {
			t.Errorf("IsJSON(%q) = %v", ct, got)
		}
	}
}

// TestJSONRulesConcurrent runs the same rules on the same JSONDoc from
// several goroutines, as fetch workers do; run with -race.
func TestJSONRulesConcurrent(t *testing.T) {
	rules := mustRules(t, shopAPIRules)
	d := mustJSON(t, shopAPI, "https://shop.example/api/items")
	want, _ := rules[0].ExtractJSON(d)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for range 20 {
				for _, r := range rules {
					items, _ := r.ExtractJSON(d)
					r.Follow(d)
					if r == rules[0] && !reflect.DeepEqual(items, want) {
						t.Errorf("goroutine %d: different items", g)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestJSONRuleObjectOrder checks that values selected among an object's
// members come by name, the same every run: a Go map, which a decoded
// object is, changes its order from one iteration to the next.
func TestJSONRuleObjectOrder(t *testing.T) {
	r := mustRules(t, "- name: r\n  select: $.data.*\n  follow: $..href\n  fields:\n    n: $.n\n")[0]
	d := mustJSON(t, `{"data": {"k": {"n": 11, "href": "/k"}, "b": {"n": 2, "href": "/b"}, "x": {"n": 24},
		"a": {"n": 1, "href": "/a"}, "c": {"n": 3}, "j": {"n": 10}, "d": {"n": 4}, "e": {"n": 5}}}`, "https://api.example/")
	want := []map[string]any{{"n": int64(1)}, {"n": int64(2)}, {"n": int64(3)}, {"n": int64(4)}, {"n": int64(5)},
		{"n": int64(10)}, {"n": int64(11)}, {"n": int64(24)}}
	for range 20 {
		items, miss := r.ExtractJSON(d)
		if miss != "" || !reflect.DeepEqual(items, want) {
			t.Fatalf("ExtractJSON = %v, %q", items, miss)
		}
		if got := r.Follow(d); !reflect.DeepEqual(got, []string{"/a", "/b", "/k"}) {
			t.Fatalf("Follow = %q", got)
		}
	}
}

// BenchmarkJSONRules measures a JSON rule's whole work on one response of a
// paginated API (116 KB, 100 items with nested objects and long text):
// decoding, the items, five fields each and the next page's URL.
func BenchmarkJSONRules(b *testing.B) {
	items := make([]any, 100)
	for i := range items {
		labels := []any{}
		for j := range i % 4 {
			labels = append(labels, map[string]any{"id": 1000 + j, "name": "label-" + strconv.Itoa(j), "color": "ededed"})
		}
		items[i] = map[string]any{
			"id": 9007199254740993 + i, "number": 4000 + i, "title": "Crash when parsing page " + strconv.Itoa(i),
			"state": "open", "locked": false, "comments": i * 3, "price": 10.5 + float64(i),
			"created_at": "2026-01-02T03:04:05Z", "html_url": "/owner/repo/issues/" + strconv.Itoa(4000+i),
			"user":      map[string]any{"login": "user" + strconv.Itoa(i), "id": 100 + i, "avatar_url": "https://avatars.example/u/1"},
			"labels":    labels,
			"body":      strings.Repeat("Steps to reproduce: open the page, watch it fail. ", 11),
			"reactions": map[string]any{"total_count": i, "+1": i / 2},
		}
	}
	body, err := json.Marshal(map[string]any{"total_count": 5000, "items": items, "next": "/api/items?page=2"})
	if err != nil {
		b.Fatal(err)
	}
	r := mustRules(b, `- name: issues
  select: $.items[*]
  follow: $.next
  fields:
    id: $.id
    title: {json: $.title, required: true}
    user: $.user.login
    labels: {json: "$.labels[*].name", all: true}
    price: {json: $.price, type: float}
`)[0]
	u := mustURL(b, "https://api.example/api/items?page=1")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := ParseJSON(body, u)
		if err != nil {
			b.Fatal(err)
		}
		got, miss := r.ExtractJSON(d)
		if len(got) != 100 || miss != "" || len(r.Follow(d)) != 1 {
			b.Fatalf("%d items, miss %q", len(got), miss)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}
