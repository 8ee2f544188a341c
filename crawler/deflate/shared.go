package deflate

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// A crawl's bodies are alike: one site's pages share their markup, and the
// frequencies of bytes and match lengths hardly move from page to page.
// klauspost's compressor (level 1) builds a dynamic Huffman table for every
// block: a histogram, two length-limited codes, and the sizes of three
// encodings to choose between them. On the real-site crawl with --warc that
// was 2.74 of the 5.51 CPU s its compression of the bodies took. An encoder
// here keeps its table from body to body and builds a new one from what it
// has encoded since every rebuildEvery symbols; a body only looks its
// symbols up and writes the table's header (about 80 bytes) in front.

const (
	matchHashBits = 15      // the match finder's table: 32,768 positions
	window        = 1 << 15 // DEFLATE's farthest distance
	numLitLen     = 286     // literal/length symbols: 0–255, end of block, 257–285
	numDist       = 30      // distance symbols
	maxCodeBits   = 15      // RFC 1951's longest literal/length or distance code
	maxCLBits     = 7       // and longest code length code
	// chunk bounds the tokens held at once: a 10 MB body is encoded 64 KB
	// at a time into the same block.
	chunk = 64 << 10
	// rebuildEvery is how many symbols an encoder codes with one table: a
	// few hundred KB of HTML, so that a table costs about 1% of what it
	// codes and follows the crawl from site to site.
	rebuildEvery = 1 << 18
	// hashBase is the first offset of an encoder's positions: its table
	// holds position+base, so 0 is empty, and each body starts past where
	// the last ended, which leaves old entries out of reach without
	// clearing the table.
	hashBase = window + 1
)

// clOrder is the order in which a block header gives the code length
// code's lengths (RFC 1951, 3.2.7).
var clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// lenSym maps a match length minus 3 to its symbol's offset from 257;
// distSym maps a distance minus 1 to its code, directly below 256 and by
// its high bits (>>7) above, as zlib's tables do.
var (
	lenSym = func() (t [256]uint8) {
		for l := 3; l <= maxMatch; l++ {
			t[l-3] = uint8(code(lengthBase[:], uint16(l)))
		}
		return t
	}()
	distSym = func() (t [512]uint8) {
		for d := 1; d <= window; d++ {
			c := uint8(code(distBase[:], uint16(d)))
			if d <= 256 {
				t[d-1] = c
			} else {
				t[256+(d-1)>>7] = c
			}
		}
		return t
	}()
)

func distCode(d int) uint8 {
	if d <= 256 {
		return distSym[d-1]
	}
	return distSym[256+(d-1)>>7]
}

// table is one literal/length and one distance code, with the block header
// that declares them, ready to be copied in front of a block.
type table struct {
	lit  [numLitLen]fixedCode
	dist [numDist]fixedCode
	head []byte // the header's bits, LSB first, hbit of them
	hbit uint
}

// encoder is one compressor's state, lent to one body at a time.
type encoder struct {
	hash [1 << matchHashBits]int32
	base int // what hash entries of the body being encoded are offset by
	toks []uint32
	t    *table
	// litFreq and distFreq count the symbols coded since the table was
	// built (halved at each build, so older bodies weigh less).
	litFreq  [numLitLen]uint32
	distFreq [numDist]uint32
	since    int
	builds   int // tables built, for the tests
}

// A token is a literal (below 256) or a match: bits 0–8 its length symbol,
// 9–13 the length's extra bits, 14–18 the distance code, 19–31 the
// distance's extra bits.
func matchToken(length, dist int) uint32 {
	ls := lenSym[length-3]
	dc := distCode(dist)
	return uint32(257+int(ls)) | uint32(length-int(lengthBase[ls]))<<9 |
		uint32(dc)<<14 | uint32(dist-int(distBase[dc]))<<19
}

func load32(p []byte, i int) uint32 { return binary.LittleEndian.Uint32(p[i:]) }
func load64(p []byte, i int) uint64 { return binary.LittleEndian.Uint64(p[i:]) }

// hash6 hashes the low six bytes of v.
func hash6(v uint64) uint32 {
	const prime6 = 227718039650203
	return uint32(((v<<16)*prime6)>>(64-matchHashBits)) & (1<<matchHashBits - 1)
}

// compress appends p to w as one or more non-final blocks, the last ending
// on a byte boundary (a sync flush: an empty stored block).
func (e *encoder) compress(w *bitWriter, p []byte) {
	if e.base > 1<<30 {
		clear(e.hash[:])
		e.base = 0
	}
	e.base += hashBase
	open := false // a dynamic block is open: its header written, no end yet
	for start := 0; start < len(p); start += chunk {
		end := min(start+chunk, len(p))
		e.tokenize(p, start, end)
		if !open && (e.t == nil || e.since >= rebuildEvery) {
			e.rebuild()
		}
		// Few matches (under one byte in 16 saved, as klauspost's test
		// goes) may mean a body the table cannot code (a binary one, say),
		// which is then stored.
		if len(e.toks) > (end-start)-(end-start)>>4 && e.cost() >= 8*(end-start) {
			if open {
				w.sym(e.t.lit[endOfData])
				open = false
			}
			w.stored(p[start:end])
			continue
		}
		if !open {
			e.t.header(w)
			open = true
		}
		e.t.write(w, e.toks)
	}
	if open {
		w.sym(e.t.lit[endOfData])
	}
	e.base += len(p)
	w.syncFlush()
}

