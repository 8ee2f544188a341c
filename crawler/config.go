package crawler

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/trawl-crawler/trawl/extract"
)

// Version is trawl's version, from the module build information.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "0.1.0-dev"
}

// DefaultUserAgent names trawl and its version, with a URL where a site owner
// can read what trawl is.
func DefaultUserAgent(contact string) string {
	if contact == "" {
		contact = "https://github.com/trawl-crawler/trawl"
	}
	return fmt.Sprintf("trawl/%s (+%s)", Version(), contact)
}

// Duration is a time.Duration that reads and writes JSON as "1.5s".
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Config is everything a crawl needs. It is stored as JSON with the run, so that
// a resumed run continues with the same settings.
type Config struct {
	Seeds []string `json:"seeds"`
	// Scope is "host" (the seeds' hosts), "domain" (their registrable domains)
	// or "any".
	Scope string   `json:"scope"`
	Allow []string `json:"allow,omitempty"` // URL regexps; when set, a URL must match one
	Deny  []string `json:"deny,omitempty"`  // URL regexps that exclude
	// DropParams are query parameters removed from every URL before it is
	// deduplicated (trackers, session ids): names, or prefixes ending in '*'
	// ("utm_*"); see urlkey.Canon.
	DropParams []string `json:"drop_params,omitempty"`

	MaxDepth        int `json:"max_depth"`          // link hops from a seed; 0 means no limit
	MaxPages        int `json:"max_pages"`          // pages fetched by one invocation; 0 means no limit
	MaxPagesPerHost int `json:"max_pages_per_host"` // pages per host in a run; 0 means no limit

	Concurrency int      `json:"concurrency"` // fetchers in total
	PerHost     int      `json:"per_host"`    // concurrent requests to one host
	Delay       Duration `json:"delay"`       // minimum gap between request starts to one host
	Timeout     Duration `json:"timeout"`     // whole request, headers and body
	MaxBody     int64    `json:"max_body"`    // bytes; a longer body is truncated and recorded so
	UserAgent   string   `json:"user_agent"`
	Retries     int      `json:"retries"`    // extra attempts for transient failures
	RetryBase   Duration `json:"retry_base"` // first retry delay; doubles each time, with jitter

	MaxDuration Duration `json:"max_duration,omitempty"` // stop gracefully after this long, per invocation; 0 means no limit

	// RevisitAfter is how long ago the run that last fetched a page must have
	// started for a refresh run to fetch it again; see RefreshCutoff.
	RevisitAfter Duration `json:"revisit_after"`
	// RefreshCutoff is set for refresh runs: URLs fetched before it are due.
	// The zero time (a new crawl) makes every rediscovered URL due.
	RefreshCutoff time.Time `json:"refresh_cutoff,omitzero"`

	IgnoreRobots  bool     `json:"ignore_robots,omitempty"`
	RobotsAgent   string   `json:"robots_agent,omitempty"` // product token matched in robots.txt
	MaxCrawlDelay Duration `json:"max_crawl_delay"`        // cap on a robots.txt Crawl-delay
	// MaxRetryAfter is the longest Retry-After pause a run waits out; a URL
	// asking for more is put off to a later run, after the pause, and a host
	// whose URLs keep asking for more is parked (see politeness.Health).
	MaxRetryAfter Duration `json:"max_retry_after"`
	Sitemaps      bool     `json:"sitemaps"` // read robots.txt Sitemap: lines, or /sitemap.xml

	// Rules are the user's extraction rules, run on every HTML page they match.
	Rules []extract.RuleSpec `json:"rules,omitempty"`
	// StoreBody keeps each HTML body (gzip) so extraction can be re-run.
	StoreBody bool `json:"store_body,omitempty"`
	// StoreText keeps each page's main text.
	StoreText bool `json:"store_text,omitempty"`

	// AutoThrottle lets each host's delay follow its latency; see throttle.go.
	AutoThrottle   bool     `json:"auto_throttle"`
	ThrottleTarget float64  `json:"throttle_target"` // aimed-for busy share of a host's time per fetcher slot
	MaxDelay       Duration `json:"max_delay"`       // ceiling for the adaptive delay

	// Request options; see request.go. Header lines ("Name: value") go to
	// every host, HostHeaders to one host ("example.com" or
	// "example.com:8080") and win over Header.
	Header      []string            `json:"header,omitempty"`
	HostHeaders map[string][]string `json:"host_headers,omitempty"`
	Cookie      []string            `json:"cookie,omitempty"`       // "name=value", set for the seeds' hosts
	CookiesFile string              `json:"cookies_file,omitempty"` // Netscape cookies.txt, read at every start
	// BasicAuth ("user:password") and Bearer are sent to the seeds' origins
	// only; the stored configuration says where the secret came from, never
	// what it is.
	BasicAuth Secret `json:"basic_auth,omitzero"`
	Bearer    Secret `json:"bearer,omitzero"`
	// Proxy is empty for the environment's HTTP_PROXY, HTTPS_PROXY and
	// NO_PROXY, [ProxyNone], or proxy URLs (see proxyPool); ProxyAuth is
	// their user:password.
	Proxy     ProxyList `json:"proxy,omitempty"`
	ProxyAuth Secret    `json:"proxy_auth,omitzero"`
	// CACert is a PEM file of certificates trusted besides the system's;
	// Insecure skips certificate verification altogether.
	CACert   string `json:"ca_cert,omitempty"`
	Insecure bool   `json:"insecure,omitempty"`

	// Login is the login step before the crawl (config file only); see
	// login.go.
	Login *Login `json:"login,omitempty"`

	// WARC is a directory to write every request and response to as WARC
	// files, rotated at WARCMaxSize bytes (0: 1 GiB).
	WARC        string `json:"warc,omitempty"`
	WARCMaxSize int64  `json:"warc_max_size,omitempty"`
}

