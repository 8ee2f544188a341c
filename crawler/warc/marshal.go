package warc

import (
	"bytes"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/nlnwa/gowarc/v3"

	"github.com/trawl-crawler/trawl/crawler/deflate"
)

// spliced is a record whose block is head followed by body, compressed
// already (nil: the block is the head alone), and never copied into the
// record's builder.
type spliced struct {
	gowarc.WarcRecord
	head []byte
	body *deflate.Body // nil: none
	raw  []byte        // the body uncompressed
}

// marshaler writes each record as one gzip member, in the layout of
// gowarc's own marshaler (version line, header fields, a blank line, the
// block, two CRLFs), with a spliced record's body put in as compressed.
type marshaler struct {
	zip     *deflate.Compressor
	written *atomic.Int64 // bytes written to files, for Writer's rotation
}

// counter counts what goes through it.
type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

var endOfRecord = []byte("\r\n\r\n")

// Marshal implements gowarc.Marshaler; records are never segmented.
func (m marshaler) Marshal(out io.Writer, rec gowarc.WarcRecord, _ int64) (gowarc.WarcRecord, int64, error) {
	w := &counter{w: out}
	defer func() { m.written.Add(w.n) }()
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s\r\n", rec.Version())
	if _, err := rec.WarcHeader().Write(&head); err != nil {
		return nil, 0, err
	}
	head.WriteString("\r\n")
	if s, ok := rec.(*spliced); ok {
		head.Write(s.head)
		n, err := m.zip.Member(w, head.Bytes(), s.body, s.raw, endOfRecord)
		return nil, n, err
	}
	block, err := rec.Block().RawBytes()
	if err != nil {
		return nil, 0, err
	}
	if _, err := io.Copy(&head, block); err != nil {
		return nil, 0, err
	}
	n, err := m.zip.Member(w, head.Bytes(), nil, nil, endOfRecord)
	return nil, n, err
}
