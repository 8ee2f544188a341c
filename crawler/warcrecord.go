package crawler

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trawl-crawler/trawl/crawler/deflate"
	"github.com/trawl-crawler/trawl/crawler/warc"
)

// defaultWARCMaxSize is where WARC files rotate unless told otherwise: the
// 1 GB the WARC standard's annex recommends.
const defaultWARCMaxSize = 1 << 30

// openWARC starts the run's WARC writer, when the crawl asked for one.
func (c *Crawler) openWARC() (*warc.Writer, error) {
	if c.cfg.WARC == "" {
		return nil, nil
	}
	size := c.cfg.WARCMaxSize
	if size <= 0 {
		size = defaultWARCMaxSize
	}
	robots := "obey"
	if c.cfg.IgnoreRobots {
		robots = "ignore"
	}
	run := strconv.FormatInt(c.runID, 10)
	return warc.Open(warc.Options{
		Dir: c.cfg.WARC, MaxSize: size, Prefix: "trawl-run" + run + "-", Compressor: c.req.zip,
		Info: map[string]string{
			"software":               "trawl/" + Version(),
			"isPartOf":               "trawl run " + run,
			"trawl-run":              run,
			"description":            "seeds: " + strings.Join(c.cfg.Seeds, " "),
			"robots":                 robots,
			"http-header-user-agent": c.cfg.UserAgent,
		},
	})
}

// recording wraps a response body so that, once the crawler has read and
// closed it, the exchange is written to the WARC files: what was read,
// which is the whole body or its first --max-body bytes.
type recording struct {
	io.ReadCloser
	buf   []byte
	size  int        // the announced length, up to limit: the buffer's first size
	pool  *sync.Pool // *[]byte: where buf comes from, and goes back to after write
	limit int
	eof   bool
	done  bool
	// write archives the exchange; true: it is done with body.
	write func(body []byte, truncated bool) bool
}

// hiddenShare, on a request, asks for its body compressed once for both the
// WARC record and the bodies table (--warc with --store-body); its value
// keys requestOptions.shared. It is taken off before the request is sent.
const hiddenShare = "X-Trawl-Share"

// sharedBody is a body as archived, compressed.
type sharedBody struct {
	raw []byte // as read, to check it is the body colly gave
	z   *deflate.Body
}

// askShare adds to hdr, the request's own headers (nil for none), the
// request for a shared body, and returns its key.
func (r *requestOptions) askShare(hdr http.Header) (http.Header, string) {
	key := strconv.FormatUint(r.shareSeq.Add(1), 36)
	if hdr == nil {
		hdr = http.Header{}
	}
	hdr.Set(hiddenShare, key)
	return hdr, key
}

// takeShare returns the compressed body archived for key when it is body,
// byte for byte (not when colly decoded a gzip response itself, say), and
// forgets it either way.
func (r *requestOptions) takeShare(key string, body []byte) *deflate.Body {
	v, ok := r.shared.LoadAndDelete(key)
	if !ok {
		return nil
	}
	if s := v.(sharedBody); bytes.Equal(s.raw, body) {
		return s.z
	}
	return nil
}

func (r *recording) Read(p []byte) (int, error) {
	if r.size > 0 {
		// One buffer of the announced size rather than doublings and their
		// copies, made at the first read: after the fetcher's admission
		// has let the body in (a server that sends more makes it grow).
		r.buf = slices.Grow(r.buf, r.size)
		r.size = 0
	}
	n, err := r.ReadCloser.Read(p)
	if room := r.limit - len(r.buf); room > 0 {
		r.buf = append(r.buf, p[:min(n, room)]...)
	}
	if errors.Is(err, io.EOF) {
		r.eof = true
	}
	return n, err
}

func (r *recording) Close() error {
	err := r.ReadCloser.Close()
	if !r.done {
		r.done = true
		if r.write(r.buf, !r.eof) && cap(r.buf) <= deflate.MaxPooled {
			b := r.buf[:0]
			r.buf = nil
			r.pool.Put(&b)
		}
	}
	return err
}

// record arranges for req and resp to be written to the WARC files, the
// body compressed on the goroutine that read it; with a share key, that
// compressed body is kept for takeShare.
func (r *requestOptions) record(req *http.Request, resp *http.Response, at time.Time, share string) {
	if r.warc == nil || resp == nil {
		return
	}
	sent := req.Clone(req.Context())
	// Credentials are never written down: an archive is shared more
	// readily than a crawl's settings.
	for _, h := range []string{"Authorization", "Proxy-Authorization"} {
		if sent.Header.Get(h) != "" {
			sent.Header.Set(h, "(redacted by trawl)")
		}
	}
	rec := &recording{ReadCloser: resp.Body, limit: r.maxBody, pool: r.bodyBufs}
	if bp, _ := r.bodyBufs.Get().(*[]byte); bp != nil {
		rec.buf = *bp
	}
	if n := resp.ContentLength; n > 0 {
		rec.size = int(min(n, int64(r.maxBody)))
	}
	rec.write = func(body []byte, truncated bool) bool {
		h := resp.Header.Clone()
		h.Del(hiddenProto)
		h.Del(hiddenProxy)
		if ct := h.Get(hiddenContentType); ct != "" {
			// colly reads the body with the charset hidden (newFetcher), and
			// the body is closed before the header is put back: archive the
			// Content-Type the server sent.
			h.Set("Content-Type", ct)
			h.Del(hiddenContentType)
		}
		saved := *resp
		saved.Header = h
		var z *deflate.Body
		if resp.StatusCode != http.StatusNotModified {
			z = r.zip.Compress(body)
			if share != "" {
				r.shared.Store(share, sharedBody{raw: body, z: z})
			}
		}
		if err := r.warc.Write(warc.Exchange{At: at, Request: sent, Response: &saved, Body: body, Truncated: truncated, Deflated: z}); err != nil {
			r.log.Error("WARC record not written", "url", req.URL.String(), "err", err)
		}
		if share != "" {
			// The bodies table takes z, and takeShare compares body.
			return false
		}
		// Written: neither is used again. Recycling the body's two
		// buffers, as read and compressed, spares the collector a copy of
		// every body and of its compression.
		r.zip.Recycle(z)
		return true
	}
	resp.Body = rec
}

// logger returns log, or one that discards.
func logger(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
