package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
	"github.com/trawl-crawler/trawl/extract"
)

// fileConfig is a crawl config file. Its keys are the crawl settings and
// options (the flags, with '_' for '-'), plus the seeds; a flag given on
// the command line overrides the file. Options that a config file may not
// set (--fresh, --config) are refused with why.
type fileConfig struct {
	seeds  []string
	values map[string]reflect.Value // the keys the file sets, each in its fileType field
	dir    string                   // the file's directory, for relative paths and file: secrets
}

// rules are the file's extraction rules.
func (fc *fileConfig) rules() []extract.RuleSpec {
	v, ok := fc.values["rules"]
	if !ok {
		return nil
	}
	return v.Interface().([]extract.RuleSpec)
}

// fileHolder is the type a config file's value of a setting or option
// field (from Setting.Field or option.field) is decoded into: a pointer or
// a list or map, so that a key left out is told from a zero value.
func fileHolder(field any) reflect.Type {
	switch field.(type) {
	case *crawler.Duration:
		return reflect.TypeFor[*yamlDuration]()
	case *int64:
		return reflect.TypeFor[*yamlSize]()
	case *crawler.Secret:
		return reflect.TypeFor[*string]()
	case *crawler.ProxyList:
		return reflect.TypeFor[yamlProxies]()
	case **crawler.Login:
		return reflect.TypeFor[*yamlLogin]()
	case *[]string, *map[string][]string, *[]extract.RuleSpec:
		return reflect.TypeOf(field).Elem()
	}
	return reflect.TypeOf(field) // *string, *int, *float64, *bool
}

// fileType is the struct a config file is decoded into, built from the
// tables of settings and options: one field per key, with the key as its
// yaml tag, and the unknown keys in Extra. Decoding into a
// struct gives yaml.v3's own checks and messages (duplicate keys, a list
// where a number belongs, every type error with its line).
func fileType() (reflect.Type, []string) {
	fields := []reflect.StructField{
		{Name: "Extra", Type: reflect.TypeFor[map[string]yaml.Node](), Tag: `yaml:",inline"`},
		{Name: "Seeds", Type: reflect.TypeFor[yamlSeeds](), Tag: `yaml:"seeds"`},
	}
	keys := []string{"", "seeds"}
	add := func(key string, field any) {
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("F%d", len(fields)), Type: fileHolder(field),
			Tag: reflect.StructTag(`yaml:"` + key + `"`)})
		keys = append(keys, key)
	}
	var o crawlOptions
	var cfg crawler.Config
	for _, opt := range options() {
		if opt.notInFile == "" {
			add(opt.key, opt.field(&o))
		}
	}
	for _, s := range crawler.Settings() {
		add(s.Key, s.Field(&cfg))
	}
	return reflect.StructOf(fields), keys
}

