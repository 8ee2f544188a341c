package deflate

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kflate "github.com/klauspost/compress/flate"
)

// docPages is every 16th HTML page under 1 MB of the Debian documentation
// packages the real-site benchmark crawls (go run ./bench real installs
// them), about 1,500 pages and 100 MB; the benchmarks skip without them.
func docPages(b *testing.B) [][]byte {
	var out [][]byte
	for _, root := range []string{"/usr/share/doc/python3-doc/html", "/usr/share/doc/postgresql-doc-15/html",
		"/usr/share/doc/python-django-doc/html", "/usr/share/doc/rust-doc/html"} {
		i := 0
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
				return nil
			}
			if i++; i%16 != 0 {
				return nil
			}
			if p, err := os.ReadFile(path); err == nil && len(p) < 1<<20 {
				out = append(out, p)
			}
			return nil
		})
	}
	if len(out) == 0 {
		b.Skip("no documentation packages installed (go run ./bench real installs them)")
	}
	return out
}

func benchDocs(b *testing.B, compress func(p []byte) int) {
	pages := docPages(b)
	raw, out := 0, 0
	for _, p := range pages {
		raw += len(p)
		out += compress(p)
	}
	b.SetBytes(int64(raw))
	for b.Loop() {
		for _, p := range pages {
			compress(p)
		}
	}
	b.ReportMetric(float64(out)/float64(raw), "size/raw")
}

// BenchmarkDocsShared and BenchmarkDocsKlauspost compare the bodies' encoder
// with klauspost's level 1 on real pages: speed, and compressed/raw size.
func BenchmarkDocsShared(b *testing.B) {
	var c Compressor
	benchDocs(b, func(p []byte) int { return c.Compress(p).Size() })
}

func BenchmarkDocsKlauspost(b *testing.B) {
	var buf bytes.Buffer
	fw, _ := kflate.NewWriter(&buf, kflate.BestSpeed)
	benchDocs(b, func(p []byte) int {
		buf.Reset()
		fw.Reset(&buf)
		fw.Write(p)
		fw.Flush()
		return buf.Len()
	})
}
