package extract

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/htmlindex"
)

// html5libCase is one test of html5lib-tests' encoding/*.dat: the first bytes
// of a document served without a charset, and the encoding the HTML
// Standard's prescan and defaults decide for it.
type html5libCase struct {
	file, data, encoding string
}

// readHTML5libEncoding parses the #data / #encoding blocks of the .dat files
// in testdata/html5lib-encoding. A document's data ends with the newline
// before "#encoding", which is not part of it.
func readHTML5libEncoding(t *testing.T) []html5libCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "html5lib-encoding", "*.dat"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .dat files: %v", err)
	}
	var cases []html5libCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, block := range strings.Split(string(b), "#data\n")[1:] {
			data, enc, ok := strings.Cut(block, "\n#encoding\n")
			if !ok {
				t.Fatalf("%s: block without #encoding: %q", f, block)
			}
			enc, _, _ = strings.Cut(enc, "\n")
			cases = append(cases, html5libCase{filepath.Base(f), data, strings.TrimSpace(enc)})
		}
	}
	return cases
}

// TestDecodeHTMLHTML5lib runs the html5lib encoding-sniffing tests through
// DecodeHTML with no Content-Type charset, as the tests are served. The text
// must be what the expected encoding gives. The reported name must be the
// expected one, except that a document the default (windows-1252) decodes
// byte for byte like UTF-8 (ASCII only) is reported as "utf-8": trawl keeps
// that default for bodies that are not valid UTF-8.
func TestDecodeHTMLHTML5lib(t *testing.T) {
	cases := readHTML5libEncoding(t)
	if len(cases) != 82 {
		t.Fatalf("read %d cases, want 82 (test-yahoo-jp 1, tests1 59, tests2 22)", len(cases))
	}
	for i, c := range cases {
		e, err := htmlindex.Get(c.encoding)
		if err != nil {
			t.Fatalf("%s #%d: expected encoding %q unknown: %v", c.file, i, c.encoding, err)
		}
		wantName, _ := htmlindex.Name(e)
		// Decoding strips a UTF-8 BOM; the decoder alone would keep it.
		want, err := e.NewDecoder().Bytes([]byte(strings.TrimPrefix(c.data, bomUTF8)))
		if err != nil {
			t.Fatal(err)
		}
		got, name := DecodeHTML([]byte(c.data), "text/html")
		if !bytes.Equal(got, want) {
			t.Errorf("%s #%d %.60q: decoded %.80q, want (%s) %.80q", c.file, i, c.data, got, wantName, want)
		}
		if name != wantName && (wantName != "windows-1252" || name != "utf-8" || !bytes.Equal(want, []byte(c.data))) {
			t.Errorf("%s #%d %.60q: charset %q, want %q", c.file, i, c.data, name, wantName)
		}
	}
}

// TestPrescan covers rules of the Standard's prescan that the html5lib tests
// do not: repeated attributes count once, and a tag cut off by the end of the
// input does not count.
func TestPrescan(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<meta charset="x-unknown" charset="euc-kr">`, ""},
		{`<meta charset="x-unknown"><meta charset="euc-kr">`, "euc-kr"},
		{`<meta http-equiv="refresh" http-equiv="content-type" content="text/html; charset=gbk">`, ""},
		{`<meta http-equiv="content-type" content="text/html; charset=gbk" content="charset=big5">`, "gbk"},
		{`<meta content="charset=big5" charset="shift_jis">`, "shift_jis"},
		{`<meta name="x" ` + strings.Repeat(`a=b `, 5000) + `charset="koi8-r">`, "koi8-r"},
		{`<meta charset="euc-kr"`, ""},
		{`<!--> <meta charset="euc-kr">`, "euc-kr"},
		{`<!-- <meta charset="euc-kr"> -->`, ""},
		{`<meta charset="x-user-defined">`, "windows-1252"},
		{`<meta charset="utf-16le">`, "utf-8"},
	}
	for _, tt := range tests {
		if got := prescan([]byte(tt.in)); got != tt.want {
			t.Errorf("prescan(%.80q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
