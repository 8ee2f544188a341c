package extract

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// Test texts, each using characters its encoding has and ASCII lacks. The
// windows-1252 one uses 0x80-0x9F (dash, quotes, euro), where windows-1252
// and ISO-8859-1 differ.
const (
	textCP1252 = "Café – “quoted” costs 5 €"
	textLatin1 = "Ærøskøbing, Göteborg, Ñandú"
	textSJIS   = "日本語のページです"
	textEUCKR  = "한국어 페이지입니다"
	textGBK    = "这是一个中文网页"
	textBig5   = "這是一個繁體中文網頁"
)

// encode returns s encoded with e, failing the test if e cannot encode it.
func encode(t testing.TB, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

// page wraps encoded text in a small HTML document with head markup.
func page(head string, text []byte) []byte {
	var b bytes.Buffer
	b.WriteString("<!doctype html><html><head>" + head + "<title>t</title></head><body><p>")
	b.Write(text)
	b.WriteString("</p></body></html>")
	return b.Bytes()
}

func TestDecodeHTML(t *testing.T) {
	asciiPad := "<!-- " + strings.Repeat("padding ", 140) + "-->" // > 1024 bytes
	tests := []struct {
		name        string
		body        []byte
		contentType string
		wantText    string // must appear in the result
		wantCharset string
	}{
		// HTTP header only.
		{"header windows-1252", page("", encode(t, charmap.Windows1252, textCP1252)), "text/html; charset=windows-1252", textCP1252, "windows-1252"},
		{"header iso-8859-1 is windows-1252", page("", encode(t, charmap.ISO8859_1, textLatin1)), "text/html; charset=ISO-8859-1", textLatin1, "windows-1252"},
		{"header shift_jis", page("", encode(t, japanese.ShiftJIS, textSJIS)), "text/html; charset=Shift_JIS", textSJIS, "shift_jis"},
		{"header euc-kr", page("", encode(t, korean.EUCKR, textEUCKR)), "text/html;charset=euc-kr", textEUCKR, "euc-kr"},
		{"header gbk", page("", encode(t, simplifiedchinese.GBK, textGBK)), "text/html; charset=GBK", textGBK, "gbk"},
		{"header big5 quoted", page("", encode(t, traditionalchinese.Big5, textBig5)), `text/html; charset="big5"`, textBig5, "big5"},
		{"header duplicated parameter", page("", encode(t, traditionalchinese.Big5, textBig5)), "text/html; charset=big5; charset=big5", textBig5, "big5"},
		{"header trailing semicolon", page("", encode(t, korean.EUCKR, textEUCKR)), "text/html; charset=EUC-KR;", textEUCKR, "euc-kr"},

		// <meta> only.
		{"meta charset windows-1252", page(`<meta charset="windows-1252">`, encode(t, charmap.Windows1252, textCP1252)), "text/html", textCP1252, "windows-1252"},
		{"meta charset iso-8859-1", page(`<meta charset=iso-8859-1>`, encode(t, charmap.ISO8859_1, textLatin1)), "", textLatin1, "windows-1252"},
		{"meta charset shift_jis", page(`<meta charset="Shift_JIS">`, encode(t, japanese.ShiftJIS, textSJIS)), "text/html", textSJIS, "shift_jis"},
		{"meta charset euc-kr", page(`<meta charset="euc-kr">`, encode(t, korean.EUCKR, textEUCKR)), "text/html", textEUCKR, "euc-kr"},
		{"meta http-equiv gbk", page(`<meta http-equiv="Content-Type" content="text/html; charset=GBK">`, encode(t, simplifiedchinese.GBK, textGBK)), "text/html", textGBK, "gbk"},
		{"meta http-equiv gb2312 is gbk", page(`<META HTTP-EQUIV=content-type CONTENT="text/html;charset=gb2312">`, encode(t, simplifiedchinese.GBK, textGBK)), "", textGBK, "gbk"},
		{"meta charset big5", page(`<meta charset="big5">`, encode(t, traditionalchinese.Big5, textBig5)), "text/html", textBig5, "big5"},
		{"meta content without http-equiv ignored; sniffed instead", page(`<meta content="text/html; charset=euc-kr">`, encode(t, korean.EUCKR, textEUCKR)), "", textEUCKR, "euc-kr"},
		// A declared windows-1252 must win even over bytes that happen to be
		// valid UTF-8: this is what tells a declaration from the default.
		// A UTF-8 page mislabelled with a single-byte charset is read as UTF-8.
		{"meta windows-1252 over valid utf-8 bytes", page(`<meta charset="windows-1252">`, []byte("café")), "", "café", "utf-8"},
		{"header iso-8859-1 over utf-8 bytes", page("", []byte(textSJIS)), "text/html; charset=ISO-8859-1", textSJIS, "utf-8"},
		// A legacy page mislabelled as UTF-8, and undeclared CJK pages, are sniffed.
		{"meta utf-8 over shift_jis bytes", page(`<meta charset="utf-8">`, encode(t, japanese.ShiftJIS, textSJIS)), "", textSJIS, "shift_jis"},
		{"undeclared shift_jis", page("", encode(t, japanese.ShiftJIS, textSJIS)), "", textSJIS, "shift_jis"},
		{"undeclared big5", page("", encode(t, traditionalchinese.Big5, textBig5)), "", textBig5, "big5"},
		{"undeclared gbk", page("", encode(t, simplifiedchinese.GBK, textGBK)), "", textGBK, "gbk"},
		{"undeclared euc-kr", page("", encode(t, korean.EUCKR, textEUCKR)), "", textEUCKR, "euc-kr"},
		{"undeclared windows-1252 stays windows-1252", page("", encode(t, charmap.Windows1252, "café crème brûlée")), "", "café crème brûlée", "windows-1252"},
		{"meta utf-16 means utf-8", page(`<meta charset="utf-16">`, []byte("café")), "", "café", "utf-8"},
		{"meta after first 1024 bytes still counts", page(asciiPad+`<meta charset="euc-kr">`, encode(t, korean.EUCKR, textEUCKR)), "", textEUCKR, "euc-kr"},

		// Precedence.
		{"header beats meta", page(`<meta charset="utf-8">`, encode(t, japanese.ShiftJIS, textSJIS)), "text/html; charset=shift_jis", textSJIS, "shift_jis"},
		{"unknown header label falls back to meta", page(`<meta charset="euc-kr">`, encode(t, korean.EUCKR, textEUCKR)), "text/html; charset=x-no-such-thing", textEUCKR, "euc-kr"},
		{"empty header charset falls back to meta", page(`<meta charset="big5">`, encode(t, traditionalchinese.Big5, textBig5)), "text/html; charset=", textBig5, "big5"},
		{"utf-8 BOM beats header", append([]byte(bomUTF8), page("", []byte("café"))...), "text/html; charset=windows-1252", "café", "utf-8"},
		{"utf-8 BOM beats meta", append([]byte(bomUTF8), page(`<meta charset="shift_jis">`, []byte("日本"))...), "", "日本", "utf-8"},
		{"utf-16le BOM", encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), string(page(`<meta charset="big5">`, []byte("ünïcödé")))), "text/html; charset=big5", "ünïcödé", "utf-16le"},
		{"utf-16be BOM", encode(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), string(page("", []byte("ünïcödé")))), "", "ünïcödé", "utf-16be"},

		// No declaration at all.
		{"undeclared ascii", page("", []byte("plain")), "text/html", "plain", "utf-8"},
		{"undeclared utf-8", page("", []byte("café 日本")), "text/html", "café 日本", "utf-8"},
		{"undeclared utf-8 after first kilobyte", page(asciiPad, []byte("café 日本")), "", "café 日本", "utf-8"},
		{"undeclared windows-1252", page("", encode(t, charmap.Windows1252, textCP1252)), "", textCP1252, "windows-1252"},
		{"undeclared windows-1252 after first kilobyte", page(asciiPad, encode(t, charmap.Windows1252, textCP1252)), "text/html", textCP1252, "windows-1252"},
		{"empty body", nil, "", "", "utf-8"},

		// Declared UTF-8 that is not.
		{"invalid utf-8 gets replacement", page("", []byte("a\xffb\xc3")), "text/html; charset=utf-8", "a\uFFFDb\uFFFD", "utf-8"},
		{"invalid utf-8 after BOM gets replacement", append([]byte(bomUTF8), 'a', 0xff), "", "a\uFFFD", "utf-8"},
		// A body cut off by --max-body in the middle of a character is UTF-8.
		{"undeclared utf-8 truncated mid-character", []byte("<p>Größe und Übung: 日本\xe8\xaa"), "", "Größe und Übung: 日本\uFFFD", "utf-8"},
		{"undeclared utf-8 truncated after a lead byte", []byte("<p>café crème \xc3"), "text/html", "café crème \uFFFD", "utf-8"},
		{"meta in script is seen by the prescan", []byte(`<script>var s = '<meta charset="euc-kr">'</script>` + string(encode(t, korean.EUCKR, textEUCKR))), "", textEUCKR, "euc-kr"},
	}
	tests = append(tests, []struct {
		name        string
		body        []byte
		contentType string
		wantText    string
		wantCharset string
	}{
		// The pages: legacy text with no declaration, and GBK
		// labelled UTF-8 (it was decoded as EUC-KR).
		{"undeclared German windows-1252", page("", encode(t, charmap.Windows1252, "Größe und Übung: schön in München")), "text/html", "Größe und Übung: schön in München", "windows-1252"},
		{"undeclared all-caps German windows-1252", page("", encode(t, charmap.Windows1252, "ÄRGER ÜBER GRÖSSE")), "", "ÄRGER ÜBER GRÖSSE", "windows-1252"},
		{"gbk title labelled utf-8", page("", encode(t, simplifiedchinese.GBK, "北京市政府今天宣布延长地铁运营时间")), "text/html; charset=utf-8", "北京市政府今天宣布延长地铁运营时间", "gbk"},
		{"undeclared windows-1251", page("", encode(t, charmap.Windows1251, "Новости России и мира")), "", "Новости России и мира", "windows-1251"},
		{"undeclared koi8-r", page("", encode(t, charmap.KOI8R, "Новости России и мира")), "", "Новости России и мира", "koi8-r"},

		// UTF-8 with a stray legacy byte stays UTF-8.
		{"utf-8 with one stray byte, labelled", page("", []byte("Москва – столица России, \xe9 город")), "text/html; charset=utf-8", "Москва – столица России, \uFFFD город", "utf-8"},
		{"utf-8 with one stray byte, undeclared", page("", []byte("日本語のページです\x82")), "", "日本語のページです\uFFFD", "utf-8"},

		// UTF-16 without a BOM or declaration.
		{"undeclared utf-16le without BOM", encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), string(page("", []byte("ünïcödé")))), "text/html", "ünïcödé", "utf-16le"},
		{"undeclared utf-16be without BOM", encode(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), string(page("", []byte("ünïcödé")))), "", "ünïcödé", "utf-16be"},

		// Binary served as text/html decodes to nothing, whatever the label.
		{"binary undeclared", binaryBody(), "text/html", "", Binary},
		{"binary labelled utf-8", binaryBody(), "text/html; charset=utf-8", "", Binary},
		{"binary labelled iso-8859-1", binaryBody(), "text/html; charset=iso-8859-1", "", Binary},
		{"binary labelled shift_jis", binaryBody(), "text/html; charset=shift_jis", "", Binary},
		// A stray control byte does not make text binary.
		{"one NUL in a windows-1252 page", page("", append(encode(t, charmap.Windows1252, textCP1252), 0)), "", textCP1252, "windows-1252"},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, name := DecodeHTML(tt.body, tt.contentType)
			if name != tt.wantCharset {
				t.Errorf("charset = %q, want %q", name, tt.wantCharset)
			}
			if !utf8.Valid(got) {
				t.Errorf("result is not valid UTF-8: %q", got)
			}
			if bytes.HasPrefix(got, []byte(bomUTF8)) || bytes.HasPrefix(got, []byte("\uFEFF")) {
				t.Errorf("BOM kept: %q", got)
			}
			if !bytes.Contains(got, []byte(tt.wantText)) {
				t.Errorf("result %q does not contain %q", got, tt.wantText)
			}
			if tt.wantCharset == Binary && len(got) != 0 {
				t.Errorf("binary body decoded to %d bytes, want none", len(got))
			}
		})
	}
}

