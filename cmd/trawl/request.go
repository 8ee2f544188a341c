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

// keepSecrets puts back the secrets this invocation was given inline, which
// the stored configuration (and so the one prepareRun returns) never holds.
func keepSecrets(run *crawler.Config, given crawler.Config) {
	if given.BasicAuth.Inline() && run.BasicAuth.From == given.BasicAuth.From {
		run.BasicAuth = given.BasicAuth
	}
	if given.Bearer.Inline() && run.Bearer.From == given.Bearer.From {
		run.Bearer = given.Bearer
	}
	if given.ProxyAuth.Inline() && run.ProxyAuth.From == given.ProxyAuth.From {
		run.ProxyAuth = given.ProxyAuth
	}
}

// readyRequests puts back the invocation's inline secrets and reads the
// request settings' files and variables, so that a secret or cookie file
// that cannot be read refuses the crawl before a run is started or resumed.
func readyRequests(run *crawler.Config, invocation crawler.Config) error {
	keepSecrets(run, invocation)
	if err := crawler.CheckRequest(*run); err != nil {
		return usageErr("%w", err)
	}
	return nil
}

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
