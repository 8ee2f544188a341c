// Package warc writes a crawl's HTTP exchanges as WARC 1.1 files: a request
// and a response record per fetch (a revisit record for a 304), each record
// gzipped on its own, files rotated at a size, every file opening with a
// warcinfo record that names the trawl run. Records are built and written
// with github.com/nlnwa/gowarc, which computes the block and payload digests.
package warc

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nlnwa/gowarc/v3"
)

// Options say where and how to write.
type Options struct {
	Dir     string // created if missing
	MaxSize int64  // rotate before a file grows past this many bytes
	// Info is written into each file's warcinfo record: software, the
	// trawl run, the database, the seeds.
	Info   map[string]string
	Prefix string // file name prefix, e.g. "trawl-run3-"
}

// Writer writes records; safe for concurrent use.
type Writer struct {
	w *gowarc.WarcFileWriter
}

// names makes file names without the library's default pattern, which
// looks up the machine's outbound IP address by dialling a public one.
type names struct {
	dir, prefix string
	serial      atomic.Int32
}

func (n *names) NewWarcfileName() (string, string) {
	return n.dir, fmt.Sprintf("%s%s-%05d.warc", n.prefix, time.Now().UTC().Format("20060102150405"), n.serial.Add(1))
}

var recordOpts = []gowarc.WarcRecordOption{
	gowarc.WithAddMissingDigest(true),
	gowarc.WithAddMissingRecordId(true),
	gowarc.WithAddMissingContentLength(true),
	gowarc.WithFixDigest(false),
	// SHA-1 in base32 is what CDX indexes and wayback replay tools expect
	// in WARC-Payload-Digest, for deduplication across archives.
	gowarc.WithDefaultDigestAlgorithm("sha1"),
	gowarc.WithDefaultDigestEncoding(gowarc.Base32),
}

// Open starts writing into opts.Dir.
func Open(opts Options) (*Writer, error) {
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("warc: %w", err)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("warc: %w", err)
	}
	info := opts.Info
	w := gowarc.NewWarcFileWriter(
		gowarc.WithFileNameGenerator(&names{dir: dir, prefix: opts.Prefix}),
		gowarc.WithCompression(true),
		// gowarc compresses and writes on one goroutine per open file:
		// with one, every fetcher waited on it and --warc cost 41% of the
		// real-site crawl's speed. A file per core, at gzip's fastest
		// level (archives are written once and mostly read by index),
		// keeps both cores busy with pages instead.
		gowarc.WithMaxConcurrentWriters(writers()),
		gowarc.WithCompressionLevel(gzip.BestSpeed),
		gowarc.WithMaxFileSize(opts.MaxSize),
		gowarc.WithRecordOptions(recordOpts...),
		gowarc.WithWarcInfoFunc(func(rb gowarc.WarcRecordBuilder) error {
			var b bytes.Buffer
			b.WriteString("format: WARC File Format 1.1\r\n")
			b.WriteString("conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n")
			for _, k := range slices.Sorted(maps.Keys(info)) {
				fmt.Fprintf(&b, "%s: %s\r\n", k, info[k])
			}
			_, err := rb.Write(b.Bytes())
			return err
		}),
	)
	return &Writer{w: w}, nil
}

// Exchange is one HTTP request and the response to it, as sent and
// received by net/http: the response body as read (decompressed when the
// transport asked for gzip itself), up to the crawl's size limit.
type Exchange struct {
	At        time.Time
	Request   *http.Request
	Response  *http.Response
	Body      []byte
	Truncated bool // the body was cut at the size limit
	IP        string
}

// Write records ex: a request record, and a response record (a revisit
// record for a 304 Not Modified) concurrent to it.
func (w *Writer) Write(ex Exchange) error {
	uri := ex.Request.URL.String()
	reqB := gowarc.NewRecordBuilder(gowarc.Request, recordOpts...)
	reqB.AddWarcHeader(gowarc.WarcTargetURI, uri)
	reqB.AddWarcHeaderTime(gowarc.WarcDate, ex.At)
	reqB.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=request")
	if _, err := reqB.Write(requestBytes(ex.Request)); err != nil {
		return err
	}
	reqRec, _, err := reqB.Build()
	if err != nil {
		return fmt.Errorf("warc: request record for %s: %w", uri, err)
	}
	kind := gowarc.Response
	if ex.Response.StatusCode == http.StatusNotModified {
		kind = gowarc.Revisit
	}
	respB := gowarc.NewRecordBuilder(kind, recordOpts...)
	respB.AddWarcHeader(gowarc.WarcTargetURI, uri)
	respB.AddWarcHeaderTime(gowarc.WarcDate, ex.At)
	respB.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=response")
	respB.AddWarcHeader(gowarc.WarcConcurrentTo, reqRec.WarcHeader().Get(gowarc.WarcRecordID))
	if ex.IP != "" {
		respB.AddWarcHeader(gowarc.WarcIPAddress, ex.IP)
	}
	if kind == gowarc.Revisit {
		respB.AddWarcHeader(gowarc.WarcProfile, gowarc.ProfileServerNotModifiedV1_1)
		respB.AddWarcHeader(gowarc.WarcRefersToTargetURI, uri)
	}
	if ex.Truncated {
		respB.AddWarcHeader(gowarc.WarcTruncated, "length")
	}
	if _, err := respB.Write(responseBytes(ex.Response, ex.Body)); err != nil {
		return err
	}
	respRec, _, err := respB.Build()
	if err != nil {
		return fmt.Errorf("warc: response record for %s: %w", uri, err)
	}
	for _, r := range w.w.Write(reqRec, respRec) {
		if r.Err != nil {
			return fmt.Errorf("warc: write %s: %w", uri, r.Err)
		}
	}
	return nil
}

// Close finishes the open file.
func (w *Writer) Close() error { return w.w.Close() }

// requestBytes is the request head as sent: request line, Host, headers.
func requestBytes(r *http.Request) []byte {
	var b bytes.Buffer
	target := r.URL.RequestURI()
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", r.Method, target)
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	fmt.Fprintf(&b, "Host: %s\r\n", host)
	r.Header.Write(&b) //nolint:errcheck // a bytes.Buffer does not fail
	b.WriteString("\r\n")
	return b.Bytes()
}

// responseBytes is the response as received. HTTP/2 responses are written
// with an HTTP/1.1 status line, as WARC readers expect one; the version is
// in trawl's fetches.proto.
func responseBytes(r *http.Response, body []byte) []byte {
	var b bytes.Buffer
	status := r.Status
	if status == "" {
		status = strconv.Itoa(r.StatusCode) + " " + http.StatusText(r.StatusCode)
	}
	fmt.Fprintf(&b, "HTTP/1.1 %s\r\n", status)
	h := r.Header.Clone()
	if r.Uncompressed {
		// net/http removed Content-Encoding and decoded the body; the
		// length is of the decoded body.
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	h.Write(&b) //nolint:errcheck // a bytes.Buffer does not fail
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// writers is how many WARC files are written at once: one per core, at
// most four, so that compression never holds up the fetchers.
func writers() int { return min(runtime.NumCPU(), 4) }
