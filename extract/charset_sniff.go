package extract

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	xunicode "golang.org/x/text/encoding/unicode"
)

// The legacy encoding sniff. It runs only on a body that is not valid UTF-8
// and that nothing declared, or that was declared UTF-8: a browser falls back
// to a locale default there, a crawler sees every locale. The bytes outside
// ASCII in the first kilobytes are decoded with each candidate encoding, and
// each decoding is scored as text of the languages the encoding is used for:
// the right decoding gives the letters those languages use most, in
// consistent case, within one script; a wrong one gives rare letters, letters
// of another language or script inside a word, case flips inside words,
// stray symbols, control characters and invalid sequences.
//
// It is hand-written because the maintained Go detectors measured worse on
// the table of testdata/charset (54 undeclared legacy pages, short and long,
// 27 language/encoding pairs; testdata/detectors/README.md): this sniff
// decodes 54, github.com/gogs/chardet 41 (ICU; most titles come out as
// ISO-8859-1), github.com/wlynxg/chardet 37 (Python chardet; no Central
// European model), github.com/saintfish/chardet 30; and it takes from a
// fifth to a fortieth of their time per page.

// Limits of the sniff: it reads at most sniffScanLen bytes of the body and
// keeps at most sniffWordsLen bytes of the words with bytes outside ASCII
// found there, which is plenty of evidence and keeps the cost independent of
// page size.
const (
	sniffScanLen  = 16 << 10
	sniffWordsLen = 4 << 10
	sniffQuickLen = 1 << 10 // the words scored first
	decisiveLead  = 40.0    // a lead on them that decides without the rest
)

// Scores of the sniff. Letter weights (see letterWeight) are clamped to
// [letterLatinLow, letterLatinHigh] in Latin-script languages and to
// [letterOtherLow, letterOtherHigh] in others.
const (
	letterLatinLow  = -1.0
	letterLatinHigh = 4.0
	letterOtherLow  = -4.0
	letterOtherHigh = 2.5
	letterForeign   = -6.0 // a letter the language does not use
	upperDiscount   = 0.5  // text is mostly lower case; an upper-case letter counts less
	caseFlip        = -3.0 // a lower-case letter followed by an upper-case one
	scriptMix       = -4.0 // letters of two scripts in one word
	latinRun        = -3.0 // two accented Latin letters in a row, rare in Latin-script text but all that Greek, Cyrillic or Hebrew read as Latin is
	oddSymbol       = -3.0 // a symbol that text rarely has (¤, ¦, ¸, ...)
	punctInWord     = -3.0 // punctuation other than an apostrophe between two letters
	badChar         = -8.0 // a control character, an unassigned byte, an invalid sequence
	utf8Letter      = 2.5  // a well-formed multi-byte UTF-8 sequence
	hanCommon       = 2.0
	hanOther        = 0.25
	hangulCommon    = 3.0
	hangulOther     = 0.5
	kanaJapanese    = 3.0
	kanaElsewhere   = -1.0
	halfwidthKana   = -0.5 // older Japanese sites use them, but every byte 0xA1-0xDF is one in Shift_JIS
	cjkPunctuation  = 0.5
	cjkOtherSymbol  = -2.0
	defaultMargin   = 3.0            // another candidate must beat windows-1252 by this much
	fallbackEncName = "windows-1252" // the first single-byte candidate
)

// A language is described by the letters outside ASCII it uses, each with
// its frequency in running text in letters per thousand ("é:15 è:2.7"),
// rounded and approximate: the scores need the order of magnitude, not the
// digits.
type language struct {
	name    string
	latin   bool
	letters string
}

