package deflate

import (
	"bytes"
	"compress/flate"
	"io"
	"math/rand/v2"
	"testing"

	kflate "github.com/klauspost/compress/flate"
)

// sampleHead is a response record's head as trawl writes it.
var sampleHead = []byte("WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: http://127.0.0.5:43089/std/collections/struct.HashMap.html\r\n" +
	"WARC-Date: 2026-12-02T18:52:43.123456789Z\r\nContent-Type: application/http;msgtype=response\r\n" +
	"WARC-Concurrent-To: <urn:uuid:2b6a1f0e-3c1d-4d2b-9f7e-5a6b7c8d9e0f>\r\nWARC-IP-Address: 127.0.0.5\r\nContent-Length: 123456\r\n" +
	"WARC-Block-Digest: sha1:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567\r\nWARC-Payload-Digest: sha1:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567\r\n" +
	"WARC-Record-ID: <urn:uuid:0c6f3b0e-3c1d-4d2b-9f7e-5a6b7c8d9e0f>\r\nWARC-Warcinfo-ID: <urn:uuid:7d0e2c1f-3c1d-4d2b-9f7e-5a6b7c8d9e0f>\r\n\r\n" +
	"HTTP/1.1 200 OK\r\nAccept-Ranges: bytes\r\nContent-Length: 123456\r\nContent-Type: text/html; charset=utf-8\r\n" +
	"Date: Wed, 02 Dec 2026 18:52:43 GMT\r\nLast-Modified: Tue, 01 Dec 2026 10:00:00 GMT\r\n\r\n")

// inflate reads seg, a stream of non-final blocks, with the standard
// library's decoder after appending the final block Member ends with.
func inflate(t testing.TB, seg []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(flate.NewReader(bytes.NewReader(append(seg, finalBlock...))))
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	return out
}

// fixedInputs reach every length and distance code: runs longer than the
// longest match, matches at every distance up to maxFixed, bytes above 143
// (the nine-bit literals), and inputs shorter than a match.
func fixedInputs() [][]byte {
	r := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, maxFixed)
	for i := range random {
		random[i] = byte(r.UintN(256))
	}
	var mixed []byte
	for len(mixed) < maxFixed {
		if r.IntN(3) == 0 || len(mixed) < 8 {
			mixed = append(mixed, byte(r.UintN(256)))
			continue
		}
		start := r.IntN(len(mixed))
		n := min(r.IntN(300)+1, len(mixed)-start, maxFixed-len(mixed))
		mixed = append(mixed, mixed[start:start+n]...)
	}
	return [][]byte{
		nil, []byte("a"), []byte("abc"), []byte("abcd"), []byte("abcdabcd"),
		bytes.Repeat([]byte{'z'}, 1000), bytes.Repeat([]byte{0xff}, 600),
		sampleHead, random, mixed,
		append(append([]byte("spaced "), random[:maxFixed-16]...), "spaced "...),
	}
}

func TestFixedReadsBackWithTheStandardInflater(t *testing.T) {
	for i, p := range fixedInputs() {
		seg := fixed(nil, p)
		if got := inflate(t, seg); !bytes.Equal(got, p) {
			t.Errorf("input %d (%d bytes): read back %d bytes, not the input", i, len(p), len(got))
		}
	}
	// What it is for: a head compresses, if less than with a dynamic table.
	if n := len(fixed(nil, sampleHead)); n > len(sampleHead)*3/4 {
		t.Errorf("the sample head compressed to %d of %d bytes", n, len(sampleHead))
	}
}

func TestFixedAppendsToWhatIsThere(t *testing.T) {
	seg := fixed([]byte("prefix"), sampleHead)
	if !bytes.HasPrefix(seg, []byte("prefix")) {
		t.Fatalf("fixed overwrote dst")
	}
	if got := inflate(t, seg[len("prefix"):]); !bytes.Equal(got, sampleHead) {
		t.Errorf("read back %q", got)
	}
}

func FuzzFixed(f *testing.F) {
	for _, p := range fixedInputs() {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) > maxFixed {
			p = p[:maxFixed]
		}
		if got := inflate(t, fixed(nil, p)); !bytes.Equal(got, p) {
			t.Fatalf("%d bytes read back as %d", len(p), len(got))
		}
	})
}

// BenchmarkHeadFixed and BenchmarkHeadKlauspost compare what a record's
// head costs compressed each way; the sizes are reported.
func BenchmarkHeadFixed(b *testing.B) {
	var seg []byte
	for b.Loop() {
		seg = fixed(seg[:0], sampleHead)
	}
	b.ReportMetric(float64(len(seg)), "bytes")
}

func BenchmarkHeadKlauspost(b *testing.B) {
	var buf bytes.Buffer
	w, _ := kflate.NewWriter(&buf, kflate.BestSpeed)
	for b.Loop() {
		buf.Reset()
		w.Reset(&buf)
		w.Write(sampleHead)
		w.Flush()
	}
	b.ReportMetric(float64(buf.Len()), "bytes")
}
