package urlkey_test

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/trawl-crawler/trawl/crawler/urlkey"
)

func ExampleCanon_String() {
	c := urlkey.Canon{SortQuery: true, DropParams: []string{"utm_*"}}
	for _, raw := range []string{
		"HTTPS://Example.COM:443/a/./b/../%7Euser/?utm_source=x&b=2&a=1#top",
		"http://Bücher.example/caf%c3%a9 menu",
		"mailto:someone@example.com",
	} {
		s, err := c.String(raw)
		switch {
		case errors.Is(err, urlkey.ErrScheme):
			fmt.Println("skip:", err)
		case err != nil:
			fmt.Println("error:", err)
		default:
			fmt.Println(s)
		}
	}
	// Output:
	// https://example.com/a/~user/?a=1&b=2
	// http://xn--bcher-kva.example/caf%C3%A9%20menu
	// skip: "mailto:someone@example.com": not an http or https URL: scheme "mailto"
}

func ExampleCanon_Resolve() {
	var c urlkey.Canon
	base, _ := c.Canonical("https://example.com/docs/guide/install.html")
	u, _ := c.Resolve(base, "../api/Index.html#x")
	fmt.Println(u, urlkey.HostKey(u), urlkey.RegistrableDomain("docs.example.co.uk"))
	// Output: https://example.com/docs/api/Index.html https://example.com:443 example.co.uk
}

func ExampleScope() {
	var c urlkey.Canon
	seed, _ := c.Canonical("http://example.com/")
	s, err := urlkey.NewScope(urlkey.ScopeHost, []*url.URL{seed}, nil, []string{`\.pdf$`})
	if err != nil {
		panic(err)
	}
	for _, raw := range []string{"https://example.com/about", "https://example.com/report.pdf", "https://www.example.com/"} {
		u, _ := c.Canonical(raw)
		fmt.Printf("%s in=%v why=%q\n", u, s.InScope(u), s.Why(u))
	}
	// Output:
	// https://example.com/about in=true why=""
	// https://example.com/report.pdf in=false why="deny:\\.pdf$"
	// https://www.example.com/ in=false why="host"
}