var (
	langDE = language{"de", true, "ü:6.5 ä:5.4 ß:3.1 ö:3.0 é:0.05"}
	langFR = language{"fr", true, "é:15 à:4.9 è:2.7 ê:2.2 ç:0.85 û:0.6 ù:0.58 â:0.5 î:0.45 ô:0.23 œ:0.18 ë:0.08 ï:0.05 ÿ:0.001 æ:0.001"}
	langES = language{"es", true, "ó:8.3 í:7.2 á:5.0 é:4.3 ñ:3.1 ú:1.7 ü:0.1"}
	langPT = language{"pt", true, "ã:7.3 ç:5.3 ê:4.5 é:3.4 í:1.3 á:1.2 ó:1.0 õ:0.7 à:0.7 â:0.6 ú:0.6 ô:0.6 ü:0.02"}
	langIT = language{"it", true, "à:6.3 è:2.6 ù:1.7 é:0.3 ì:0.3 ò:0.2 ó:0.01 í:0.01"}
	langNO = language{"nordic", true, "ä:18 å:13 ö:13 ø:9 æ:8 é:0.1 ü:0.01"}
	langCS = language{"cs", true, "á:22 í:16 é:13 ě:12 ý:10 ž:7.5 š:6.9 č:4.6 ř:3.8 ů:2.2 ú:0.9 ň:0.8 ť:0.4 ď:0.2 ó:0.1"}
	langSK = language{"sk", true, "á:21 í:17 ý:17 č:10 ž:8 é:7 š:7 ú:7 ľ:3.5 ô:2 ť:1.6 ň:0.9 ď:0.9 ä:0.7 ó:0.2 ŕ:0.04 ĺ:0.04"}
	langPL = language{"pl", true, "ł:18 ę:11 ą:10 ó:8.5 ż:8.3 ś:6.6 ć:4.0 ń:3.6 ź:0.8"}
	langHU = language{"hu", true, "á:34 é:33 ö:10 ó:10 ő:9 í:6 ü:5 ú:3 ű:1"}
	langHR = language{"hr", true, "č:11 ć:10 š:9 ž:8 đ:2"}
	langRO = language{"ro", true, "ă:40 ş:15 ţ:12 î:10 â:6"}
	langTR = language{"tr", true, "ı:51 ü:19 ş:18 ğ:11 ç:11 İ:10 ö:8 â:0.3 î:0.1 û:0.1"}
	langRU = language{"ru", false, "о:110 е:85 а:80 и:73 н:67 т:63 с:55 р:47 в:45 л:44 к:35 м:32 д:30 п:28 у:26 я:20 ы:19 ь:17 г:17 з:16 б:16 ч:14 й:12 х:10 ж:9 ш:7 ю:6 ц:5 щ:4 э:3 ф:3 ъ:0.4 ё:0.4"}
	langUK = language{"uk", false, "о:94 а:72 н:65 и:61 і:58 в:55 т:54 е:50 р:48 с:42 к:35 л:34 у:33 д:32 м:30 п:28 з:22 я:20 ь:17 б:16 г:15 ч:13 х:12 й:10 ц:10 ж:8 ї:7 ш:7 ю:6 є:4 щ:3 ф:2 ґ:0.1"}
	langBG = language{"bg", false, "а:89 о:86 е:80 и:77 т:70 н:65 р:52 с:45 в:43 л:33 к:33 д:32 п:30 м:28 з:19 у:18 я:18 г:17 ъ:16 б:13 ч:12 ж:8 ц:6 й:5 х:5 ш:4 щ:3 ф:2 ю:1.5 ь:0.1"}
	langEL = language{"el", false, "α:120 ο:98 ι:88 ε:80 τ:79 ν:70 σ:42 η:45 ρ:43 π:40 κ:39 μ:33 υ:30 λ:27 ό:25 ς:25 ί:22 ά:18 γ:17 έ:15 ω:15 δ:14 ή:12 χ:10 θ:10 ύ:8 φ:8 ώ:6 β:5 ξ:3 ζ:3 ψ:1 ϊ:0.5 ΐ:0.2 ϋ:0.1 ΰ:0.05"}
	langHE = language{"he", false, "י:110 ו:105 ה:90 ל:70 א:60 ר:55 מ:50 ב:50 ת:50 נ:40 ש:40 ע:35 כ:30 ד:30 ם:25 ח:25 ק:22 פ:18 ן:15 ס:15 ג:12 ט:10 צ:10 ז:8 ך:5 ף:2 ץ:2"}
)

