package extract

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/htmlindex"
)

// legacySample is one text of testdata/charset/samples.json: a sentence
// (size "short", as long as a title) or a paragraph ("long") in a language,
// and the legacy encoding pages in that language were commonly served in.
type legacySample struct {
	Encoding string `json:"encoding"`
	Lang     string `json:"lang"`
	Size     string `json:"size"`
	Text     string `json:"text"`
}

// legacyLabel is how a legacy page is (mis)labelled: not at all, or as UTF-8
// in the header or in a <meta>, which the bytes then contradict.
type legacyLabel struct {
	name, contentType, meta string
}

var legacyLabels = []legacyLabel{
	{"undeclared", "text/html", ""},
	{"header utf-8", "text/html; charset=utf-8", ""},
	{"meta utf-8", "text/html", `<meta charset="utf-8">`},
}

// readLegacySamples reads the sample table.
func readLegacySamples(t testing.TB) []legacySample {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "charset", "samples.json"))
	if err != nil {
		t.Fatal(err)
	}
	var samples []legacySample
	if err := json.Unmarshal(b, &samples); err != nil {
		t.Fatal(err)
	}
	return samples
}

// legacyPage encodes s.Text in s.Encoding and puts it where such text is on a
// page: a short text is the title, a long one a paragraph of the body. The
// markup around it is ASCII, as on real pages.
func legacyPage(t testing.TB, s legacySample, meta string) []byte {
	t.Helper()
	e, err := htmlindex.Get(s.Encoding)
	if err != nil {
		t.Fatal(err)
	}
	text := encode(t, e, s.Text)
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html>\n<head>\n" + meta + "<meta name=\"viewport\" content=\"width=device-width\">\n<title>")
	if s.Size == "short" {
		b.Write(text)
		b.WriteString("</title>\n<link rel=\"stylesheet\" href=\"/css/site.css\">\n</head>\n<body>\n<nav><a href=\"/\">Home</a> | <a href=\"/contact\">Contact</a></nav>\n")
	} else {
		b.WriteString("News</title>\n</head>\n<body>\n<article>\n<p>")
		b.Write(text)
		b.WriteString("</p>\n</article>\n")
	}
	b.WriteString("<footer><a href=\"/imprint\">Imprint</a></footer>\n</body>\n</html>\n")
	return b.Bytes()
}

// TestDecodeHTMLLegacyTable decodes every sample, undeclared and labelled
// UTF-8, and checks that the text comes out exactly.
func TestDecodeHTMLLegacyTable(t *testing.T) {
	for _, s := range readLegacySamples(t) {
		for _, l := range legacyLabels {
			t.Run(s.Encoding+"/"+s.Lang+"/"+s.Size+"/"+l.name, func(t *testing.T) {
				got, name := DecodeHTML(legacyPage(t, s, l.meta), l.contentType)
				if !bytes.Contains(got, []byte(s.Text)) {
					t.Errorf("decoded as %s, text lost: %.300q", name, got)
				}
			})
		}
	}
}

// BenchmarkDecodeHTMLSniff measures DecodeHTML on undeclared legacy pages,
// the path that runs the sniff: the pages of the table (ns/op is per page,
// under 2 KB each), and a 200 KB page, whose cost the sniff's limits keep
// close to that of decoding it.
func BenchmarkDecodeHTMLSniff(b *testing.B) {
	samples := readLegacySamples(b)
	pages := make([][]byte, len(samples))
	var ru legacySample
	for i, s := range samples {
		pages[i] = legacyPage(b, s, "")
		if s.Encoding == "windows-1251" && s.Lang == "ru" && s.Size == "long" {
			ru = s
		}
	}
	b.Run("table", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			DecodeHTML(pages[i%len(pages)], "text/html")
		}
	})
	ru.Text = strings.Repeat(ru.Text+"\n", 200<<10/len(ru.Text))
	large := legacyPage(b, ru, "")
	for _, bc := range []struct{ name, contentType string }{{"200KB-undeclared", "text/html"}, {"200KB-declared", "text/html; charset=windows-1251"}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(large)))
			b.ReportAllocs()
			for b.Loop() {
				DecodeHTML(large, bc.contentType)
			}
		})
	}
}

// TestDecodeHTMLFewWords decodes undeclared pages whose only text outside
// ASCII is a word or two (a menu, a name, a title), where one or two letters
// must decide. Five (naïve, Αθήνα, Kayıt ol, שלום, ﾆｭｰｽ) came out wrong
// before runs of accented Latin letters were penalised and windows-1252 was
// given a larger margin.
func TestDecodeHTMLFewWords(t *testing.T) {
	tests := []struct{ encoding, text string }{
		{"windows-1252", "naïve"},
		{"windows-1252", "Señor"},
		{"windows-1252", "ÖFFNUNGSZEITEN"},
		{"windows-1252", "“Bonjour” — l’été à Paris coûte 5 €"},
		{"windows-1251", "Главная"},
		{"windows-1251", "© 2024 «Вечерняя Москва» — новости № 5"},
		{"koi8-r", "Главная"},
		{"windows-1250", "Łódź"},
		{"windows-1250", "Brno – město"},
		{"iso-8859-2", "Łódź"},
		{"windows-1253", "Αθήνα"},
		{"windows-1254", "İzmir"},
		{"windows-1254", "Kayıt ol"},
		{"windows-1255", "שלום"},
		{"gbk", "首页"},
		{"big5", "首頁"},
		{"shift_jis", "ﾆｭｰｽ ホーム"},
		{"euc-jp", "ホーム"},
		{"euc-kr", "뉴스 홈"},
	}
	for _, tt := range tests {
		e, err := htmlindex.Get(tt.encoding)
		if err != nil {
			t.Fatal(err)
		}
		body := append([]byte("<html><head><title>"), encode(t, e, tt.text)...)
		body = append(body, "</title></head><body><a href=/>Home</a></body></html>"...)
		got, name := DecodeHTML(body, "text/html")
		if !bytes.Contains(got, []byte(tt.text)) {
			t.Errorf("%s %q: decoded as %s: %q", tt.encoding, tt.text, name, got)
		}
	}
}
