package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/crawler/urlkey"
	"github.com/trawl-crawler/trawl/extract"
)

// fileConfig is a crawl config file. Every key mirrors a crawl flag (with
// underscores), plus extraction rules; a flag given on the command line
// overrides the file. Pointers tell "not set" from zero. --fresh and --config
// are command-line only (see commandLineOnly).
type fileConfig struct {
	Seeds           yamlSeeds            `yaml:"seeds"`
	DB              *string              `yaml:"db"`
	Scope           *string              `yaml:"scope"`
	Allow           []string             `yaml:"allow"`
	Deny            []string             `yaml:"deny"`
	DropParams      []string             `yaml:"drop_params"`
	MaxDepth        *int                 `yaml:"max_depth"`
	MaxPages        *int                 `yaml:"max_pages"`
	MaxPagesPerHost *int                 `yaml:"max_pages_per_host"`
	MaxDuration     *yamlDuration        `yaml:"max_duration"`
	RevisitAfter    *yamlDuration        `yaml:"revisit_after"`
	Concurrency     *int                 `yaml:"concurrency"`
	PerHost         *int                 `yaml:"per_host"`
	Delay           *yamlDuration        `yaml:"delay"`
	Timeout         *yamlDuration        `yaml:"timeout"`
	MaxBody         *yamlSize            `yaml:"max_body"`
	UserAgent       *string              `yaml:"user_agent"`
	Contact         *string              `yaml:"contact"`
	RobotsAgent     *string              `yaml:"robots_agent"`
	IgnoreRobots    *bool                `yaml:"ignore_robots"`
	MaxCrawlDelay   *yamlDuration        `yaml:"max_crawl_delay"`
	MaxRetryAfter   *yamlDuration        `yaml:"max_retry_after"`
	Sitemaps        *bool                `yaml:"sitemaps"`
	AutoThrottle    *bool                `yaml:"auto_throttle"`
	ThrottleTarget  *float64             `yaml:"throttle_target"`
	MaxDelay        *yamlDuration        `yaml:"max_delay"`
	Retries         *int                 `yaml:"retries"`
	RetryBase       *yamlDuration        `yaml:"retry_base"`
	StoreBody       *bool                `yaml:"store_body"`
	StoreText       *bool                `yaml:"store_text"`
	SeedsFile       *string              `yaml:"seeds_file"` // relative to the config file's directory
	MaxDBSize       *string              `yaml:"max_db_size"`
	LogFormat       *string              `yaml:"log_format"`
	Quiet           *bool                `yaml:"quiet"`
	Verbose         *bool                `yaml:"verbose"`
	Progress        *string              `yaml:"progress"`
	Header          []string             `yaml:"header"`
	HostHeaders     map[string][]string  `yaml:"host_headers"`
	Cookie          []string             `yaml:"cookie"`
	CookiesFile     *string              `yaml:"cookies_file"` // relative to the config file's directory
	BasicAuth       *string              `yaml:"basic_auth"`   // file: paths relative to the config file's directory
	Bearer          *string              `yaml:"bearer"`
	Proxy           *string              `yaml:"proxy"`
	ProxyAuth       *string              `yaml:"proxy_auth"`
	CACert          *string              `yaml:"ca_cert"` // relative to the config file's directory
	Insecure        *bool                `yaml:"insecure"`
	WARC            *string              `yaml:"warc"` // relative to the config file's directory
	WARCMaxSize     *yamlSize            `yaml:"warc_max_size"`
	Rules           []extract.RuleSpec   `yaml:"rules"`
	Extra           map[string]yaml.Node `yaml:",inline"` // unknown keys, reported with their line
	dir             string               // the file's directory, for file: secrets
}

// yamlSeeds reads the seeds: a list of URLs, or one URL on its own
// ("seeds: https://example.com/"), which is how a single seed is naturally
// written.
type yamlSeeds []string

// UnmarshalYAML reads one URL or a list of them.
func (y *yamlSeeds) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*y = yamlSeeds{n.Value}
		return nil
	}
	var list []string
	if n.Kind != yaml.SequenceNode || n.Decode(&list) != nil {
		return fmt.Errorf("line %d: seeds: want a URL or a list of URLs, e.g. [https://example.com/]", n.Line)
	}
	*y = list
	return nil
}