// singleByteCandidates are the single-byte encodings sniffed for, with the
// languages each is used for, in order of preference when scores tie.
var singleByteCandidates = []struct {
	name  string
	langs []language
}{
	{"windows-1252", []language{langDE, langFR, langES, langPT, langIT, langNO}},
	{"windows-1251", []language{langRU, langUK, langBG}},
	{"windows-1254", []language{langTR}}, // before -1250: ı is 5% of Turkish, ý 1% of Czech
	{"windows-1250", []language{langCS, langSK, langPL, langHU, langHR, langRO}},
	{"iso-8859-2", []language{langCS, langSK, langPL, langHU, langHR, langRO}},
	{"koi8-r", []language{langRU}},
	{"windows-1253", []language{langEL}},
	{"windows-1255", []language{langHE}},
}

// multiByteCandidates are the CJK encodings sniffed for, in order of
// preference when scores tie.
var multiByteCandidates = []string{"gbk", "big5", "shift_jis", "euc-jp", "euc-kr"}

// commonHan holds very frequent Chinese characters in both simplified and
// traditional forms, and frequent Japanese kanji. Text decoded with the wrong
// CJK encoding is made of rare characters; the right one hits this set often.
const commonHan = "的一是不了在人有我他这這个個们們中来來上大为為和国國地到以说說时時要就出会會可也你对對生能而子那得于於着著下自之年过過发發后後作里裡用道行所然家种種事成方多经經么麼去法学學如都同现現当當没沒动動面起看定天分还還进進好小部其些主样樣理心她本前开開但因只从從想实實日文网網页頁体體新闻聞华華业業公司商品月市东東京都电電话話书書车車长長间間问問题題重点點手机機高加气氣明名关關最区區见見无無三十百千万萬"

// commonHangul holds frequent Hangul syllables. EUC-KR decodes most
// two-byte sequences of GBK text as Hangul, but rare syllables.
const commonHangul = "이다는의에하고을가로한지기서사리도자어나수일시정대전있인들해적부게으주국요만것보없제성상아장위무선우경년면과식원문화라니소여구생동내방조마학중비회교신관스실개세트행미분터통물공러계연당말영오불후된까금입발드르음심야노날했습럼명저치안모크차간예그때월운결외변데를은와며할및높많같더될또함거추표반업체단용산출설현민법합강양종진확청점평재최특밝달버늘철뉴새올서울번각알려받던겠려왔었"

// sniffModel is the sniff's tables, built once from the lists above and only
// read afterwards.
type sniffModel struct {
	single []singleByteModel
	multi  []multiByteModel
	han    runeBits // commonHan
	hangul runeBits // commonHangul
}

// runeBits is a set of runes from one block, as a bitmap: a lookup is a
// shift and a mask, several times faster than a map on the CJK path.
type runeBits struct {
	lo   rune
	bits []uint64
}

func newRuneBits(lo, hi rune, s string) runeBits {
	rb := runeBits{lo: lo, bits: make([]uint64, (hi-lo)/64+1)}
	for _, r := range s {
		if r < lo || r > hi {
			panic("extract: rune outside its block in a sniff table")
		}
		rb.bits[(r-lo)/64] |= 1 << ((r - lo) % 64)
	}
	return rb
}

func (rb runeBits) has(r rune) bool {
	i := r - rb.lo
	return i >= 0 && int(i/64) < len(rb.bits) && rb.bits[i/64]&(1<<(i%64)) != 0
}

// singleByteModel scores bytes 0x80-0xFF of one single-byte encoding: their
// class, script, and the weight of the letter each decodes to in each
// language.
type singleByteModel struct {
	name       string
	enc        encoding.Encoding
	class      [128]charClass
	script     [128]byte
	apostrophe [128]bool      // ’ and ·, which stand inside words
	weights    [][128]float64 // per language
}

