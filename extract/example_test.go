package extract_test

import (
	"fmt"
	"log"
	"net/url"

	"github.com/trawl-crawler/trawl/extract"
)

func Example() {
	body := []byte(`<html lang=en><head><meta charset="iso-8859-1">
<title> Caf` + "\xe9" + ` menu </title><base href="/menus/">
<meta name=robots content="noindex"></head>
<body><a href="lunch.html#today">Lunch</a> <a href="mailto:chef@example.com">Chef</a>
<a href="https://example.org/" rel="nofollow">Elsewhere</a></body></html>`)
	pageURL, _ := url.Parse("https://example.com/cafe/")

	d, err := extract.Parse(body, "text/html", pageURL) // decoded and parsed once
	if err != nil {
		log.Fatal(err)
	}
	p := extract.Facts(d)
	fmt.Printf("%q %s %s noindex=%v\n", p.Title, p.Lang, p.Charset, p.NoIndex)
	for _, l := range extract.Links(d) {
		fmt.Println(l.URL, l.Text, l.NoFollow)
	}
	// Output:
	// "Café menu" en windows-1252 noindex=true
	// https://example.com/menus/lunch.html Lunch false
	// https://example.org/ Elsewhere true
}

func ExampleCompileRules() {
	const config = `
rules:
  - name: products
    select: .product
    fields:
      name: h2
      price: {css: .price, regex: '([0-9.]+)', type: float, required: true}
      url: {css: a, take: "attr:href", type: url}
`
	specs, err := extract.ParseRuleSpecs("crawl.yaml", []byte(config))
	if err != nil {
		log.Fatal(err)
	}
	rules, err := extract.CompileRules("crawl.yaml", specs)
	if err != nil {
		log.Fatal(err)
	}
	pageURL, _ := url.Parse("https://shop.example/hats/")
	d, err := extract.Parse([]byte(`
<div class=product><h2>Wool hat</h2><span class=price>$12.50</span><a href="wool">more</a></div>
<div class=product><h2>Cap</h2><span class=price>sold out</span></div>`), "text/html", pageURL)
	if err != nil {
		log.Fatal(err)
	}
	items, miss := rules[0].Extract(d)
	for _, it := range items {
		fmt.Println(it["name"], it["price"], it["url"])
	}
	fmt.Println(miss)
	// Output:
	// Wool hat 12.5 https://shop.example/hats/wool
	// item 2 of 2: required field "price" missing: regex does not match "sold out"
}