// decodeFile decodes a config file's document (or one of its top-level
// key-value pairs, as a mapping). It returns the keys it does not know,
// with their nodes.
func decodeFile(top *yaml.Node) (*fileConfig, map[string]yaml.Node, error) {
	fc := &fileConfig{values: map[string]reflect.Value{}}
	if top.Kind != yaml.MappingNode && !(top.Kind == yaml.DocumentNode && len(top.Content) == 1 && top.Content[0].Kind == yaml.MappingNode) {
		// yaml.v3's message about a document that is not a mapping names
		// the type it was decoded into.
		var named fileConfig
		return fc, nil, top.Decode(&named)
	}
	t, keys := fileType()
	v := reflect.New(t)
	if err := top.Decode(v.Interface()); err != nil {
		return nil, nil, err
	}
	v = v.Elem()
	fc.seeds = v.Field(1).Interface().(yamlSeeds)
	for i := 2; i < t.NumField(); i++ {
		if f := v.Field(i); !f.IsZero() && (f.Kind() == reflect.Pointer || f.Len() > 0) {
			fc.values[keys[i]] = f
		}
	}
	return fc, v.Field(0).Interface().(map[string]yaml.Node), nil
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

// fileKeys are the keys a config file may set.
func fileKeys() []string {
	_, keys := fileType()
	return keys[1:]
}

// notInFile returns why a config file may not set key, or "".
func notInFile(key string) string {
	for _, opt := range options() {
		if opt.key == key {
			return opt.notInFile
		}
	}
	return ""
}

// loadConfig reads a config file, reporting every problem with the file name
// and line. Relative paths in it are taken relative to the file's directory.
func loadConfig(path string) (*fileConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) { // an empty file
			return &fileConfig{values: map[string]reflect.Value{}, dir: filepath.Dir(path)}, nil
		}
		return nil, errors.New(yamlErrors(path, err))
	}
	fc, extra, err := decodeFile(&doc)
	if err != nil {
		return nil, errors.New(yamlErrors(path, err))
	}
	var errs []string
	for key, n := range extra {
		if why := notInFile(key); why != "" {
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
	if rules, ok := fc.values["rules"]; ok {
		if _, err := extract.CompileRules(path, rules.Interface().([]extract.RuleSpec)); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errLine(errs[i]) < errLine(errs[j]) })
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	fc.dir = filepath.Dir(path)
	return fc, nil
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
		pair := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{k, v}}
		one, extra, err := decodeFile(pair)
		if err != nil || len(extra) > 0 || len(one.values) == 0 {
			continue // reported by the decoder, unknown, or nothing to check (seeds, an empty list)
		}
		report := func(err error) {
			msg := err.Error()
			if flag := flagName(k.Value); !strings.HasPrefix(msg, flag) && !strings.HasPrefix(msg, k.Value) {
				msg = k.Value + ": " + msg
			}
			errs = append(errs, fmt.Sprintf("%s:%d: %s", path, v.Line, msg))
		}
		cfg := crawler.DefaultConfig()
		o := crawlOptions{logFormat: "text", progress: "auto"}
		one.apply(noFlags, &cfg, &o)
		if _, ok := crawler.LookupSetting(k.Value); !ok {
			for _, opt := range options() {
				if opt.key == k.Value && opt.check != nil {
					if err := opt.check(o); err != nil {
						report(err)
					}
				}
			}
			continue
		}
		if k.Value == "rules" {
			continue // compiled with their lines by loadConfig
		}
		if err := cfg.CheckSettings(); err != nil {
			report(err)
		}
	}
	return errs
}

// apply copies the file's settings into cfg and options into o, except
// those whose flag was given on the command line, and notes in o which it
// copied.
func (fc *fileConfig) apply(flags *pflag.FlagSet, cfg *crawler.Config, o *crawlOptions) {
	// take is asked only for keys the file has; it records those it takes.
	take := func(key string, hasFlag bool) (reflect.Value, bool) {
		v, ok := fc.values[key]
		if !ok || hasFlag && flags.Changed(flagName(key)) {
			return v, false
		}
		o.fileKeys = append(o.fileKeys, key)
		return v, true
	}
	for _, opt := range options() {
		if v, ok := take(opt.key, true); ok {
			setFromFile(opt.field(o), v, fc.dir, opt.path)
		}
	}
	for _, s := range crawler.Settings() {
		if v, ok := take(s.Key, !s.FileOnly); ok {
			setFromFile(s.Field(cfg), v, fc.dir, s.Path)
		}
	}
}

// setFromFile sets a setting's or option's field to v, its value decoded
// from a config file in dir (see fileHolder). A relative path is taken
// relative to dir, as are file: secrets.
func setFromFile(field any, v reflect.Value, dir string, path bool) {
	switch p := field.(type) {
	case *crawler.Duration:
		*p = crawler.Duration(v.Interface().(*yamlDuration).d)
	case *int64:
		*p = v.Interface().(*yamlSize).n
	case *crawler.Secret:
		*p = crawler.ParseSecret(*v.Interface().(*string), dir)
	case *crawler.ProxyList:
		*p = crawler.ProxyList(v.Interface().(yamlProxies))
	case **crawler.Login:
		*p = v.Interface().(*yamlLogin).login(dir)
	case *string:
		*p = *v.Interface().(*string)
		if path && *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	default:
		dst := reflect.ValueOf(field).Elem()
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		dst.Set(v)
	}
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