type multiByteModel struct {
	name     string
	enc      encoding.Encoding
	japanese bool
	korean   bool
}

// charClass is what a character is to the scorer.
type charClass uint8

const (
	classOther charClass = iota // ASCII digits, spaces, punctuation
	classLower
	classUpper
	classPunct // typographic punctuation, neutral
	classOdd
	classBad
	classMark // combining mark (Hebrew points)
)

// Scripts of letters, for the script-mixing penalty.
const (
	scriptNone = iota
	scriptLatin
	scriptCyrillic
	scriptGreek
	scriptHebrew
)

// defaultSniffModel is built once; it is never modified.
var defaultSniffModel = newSniffModel()

func newSniffModel() *sniffModel {
	m := &sniffModel{han: newRuneBits(0x4e00, 0x9fff, commonHan), hangul: newRuneBits(0xac00, 0xd7a3, commonHangul)}
	for _, c := range singleByteCandidates {
		e, err := htmlindex.Get(c.name)
		if err != nil {
			panic("extract: no encoding " + c.name) // the list above is wrong
		}
		sm := singleByteModel{name: c.name, enc: e, weights: make([][128]float64, len(c.langs))}
		dec := e.NewDecoder()
		for b := 0x80; b <= 0xff; b++ {
			out, err := dec.Bytes([]byte{byte(b)})
			r := utf8.RuneError
			if err == nil {
				r, _ = utf8.DecodeRune(out)
			}
			i := b - 0x80
			sm.class[i], sm.script[i] = classify(r)
			sm.apostrophe[i] = r == '’' || r == '·' || r == 0xad
			for li, l := range c.langs {
				sm.weights[li][i] = letterWeight(l, r)
			}
		}
		m.single = append(m.single, sm)
	}
	for _, name := range multiByteCandidates {
		e, err := htmlindex.Get(name)
		if err != nil {
			panic("extract: no encoding " + name)
		}
		m.multi = append(m.multi, multiByteModel{name: name, enc: e,
			japanese: name == "shift_jis" || name == "euc-jp", korean: name == "euc-kr"})
	}
	return m
}

// classify tells the class and script of a character outside ASCII.
func classify(r rune) (charClass, byte) {
	switch {
	case r == utf8.RuneError, r < 0xa0, r >= 0xe000 && r <= 0xf8ff, r == 0xad:
		return classBad, scriptNone // controls, unassigned, private use, soft hyphen
	case unicode.Is(unicode.Mn, r):
		return classMark, scriptNone
	case unicode.IsLetter(r):
		script := byte(scriptNone)
		switch {
		case unicode.Is(unicode.Latin, r):
			script = scriptLatin
		case unicode.Is(unicode.Cyrillic, r):
			script = scriptCyrillic
		case unicode.Is(unicode.Greek, r):
			script = scriptGreek
		case unicode.Is(unicode.Hebrew, r):
			script = scriptHebrew
		}
		if unicode.IsUpper(r) {
			return classUpper, script
		}
		return classLower, script
	}
	switch r {
	case 0xa0, '«', '»', '“', '”', '‘', '’', '„', '‚', '–', '—', '…', '•', '·', '°', '€', '£', '©', '®', '™', '§', '¿', '¡', '×', 0x200e, 0x200f:
		return classPunct, scriptNone
	}
	return classOdd, scriptNone
}

// letterWeight is the weight of r as a letter of l, from its frequency f
// (per thousand letters): in a Latin-script language, where ASCII letters are
// not scored, log2(4f), so that any of its common accented letters is
// evidence; in another script, where every letter is scored, log2(f/30), the
// log-likelihood against 33 equally frequent letters, so that the rare
// letters a wrong decoding produces count against it. Both are clamped.
// A letter the language does not use scores letterForeign, what is not a
// letter 0.
func letterWeight(l language, r rune) float64 {
	if !unicode.IsLetter(r) {
		return 0
	}
	lower := unicode.ToLower(r)
	for _, field := range strings.Fields(l.letters) {
		letter, freq, _ := strings.Cut(field, ":")
		c, _ := utf8.DecodeRuneInString(letter)
		if c != r && c != lower {
			continue
		}
		f, err := strconv.ParseFloat(freq, 64)
		if err != nil {
			panic("extract: bad letter frequency " + field) // the tables above are wrong
		}
		w := min(max(math.Log2(f/30), letterOtherLow), letterOtherHigh)
		if l.latin {
			w = min(max(math.Log2(4*f), letterLatinLow), letterLatinHigh)
		}
		if c != r { // r is the upper case of c
			w -= upperDiscount
		}
		return w
	}
	return letterForeign
}

