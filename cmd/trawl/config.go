package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/extract"
)

// fileConfig is a crawl config file. Every key mirrors a crawl flag (with
// underscores), plus extraction rules; a flag given on the command line
// overrides the file. Pointers tell "not set" from zero.
type fileConfig struct {
	Seeds           []string             `yaml:"seeds"`
	DB              *string              `yaml:"db"`
	Scope           *string              `yaml:"scope"`
	Allow           []string             `yaml:"allow"`
	Deny            []string             `yaml:"deny"`
	MaxDepth        *int                 `yaml:"max_depth"`
	MaxPages        *int                 `yaml:"max_pages"`
	MaxPagesPerHost *int                 `yaml:"max_pages_per_host"`
	MaxDuration     *yamlDuration        `yaml:"max_duration"`
	RevisitAfter    *yamlDuration        `yaml:"revisit_after"`
	Concurrency     *int                 `yaml:"concurrency"`
	PerHost         *int                 `yaml:"per_host"`
	Delay           *yamlDuration        `yaml:"delay"`
	Timeout         *yamlDuration        `yaml:"timeout"`
	MaxBody         *int64               `yaml:"max_body"`
	UserAgent       *string              `yaml:"user_agent"`
	Contact         *string              `yaml:"contact"`
	RobotsAgent     *string              `yaml:"robots_agent"`
	IgnoreRobots    *bool                `yaml:"ignore_robots"`
	MaxCrawlDelay   *yamlDuration        `yaml:"max_crawl_delay"`
	Sitemaps        *bool                `yaml:"sitemaps"`
	AutoThrottle    *bool                `yaml:"auto_throttle"`
	ThrottleTarget  *float64             `yaml:"throttle_target"`
	MaxDelay        *yamlDuration        `yaml:"max_delay"`
	Retries         *int                 `yaml:"retries"`
	RetryBase       *yamlDuration        `yaml:"retry_base"`
	StoreBody       *bool                `yaml:"store_body"`
	StoreText       *bool                `yaml:"store_text"`
	Rules           []extract.RuleSpec   `yaml:"rules"`
	Extra           map[string]yaml.Node `yaml:",inline"` // unknown keys, reported with their line
}

// yamlDuration reads "1.5s", "250ms", "24h" (and a bare number of seconds).
type yamlDuration struct {
	d    time.Duration
	line int
}

// UnmarshalYAML parses a duration and remembers where it was written.
func (y *yamlDuration) UnmarshalYAML(n *yaml.Node) error {
	y.line = n.Line
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		var secs float64
		if _, serr := fmt.Sscanf(n.Value, "%g", &secs); serr == nil && fmt.Sprint(secs) == n.Value {
			y.d = time.Duration(secs * float64(time.Second))
			return nil
		}
		return fmt.Errorf("line %d: %q is not a duration (write e.g. 250ms, 2s, 24h)", n.Line, n.Value)
	}
	y.d = d
	return nil
}

// loadConfig reads a config file, reporting every problem with the file name
// and line.
func loadConfig(path string) (*fileConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&fc); err != nil {
		if errors.Is(err, io.EOF) { // an empty file
			return &fc, nil
		}
		return nil, errors.New(yamlErrors(path, err))
	}
	var errs []string
	for key, n := range fc.Extra {
		errs = append(errs, fmt.Sprintf("%s:%d: unknown key %q", path, n.Line, key))
	}
	if len(fc.Rules) > 0 {
		if _, err := extract.CompileRules(path, fc.Rules); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	return &fc, nil
}

// apply copies the file's settings into cfg and o, except those whose flag was
// given on the command line.
func (fc *fileConfig) apply(flags *pflag.FlagSet, cfg *crawler.Config, o *crawlOptions) {
	set := func(flag string) bool { return !flags.Changed(flag) }
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
		cfg.MaxBody = *fc.MaxBody
	}
	str(fc.UserAgent, "user-agent", &cfg.UserAgent)
	str(fc.RobotsAgent, "robots-agent", &cfg.RobotsAgent)
	boolean(fc.IgnoreRobots, "ignore-robots", &cfg.IgnoreRobots)
	dur(fc.MaxCrawlDelay, "max-crawl-delay", &cfg.MaxCrawlDelay)
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
