package extract

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxSitemapURLs is the most <loc> entries read from one sitemap file; the
// sitemaps protocol allows 50,000, and more is a trap or a mistake.
const MaxSitemapURLs = 50_000

// maxSitemapBytes caps a decompressed sitemap (the protocol's limit is 50 MB).
const maxSitemapBytes = 50 << 20

// SitemapURL is one <url> of a sitemap.
type SitemapURL struct {
	Loc     string
	LastMod string // as written, W3C datetime; empty when absent
}

// Sitemap is the content of one sitemap file: either a urlset (URLs) or a
// sitemap index (Children, the URLs of further sitemap files).
type Sitemap struct {
	URLs     []SitemapURL
	Children []SitemapURL
}

// ParseSitemap reads a sitemap or sitemap index, gzip-compressed or not
// (decided by the gzip magic bytes, since servers label .xml.gz files
// inconsistently). Entries past MaxSitemapURLs are ignored. Plain-text sitemaps
// (one URL per line) are accepted too, as the protocol allows.
func ParseSitemap(body []byte) (*Sitemap, error) {
	var r io.Reader = bytes.NewReader(body)
	if len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("sitemap: gzip: %w", err)
		}
		defer zr.Close()
		r = io.LimitReader(zr, maxSitemapBytes)
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("sitemap: gzip: %w", err)
		}
		body = b
	}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(trimmed) > 0 && trimmed[0] != '<' {
		return parseTextSitemap(trimmed), nil
	}
	sm := &Sitemap{}
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	var entry *SitemapURL
	var field string
	var text strings.Builder
	n := 0
	for n < MaxSitemapURLs {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if n > 0 {
				break // keep what a truncated file gave
			}
			return nil, fmt.Errorf("sitemap: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch strings.ToLower(t.Name.Local) {
			case "url", "sitemap":
				entry = &SitemapURL{}
			case "loc", "lastmod":
				if entry != nil {
					field = strings.ToLower(t.Name.Local)
					text.Reset()
				}
			}
		case xml.CharData:
			if field != "" {
				text.Write(t)
			}
		case xml.EndElement:
			name := strings.ToLower(t.Name.Local)
			switch {
			case name == field:
				v := strings.TrimSpace(text.String())
				if field == "loc" {
					entry.Loc = v
				} else {
					entry.LastMod = v
				}
				field = ""
			case name == "url" && entry != nil:
				if entry.Loc != "" {
					sm.URLs = append(sm.URLs, *entry)
					n++
				}
				entry = nil
			case name == "sitemap" && entry != nil:
				if entry.Loc != "" {
					sm.Children = append(sm.Children, *entry)
					n++
				}
				entry = nil
			}
		}
	}
	return sm, nil
}

func parseTextSitemap(body []byte) *Sitemap {
	sm := &Sitemap{}
	for _, line := range bytes.Split(body, []byte("\n")) {
		l := strings.TrimSpace(string(line))
		if strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
			sm.URLs = append(sm.URLs, SitemapURL{Loc: l})
			if len(sm.URLs) == MaxSitemapURLs {
				break
			}
		}
	}
	return sm
}
