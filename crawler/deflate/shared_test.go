package deflate

import (
	"bytes"
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

// sharedBody codes p with e, as Compress does, with an encoder the test
// holds (and can count the tables of).
func sharedBody(e *encoder, p []byte) *Body {
	var w bitWriter
	e.compress(&w, p)
	return &Body{seg: w.b, crc: crc32.ChecksumIEEE(p), n: len(p)}
}

// sharedInputs are what an encoder's table must code although it was built
// from other bodies: pages whose matches reach across the 64 KB chunks,
// runs longer than the longest match, distances up to the window, bytes the
// table has never seen, and a binary body after HTML.
func sharedInputs() [][]byte {
	r := rand.New(rand.NewPCG(5, 6))
	random := make([]byte, 3*chunk+17)
	for i := range random {
		random[i] = byte(r.UintN(256))
	}
	var far []byte // a random block, then the same block a window later
	far = append(far, random[:1000]...)
	far = append(far, bytes.Repeat([]byte("."), window-1000-3)...)
	far = append(far, random[:1000]...)
	var page []byte
	for len(page) < 3*chunk {
		page = append(page, "<li><a href=\"/std/"...)
		page = append(page, byte('a'+r.UintN(26)), byte('a'+r.UintN(26)))
		page = append(page, ".html\">item</a></li>\n"...)
	}
	return [][]byte{
		nil, []byte("a"), []byte("abcdefgh"), []byte("abcdefghabcdefgh"),
		bytes.Repeat([]byte{'z'}, 5000), bytes.Repeat([]byte{0}, chunk+1),
		sampleHead, page, far, random, append(page[:chunk-3:chunk-3], page...),
		[]byte("\x00\x01\x02\xfe\xff high bytes after a table of HTML \xf0\x9f\x98\x80"),
	}
}

// TestSharedTableCodesEveryBody runs many bodies through one encoder, so
// that its table is built, kept and rebuilt, and reads each back with the
// standard library's inflater.
func TestSharedTableCodesEveryBody(t *testing.T) {
	var e encoder
	inputs := sharedInputs()
	for round := range 6 {
		for i, p := range inputs {
			b := sharedBody(&e, p)
			if got := inflate(t, b.seg); !bytes.Equal(got, p) {
				t.Fatalf("round %d, input %d (%d bytes): read back %d bytes, not the input", round, i, len(p), len(got))
			}
			if got := gunzip(t, b.Gzip()); !bytes.Equal(got, p) {
				t.Fatalf("round %d, input %d: the gzip file read back %d bytes", round, i, len(got))
			}
		}
	}
	// The inputs are about 1.5 million symbols: several tables' worth.
	if e.builds < 3 {
		t.Errorf("%d tables built, want a first one and rebuilds", e.builds)
	}
}

// TestSharedMatchBackExtendedPastItsLength: a match found late in a repeat
// is extended backwards by more than it may be long, so it ends before the
// positions the scan had already hashed, and the next of them finds its own
// entry (distance 0). The body is the little-endian uint16s 0..531, twice.
func TestSharedMatchBackExtendedPastItsLength(t *testing.T) {
	var p []byte
	for range 2 {
		for i := range 532 {
			p = append(p, byte(i), byte(i>>8))
		}
	}
	if got := inflate(t, new(Compressor).Compress(p).seg); !bytes.Equal(got, p) {
		t.Fatalf("read back %d bytes, not the %d of the body", len(got), len(p))
	}
}

// TestSharedCompressesHTMLAndStoresRandomBytes: what a table from other
// pages gives a page, and that a body it cannot code is stored, not grown.
func TestSharedCompressesHTMLAndStoresRandomBytes(t *testing.T) {
	var e encoder
	in := sharedInputs()
	page, random := in[7], in[9]
	sharedBody(&e, page) // the table is built from this page
	if n := sharedBody(&e, page).Size(); n > len(page)/4 {
		t.Errorf("a list page compressed to %d of %d bytes", n, len(page))
	}
	// A chunk is two stored blocks of five bytes' header, then the flush.
	if n := sharedBody(&e, random).Size(); n > len(random)+10*(len(random)/chunk+1)+5 {
		t.Errorf("random bytes came out as %d bytes from %d", n, len(random))
	}
}

// TestCodeLengthsAreCompleteAndLimited checks the package-merge codes: the
// Kraft sum of every code is exactly 1 (zlib refuses incomplete codes), no
// code is longer than the limit, and where the limit does not bind the
// cost is Huffman's.
func TestCodeLengthsAreCompleteAndLimited(t *testing.T) {
	fib := make([]uint32, 30) // frequencies whose Huffman code is 29 bits deep
	fib[0], fib[1] = 1, 1
	for i := 2; i < len(fib); i++ {
		fib[i] = fib[i-1] + fib[i-2]
	}
	r := rand.New(rand.NewPCG(7, 8))
	skewed := make([]uint32, numLitLen)
	for i := range skewed {
		skewed[i] = 1 + uint32(r.ExpFloat64()*r.ExpFloat64()*1000)
	}
	flat := make([]uint32, numLitLen)
	for i := range flat {
		flat[i] = 1
	}
	cases := []struct {
		name  string
		freq  []uint32
		limit int
	}{
		{"two", []uint32{5, 1}, 15},
		{"fibonacci, 15 bits", fib, 15},
		{"fibonacci, 7 bits", fib[:19], 7},
		{"skewed", skewed, 15},
		{"flat", flat, 15},
	}
	for _, tc := range cases {
		lens := make([]uint8, len(tc.freq))
		codeLengths(tc.freq, tc.limit, lens)
		kraft := 0 // in units of 2^-limit
		for i, l := range lens {
			if l == 0 || int(l) > tc.limit {
				t.Errorf("%s: symbol %d has length %d", tc.name, i, l)
			}
			kraft += 1 << (tc.limit - int(l))
		}
		if kraft != 1<<tc.limit {
			t.Errorf("%s: Kraft sum %d/%d, want 1", tc.name, kraft, 1<<tc.limit)
		}
	}
	// Where 15 bits do not bind (frequencies within a factor of ten), it
	// costs what Huffman's code costs.
	even := make([]uint32, numLitLen)
	for i := range even {
		even[i] = 100 + r.Uint32N(900)
	}
	lens := make([]uint8, len(even))
	codeLengths(even, 15, lens)
	if got, want := weighted(even, lens), huffmanCost(even); got != want {
		t.Errorf("even: cost %d, Huffman's %d", got, want)
	}
}

func weighted(freq []uint32, lens []uint8) uint64 {
	var n uint64
	for i, f := range freq {
		n += uint64(f) * uint64(lens[i])
	}
	return n
}

// huffmanCost is the total cost of a Huffman code for freq: the sum of
// the weights of the merged nodes.
func huffmanCost(freq []uint32) uint64 {
	var q []uint64
	for _, f := range freq {
		q = append(q, uint64(f))
	}
	// The two smallest, by scanning: the test's sizes are small.
	popMin := func() uint64 {
		a := 0
		for i := range q {
			if q[i] < q[a] {
				a = i
			}
		}
		x := q[a]
		q = append(q[:a], q[a+1:]...)
		return x
	}
	var cost uint64
	for len(q) > 1 {
		x, y := popMin(), popMin()
		cost += x + y
		q = append(q, x+y)
	}
	return cost
}

func FuzzShared(f *testing.F) {
	for _, p := range sharedInputs() {
		f.Add(p)
	}
	// Random bytes, then a part of them again: matches found late in the
	// repeat, as in TestSharedMatchBackExtendedPastItsLength.
	r := rand.New(rand.NewPCG(9, 10))
	for range 8 {
		b := make([]byte, 1+r.IntN(4000))
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		from := r.IntN(len(b))
		f.Add(append(b, b[from:from+r.IntN(len(b)-from)+1]...))
	}
	var e encoder
	f.Fuzz(func(t *testing.T, p []byte) {
		if got := inflate(t, sharedBody(&e, p).seg); !bytes.Equal(got, p) {
			t.Fatalf("%d bytes read back as %d", len(p), len(got))
		}
	})
}
