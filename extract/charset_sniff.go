package extract

import (
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

// Limits of the sniff: it reads at most sniffScanLen bytes of the body and
// keeps at most sniffWordsLen bytes of the words with bytes outside ASCII
// found there, which is plenty of evidence and keeps the cost independent of
// page size.
const (
	sniffScanLen  = 16 << 10
	sniffWordsLen = 4 << 10
)

// Scores of the sniff. Letter weights run from letterTop (a language's most
// frequent letter outside ASCII) down to letterLatinLow or letterOtherLow
// (its rarest): in a Latin-script language any accented letter of its own is
// evidence, in another script the rare letters are those a wrong decoding
// produces.
const (
	letterTop       = 3.0
	letterLatinLow  = 1.0
	letterOtherLow  = -1.0
	letterForeign   = -4.0 // a letter the language does not use
	upperDiscount   = 0.5  // text is mostly lower case; an upper-case letter counts less
	caseFlip        = -3.0 // a lower-case letter followed by an upper-case one
	scriptMix       = -4.0 // letters of two scripts in one word
	oddSymbol       = -3.0 // a symbol that text rarely has (¤, ¦, ¸, ...)
	badChar         = -8.0 // a control character, an unassigned byte, an invalid sequence
	utf8Letter      = 2.5  // a well-formed multi-byte UTF-8 sequence
	hanCommon       = 2.0
	hanOther        = 0.25
	hangulCommon    = 3.0
	hangulOther     = 0.5
	kanaJapanese    = 3.0
	kanaElsewhere   = -1.0
	halfwidthKana   = -2.0 // rare on the web, and what Latin text decoded as Shift_JIS looks like
	cjkPunctuation  = 0.5
	cjkOtherSymbol  = -2.0
	defaultMargin   = 1.0 // another candidate must beat windows-1252 by this much
	fallbackEncName = "windows-1252"
)

// A language is described by the lower-case letters outside ASCII it uses,
// the most frequent first (approximate frequencies in running text).
type language struct {
	name    string
	latin   bool
	letters string
}

var (
	langDE = language{"de", true, "üäößé"}
	langFR = language{"fr", true, "éèàêçâîôûùëïœÿæ"}
	langES = language{"es", true, "áéíóñúü"}
	langPT = language{"pt", true, "ãçéáíóõêâúàôü"}
	langIT = language{"it", true, "àèéìòùóí"}
	langNO = language{"nordic", true, "äåöøæéü"}
	langCS = language{"cs", true, "áíéěýčřžšůúňťďó"}
	langSK = language{"sk", true, "áíéýčžšôäúľťňóďŕĺ"}
	langPL = language{"pl", true, "ęąółśżćńź"}
	langHU = language{"hu", true, "éáőöóüíúű"}
	langHR = language{"hr", true, "čšžćđ"}
	langRO = language{"ro", true, "ăâîşţ"}
	langTR = language{"tr", true, "ıüşğçöİâîû"}
	langRU = language{"ru", false, "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё"}
	langUK = language{"uk", false, "оанивітерсклудмпзяьгбчхйцжїшюєщфґ"}
	langBG = language{"bg", false, "аоеитнрсвлкдпмзуягъбчжйхшцщфюь"}
	langEL = language{"el", false, "αοιετνσηρπκςμυλόίάέωδγήχθύφβώξζψϊϋΐΰ"}
	langHE = language{"he", false, "יוהלמארבתנשעכדםחקפןסגזטצךףץ"}
)

// singleByteCandidates are the single-byte encodings sniffed for, with the
// languages each is used for, in order of preference when scores tie.
var singleByteCandidates = []struct {
	name  string
	langs []language
}{
	{"windows-1252", []language{langDE, langFR, langES, langPT, langIT, langNO}},
	{"windows-1251", []language{langRU, langUK, langBG}},
	{"windows-1250", []language{langCS, langSK, langPL, langHU, langHR, langRO}},
	{"iso-8859-2", []language{langCS, langSK, langPL, langHU, langHR, langRO}},
	{"koi8-r", []language{langRU}},
	{"windows-1253", []language{langEL}},
	{"windows-1254", []language{langTR}},
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
	han    map[rune]bool
	hangul map[rune]bool
}

// singleByteModel scores bytes 0x80-0xFF of one single-byte encoding: their
// class, script, and the weight of the letter each decodes to in each
// language.
type singleByteModel struct {
	name    string
	enc     encoding.Encoding
	class   [128]charClass
	script  [128]byte
	weights [][128]float64 // per language
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
	m := &sniffModel{han: runeSet(commonHan), hangul: runeSet(commonHangul)}
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

func runeSet(s string) map[rune]bool {
	m := make(map[rune]bool, len(s)/3)
	for _, r := range s {
		m[r] = true
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

// letterWeight is the weight of r as a letter of l: from letterTop for its
// most frequent letter down, letterForeign for a letter it does not use, 0
// for what is not a letter.
func letterWeight(l language, r rune) float64 {
	if !unicode.IsLetter(r) {
		return 0
	}
	lower := unicode.ToLower(r)
	upper := lower != r
	letters := []rune(l.letters)
	low := letterOtherLow
	if l.latin {
		low = letterLatinLow
	}
	for i, c := range letters {
		if c == r || c == lower {
			w := letterTop
			if len(letters) > 1 {
				w = letterTop - (letterTop-low)*float64(i)/float64(len(letters)-1)
			}
			if upper && c != r {
				w -= upperDiscount
			}
			return w
		}
	}
	return letterForeign
}

// sniff guesses the encoding of a body that is not valid UTF-8 from the
// words with bytes outside ASCII in its first kilobytes. It reports false
// when no candidate decodes them plausibly, or when there are none. UTF-8
// itself is a candidate: a UTF-8 page with a few invalid bytes stays UTF-8.
func sniff(body []byte) (encoding.Encoding, string, bool) {
	return defaultSniffModel.sniff(body)
}

func (m *sniffModel) sniff(body []byte) (encoding.Encoding, string, bool) {
	words := nonASCIIWords(body[:min(len(body), sniffScanLen)], sniffWordsLen)
	if len(words) == 0 {
		return nil, "", false
	}
	var best encoding.Encoding
	bestName, bestScore, fallbackScore := "", 0.0, 0.0
	consider := func(e encoding.Encoding, name string, score float64) {
		if name == fallbackEncName {
			fallbackScore = score
		}
		if score > bestScore && (name == fallbackEncName || score > fallbackScore+defaultMargin) {
			best, bestName, bestScore = e, name, score
		}
	}
	for i := range m.single {
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
	return best, bestName, best != nil
}

// nonASCIIWords collects, separated by single spaces, the runs of b between
// ASCII whitespace and markup delimiters that contain a byte outside ASCII,
// up to limit bytes. The delimiters are below 0x40 and so are never the
// second byte of a CJK character: no character is cut.
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
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '<' && c != '>' && c != '"' && c != '=' {
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
			case classBad:
				common += badChar
			case classMark:
				if prevScript != scriptHebrew {
					common += oddSymbol
				}
				continue // a point belongs to the letter before it
			}
		}
		if script != scriptNone && prevScript != scriptNone && script != prevScript {
			common += scriptMix
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
			case m.hangul[r]:
				score += hangulCommon
			default:
				score += hangulOther
			}
		case r >= 0x4e00 && r <= 0x9fff: // Han
			switch {
			case c.korean: // Korean text seldom has Hanja
			case m.han[r]:
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