// sniff guesses the encoding of a body that is not valid UTF-8 from the
// words with bytes outside ASCII in the first kilobytes that have any. The
// best-scoring candidate wins, but another than windows-1252 (the browsers'
// default) only by a margin; UTF-8 itself is a candidate, so that a UTF-8
// page with a few invalid bytes stays UTF-8.
func sniff(body []byte) (encoding.Encoding, string) {
	return defaultSniffModel.sniff(body)
}

func (m *sniffModel) sniff(body []byte) (encoding.Encoding, string) {
	start := 0
	for start < len(body) && body[start] < 0x80 {
		start++
	}
	for start > 0 && !isWordDelimiter(body[start-1]) {
		start--
	}
	words := nonASCIIWords(body[start:min(len(body), start+sniffScanLen)], sniffWordsLen)
	// Most pages are decided by their first words; the rest are read only
	// when the first do not decide clearly.
	if len(words) > sniffQuickLen {
		quick := words[:bytes.LastIndexByte(words[:sniffQuickLen], ' ')+1]
		if e, name, lead := m.best(quick); lead >= decisiveLead {
			return e, name
		}
	}
	e, name, _ := m.best(words)
	return e, name
}

// best returns the candidate that scores words highest, and by how much it
// leads the runner-up.
func (m *sniffModel) best(words []byte) (encoding.Encoding, string, float64) {
	var best encoding.Encoding
	bestName, bestScore, second, fallbackScore := "", math.Inf(-1), math.Inf(-1), 0.0
	consider := func(e encoding.Encoding, name string, score float64) {
		if name == fallbackEncName {
			fallbackScore = score
		}
		if score > bestScore && (name == fallbackEncName || score > fallbackScore+defaultMargin) {
			best, bestName, second, bestScore = e, name, bestScore, score
		} else {
			second = max(second, score)
		}
	}
	for i := range m.single { // windows-1252 first
		consider(m.single[i].enc, m.single[i].name, m.single[i].score(words))
	}
	for _, c := range m.multi {
		text, err := c.enc.NewDecoder().Bytes(words)
		if err != nil {
			continue
		}
		consider(c.enc, c.name, m.scoreCJK(text, c))
	}
	consider(xunicode.UTF8, "utf-8", scoreUTF8(words))
	return best, bestName, bestScore - second
}

// isWordDelimiter reports whether c ends a word for the sniff: ASCII
// whitespace and the bytes that delimit markup. All are below 0x40 and so are
// never the second byte of a CJK character.
func isWordDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '<', '>', '"', '=':
		return true
	}
	return false
}

// nonASCIIWords collects, separated by single spaces, the runs of b between
// word delimiters that contain a byte outside ASCII, up to limit bytes; no
// character is cut.
func nonASCIIWords(b []byte, limit int) []byte {
	var out []byte
	start, high := 0, false
	for i := 0; i <= len(b); i++ {
		if i < len(b) {
			c := b[i]
			if c >= 0x80 {
				high = true
				continue
			}
			if !isWordDelimiter(c) {
				continue
			}
		}
		if high {
			if len(out)+i-start+1 > limit {
				break
			}
			out = append(out, b[start:i]...)
			out = append(out, ' ')
		}
		start, high = i+1, false
	}
	return out
}

