package warc

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/trawl-crawler/trawl/crawler/deflate"
)

// BenchmarkWrite archives the 130 real pages of extract's readability
// test data (25.7 MB of HTML) as a crawl does: each body compressed once,
// then its request and response records written with it, one op a page.
// "cut" archives each page's first 20 KB instead, about the real-site
// benchmark's mean body (23 KB), where what a record costs beside its body
// counts for more.
// It measures what --warc adds to a crawl but for the copy of each body
// the transport keeps; run it at two commits, interleaved, to compare.
func BenchmarkWrite(b *testing.B) {
	names, _ := filepath.Glob(filepath.Join("..", "..", "extract", "testdata", "readability-pages", "*", "source.html"))
	if len(names) == 0 {
		b.Skip("no readability pages")
	}
	var pages [][]byte
	for _, n := range names {
		body, err := os.ReadFile(n)
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, body)
	}
	b.Run("whole", func(b *testing.B) { benchmarkWrite(b, pages) })
	cut := make([][]byte, len(pages))
	for i, p := range pages {
		cut[i] = p[:min(len(p), 20<<10)]
	}
	b.Run("cut", func(b *testing.B) { benchmarkWrite(b, cut) })
}

func benchmarkWrite(b *testing.B, bodies [][]byte) {
	var total int64
	for _, body := range bodies {
		total += int64(len(body))
	}
	zip := new(deflate.Compressor)
	w, err := Open(Options{Dir: b.TempDir(), MaxSize: 1 << 30, Compressor: zip, Info: map[string]string{"software": "trawl/bench"}})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	at := time.Date(2026, 12, 2, 3, 4, 5, 0, time.UTC)
	urls := make([]*url.URL, len(bodies))
	for i := range urls {
		urls[i], _ = url.Parse("http://127.0.0.2:8080/docs/page-" + strconv.Itoa(i) + ".html")
	}
	b.SetBytes(total / int64(len(bodies)))
	i := 0
	for b.Loop() {
		body, u := bodies[i%len(bodies)], urls[i%len(bodies)]
		req := &http.Request{Method: "GET", URL: u, Host: u.Host, Header: http.Header{"User-Agent": {"trawl/bench"}, "Accept-Encoding": {"gzip"}}}
		resp := &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ContentLength: int64(len(body)), Header: http.Header{
			"Content-Type": {"text/html; charset=utf-8"}, "Content-Length": {strconv.Itoa(len(body))},
			"Last-Modified": {"Tue, 01 Dec 2026 10:00:00 GMT"}, "Etag": {`"5f1-2a"`}, "Date": {"Wed, 02 Dec 2026 18:52:43 GMT"}}}
		z := zip.Compress(body)
		if err := w.Write(Exchange{At: at, Request: req, Response: resp, Body: body, IP: "127.0.0.2", Deflated: z}); err != nil {
			b.Fatal(err)
		}
		zip.Recycle(z) // as the crawl does without --store-body
		i++
	}
}
