package extract

import (
	"strings"
	"testing"
)

// boilerplatePage has no <main> or <article>: the content must be found by
// text density among navigation, a cookie banner, a sidebar, share buttons,
// comments and a footer, none of which may leak into it.
const boilerplatePage = `<!DOCTYPE html>
<html><head><title>Pipelines</title><style>.x{}</style></head><body>
<div class="cookie-banner">We use cookies to improve your experience. <a href="/privacy">Learn more</a> <button>Accept all cookies</button></div>
<div id="top-nav"><a href="/">Home</a> <a href="/docs">Docs</a> <a href="/blog">Blog</a></div>
<header class="site"><h1 class="logo">Example Corp</h1></header>
<div class="layout has-sidebar">
  <div class="sidebar"><h3>Popular</h3><ul><li><a href="/a">First popular post with a long title</a></li><li><a href="/b">Second popular post</a></li></ul>
    <p>Subscribe to our newsletter for weekly updates about everything we publish here.</p></div>
  <div class="col">
    <h2>How pipelines work</h2>
    <p>Widgets flow through the pipeline in batches; each stage receives a batch, transforms it and hands it on.</p>
    <p>Stages are independent, so a slow stage never blocks the others, and a failed batch is retried with backoff.</p>
    <div class="share-buttons"><a href="https://twitter.example/share">Share on Twitter</a> <a href="https://fb.example/share">Share on Facebook</a></div>
    <p>A parked batch can be inspected and replayed once the cause is fixed; see the <a href="/ops">operations guide</a>.</p>
    <ul class="related"><li><a href="/r1">Related: retries</a></li><li><a href="/r2">Related: batching</a></li></ul>
    <div id="comments"><p>Great article, thanks a lot for writing this up so clearly!</p></div>
  </div>
</div>
<div style="display: none">Hidden promotional text that nobody sees on the page.</div>
<footer><p>© 2024 Example Corp. All rights reserved. Imprint and privacy policy.</p></footer>
<script>document.write("tracking")</script>
</body></html>`

func TestMainTextBoilerplate(t *testing.T) {
	got := MainText(mustParse(t, boilerplatePage, "https://example.com/"))
	want := "How pipelines work\n\n" +
		"Widgets flow through the pipeline in batches; each stage receives a batch, transforms it and hands it on.\n\n" +
		"Stages are independent, so a slow stage never blocks the others, and a failed batch is retried with backoff.\n\n" +
		"A parked batch can be inspected and replayed once the cause is fixed; see the operations guide."
	if got != want {
		t.Errorf("MainText =\n%s\nwant\n%s", got, want)
	}
	for _, leak := range []string{"cookies", "Home", "Example Corp", "Popular", "newsletter", "Share", "Related", "Great article", "Hidden", "©", "tracking", ".x{}"} {
		if strings.Contains(got, leak) {
			t.Errorf("main text contains %q", leak)
		}
	}
}

