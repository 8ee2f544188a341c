// Package deflate compresses a response body once, into a raw DEFLATE
// segment that can be framed two ways: as a gzip file of its own (what the
// bodies table keeps) and spliced, unchanged, into the gzip member of a
// larger record (a WARC response record, whose headers come before the body
// in the same member). A crawl that keeps bodies and writes WARC files then
// compresses each body once instead of twice.
//
// The splice is plain DEFLATE (RFC 1951): a stream may be made of blocks
// from several compressors as long as every part but the last ends on a
// byte boundary without the final bit, which a sync flush gives. A part made
// by a fresh compressor refers to nothing before it, so it decodes the same
// wherever it is put. The gzip trailer (RFC 1952) is the CRC-32 and length
// of everything the member holds.
package deflate

import (
	"encoding/binary"
	"hash/crc32"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// gzipHeader is a gzip member header with no name, no time and an unknown
// OS (RFC 1952, 2.3): ten bytes, the same for every member.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// finalBlock is an empty final block with fixed Huffman codes: it ends a
// stream whose parts all ended with a sync flush.
var finalBlock = []byte{0x03, 0x00}

// Body is a body compressed once.
type Body struct {
	seg []byte // DEFLATE blocks ending in a sync flush, none final
	crc uint32 // CRC-32 (IEEE) of the uncompressed body
	n   int    // uncompressed length
}

// Compressor makes segments; it is safe for concurrent use. Its zero value
// is ready.
//
// It keeps one encoder per CPU (GOMAXPROCS) for good and lends them out:
// an encoder is about 400 KB (its match finder's table, its tokens, its
// Huffman table), and a sync.Pool, emptied by every garbage collection,
// had a crawl with --warc allocate a compressor for most segments (five
// an exchange), which cost a third of its speed. Compression is CPU work,
// so a goroutine waiting for an encoder waits for a CPU it would not have
// had. Keeping an encoder also keeps its table (see shared.go).
type Compressor struct {
	once    sync.Once
	free    chan *encoder // nil entries are encoders not made yet
	bodies  atomic.Int64
	members sync.Pool // *[]byte: Member's buffers
	segs    sync.Pool // *[]byte: segments given back by Recycle
}

// Compressed is how many body bytes Compress has compressed: what a crawl
// that both keeps bodies and archives them saves is the other half.
func (c *Compressor) Compressed() int64 { return c.bodies.Load() }

// segment appends to dst the DEFLATE blocks of p, ending in a sync flush.
func (c *Compressor) segment(dst *sliceWriter, p []byte) {
	c.once.Do(func() {
		c.free = make(chan *encoder, max(runtime.GOMAXPROCS(0), 1))
		for range cap(c.free) {
			c.free <- nil
		}
	})
	e := <-c.free
	done := false
	defer func() {
		if !done {
			// A panic left e half-way through a body: a fresh encoder
			// replaces it, and the others waiting are not left waiting.
			e = nil
		}
		c.free <- e
	}()
	if e == nil {
		e = new(encoder)
	}
	w := bitWriter{b: dst.b}
	e.compress(&w, p)
	dst.b = w.b
	done = true
}

// Compress compresses body once.
func (c *Compressor) Compress(body []byte) *Body {
	var sw sliceWriter
	if bp, _ := c.segs.Get().(*[]byte); bp != nil {
		sw.b = (*bp)[:0]
	}
	sw.b = slices.Grow(sw.b, len(body)/3+64)
	c.segment(&sw, body)
	c.bodies.Add(int64(len(body)))
	return &Body{seg: sw.b, crc: crc32.ChecksumIEEE(body), n: len(body)}
}

// Recycle gives b's memory back for a later Compress: b must not be used
// again, nor anything made of it but what Member wrote. A crawl with
// --warc compresses every body for its record and, unless the bodies are
// kept, is done with the result once the record is written.
func (c *Compressor) Recycle(b *Body) {
	if b == nil || cap(b.seg) > MaxPooled {
		return
	}
	seg := b.seg[:0]
	b.seg = nil
	c.segs.Put(&seg)
}

// Len is the uncompressed length of the body.
func (b *Body) Len() int { return b.n }

// Size is the compressed length of the body, without gzip's framing.
func (b *Body) Size() int { return len(b.seg) }

// Gzip frames b as a gzip file of its own: what `gzip -d` and Go's
// compress/gzip read back as the body.
func (b *Body) Gzip() []byte {
	out := make([]byte, 0, len(gzipHeader)+len(b.seg)+len(finalBlock)+8)
	out = append(out, gzipHeader...)
	out = append(out, b.seg...)
	out = append(out, finalBlock...)
	return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(out, b.crc), uint32(b.n))
}

// Member writes to w one gzip member holding head, then body (spliced in
// as compressed: raw is the body uncompressed, which b was made of), then
// tail. body may be nil. It returns the uncompressed length of the
// member's content. The member goes to w in one Write: a WARC file is
// written record by record, and four writes an exchange were as many
// system calls.
func (c *Compressor) Member(w io.Writer, head []byte, body *Body, raw, tail []byte) (int64, error) {
	bp, _ := c.members.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer c.members.Put(bp)
	size := len(gzipHeader) + len(head) + 64 + len(tail)
	if body != nil {
		size += len(body.seg)
	}
	sw := sliceWriter{b: slices.Grow((*bp)[:0], size)}
	sw.b = append(sw.b, gzipHeader...)
	if len(head) <= maxFixed {
		sw.b = fixed(sw.b, head)
	} else {
		c.segment(&sw, head)
	}
	crc := crc32.ChecksumIEEE(head)
	n := int64(len(head))
	if body != nil {
		sw.b = append(sw.b, body.seg...)
		// Reading the body again is cheaper than combining the two CRCs
		// (crc32.Update runs at memory speed; zlib's crc32_combine took
		// 57 µs a body).
		crc = crc32.Update(crc, crc32.IEEETable, raw)
		n += int64(len(raw))
	}
	if len(tail) > 0 {
		w := bitWriter{b: sw.b}
		w.stored(tail)
		sw.b = w.b
		crc = crc32.Update(crc, crc32.IEEETable, tail)
		n += int64(len(tail))
	}
	sw.b = append(sw.b, finalBlock...)
	sw.b = binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(sw.b, crc), uint32(n))
	_, err := w.Write(sw.b)
	if cap(sw.b) <= MaxPooled {
		*bp = sw.b[:0]
	}
	return n, err
}

// MaxPooled bounds the buffers kept for later bodies: the segments Recycle
// keeps, the buffers Member keeps, and the WARC recordings' copies of the
// bodies as read. A larger page's are let go, so that the pools (a buffer
// or two a fetcher) do not hold megabytes for bodies that are 23 KB on
// average; at 1 MiB the real-site crawl with --warc peaked at 154.4 MB in
// one of nine runs.
const MaxPooled = 256 << 10

// sliceWriter appends to a byte slice.
type sliceWriter struct{ b []byte }

func (s *sliceWriter) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}
