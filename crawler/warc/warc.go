// Package warc writes a crawl's HTTP exchanges as WARC 1.1 files: a request
// and a response record per fetch (a revisit record for a 304), each record
// gzipped on its own, files rotated at a size, every file opening with a
// warcinfo record that names the trawl run. Records are built and written
// with github.com/nlnwa/gowarc, which makes the records' ids, writes the
// warcinfo records and the files; an exchange's Content-Length and digests
// are computed here, once each, and its records are built without the
// library's checks (exchangeOpts). The gzip member of each record is made
// here too (marshaler), so that a response body compressed once (package
// deflate) is spliced into its record instead of being compressed again.
package warc

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nlnwa/gowarc/v3"

	"github.com/trawl-crawler/trawl/crawler/deflate"
)

// Options say where and how to write.
type Options struct {
	Dir     string // created if missing
	MaxSize int64  // rotate before a file grows past this many bytes
	// Info is written into each file's warcinfo record: software, the
	// trawl run, the database, the seeds.
	Info   map[string]string
	Prefix string // file name prefix, e.g. "trawl-run3-"
	// Compressor compresses what is not given compressed; nil: one of the
	// writer's own.
	Compressor *deflate.Compressor
}

// Writer writes records; safe for concurrent use.
type Writer struct {
	w   *gowarc.WarcFileWriter
	zip *deflate.Compressor
	max int64 // Options.MaxSize
	// written counts the bytes of the open file (marshaler adds to it);
	// Write reads and resets it under builderMu.
	written *atomic.Int64
}

// names makes file names without the library's default pattern, which
// looks up the machine's outbound IP address by dialling a public one.
type names struct {
	dir, prefix string
	serial      atomic.Int32
}

func (n *names) NewWarcfileName() (string, string) {
	// The library adds no suffix: it compresses nothing itself (marshaler).
	return n.dir, fmt.Sprintf("%s%s-%05d.warc.gz", n.prefix, time.Now().UTC().Format("20060102150405"), n.serial.Add(1))
}

var recordOpts = []gowarc.WarcRecordOption{
	gowarc.WithAddMissingDigest(true),
	gowarc.WithAddMissingRecordId(true),
	gowarc.WithRecordIdFunc(newRecordID),
	gowarc.WithAddMissingContentLength(true),
	gowarc.WithFixDigest(false),
	// SHA-1 in base32 is what CDX indexes and wayback replay tools expect
	// in WARC-Payload-Digest, for deduplication across archives.
	gowarc.WithDefaultDigestAlgorithm("sha1"),
	gowarc.WithDefaultDigestEncoding(gowarc.Base32),
}

// exchangeOpts build the records of an exchange, whose fields Write sets
// itself: their digests (computed once, see digests), Content-Length, and
// URIs that come from a parsed URL. The library's checks of what it is
// given (a WHATWG parse of every URI field, a parse of the HTTP block to
// find the payload, a copy of the block into its buffer and a digest pass
// over it) cost the real-site crawl 2.3 CPU s, a third of what --warc
// added to it; the files are read back with full validation in the tests.
//
// Nothing is written into these builders (see Write), so their buffers
// hold no memory: each one made would otherwise allocate 16 KiB up front,
// 748 MB in an alloc_space profile of the real-site crawl (48,266 records),
// 6% of everything the crawl allocated.
var exchangeOpts = append(slices.Clone(recordOpts),
	gowarc.WithAddMissingDigest(false),
	gowarc.WithSpecViolationPolicy(gowarc.ErrIgnore),
	gowarc.WithSyntaxErrorPolicy(gowarc.ErrIgnore),
	gowarc.WithSkipParseBlock(),
	gowarc.WithBufferMaxMemBytes(0),
)

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
	zip := opts.Compressor
	if zip == nil {
		zip = new(deflate.Compressor)
	}
	written := new(atomic.Int64)
	w := gowarc.NewWarcFileWriter(
		gowarc.WithFileNameGenerator(&names{dir: dir, prefix: opts.Prefix}),
		// Every record is one gzip member all the same, made by marshaler
		// with package deflate's fast encoder (archives are written once
		// and mostly read by index); the library's own compression would
		// compress a kept body a second time.
		gowarc.WithCompression(false),
		gowarc.WithMarshaler(marshaler{zip: zip, written: written}),
		// One file at a time: Write hands records over one exchange at a
		// time (builderMu), and what is left to do then is little, as the
		// bodies were compressed on the fetchers' goroutines (with the
		// library compressing each record on its file's one goroutine,
		// --warc cost 41% of the real-site crawl's speed).
		gowarc.WithMaxConcurrentWriters(1),
		// The library decides to rotate record by record, which can put
		// a response in another file than its request; Write rotates
		// between exchanges instead.
		gowarc.WithMaxFileSize(0),
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
	return &Writer{w: w, zip: zip, max: opts.MaxSize, written: written}, nil
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
	// Deflated is Body compressed, when the caller has it already (to
	// keep it as well); nil: Write compresses Body itself.
	Deflated *deflate.Body
}

// maxWARCHead bounds a record's WARC header fields as trawl writes them
// (the URI is at most a few KiB), for the rotation's estimate.
const maxWARCHead = 8 << 10