func TestMainText(t *testing.T) {
	long := func(s string) string { return strings.Repeat(s+" ", 12) }
	tests := []struct {
		name string
		html string
		want string
	}{
		{"empty", ``, ""},
		{"bare text", `Hello   world`, "Hello world"},
		{"paragraphs and br", "<p>One\n two</p><p>Three<br>Four</p><div>Five <b>six</b></div>", "One two\n\nThree\n\nFour\n\nFive six"},
		{"main preferred", `<nav>Menu a b c</nav><div><p>` + long("outside") + `</p></div><main><h1>Title</h1><p>Inside.</p></main>`,
			"Title\n\nInside."},
		{"role main", `<div role="main"><p>Landmark text.</p></div><p>` + long("other") + `</p>`, "Landmark text."},
		{"article header kept, footer and share dropped",
			`<article><header><h1>Headline</h1><p class="byline">By Ann</p></header><p>Body text.</p>` +
				`<div class="social-share"><a href="/s">Share</a></div><footer>Tags: a, b</footer></article>`,
			"Headline\n\nBy Ann\n\nBody text."},
		{"site header inside main dropped", `<main><header><a href="/">Logo</a></header><p>Text.</p></main>`, "Text."},
		{"largest article", `<article><p>Teaser one.</p></article><article><p>` + long("The long one.") + `</p></article>`,
			strings.TrimSpace(long("The long one."))},
		{"empty main falls back", `<main></main><div class="c"><p>` + long("Real content here.") + `</p></div>`,
			strings.TrimSpace(long("Real content here."))},
		{"main of links falls back", `<main><ul><li><a href="/1">First headline of the day</a></li><li><a href="/2">Second headline</a></li></ul></main>` +
			`<div class="c"><p>` + long("Real content here.") + `</p></div>`,
			strings.TrimSpace(long("Real content here."))},
		{"link list in content dropped", `<main><p>Intro.</p><ul><li><a href="/1">One</a></li><li><a href="/2">Two</a></li></ul><ul><li>Plain item</li></ul></main>`,
			"Intro.\n\nPlain item"},
		{"hidden dropped", `<main><p hidden>h1</p><p aria-hidden="true">h2</p><p style="visibility: hidden">h3</p><p>Shown.</p></main>`, "Shown."},
		{"name words not substrings", `<main><div class="heading download-link shadow loaded">Kept.</div></main>`, "Kept."},
		{"content word overrides", `<main><div class="post-header"><p>Post title.</p></div><div class="menu"><p>Menu.</p></div></main>`, "Post title."},
		{"comments dropped even with content word", `<main><p>The text of the article.</p><div class="comment-body">Nice!</div></main>`, "The text of the article."},
		{"camel case ids", `<main><div id="topNav">Nav.</div><p>Text.</p></main>`, "Text."},
		{"wrapper holding h1 kept", `<div class="wrapper with-sidebar"><h1>Title</h1><p>Text of the page.</p></div>`, "Title\n\nText of the page."},
		{"sibling blocks joined", `<div id="c"><div><p>` + long("Part one.") + `</p></div><div><p>` + long("Part two.") + `</p></div></div>` +
			`<div class="x"><p>` + long("elsewhere") + `</p></div><div><p>tiny aside</p></div>`,
			strings.TrimSpace(long("Part one.")) + "\n\n" + strings.TrimSpace(long("Part two.")) + "\n\n" + strings.TrimSpace(long("elsewhere"))},
		{"svg and forms dropped", `<main><svg><text>icon</text></svg><form><label>Email</label><input></form><p>Text.</p></main>`, "Text."},
		{"related, popular and like blocks dropped",
			`<main><p>Text.</p><div class="sharedaddy"><h3>Like this:</h3></div><div id="jp-relatedposts" class="jp-relatedposts"><h3>Related</h3>` +
				`<p>A teaser of a post on this blog that the plugin thinks is related.</p></div>` +
				`<section class="c-article-most-popular"><p>The most read story of the week on this site.</p></section></main>`,
			"Text."},
		{"noscript dropped", `<main><noscript>Enable JS</noscript><p>Text.</p></main>`, "Text."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MainText(mustParse(t, tt.html, "https://example.com/")); got != tt.want {
				t.Errorf("MainText =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
	if got := MainText(&Doc{}); got != "" {
		t.Errorf("zero Doc: %q", got)
	}
}

func TestMainTextDensity(t *testing.T) {
	// The block with the most text and fewest links wins over a link-heavy
	// one that is not named as navigation.
	page := `<div id="a">` + strings.Repeat(`<p><a href="/x">A link with a fairly long anchor text here</a> and more</p>`, 10) + `</div>` +
		`<div id="b">` + strings.Repeat(`<p>Plain prose paragraph with enough words to count as content.</p>`, 4) + `</div>`
	got := MainText(mustParse(t, page, "https://example.com/"))
	if strings.Contains(got, "anchor") || !strings.HasPrefix(got, "Plain prose") {
		t.Errorf("MainText = %q", got)
	}
}

func TestMainTextCap(t *testing.T) {
	para := "<p>" + strings.Repeat("word ", 20000) + "</p>" // 100,000 runes each
	got := MainText(mustParse(t, "<main>"+strings.Repeat(para, 12)+"</main>", "https://example.com/"))
	if n := len([]rune(got)); n > maxMainTextRunes || n < maxMainTextRunes-10 {
		t.Errorf("main text of %d runes, want about %d", n, maxMainTextRunes)
	}
}

func TestCountWords(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"   ", 0},
		{"Hello, world!", 2},
		{"don't stop — state-of-the-art", 3},
		{"It costs 1,299.50 at 10:30.", 5},
		{"e.g. U.S.", 4},
		{"naïve café Straße", 3},
		{"Привет, мир", 2},
		{"नमस्ते दुनिया", 2},
		{"東京は日本の首都です", 10},
		{"コーヒーを飲む", 5},
		{"Go言語 is fun", 5},
		{"안녕하세요 세계", 2},
		{"ภาษาไทย ง่าย", 2},
		{"a - b", 2},
		{"x_y 42", 2},
	}
	for _, tt := range tests {
		if got := CountWords(tt.in); got != tt.want {
			t.Errorf("CountWords(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// The article's text is in <span>s between <br>s, never in a <p>; a list
// of headline teasers must not win over it.
func TestMainTextSpansAndBr(t *testing.T) {
	page := `<body><div class="col"><ul>` +
		strings.Repeat(`<li>A headline teaser in the side column, <a href="/x">read</a></li>`, 4) + `</ul></div>` +
		`<div class="chapter">` +
		`<div><span>The first paragraph of the story is set in a span of its own, as editors paste it.</span></div>` +
		`<div><span>The second paragraph follows it</span><br><span>and runs on after a line break, with more words.</span></div>` +
		`<div><span>The third paragraph closes the chapter with a sentence long enough to count.</span></div>` +
		`</div></body>`
	got := MainText(mustParse(t, page, "https://example.com/"))
	want := "The first paragraph of the story is set in a span of its own, as editors paste it.\n\n" +
		"The second paragraph follows it\n\nand runs on after a line break, with more words.\n\n" +
		"The third paragraph closes the chapter with a sentence long enough to count."
	if got != want {
		t.Errorf("MainText =\n%q\nwant\n%q", got, want)
	}
}

// An ASP.NET page puts its whole body in one <form>: its text is the
// content (a small form, like a search box, is still left out: see "svg and
// forms dropped").
func TestMainTextPageInForm(t *testing.T) {
	page := `<body><form id="aspnetForm" method="post" action="./story.aspx">` +
		`<div class="hdr"><a href="/">Home</a> <a href="/news">News</a></div>` +
		`<div id="story"><h1>Council approves the new bridge</h1>` +
		`<p>The council voted on Tuesday to build a footbridge across the river by the old mill.</p>` +
		`<p>Work starts in the spring and is expected to take eighteen months, the mayor said.</p>` +
		`</div>` +
		`</form></body>`
	got := MainText(mustParse(t, page, "https://example.com/"))
	want := "Council approves the new bridge\n\n" +
		"The council voted on Tuesday to build a footbridge across the river by the old mill.\n\n" +
		"Work starts in the spring and is expected to take eighteen months, the mayor said."
	if got != want {
		t.Errorf("MainText =\n%q\nwant\n%q", got, want)
	}
}

// An <article> that is a teaser of a related post, mostly links or far
// shorter than the densest block, is not taken for the content.
func TestMainTextTeaserArticle(t *testing.T) {
	story := `<div class="body"><p>The first paragraph of the story, which is long enough to be prose.</p>` +
		`<p>The second paragraph of the story goes on to tell what happened next, at length.</p>` +
		`<p>The third paragraph ends it, with a quote from someone who was there that day.</p></div>`
	for name, teaser := range map[string]string{
		"empty":       `<article></article>`,
		"links":       `<article><h3><a href="/other">Another story you may like to read</a></h3></article>`,
		"short prose": `<article><h3><a href="/other">Another story</a></h3><p>A teaser line of that story.</p></article>`,
	} {
		got := MainText(mustParse(t, `<body>`+story+`<div class="more">`+teaser+`</div></body>`, "https://example.com/"))
		if !strings.HasPrefix(got, "The first paragraph") || strings.Contains(got, "nother") || strings.Contains(got, "teaser") {
			t.Errorf("%s: MainText = %q", name, got)
		}
	}
}

// An article whose parts sit in separate blocks, with a share box between
// them, is taken whole, not only its longer part.
func TestMainTextSplitArticle(t *testing.T) {
	long := func(s string) string { return strings.Repeat(s+" ", 8) }
	page := `<body><div class="page"><section class="intro"><div><p>` + long("The opening part of the story.") + `</p></div></section>` +
		`<div class="tools"><a href="/s">Tweet</a></div>` +
		`<section class="rest"><div><p>` + long("The longer second part of the story.") + `</p><p>` + long("And its close.") + `</p></div></section></div>` +
		`<div class="foot"><p>Short site note.</p></div></body>`
	got := MainText(mustParse(t, page, "https://example.com/"))
	if !strings.HasPrefix(got, "The opening part") || !strings.HasSuffix(got, "And its close.") || strings.Contains(got, "Tweet") {
		t.Errorf("MainText = %q", got)
	}
}

// A related-posts block, teasers in paragraphs, neither wins over a short
// article nor joins it, though "posts" is a content word.
func TestMainTextRelatedPosts(t *testing.T) {
	page := `<body><div class="wrap"><div class="entry"><h1>Short news</h1>` +
		`<p>The mill by the river reopened on Monday after two years of repairs to its wheel.</p>` +
		`<p>Visitors can see the wheel turn every afternoon from two until five o'clock.</p></div>` +
		`<div class="related-posts">` + strings.Repeat(`<div class="item"><h3><a href="/p">Another post</a></h3>`+
		`<p>A teaser of another post, written to make the reader click through to it.</p></div>`, 4) +
		`</div></div></body>`
	got := MainText(mustParse(t, page, "https://example.com/"))
	if !strings.HasPrefix(got, "Short news\n\nThe mill") || strings.Contains(got, "teaser") {
		t.Errorf("MainText = %q", got)
	}
}

// The headline that repeats the page's <title> is left out of the text,
// as article extractors do (the title is a column of its own); other
// headings, and a two-word one that happens to be in the title, stay.
func TestMainTextDropsTitleHeading(t *testing.T) {
	page := `<head><title>Council approves the new bridge | The Daily Example</title></head><body><article>` +
		`<h1>Council approves the new  bridge</h1><p>The council voted on Tuesday to build a footbridge.</p>` +
		`<h2>What happens next</h2><p>Work starts in the spring.</p><h2>New bridge</h2><p>It is made of wood.</p></article></body>`
	got := MainText(mustParse(t, page, "https://example.com/"))
	want := "The council voted on Tuesday to build a footbridge.\n\nWhat happens next\n\nWork starts in the spring.\n\nNew bridge\n\nIt is made of wood."
	if got != want {
		t.Errorf("MainText =\n%q\nwant\n%q", got, want)
	}
}
