package extract

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// shopPage is a product listing: three cards, the third without a price,
// the first with variants (one lacking its required sku).
const shopPage = `<!DOCTYPE html>
<html><head><title>Shop</title><base href="/shop/"></head><body>
<h1>Winter sale</h1>
<div class="product" data-id="101" data-instock="yes">
  <h2 class="name"> Wool
     hat </h2>
  <a class="link" href="hat.html?c=red#top">details</a>
  <img src="/img/hat.jpg" alt="hat">
  <span class="price">$1,299.50</span>
  <span class="stock">12 left</span>
  <time datetime="2024-03-01T10:00:00+01:00">March 1st, 2024</time>
  <ul class="tags"><li>wool</li><li> warm </li><li> </li></ul>
  <ul class="variants">
    <li class="variant" data-sku="H-RED"><span class="color">Red</span> <span class="vp">10</span></li>
    <li class="variant" data-sku="H-BLU"><span class="color">Blue</span> <span class="vp">eleven</span></li>
    <li class="variant"><span class="color">Green</span></li>
  </ul>
</div>
<div class="product" data-id="102" data-instock="no">
  <h2 class="name">Scarf</h2>
  <a class="link" href="https://other.example/scarf">details</a>
  <span class="price">€ 15</span>
  <time datetime="2024-02-29">Feb 29</time>
  <span class="badge">new</span>
</div>
<div class="product" data-id="103">
  <h2 class="name">Gloves</h2>
  <span class="price-tbd">soon</span>
</div>
</body></html>`

// shopRules is the YAML for the shop page; its line numbers are used below.
const shopRules = `rules:
  - name: products
    match: /shop/
    select: .product
    fields:
      name: .name
      id: {take: "attr:data-id", type: int}
      url: {css: a.link, take: "attr:href", type: url}
      image: {css: img, take: "attr:src", type: url}
      price: {css: .price, regex: '([0-9][0-9.,]*)', type: float, required: true}
      stock: {css: .stock, regex: '\d+', type: int}
      in_stock: {take: "attr:data-instock", type: bool}
      released: {css: time, take: "attr:datetime", type: date}
      tags: {css: .tags li, all: true}
      badge: {css: .badge, default: none}
      variants:
        select: .variant
        fields:
          sku: {take: "attr:data-sku", required: true}
          color: .color
          price: {css: .vp, type: int}
  - name: page
    fields:
      heading: h1
      count: {css: .product, take: "attr:data-id", all: true, type: int}
`

func mustRules(tb testing.TB, src string) []*Rule {
	tb.Helper()
	specs, err := ParseRuleSpecs("test.yaml", []byte(src))
	if err != nil {
		tb.Fatalf("ParseRuleSpecs: %v", err)
	}
	rules, err := CompileRules("test.yaml", specs)
	if err != nil {
		tb.Fatalf("CompileRules: %v", err)
	}
	return rules
}

