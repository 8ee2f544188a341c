package extract

import (
	"net/url"
	"strings"
	"testing"
)

// TestFlattenDeepPage: a page nested 100,000 elements deep fails to parse as
// it is; flattened, it gives its title, its words and the link at its bottom.
func TestFlattenDeepPage(t *testing.T) {
	const depth = 100000
	body := []byte("<!DOCTYPE html><html><head><title>Deep</title></head><body>" +
		strings.Repeat("<div>", depth) + `<p>bottom <a href="/found">the link</a></p>` +
		strings.Repeat("</div>", depth) + `<a href="/after">after</a></body></html>`)
	base, _ := url.Parse("http://example.com/")
	if _, err := Parse(body, "text/html", base); !TooDeep(err) {
		t.Fatalf("unflattened: %v, want the parser's depth error", err)
	}
	doc, err := Parse(Flatten(body), "text/html", base)
	if err != nil {
		t.Fatal(err)
	}
	if f := Facts(doc); f.Title != "Deep" {
		t.Errorf("title %q", f.Title)
	}
	var got []string
	for _, l := range Links(doc) {
		got = append(got, l.URL+" "+l.Text)
	}
	if strings.Join(got, ",") != "http://example.com/found the link,http://example.com/after after" {
		t.Errorf("links %q", got)
	}
}

// TestFlattenKeepsShallowPages: a page within the depth limit comes out
// byte for byte.
func TestFlattenKeepsShallowPages(t *testing.T) {
	in := `<!DOCTYPE html><html><head><title>x</title><script>if (a<b) {}</script></head><body><p>one<br>two<img src=x>` +
		strings.Repeat("<div>", 200) + "deep" + strings.Repeat("</div>", 200) + `</body></html>`
	if out := string(Flatten([]byte(in))); out != in {
		t.Errorf("changed:\n%.200s", out)
	}
}
