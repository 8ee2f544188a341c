package main

import (
	"path/filepath"

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
