// Package detectors measures character-encoding detectors against trawl's own
// sniff on the legacy page table of ../charset/samples.json. It is a separate
// module so that the detectors measured are not dependencies of trawl; see
// README.md for how to run it and what it measured.
package detectors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	gogs "github.com/gogs/chardet"
	saintfish "github.com/saintfish/chardet"
	"github.com/trawl-crawler/trawl/extract"
	wlynxg "github.com/wlynxg/chardet"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

type sample struct {
	Encoding, Lang, Size, Text string
}

// page builds the same page as extract's legacyPage: a short text is the
// title, a long one a paragraph, in ASCII markup, with no declaration.
func page(t testing.TB, s sample) []byte {
	e, err := htmlindex.Get(s.Encoding)
	if err != nil {
		t.Fatal(err)
	}
	text, err := e.NewEncoder().Bytes([]byte(s.Text))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"viewport\" content=\"width=device-width\">\n<title>")
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

func samples(t testing.TB) []sample {
	b, err := os.ReadFile("../charset/samples.json")
	if err != nil {
		t.Fatal(err)
	}
	var s []sample
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// lookup resolves a detector's charset name: WHATWG labels first, then IANA
// names and aliases.
func lookup(name string) encoding.Encoding {
	if e, err := htmlindex.Get(name); err == nil {
		return e
	}
	if e, err := ianaindex.IANA.Encoding(strings.ReplaceAll(name, "GB-18030", "GB18030")); err == nil && e != nil {
		return e
	}
	return nil
}

// A detector returns the decoded text of a page, and the name it chose.
type detector struct {
	name   string
	decode func(page []byte) ([]byte, string)
}

func byName(detect func([]byte) string) func([]byte) ([]byte, string) {
	return func(page []byte) ([]byte, string) {
		name := detect(page)
		e := lookup(name)
		if e == nil {
			return nil, name + "(unknown)"
		}
		out, _ := e.NewDecoder().Bytes(page)
		return out, name
	}
}

var detectors = []detector{
	{"trawl DecodeHTML", func(p []byte) ([]byte, string) { return extract.DecodeHTML(p, "text/html") }},
	{"saintfish/chardet (ICU, html)", byName(func(p []byte) string {
		r, err := saintfish.NewHtmlDetector().DetectBest(p)
		if err != nil {
			return ""
		}
		return r.Charset
	})},
	{"gogs/chardet (ICU, html)", byName(func(p []byte) string {
		r, err := gogs.NewHtmlDetector().DetectBest(p)
		if err != nil {
			return ""
		}
		return r.Charset
	})},
	{"wlynxg/chardet (Python chardet)", byName(func(p []byte) string { return wlynxg.Detect(p).Encoding })},
	{"x/net/html/charset.DetermineEncoding", byName(func(p []byte) string {
		_, name, _ := charset.DetermineEncoding(p, "text/html")
		return name
	})},
}

// TestCompare prints, per detector, how many pages of the table it decodes to
// the right text, and which pages it gets wrong.
func TestCompare(t *testing.T) {
	ss := samples(t)
	for _, d := range detectors {
		ok, short, long := 0, 0, 0
		var wrong []string
		for _, s := range ss {
			out, name := d.decode(page(t, s))
			if bytes.Contains(out, []byte(s.Text)) {
				ok++
				if s.Size == "short" {
					short++
				} else {
					long++
				}
			} else {
				wrong = append(wrong, fmt.Sprintf("%s/%s/%s->%s", s.Encoding, s.Lang, s.Size, name))
			}
		}
		fmt.Printf("%-38s %2d/%d right (short %d/%d, long %d/%d)\n", d.name, ok, len(ss), short, len(ss)/2, long, len(ss)/2)
		if len(wrong) > 0 {
			fmt.Printf("    wrong: %s\n", strings.Join(wrong, " "))
		}
	}
}

// BenchmarkDetect times each detector over the pages of the table; ns/op is
// per page.
func BenchmarkDetect(b *testing.B) {
	ss := samples(b)
	pages := make([][]byte, len(ss))
	for i, s := range ss {
		pages[i] = page(b, s)
	}
	for _, d := range detectors {
		b.Run(strings.Fields(d.name)[0], func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				d.decode(pages[i%len(pages)])
			}
		})
	}
}
