package main

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEExamplesLeaveTheCloneClean checks that every file the README's
// example commands write into the clone (--db, --out, -o, > redirections;
// a PostgreSQL URL writes no file) is
// ignored by .gitignore, so that trying them leaves git status clean.
func TestREADMEExamplesLeaveTheCloneClean(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	ignore, err := os.ReadFile(filepath.Join("..", "..", ".gitignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(ignore), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	ignored := func(name string) bool {
		for _, p := range patterns {
			anchored := strings.HasPrefix(p, "/")
			p = strings.TrimPrefix(p, "/")
			if ok, _ := path.Match(p, name); ok {
				return true
			}
			if !anchored {
				if ok, _ := path.Match(p, path.Base(name)); ok {
					return true
				}
			}
		}
		return false
	}
	blocks := regexp.MustCompile("(?s)```(?:sh|cron)\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	written := regexp.MustCompile(`(?:--db|--out|-o|>>?)\s+([^\s|;&]+)`)
	var checked int
	for _, b := range blocks {
		for _, m := range written.FindAllStringSubmatch(b[1], -1) {
			name := m[1]
			if strings.HasPrefix(name, "/") || strings.HasPrefix(name, "$") || strings.Contains(name, "/dev/") || isPostgres(name) {
				continue
			}
			checked++
			if !ignored(name) {
				t.Errorf("the README's examples write %s, which .gitignore does not ignore", name)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("found only %d files written by the README's examples; the test reads the README wrongly", checked)
	}
}

// TestREADMESaysTheFirstGoRunIsSlow checks that the README's first command
// is followed by the warning that go run compiles silently at first.
func TestREADMESaysTheFirstGoRunIsSlow(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "go run ./cmd/trawl demo --db demo.db\n```\n")
	if !ok {
		t.Fatal("README.md has no go run ./cmd/trawl demo block")
	}
	para, _, _ := strings.Cut(strings.TrimSpace(after), "\n\n")
	if !strings.Contains(para, "The first `go run` compiles") || !strings.Contains(para, "without printing anything") {
		t.Fatalf("the paragraph after the first command does not warn that go run compiles silently:\n%s", para)
	}
}

// TestREADMESummaryExampleIsTheDemos checks that the summary line the
// README shows (db=demo.db, the README's first command) is the one trawl
// demo prints, apart from the timings, so that a newcomer's first output
// matches what the README said to expect.
func TestREADMESummaryExampleIsTheDemos(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile(`(?m)^trawl: run=.* db=demo\.db$`).FindString(string(readme))
	if example == "" {
		t.Fatal("README.md has no summary line of demo.db")
	}
	db := filepath.Join(t.TempDir(), "demo.db")
	r := trawl(t, "demo", "--db", db)
	if r.code != exitOK {
		t.Fatalf("demo: exit %d: %s", r.code, r.stderr)
	}
	untimed := func(line string) string {
		line = regexp.MustCompile(` (duration|rate)=\S+`).ReplaceAllString(strings.TrimSpace(line), "")
		return strings.Replace(line, "db="+db, "db=demo.db", 1)
	}
	if got, want := untimed(r.stdout), untimed(example); got != want {
		t.Fatalf("trawl demo prints\n  %s\nthe README shows\n  %s", got, want)
	}
}

// TestCIRunsTheREADMETestCommand: the command README gives for running the
// tests is the one .ci/run runs, word for word, so that what a newcomer
// runs is what CI checks.
func TestCIRunsTheREADMETestCommand(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile(filepath.Join("..", "..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)Run the tests.*?```sh\n([^\n]+)\n```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no test command after \"Run the tests\"")
	}
	cmd := string(m[1])
	if !strings.Contains(cmd, "go test -race ./...") {
		t.Errorf("README's test command %q does not run go test -race ./...", cmd)
	}
	found := false
	for _, line := range strings.Split(string(ci), "\n") {
		found = found || strings.TrimSpace(line) == cmd
	}
	if !found {
		t.Errorf(".ci/run has no line %q, README's test command", cmd)
	}
}
