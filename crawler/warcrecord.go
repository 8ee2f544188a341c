package crawler

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

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
		Dir: c.cfg.WARC, MaxSize: size, Prefix: "trawl-run" + run + "-",
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
	buf   bytes.Buffer
	limit int
	eof   bool
	done  bool
	write func(body []byte, truncated bool)
}

func (r *recording) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if room := r.limit - r.buf.Len(); room > 0 {
		r.buf.Write(p[:min(n, room)])
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
		r.write(r.buf.Bytes(), !r.eof)
	}
	return err
}

// record arranges for req and resp to be written to the WARC files.
func (r *requestOptions) record(req *http.Request, resp *http.Response, at time.Time) {
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
	rec := &recording{ReadCloser: resp.Body, limit: r.maxBody}
	rec.write = func(body []byte, truncated bool) {
		h := resp.Header.Clone()
		h.Del(hiddenProto)
		h.Del(hiddenProxy)
		saved := *resp
		saved.Header = h
		if err := r.warc.Write(warc.Exchange{At: at, Request: sent, Response: &saved, Body: body, Truncated: truncated}); err != nil {
			r.log.Error("WARC record not written", "url", req.URL.String(), "err", err)
		}
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