// yamlDuration reads a duration as parseDuration does ("250ms", "24h", or a
// bare number of seconds).
type yamlDuration struct {
	d    time.Duration
	line int
}

// UnmarshalYAML parses a duration and remembers where it was written.
func (y *yamlDuration) UnmarshalYAML(n *yaml.Node) error {
	y.line = n.Line
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: not a duration (write seconds, e.g. 0.5, or with a unit: 250ms, 2s, 24h)", n.Line)
	}
	d, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	y.d = d
	return nil
}

// yamlSize reads a byte count as parseSize does ("10M", "512K", 1048576).
type yamlSize struct{ n int64 }

// UnmarshalYAML parses a size.
func (y *yamlSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: not a size (write bytes, or with a unit: 500K, 10M, 2G)", n.Line)
	}
	v, err := parseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	y.n = v
	return nil
}

// fileKeys are the keys a config file may set: fileConfig's yaml names.
func fileKeys() []string {
	t := reflect.TypeFor[fileConfig]()
	keys := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

// commandLineOnly are crawl flags that a config file must not set, with why.
var commandLineOnly = map[string]string{
	"fresh":  "fresh: not allowed in a config file; use --fresh on the command line (a scheduled crawl with it in its file would start over every time)",
	"config": "config: not allowed in a config file; use --config on the command line",
}

// loadConfig reads a config file, reporting every problem with the file name
// and line. A relative seeds_file is taken relative to the file's directory.
func loadConfig(path string) (*fileConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) { // an empty file
			return &fileConfig{}, nil
		}
		return nil, errors.New(yamlErrors(path, err))
	}
	var fc fileConfig
	if err := doc.Decode(&fc); err != nil {
		return nil, errors.New(yamlErrors(path, err))
	}
	var errs []string
	for key, n := range fc.Extra {
		if why, ok := commandLineOnly[key]; ok {
			errs = append(errs, fmt.Sprintf("%s:%d: %s", path, n.Line, why))
			continue
		}
		if k := closest(key, fileKeys()); k != "" {
			errs = append(errs, fmt.Sprintf("%s:%d: unknown key %q (did you mean %s?)", path, n.Line, key, k))
			continue
		}
		errs = append(errs, fmt.Sprintf("%s:%d: unknown key %q", path, n.Line, key))
	}
	errs = append(errs, checkValues(path, &doc)...)
	if len(fc.Rules) > 0 {
		if _, err := extract.CompileRules(path, fc.Rules); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errLine(errs[i]) < errLine(errs[j]) })
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	if fc.SeedsFile != nil && *fc.SeedsFile != "" && !filepath.IsAbs(*fc.SeedsFile) {
		p := filepath.Join(filepath.Dir(path), *fc.SeedsFile)
		fc.SeedsFile = &p
	}
	dir := filepath.Dir(path)
	if fc.CookiesFile != nil && *fc.CookiesFile != "" && !filepath.IsAbs(*fc.CookiesFile) {
		p := filepath.Join(dir, *fc.CookiesFile)
		fc.CookiesFile = &p
	}
	if fc.CACert != nil && *fc.CACert != "" && !filepath.IsAbs(*fc.CACert) {
		p := filepath.Join(dir, *fc.CACert)
		fc.CACert = &p
	}
	if fc.WARC != nil && *fc.WARC != "" && !filepath.IsAbs(*fc.WARC) {
		p := filepath.Join(dir, *fc.WARC)
		fc.WARC = &p
	}
	fc.dir = dir
	return &fc, nil
}

// errLine is the line number in a "file:line: message" error, or 0.
func errLine(msg string) int {
	first, _, _ := strings.Cut(msg, ": ")
	if i := strings.LastIndexByte(first, ':'); i >= 0 {
		if n, err := strconv.Atoi(first[i+1:]); err == nil {
			return n
		}
	}
	return 0
}

