package extract

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
)

// prescanLen is how much of a body is searched for a <meta> charset
// declaration. The WHATWG prescan looks at
// the first 1024 bytes only, which keeps the decision cheap and independent
// of body size.
const prescanLen = 1024

// lateMetaLen is how much of an undeclared body is searched for a <meta>
// charset after the first kilobyte found none.
const lateMetaLen = 64 << 10

// Byte order marks, as strings so that they are constants.
const (
	bomUTF8    = "\xef\xbb\xbf"
	bomUTF16BE = "\xfe\xff"
	bomUTF16LE = "\xff\xfe"
)

// DecodeHTML converts an HTML body to UTF-8 and reports the canonical WHATWG
// name of the encoding it was decoded from ("utf-8", "windows-1252",
// "shift_jis", ...), or Binary.
//
// The encoding is decided the way browsers decide it, in this order:
//
//  1. a byte order mark (UTF-8, UTF-16LE, UTF-16BE), which is stripped;
//  2. the charset parameter of the HTTP Content-Type (parsed leniently, since
//     servers send duplicated or trailing parameters); unknown labels are
//     ignored;
//  3. <meta charset> or <meta http-equiv=Content-Type> in the first 1024
//     bytes, found with the HTML Standard's prescan (see prescan);
//  4. such a <meta> later in the first 64 KiB, which a browser's parser
//     would find and reload the page for;
//  5. otherwise UTF-8 if the whole body is valid UTF-8 (a sequence cut off
//     at the end, as by a size limit, does not count against it), and if
//     not, the legacy encoding that sniff finds most plausible.
//
// A declaration is overruled only where the bytes prove it wrong: a body
// labelled with a single-byte charset that is valid UTF-8 with multi-byte
// sequences is UTF-8; a body labelled UTF-8 that is not valid UTF-8 is
// sniffed; a body with many control bytes is UTF-16 without a BOM (NULs on
// every other byte) or else not text at all, reported as Binary and decoded
// to nothing. The sniff reads only the first kilobytes that have bytes
// outside ASCII, so its cost does not grow with the page; no statistical
// detector runs over whole bodies (colly's DetectCharset did, and cost a
// factor of five in throughput, see DESIGN.md).
//
// Labels are resolved per the WHATWG Encoding Standard, so "iso-8859-1" and
// "us-ascii" decode as (and are reported as) "windows-1252", and a <meta>
// declaring UTF-16 means UTF-8.
//
// The result is always valid UTF-8: a body decoded as UTF-8 that is not gets
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
				return decodeDeclared(name, body)
			}
		}
	}

	if name := prescan(body[:min(len(body), prescanLen)]); name != "" {
		return decodeDeclared(name, body)
	}
	// A <meta> past the first kilobyte is still seen by a browser's parser,
	// which then decodes the page again with it; a second, longer prescan
	// stands for that.
	if len(body) > prescanLen {
		if name := prescan(body[:min(len(body), lateMetaLen)]); name != "" {
			return decodeDeclared(name, body)
		}
	}
	if out, name, ok := decodeNonText(body); ok {
		return out, name
	}
	if utf8.Valid(trimIncompleteRune(body)) {
		return validUTF8(body), "utf-8"
	}
	e, name := sniff(body)
	return decodeWith(e, name, body)
}

// Binary is the charset DecodeHTML reports for a body that is not text in
// any encoding it knows (an image, an archive, ...): then it decodes to
// nothing, so that no title, text or links are made up from random bytes.
const Binary = "binary"

// decodeNonText recognises, from control bytes in the first kilobytes, a
// body that is UTF-16 without a byte order mark (every other byte NUL, which
// is also valid UTF-8) or that is not text at all. Text in an ASCII-based
// encoding has almost no control bytes other than whitespace; the test is
// the HTML Standard's "binary data byte" set, allowing 1% of strays. Only a
// head with a NUL byte is counted: both UTF-16 and binary formats have them
// (random bytes: all but surely in a few kilobytes), and the search for one
// is much faster than the count, which keeps the common case cheap.
func decodeNonText(body []byte) ([]byte, string, bool) {
	head := body[:min(len(body), sniffScanLen)]
	if bytes.IndexByte(head, 0) < 0 {
		return nil, "", false
	}
	controls, nulEven, nulOdd := 0, 0, 0
	for i, c := range head {
		if c >= 0x20 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == 0x1b {
			continue
		}
		controls++
		if c == 0 {
			if i%2 == 0 {
				nulEven++
			} else {
				nulOdd++
			}
		}
	}
	if controls*100 <= len(head) {
		return nil, "", false
	}
	half := len(head) / 2
	switch {
	case nulOdd*10 >= half*3 && nulEven*50 <= half:
		out, name := decodeWith(unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", body)
		return out, name, true
	case nulEven*10 >= half*3 && nulOdd*50 <= half:
		out, name := decodeWith(unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", body)
		return out, name, true
	}
	return []byte{}, Binary, true
}

// decodeDeclared decodes body with the encoding a header or <meta> declared,
// unless the bytes prove the declaration wrong. Two mistakes are common and
// detectable: a UTF-8 page labelled with a single-byte legacy charset (often a
// server default such as ISO-8859-1), which shows as a body that is valid
// UTF-8 with multi-byte sequences, something legacy text almost never is; and
// a legacy page labelled UTF-8, which shows as invalid UTF-8. Only in the
// second case is the detector run, and only over the first few kilobytes.
func decodeDeclared(name string, body []byte) ([]byte, string) {
	if name == "utf-8" {
		if !utf8.Valid(trimIncompleteRune(body)) {
			if out, name, ok := decodeNonText(body); ok {
				return out, name
			}
			e, name := sniff(body)
			return decodeWith(e, name, body)
		}
		return validUTF8(body), name
	}
	if !strings.HasPrefix(name, "utf-16") {
		if out, name, ok := decodeNonText(body); ok {
			return out, name
		}
	}
	if isSingleByte(name) && hasMultibyteUTF8(body) && utf8.Valid(body) {
		return body, "utf-8"
	}
	e, err := htmlindex.Get(name)
	if err != nil {
		// name came from htmlindex.Name, so this does not happen.
		return validUTF8(body), "utf-8"
	}
	return decodeWith(e, name, body)
}

// isSingleByte reports whether a WHATWG encoding name is a single-byte legacy
// encoding, the kind servers wrongly default to.
func isSingleByte(name string) bool {
	return strings.HasPrefix(name, "windows-125") || strings.HasPrefix(name, "iso-8859-") ||
		name == "koi8-r" || name == "koi8-u" || name == "macintosh" || name == "ibm866"
}

// hasMultibyteUTF8 reports whether b contains a well-formed multi-byte UTF-8
// sequence.
func hasMultibyteUTF8(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] >= 0xc2 && b[i] <= 0xf4 && i+1 < len(b) && b[i+1]&0xc0 == 0x80 {
			return true
		}
	}
	return false
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

// trimIncompleteRune returns b without a UTF-8 sequence that is cut off at its
// end, as a body truncated at a size limit is; such a body is still UTF-8.
func trimIncompleteRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		c := b[i]
		if c&0xc0 == 0x80 {
			continue // continuation byte: look further back for the lead
		}
		if c >= 0xc0 && !utf8.FullRune(b[i:]) {
			return b[:i]
		}
		break
	}
	return b
}
