package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/trawl-crawler/trawl/crawler"
)

// Durations and sizes are read by one parser each, for flags and the config
// file alike, so that "--delay 0.5" and "delay: 0.5" mean the same.

// parseDuration reads a Go duration ("250ms", "1m30s", "24h") or a bare
// number of seconds ("0.5", "2"), the unit wget's --wait and Scrapy's
// DOWNLOAD_DELAY take.
func parseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if secs, err := strconv.ParseFloat(t, 64); err == nil && !math.IsNaN(secs) && !math.IsInf(secs, 0) &&
		!strings.ContainsAny(t, "xXpP_") { // no hex floats or digit separators
		if math.Abs(secs) > math.MaxInt64/float64(time.Second) {
			return 0, fmt.Errorf("%q is too long a duration", s)
		}
		return time.Duration(math.Round(secs * float64(time.Second))), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (write seconds, e.g. 0.5, or with a unit: 250ms, 2s, 45m, 24h)", s)
	}
	return d, nil
}

// parseSize reads a byte count with an optional K, M, G or T suffix (powers
// of 1024; "10M", "10MB", "10MiB" and "10 MiB" are the same), or a plain
// number of bytes. A fraction is allowed with a suffix ("1.5G").
func parseSize(s string) (int64, error) {
	bad := fmt.Errorf("%q is not a size (write bytes, or with a unit: 500K, 10M, 2G)", s)
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "B")
	t = strings.TrimSuffix(t, "I")
	mult := 1.0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult, t = 1<<10, t[:n-1]
		case 'M':
			mult, t = 1<<20, t[:n-1]
		case 'G':
			mult, t = 1<<30, t[:n-1]
		case 'T':
			mult, t = 1<<40, t[:n-1]
		}
	}
	t = strings.TrimSpace(t)
	if t == "" || strings.ContainsAny(t, "xXpPeE_+-") {
		return 0, bad
	}
	if mult == 1 {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n <= 0 {
			return 0, bad
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 || f*mult >= math.MaxInt64 {
		return 0, bad
	}
	n := int64(math.Round(f * mult))
	if n <= 0 {
		return 0, bad
	}
	return n, nil
}

// formatSize writes n bytes the shortest way parseSize reads back exactly.
func formatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// durationFlag is a pflag.Value for a crawler.Duration read by parseDuration.
type durationFlag struct{ p *crawler.Duration }

func (f durationFlag) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*f.p = crawler.Duration(d)
	return nil
}

func (f durationFlag) String() string {
	if f.p == nil || *f.p == 0 {
		return "0" // which pflag's help takes for "no default"
	}
	return time.Duration(*f.p).String()
}

func (f durationFlag) Type() string { return "duration" }

// sizeFlag is a pflag.Value for a byte count read by parseSize.
type sizeFlag struct{ p *int64 }

func (f sizeFlag) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*f.p = n
	return nil
}

func (f sizeFlag) String() string {
	if f.p == nil {
		return "0"
	}
	return formatSize(*f.p)
}

func (f sizeFlag) Type() string { return "size" }