// binaryBody is what an image served as text/html looks like: a PNG header
// and compressed (random-looking) bytes.
func binaryBody() []byte {
	b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00\x5c\x72\xa8\x66")
	x := uint32(2463534242)
	for len(b) < 4096 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b = append(b, byte(x))
	}
	return b
}

// FuzzDecodeHTML checks that any body, with any label, decodes without
// panicking to valid UTF-8 and a charset name.
func FuzzDecodeHTML(f *testing.F) {
	f.Add([]byte("<meta charset=utf-8>caf\xe9"), "text/html")
	f.Add(binaryBody(), "text/html; charset=utf-8")
	f.Add([]byte("\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc<p>\x81\x40\xfe"), "")
	f.Add([]byte("<meta http-equiv=content-type content='text/html; charset=\"gbk"), "text/html; charset")
	f.Add([]byte("\x00<\x00p\x00>\x00"), "text/html; charset=utf-16")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		got, name := DecodeHTML(body, contentType)
		if name == "" {
			t.Errorf("no charset for %q", body)
		}
		if !utf8.Valid(got) {
			t.Errorf("result is not valid UTF-8: %q", got)
		}
	})
}

// TestDecodeHTMLFastPath checks that valid UTF-8 is returned without a copy,
// whether declared or not.
func TestDecodeHTMLFastPath(t *testing.T) {
	body := page(`<meta charset="utf-8">`, []byte("café 日本"))
	for _, ct := range []string{"text/html; charset=utf-8", "text/html; charset=UTF8", "text/html", ""} {
		got, name := DecodeHTML(body, ct)
		if name != "utf-8" {
			t.Errorf("%q: charset = %q, want utf-8", ct, name)
		}
		if len(got) != len(body) || &got[0] != &body[0] {
			t.Errorf("%q: result is a copy, want the input slice", ct)
		}
	}
	if n := testing.AllocsPerRun(100, func() { DecodeHTML(body, "text/html; charset=utf-8") }); n != 0 {
		t.Errorf("declared UTF-8 fast path allocates %v times, want 0", n)
	}
}

func TestHeaderCharset(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"text/html", ""},
		{"text/html; charset=utf-8", "utf-8"},
		{"text/html;charset=Shift_JIS", "Shift_JIS"},
		{`text/html; Charset = "EUC-KR" `, "EUC-KR"},
		{"text/html; charset='gbk'", "gbk"},
		{"text/html; q=1; charset=big5; charset=utf-8", "big5"},
		{"text/html; charset=", ""},
		{"text/html; charset=; charset=gbk", "gbk"},
		{"text/html; foo", ""},
		{"text/html; xcharset=utf-8", ""},
	}
	for _, tt := range tests {
		if got := headerCharset(tt.in); got != tt.want {
			t.Errorf("headerCharset(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
