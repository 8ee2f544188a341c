package extract

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
)

// prescanLen is how much of a body is searched for a <meta> charset
// declaration. The WHATWG prescan (and charset.DetermineEncoding) looks at
// the first 1024 bytes only, which keeps the decision cheap and independent
// of body size.
const prescanLen = 1024

// Byte order marks, as strings so that they are constants.
const (
	bomUTF8    = "\xef\xbb\xbf"
	bomUTF16BE = "\xfe\xff"
	bomUTF16LE = "\xff\xfe"
)

// DecodeHTML converts an HTML body to UTF-8 and reports the canonical WHATWG
// name of the encoding it was decoded from ("utf-8", "windows-1252",
// "shift_jis", ...).
//
// The encoding is decided the way browsers decide it, in this order:
//
//  1. a byte order mark (UTF-8, UTF-16LE, UTF-16BE), which is stripped;
//  2. the charset parameter of the HTTP Content-Type (parsed leniently, since
//     servers send duplicated or trailing parameters); unknown labels are
//     ignored;
//  3. <meta charset> or <meta http-equiv=Content-Type> in the first 1024
//     bytes, found with the prescan of golang.org/x/net/html/charset;
//  4. otherwise UTF-8 if the whole body is valid UTF-8, windows-1252 if not.
//
// No statistical detector is run: colly's DetectCharset does that over every
// whole body and cost a factor of five in throughput (see DESIGN.md), while
// the steps above are what browsers do and cost little more than one
// utf8.Valid scan.
//
// Labels are resolved per the WHATWG Encoding Standard, so "iso-8859-1" and
// "us-ascii" decode as (and are reported as) "windows-1252", and a <meta>
// declaring UTF-16 means UTF-8.
//
// The result is always valid UTF-8: a body declared as UTF-8 that is not gets
// U+FFFD for each invalid sequence, as a browser would show it. When the body
// is UTF-8 without a BOM and valid, the input slice itself is returned (no
// copy), which is the common case on today's web; callers must therefore not
// modify body while they use the result.
func DecodeHTML(body []byte, contentType string) (decoded []byte, charsetName string) {
	switch {
	case hasPrefix(body, bomUTF8):
		return validUTF8(body[len(bomUTF8):]), "utf-8"
	case hasPrefix(body, bomUTF16BE):
		return decodeWith(unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", body[len(bomUTF16BE):])
	case hasPrefix(body, bomUTF16LE):
		return decodeWith(unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", body[len(bomUTF16LE):])
	}

	if label := headerCharset(contentType); label != "" {
		// htmlindex rather than charset.Lookup: same WHATWG label table,
		// without Lookup's allocation of an encoder wrapper we do not use.
		if e, err := htmlindex.Get(label); err == nil {
			if name, err := htmlindex.Name(e); err == nil {
				return decodeWith(e, name, body)
			}
		}
	}

	// The header is passed as "" because it was handled above; DetermineEncoding
	// then runs the <meta> prescan over at most the first 1024 bytes.
	e, name, _ := charset.DetermineEncoding(body[:min(len(body), prescanLen)], "")
	if e == charmap.Windows1252 {
		// DetermineEncoding returns the bare charmap (not the wrapper that
		// Lookup returns for a declared label) only as its default: nothing was
		// declared and the first kilobyte holds no UTF-8 evidence, which is
		// true of every ASCII-only head. Decide on the whole body instead, so
		// an undeclared UTF-8 page with non-ASCII text after the first
		// kilobyte is not decoded as windows-1252. TestDecodeHTML guards this
		// reliance on the identity of the default.
		if utf8.Valid(body) {
			return body, "utf-8"
		}
		return decodeWith(e, "windows-1252", body)
	}
	return decodeWith(e, name, body)
}

// decodeWith decodes body with e, whose canonical name is name.
func decodeWith(e encoding.Encoding, name string, body []byte) ([]byte, string) {
	if name == "utf-8" {
		return validUTF8(body), name
	}
	out, err := e.NewDecoder().Bytes(body)
	if err != nil {
		// The x/text decoders replace malformed input rather than fail, so
		// this is not expected; keep the promise of valid UTF-8 anyway.
		return bytes.ToValidUTF8(body, []byte("\uFFFD")), name
	}
	return out, name
}

// validUTF8 returns b itself when it is valid UTF-8 (the fast path: no copy),
// and otherwise a copy with each invalid sequence replaced by U+FFFD the way
// the WHATWG UTF-8 decoder does it.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out, err := unicode.UTF8.NewDecoder().Bytes(b)
	if err != nil {
		return bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	return out
}

// headerCharset returns the value of the charset parameter of a Content-Type
// header, or "". It is deliberately more lenient than mime.ParseMediaType,
// which rejects the whole header (and so would lose the charset) on
// duplicated parameters or stray syntax that real servers send.
func headerCharset(contentType string) string {
	rest := contentType
	for {
		i := strings.IndexByte(rest, ';')
		if i < 0 {
			return ""
		}
		rest = rest[i+1:]
		param := rest
		if j := strings.IndexByte(param, ';'); j >= 0 {
			param = param[:j]
		}
		key, value, ok := strings.Cut(param, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(key), "charset") {
			continue
		}
		value = strings.TrimSpace(value)
		value = strings.Trim(value, `"'`)
		if value = strings.TrimSpace(value); value != "" {
			return value
		}
	}
}

// hasPrefix reports whether b starts with p; the conversion in the comparison
// does not allocate.
func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}