// score rates words as text in the model's encoding: the best of its
// languages' letter scores plus the penalties that do not depend on the
// language.
func (sm *singleByteModel) score(words []byte) float64 {
	var perLang [8]float64
	langs := perLang[:len(sm.weights)]
	common := 0.0
	prevClass, prevScript, prevHigh := classOther, byte(scriptNone), false
	punctAfterLetter := false // the previous byte is punctuation after a letter
	for _, c := range words {
		class, script, high := classOther, byte(scriptNone), c >= 0x80
		switch {
		case 'a' <= c && c <= 'z':
			class, script = classLower, scriptLatin
		case 'A' <= c && c <= 'Z':
			class, script = classUpper, scriptLatin
		case high:
			i := c - 0x80
			class, script = sm.class[i], sm.script[i]
			switch class {
			case classLower, classUpper:
				for li := range langs {
					langs[li] += sm.weights[li][i]
				}
			case classOdd:
				common += oddSymbol
			case classPunct:
				if prevClass == classLower || prevClass == classUpper {
					if !sm.apostrophe[i] {
						punctAfterLetter = true
						prevClass, prevScript, prevHigh = class, script, high
						continue
					}
				}
			case classBad:
				common += badChar
			case classMark:
				if prevScript != scriptHebrew {
					common += oddSymbol
				}
				continue // a point belongs to the letter before it
			}
		}
		if punctAfterLetter && (class == classLower || class == classUpper) {
			common += punctInWord // "wa¿niejsze": ż read as ¿
		}
		punctAfterLetter = false
		if script != scriptNone && prevScript != scriptNone && script != prevScript {
			common += scriptMix
		}
		if high && prevHigh && script == scriptLatin && prevScript == scriptLatin {
			common += latinRun
		}
		// camelCase in ASCII is common; a case flip at a byte outside ASCII
		// is what a wrong code page produces.
		if class == classUpper && prevClass == classLower && (high || prevHigh) {
			common += caseFlip
		}
		prevClass, prevScript, prevHigh = class, script, high
	}
	best := langs[0]
	for _, s := range langs[1:] {
		best = max(best, s)
	}
	return best + common
}

// scoreCJK rates text, the decoding of the words in a CJK encoding.
func (m *sniffModel) scoreCJK(text []byte, c multiByteModel) float64 {
	score := 0.0
	s := string(text)
	for i, r := range s {
		switch {
		case r < 0x80:
		case r == utf8.RuneError:
			if i < len(s)-4 { // a character cut at the end of the sample is no evidence
				score += badChar
			}
		case r >= 0x3040 && r <= 0x30ff: // hiragana, katakana
			if c.japanese {
				score += kanaJapanese
			} else {
				score += kanaElsewhere
			}
		case r >= 0xac00 && r <= 0xd7a3: // Hangul syllables
			switch {
			case !c.korean:
				score += cjkOtherSymbol
			case m.hangul.has(r):
				score += hangulCommon
			default:
				score += hangulOther
			}
		case r >= 0x4e00 && r <= 0x9fff: // Han
			switch {
			case c.korean: // Korean text seldom has Hanja
			case m.han.has(r):
				score += hanCommon
			default:
				score += hanOther
			}
		case r >= 0xff61 && r <= 0xff9f:
			score += halfwidthKana
		case r >= 0x3000 && r <= 0x303f, r >= 0xff00 && r <= 0xffef: // CJK punctuation, full-width forms
			score += cjkPunctuation
		case r >= 0xe000 && r <= 0xf8ff, r < 0xa0:
			score += badChar
		default:
			score += cjkOtherSymbol
		}
	}
	return score
}

// scoreUTF8 rates words as UTF-8: well-formed multi-byte sequences are
// strong evidence (legacy text rarely forms them), invalid ones count
// against it as in every other decoding.
func scoreUTF8(words []byte) float64 {
	score := 0.0
	for i := 0; i < len(words); {
		r, n := utf8.DecodeRune(words[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			if i < len(words)-4 {
				score += badChar
			}
		case n > 1:
			score += utf8Letter
		}
		i += n
	}
	return score
}
