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