// checkValues validates each top-level setting of a decoded config file on
// its own, so that a value the crawl would refuse (scope: planet,
// concurrency: 0, a bad regexp) is reported with the file and the line it is
// on. Values that do not even decode were reported by the decoder already.
func checkValues(path string, doc *yaml.Node) []string {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	var errs []string
	m := doc.Content[0]
	noFlags := pflag.NewFlagSet("config", pflag.ContinueOnError)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		switch k.Value {
		case "rules", "seeds", "db", "contact", "seeds_file", "quiet", "verbose":
			continue // checked elsewhere, or nothing to check
		}
		var one fileConfig
		pair := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{k, v}}
		if err := pair.Decode(&one); err != nil || len(one.Extra) > 0 {
			continue
		}
		report := func(err error) {
			msg := err.Error()
			if flag := strings.ReplaceAll(k.Value, "_", "-"); !strings.HasPrefix(msg, flag) && !strings.HasPrefix(msg, k.Value) {
				msg = k.Value + ": " + msg
			}
			errs = append(errs, fmt.Sprintf("%s:%d: %s", path, v.Line, msg))
		}
		switch {
		case one.MaxDBSize != nil:
			if _, err := parseSize(*one.MaxDBSize); err != nil {
				report(err)
			}
			continue
		case one.LogFormat != nil:
			if f := *one.LogFormat; f != "text" && f != "json" {
				report(fmt.Errorf("log_format %q: want text or json", f))
			}
			continue
		case one.Progress != nil:
			if p := *one.Progress; p != "auto" && p != "always" && p != "never" {
				report(fmt.Errorf("progress %q: want auto, always or never", p))
			}
			continue
		}
		cfg := crawler.DefaultConfig()
		var o crawlOptions
		one.apply(noFlags, &cfg, &o)
		cfg.Seeds = []string{"http://placeholder.invalid/"}
		if err := cfg.Validate(); err != nil {
			report(err)
			continue
		}
		seed, _ := url.Parse(cfg.Seeds[0])
		if _, err := urlkey.NewScope(cfg.Scope, []*url.URL{seed}, cfg.Allow, cfg.Deny); err != nil {
			report(err)
		}
	}
	return errs
}

