package deflate

import (
	"encoding/binary"
	"math/bits"
)

// A record's head (WARC header fields and the HTTP head, under 1 KB) is
// compressed on its own for each gzip member. klauspost's and the standard
// library's compressors both build a dynamic Huffman table for every block,
// however small: 19–41 µs for a 760-byte head (BenchmarkHeadKlauspost), two
// heads an exchange, 2.2 of the 12 CPU s that --warc added to the
// real-site crawl on a slow machine. Below maxFixed, fixed writes one block
// with the fixed codes of RFC 1951 (3.2.6) and greedy LZ77 matches, which
// needs no table at all.

// maxFixed is the largest input fixed compresses: past it, a dynamic table
// pays for itself and the library's compressor is used.
const maxFixed = 8 << 10

const (
	minMatch  = 4
	maxMatch  = 258
	hashBits  = 11
	endOfData = 256
)

// fixedCode is a symbol's fixed Huffman code, bit-reversed for an LSB-first
// writer, and its length.
type fixedCode struct {
	code uint16
	n    uint8
}

// fixedLit holds the literal/length alphabet's fixed codes (RFC 1951,
// 3.2.6): 0–143 eight bits from 0x30, 144–255 nine bits from 0x190,
// 256–279 seven bits from 0, 280–287 eight bits from 0xc0.
var fixedLit = func() (t [288]fixedCode) {
	for s := range t {
		var c, n int
		switch {
		case s < 144:
			c, n = 0x30+s, 8
		case s < 256:
			c, n = 0x190+s-144, 9
		case s < 280:
			c, n = s-256, 7
		default:
			c, n = 0xc0+s-280, 8
		}
		t[s] = fixedCode{code: bits.Reverse16(uint16(c)) >> (16 - n), n: uint8(n)}
	}
	return t
}()

// The length and distance codes' bases and extra bits (RFC 1951, 3.2.5).
var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// bitWriter appends bits to a byte slice, least significant first, as
// DEFLATE packs everything but Huffman codes (which come reversed).
type bitWriter struct {
	b    []byte
	acc  uint64
	nacc uint
}

// put writes the n low bits of v; n is at most 32.
func (w *bitWriter) put(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	if w.nacc >= 32 {
		w.b = binary.LittleEndian.AppendUint32(w.b, uint32(w.acc))
		w.acc >>= 32
		w.nacc -= 32
	}
}

// align pads with zero bits to the byte and writes out what is held.
func (w *bitWriter) align() {
	for w.nacc > 0 {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
		w.nacc -= min(w.nacc, 8)
	}
}

func (w *bitWriter) sym(c fixedCode) { w.put(uint64(c.code), uint(c.n)) }

// syncFlush ends what was written on a byte boundary, as a sync flush
// does: an empty stored block (three header bits, padding to the byte,
// LEN 0 and NLEN 0xffff).
func (w *bitWriter) syncFlush() {
	w.put(0, 3)
	w.align()
	w.b = append(w.b, 0, 0, 0xff, 0xff)
}

// stored writes p as stored blocks, none final: for a few bytes, or bytes
// a table cannot code, cheaper than a compressor and hardly larger.
func (w *bitWriter) stored(p []byte) {
	for {
		n := min(len(p), 0xffff)
		w.put(0, 3) // BFINAL 0, BTYPE 00
		w.align()
		w.b = append(w.b, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		w.b = append(w.b, p[:n]...)
		if p = p[n:]; len(p) == 0 {
			return
		}
	}
}

// code returns the index of the last base not above v.
func code(base []uint16, v uint16) int {
	i := len(base) - 1
	for base[i] > v {
		i--
	}
	return i
}

// fixed appends to dst p compressed as one non-final block with the fixed
// codes, then an empty stored block, so that it ends on a byte boundary as
// a sync flush does. len(p) must be at most maxFixed.
func fixed(dst []byte, p []byte) []byte {
	w := bitWriter{b: dst}
	w.put(0b010, 3) // BFINAL 0, BTYPE 01 (fixed codes)
	// The last position + 1 of each 4-byte hash; 0 is none.
	var table [1 << hashBits]uint16
	hash := func(i int) uint32 {
		v := uint32(p[i]) | uint32(p[i+1])<<8 | uint32(p[i+2])<<16 | uint32(p[i+3])<<24
		return (v * 0x9e3779b1) >> (32 - hashBits)
	}
	for i := 0; i < len(p); {
		if i+minMatch > len(p) {
			w.sym(fixedLit[p[i]])
			i++
			continue
		}
		h := hash(i)
		cand := int(table[h]) - 1
		table[h] = uint16(i + 1)
		if cand < 0 || p[cand] != p[i] || p[cand+1] != p[i+1] || p[cand+2] != p[i+2] || p[cand+3] != p[i+3] {
			w.sym(fixedLit[p[i]])
			i++
			continue
		}
		n := minMatch
		for i+n < len(p) && n < maxMatch && p[cand+n] == p[i+n] {
			n++
		}
		lc := code(lengthBase[:], uint16(n))
		w.sym(fixedLit[257+lc])
		w.put(uint64(n-int(lengthBase[lc])), uint(lengthExtra[lc]))
		d := i - cand
		dc := code(distBase[:], uint16(d))
		w.put(uint64(bits.Reverse8(uint8(dc))>>3), 5)
		w.put(uint64(d-int(distBase[dc])), uint(distExtra[dc]))
		// The positions inside the match are not hashed: heads are short
		// and the next match is found from the match's end.
		i += n
	}
	w.sym(fixedLit[endOfData])
	w.syncFlush()
	return w.b
}