// tokenize finds p[start:end]'s matches (which may reach back before
// start) greedily, as the fastest levels of zlib and klauspost do, and
// counts the symbols.
func (e *encoder) tokenize(p []byte, start, end int) {
	if cap(e.toks) < chunk+1 {
		e.toks = make([]uint32, chunk+1)
	}
	toks := e.toks[:chunk+1]
	nt := 0
	hash := &e.hash
	base := e.base
	s, emit := start, start
	// A match starts at least four bytes before the chunk's end, and
	// load64 reads eight bytes.
	limit := min(end-4, len(p)-8)
	for s <= limit {
		cv := load64(p, s)
		h := hash6(cv)
		cand := int(hash[h]) - base
		hash[h] = int32(s + base)
		// cand may be at or past s: a match extended backwards and cut at
		// maxMatch ends before where the scan had hashed.
		if cand < 0 || uint(s-cand-1) >= window || uint32(cv) != load32(p, cand) {
			// Skip faster through what does not match.
			s += 1 + (s-emit)>>5
			continue
		}
		for cand > 0 && s > emit && p[cand-1] == p[s-1] {
			cand--
			s--
		}
		n := 4 + matchLen(p[cand+4:], p[s+4:min(s+maxMatch, end)])
		for _, b := range p[emit:s] {
			toks[nt] = uint32(b)
			nt++
			e.litFreq[b]++
		}
		t := matchToken(n, s-cand)
		toks[nt] = t
		nt++
		e.litFreq[t&0x1ff]++
		e.distFreq[(t>>14)&31]++
		s += n
		emit = s
		if s-2 <= limit {
			hash[hash6(load64(p, s-2))] = int32(s - 2 + base)
		}
	}
	for _, b := range p[emit:end] {
		toks[nt] = uint32(b)
		nt++
		e.litFreq[b]++
	}
	e.toks = toks[:nt]
	e.since += nt
}