// apply copies the file's settings into cfg and o, except those whose flag was
// given on the command line.
func (fc *fileConfig) apply(flags *pflag.FlagSet, cfg *crawler.Config, o *crawlOptions) {
	// set is asked only for keys the file has; it records those it takes.
	set := func(flag string) bool {
		if flags.Changed(flag) {
			return false
		}
		o.fileKeys = append(o.fileKeys, flag)
		return true
	}
	if fc.DB != nil && set("db") {
		o.db = *fc.DB
	}
	if fc.Contact != nil && set("contact") {
		o.contact = *fc.Contact
	}
	str := func(p *string, flag string, dst *string) {
		if p != nil && set(flag) {
			*dst = *p
		}
	}
	num := func(p *int, flag string, dst *int) {
		if p != nil && set(flag) {
			*dst = *p
		}
	}
	boolean := func(p *bool, flag string, dst *bool) {
		if p != nil && set(flag) {
			*dst = *p
		}
	}
	dur := func(p *yamlDuration, flag string, dst *crawler.Duration) {
		if p != nil && set(flag) {
			*dst = crawler.Duration(p.d)
		}
	}
	str(fc.Scope, "scope", &cfg.Scope)
	if len(fc.Allow) > 0 && set("allow") {
		cfg.Allow = fc.Allow
	}
	if len(fc.Deny) > 0 && set("deny") {
		cfg.Deny = fc.Deny
	}
	if len(fc.DropParams) > 0 && set("drop-params") {
		cfg.DropParams = fc.DropParams
	}
	num(fc.MaxDepth, "max-depth", &cfg.MaxDepth)
	num(fc.MaxPages, "max-pages", &cfg.MaxPages)
	num(fc.MaxPagesPerHost, "max-pages-per-host", &cfg.MaxPagesPerHost)
	dur(fc.MaxDuration, "max-duration", &cfg.MaxDuration)
	dur(fc.RevisitAfter, "revisit-after", &cfg.RevisitAfter)
	num(fc.Concurrency, "concurrency", &cfg.Concurrency)
	num(fc.PerHost, "per-host", &cfg.PerHost)
	dur(fc.Delay, "delay", &cfg.Delay)
	dur(fc.Timeout, "timeout", &cfg.Timeout)
	if fc.MaxBody != nil && set("max-body") {
		cfg.MaxBody = fc.MaxBody.n
	}
	str(fc.UserAgent, "user-agent", &cfg.UserAgent)
	str(fc.RobotsAgent, "robots-agent", &cfg.RobotsAgent)
	boolean(fc.IgnoreRobots, "ignore-robots", &cfg.IgnoreRobots)
	dur(fc.MaxCrawlDelay, "max-crawl-delay", &cfg.MaxCrawlDelay)
	dur(fc.MaxRetryAfter, "max-retry-after", &cfg.MaxRetryAfter)
	boolean(fc.Sitemaps, "sitemaps", &cfg.Sitemaps)
	boolean(fc.AutoThrottle, "auto-throttle", &cfg.AutoThrottle)
	if fc.ThrottleTarget != nil && set("throttle-target") {
		cfg.ThrottleTarget = *fc.ThrottleTarget
	}
	dur(fc.MaxDelay, "max-delay", &cfg.MaxDelay)
	num(fc.Retries, "retries", &cfg.Retries)
	dur(fc.RetryBase, "retry-base", &cfg.RetryBase)
	boolean(fc.StoreBody, "store-body", &cfg.StoreBody)
	boolean(fc.StoreText, "store-text", &cfg.StoreText)
	str(fc.SeedsFile, "seeds-file", &o.seedsFile)
	str(fc.MaxDBSize, "max-db-size", &o.maxDBSize)
	str(fc.LogFormat, "log-format", &o.logFormat)
	boolean(fc.Quiet, "quiet", &o.quiet)
	boolean(fc.Verbose, "verbose", &o.verbose)
	str(fc.Progress, "progress", &o.progress)
	if len(fc.Header) > 0 && set("header") {
		cfg.Header = fc.Header
	}
	if len(fc.HostHeaders) > 0 {
		o.fileKeys = append(o.fileKeys, "host-headers")
		cfg.HostHeaders = fc.HostHeaders
	}
	if len(fc.Cookie) > 0 && set("cookie") {
		cfg.Cookie = fc.Cookie
	}
	str(fc.CookiesFile, "cookies-file", &cfg.CookiesFile)
	if fc.BasicAuth != nil && set("basic-auth") {
		cfg.BasicAuth = crawler.ParseSecret(*fc.BasicAuth, fc.dir)
	}
	if fc.Bearer != nil && set("bearer") {
		cfg.Bearer = crawler.ParseSecret(*fc.Bearer, fc.dir)
	}
	str(fc.Proxy, "proxy", &cfg.Proxy)
	str(fc.CACert, "ca-cert", &cfg.CACert)
	boolean(fc.Insecure, "insecure", &cfg.Insecure)
	str(fc.WARC, "warc", &cfg.WARC)
	if fc.WARCMaxSize != nil && set("warc-max-size") {
		cfg.WARCMaxSize = fc.WARCMaxSize.n
	}
	if fc.ProxyAuth != nil && set("proxy-auth") {
		cfg.ProxyAuth = crawler.ParseSecret(*fc.ProxyAuth, fc.dir)
	}
	cfg.Rules = fc.Rules
}

// yamlLine finds the "line N:" that yaml.v3 puts in its messages.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?(?:unmarshal errors:)?\s*line (\d+): (.*)$`)

// yamlErrors rewrites yaml.v3's messages as "file:line: what", one per line.
func yamlErrors(path string, err error) string {
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l == "yaml: unmarshal errors:" {
			continue
		}
		if m := yamlLine.FindStringSubmatch(l); m != nil {
			out = append(out, fmt.Sprintf("%s:%s: %s", path, m[1], m[2]))
			continue
		}
		out = append(out, fmt.Sprintf("%s: %s", path, strings.TrimPrefix(l, "yaml: ")))
	}
	return strings.Join(out, "\n")
}
