package deflate

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// gunzip reads every member of b with the standard library's reader.
func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// bodies are inputs of the shapes a crawl meets: empty, tiny, text that
// compresses, random bytes that do not, more than one flate window, and
// either side of a chunk's end.
func bodies() [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 200_000)
	for i := range random {
		random[i] = byte(r.UintN(256))
	}
	html := bytes.Repeat([]byte("<p class=x>Some <a href='/a/b'>words</a> of a page.</p>\n"), 20_000)
	return [][]byte{nil, []byte("x"), []byte("<html><title>t</title></html>"), random, html,
		html[:chunk-1], html[:chunk+1], random[:chunk-1], random[:chunk+1]}
}

func TestGzipReadsBackAsTheBody(t *testing.T) {
	var c Compressor
	for i, body := range bodies() {
		b := c.Compress(body)
		if b.Len() != len(body) {
			t.Errorf("body %d: Len %d, want %d", i, b.Len(), len(body))
		}
		if got := gunzip(t, b.Gzip()); !bytes.Equal(got, body) {
			t.Errorf("body %d: gzip read back %d bytes, want the %d of the body", i, len(got), len(body))
		}
	}
}

func TestMemberSplicesTheBodyBetweenHeadAndTail(t *testing.T) {
	var c Compressor
	head := []byte("WARC/1.1\r\nWARC-Type: response\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
	tail := []byte("\r\n\r\n")
	for i, body := range bodies() {
		var file bytes.Buffer
		// Two records in one file, as a WARC file holds them: each its own member.
		for range 2 {
			n, err := c.Member(&file, head, c.Compress(body), body, tail)
			if err != nil {
				t.Fatal(err)
			}
			if want := int64(len(head) + len(body) + len(tail)); n != want {
				t.Errorf("body %d: Member says %d bytes, want %d", i, n, want)
			}
		}
		one := append(append(append([]byte{}, head...), body...), tail...)
		if got := gunzip(t, file.Bytes()); !bytes.Equal(got, append(append([]byte{}, one...), one...)) {
			t.Errorf("body %d: the two members read back as %d bytes, want %d", i, len(got), 2*len(one))
		}
	}
	var file bytes.Buffer
	if _, err := c.Member(&file, head, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := gunzip(t, file.Bytes()); !bytes.Equal(got, head) {
		t.Errorf("a member without body and tail read back as %q", got)
	}
}

// TestGzipToolReadsTheMembers holds the members to a second decoder: gzip(1)
// checks the CRC and the length of each member as well.
func TestGzipToolReadsTheMembers(t *testing.T) {
	gz, err := exec.LookPath("gzip")
	if err != nil {
		t.Skip("no gzip(1) on PATH")
	}
	var c Compressor
	var file bytes.Buffer
	var want []byte
	for _, body := range bodies() {
		if _, err := c.Member(&file, []byte("head\n"), c.Compress(body), body, []byte("\ntail\n")); err != nil {
			t.Fatal(err)
		}
		want = append(append(append(want, "head\n"...), body...), "\ntail\n"...)
	}
	name := filepath.Join(t.TempDir(), "m.gz")
	if err := os.WriteFile(name, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(gz, "-dc", name).Output()
	if err != nil {
		t.Fatalf("gzip -dc: %v", err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("gzip -dc gave %d bytes, want %d", len(out), len(want))
	}
}

func BenchmarkCompress(b *testing.B) {
	body := bodies()[4]
	var c Compressor
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		c.Compress(body)
	}
}

// BenchmarkStdlibGzip is what the bodies table cost before: compress/gzip at
// BestSpeed, for comparison with BenchmarkCompress.
func BenchmarkStdlibGzip(b *testing.B) {
	body := bodies()[4]
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zw.Write(body)
		zw.Close()
	}
}