func TestRulesShop(t *testing.T) {
	rules := mustRules(t, shopRules)
	d := mustParse(t, shopPage, "https://example.com/shop/winter")
	if !rules[0].Matches("https://example.com/shop/winter") || rules[0].Matches("https://example.com/blog/") {
		t.Error("Matches does not follow match:")
	}
	if !rules[1].Matches("https://anything.example/") {
		t.Error("a rule without match must match every page")
	}

	items, miss := rules[0].Extract(d)
	want := []map[string]any{
		{
			"name":     "Wool hat",
			"id":       int64(101),
			"url":      "https://example.com/shop/hat.html?c=red#top",
			"image":    "https://example.com/img/hat.jpg",
			"price":    1299.5,
			"stock":    int64(12),
			"in_stock": true,
			"released": "2024-03-01T10:00:00+01:00",
			"tags":     []any{"wool", "warm"},
			"badge":    "none",
			"variants": []map[string]any{
				{"sku": "H-RED", "color": "Red", "price": int64(10)},
				{"sku": "H-BLU", "color": "Blue"}, // "eleven" is not an int: missing
			}, // Green has no sku: left out
		},
		{
			"name":     "Scarf",
			"id":       int64(102),
			"url":      "https://other.example/scarf",
			"price":    15.0,
			"in_stock": false,
			"released": "2024-02-29T00:00:00Z",
			"badge":    "new",
		},
	}
	if !reflect.DeepEqual(items, want) {
		t.Errorf("items =\n%s\nwant\n%s", dump(items), dump(want))
	}
	const wantMiss = `item 3 of 3: required field "price" missing: no element matches ".price"`
	if miss != wantMiss {
		t.Errorf("miss = %q\nwant   %q", miss, wantMiss)
	}

	items, miss = rules[1].Extract(d)
	wantPage := []map[string]any{{"heading": "Winter sale", "count": []any{int64(101), int64(102), int64(103)}}}
	if miss != "" || !reflect.DeepEqual(items, wantPage) {
		t.Errorf("page rule = %s, %q; want %s", dump(items), miss, dump(wantPage))
	}
	// The items must encode as JSON, which is how the store keeps them.
	if _, err := json.Marshal(items); err != nil {
		t.Errorf("items do not encode: %v", err)
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// TestRuleFields runs one-field rules on small pages: every take, type
// and option, and what makes a value missing.
func TestRuleFields(t *testing.T) {
	f := false
	tests := []struct {
		name  string
		html  string
		field FieldSpec
		want  any // nil: missing
		why   string
	}{
		{"text collapsed", "<p class=x> a  <b>b</b>\n c&nbsp;</p>", FieldSpec{CSS: ".x"}, "a b c", ""},
		{"text untrimmed", "<p class=x> a  <b>b</b>\n c</p>", FieldSpec{CSS: ".x", Trim: &f}, " a  b\n c", ""},
		{"text blocks apart", "<ul><li>a</li><li>b<br>c</li></ul>", FieldSpec{CSS: "ul"}, "a b c", ""},
		{"text without script", "<div id=d>x<script>var y</script><style>p{}</style>z</div>", FieldSpec{CSS: "#d"}, "xz", ""},
		{"first match only", "<i>1</i><i>2</i>", FieldSpec{CSS: "i"}, "1", ""},
		{"selector group", "<b>bold</b><i>it</i>", FieldSpec{CSS: "i, b"}, "bold", ""},
		{"empty text is missing", "<p class=x> </p>", FieldSpec{CSS: ".x"}, nil, `required field "v" missing: empty`},
		{"no match", "<p>x</p>", FieldSpec{CSS: ".none"}, nil, `required field "v" missing: no element matches ".none"`},
		{"inner html", `<div id=d> <b class="k">hi</b> there </div>`, FieldSpec{CSS: "#d", Take: "html"}, `<b class="k">hi</b> there`, ""},
		{"outer html", `<div id=d><b>hi</b></div>`, FieldSpec{CSS: "#d b", Take: "outer_html"}, `<b>hi</b>`, ""},
		{"attr", `<a href=" /x  y ">t</a>`, FieldSpec{CSS: "a", Take: "attr:href"}, "/x y", ""},
		{"attr untrimmed", `<a href=" /x ">t</a>`, FieldSpec{CSS: "a", Take: "attr:href", Trim: &f}, " /x ", ""},
		{"attr case-insensitive", `<svg viewBox="0 0 1 1"></svg>`, FieldSpec{CSS: "svg", Take: "attr:viewbox"}, "0 0 1 1", ""},
		{"attr absent", `<a>t</a>`, FieldSpec{CSS: "a", Take: "attr:href"}, nil, `required field "v" missing: no attribute "href"`},
		{"regex group", `<p>Price: USD 12.50 incl.</p>`, FieldSpec{CSS: "p", Regex: `USD ([\d.]+)`}, "12.50", ""},
		{"regex whole match", `<p>ref ABC-123 x</p>`, FieldSpec{CSS: "p", Regex: `[A-Z]+-\d+`}, "ABC-123", ""},
		{"regex no match", `<p>none</p>`, FieldSpec{CSS: "p", Regex: `\d+`}, nil, `required field "v" missing: regex does not match "none"`},
		{"int", `<p>-1,299</p>`, FieldSpec{CSS: "p", Type: "int"}, int64(-1299), ""},
		{"int minus sign", `<p>−7</p>`, FieldSpec{CSS: "p", Type: "int"}, int64(-7), ""},
		{"int zero fraction", `<p>12.00</p>`, FieldSpec{CSS: "p", Type: "int"}, int64(12), ""},
		{"int spaces", "<p>1 000 000</p>", FieldSpec{CSS: "p", Type: "int"}, int64(1000000), ""},
		{"int indian grouping", "<p>1,00,000</p>", FieldSpec{CSS: "p", Type: "int"}, int64(100000), ""},
		{"int of text", `<p>abc</p>`, FieldSpec{CSS: "p", Type: "int"}, nil, `required field "v" missing: "abc" is not an int`},
		{"int with fraction", `<p>12.5</p>`, FieldSpec{CSS: "p", Type: "int"}, nil, `required field "v" missing: "12.5" is not an int`},
		{"int overflow", `<p>99999999999999999999</p>`, FieldSpec{CSS: "p", Type: "int"}, nil, `required field "v" missing: "99999999999999999999" is not an int`},
		{"int bad grouping", `<p>1.2.3</p>`, FieldSpec{CSS: "p", Type: "int"}, nil, `required field "v" missing: "1.2.3" is not an int`},
		{"float", `<p>1,299.95</p>`, FieldSpec{CSS: "p", Type: "float"}, 1299.95, ""},
		{"float european", `<p>1.299,95</p>`, FieldSpec{CSS: "p", Type: "float"}, 1299.95, ""},
		{"float decimal comma", `<p>12,5</p>`, FieldSpec{CSS: "p", Type: "float"}, 12.5, ""},
		{"float exponent", `<p>1.5e3</p>`, FieldSpec{CSS: "p", Type: "float"}, 1500.0, ""},
		{"float leading dot", `<p>.5</p>`, FieldSpec{CSS: "p", Type: "float"}, 0.5, ""},
		{"float NaN", `<p>NaN</p>`, FieldSpec{CSS: "p", Type: "float"}, nil, `required field "v" missing: "NaN" is not a float`},
		{"float out of range", `<p>1e999</p>`, FieldSpec{CSS: "p", Type: "float"}, nil, `required field "v" missing: "1e999" is not a float`},
		{"float with currency", `<p>$5</p>`, FieldSpec{CSS: "p", Type: "float"}, nil, `required field "v" missing: "$5" is not a float`},
		{"bool yes", `<p>Yes</p>`, FieldSpec{CSS: "p", Type: "bool"}, true, ""},
		{"bool off", `<p>off</p>`, FieldSpec{CSS: "p", Type: "bool"}, false, ""},
		{"bool maybe", `<p>maybe</p>`, FieldSpec{CSS: "p", Type: "bool"}, nil, `required field "v" missing: "maybe" is not a bool`},
		{"date only", `<p>2024-03-01</p>`, FieldSpec{CSS: "p", Type: "date"}, "2024-03-01T00:00:00Z", ""},
		{"date rfc3339 fraction", `<p>2024-03-01T10:00:00.250Z</p>`, FieldSpec{CSS: "p", Type: "date"}, "2024-03-01T10:00:00.25Z", ""},
		{"date no zone", `<p>2024-03-01 10:30</p>`, FieldSpec{CSS: "p", Type: "date"}, "2024-03-01T10:30:00Z", ""},
		{"date offset without colon", `<p>2024-03-01T10:00:00+0200</p>`, FieldSpec{CSS: "p", Type: "date"}, "2024-03-01T10:00:00+02:00", ""},
		{"date http", `<p>Fri, 01 Mar 2024 10:00:00 GMT</p>`, FieldSpec{CSS: "p", Type: "date"}, "2024-03-01T10:00:00Z", ""},
		{"date us zone", `<p>Fri, 1 Mar 2024 10:00:00 PST</p>`, FieldSpec{CSS: "p", Type: "date"}, "2024-03-01T10:00:00-08:00", ""},
		{"date ambiguous zone", `<p>Fri, 1 Mar 2024 10:00:00 IST</p>`, FieldSpec{CSS: "p", Type: "date"}, nil, `required field "v" missing: "Fri, 1 Mar 2024 10:00:00 IST" is not a date`},
		{"date prose ordinal", `<p>march 1st,  2024</p>`, FieldSpec{CSS: "p", Type: "date"}, "2024-03-01T00:00:00Z", ""},
		{"date day month", `<p>1 Mar 2024</p>`, FieldSpec{CSS: "p", Type: "date"}, "2024-03-01T00:00:00Z", ""},
		{"date nonsense", `<p>yesterday</p>`, FieldSpec{CSS: "p", Type: "date"}, nil, `required field "v" missing: "yesterday" is not a date`},
		{"url relative", `<a href="../b c.html?q=1#f">x</a>`, FieldSpec{CSS: "a", Take: "attr:href", Type: "url"}, "https://example.com/b%20c.html?q=1#f", ""},
		{"url fragment only", `<a href="#top">x</a>`, FieldSpec{CSS: "a", Take: "attr:href", Type: "url"}, "https://example.com/dir/page.html#top", ""},
		{"url idn", `<a href="https://bücher.example/">x</a>`, FieldSpec{CSS: "a", Take: "attr:href", Type: "url"}, "https://xn--bcher-kva.example/", ""},
		{"url mailto", `<a href="mailto:a@example.com">x</a>`, FieldSpec{CSS: "a", Take: "attr:href", Type: "url"}, "mailto:a@example.com", ""},
		{"url javascript", `<a href="javascript:go()">x</a>`, FieldSpec{CSS: "a", Take: "attr:href", Type: "url"}, nil, `required field "v" missing: "javascript:go()" is not a url`},
		{"all", `<i>1</i><i> </i><i>x</i><i>3</i>`, FieldSpec{CSS: "i", All: true, Type: "int"}, []any{int64(1), int64(3)}, ""},
		{"all none convert", `<i>a</i><i>b</i>`, FieldSpec{CSS: "i", All: true, Type: "int"}, nil, `required field "v" missing: "a" is not an int`},
		{"all no match", `<p>x</p>`, FieldSpec{CSS: "i", All: true}, nil, `required field "v" missing: no element matches "i"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.field.Name = "v"
			tt.field.Required = true
			rules, err := CompileRules("", []RuleSpec{{Name: "r", Fields: []FieldSpec{tt.field}}})
			if err != nil {
				t.Fatal(err)
			}
			items, miss := rules[0].Extract(mustParse(t, tt.html, "https://example.com/dir/page.html"))
			if tt.want == nil {
				if len(items) != 0 || miss != tt.why {
					t.Errorf("got %s, miss %q; want a miss %q", dump(items), miss, tt.why)
				}
				return
			}
			if miss != "" || len(items) != 1 || !reflect.DeepEqual(items[0]["v"], tt.want) {
				t.Errorf("got %s, miss %q; want v = %#v", dump(items), miss, tt.want)
			}
		})
	}
}

// TestRuleMisses covers how incomplete items are reported.
func TestRuleMisses(t *testing.T) {
	const cards = `<div class=c><b>1</b></div><div class=c></div><div class=c><b>3</b></div>` +
		`<div class=c><i>4</i></div><div class=c><i>5</i></div><div class=c></div>`
	tests := []struct {
		name      string
		html      string
		spec      RuleSpec
		wantItems int
		wantMiss  string
	}{
		{"optional fields, nothing found", `<p>x</p>`,
			RuleSpec{Fields: []FieldSpec{{Name: "a", CSS: "h1"}, {Name: "b", CSS: "h2"}}}, 0, "no field found"},
		{"defaults alone do not make an item", `<p>x</p>`,
			RuleSpec{Fields: []FieldSpec{{Name: "a", CSS: "h1", Default: "?"}}}, 0, "no field found"},
		{"one optional found", `<h2>x</h2>`,
			RuleSpec{Fields: []FieldSpec{{Name: "a", CSS: "h1"}, {Name: "b", CSS: "h2"}}}, 1, ""},
		{"two required missing", `<p>x</p>`,
			RuleSpec{Fields: []FieldSpec{{Name: "p", CSS: "p"}, {Name: "a", CSS: "h1", Required: true}, {Name: "b", CSS: "h2", Required: true}}}, 0,
			`required field "a" missing: no element matches "h1", required field "b" missing: no element matches "h2"`},
		{"select matched nothing", `<p>x</p>`,
			RuleSpec{Select: ".card", Fields: []FieldSpec{{Name: "a", CSS: "b"}}}, 0, `select ".card" matched nothing`},
		{"misses capped", cards,
			RuleSpec{Select: ".c", Fields: []FieldSpec{{Name: "b", CSS: "b", Required: true}}}, 2,
			`item 2 of 6: required field "b" missing: no element matches "b"; item 4 of 6: required field "b" missing: no element matches "b"; ` +
				`item 5 of 6: required field "b" missing: no element matches "b"; and 1 more`},
		{"every item a miss", `<div class=c></div><div class=c></div>`,
			RuleSpec{Select: ".c", Fields: []FieldSpec{{Name: "b", CSS: "b"}}}, 0,
			`item 1 of 2: no field found; item 2 of 2: no field found`},
		{"nested required with no complete sub-item", `<div class=c><b>x</b><ul><li>no sku</li></ul></div>`,
			RuleSpec{Select: ".c", Fields: []FieldSpec{{Name: "b", CSS: "b"}, {Name: "vs", Select: "li", Required: true,
				Fields: []FieldSpec{{Name: "sku", Take: "attr:data-sku", Required: true}}}}}, 0,
			`item 1 of 1: required field "vs" missing: no complete sub-item (required field "sku" missing: no attribute "data-sku")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec.Name = "r"
			rules, err := CompileRules("", []RuleSpec{tt.spec})
			if err != nil {
				t.Fatal(err)
			}
			items, miss := rules[0].Extract(mustParse(t, tt.html, "https://example.com/"))
			if len(items) != tt.wantItems || miss != tt.wantMiss {
				t.Errorf("got %d items, miss\n  %q\nwant %d items, miss\n  %q", len(items), miss, tt.wantItems, tt.wantMiss)
			}
		})
	}
}

func TestRuleExtractZeroDoc(t *testing.T) {
	rules := mustRules(t, shopRules)
	if items, miss := rules[0].Extract(&Doc{}); items != nil || miss == "" {
		t.Errorf("zero Doc: %v, %q", items, miss)
	}
}

func TestParseRuleSpecs(t *testing.T) {
	specs, err := ParseRuleSpecs("shop.yaml", []byte(shopRules))
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 2 {
		t.Fatalf("got %d specs", len(specs))
	}
	p := specs[0]
	if p.Name != "products" || p.Match != "/shop/" || p.Select != ".product" || p.Line != 2 {
		t.Errorf("rule = %+v", p)
	}
	var names []string
	for _, f := range p.Fields {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "name id url image price stock in_stock released tags badge variants" {
		t.Errorf("field order = %s", got)
	}
	if f := p.Fields[0]; f.CSS != ".name" || f.Line != 6 {
		t.Errorf("short form = %+v", f)
	}
	if f := p.Fields[4]; f.CSS != ".price" || f.Regex != "([0-9][0-9.,]*)" || f.Type != "float" || !f.Required || f.Line != 10 {
		t.Errorf("price = %+v", f)
	}
	if f := p.Fields[9]; f.Default != "none" {
		t.Errorf("badge default = %#v", f.Default)
	}
	v := p.Fields[10]
	if v.Select != ".variant" || len(v.Fields) != 3 || v.Fields[0].Name != "sku" || !v.Fields[0].Required || v.Fields[0].Line != 19 {
		t.Errorf("variants = %+v", v)
	}

	// A bare list of rules, fields in the list form (as JSON writes them).
	specs, err = ParseRuleSpecs("list.yaml", []byte(`
- name: a
  fields:
    - {name: x, css: h1, trim: false}
    - name: y
      css: p
      all: yes
`))
	if err != nil {
		t.Fatal(err)
	}
	f := specs[0].Fields
	if len(f) != 2 || f[0].Name != "x" || f[0].Trim == nil || *f[0].Trim || f[1].Name != "y" || !f[1].All || f[1].Line != 5 {
		t.Errorf("list form = %+v", specs)
	}

	for _, empty := range []string{"", "other: 1\n", "rules:\n"} {
		specs, err := ParseRuleSpecs("e.yaml", []byte(empty))
		if err != nil || len(specs) != 0 {
			t.Errorf("ParseRuleSpecs(%q) = %v, %v", empty, specs, err)
		}
	}
}

func TestParseRuleSpecsErrors(t *testing.T) {
	const src = `rules:
  - name: products
    select: .product
    fields:
      title: h2
      price:
        css: .price
        typo: 1
        required: maybe
      empty:
      list: [a, b]
    colour: red
  - name: other
    fields: 3
  - just a string
`
	_, err := ParseRuleSpecs("rules.yaml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`rules.yaml:8: rule "products": field "price": unknown key "typo"`,
		`rules.yaml:9: rule "products": field "price": required: want true or false, got "maybe"`,
		"rules.yaml:10: rule \"products\": field \"empty\": no selector: write `empty: \"css selector\"` or a mapping",
		`rules.yaml:11: rule "products": field "list": want a CSS selector or a mapping, got a list`,
		`rules.yaml:12: rule "products": unknown key "colour"`,
		`rules.yaml:14: rule "other": fields: want a mapping of name to field, got "3"`,
		`rules.yaml:15: rule: want a mapping, got "just a string"`,
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}

	// Decoding straight into specs with yaml.v3 gives the same messages.
	var specs []RuleSpec
	err = yaml.Unmarshal([]byte("- name: r\n  fields:\n    a: {css: x, typo: 1}\n"), &specs)
	if err == nil || !strings.Contains(err.Error(), `line 3: rule "r": field "a": unknown key "typo"`) {
		t.Errorf("yaml.Unmarshal error = %v", err)
	}

	if _, err := ParseRuleSpecs("bad.yaml", []byte("rules: [")); err == nil || !strings.HasPrefix(err.Error(), "bad.yaml: yaml:") {
		t.Errorf("syntax error = %v", err)
	}
	if _, err := ParseRuleSpecs("bad.yaml", []byte("rules: {a: 1}")); err == nil || err.Error() != "bad.yaml:1: rules: want a list of rules, got a mapping" {
		t.Errorf("rules mapping error = %v", err)
	}
}

func TestCompileRulesErrors(t *testing.T) {
	const src = `rules:
  - name: a
    match: '(['
    select: 'div['
    fields:
      x: {css: 'p:nope'}
      y: {css: p, regex: '(', type: number, take: inner}
      z: {css: p, type: bool, default: "yes"}
      w: {css: p, required: true, default: 1}
      t: {css: p, take: "attr:"}
      x: p
      l: {css: p, all: true, type: int, default: [1, two]}
      n: {select: li}
      m: {css: li, fields: {k: b}}
  - name: a
    fields:
      e: {}
  - name: ""
    fields: {}
  - name: ok
    fields:
      d: {css: p, type: date, default: "not a date"}
      i: {css: p, type: int, default: 1.5}
`
	specs, err := ParseRuleSpecs("r.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := CompileRules("r.yaml", specs)
	if err == nil || rules != nil {
		t.Fatalf("CompileRules = %v, %v", rules, err)
	}
	want := []string{
		`r.yaml:2: rule "a": match: error parsing regexp: missing closing ]: ` + "`[`",
		`r.yaml:2: rule "a": select: bad CSS selector "div[": `,
		`r.yaml:6: rule "a": field "x": css: bad CSS selector "p:nope": `,
		`r.yaml:7: rule "a": field "y": unknown take "inner" (want text, html, outer_html or attr:NAME)`,
		`r.yaml:7: rule "a": field "y": regex: error parsing regexp: missing closing ): ` + "`(`",
		`r.yaml:7: rule "a": field "y": unknown type "number" (want string, int, float, bool, date or url)`,
		`r.yaml:8: rule "a": field "z": default: "yes" is not a bool`,
		`r.yaml:9: rule "a": field "w": required and default exclude each other`,
		`r.yaml:10: rule "a": field "t": take: attr: needs an attribute name (attr:href)`,
		`r.yaml:11: rule "a": field "x": duplicate field name`,
		`r.yaml:12: rule "a": field "l": default: "two" is not an int`,
		`r.yaml:13: rule "a": field "n": select is for nested fields, and this one has no fields`,
		`r.yaml:14: rule "a": field "m": a field with fields needs select`,
		`r.yaml:14: rule "a": field "m": css does not apply to a nested field`,
		`r.yaml:15: rule "a": duplicate rule name (first at line 2)`,
		`r.yaml:17: rule "a": field "e": css is empty, and without select there is no item element`,
		`r.yaml:18: rule "#3": the rule has no name`,
		`r.yaml:18: rule "#3": the rule has no fields`,
		`r.yaml:22: rule "ok": field "d": default: "not a date" is not a date`,
		`r.yaml:23: rule "ok": field "i": default: 1.5 is not an int`,
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
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != len(want) {
		t.Errorf("errors are not joined one by one: %T", err)
	}

	// Specs from JSON have no lines; messages still name rule and field.
	_, err = CompileRules("", []RuleSpec{{Name: "j", Fields: []FieldSpec{{Name: "f", CSS: "p", Type: "nope"}}}})
	if err == nil || err.Error() != `rule "j": field "f": unknown type "nope" (want string, int, float, bool, date or url)` {
		t.Errorf("JSON spec error = %v", err)
	}
}

func TestRuleSpecJSONRoundTrip(t *testing.T) {
	specs, err := ParseRuleSpecs("shop.yaml", []byte(shopRules))
	if err != nil {
		t.Fatal(err)
	}
	specs[0].Fields[5].Default = 7 // an int default comes back from JSON as float64
	data, err := json.Marshal(specs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "Line") || strings.Contains(string(data), `"line"`) {
		t.Errorf("Line serialised: %s", data)
	}
	var back []RuleSpec
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Errorf("JSON round trip changed the specs:\n%s\n%s", data, again)
	}
	// The JSON is YAML too: a stored config can be read back by ParseRuleSpecs.
	fromYAML, err := ParseRuleSpecs("stored.json", data)
	if err != nil {
		t.Fatalf("JSON as YAML: %v", err)
	}
	if again, _ := json.Marshal(fromYAML); string(again) != string(data) {
		t.Errorf("JSON read as YAML differs:\n%s\n%s", data, again)
	}

	// yaml.Marshal writes fields in the list form, which reads back.
	out, err := yaml.Marshal(specs)
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err = ParseRuleSpecs("marshalled.yaml", out)
	if err != nil {
		t.Fatalf("marshalled YAML: %v\n%s", err, out)
	}
	if again, _ := json.Marshal(fromYAML); string(again) != string(data) {
		t.Errorf("marshalled YAML differs:\n%s\n%s", data, again)
	}

	// Both compile to rules that extract the same items.
	r1, err := CompileRules("shop.yaml", specs)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := CompileRules("stored", back)
	if err != nil {
		t.Fatal(err)
	}
	d := mustParse(t, shopPage, "https://example.com/shop/")
	for i := range r1 {
		i1, m1 := r1[i].Extract(d)
		i2, m2 := r2[i].Extract(d)
		if !reflect.DeepEqual(i1, i2) || m1 != m2 {
			t.Errorf("rule %s: YAML and JSON specs extract differently:\n%s\n%s", r1[i].Name(), dump(i1), dump(i2))
		}
	}
	if got := r2[0].fields[5].def; got != int64(7) {
		t.Errorf("int default after JSON = %#v", got)
	}
}

func TestRuleDateDefault(t *testing.T) {
	// yaml.v3 reads an unquoted date as a time; the spec keeps the text.
	rules := mustRules(t, "- name: r\n  fields:\n    h: h1\n    when: {css: time, type: date, default: 2024-01-02}\n")
	items, miss := rules[0].Extract(mustParse(t, "<h1>x</h1>", "https://example.com/"))
	if miss != "" || len(items) != 1 || items[0]["when"] != "2024-01-02T00:00:00Z" {
		t.Errorf("Extract = %v, %q", items, miss)
	}
}

// TestRuleNameMatchAndExtract: what the crawler does with a rule (see
// crawler.runRules): it labels the items with Name, runs the rule only on
// pages Matches accepts, and stores both the items and the miss of Extract.
func TestRuleNameMatchAndExtract(t *testing.T) {
	rules := mustRules(t, shopRules)
	r := rules[0]
	if r.Name() != "products" {
		t.Errorf("Name = %q", r.Name())
	}
	const shop, blog = "https://example.com/shop/", "https://example.com/blog/"
	if !r.Matches(shop) || r.Matches(blog) {
		t.Errorf("Matches(%s) = %v, Matches(%s) = %v; want true, false", shop, r.Matches(shop), blog, r.Matches(blog))
	}
	if items, miss := r.Extract(mustParse(t, shopPage, shop)); len(items) != 2 || miss == "" {
		t.Errorf("Extract = %d items, miss %q; want 2 items and a miss", len(items), miss)
	}
}

// TestRulesConcurrent runs the same rules on the same Doc from several
// goroutines, as fetch workers do; run with -race.
func TestRulesConcurrent(t *testing.T) {
	rules := mustRules(t, shopRules)
	d := mustParse(t, shopPage, "https://example.com/shop/")
	want, _ := rules[0].Extract(d)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for range 20 {
				for _, r := range rules {
					items, _ := r.Extract(d)
					if r == rules[0] && !reflect.DeepEqual(items, want) {
						t.Errorf("goroutine %d: different items", g)
						return
					}
				}
				_ = Rich(d)
			}
		})
	}
	wg.Wait()
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" = not a number
	}{
		{"0", "0"}, {"+5", "5"}, {"-5", "-5"}, {"1,299", "1299"}, {"1.299", "1.299"},
		{"1.299.000", "1299000"}, {"1,299,000.5", "1299000.5"}, {"1.299.000,5", "1299000.5"},
		{"12,5", "12.5"}, {"1'000", "1000"}, {"1_000", "1000"}, {"1\u00a0000,50", "1000.5"},
		{"1,2,3", ""}, {"1..2", ""}, {",5", "0.5"}, {"5.", "5"}, {"", ""}, {"-", ""}, {"1e", ""},
		{"12 5", ""}, {"1,0000", "1"}, {"1 ,000", ""}, {"0x10", ""}, {"Inf", ""},
	}
	for _, tt := range tests {
		got := ""
		if v, ok := parseFloat(tt.in); ok {
			got = strconv.FormatFloat(v, 'f', -1, 64)
		}
		if got != tt.want {
			t.Errorf("parseFloat(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// benchRules are two rule sets of eight fields each for benchPage: one
// item per page with list fields over the whole document, and one item per
// paragraph (25 of them).
const benchRules = `
- name: doc
  fields:
    title: h1
    description: {css: 'meta[name=description]', take: "attr:content"}
    canonical: {css: 'link[rel=canonical]', take: "attr:href", type: url}
    lang: {css: html, take: "attr:lang"}
    sections: {css: h2, all: true}
    stages: {css: h2, all: true, regex: '(\d+)', type: int}
    links: {css: a.link, take: "attr:href", type: url, all: true}
    code: {css: pre code, all: true, trim: false}
- name: paragraphs
  match: /guide/
  select: article.content > p
  fields:
    text: {regex: '^([^;]+);'}
    link: {css: a, take: "attr:href", type: url, required: true}
    link_text: a
    rel: {css: a, take: "attr:rel"}
    code: code
    stage: {css: em, type: int}
    stage_id: {css: a, take: "attr:href", regex: 'stages?[/-](\d+)', type: int}
    anchor: {css: a, take: outer_html}
`

// BenchmarkRules measures two rule sets on the bench page of
// BenchmarkParseFactsLinks, parsed once, as the crawler runs them.
func BenchmarkRules(b *testing.B) {
	body := benchPage(b)
	d, err := Parse(body, "text/html; charset=utf-8", mustURL(b, "https://docs.example.com/guide/pipeline/"))
	if err != nil {
		b.Fatal(err)
	}
	rules := mustRules(b, benchRules)
	if items, miss := rules[1].Extract(d); len(items) != 25 || miss != "" {
		b.Fatalf("paragraphs: %d items, miss %q", len(items), miss)
	}
	if items, miss := rules[0].Extract(d); len(items) != 1 || len(items[0]) != 8 {
		b.Fatalf("doc: %v, miss %q", items, miss)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range rules {
			_, _ = r.Extract(d)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// FuzzConvert checks that no string makes a converter panic or produce a
// value that cannot be stored as JSON.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{"1,299.50", "−7", "1e999", "March 1st, 2024", "Fri, 1 Mar 2024 10:00:00 PST", "../a b?q=ü#f", "1.2.3", ",", "0x1p3", "javascript:x"} {
		f.Add(s)
	}
	d := mustParse(f, "", "https://example.com/dir/")
	f.Fuzz(func(t *testing.T, s string) {
		if v, ok := parseFloat(s); ok {
			if _, err := json.Marshal(v); err != nil {
				t.Errorf("parseFloat(%q) = %v, not JSON", s, v)
			}
		}
		if v, ok := parseInt(s); ok {
			if fv, fok := parseFloat(s); !fok || fv != float64(v) && v < 1<<53 && v > -1<<53 {
				t.Errorf("parseInt(%q) = %d but parseFloat = %v, %v", s, v, fv, fok)
			}
		}
		_, _ = parseBool(s)
		if v, ok := parseDate(s); ok {
			if _, ok := parseDate(v); !ok {
				t.Errorf("parseDate(%q) = %q, which does not parse again", s, v)
			}
		}
		_, _ = d.absURL(s)
	})
}

// FuzzRules checks that no page makes the rules, Rich or MainText panic.
func FuzzRules(f *testing.F) {
	f.Add(shopPage)
	f.Add(richPage)
	f.Add(boilerplatePage)
	f.Add(`<div class=product><ul class=variants><li class=variant data-sku=x>`)
	rules := mustRules(f, shopRules)
	f.Fuzz(func(t *testing.T, page string) {
		d := mustParse(t, page, "https://example.com/shop/")
		for _, r := range rules {
			items, _ := r.Extract(d)
			if _, err := json.Marshal(items); err != nil {
				t.Errorf("items do not encode: %v", err)
			}
		}
		rf := Rich(d)
		if _, err := json.Marshal(rf); err != nil {
			t.Errorf("rich facts do not encode: %v", err)
		}
	})
}
