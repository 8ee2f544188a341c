package crawler

import (
	"bytes"
	"crypto/sha1"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlnwa/gowarc/v3"
)

type warcRec struct {
	typ    string
	header *gowarc.WarcFields
	block  []byte
}

// readWARCs reads every record in dir's WARC files with gowarc, strictly,
// with digests checked.
func readWARCs(t *testing.T, dir string) []warcRec {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.warc.gz"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no WARC files in %s (%v)", dir, err)
	}
	var out []warcRec
	for _, name := range names {
		r, err := gowarc.NewWarcFileReader(name, 0, gowarc.WithStrictValidation())
		if err != nil {
			t.Fatal(err)
		}
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if v, err := rec.WarcRecord.ValidateDigest(); err != nil || len(v) > 0 || len(rec.Validation) > 0 {
				t.Errorf("%s: %s record: %v %v %v", name, rec.WarcRecord.Type(), rec.Validation, v, err)
			}
			rd, _ := rec.WarcRecord.Block().RawBytes()
			b, _ := io.ReadAll(rd)
			out = append(out, warcRec{typ: rec.WarcRecord.Type().String(), header: rec.WarcRecord.WarcHeader(), block: b})
			rec.Close()
		}
		r.Close()
	}
	return out
}

func TestWARCRecordsEveryExchange(t *testing.T) {
	page := "<html><body><a href=\"/big\">big</a></body></html>"
	big := strings.Repeat("x", 5000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nAllow: /\n")
		case "/":
			w.Header().Set("ETag", `"v1"`)
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			fmt.Fprint(w, page)
		case "/big":
			fmt.Fprint(w, big)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := testConfig(srv.URL + "/")
	cfg.WARC = dir
	cfg.MaxBody = 1000
	cfg.Bearer = ParseSecret("tok-warc", "")
	db := testDB(t)
	crawlRun(t, db, cfg)
	refreshRun(t, db, cfg)

	recs := readWARCs(t, dir)
	count := map[string]int{}
	var sawPage, sawTruncated, sawRevisit, sawInfo bool
	for _, r := range recs {
		count[r.typ]++
		uri := r.header.Get(gowarc.WarcTargetURI)
		switch r.typ {
		case "warcinfo":
			sawInfo = bytes.Contains(r.block, []byte("trawl-run: 1")) || bytes.Contains(r.block, []byte("trawl-run: 2")) || sawInfo
		case "request":
			if bytes.Contains(r.block, []byte("tok-warc")) {
				t.Errorf("request record for %s holds the bearer token", uri)
			}
		case "response":
			if !r.header.Has(gowarc.WarcPayloadDigest) || !r.header.Has(gowarc.WarcConcurrentTo) {
				t.Errorf("response %s lacks a payload digest or its request: %v", uri, r.header)
			}
			if uri == srv.URL+"/" {
				sum := sha1.Sum([]byte(page))
				if want := "sha1:" + base32.StdEncoding.EncodeToString(sum[:]); r.header.Get(gowarc.WarcPayloadDigest) != want {
					t.Errorf("payload digest %q, want %q", r.header.Get(gowarc.WarcPayloadDigest), want)
				}
				sawPage = bytes.HasSuffix(r.block, []byte(page))
				// The Content-Type as the server sent it, not as colly was
				// shown it while reading the body.
				if !bytes.Contains(r.block, []byte("Content-Type: text/html; charset=utf-8\r\n")) || bytes.Contains(r.block, []byte("X-Trawl")) {
					t.Errorf("response record for / does not hold the server's Content-Type:\n%s", r.block[:bytes.Index(r.block, []byte("\r\n\r\n"))])
				}
			}
			if uri == srv.URL+"/big" {
				sawTruncated = r.header.Get(gowarc.WarcTruncated) == "length" && bytes.HasSuffix(r.block, []byte(big[:1000]))
			}
		case "revisit":
			sawRevisit = uri == srv.URL+"/" && r.header.Get(gowarc.WarcProfile) == gowarc.ProfileServerNotModifiedV1_1
		}
	}
	if !sawPage || !sawTruncated || !sawRevisit || !sawInfo {
		t.Errorf("page %v, truncated %v, revisit %v, warcinfo naming the run %v; records %v", sawPage, sawTruncated, sawRevisit, sawInfo, count)
	}
	// Two runs: robots.txt, / and /big, then / again (304): the robots.txt
	// is kept in the database, and /big is not due yet. Every file opens
	// with a warcinfo record, and each run writes files of its own (as many
	// as it writes at once).
	files, _ := filepath.Glob(filepath.Join(dir, "*.warc.gz"))
	if count["request"] != 4 || count["response"] != 3 || count["revisit"] != 1 || count["warcinfo"] != len(files) || len(files) < 2 {
		t.Errorf("records %v in %d files, want 4 requests, 3 responses, 1 revisit and a warcinfo per file, two runs' files at least", count, len(files))
	}
}

// TestWARCPayloadsAreTheBodiesServed crawls pages of many sizes at once,
// so that the body buffers the archiving recycles are reused while other
// pages are read, and checks that each response record holds exactly the
// body its URL served.
func TestWARCPayloadsAreTheBodiesServed(t *testing.T) {
	const pages = 60
	body := func(i int) string {
		// Sizes from a few bytes to about 70 KB, and every 20th page over
		// 1 MB (a buffer the pools let go), each page's text its own.
		var b strings.Builder
		fmt.Fprintf(&b, "<html><body><p>page %d</p>", i)
		if i+1 < pages {
			fmt.Fprintf(&b, `<a href="/p/%d">next</a><a href="/p/%d">skip</a>`, i+1, min(i+7, pages-1))
		}
		n := (i * i * 61) % 200_000 / 40
		if i%20 == 19 {
			n = 110_000
		}
		for j := range n {
			fmt.Fprintf(&b, "<i>%d.%d</i>", i, j)
		}
		b.WriteString("</body></html>")
		return b.String()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/p/%d", &i); err != nil || i < 0 || i >= pages {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		if i%2 == 0 {
			// Half the pages chunked, without a length to size a buffer by.
			w.(http.Flusher).Flush()
		}
		fmt.Fprint(w, body(i))
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := testConfig(srv.URL + "/p/0")
	cfg.WARC = dir
	cfg.PerHost = 8
	crawlRun(t, testDB(t), cfg)
	seen := map[string]bool{}
	for _, r := range readWARCs(t, dir) {
		uri := r.header.Get(gowarc.WarcTargetURI)
		var i int
		if r.typ != "response" || strings.HasSuffix(uri, "/robots.txt") {
			continue
		}
		if _, err := fmt.Sscanf(strings.TrimPrefix(uri, srv.URL), "/p/%d", &i); err != nil {
			t.Errorf("response record for %s", uri)
			continue
		}
		seen[uri] = true
		if !bytes.HasSuffix(r.block, []byte("\r\n\r\n"+body(i))) {
			t.Errorf("%s: the record's block (%d bytes) does not end in the page's %d bytes", uri, len(r.block), len(body(i)))
		}
	}
	if len(seen) != pages {
		t.Errorf("%d pages archived, want %d", len(seen), pages)
	}
}
