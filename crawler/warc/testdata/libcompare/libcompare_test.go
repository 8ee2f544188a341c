// Package libcompare measures the two maintained Go WARC libraries,
// github.com/internetarchive/gowarc and github.com/nlnwa/gowarc, on the
// same exchanges: Mozilla Readability's 130 real pages as response bodies,
// a request and a response record per page, gzip per record. It is a
// separate module so that the library trawl does not use is not a
// dependency of trawl; see README.md for how to run it and what it found.
package libcompare

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	iawarc "github.com/internetarchive/gowarc"
	"github.com/klauspost/compress/gzip"
	"github.com/nlnwa/gowarc/v3"
)

// at is every record's WARC-Date, so that both libraries write the same
// headers.
var at = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// A page is one exchange: the request head as sent, the response (head
// and body) as received.
type page struct {
	uri           string
	req, resp     []byte
	body          []byte
	payloadDigest string // of body, sha1 base32
}

func sha1Base32(b []byte) string {
	sum := sha1.Sum(b)
	return "sha1:" + base32.StdEncoding.EncodeToString(sum[:])
}

func loadPages(tb testing.TB) (pages []page, bodyBytes int64) {
	tb.Helper()
	names, err := filepath.Glob("../../../../extract/testdata/readability-pages/*/source.html")
	if err != nil || len(names) == 0 {
		tb.Fatalf("no readability pages: %v", err)
	}
	sort.Strings(names)
	for _, name := range names {
		body, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		path := "/" + filepath.Base(filepath.Dir(name)) + "/"
		req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: example.test\r\nUser-Agent: trawl/libcompare\r\nAccept: text/html,*/*\r\nAccept-Encoding: gzip\r\n\r\n", path)
		head := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\nDate: Fri, 02 Jan 2026 03:04:05 GMT\r\n\r\n", len(body))
		pages = append(pages, page{
			uri:           "http://example.test" + path,
			req:           []byte(req),
			resp:          append([]byte(head), body...),
			body:          body,
			payloadDigest: sha1Base32(body),
		})
		bodyBytes += int64(len(body))
	}
	return pages, bodyBytes
}

// A writer writes every page as a request and a response record into dir.
type writer struct {
	name  string
	write func(dir string, pages []page) error
}

var writers = []writer{
	{"lib=nlnwa/gzip=default", func(dir string, pages []page) error { return writeNlnwa(dir, pages, gzip.DefaultCompression) }},
	{"lib=nlnwa/gzip=1", func(dir string, pages []page) error { return writeNlnwa(dir, pages, gzip.BestSpeed) }},
	{"lib=ia-rotator/gzip=default", writeIARotator},
	{"lib=ia-writer/gzip=default", func(dir string, pages []page) error { return writeIAWriter(dir, pages, gzip.DefaultCompression) }},
	{"lib=ia-writer/gzip=1", func(dir string, pages []page) error { return writeIAWriter(dir, pages, gzip.BestSpeed) }},
}

// nlnwaNames names files without nlnwa/gowarc's default generator, which
// looks up the machine's outbound IP address for every name by dialling
// 8.8.8.8 (see TestDefaultFileNames).
type nlnwaNames struct {
	dir    string
	serial atomic.Int32
}

func (n *nlnwaNames) NewWarcfileName() (string, string) {
	return n.dir, fmt.Sprintf("nlnwa-%05d.warc", n.serial.Add(1))
}

var nlnwaRecordOpts = []gowarc.WarcRecordOption{
	gowarc.WithAddMissingDigest(true),
	gowarc.WithAddMissingRecordId(true),
	gowarc.WithAddMissingContentLength(true),
	gowarc.WithFixDigest(false),
	gowarc.WithDefaultDigestAlgorithm("sha1"),
	gowarc.WithDefaultDigestEncoding(gowarc.Base32),
}

// writeNlnwa writes with nlnwa/gowarc as trawl's crawler/warc does: its
// file writer (rotation, warcinfo, a gzip member per record), its record
// builder computing both digests.
func writeNlnwa(dir string, pages []page, level int) error {
	w := gowarc.NewWarcFileWriter(
		gowarc.WithFileNameGenerator(&nlnwaNames{dir: dir}),
		gowarc.WithCompression(true),
		gowarc.WithCompressionLevel(level),
		gowarc.WithMaxFileSize(1<<30),
		gowarc.WithRecordOptions(nlnwaRecordOpts...),
		gowarc.WithWarcInfoFunc(func(rb gowarc.WarcRecordBuilder) error {
			_, err := rb.WriteString("software: trawl/libcompare\r\nformat: WARC File Format 1.1\r\n")
			return err
		}),
	)
	for _, p := range pages {
		req := gowarc.NewRecordBuilder(gowarc.Request, nlnwaRecordOpts...)
		req.AddWarcHeader(gowarc.WarcTargetURI, p.uri)
		req.AddWarcHeaderTime(gowarc.WarcDate, at)
		req.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=request")
		if _, err := req.Write(p.req); err != nil {
			return err
		}
		reqRec, _, err := req.Build()
		if err != nil {
			return err
		}
		resp := gowarc.NewRecordBuilder(gowarc.Response, nlnwaRecordOpts...)
		resp.AddWarcHeader(gowarc.WarcTargetURI, p.uri)
		resp.AddWarcHeaderTime(gowarc.WarcDate, at)
		resp.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=response")
		resp.AddWarcHeader(gowarc.WarcConcurrentTo, reqRec.WarcHeader().Get(gowarc.WarcRecordID))
		if _, err := resp.Write(p.resp); err != nil {
			return err
		}
		respRec, _, err := resp.Build()
		if err != nil {
			return err
		}
		for _, r := range w.Write(reqRec, respRec) {
			if r.Err != nil {
				return r.Err
			}
		}
	}
	return w.Close()
}

// iaRecords builds the two records with internetarchive/gowarc. Its
// records are a header map and a spooled buffer; the library computes
// WARC-Block-Digest and Content-Length when writing, but not
// WARC-Payload-Digest (its HTTP client does that itself), so the caller
// does.
func iaRecords(p page) (req, resp *iawarc.Record, err error) {
	reqID := "<urn:uuid:" + uuid.NewString() + ">"
	req = iawarc.NewRecord("", false)
	req.Header.Set("WARC-Type", "request")
	req.Header.Set("WARC-Record-ID", reqID)
	req.Header.Set("WARC-Target-URI", p.uri)
	req.Header.Set("Content-Type", "application/http;msgtype=request")
	if _, err := req.Content.Write(p.req); err != nil {
		return nil, nil, err
	}
	resp = iawarc.NewRecord("", false)
	resp.Header.Set("WARC-Type", "response")
	resp.Header.Set("WARC-Record-ID", "<urn:uuid:"+uuid.NewString()+">")
	resp.Header.Set("WARC-Target-URI", p.uri)
	resp.Header.Set("WARC-Concurrent-To", reqID)
	resp.Header.Set("Content-Type", "application/http;msgtype=response")
	digest, err := iawarc.GetDigest(bytes.NewReader(p.body), iawarc.SHA1)
	if err != nil {
		return nil, nil, err
	}
	resp.Header.Set("WARC-Payload-Digest", digest)
	if _, err := resp.Content.Write(p.resp); err != nil {
		return nil, nil, err
	}
	return req, resp, nil
}

// writeIARotator writes with internetarchive/gowarc's file writer, the
// rotator: a goroutine per file fed batches over a channel, which writes
// the warcinfo, a gzip member per record at klauspost gzip's default
// level (it has no level setting) and panics on any write error.
func writeIARotator(dir string, pages []page) error {
	s := iawarc.NewRotatorSettings()
	s.OutputDirectory = dir
	s.Prefix = "ia"
	s.Compression = "GZIP"
	s.WARCSize = 1024 // MB
	s.WARCWriterPoolSize = 1
	s.WarcinfoContent.Set("software", "trawl/libcompare")
	records, done, err := s.NewWARCRotator()
	if err != nil {
		return err
	}
	for _, p := range pages {
		req, resp, err := iaRecords(p)
		if err != nil {
			return err
		}
		b := iawarc.NewRecordBatch(make(chan struct{}))
		b.CaptureTime = at.Format(time.RFC3339)
		b.Records = []*iawarc.Record{req, resp}
		records <- b
		<-b.FeedbackChan // written, as trawl's Write returns once it is
	}
	close(records)
	for _, d := range done {
		<-d
	}
	return nil
}

// writeIAWriter writes with internetarchive/gowarc's Writer, the level
// under the rotator, into one file of the caller's: the only way to
// choose the gzip level is to hand it a gzip writer of one's own (here
// reused for every record, as nlnwa/gowarc does).
func writeIAWriter(dir string, pages []page, level int) error {
	name := "ia-writer-00001.warc.gz"
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewWriterLevel(f, level)
	if err != nil {
		return err
	}
	w := &iawarc.Writer{GZIPWriter: gz, FileWriter: bufio.NewWriter(gz), FileName: name, Compression: "GZIP", DigestAlgorithm: iawarc.SHA1}
	infoID, err := w.WriteInfoRecord(map[string]string{"software": "trawl/libcompare", "format": "WARC File Format 1.1"})
	if err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	for _, p := range pages {
		req, resp, err := iaRecords(p)
		if err != nil {
			return err
		}
		for _, r := range []*iawarc.Record{req, resp} {
			r.Header.Set("WARC-Date", at.Format(time.RFC3339))
			r.Header.Set("WARC-Warcinfo-ID", "<urn:uuid:"+infoID+">")
			gz.Reset(f)
			w.FileWriter.Reset(gz)
			if _, err := w.WriteRecord(r); err != nil {
				return err
			}
			if err := gz.Close(); err != nil {
				return err
			}
		}
	}
	return f.Close()
}

func dirBytes(tb testing.TB, dir string) (n int64) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			tb.Fatal(err)
		}
		n += info.Size()
	}
	return n
}

// cpuTime is the CPU time this process has used, all threads (the
// libraries' writer goroutines and the garbage collector included).
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWrite writes the 130 pages (one op) to a file on disk. MB/s is
// of response bodies; out-bytes/op is the size of the .warc.gz written;
// cpu-ms/op is the CPU time the op used, which other load on the machine
// disturbs less than the wall time behind MB/s.
func BenchmarkWrite(b *testing.B) {
	pages, bodyBytes := loadPages(b)
	for _, w := range writers {
		b.Run(w.name, func(b *testing.B) {
			b.SetBytes(bodyBytes)
			b.ReportAllocs()
			var out int64
			var cpu time.Duration
			ops := 0
			for i := 0; b.Loop(); i++ {
				dir := filepath.Join(b.TempDir(), fmt.Sprint(i))
				if err := os.Mkdir(dir, 0o755); err != nil {
					b.Fatal(err)
				}
				start := cpuTime(b)
				if err := w.write(dir, pages); err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime(b) - start
				ops++
				b.StopTimer()
				out = dirBytes(b, dir)
				if err := os.RemoveAll(dir); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(out), "out-bytes/op")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(ops), "cpu-ms/op")
		})
	}
}

// TestDefaultFileNames writes a file with each library's default file
// naming. It runs only in a network namespace of its own with no
// interface but loopback (unshare -n), under strace, to see which library
// dials out to name a file: see README.md.
func TestDefaultFileNames(t *testing.T) {
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifaces {
		if i.Flags&net.FlagLoopback == 0 {
			t.Skipf("interface %s: run in an empty network namespace (unshare -n), where a dial reaches nothing", i.Name)
		}
	}
	pages, _ := loadPages(t)
	pages = pages[:1]

	dir := t.TempDir()
	t.Log("nlnwa/gowarc, default file names")
	w := gowarc.NewWarcFileWriter(gowarc.WithFileNameGenerator(&gowarc.PatternNameGenerator{Directory: dir}))
	rb := gowarc.NewRecordBuilder(gowarc.Resource, nlnwaRecordOpts...)
	rb.AddWarcHeader(gowarc.WarcTargetURI, pages[0].uri)
	if _, err := rb.Write(pages[0].body); err != nil {
		t.Fatal(err)
	}
	rec, _, err := rb.Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range w.Write(rec) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Log("internetarchive/gowarc, default file names")
	if err := writeIARotator(dir, pages); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Log(e.Name())
	}
}

// A got is a record as one reader read it.
type got struct {
	file, typ, uri string
	blockOK        *bool // nil when the record has no WARC-Block-Digest
	payloadOK      *bool // nil when it has no WARC-Payload-Digest
	payloadSHA1    string
	problems       []string
}

func ptr(b bool) *bool { return &b }

// digestOK checks a "sha1:BASE32" field against bytes.
func digestOK(field string, b []byte) *bool {
	if field == "" {
		return nil
	}
	return ptr(strings.EqualFold(field, sha1Base32(b)))
}

// payloadOf splits an HTTP message block at the end of its head.
func payloadOf(typ string, block []byte) []byte {
	if typ != "request" && typ != "response" && typ != "revisit" {
		return block
	}
	if i := bytes.Index(block, []byte("\r\n\r\n")); i >= 0 {
		return block[i+4:]
	}
	return nil
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.warc.gz"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no .warc.gz in %s: %v", dir, err)
	}
	return names
}

// checkRecords checks what a reader read against what was written.
func checkRecords(t *testing.T, reader string, nfiles int, pages []page, recs []got) {
	t.Helper()
	want := map[string]page{}
	for _, p := range pages {
		want[p.uri] = p
	}
	count := map[string]int{}
	for _, r := range recs {
		count[r.typ]++
		for _, p := range r.problems {
			t.Errorf("%s: %s %s %s: %s", reader, r.file, r.typ, r.uri, p)
		}
		if r.blockOK == nil || !*r.blockOK {
			t.Errorf("%s: %s %s %s: WARC-Block-Digest missing or wrong (%v)", reader, r.file, r.typ, r.uri, r.blockOK)
		}
		if r.payloadOK != nil && !*r.payloadOK {
			t.Errorf("%s: %s %s %s: WARC-Payload-Digest wrong", reader, r.file, r.typ, r.uri)
		}
		if r.typ == "warcinfo" {
			continue
		}
		p, ok := want[r.uri]
		if !ok {
			t.Errorf("%s: %s record for %q, which was not written", reader, r.typ, r.uri)
			continue
		}
		if r.typ == "response" {
			if r.payloadOK == nil {
				t.Errorf("%s: response %s has no WARC-Payload-Digest", reader, r.uri)
			}
			if r.payloadSHA1 != p.payloadDigest {
				t.Errorf("%s: response %s: payload read is %s, written was %s", reader, r.uri, r.payloadSHA1, p.payloadDigest)
			}
		}
	}
	if count["warcinfo"] != nfiles || count["request"] != len(pages) || count["response"] != len(pages) || len(recs) != nfiles+2*len(pages) {
		t.Errorf("%s read %v from %d files, want a warcinfo per file and %d requests and responses", reader, count, nfiles, len(pages))
	}
}

// readNlnwa reads with nlnwa/gowarc's strict reader, which validates the
// records and (ValidateDigest) both digests.
func readNlnwa(t *testing.T, names []string) (recs []got) {
	for _, name := range names {
		r, err := gowarc.NewWarcFileReader(name, 0, gowarc.WithStrictValidation())
		if err != nil {
			t.Fatal(err)
		}
		for rec, err := range r.Records() {
			if err != nil {
				t.Errorf("nlnwa: %s: %v", name, err)
				break
			}
			g := got{file: filepath.Base(name), typ: rec.WarcRecord.Type().String()}
			h := rec.WarcRecord.WarcHeader()
			g.uri = h.Get(gowarc.WarcTargetURI)
			for _, v := range rec.Validation {
				g.problems = append(g.problems, "nlnwa validation: "+v.Error())
			}
			if v, err := rec.WarcRecord.ValidateDigest(); err != nil || len(v) > 0 {
				g.problems = append(g.problems, fmt.Sprintf("nlnwa digest validation: %v %v", v, err))
			}
			var block, payload bytes.Buffer
			raw, err := rec.WarcRecord.Block().RawBytes()
			if err == nil {
				_, err = block.ReadFrom(raw)
			}
			if err != nil {
				g.problems = append(g.problems, "block: "+err.Error())
			}
			if pb, ok := rec.WarcRecord.Block().(gowarc.PayloadBlock); ok {
				pr, err := pb.PayloadBytes()
				if err == nil {
					_, err = payload.ReadFrom(pr)
				}
				if err != nil {
					g.problems = append(g.problems, "payload: "+err.Error())
				}
			} else {
				payload.Write(block.Bytes())
			}
			g.blockOK = digestOK(h.Get(gowarc.WarcBlockDigest), block.Bytes())
			g.payloadOK = digestOK(h.Get(gowarc.WarcPayloadDigest), payload.Bytes())
			g.payloadSHA1 = sha1Base32(payload.Bytes())
			recs = append(recs, g)
			_ = rec.Close()
		}
		_ = r.Close()
	}
	return recs
}

// readIA reads with internetarchive/gowarc's Reader, which checks no
// digest: they are computed here from the block it returns.
func readIA(t *testing.T, names []string) (recs []got) {
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := iawarc.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		for {
			rec, err := r.ReadRecord()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Errorf("ia: %s: %v", name, err)
				}
				break
			}
			var block bytes.Buffer
			if _, err := block.ReadFrom(rec.Content); err != nil {
				t.Errorf("ia: %s: %v", name, err)
			}
			_ = rec.Content.Close()
			g := got{file: filepath.Base(name), typ: rec.Header.Get("WARC-Type"), uri: rec.Header.Get("WARC-Target-URI")}
			payload := payloadOf(g.typ, block.Bytes())
			g.blockOK = digestOK(rec.Header.Get("WARC-Block-Digest"), block.Bytes())
			g.payloadOK = digestOK(rec.Header.Get("WARC-Payload-Digest"), payload)
			g.payloadSHA1 = sha1Base32(payload)
			if rec.Version != "WARC/1.1" {
				g.problems = append(g.problems, "version "+rec.Version)
			}
			recs = append(recs, g)
		}
		_ = r.Close()
		_ = f.Close()
	}
	return recs
}

// TestReadBack writes the pages with each library and reads every file
// back with both, and with warcio where node is there to run it.
func TestReadBack(t *testing.T) {
	pages, _ := loadPages(t)
	for _, w := range writers {
		t.Run(w.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := w.write(dir, pages); err != nil {
				t.Fatal(err)
			}
			names := files(t, dir)
			t.Logf("%d files, %d bytes", len(names), dirBytes(t, dir))
			checkRecords(t, "nlnwa", len(names), pages, readNlnwa(t, names))
			checkRecords(t, "ia", len(names), pages, readIA(t, names))
			if recs, ok := readWarcio(t, names); ok {
				checkRecords(t, "warcio", len(names), pages, recs)
			}
		})
	}
}