// builderMu serialises gowarc's record builders: each one made sets a
// package variable of github.com/google/uuid (EnableRandPool in gowarc's
// defaultWarcRecordOptions) without synchronisation, a data race between
// any two made at once. It is the one lock for every builder in the
// process, and so a package variable: the file writer makes one too (a
// file's warcinfo record, when Write creates a file), which is why Write
// holds it while handing records over. Record ids come from newRecordID,
// which reads nothing of uuid's.
var builderMu sync.Mutex

// newRecordID is a record id as gowarc makes them (a random UUID's URN),
// without the pool flag its default reads.
func newRecordID() (string, error) {
	id, err := uuid.NewRandomFromReader(rand.Reader)
	if err != nil {
		return "", err
	}
	return id.URN(), nil
}

// newBuilders makes the builders of one exchange's two records.
func newBuilders(resp gowarc.RecordType) (req, res gowarc.WarcRecordBuilder) {
	builderMu.Lock()
	defer builderMu.Unlock()
	return gowarc.NewRecordBuilder(gowarc.Request, exchangeOpts...), gowarc.NewRecordBuilder(resp, exchangeOpts...)
}

// Write records ex: a request record, and a response record (a revisit
// record for a 304 Not Modified) concurrent to it.
func (w *Writer) Write(ex Exchange) error {
	uri := ex.Request.URL.String()
	kind := gowarc.Response
	if ex.Response.StatusCode == http.StatusNotModified {
		kind = gowarc.Revisit
	}
	reqB, respB := newBuilders(kind)
	reqB.AddWarcHeader(gowarc.WarcTargetURI, uri)
	reqB.AddWarcHeaderTime(gowarc.WarcDate, ex.At)
	reqB.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=request")
	reqHead := requestBytes(ex.Request)
	reqB.AddWarcHeaderInt(gowarc.ContentLength, len(reqHead))
	reqB.AddWarcHeader(gowarc.WarcBlockDigest, digest(reqHead))
	// The block is the head alone (a form's body is not archived): the
	// payload is empty, and its digest that of nothing, as the library gave.
	reqB.AddWarcHeader(gowarc.WarcPayloadDigest, digest(nil))
	reqRec, _, err := reqB.Build()
	if err != nil {
		return fmt.Errorf("warc: request record for %s: %w", uri, err)
	}
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
	head := responseHead(ex.Response, len(ex.Body))
	var body *deflate.Body
	if kind == gowarc.Revisit {
		// A revisit record's block is the head alone.
		respB.AddWarcHeaderInt(gowarc.ContentLength, len(head))
		respB.AddWarcHeader(gowarc.WarcBlockDigest, digest(head))
	} else {
		respB.AddWarcHeaderInt(gowarc.ContentLength, len(head)+len(ex.Body))
		block, payload := digests(head, ex.Body)
		respB.AddWarcHeader(gowarc.WarcBlockDigest, block)
		respB.AddWarcHeader(gowarc.WarcPayloadDigest, payload)
		if body = ex.Deflated; body == nil || body.Len() != len(ex.Body) {
			body = w.zip.Compress(ex.Body)
		}
	}
	respRec, _, err := respB.Build()
	if err != nil {
		return fmt.Errorf("warc: response record for %s: %w", uri, err)
	}
	// No block is copied into a builder: the marshaler writes each
	// record's head, and the response's body as compressed (spliced).
	reqRec = &spliced{WarcRecord: reqRec, head: reqHead}
	respRec = &spliced{WarcRecord: respRec, head: head, body: body, raw: ex.Body}
	// What the exchange adds to a file, at most: its heads uncompressed
	// and its body as compressed.
	size := int64(len(reqHead)+len(head)) + 2*maxWARCHead
	if body != nil {
		size += int64(body.Size())
	}
	builderMu.Lock()
	defer builderMu.Unlock()
	if n := w.written.Load(); w.max > 0 && n > 0 && n+size > w.max {
		if err := w.w.Rotate(); err != nil {
			return fmt.Errorf("warc: rotate before %s: %w", uri, err)
		}
		w.written.Store(0)
	}
	for _, r := range w.w.Write(reqRec, respRec) {
		if r.Err != nil {
			return fmt.Errorf("warc: write %s: %w", uri, r.Err)
		}
	}
	return nil
}

// digest is the labelled digest of b, as WARC-Block-Digest and
// WARC-Payload-Digest hold it: SHA-1 in base32 (recordOpts).
func digest(b []byte) string {
	sum := sha1.Sum(b)
	return "sha1:" + base32.StdEncoding.EncodeToString(sum[:])
}

// digests are the block and payload digests of a response record whose
// block is head followed by body.
func digests(head, body []byte) (block, payload string) {
	h := sha1.New()
	h.Write(head) //nolint:errcheck // a hash does not fail
	h.Write(body) //nolint:errcheck // a hash does not fail
	var sum [sha1.Size]byte
	return "sha1:" + base32.StdEncoding.EncodeToString(h.Sum(sum[:0])), digest(body)
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

// responseHead is the status line and headers of the response as received,
// for a body of n bytes. HTTP/2 responses are written with an HTTP/1.1
// status line, as WARC readers expect one; the version is in trawl's
// fetches.proto.
func responseHead(r *http.Response, n int) []byte {
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
		h.Set("Content-Length", strconv.Itoa(n))
	}
	h.Write(&b) //nolint:errcheck // a bytes.Buffer does not fail
	b.WriteString("\r\n")
	return b.Bytes()
}
