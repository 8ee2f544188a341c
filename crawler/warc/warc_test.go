package warc

import (
	"crypto/sha1"
	"encoding/base32"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nlnwa/gowarc/v3"
)

// readAll reads every record of every file in dir with gowarc, validating
// digests, and returns the records' types and headers.
func readAll(t *testing.T, dir string) (files int, recs []*gowarc.WarcFields, types []string) {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*.warc.gz"))
	for _, name := range names {
		files++
		r, err := gowarc.NewWarcFileReader(name, 0, gowarc.WithStrictValidation())
		if err != nil {
			t.Fatal(err)
		}
		for {
			rec, err := r.Next()
			if err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				t.Fatalf("%s: %v", name, err)
			}
			if len(rec.Validation) > 0 {
				t.Errorf("%s: record %s: %v", name, rec.WarcRecord.Type(), rec.Validation)
			}
			if v, err := rec.WarcRecord.ValidateDigest(); err != nil || len(v) > 0 {
				t.Errorf("%s: digest: %v %v", name, v, err)
			}
			h := rec.WarcRecord.WarcHeader()
			recs = append(recs, h)
			types = append(types, rec.WarcRecord.Type().String())
			rec.Close()
		}
		r.Close()
	}
	return files, recs, types
}

func TestWriteAndReadBack(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(Options{Dir: dir, MaxSize: 1500, Info: map[string]string{"software": "trawl/test", "trawl-run": "7"}})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://example.test/page")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	req := &http.Request{Method: "GET", URL: u, Header: http.Header{"User-Agent": {"trawl"}}}
	body := []byte(strings.Repeat("<p>hello</p>", 100))
	ok := &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"text/html"}}}
	nm := &http.Response{StatusCode: 304, Status: "304 Not Modified", Header: http.Header{"Etag": {`"x"`}}}
	for range 3 {
		if err := w.Write(Exchange{At: at, Request: req, Response: ok, Body: body, IP: "127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write(Exchange{At: at, Request: req, Response: nm}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, recs, types := readAll(t, dir)
	if files < 2 {
		t.Errorf("%d files, want rotation at 1500 bytes", files)
	}
	count := map[string]int{}
	for i, h := range recs {
		count[types[i]]++
		if types[i] == "response" && !h.Has(gowarc.WarcPayloadDigest) {
			t.Errorf("response record without WARC-Payload-Digest: %v", h)
		}
		if types[i] != "warcinfo" && !h.Has(gowarc.WarcBlockDigest) {
			t.Errorf("%s record without WARC-Block-Digest: %v", types[i], h)
		}
		sum := sha1.Sum(body)
		if want := "sha1:" + base32.StdEncoding.EncodeToString(sum[:]); types[i] == "response" && h.Get(gowarc.WarcPayloadDigest) != want {
			t.Errorf("response payload digest %q, want SHA-1 of the body %q", h.Get(gowarc.WarcPayloadDigest), want)
		}
		if types[i] == "revisit" && h.Get(gowarc.WarcProfile) != gowarc.ProfileServerNotModifiedV1_1 {
			t.Errorf("revisit profile %q", h.Get(gowarc.WarcProfile))
		}
		if types[i] != "warcinfo" && !h.Has(gowarc.WarcWarcinfoID) {
			t.Errorf("%s record does not refer to its warcinfo", types[i])
		}
	}
	if count["warcinfo"] != files || count["request"] != 4 || count["response"] != 3 || count["revisit"] != 1 {
		t.Errorf("records %v in %d files", count, files)
	}
	b, _ := os.ReadDir(dir)
	for _, e := range b {
		if !strings.HasSuffix(e.Name(), ".warc.gz") {
			t.Errorf("unexpected file %s (an unfinished file left open?)", e.Name())
		}
	}
}
