package warc

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlnwa/gowarc/v3"

	"github.com/trawl-crawler/trawl/crawler/deflate"
)

// TestKeptBodyIsSplicedIntoItsRecord checks that a body compressed for the
// bodies table goes into its response record as it is, compressed once, and
// still reads back, digests checked, as the body.
func TestKeptBodyIsSplicedIntoItsRecord(t *testing.T) {
	dir := t.TempDir()
	var zip deflate.Compressor
	w, err := Open(Options{Dir: dir, MaxSize: 1 << 20, Compressor: &zip})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://example.test/kept")
	req := &http.Request{Method: "GET", URL: u, Header: http.Header{}}
	body := []byte(strings.Repeat("<p>a kept body, compressed once</p>\n", 3000))
	kept := zip.Compress(body)
	resp := &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"text/html"}}}
	if err := w.Write(Exchange{At: time.Now(), Request: req, Response: resp, Body: body, Deflated: kept}); err != nil {
		t.Fatal(err)
	}
	// A Deflated of another body is not used for this one.
	other := []byte("<p>not this one</p>")
	if err := w.Write(Exchange{At: time.Now(), Request: req, Response: resp, Body: other, Deflated: kept}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Read every file, however many the writer made.
	names, _ := filepath.Glob(filepath.Join(dir, "*.warc.gz"))
	var raw []byte
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	if got, want := zip.Compressed(), int64(len(body)+len(other)); got != want {
		t.Errorf("%d body bytes compressed, want %d: the kept body once, the other once", got, want)
	}
	gz := kept.Gzip()
	if seg := gz[10 : len(gz)-10]; !bytes.Contains(raw, seg) {
		t.Error("the kept body's compressed bytes are not in the WARC file: it was compressed again")
	}
	var payloads [][]byte
	for _, name := range names {
		payloads = append(payloads, readPayloads(t, name)...)
	}
	if len(payloads) != 2 || !(bytes.Equal(payloads[0], body) && bytes.Equal(payloads[1], other) ||
		bytes.Equal(payloads[1], body) && bytes.Equal(payloads[0], other)) {
		t.Errorf("payloads read back: %d records, want the kept body and the other", len(payloads))
	}
}

// eachRecord reads a WARC file with gowarc's strict reader, reports a
// record that fails validation or its digests, and calls fn for each.
func eachRecord(t *testing.T, name string, fn func(gowarc.WarcRecord)) {
	t.Helper()
	r, err := gowarc.NewWarcFileReader(name, 0, gowarc.WithStrictValidation())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Validation) > 0 {
			t.Errorf("record %s: %v", rec.WarcRecord.Type(), rec.Validation)
		}
		if v, err := rec.WarcRecord.ValidateDigest(); err != nil || len(v) > 0 {
			t.Errorf("digest of %s: %v %v", rec.WarcRecord.Type(), v, err)
		}
		fn(rec.WarcRecord)
		rec.Close()
	}
}

// readPayloads returns the payloads of a WARC file's response records.
func readPayloads(t *testing.T, name string) (payloads [][]byte) {
	t.Helper()
	eachRecord(t, name, func(rec gowarc.WarcRecord) {
		if rec.Type() != gowarc.Response {
			return
		}
		pb, ok := rec.Block().(gowarc.PayloadBlock)
		if !ok {
			t.Fatalf("response block %T has no payload", rec.Block())
		}
		pr, err := pb.PayloadBytes()
		if err != nil {
			t.Fatal(err)
		}
		p, err := io.ReadAll(pr)
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, p)
	})
	return payloads
}

// TestRotationKeepsExchangesWholeAndFilesUnderTheSize: a new file is begun
// before an exchange would take the open one past MaxSize, so no file
// passes it (none holds an exchange larger than it) and a request and its
// response are always in one file.
func TestRotationKeepsExchangesWholeAndFilesUnderTheSize(t *testing.T) {
	dir := t.TempDir()
	const max = 6000
	w, err := Open(Options{Dir: dir, MaxSize: max})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://example.test/r")
	req := &http.Request{Method: "GET", URL: u, Header: http.Header{}}
	resp := &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"text/plain"}}}
	for i := range 30 {
		// Bodies that do not compress: each exchange takes 1 to 2 KB.
		body := make([]byte, 800+40*i)
		for j := range body {
			body[j] = byte(j*7919 + i*104729)
		}
		if err := w.Write(Exchange{At: time.Now(), Request: req, Response: resp, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.warc.gz"))
	if len(names) < 5 {
		t.Fatalf("%d files for about 45 KB at %d bytes a file", len(names), max)
	}
	for _, name := range names {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > max {
			t.Errorf("%s: %d bytes, past the %d of MaxSize", filepath.Base(name), st.Size(), max)
		}
		var ids, concurrent []string
		eachRecord(t, name, func(rec gowarc.WarcRecord) {
			h := rec.WarcHeader()
			switch rec.Type() {
			case gowarc.Request:
				ids = append(ids, h.Get(gowarc.WarcRecordID))
			case gowarc.Response:
				concurrent = append(concurrent, h.Get(gowarc.WarcConcurrentTo))
			}
		})
		if len(ids) != len(concurrent) {
			t.Errorf("%s: %d requests and %d responses", filepath.Base(name), len(ids), len(concurrent))
		}
		for _, c := range concurrent {
			if !slices.Contains(ids, c) {
				t.Errorf("%s: a response whose request %s is in another file", filepath.Base(name), c)
			}
		}
	}
}
