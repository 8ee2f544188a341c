package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nlnwa/gowarc/v3"

	"github.com/trawl-crawler/trawl/store/record"
)

// TestKeptBodiesAreCompressedOnceForWARCAndDatabase: with --warc and
// --store-body, each page's body is compressed once, and both copies read
// back as the body the server sent: the bodies table's gzip and the
// payload of the WARC response record.
func TestKeptBodiesAreCompressedOnceForWARCAndDatabase(t *testing.T) {
	pages := map[string]string{
		"/":  `<html><title>home</title><a href="/a">a</a> <a href="/b">b</a> <a href="/gone">gone</a></html>`,
		"/a": "<html><title>a</title>" + strings.Repeat("<p>some words of page a</p>\n", 2000) + "</html>",
		"/b": "<html><title>b</title>" + strings.Repeat("<li>b</li>", 50) + "</html>",
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	cfg := testConfig(srv.URL + "/")
	cfg.WARC = t.TempDir()
	cfg.StoreBody = true
	db := testDB(t)
	c := newCrawl(t, db, cfg)
	if _, err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	kept := map[string][]byte{}
	err := db.Bodies(context.Background(), 0, func(b record.StoredBody) error {
		zr, err := gzip.NewReader(bytes.NewReader(b.Body))
		if err != nil {
			return fmt.Errorf("%s: %w", b.URL, err)
		}
		kept[strings.TrimPrefix(b.URL, srv.URL)], err = io.ReadAll(zr)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	archived := map[string][]byte{}
	for _, r := range readWARCs(t, cfg.WARC) {
		if r.typ == "response" {
			_, payload, _ := bytes.Cut(r.block, []byte("\r\n\r\n"))
			archived[strings.TrimPrefix(r.header.Get(gowarc.WarcTargetURI), srv.URL)] = payload
		}
	}
	var pageBytes int64
	for path, body := range pages {
		pageBytes += int64(len(body))
		if !bytes.Equal(kept[path], []byte(body)) {
			t.Errorf("%s: the bodies table holds %d bytes, want the %d served", path, len(kept[path]), len(body))
		}
		if !bytes.Equal(archived[path], []byte(body)) {
			t.Errorf("%s: the WARC record holds %d bytes, want the %d served", path, len(archived[path]), len(body))
		}
	}
	// Compressed once: the three pages, the 404's body and robots.txt's
	// (archived, not kept) -- not the pages a second time.
	var others int64
	for path, body := range archived {
		if _, ok := pages[path]; !ok {
			others += int64(len(body))
		}
	}
	if got, want := c.req.zip.Compressed(), pageBytes+others; got != want {
		t.Errorf("%d body bytes compressed, want %d: each body once (pages %d, others %d)", got, want, pageBytes, others)
	}
}