// matchLen is how many leading bytes a and b share, b being the shorter.
func matchLen(a, b []byte) int {
	n := 0
	for len(b)-n >= 8 {
		if x := load64(a, n) ^ load64(b, n); x != 0 {
			return n + bits.TrailingZeros64(x)>>3
		}
		n += 8
	}
	for n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// cost is the bits e.toks take with e.t, header aside.
func (e *encoder) cost() int {
	t := e.t
	n := 0
	for _, tok := range e.toks {
		n += int(t.lit[tok&0x1ff].n)
		if tok > 0xff {
			s := tok&0x1ff - 257
			dc := (tok >> 14) & 31
			n += int(lengthExtra[s]) + int(t.dist[dc].n) + int(distExtra[dc])
		}
	}
	return n
}

// rebuild makes e's table from the symbols counted, every symbol given a
// code (one seen yet must still be codable), and halves the counts.
func (e *encoder) rebuild() {
	var lit [numLitLen]uint32
	var dist [numDist]uint32
	for i, f := range e.litFreq {
		lit[i] = f + 1
		e.litFreq[i] = f / 2
	}
	for i, f := range e.distFreq {
		dist[i] = f + 1
		e.distFreq[i] = f / 2
	}
	e.t = newTable(lit[:], dist[:], e.t)
	e.since = 0
	e.builds++
}

// newTable builds the codes of the two alphabets' frequencies, all
// nonzero, and their header; old's memory is reused when it is not nil.
func newTable(litFreq, distFreq []uint32, old *table) *table {
	t := old
	if t == nil {
		t = new(table)
	}
	var lens [numLitLen + numDist]uint8
	codeLengths(litFreq, maxCodeBits, lens[:numLitLen])
	codeLengths(distFreq, maxCodeBits, lens[numLitLen:])
	canonical(lens[:numLitLen], t.lit[:])
	canonical(lens[numLitLen:], t.dist[:])

	// The lengths, run-length coded (RFC 1951, 3.2.7): a length, then
	// symbol 16 for three to six repeats of it. No length is 0.
	type clSym struct{ sym, extra uint8 }
	var seq []clSym
	var clFreq [19]uint32
	for i := 0; i < len(lens); {
		v := lens[i]
		run := 1
		for i+run < len(lens) && lens[i+run] == v {
			run++
		}
		i += run
		seq = append(seq, clSym{v, 0})
		clFreq[v]++
		for rest := run - 1; rest > 0; {
			if rest < 3 {
				seq = append(seq, clSym{v, 0})
				clFreq[v]++
				rest--
				continue
			}
			r := min(rest, 6)
			seq = append(seq, clSym{16, uint8(r - 3)})
			clFreq[16]++
			rest -= r
		}
	}
	// A code of one symbol is incomplete, which zlib refuses for code
	// length codes: give a second symbol a code.
	if n := countNonzero(clFreq[:]); n < 2 {
		for i := range clFreq {
			if clFreq[i] == 0 {
				clFreq[i] = 1
				break
			}
		}
	}
	var clLens [19]uint8
	codeLengths(clFreq[:], maxCLBits, clLens[:])
	var cl [19]fixedCode
	canonical(clLens[:], cl[:])
	hclen := 19
	for hclen > 4 && clLens[clOrder[hclen-1]] == 0 {
		hclen--
	}

	w := bitWriter{b: t.head[:0]}
	w.put(0b100, 3) // BFINAL 0, BTYPE 10 (dynamic codes)
	w.put(numLitLen-257, 5)
	w.put(numDist-1, 5)
	w.put(uint64(hclen-4), 4)
	for _, s := range clOrder[:hclen] {
		w.put(uint64(clLens[s]), 3)
	}
	for _, s := range seq {
		w.sym(cl[s.sym])
		if s.sym == 16 {
			w.put(uint64(s.extra), 2)
		}
	}
	t.hbit = uint(len(w.b))*8 + w.nacc
	w.align()
	t.head = w.b
	return t
}

func countNonzero(f []uint32) int {
	n := 0
	for _, v := range f {
		if v != 0 {
			n++
		}
	}
	return n
}

// header writes t's block header.
func (t *table) header(w *bitWriter) {
	n := t.hbit
	b := t.head
	for n >= 32 {
		w.put(uint64(binary.LittleEndian.Uint32(b)), 32)
		b, n = b[4:], n-32
	}
	for n > 0 {
		k := min(n, 8)
		w.put(uint64(b[0])&(1<<k-1), k)
		b, n = b[1:], n-k
	}
}

// write writes toks with t's codes.
func (t *table) write(w *bitWriter, toks []uint32) {
	for _, tok := range toks {
		if tok <= 0xff {
			w.sym(t.lit[tok])
			continue
		}
		s := tok & 0x1ff
		c := t.lit[s]
		w.put(uint64(c.code)|uint64((tok>>9)&31)<<c.n, uint(c.n)+uint(lengthExtra[s-257]))
		dc := (tok >> 14) & 31
		d := t.dist[dc]
		w.put(uint64(d.code)|uint64(tok>>19)<<d.n, uint(d.n)+uint(distExtra[dc]))
	}
}

// canonical gives each symbol its canonical code of its length (RFC 1951,
// 3.2.2), bit-reversed for the LSB-first writer.
func canonical(lens []uint8, out []fixedCode) {
	var count [maxCodeBits + 1]uint16
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [maxCodeBits + 2]uint16
	c := uint16(0)
	for l := 1; l <= maxCodeBits; l++ {
		c = (c + count[l-1]) << 1
		next[l] = c
	}
	for s, l := range lens {
		if l == 0 {
			out[s] = fixedCode{}
			continue
		}
		out[s] = fixedCode{code: bits.Reverse16(next[l]) >> (16 - l), n: l}
		next[l]++
	}
}

// codeLengths sets out[i] to the length of symbol i's code in an optimal
// prefix code of at most limit bits for freq (0 for a symbol of frequency
// 0), by package-merge: coin i of each denomination 2^-l weighs freq[i],
// and the cheapest n-1 units of coins give each symbol a code as long as
// the coins of it taken.
func codeLengths(freq []uint32, limit int, out []uint8) {
	clear(out)
	type node struct {
		w    uint64
		sym  int32 // a leaf's symbol; -1 for a package
		l, r int32
	}
	var nodes []node
	for s, f := range freq {
		if f > 0 {
			nodes = append(nodes, node{w: uint64(f), sym: int32(s)})
		}
	}
	n := len(nodes)
	switch n {
	case 0:
		return
	case 1:
		out[nodes[0].sym] = 1
		return
	}
	slices.SortStableFunc(nodes, func(a, b node) int {
		switch {
		case a.w < b.w:
			return -1
		case a.w > b.w:
			return 1
		}
		return 0
	})
	leaves := make([]int32, n)
	for i := range leaves {
		leaves[i] = int32(i)
	}
	list := leaves
	for range limit - 1 {
		merged := make([]int32, 0, n+len(list)/2)
		li := 0
		for i := 0; i+1 < len(list); i += 2 {
			pw := nodes[list[i]].w + nodes[list[i+1]].w
			for li < n && nodes[leaves[li]].w <= pw {
				merged = append(merged, leaves[li])
				li++
			}
			nodes = append(nodes, node{w: pw, sym: -1, l: list[i], r: list[i+1]})
			merged = append(merged, int32(len(nodes)-1))
		}
		merged = append(merged, leaves[li:]...)
		list = merged
	}
	var count func(i int32)
	count = func(i int32) {
		if nd := nodes[i]; nd.sym >= 0 {
			out[nd.sym]++
		} else {
			count(nd.l)
			count(nd.r)
		}
	}
	for _, i := range list[:2*n-2] {
		count(i)
	}
}
