package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trawl-crawler/trawl/crawler"
)

// secretFlag reads --basic-auth and --bearer: "env:VAR", "file:PATH" or the
// secret itself. Its String never shows the secret (pflag prints it in
// errors and help).
type secretFlag struct{ p *crawler.Secret }

func (f secretFlag) Set(s string) error {
	*f.p = crawler.ParseSecret(s, ".")
	return nil
}

func (f secretFlag) String() string {
	if f.p == nil {
		return ""
	}
	return f.p.From
}

func (f secretFlag) Type() string { return "string" }

// absPath makes a file setting absolute, so that a resume from another
// directory reads the same file.
func absPath(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// proxyFlag reads --proxy, once per proxy. Its String shows the URLs, which
// hold no password (checkProxy refuses one).
type proxyFlag struct{ p *crawler.ProxyList }

func (f proxyFlag) Set(s string) error {
	*f.p = append(*f.p, s)
	return nil
}

func (f proxyFlag) String() string {
	if f.p == nil {
		return ""
	}
	return strings.Join(*f.p, ",")
}

func (f proxyFlag) Type() string { return "stringArray" }

// yamlProxies reads a config file's proxy: one URL, or a list of them.
type yamlProxies []string

// UnmarshalYAML reads one URL or a list of them.
func (y *yamlProxies) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*y = yamlProxies{n.Value}
		return nil
	}
	var list []string
	if n.Kind != yaml.SequenceNode || n.Decode(&list) != nil {
		return fmt.Errorf("line %d: proxy: want a proxy URL or a list of them", n.Line)
	}
	*y = list
	return nil
}

// yamlLogin reads a config file's login block; see crawler.Login.
type yamlLogin struct {
	URL     string            `yaml:"url"`
	Form    string            `yaml:"form"`
	Fields  map[string]string `yaml:"fields"`
	Success struct {
		Cookie   string `yaml:"cookie"`
		Selector string `yaml:"selector"`
		Absent   string `yaml:"absent"`
	} `yaml:"success"`
	Relogins *int `yaml:"relogins"`
}

// login is the block as a crawl setting, its field values read as secrets
// (a file: path relative to dir).
func (y *yamlLogin) login(dir string) *crawler.Login {
	l := &crawler.Login{URL: y.URL, Form: y.Form, Fields: map[string]crawler.Secret{}, Relogins: y.Relogins,
		Success: crawler.LoginSuccess{Cookie: y.Success.Cookie, Selector: y.Success.Selector, Absent: y.Success.Absent}}
	for k, v := range y.Fields {
		l.Fields[k] = crawler.ParseSecret(v, dir)
	}
	return l
}