// DefaultConfig returns the settings a crawl uses unless told otherwise.
func DefaultConfig() Config {
	return Config{
		Scope:       "host",
		Concurrency: 16,
		PerHost:     2,
		Delay:       Duration(250 * time.Millisecond),
		Timeout:     Duration(30 * time.Second),
		MaxBody:     10 << 20,
		UserAgent:   DefaultUserAgent(""),
		Retries:     2,
		RetryBase:   Duration(2 * time.Second),
		RobotsAgent: "trawl",

		RevisitAfter:   Duration(24 * time.Hour),
		MaxCrawlDelay:  Duration(30 * time.Second),
		MaxRetryAfter:  Duration(10 * time.Minute),
		Sitemaps:       true,
		AutoThrottle:   true,
		ThrottleTarget: 1,
		MaxDelay:       Duration(60 * time.Second),
	}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case len(c.Seeds) == 0:
		return errors.New("no seed URLs: give at least one URL or --seeds-file")
	case c.Scope != "host" && c.Scope != "domain" && c.Scope != "any":
		return fmt.Errorf("scope %q: want host, domain or any", c.Scope)
	case c.Concurrency < 1:
		return fmt.Errorf("concurrency %d: want at least 1", c.Concurrency)
	case c.PerHost < 1:
		return fmt.Errorf("per-host %d: want at least 1", c.PerHost)
	case c.Delay < 0:
		return fmt.Errorf("delay %s: want zero or more", time.Duration(c.Delay))
	case c.Timeout <= 0:
		return fmt.Errorf("timeout %s: want more than zero", time.Duration(c.Timeout))
	case c.MaxBody <= 0:
		return fmt.Errorf("max-body %d: want more than zero", c.MaxBody)
	case c.MaxDepth < 0 || c.MaxPages < 0 || c.MaxPagesPerHost < 0 || c.Retries < 0:
		return errors.New("limits must be zero (no limit) or more")
	case c.AutoThrottle && (c.ThrottleTarget <= 0 || c.ThrottleTarget > 100):
		return fmt.Errorf("throttle-target %g: want more than 0 and at most 100", c.ThrottleTarget)
	case c.MaxCrawlDelay < 0 || c.MaxRetryAfter < 0 || c.MaxDelay < 0 || c.MaxDuration < 0 || c.RevisitAfter < 0:
		return errors.New("durations must not be negative")
	case strings.TrimSpace(c.UserAgent) == "":
		return errors.New("user agent must not be empty")
	}
	return c.validateRequest()
}
