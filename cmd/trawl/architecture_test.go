package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPackageImportsFollowTheArchitecture keeps docs/architecture.md's
// arrows true: the leaf packages import no other trawl package, and crawler
// imports none of cmd.
func TestPackageImportsFollowTheArchitecture(t *testing.T) {
	const mod = "github.com/trawl-crawler/trawl/"
	allowed := map[string][]string{
		"crawler/urlkey":        nil,
		"politeness":            nil,
		"extract":               {"extract/memo"},
		"extract/memo":          nil,
		"store/record":          nil,
		"store/jsonstr":         nil,
		"store/postgres":        {"store/record", "store/jsonstr"},
		"store/postgres/pgtest": nil,
		"store/storetest":       {"crawler", "store/record"},
		"store":                 {"store/record", "store/jsonstr"},
		"fixtures":              nil,
		"crawler/deflate":       nil,
		"crawler/warc":          {"crawler/deflate"},
		"crawler":               {"crawler/urlkey", "crawler/warc", "crawler/deflate", "politeness", "extract", "extract/memo", "store/record"},
	}
	doc, err := os.ReadFile("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	for pkg, ok := range allowed {
		if !strings.Contains(string(doc), "| `"+pkg+"` |") {
			t.Errorf("docs/architecture.md has no row for %s", pkg)
		}
		out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, mod+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, imp := range strings.Fields(string(out)) {
			rel, found := strings.CutPrefix(imp, mod)
			if !found {
				continue
			}
			permitted := false
			for _, a := range ok {
				permitted = permitted || a == rel
			}
			if !permitted {
				t.Errorf("%s imports %s, which docs/architecture.md does not allow", pkg, rel)
			}
		}
	}
}
